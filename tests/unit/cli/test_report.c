/* Unit tests for cli/report.c (the compliance report's renderer) and the
 * argument handling of cli/cmd_report.c: HTML escaping, CSV quoting and
 * formula guards, the SVG chart with 0, 1 and many buckets, the integrity
 * line both ways, totals, row order, times; and a 10k-row render whose time
 * is printed (a figure, not an assertion). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "../../../cli/cli.h"
#include "../../../cli/report.h"
#include "../../lib/unit.h"

/* 2026-11-22T13:00:00Z */
#define UNTIL 1795352400

static size_t
count_of(const char *hay, const char *needle)
{
    size_t n = 0, len = strlen(needle);
    const char *p = hay;

    while ((p = strstr(p, needle)) != NULL) {
        n++;
        p += len;
    }
    return n;
}

#define ASSERT_HAS(hay, needle)                                                \
    do {                                                                       \
        if (strstr((hay), (needle)) == NULL)                                   \
            unit_fail(__FILE__, __LINE__, "output lacks \"%s\"", (needle));   \
    } while (0)
#define ASSERT_LACKS(hay, needle)                                              \
    do {                                                                       \
        if (strstr((hay), (needle)) != NULL)                                   \
            unit_fail(__FILE__, __LINE__, "output has \"%s\"", (needle));     \
    } while (0)

static char *
iso(int64_t t, char *out, size_t outlen)
{
    return cli_format_time((uint64_t)t, out, outlen);
}

/* One access row. */
static json_t *
access_row(const char *serial, const char *email, const char *role,
    json_t *principals, const char *reason, int64_t after, int64_t secs,
    int revoked)
{
    char a[32], b[32];

    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:s, "
        "s:I, s:b, s:s}", "serial", serial, "key_id", "kid", "subject",
        "sub-of-someone", "email", email, "issuer", "https://idp.example.com",
        "role", role, "principals", principals, "reason",
        reason ? json_string(reason) : json_null(), "valid_after",
        iso(after, a, sizeof(a)), "valid_before", iso(after + secs, b,
        sizeof(b)), "duration_seconds", (json_int_t)secs, "revoked", revoked,
        "client_address", "10.0.0.5");
}

/* A small report around `access` (stolen).  Totals are given. */
static json_t *
report_with(json_t *access, json_t *integrity)
{
    json_t *r = json_pack("{s:s, s:{s:s, s:s}, s:{s:i, s:i, s:i, s:i, s:i}, "
        "s:o, s:[{s:s, s:i}], s:[{s:s, s:s, s:s, s:s, s:s}], "
        "s:[{s:s, s:s, s:n, s:s, s:[s], s:s}], s:[], s:o}",
        "generated_at", "2026-11-22T13:00:00Z",
        "period", "since", "2026-11-21T13:00:00Z", "until",
        "2026-11-22T13:00:00Z",
        "totals", "certificates", 12, "subjects", 3, "denials", 2,
        "revocations", 1, "active_now", 4,
        "access", access,
        "issuance_by_hour", "hour", "2026-11-22T12:00:00Z", "count", 7,
        "revocations", "kind", "serial", "value", "77", "reason",
        "left the team", "revoked_by", "carol@example.com", "revoked_at",
        "2026-11-22T12:30:00Z",
        "denials", "at", "2026-11-22T11:00:00Z", "subject", "ci-bot",
        "email", "issuer", "https://ci", "principals", "payments/db",
        "reason", "principal payments/db is not granted: no role names it",
        "active",
        "integrity", integrity);

    if (r == NULL)
        unit_fail(__FILE__, __LINE__, "json_pack failed");
    return r;
}

static json_t *
integrity_ok(void)
{
    return json_pack("{s:b, s:i, s:i, s:s, s:n, s:s}", "verified", 1,
        "records", 20, "head_seq", 20, "head_hash",
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "first_bad", "message", "chain verified through record 20");
}

static char *
render(const json_t *r, enum report_format f, size_t *lenp)
{
    char *out = NULL;
    size_t len = 0;

    ASSERT_OK(report_render_to(r, f, &out, &len));
    ASSERT(out != NULL);
    ASSERT_INT_EQ(strlen(out), len);
    if (lenp != NULL)
        *lenp = len;
    return out;
}

/* s through one of the report's escapes (HTML, text). */
static char *
escaped(int (*fn)(const char *, char **, size_t *), const char *s)
{
    char *out = NULL;
    size_t len = 0;

    ASSERT_OK(fn(s, &out, &len));
    ASSERT_INT_EQ(strlen(out), len);
    return out;
}

static char *
esc(const char *s)
{
    return escaped(report_html_escape, s);
}

TEST(test_report_escape_turns_markup_into_entities)
{
    char *e;

    e = esc("<script>alert(\"x\")</script> & 'y'");
    ASSERT_STR_EQ(e, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; "
        "&amp; &#39;y&#39;");
    free(e);
    e = esc("plain text, INC-1");
    ASSERT_STR_EQ(e, "plain text, INC-1");
    free(e);
    e = esc("");
    ASSERT_STR_EQ(e, "");
    free(e);
    e = esc(NULL);
    ASSERT_STR_EQ(e, "&mdash;");
    free(e);
    /* Controls (an escape sequence, a bell) cannot reach the page; tab and
     * newline are text. */
    e = esc("a\x1b[31m\x07\tb\nc");
    ASSERT_STR_EQ(e, "a&#xFFFD;[31m&#xFFFD;\tb\nc");
    free(e);
    /* UTF-8 passes through untouched. */
    e = esc("J\xc3\xbcrgen \xe2\x80\x94 ok");
    ASSERT_STR_EQ(e, "J\xc3\xbcrgen \xe2\x80\x94 ok");
    free(e);
}

/* Asserts that the text escape of in is want. */
static void
text_is(const char *in, const char *want)
{
    char *e = escaped(report_text_escape, in);

    ASSERT_STR_EQ(e, want);
    free(e);
}

TEST(test_report_text_escape_keeps_controls_off_the_terminal)
{
    /* C0 controls (OSC title, clear screen, bell, newline) and DEL. */
    text_is("app\x1b]0;owned\x07\x1b[2J\n\x7f",
        "app\\x1b]0;owned\\x07\\x1b[2J\\x0a\\x7f");
    /* C1 CSI as UTF-8 (U+009B), a lone 0x9b, a cut sequence. */
    text_is("a\xc2\x9b" "31m b\x9b" "c \xe2\x80",
        "a\\xc2\\x9b" "31m b\\x9b" "c \\xe2\\x80");
    /* UTF-8 text stays; a backslash is doubled so \x.. is unambiguous. */
    text_is("J\xc3\xbcrgen \xe2\x80\x94 \xf0\x9f\x94\x91 C:\\x",
        "J\xc3\xbcrgen \xe2\x80\x94 \xf0\x9f\x94\x91 C:\\\\x");
    /* Overlong and surrogate encodings are not UTF-8. */
    text_is("\xc0\xaf\xed\xa0\x80", "\\xc0\\xaf\\xed\\xa0\\x80");
    text_is("", "");
    text_is(NULL, "-");
}

TEST(test_report_rows_cut_compares_rows_with_totals)
{
    json_t *r = json_pack("{s:[{s:s},{s:s}], s:[], s:{s:i, s:i}}", "access",
        "serial", "1", "serial", "2", "active", "totals", "certificates", 5,
        "active_now", 0);
    size_t n = 0;
    long long t = 0;

    ASSERT(r != NULL);
    ASSERT_INT_EQ(report_rows_cut(r, "access", "certificates", &n, &t), 1);
    ASSERT_INT_EQ(n, 2);
    ASSERT_INT_EQ(t, 5);
    ASSERT_INT_EQ(report_rows_cut(r, "active", "active_now", &n, &t), 0);
    ASSERT_INT_EQ(n, 0);
    ASSERT_INT_EQ(t, 0);
    /* No totals: the rows are all there is. */
    ASSERT_INT_EQ(report_rows_cut(r, "access", "subjects", &n, &t), 0);
    ASSERT_INT_EQ(t, 2);
    json_decref(r);
}

TEST(test_report_html_renders_hostile_strings_inert)
{
    json_t *acc = json_pack("[o]", access_row("1",
        "\"><img src=x onerror=alert(1)>@evil", "<b>role</b>",
        json_pack("[s]", "<svg/onload=alert(2)>"),
        "<script>alert(document.cookie)</script>", UNTIL - 3600, 600, 0));
    json_t *r = report_with(acc, integrity_ok());
    char *h;

    json_object_set_new(json_array_get(json_object_get(r, "denials"), 0),
        "reason", json_string("</td></tr></table><script>x()</script>"));
    h = render(r, REPORT_FORMAT_HTML, NULL);
    ASSERT_HAS(h, "&lt;script&gt;alert(document.cookie)&lt;/script&gt;");
    ASSERT_HAS(h, "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;@evil");
    ASSERT_HAS(h, "&lt;svg/onload=alert(2)&gt;");
    ASSERT_HAS(h, "&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;script&gt;");
    ASSERT_LACKS(h, "<script");
    ASSERT_LACKS(h, "<img");
    ASSERT_LACKS(h, "<svg/");
    ASSERT_LACKS(h, "<b>role");
    /* Only the chart's own <svg> element. */
    ASSERT_INT_EQ(count_of(h, "<svg"), 1);
    free(h);
    json_decref(r);
}

TEST(test_report_html_is_self_contained)
{
    json_t *acc = json_pack("[o]", access_row("1", "a@example.com", "r",
        json_pack("[s]", "payments/api"), "INC-1", UNTIL - 3600, 600, 0));
    json_t *r = report_with(acc, integrity_ok());
    char *h = render(r, REPORT_FORMAT_HTML, NULL);
    static const char *const banned[] = { "<script", "src=", "href=",
        "url(", "@import", "<link", "<iframe", "<object", "<embed",
        "http-equiv", "@font-face" };
    size_t i;

    ASSERT(strncmp(h, "<!DOCTYPE html>", 15) == 0);
    ASSERT_HAS(h, "<meta charset=\"utf-8\">");
    ASSERT_HAS(h, "<style>");
    for (i = 0; i < sizeof(banned) / sizeof(banned[0]); i++)
        ASSERT_LACKS(h, banned[i]);
    ASSERT_HAS(h, "</html>\n");
    free(h);
    json_decref(r);
}

/* A CSV cell and how report_csv_cell writes it. */
struct csv_case {
    const char *in, *want;
};

/* Every case of cases[0..n) comes out as it should, with its length. */
static void
csv_cells_check(const struct csv_case *cases, size_t n)
{
    char *out = NULL;
    size_t len = 0, i;

    for (i = 0; i < n; i++) {
        ASSERT_OK(report_csv_cell(cases[i].in, &out, &len));
        ASSERT_STR_EQ(out, cases[i].want);
        ASSERT_INT_EQ(len, strlen(cases[i].want));
        free(out);
    }
}

TEST(test_report_csv_cell_quotes_per_rfc4180)
{
    static const struct csv_case cases[] = {
        { "abc", "\"abc\"" },
        { "", "\"\"" },
        { "say \"hi\"", "\"say \"\"hi\"\"\"" },
        { "a,b\r\nc", "\"a,b\r\nc\"" },
        { "\"", "\"\"\"\"" },
        { "INC-1 (a=b)", "\"INC-1 (a=b)\"" },
    };
    char *out = NULL;
    size_t len = 0;

    csv_cells_check(cases, sizeof(cases) / sizeof(cases[0]));
    ASSERT_OK(report_csv_cell(NULL, &out, &len));
    ASSERT_STR_EQ(out, "\"\"");
    free(out);
}

TEST(test_report_csv_cell_guards_against_formulas)
{
    static const struct csv_case cases[] = {
        { "=1+2", "\"'=1+2\"" },
        { "+1", "\"'+1\"" },
        { "-2+3", "\"'-2+3\"" },
        { "@SUM(A1:A9)", "\"'@SUM(A1:A9)\"" },
        { "\t=1", "\"'\t=1\"" },
        { "\r=1", "\"'\r=1\"" },
        { "=HYPERLINK(\"http://evil/\",\"x\")",
          "\"'=HYPERLINK(\"\"http://evil/\"\",\"\"x\"\")\"" },
        /* Only the first character matters. */
        { "a=1", "\"a=1\"" },
        { "INC-1", "\"INC-1\"" },
    };

    csv_cells_check(cases, sizeof(cases) / sizeof(cases[0]));
}

/* A strict RFC 4180 reader: the number of fields of each record, filled
 * into nf (at most max records); returns the record count or -1 on a
 * malformed document (a bare quote, an unterminated field, a bare CR). */
static int
csv_records(const char *s, int *nf, int max)
{
    int nrec = 0, fields = 1;
    const char *p = s;

    while (*p != '\0') {
        if (*p == '"') {
            for (p++;; p++) {
                if (*p == '\0')
                    return -1;
                if (*p == '"' && p[1] == '"') {
                    p++;
                    continue;
                }
                if (*p == '"')
                    break;
            }
            p++;
            if (*p != ',' && *p != '\r')
                return -1;
            continue;
        }
        if (*p == ',') {
            fields++;
            p++;
        } else if (*p == '\r') {
            if (p[1] != '\n' || nrec >= max)
                return -1;
            nf[nrec++] = fields;
            fields = 1;
            p += 2;
        } else if (*p == '\n')
            return -1;
        else
            p++;
    }
    return nrec;
}

TEST(test_report_csv_has_a_row_per_certificate_and_principal)
{
    json_t *acc = json_pack("[o, o, o]",
        access_row("30", "b@example.com", "oncall", json_pack("[s, s]",
            "payments/worker", "payments/api"), "=cmd|' /C calc'!A0",
            UNTIL - 1800, 900, 1),
        access_row("10", "a@example.com", "oncall", json_pack("[s]",
            "payments/api"), "line one\r\nline \"two\", with comma",
            UNTIL - 7200, 300, 0),
        access_row("20", "c@example.com", "debug", json_pack("[s]",
            "mesh/ingress"), NULL, UNTIL - 3600, 600, 0));
    json_t *r = report_with(acc, integrity_ok());
    char *c = render(r, REPORT_FORMAT_CSV, NULL);
    const char *l1, *l2, *l3;
    int nf[16], n, i;

    static const char hdr[] = "principal,serial,key_id,subject,email,"
        "issuer,role,reason,valid_after,valid_before,duration_seconds,"
        "revoked,client_address\r\n";

    ASSERT(strncmp(c, hdr, strlen(hdr)) == 0);
    n = csv_records(c, nf, 16);
    ASSERT_INT_EQ(n, 5); /* header + 4 rows (one certificate names two) */
    for (i = 0; i < n; i++)
        ASSERT_INT_EQ(nf[i], 13);
    /* Sorted by principal, then start time. */
    l1 = strstr(c, "\"mesh/ingress\",\"20\"");
    l2 = strstr(c, "\"payments/api\",\"10\"");
    l3 = strstr(c, "\"payments/api\",\"30\"");
    ASSERT(l1 != NULL && l2 != NULL && l3 != NULL);
    ASSERT(l1 < l2 && l2 < l3);
    ASSERT(l3 < strstr(c, "\"payments/worker\",\"30\""));
    ASSERT_HAS(c, "\"'=cmd|' /C calc'!A0\"");
    ASSERT_HAS(c, "\"line one\r\nline \"\"two\"\", with comma\"");
    ASSERT_HAS(c, ",900,yes,\"10.0.0.5\"\r\n");
    ASSERT_HAS(c, ",300,no,");
    /* A null reason is an empty cell. */
    ASSERT_HAS(c, "\"debug\",\"\",");
    free(c);
    json_decref(r);
}

static char *
chart(const json_t *hours, int64_t since, int64_t until)
{
    char *out = NULL;
    size_t len = 0;

    ASSERT_OK(report_chart_svg(hours, since, until, &out, &len));
    ASSERT(strncmp(out, "<svg ", 5) == 0);
    ASSERT_HAS(out, "</svg>\n");
    ASSERT_HAS(out, "class=\"axis\"");
    return out;
}

/* Every bar's geometry: inside the plot, heights into h[]. */
static size_t
bars(const char *svg, double *h, size_t max)
{
    const char *p = svg;
    double x, y, w, hh;
    size_t n = 0;

    while ((p = strstr(p, "<rect class=\"bar\"")) != NULL) {
        if (sscanf(p, "<rect class=\"bar\" x=\"%lf\" y=\"%lf\" width=\"%lf\" "
            "height=\"%lf\"", &x, &y, &w, &hh) != 4)
            unit_fail(__FILE__, __LINE__, "unreadable bar at %.60s", p);
        ASSERT(x >= 58 && x + w <= 960 - 18 + 0.01);
        ASSERT(w > 0 && hh > 0);
        ASSERT(y >= 18 - 0.01 && y + hh <= 290 - 56 + 0.01);
        if (n < max)
            h[n] = hh;
        n++;
        p++;
    }
    return n;
}

TEST(test_report_chart_with_no_buckets_says_so)
{
    json_t *hours = json_array();
    char *s = chart(hours, UNTIL - 86400, UNTIL);

    ASSERT_INT_EQ(bars(s, NULL, 0), 0);
    ASSERT_HAS(s, "No certificates were issued in this period");
    ASSERT_HAS(s, "hour (UTC)");
    ASSERT_HAS(s, ">0</text>");
    ASSERT_HAS(s, "0 in all");
    free(s);
    /* No period either: still a well-formed, empty chart. */
    s = chart(hours, 0, 0);
    ASSERT_INT_EQ(bars(s, NULL, 0), 0);
    ASSERT_HAS(s, "No certificates were issued in this period");
    free(s);
    /* Malformed buckets are left out, not drawn. */
    json_array_append_new(hours, json_pack("{s:s, s:i}", "hour", "yesterday",
        "count", 3));
    json_array_append_new(hours, json_pack("{s:s, s:i}", "hour",
        "2026-11-22T10:00:00Z", "count", -1));
    json_array_append_new(hours, json_pack("{s:s, s:s}", "hour",
        "2026-11-22T10:00:00Z", "count", "many"));
    json_array_append_new(hours, json_pack("{s:s, s:I}", "hour",
        "2026-11-22T10:00:00Z", "count", (json_int_t)9223372036854775807LL));
    s = chart(hours, UNTIL - 86400, UNTIL);
    ASSERT_INT_EQ(bars(s, NULL, 0), 0);
    free(s);
    json_decref(hours);
    /* Many large (valid) buckets in one bar saturate instead of
     * overflowing. */
    hours = json_array();
    for (int i = 0; i < 20000; i++)
        json_array_append_new(hours, json_pack("{s:s, s:I}", "hour",
            "2026-11-22T10:00:00Z", "count", (json_int_t)1000000000000LL));
    s = chart(hours, UNTIL - 86400, UNTIL);
    ASSERT_INT_EQ(bars(s, NULL, 0), 1);
    free(s);
    json_decref(hours);
}

TEST(test_report_chart_with_one_bucket_draws_one_bar)
{
    json_t *hours = json_pack("[{s:s, s:i}]", "hour", "2026-11-22T12:00:00Z",
        "count", 7);
    double h[2];
    char *s = chart(hours, UNTIL - 86400, UNTIL);

    ASSERT_INT_EQ(bars(s, h, 2), 1);
    ASSERT_HAS(s, "<title>2026-11-22 12:00 UTC: 7 certificates</title>");
    ASSERT_HAS(s, "7 in all");
    ASSERT_LACKS(s, "No certificates were issued");
    /* 7 on an axis to 8 (steps of 2): 7/8 of the 216 px plot. */
    ASSERT(h[0] > 188.9 && h[0] < 189.1);
    ASSERT_HAS(s, ">8</text>");
    ASSERT_HAS(s, "Nov 21</text>");
    free(s);
    /* Without a period, the bucket's own hour is the span. */
    s = chart(hours, 0, 0);
    ASSERT_INT_EQ(bars(s, h, 2), 1);
    ASSERT_HAS(s, ">12:00</text>");
    free(s);
    json_decref(hours);
}

TEST(test_report_chart_with_many_buckets_scales_and_labels)
{
    json_t *hours = json_array();
    double h[64];
    char t[32], *s;
    size_t i, n;

    /* 48 hours, every other one busy, the busiest 120. */
    for (i = 0; i < 48; i += 2)
        json_array_append_new(hours, json_pack("{s:s, s:I}", "hour",
            iso(UNTIL - 48 * 3600 + (int64_t)i * 3600, t, sizeof(t)),
            "count", (json_int_t)(i == 20 ? 120 : 10 + i)));
    s = chart(hours, UNTIL - 48 * 3600, UNTIL);
    n = bars(s, h, 64);
    ASSERT_INT_EQ(n, 24);
    /* Heights follow the counts: the 120 is the tallest, equal counts are
     * equal, and 120 fills 120/ymax of the plot. */
    for (i = 0; i < n; i++)
        ASSERT(i == 10 || h[i] < h[10]);
    ASSERT(h[1] > h[0]);
    ASSERT_HAS(s, ">120</text>");
    ASSERT_HAS(s, ">00:00</text>");
    ASSERT_HAS(s, "Nov 21</text>");
    ASSERT_HAS(s, "Nov 22</text>");
    ASSERT_HAS(s, "hour (UTC)");
    free(s);
    json_decref(hours);

    /* 30 days of one certificate an hour: drawn per day, 24 a bar. */
    hours = json_array();
    for (i = 0; i < 30 * 24; i++)
        json_array_append_new(hours, json_pack("{s:s, s:i}", "hour",
            iso(UNTIL - 30 * 86400 + (int64_t)i * 3600, t, sizeof(t)),
            "count", 1));
    s = chart(hours, UNTIL - 30 * 86400, UNTIL);
    n = bars(s, h, 64);
    ASSERT_INT_EQ(n, 31); /* 13:00 to 13:00 spans 31 calendar days */
    ASSERT_HAS(s, "day (UTC)");
    ASSERT_HAS(s, "certificates issued per day: 720 in all");
    ASSERT_HAS(s, ": 24 certificates</title>");
    free(s);
    json_decref(hours);
}

TEST(test_report_integrity_line_verified)
{
    json_t *in = integrity_ok();
    char *out = NULL;
    size_t len = 0;

    ASSERT_OK(report_integrity_html(in, &out, &len));
    ASSERT_STR_EQ(out, "<p class=\"integrity ok\" id=\"integrity\">Ledger "
        "integrity: chain verified through record 20, head hash "
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
        "</p>\n");
    free(out);
    json_decref(in);
}

TEST(test_report_integrity_line_broken_is_red_and_escaped)
{
    json_t *in = json_pack("{s:b, s:i, s:i, s:s, s:i, s:s}", "verified", 0,
        "records", 20, "head_seq", 20, "head_hash", "00", "first_bad", 17,
        "message", "record 17 (certificate serial 5): hash <mismatch>");
    char *out = NULL;
    size_t len = 0;

    ASSERT_OK(report_integrity_html(in, &out, &len));
    ASSERT_STR_EQ(out, "<p class=\"integrity bad\" id=\"integrity\" "
        "role=\"alert\">Ledger integrity: BROKEN at record 17 &mdash; record "
        "17 (certificate serial 5): hash &lt;mismatch&gt;</p>\n");
    free(out);
    /* Broken without a record number. */
    json_object_set_new(in, "first_bad", json_null());
    ASSERT_OK(report_integrity_html(in, &out, &len));
    ASSERT_HAS(out, "Ledger integrity: BROKEN &mdash; record 17");
    free(out);
    /* "verified" must be true, not merely present. */
    json_object_set_new(in, "verified", json_string("true"));
    ASSERT_OK(report_integrity_html(in, &out, &len));
    ASSERT_HAS(out, "integrity bad");
    free(out);
    /* No integrity block at all is not a pass. */
    ASSERT_OK(report_integrity_html(NULL, &out, &len));
    ASSERT_HAS(out, "integrity bad");
    ASSERT_HAS(out, "Ledger integrity: NOT VERIFIED");
    free(out);
    json_decref(in);
}

TEST(test_report_html_shows_totals_and_sections)
{
    json_t *acc = json_pack("[o, o]",
        access_row("5", "b@example.com", "oncall", json_pack("[s]",
            "payments/api"), "INC-2", UNTIL - 600, 900, 0),
        access_row("6", "a@example.com", "oncall", json_pack("[s]",
            "payments/api"), "INC-1", UNTIL - 7200, 900, 1));
    json_t *r = report_with(acc, integrity_ok());
    char *h = render(r, REPORT_FORMAT_HTML, NULL);
    const char *a, *b;

    ASSERT_HAS(h, "<td id=\"t-certs\">12</td>");
    ASSERT_HAS(h, "<td id=\"t-subjects\">3</td>");
    ASSERT_HAS(h, "<td id=\"t-denials\">2</td>");
    ASSERT_HAS(h, "<td id=\"t-revocations\">1</td>");
    ASSERT_HAS(h, "<td id=\"t-active\">4</td>");
    ASSERT_HAS(h, "Period <b>2026-11-21 13:00:00</b> to <b>2026-11-22 "
        "13:00:00</b> UTC");
    ASSERT_HAS(h, "generated 2026-11-22 13:00:00 UTC");
    ASSERT_HAS(h, "Ledger integrity: chain verified through record 20, head "
        "hash 9f86d081");
    ASSERT_HAS(h, "<h3>payments/api<span class=\"n\">2 certificates</span>");
    ASSERT_HAS(h, "badge b-rev\">revoked");
    ASSERT_HAS(h, "badge b-act\">valid");
    ASSERT_HAS(h, "<td class=\"d\">15m</td>");
    ASSERT_HAS(h, "left the team");
    ASSERT_HAS(h, "principal payments/db is not granted");
    ASSERT_HAS(h, "No certificate is valid right now.");
    /* Rows in start-time order, whatever the input order. */
    a = strstr(h, "INC-1");
    b = strstr(h, "INC-2");
    ASSERT(a != NULL && b != NULL && a < b);
    free(h);

    /* Thousands separators; a missing total is a dash, not a zero. */
    json_object_set_new(json_object_get(r, "totals"), "certificates",
        json_integer(12345));
    json_object_del(json_object_get(r, "totals"), "denials");
    h = render(r, REPORT_FORMAT_HTML, NULL);
    ASSERT_HAS(h, "<td id=\"t-certs\">12,345</td>");
    ASSERT_HAS(h, "<td id=\"t-denials\">&mdash;</td>");
    free(h);
    json_decref(r);
}

TEST(test_report_render_refuses_a_non_object_and_keeps_json)
{
    json_t *arr = json_array(), *r, *back;
    char *out = NULL, *j;
    size_t len = 7;

    ASSERT_ERR(report_render_to(arr, REPORT_FORMAT_HTML, &out, &len),
        MESHCA_ERR_INVALID_FORMAT);
    ASSERT(out == NULL && len == 0);
    ASSERT_ERR(report_render_to(NULL, REPORT_FORMAT_CSV, &out, &len),
        MESHCA_ERR_INVALID_FORMAT);
    json_decref(arr);
    /* An object with nothing in it still renders (dashes and "none"). */
    r = json_object();
    j = render(r, REPORT_FORMAT_HTML, NULL);
    ASSERT_HAS(j, "Ledger integrity: NOT VERIFIED");
    free(j);
    json_decref(r);

    r = report_with(json_pack("[o]", access_row("1", "a@example.com", "r",
        json_pack("[s]", "p/q"), NULL, UNTIL - 60, 300, 0)),
        integrity_ok());
    j = render(r, REPORT_FORMAT_JSON, &len);
    ASSERT(j[len - 1] == '\n');
    ASSERT_HAS(j, "\n  \"totals\": {\n");
    back = json_loads(j, 0, NULL);
    ASSERT(back != NULL && json_equal(back, r));
    json_decref(back);
    free(j);
    json_decref(r);
}

TEST(test_report_format_names)
{
    enum report_format f = REPORT_FORMAT_JSON;

    ASSERT_OK(report_format_parse("html", &f));
    ASSERT_INT_EQ(f, REPORT_FORMAT_HTML);
    ASSERT_OK(report_format_parse("csv", &f));
    ASSERT_INT_EQ(f, REPORT_FORMAT_CSV);
    ASSERT_OK(report_format_parse("json", &f));
    ASSERT_INT_EQ(f, REPORT_FORMAT_JSON);
    ASSERT_ERR(report_format_parse("pdf", &f), MESHCA_ERR_INVALID_ARGUMENT);
    ASSERT_ERR(report_format_parse("HTML", &f), MESHCA_ERR_INVALID_ARGUMENT);
    ASSERT_INT_EQ(f, REPORT_FORMAT_JSON);
}

TEST(test_report_parses_times)
{
    static const struct {
        const char *s;
        int64_t want;
    } good[] = {
        { "2026-11-22T13:00:00Z", UNTIL },
        { "2026-11-22t13:00:00z", UNTIL },
        { "2026-11-22 13:00:00Z", UNTIL },
        { "2026-11-22T13:00:00.999Z", UNTIL },
        { "2026-11-22T15:30:00+02:30", UNTIL },
        { "2026-11-22T08:00:00-05:00", UNTIL },
        { "2026-11-22", UNTIL - 13 * 3600 },
        { "1970-01-01T00:00:00Z", 0 },
        { "2024-02-29T00:00:00Z", 1709164800 },
    };
    static const char *const bad[] = { "", "2026-11-22T13:00:00",
        "2026-02-29T00:00:00Z", "2026-13-01", "2026-11-31", "2026-11-22T24:00:00Z",
        "2026-11-22T13:60:00Z", "2026-11-22T13:00:00+2:00", "2026-11-22T13:00Z",
        "26-11-22", "2026-11-22Tnoon", "2026-11-22T13:00:00Z junk",
        "2026-11-22T13:00:00.Z", "yesterday", "1795352400" };
    int64_t t;
    size_t i;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        t = -1;
        ASSERT_OK(report_parse_time(good[i].s, &t));
        if (t != good[i].want)
            unit_fail(__FILE__, __LINE__, "%s gave %lld, want %lld", good[i].s,
                (long long)t, (long long)good[i].want);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        t = 42;
        if (report_parse_time(bad[i], &t) == 0)
            unit_fail(__FILE__, __LINE__, "\"%s\" was accepted", bad[i]);
        ASSERT_INT_EQ(t, 42);
    }
    /* Relative times count back from now. */
    ASSERT_OK(report_parse_when("24h", UNTIL, &t));
    ASSERT_INT_EQ(t, UNTIL - 86400);
    ASSERT_OK(report_parse_when("7d", UNTIL, &t));
    ASSERT_INT_EQ(t, UNTIL - 7 * 86400);
    ASSERT_OK(report_parse_when("1h30m", UNTIL, &t));
    ASSERT_INT_EQ(t, UNTIL - 5400);
    ASSERT_OK(report_parse_when("now", UNTIL, &t));
    ASSERT_INT_EQ(t, UNTIL);
    ASSERT_OK(report_parse_when("2026-11-21T13:00:00Z", 0, &t));
    ASSERT_INT_EQ(t, UNTIL - 86400);
    t = 42;
    ASSERT_ERR(report_parse_when("5", UNTIL, &t), MESHCA_ERR_INVALID_FORMAT);
    ASSERT_ERR(report_parse_when("-1h", UNTIL, &t), MESHCA_ERR_INVALID_FORMAT);
    ASSERT_ERR(report_parse_when(NULL, UNTIL, &t), MESHCA_ERR_INVALID_FORMAT);
    ASSERT_INT_EQ(t, 42);
}

TEST(test_report_command_renders_input_to_a_0644_file)
{
    const char *dir = unit_tmpdir();
    char in[512], outp[512], *argv[8];
    json_t *r = report_with(json_pack("[o]", access_row("1", "a@example.com",
        "r", json_pack("[s]", "p/q"), "INC-9", UNTIL - 60, 300, 0)),
        integrity_ok());
    struct stat st;
    char *h;

    snprintf(in, sizeof(in), "%s/report.json", dir);
    snprintf(outp, sizeof(outp), "%s/report.html", dir);
    ASSERT_INT_EQ(json_dump_file(r, in, 0), 0);
    argv[0] = "report";
    argv[1] = "--input";
    argv[2] = in;
    argv[3] = "--output";
    argv[4] = outp;
    argv[5] = NULL;
    ASSERT_INT_EQ(cmd_report(5, argv), 0);
    ASSERT_INT_EQ(stat(outp, &st), 0);
    ASSERT_INT_EQ(st.st_mode & 07777, 0644);
    h = unit_read_file(outp, NULL);
    ASSERT_HAS(h, "INC-9");
    free(h);
    /* Usage errors exit 2: a bad format, a bad time, an empty period,
     * --input with fetch options, a stray argument. */
    argv[3] = "--format";
    argv[4] = "pdf";
    ASSERT_INT_EQ(cmd_report(5, argv), 2);
    argv[1] = "--since";
    argv[2] = "yesterday";
    argv[3] = NULL;
    ASSERT_INT_EQ(cmd_report(3, argv), 2);
    argv[1] = "--since";
    argv[2] = "1h";
    argv[3] = "--until";
    argv[4] = "2h";
    ASSERT_INT_EQ(cmd_report(5, argv), 2);
    argv[1] = "--input";
    argv[2] = in;
    argv[3] = "--since";
    argv[4] = "1h";
    ASSERT_INT_EQ(cmd_report(5, argv), 2);
    argv[3] = "extra";
    ASSERT_INT_EQ(cmd_report(4, argv), 2);
    /* A file that is not a report fails with 1, leaving no output. */
    unit_write_file(in, "[1, 2]", 6);
    snprintf(outp, sizeof(outp), "%s/none.html", dir);
    argv[3] = "--output";
    argv[4] = outp;
    ASSERT_INT_EQ(cmd_report(5, argv), 1);
    ASSERT(stat(outp, &st) != 0);
    unit_write_file(in, "{\"totals\": ", 11);
    ASSERT_INT_EQ(cmd_report(5, argv), 1);
    json_decref(r);
}

static double
ms_since(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
        (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

TEST(test_report_renders_10k_rows_linearly)
{
    static const char *const prin[] = { "payments/api", "payments/worker",
        "mesh/ingress", "payments/db" };
    json_t *acc = json_array(), *r;
    char serial[32], *out = NULL;
    struct timespec t0;
    size_t len = 0, i;
    double ms_html, ms_csv;

    for (i = 0; i < 10000; i++) {
        snprintf(serial, sizeof(serial), "%zu", 1000000 + i * 7919);
        json_array_append_new(acc, access_row(serial, "someone@example.com",
            "payments-oncall", i % 5 == 0 ? json_pack("[s, s]", prin[i % 4],
            prin[(i + 1) % 4]) : json_pack("[s]", prin[i % 4]),
            i % 3 ? "INC-4821 checkout latency <p99>" : NULL,
            UNTIL - 86400 + (int64_t)((i * 7907) % 86000), 900, i % 50 == 0));
    }
    r = report_with(acc, integrity_ok());
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ASSERT_OK(report_render_to(r, REPORT_FORMAT_HTML, &out, &len));
    ms_html = ms_since(&t0);
    ASSERT_INT_EQ(count_of(out, "<tr><td class=\"nw\">"), 12000);
    ASSERT_INT_EQ(count_of(out, "<h3>"), 4);
    printf("# 10,000 access rows (12,000 row-principals): html %.1f ms, "
        "%zu bytes; ", ms_html, len);
    free(out);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ASSERT_OK(report_render_to(r, REPORT_FORMAT_CSV, &out, &len));
    ms_csv = ms_since(&t0);
    ASSERT_INT_EQ(count_of(out, "\r\n"), 12001);
    printf("csv %.1f ms, %zu bytes\n", ms_csv, len);
    free(out);
    json_decref(r);
}

UNIT_MAIN(T(test_report_escape_turns_markup_into_entities),
    T(test_report_text_escape_keeps_controls_off_the_terminal),
    T(test_report_rows_cut_compares_rows_with_totals),
    T(test_report_html_renders_hostile_strings_inert),
    T(test_report_html_is_self_contained),
    T(test_report_csv_cell_quotes_per_rfc4180),
    T(test_report_csv_cell_guards_against_formulas),
    T(test_report_csv_has_a_row_per_certificate_and_principal),
    T(test_report_chart_with_no_buckets_says_so),
    T(test_report_chart_with_one_bucket_draws_one_bar),
    T(test_report_chart_with_many_buckets_scales_and_labels),
    T(test_report_integrity_line_verified),
    T(test_report_integrity_line_broken_is_red_and_escaped),
    T(test_report_html_shows_totals_and_sections),
    T(test_report_render_refuses_a_non_object_and_keeps_json),
    T(test_report_format_names),
    T(test_report_parses_times),
    T(test_report_command_renders_input_to_a_0644_file),
    T(test_report_renders_10k_rows_linearly))
