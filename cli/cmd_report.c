/*
 * meshca report: the compliance report for auditors.  Fetches
 * GET /v1/report?since=T&until=T (admins; the ID token as a bearer token)
 * or reads a saved JSON report (--input), renders it with cli/report.c as
 * html (default), csv or json, and writes it atomically (--output) or to
 * standard output.
 *
 * A report of a busy week is larger than the 4 MiB every other answer is
 * held to, so cli_http() is given REPORT_RESPONSE_MAX (and with it a longer
 * timeout).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "cli.h"
#include "cli_err.h"
#include "cli_install.h"
#include "report.h"

/* Largest report accepted from the server. */
#define REPORT_RESPONSE_MAX ((size_t)512 * 1024 * 1024)

static void
usage(FILE *f)
{
    fprintf(f,
        "usage: meshca report [--since T] [--until T] [--format html|csv|json]\n"
        "                     [--output FILE] [--server URL] [--cacert FILE]\n"
        "                     [--token-file FILE]\n"
        "       meshca report --input REPORT.json [--format ...] [--output FILE]\n"
        "The compliance report from the ledger (needs an administrator's ID\n"
        "token): who held which principal, when, for how long, under which role\n"
        "and reason; revocations; denials and their reasons; what is valid now;\n"
        "and whether the ledger's hash chain verifies.\n"
        "  --since T, --until T  the period; T is RFC 3339 (2026-11-22T13:00:00Z,\n"
        "                   offsets allowed), a date (2026-11-22, UTC midnight),\n"
        "                   \"now\", or a duration meaning that long ago (24h, 7d,\n"
        "                   1h30m).  Default: the 24 hours up to now (the\n"
        "                   server's now), or up to --until.\n"
        "  --format F       html (default: one self-contained page, fit to print),\n"
        "                   csv (one row per certificate and principal) or json\n"
        "                   (the server's report, indented)\n"
        "  --output FILE    write FILE atomically (mode 0644); default stdout\n"
        "  --input FILE     render a saved JSON report; nothing is fetched\n"
        "  --token-file FILE  the ID token (else $MESHCA_ID_TOKEN)\n"
        CLI_CONN_USAGE
        "Exit: 0 written, 1 refused or failed, 2 usage, 3 server unreachable.\n");
}

/* "2026-11-22T13:00:00Z" for t. */
static void
fmt_time(int64_t t, char *out, size_t outlen)
{
    (void)cli_format_time(t > 0 ? (uint64_t)t : 0, out, outlen);
}

/* Writes the whole of data to stdout.  Returns 0 or -1. */
static int
write_stdout(const char *data, size_t len)
{
    if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0)
        return -1;
    return 0;
}

/* What the command line asked for. */
struct report_args {
    const char *since_arg, *until_arg, *format, *output, *token_file, *input;
    struct cli_conn_flags flags;
    enum report_format fmt;
    int64_t since, until;       /* the period, epoch seconds */
};

/* Reads the options into *a.  Returns -1 to go on, or the exit status. */
static int
parse_args(int argc, char **argv, struct report_args *a)
{
    static const struct option opts[] = {
        { "since", required_argument, NULL, 'S' },
        { "until", required_argument, NULL, 'U' },
        { "format", required_argument, NULL, 'f' },
        { "output", required_argument, NULL, 'o' },
        CLI_TOKEN_OPTIONS,
        { "input", required_argument, NULL, 'i' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int ch;

    optind = 1;
    while ((ch = cli_getopt(argc, argv, opts, &a->flags)) != -1) {
        switch (ch) {
        case 'S': a->since_arg = optarg; break;
        case 'U': a->until_arg = optarg; break;
        case 'f': a->format = optarg; break;
        case 'o': a->output = optarg; break;
        case 't': a->token_file = optarg; break;
        case 'i': a->input = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "meshca report: unexpected argument \"%s\"\n",
            argv[optind]);
        usage(stderr);
        return EXIT_USAGE;
    }
    if (report_format_parse(a->format, &a->fmt) != 0) {
        fprintf(stderr, "meshca report: --format is html, csv or json, not "
            "\"%s\"\n", a->format);
        return EXIT_USAGE;
    }
    if (a->input != NULL && (a->since_arg || a->until_arg || a->token_file ||
        a->flags.server || a->flags.cacert || a->flags.insecure_http)) {
        fprintf(stderr, "meshca report: --input renders a saved report; "
            "--since, --until, --server and --token-file are for fetching "
            "one\n");
        return EXIT_USAGE;
    }
    return -1;
}

/* One of --since / --until (name) into *tp.  Returns 0 or -1 (said). */
static int
parse_when(const char *name, const char *arg, int64_t now, int64_t *tp)
{
    if (arg == NULL || report_parse_when(arg, now, tp) == 0)
        return 0;
    fprintf(stderr, "meshca report: --%s \"%s\" is not a time: give "
        "RFC 3339 (2026-11-22T13:00:00Z), a date, \"now\" or a duration "
        "ago (24h, 7d)\n", name, arg);
    return -1;
}

/* The period: --until (default now), --since (default 24 hours before
 * it).  Returns 0 or -1 (said). */
static int
resolve_period(struct report_args *a, int64_t now)
{
    char ts[32], tu[32];

    a->until = now;
    if (parse_when("until", a->until_arg, now, &a->until) != 0)
        return -1;
    a->since = a->until - 86400;
    if (parse_when("since", a->since_arg, now, &a->since) != 0)
        return -1;
    if (a->since >= a->until) {
        fmt_time(a->since, ts, sizeof(ts));
        fmt_time(a->until, tu, sizeof(tu));
        fprintf(stderr, "meshca report: the period is empty: --since %s is "
            "not before --until %s\n", ts, tu);
        return -1;
    }
    return 0;
}

/*
 * "/v1/report" with the period's query into path.  What the person left
 * out is left to the server's clock: with no --until the period runs to
 * the server's "now" (a certificate issued this second is in it), with
 * neither it is the server's last 24 hours.  --until alone means the 24
 * hours before it.  Returns 0 or -1.
 */
static int
report_path(const struct report_args *a, char *path, size_t pathlen)
{
    char ts[32], tu[32], *es = NULL, *eu = NULL;
    int r = -1;

    fmt_time(a->since, ts, sizeof(ts));
    fmt_time(a->until, tu, sizeof(tu));
    if (((a->since_arg != NULL || a->until_arg != NULL) &&
        (es = curl_easy_escape(NULL, ts, 0)) == NULL) ||
        (a->until_arg != NULL && (eu = curl_easy_escape(NULL, tu, 0)) ==
        NULL))
        goto out;
    snprintf(path, pathlen, "/v1/report%s%s%s%s%s",
        es || eu ? "?" : "", es ? "since=" : "", es ? es : "",
        es && eu ? "&until=" : eu ? "until=" : "", eu ? eu : "");
    r = 0;
out:
    curl_free(es);
    curl_free(eu);
    return r;
}

/* GET /v1/report into *repp.  Returns 0 or the exit status (said). */
static int
fetch_report(const struct report_args *a, json_t **repp)
{
    struct cli_conn conn;
    struct cli_response resp;
    json_error_t jerr;
    char *token = NULL, path[512];
    int rc = EXIT_USAGE;

    memset(&resp, 0, sizeof(resp));
    if (cli_conn_setup("report", &a->flags, &conn) != 0 ||
        cli_token_get("report", &conn, a->token_file, &token) != 0)
        goto out;
    rc = EXIT_REFUSED;
    if (report_path(a, path, sizeof(path)) != 0)
        goto out;
    if (cli_http(&conn, "GET", path, token, NULL, REPORT_RESPONSE_MAX,
        &resp) != 0) {
        if (resp.too_big)
            fprintf(stderr, "meshca report: cannot reach the server: "
                "%.150s: the report is larger than 512 MiB; ask for a "
                "shorter period\n", conn.server);
        else
            fprintf(stderr, "meshca report: cannot reach the server: "
                "%s\n", resp.error);
        rc = EXIT_UNREACHABLE;
        goto out;
    }
    if (resp.status != 200) {
        cli_print_error("report", &resp);
        goto out;
    }
    if ((*repp = json_loadb(resp.body, resp.len, 0, &jerr)) == NULL) {
        fprintf(stderr, "meshca report: the server's answer is not a "
            "JSON report: %s\n", jerr.text);
        goto out;
    }
    rc = 0;
out:
    cli_response_free(&resp);
    cli_secure_free(token);
    return rc;
}

/* Renders rep and writes it to --output or stdout.  Returns 0 or -1
 * (said). */
static int
write_report(const struct report_args *a, const json_t *rep)
{
    char *text = NULL;
    size_t len = 0, n;
    long long total;
    int r, ret = -1;

    if ((r = report_render_to(rep, a->fmt, &text, &len)) != 0) {
        fprintf(stderr, "meshca report: cannot render the report: %s\n",
            cli_strerror(r));
        goto out;
    }
    if (a->output != NULL && strcmp(a->output, "-") != 0) {
        if (install_write_file(a->output, text, len, 0644) != 0) {
            fprintf(stderr, "meshca report: cannot write %s: %s\n",
                a->output, strerror(errno));
            goto out;
        }
        if (report_rows_cut(rep, "access", "certificates", &n, &total))
            fprintf(stderr, "meshca report: wrote %s (%zu of %lld "
                "certificates)\n", a->output, n, total);
        else
            fprintf(stderr, "meshca report: wrote %s (%zu certificate%s)\n",
                a->output, n, n == 1 ? "" : "s");
    } else if (write_stdout(text, len) != 0) {
        fprintf(stderr, "meshca report: cannot write to standard output: "
            "%s\n", strerror(errno));
        goto out;
    }
    ret = 0;
out:
    free(text);
    return ret;
}

/* Warns on stderr when the report lists fewer certificates (or valid
 * ones) than its totals count: meshcad bounds the rows, and the CSV and
 * the tables hold only those. */
static void
warn_cut(const json_t *rep)
{
    static const char *const what[][3] = {
        { "access", "certificates", "certificates issued" },
        { "active", "active_now", "certificates valid now" },
    };
    long long total;
    size_t i, n;

    for (i = 0; i < sizeof(what) / sizeof(what[0]); i++)
        if (report_rows_cut(rep, what[i][0], what[i][1], &n, &total))
            fprintf(stderr, "meshca report: WARNING: the report lists %zu "
                "of the period's %lld %s (meshcad's limit); narrow --since "
                "and --until to list the rest\n", n, total, what[i][2]);
}

/* Warns on stderr when the report's ledger integrity did not verify. */
static void
warn_integrity(const json_t *rep)
{
    const json_t *integ = json_object_get(rep, "integrity");
    const char *msg;
    long long bad;

    if (json_is_true(json_object_get(integ, "verified")))
        return;
    msg = json_string_value(json_object_get(integ, "message"));
    if (json_is_integer(json_object_get(integ, "first_bad"))) {
        bad = (long long)json_integer_value(json_object_get(integ,
            "first_bad"));
        fprintf(stderr, "meshca report: WARNING: the ledger's log "
            "is BROKEN at %lld: %s\n", bad, msg ? msg : "no detail");
    } else
        fprintf(stderr, "meshca report: WARNING: the ledger's log "
            "checkpoint is not verified: %s\n", msg ? msg :
            "the report carries no integrity check");
}

int
cmd_report(int argc, char **argv)
{
    struct report_args a = { NULL, NULL, "html", NULL, NULL, NULL,
        { NULL, NULL, 0 }, REPORT_FORMAT_HTML, 0, 0 };
    json_t *rep = NULL;
    json_error_t jerr;
    int rc;

    if ((rc = parse_args(argc, argv, &a)) >= 0)
        return rc;
    if (resolve_period(&a, (int64_t)time(NULL)) != 0)
        return EXIT_USAGE;
    rc = EXIT_REFUSED;
    if (a.input != NULL) {
        if ((rep = json_load_file(a.input, JSON_REJECT_DUPLICATES, &jerr)) ==
            NULL) {
            fprintf(stderr, "meshca report: cannot read the report %s: %s "
                "(line %d)\n", a.input, jerr.text, jerr.line);
            goto out;
        }
    } else if ((rc = fetch_report(&a, &rep)) != 0)
        goto out;
    rc = EXIT_REFUSED;
    if (!json_is_object(rep) || !json_is_object(json_object_get(rep,
        "totals"))) {
        fprintf(stderr, "meshca report: %s is not a meshca report (no "
            "\"totals\")\n", a.input ? a.input : "the server's answer");
        goto out;
    }
    if (write_report(&a, rep) != 0)
        goto out;
    warn_cut(rep);
    warn_integrity(rep);
    rc = 0;
out:
    json_decref(rep);
    return rc;
}
