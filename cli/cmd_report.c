/*
 * meshca report: the compliance report for auditors, from GET /v1/report
 * (admins).  --format html (default: one self-contained file with inline CSS
 * and an inline SVG chart), csv (one row per certificate and principal) or
 * json (as the server sent it).  Every string from the ledger is escaped:
 * names and reasons come from people and identity providers.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "meshca/buf.h"
#include "cli.h"
#include "cli_install.h"

struct out {
    struct buf *b;
    int err;
};

static void
emit(struct out *o, const char *s, size_t n)
{
    if (o->err == 0 && buf_put(o->b, s, n) != 0)
        o->err = 1;
}

static void
emits(struct out *o, const char *s)
{
    emit(o, s, strlen(s));
}

static void
emitf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
emitf(struct out *o, const char *fmt, ...)
{
    char tmp[2048];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0)
        emit(o, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* HTML-escapes s (NULL prints as an em dash). */
static void
esc(struct out *o, const char *s)
{
    const char *p;

    if (s == NULL) {
        emits(o, "&mdash;");
        return;
    }
    for (p = s; *p != '\0'; p++) {
        switch (*p) {
        case '<': emits(o, "&lt;"); break;
        case '>': emits(o, "&gt;"); break;
        case '&': emits(o, "&amp;"); break;
        case '"': emits(o, "&quot;"); break;
        case '\'': emits(o, "&#39;"); break;
        default: emit(o, p, 1);
        }
    }
}

static const char *
str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static void
esc_list(struct out *o, const json_t *arr)
{
    size_t i;
    json_t *e;

    json_array_foreach(arr, i, e) {
        if (i > 0)
            emits(o, ", ");
        esc(o, json_string_value(e));
    }
}

static void
chart(struct out *o, const json_t *hours)
{
    size_t n = json_array_size(hours), i;
    long long max = 1;
    json_t *h;
    const int W = 900, H = 220, L = 50, B = 40, T = 15;
    double bw;

    json_array_foreach(hours, i, h) {
        long long c = json_integer_value(json_object_get(h, "count"));

        if (c > max)
            max = c;
    }
    emitf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
        "height=\"%d\" role=\"img\" aria-label=\"certificates issued per "
        "hour\">", W, H);
    emitf(o, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#555\"/>",
        L, H - B, W - 10, H - B);
    emitf(o, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#555\"/>",
        L, T, L, H - B);
    emitf(o, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">"
        "%lld</text>", L - 6, T + 4, max);
    emitf(o, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">0"
        "</text>", L - 6, H - B + 4);
    if (n == 0) {
        emitf(o, "<text x=\"%d\" y=\"%d\" font-size=\"13\" fill=\"#777\">no "
            "certificates in this period</text></svg>", L + 20, H / 2);
        return;
    }
    bw = (double)(W - L - 20) / (double)n;
    if (bw > 40)
        bw = 40; /* a few hours read better as bars than as a wall */
    json_array_foreach(hours, i, h) {
        long long c = json_integer_value(json_object_get(h, "count"));
        double bh = (double)c / (double)max * (H - B - T);
        const char *hr = str(h, "hour");

        emitf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
            "fill=\"#3b6fb6\"><title>", L + 2 + (double)i * bw, (H - B) - bh,
            bw > 3 ? bw - 2 : bw, bh);
        esc(o, hr);
        emitf(o, ": %lld</title></rect>", c);
        if (n <= 24 || i % (n / 12 + 1) == 0) {
            emitf(o, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" "
                "text-anchor=\"middle\">", L + 2 + (double)i * bw + bw / 2,
                H - B + 14);
            if (hr != NULL && strlen(hr) >= 16)
                emit(o, hr + 11, 5); /* HH:MM */
            emits(o, "</text>");
        }
    }
    emits(o, "</svg>");
}

static int
render_html(const json_t *r, struct out *o)
{
    const json_t *tot = json_object_get(r, "totals");
    const json_t *integ = json_object_get(r, "integrity");
    json_t *e, *p;
    size_t i, k;

    emits(o, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>meshca access report</title><style>"
        "body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
        "h1{margin-bottom:0}.sub{color:#666;margin-top:.2em}"
        "table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:13px}"
        "th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;"
        "vertical-align:top}th{background:#f2f4f7}"
        ".totals td{font-size:20px;font-weight:600;text-align:center}"
        ".ok{color:#17603a;font-weight:600}.bad{color:#b00020;font-weight:700;"
        "font-size:18px}.rev{color:#b00020}"
        "@media print{body{margin:0}}</style></head><body>\n");
    emits(o, "<h1>meshca access report</h1><p class=\"sub\">Period ");
    {
        const json_t *per = json_object_get(r, "period");

        esc(o, str(per, "since"));
        emits(o, " to ");
        esc(o, str(per, "until"));
        emits(o, " &middot; generated ");
        esc(o, str(r, "generated_at"));
        emits(o, "</p>\n");
    }
    if (json_is_true(json_object_get(integ, "verified"))) {
        emitf(o, "<p class=\"ok\" id=\"integrity\">Ledger integrity: chain "
            "verified through record %lld, head hash ",
            (long long)json_integer_value(json_object_get(integ, "head_seq")));
        esc(o, str(integ, "head_hash"));
        emits(o, "</p>\n");
    } else {
        emitf(o, "<p class=\"bad\" id=\"integrity\">Ledger integrity: BROKEN "
            "at record %lld &mdash; ", (long long)json_integer_value(
            json_object_get(integ, "first_bad")));
        esc(o, integ ? str(integ, "message") : "not verified");
        emits(o, "</p>\n");
    }
    emitf(o, "<h2>Totals</h2><table class=\"totals\"><tr><th>Certificates"
        "</th><th>People</th><th>Denials</th><th>Revocations</th><th>Valid "
        "now</th></tr><tr><td id=\"t-certs\">%lld</td><td>%lld</td><td>%lld"
        "</td><td>%lld</td><td>%lld</td></tr></table>\n",
        (long long)json_integer_value(json_object_get(tot, "certificates")),
        (long long)json_integer_value(json_object_get(tot, "subjects")),
        (long long)json_integer_value(json_object_get(tot, "denials")),
        (long long)json_integer_value(json_object_get(tot, "revocations")),
        (long long)json_integer_value(json_object_get(tot, "active_now")));
    emits(o, "<h2>Issuance over time</h2>\n");
    chart(o, json_object_get(r, "issuance_by_hour"));
    emits(o, "\n<h2>Who held access</h2><table><tr><th>Principal</th><th>Person"
        "</th><th>Role</th><th>Reason</th><th>From</th><th>Until</th>"
        "<th>Minutes</th><th>Serial</th></tr>\n");
    json_array_foreach(json_object_get(r, "access"), i, e) {
        json_array_foreach(json_object_get(e, "principals"), k, p) {
            emits(o, "<tr><td>");
            esc(o, json_string_value(p));
            emits(o, "</td><td>");
            esc(o, str(e, "email") ? str(e, "email") : str(e, "subject"));
            emits(o, "</td><td>");
            esc(o, str(e, "role"));
            emits(o, "</td><td>");
            esc(o, str(e, "reason"));
            emits(o, "</td><td>");
            esc(o, str(e, "valid_after"));
            emits(o, "</td><td>");
            esc(o, str(e, "valid_before"));
            emitf(o, "</td><td>%lld</td><td>", (long long)json_integer_value(
                json_object_get(e, "duration_seconds")) / 60);
            esc(o, str(e, "serial"));
            if (json_is_true(json_object_get(e, "revoked")))
                emits(o, " <span class=\"rev\">revoked</span>");
            emits(o, "</td></tr>\n");
        }
    }
    emits(o, "</table>\n<h2>Revocations</h2><table><tr><th>When</th><th>What"
        "</th><th>Value</th><th>Reason</th><th>By</th></tr>\n");
    json_array_foreach(json_object_get(r, "revocations"), i, e) {
        emits(o, "<tr><td>");
        esc(o, str(e, "revoked_at"));
        emits(o, "</td><td>");
        esc(o, str(e, "kind"));
        emits(o, "</td><td>");
        esc(o, str(e, "value"));
        emits(o, "</td><td>");
        esc(o, str(e, "reason"));
        emits(o, "</td><td>");
        esc(o, str(e, "revoked_by"));
        emits(o, "</td></tr>\n");
    }
    emits(o, "</table>\n<h2>Denials</h2><table><tr><th>When</th><th>Person</th>"
        "<th>Asked for</th><th>Reason</th></tr>\n");
    json_array_foreach(json_object_get(r, "denials"), i, e) {
        emits(o, "<tr><td>");
        esc(o, str(e, "at"));
        emits(o, "</td><td>");
        esc(o, str(e, "email") ? str(e, "email") : str(e, "subject"));
        emits(o, "</td><td>");
        esc_list(o, json_object_get(e, "principals"));
        emits(o, "</td><td>");
        esc(o, str(e, "reason"));
        emits(o, "</td></tr>\n");
    }
    emits(o, "</table>\n<h2>Valid right now</h2><table><tr><th>Person</th><th>"
        "Principals</th><th>Role</th><th>Until</th><th>Serial</th></tr>\n");
    json_array_foreach(json_object_get(r, "active"), i, e) {
        emits(o, "<tr><td>");
        esc(o, str(e, "email") ? str(e, "email") : str(e, "subject"));
        emits(o, "</td><td>");
        esc_list(o, json_object_get(e, "principals"));
        emits(o, "</td><td>");
        esc(o, str(e, "role"));
        emits(o, "</td><td>");
        esc(o, str(e, "valid_before"));
        emits(o, "</td><td>");
        esc(o, str(e, "serial"));
        emits(o, "</td></tr>\n");
    }
    emits(o, "</table>\n</body></html>\n");
    return o->err ? -1 : 0;
}

static void
csv_cell(struct out *o, const char *s)
{
    const char *p;

    emits(o, "\"");
    if (s != NULL && s[0] != '\0' && strchr("=+-@", s[0]) != NULL)
        emits(o, "'");
    for (p = s ? s : ""; *p != '\0'; p++) {
        if (*p == '"')
            emits(o, "\"");
        emit(o, p, 1);
    }
    emits(o, "\"");
}

static int
render_csv(const json_t *r, struct out *o)
{
    static const char *const cols[] = { "principal", "subject", "email",
        "role", "reason", "valid_after", "valid_before", "serial", "revoked" };
    json_t *e, *p;
    size_t i, k, c;

    for (c = 0; c < 9; c++) {
        emit(o, ",", c ? 1 : 0);
        emit(o, cols[c], strlen(cols[c]));
    }
    emits(o, "\r\n");
    json_array_foreach(json_object_get(r, "access"), i, e)
        json_array_foreach(json_object_get(e, "principals"), k, p) {
            csv_cell(o, json_string_value(p));
            emits(o, ",");
            csv_cell(o, str(e, "subject"));
            emits(o, ",");
            csv_cell(o, str(e, "email"));
            emits(o, ",");
            csv_cell(o, str(e, "role"));
            emits(o, ",");
            csv_cell(o, str(e, "reason"));
            emits(o, ",");
            csv_cell(o, str(e, "valid_after"));
            emits(o, ",");
            csv_cell(o, str(e, "valid_before"));
            emits(o, ",");
            csv_cell(o, str(e, "serial"));
            emits(o, ",");
            csv_cell(o, json_is_true(json_object_get(e, "revoked")) ? "yes" :
                "no");
            emits(o, "\r\n");
        }
    return o->err ? -1 : 0;
}

int
report_render(const json_t *r, const char *format, struct buf *out)
{
    struct out o = { out, 0 };
    char *s;

    if (strcmp(format, "html") == 0)
        return render_html(r, &o);
    if (strcmp(format, "csv") == 0)
        return render_csv(r, &o);
    if ((s = json_dumps(r, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) == NULL)
        return -1;
    emit(&o, s, strlen(s));
    emits(&o, "\n");
    free(s);
    return o.err ? -1 : 0;
}

static void
usage(FILE *f)
{
    fprintf(f, "usage: meshca report [--since T] [--until T] "
        "[--format html|csv|json] [--output FILE]\n"
        "                     [--server URL] [--cacert FILE] [--token-file FILE] "
        "[--input REPORT.json]\n"
        "T: RFC 3339 UTC, epoch seconds, or a duration ago (24h, 7d); default "
        "the last 24 hours.\nNeeds an administrator's token.  --input renders "
        "a saved JSON report offline.\n");
}

int
cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {
        { "since", required_argument, NULL, 'S' },
        { "until", required_argument, NULL, 'U' },
        { "format", required_argument, NULL, 'f' },
        { "output", required_argument, NULL, 'o' },
        CLI_CONN_OPTIONS,
        { "token-file", required_argument, NULL, 't' },
        { "input", required_argument, NULL, 'i' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *since = "24h", *until = NULL, *format = "html", *output = NULL;
    const char *token_file = NULL, *input = NULL;
    struct cli_conn_flags flags = { NULL, NULL, 0 };
    struct cli_conn conn;
    struct cli_response r;
    struct buf *b = NULL;
    json_t *rep = NULL;
    char *token = NULL, path[512], *es = NULL, *eu = NULL;
    int ch, rc = EXIT_USAGE;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (cli_conn_flag(&flags, ch, optarg))
            continue;
        switch (ch) {
        case 'S': since = optarg; break;
        case 'U': until = optarg; break;
        case 'f': format = optarg; break;
        case 'o': output = optarg; break;
        case 't': token_file = optarg; break;
        case 'i': input = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc || (strcmp(format, "html") != 0 &&
        strcmp(format, "csv") != 0 && strcmp(format, "json") != 0)) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (input != NULL) {
        if ((rep = json_load_file(input, 0, NULL)) == NULL) {
            fprintf(stderr, "meshca report: %s is not a JSON report\n", input);
            return EXIT_REFUSED;
        }
    } else {
        if (cli_conn_setup("report", &flags, &conn) != 0 ||
            cli_token_read(token_file, &token) != 0)
            goto out;
        es = curl_easy_escape(NULL, since, 0);
        eu = until ? curl_easy_escape(NULL, until, 0) : NULL;
        snprintf(path, sizeof(path), "/v1/report?since=%s%s%s", es,
            eu ? "&until=" : "", eu ? eu : "");
        if (cli_http(&conn, "GET", path, token, NULL, &r) != 0) {
            fprintf(stderr, "meshca report: %s\n", r.error);
            rc = EXIT_UNREACHABLE;
            goto out;
        }
        rc = EXIT_REFUSED;
        if (r.status != 200) {
            cli_print_error("report", &r);
            cli_response_free(&r);
            goto out;
        }
        rep = json_loads(r.body, 0, NULL);
        cli_response_free(&r);
        if (rep == NULL)
            goto out;
    }
    rc = EXIT_REFUSED;
    if ((b = buf_new(BUF_SIZE_MAX)) == NULL ||
        report_render(rep, format, b) != 0) {
        fprintf(stderr, "meshca report: cannot render the report\n");
        goto out;
    }
    if (output != NULL) {
        if (install_write_file(output, buf_ptr(b), buf_len(b), 0644) != 0) {
            fprintf(stderr, "meshca report: cannot write %s: %s\n", output,
                strerror(errno));
            goto out;
        }
        fprintf(stderr, "meshca report: wrote %s\n", output);
    } else if (fwrite(buf_ptr(b), 1, buf_len(b), stdout) != buf_len(b))
        goto out;
    rc = 0;
out:
    curl_free(es);
    curl_free(eu);
    buf_free(b);
    json_decref(rep);
    cli_secure_free(token);
    return rc;
}
