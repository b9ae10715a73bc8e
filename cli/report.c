/*
 * The compliance report's renderer (see report.h): JSON report in, HTML /
 * CSV / JSON text out.  Everything is appended to one struct meshca_buf (struct
 * out), so output is linear in the report's size; an error sticks in
 * struct out and is returned once at the end, which keeps the emitters flat.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "meshca/buf.h"
#include "meshca/csv.h"
#include "meshca/duration.h"
#include "meshca/mem.h"
#include "report.h"
#include "report_usage.h"

/* ---- output ---- */

/* The text grows in one struct meshca_buf (limit REPORT_OUTPUT_MAX), created on
 * first use; the first error sticks and is returned by out_finish. */
struct out {
    struct meshca_buf *b;
    int err;            /* 0, or the first MESHCA_ERR_* met */
};

/* 1 when o can take more text. */
static int
out_ready(struct out *o)
{
    if (o->err == 0 && o->b == NULL &&
        (o->b = meshca_buf_new_large(REPORT_OUTPUT_MAX)) == NULL)
        o->err = MESHCA_ERR_ALLOC;
    return o->err == 0;
}

static void
emitn(struct out *o, const char *s, size_t n)
{
    if (n > 0 && out_ready(o))
        o->err = meshca_buf_put(o->b, s, n);
}

static void
emit(struct out *o, const char *s)
{
    emitn(o, s, strlen(s));
}

static void
emitf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
emitf(struct out *o, const char *fmt, ...)
{
    va_list ap;

    if (!out_ready(o))
        return;
    va_start(ap, fmt);
    o->err = meshca_buf_vputf(o->b, fmt, ap);
    va_end(ap);
}

/* Hands the text out, or frees it and returns the error. */
static int
out_finish(struct out *o, char **outp, size_t *lenp)
{
    int r;

    if (out_ready(o) && (r = meshca_buf_take_cstring(&o->b, outp, lenp)) != 0)
        o->err = r;
    meshca_buf_free(o->b);
    o->b = NULL;
    return o->err;
}

/* ---- JSON access ---- */

static const char *
jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* 1 and *vp when o[k] is an integer, else 0. */
static int
jint(const json_t *o, const char *k, long long *vp)
{
    const json_t *v = json_object_get(o, k);

    if (!json_is_integer(v))
        return 0;
    *vp = (long long)json_integer_value(v);
    return 1;
}

int
report_rows_cut(const json_t *rep, const char *rows, const char *total,
    size_t *shownp, long long *totalp)
{
    long long t;

    *shownp = json_array_size(json_object_get(rep, rows));
    *totalp = (long long)*shownp;
    if (!jint(json_object_get(rep, "totals"), total, &t) ||
        t <= (long long)*shownp)
        return 0;
    *totalp = t;
    return 1;
}

/* ---- times ---- */

static int
num(const char *s, int n, int *vp)
{
    int i, v = 0;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *vp = v;
    return 0;
}

static int
days_in_month(int y, int m)
{
    static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
        31 };
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : dim[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int
report_parse_time(const char *s, int64_t *tp)
{
    int y, mo, d, h = 0, mi = 0, se = 0, oh = 0, om = 0, sign = 0;
    const char *p;

    if (s == NULL || strlen(s) < 10 || num(s, 4, &y) != 0 || s[4] != '-' ||
        num(s + 5, 2, &mo) != 0 || s[7] != '-' || num(s + 8, 2, &d) != 0)
        return MESHCA_ERR_INVALID_FORMAT;
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return MESHCA_ERR_INVALID_FORMAT;
    p = s + 10;
    if (*p != '\0') {
        if ((*p != 'T' && *p != 't' && *p != ' ') || strlen(p) < 9 ||
            num(p + 1, 2, &h) != 0 || p[3] != ':' ||
            num(p + 4, 2, &mi) != 0 || p[6] != ':' ||
            num(p + 7, 2, &se) != 0)
            return MESHCA_ERR_INVALID_FORMAT;
        if (h > 23 || mi > 59 || se > 60)
            return MESHCA_ERR_INVALID_FORMAT;
        p += 9;
        if (*p == '.') {
            if (p[1] < '0' || p[1] > '9')
                return MESHCA_ERR_INVALID_FORMAT;
            for (p++; *p >= '0' && *p <= '9'; p++)
                ;
        }
        if (*p == 'Z' || *p == 'z')
            p++;
        else if (*p == '+' || *p == '-') {
            sign = *p == '+' ? 1 : -1;
            if (num(p + 1, 2, &oh) != 0 || p[3] != ':' ||
                num(p + 4, 2, &om) != 0 || oh > 23 || om > 59)
                return MESHCA_ERR_INVALID_FORMAT;
            p += 6;
        } else
            return MESHCA_ERR_INVALID_FORMAT;
        if (*p != '\0')
            return MESHCA_ERR_INVALID_FORMAT;
    }
    *tp = days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 +
        (int64_t)mi * 60 + se - (int64_t)sign * (oh * 3600 + om * 60);
    return 0;
}

int
report_parse_when(const char *s, int64_t now, int64_t *tp)
{
    int64_t d;

    if (s == NULL)
        return MESHCA_ERR_INVALID_FORMAT;
    if (strcmp(s, "now") == 0) {
        *tp = now;
        return 0;
    }
    if (report_parse_time(s, tp) == 0)
        return 0;
    if (duration_parse(s, &d) == 0) {
        *tp = now - d;
        return 0;
    }
    return MESHCA_ERR_INVALID_FORMAT;
}

/* ---- HTML pieces ---- */

static void
html_esc(struct out *b, const char *s)
{
    const char *p, *run;
    const char *rep;

    if (s == NULL) {
        emit(b, "<span class=\"nil\">&mdash;</span>");
        return;
    }
    for (run = p = s; *p != '\0'; p++) {
        switch (*p) {
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '&': rep = "&amp;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default:
            rep = (unsigned char)*p < 0x20 && *p != '\t' && *p != '\n' ?
                "&#xFFFD;" : NULL;
        }
        if (rep == NULL)
            continue;
        emitn(b, run, (size_t)(p - run));
        emit(b, rep);
        run = p + 1;
    }
    emitn(b, run, (size_t)(p - run));
}

int
report_html_escape(const char *s, char **outp, size_t *lenp)
{
    struct out b = { NULL, 0 };

    *outp = NULL;
    *lenp = 0;
    if (s == NULL)
        emit(&b, "&mdash;");
    else
        html_esc(&b, s);
    return out_finish(&b, outp, lenp);
}

/* ---- text (a terminal) ---- */

/* The length of the well-formed UTF-8 sequence at p (1..4), or 0 when the
 * bytes there are not one (RFC 3629: no overlongs, surrogates or past
 * U+10FFFF). */
static size_t
utf8_len(const unsigned char *p)
{
    size_t n, i;
    unsigned char lo = 0x80, hi = 0xbf;

    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        n = 2;
    else if (p[0] >= 0xe0 && p[0] <= 0xef)
        n = 3;
    else if (p[0] >= 0xf0 && p[0] <= 0xf4)
        n = 4;
    else
        return 0;
    if (p[0] == 0xe0)
        lo = 0xa0;
    else if (p[0] == 0xed)
        hi = 0x9f;
    else if (p[0] == 0xf0)
        lo = 0x90;
    else if (p[0] == 0xf4)
        hi = 0x8f;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    return n;
}

int
report_text_escape(const char *s, char **outp, size_t *lenp)
{
    struct out b = { NULL, 0 };
    const unsigned char *p;
    size_t n, i;

    *outp = NULL;
    *lenp = 0;
    if (s == NULL)
        s = "-";
    for (p = (const unsigned char *)s; *p != '\0'; p += n) {
        n = utf8_len(p);
        if (n == 1 && *p == '\\')
            emit(&b, "\\\\");
        else if (n == 1 && (*p < 0x20 || *p == 0x7f))
            emitf(&b, "\\x%02x", *p);
        else if (n == 0 || (n == 2 && p[0] == 0xc2 && p[1] < 0xa0)) {
            /* Not UTF-8 (one byte at a time), or a C1 control: U+0080 to
             * U+009F, which terminals may act on (U+009B is CSI). */
            n = n == 0 ? 1 : n;
            for (i = 0; i < n; i++)
                emitf(&b, "\\x%02x", p[i]);
        } else
            emitn(&b, (const char *)p, n);
    }
    return out_finish(&b, outp, lenp);
}

/* "2026-11-22T13:00:05Z" as "2026-11-22 13:00:05"; anything else escaped
 * as it is. */
static void
html_time(struct out *b, const char *s)
{
    int64_t t;

    if (s != NULL && strlen(s) == 20 && s[10] == 'T' && s[19] == 'Z' &&
        report_parse_time(s, &t) == 0) {
        emitn(b, s, 10);
        emit(b, " ");
        emitn(b, s + 11, 8);
    } else
        html_esc(b, s);
}

/* The end of a validity window: the time alone when it falls on the day
 * the window starts. */
static void
html_until(struct out *b, const char *from, const char *until)
{
    int64_t t;

    if (from != NULL && until != NULL && strlen(until) == 20 &&
        until[10] == 'T' && until[19] == 'Z' && strncmp(from, until, 11) == 0 &&
        report_parse_time(until, &t) == 0)
        emitn(b, until + 11, 8);
    else
        html_time(b, until);
}

/* x with thousands separators ("12,345"). */
static void
html_num(struct out *b, long long x)
{
    char d[32], o[48];
    size_t n, i, k = 0;

    snprintf(d, sizeof(d), "%llu", x < 0 ? 0ULL - (unsigned long long)x :
        (unsigned long long)x);
    n = strlen(d);
    if (x < 0)
        o[k++] = '-';
    for (i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            o[k++] = ',';
        o[k++] = d[i];
    }
    o[k] = '\0';
    emit(b, o);
}

/* A JSON integer with thousands separators; not an integer: a dash. */
static void
html_count(struct out *b, const json_t *v)
{
    if (!json_is_integer(v))
        emit(b, "&mdash;");
    else
        html_num(b, (long long)json_integer_value(v));
}

static void
html_list(struct out *b, const json_t *arr)
{
    const json_t *e;
    size_t i;

    if (!json_is_array(arr) || json_array_size(arr) == 0) {
        html_esc(b, NULL);
        return;
    }
    json_array_foreach(arr, i, e) {
        if (i > 0)
            emit(b, ", ");
        html_esc(b, json_string_value(e));
    }
}

/* The person: email (when known) with the subject underneath. */
static void
html_person(struct out *b, const json_t *o)
{
    const char *email = jstr(o, "email"), *sub = jstr(o, "subject");

    if (email != NULL && *email != '\0') {
        html_esc(b, email);
        if (sub != NULL && strcmp(sub, email) != 0) {
            emit(b, "<span class=\"sub\">");
            html_esc(b, sub);
            emit(b, "</span>");
        }
    } else
        html_esc(b, sub);
}

static void
integrity_html(struct out *b, const json_t *in)
{
    long long seq, bad;

    if (json_is_object(in) && json_is_true(json_object_get(in, "verified"))) {
        if (jstr(in, "head_hash") != NULL) {
            /* A report from a meshcad before the transparency log. */
            if (!jint(in, "head_seq", &seq) && !jint(in, "records", &seq))
                seq = 0;
            emitf(b, "<p class=\"integrity ok\" id=\"integrity\">"
                "Ledger integrity: chain verified through record %lld, head "
                "hash ", seq);
            html_esc(b, jstr(in, "head_hash"));
            emit(b, "</p>\n");
            return;
        }
        if (!jint(in, "log_size", &seq))
            seq = 0;
        emitf(b, "<p class=\"integrity ok\" id=\"integrity\">Ledger "
            "integrity: signed checkpoint of %lld entries, root ", seq);
        html_esc(b, jstr(in, "root"));
        emit(b, ", signature verified with the log key (");
        html_esc(b, jstr(in, "origin"));
        emit(b, ")</p>\n");
        return;
    }
    emit(b, "<p class=\"integrity bad\" id=\"integrity\" role=\"alert\">"
        "Ledger integrity: ");
    if (!json_is_object(in)) {
        emit(b, "NOT VERIFIED &mdash; the report carries no integrity "
            "check</p>\n");
        return;
    }
    if (jint(in, "first_bad", &bad))
        emitf(b, "BROKEN at record %lld &mdash; ", bad);
    else
        emit(b, "BROKEN &mdash; ");
    html_esc(b, jstr(in, "message") ? jstr(in, "message") :
        "the log's checkpoint did not verify");
    emit(b, "</p>\n");
}

int
report_integrity_html(const json_t *integrity, char **outp, size_t *lenp)
{
    struct out b = { NULL, 0 };

    *outp = NULL;
    *lenp = 0;
    integrity_html(&b, integrity);
    return out_finish(&b, outp, lenp);
}

/* ---- the chart ---- */

#define CH_W 960
#define CH_H 290
#define CH_L 58
#define CH_R 18
#define CH_T 18
#define CH_B 56
#define CH_MAX_BARS 400
/* A bucket claiming more is malformed (and would overflow the scale). */
#define CH_MAX_COUNT 1000000000000LL

/* The smallest 1, 2 or 5 x 10^k at least x. */
static long long
nice_step(long long x)
{
    long long p = 1;

    if (x <= 1)
        return 1;
    for (;;) {
        if (p >= x)
            return p;
        if (2 * p >= x)
            return 2 * p;
        if (5 * p >= x)
            return 5 * p;
        p *= 10;
    }
}

static int64_t
floor_to(int64_t t, int64_t step)
{
    int64_t r = t % step;

    return r < 0 ? t - r - step : t - r;
}

/* The plot area. */
#define CH_PW ((double)(CH_W - CH_L - CH_R))
#define CH_PH ((double)(CH_H - CH_T - CH_B))

/* A chart being drawn: its buckets, their counts and its scale. */
struct chart {
    int64_t start, end, step;   /* buckets [start, end), step seconds each */
    size_t nb;
    long long *cnt;             /* nb counts */
    long long maxc, total, ystep, ymax;
    const char *unit;           /* "hour", "day" or "week" */
    double bw, gap;             /* bar width, gap between bars */
    int every;                  /* a label every this many buckets */
};

/* 1 and *tp, *cp when h is a usable {hour, count} bucket. */
static int
chart_bucket(const json_t *h, int64_t *tp, long long *cp)
{
    return report_parse_time(jstr(h, "hour"), tp) == 0 &&
        jint(h, "count", cp) && *cp >= 0 && *cp <= CH_MAX_COUNT;
}

/* The period when none was given: the buckets' own span. */
static void
chart_own_span(const json_t *hours, int64_t *sincep, int64_t *untilp)
{
    int64_t t, tmin = 0, tmax = 0;
    size_t i, nvalid = 0;
    const json_t *h;
    long long c;

    json_array_foreach(hours, i, h) {
        if (!chart_bucket(h, &t, &c))
            continue;
        if (nvalid == 0 || t < tmin)
            tmin = t;
        if (nvalid == 0 || t > tmax)
            tmax = t;
        nvalid++;
    }
    *sincep = nvalid ? tmin : 0;
    *untilp = nvalid ? tmax + 3600 : 0;
}

/* Hours for up to 14 days, else days, else weeks, else equal spans of
 * whole days: at most CH_MAX_BARS buckets. */
static void
chart_buckets(struct chart *ch, int64_t since, int64_t until)
{
    static const int64_t steps[] = { 3600, 86400, 7 * 86400 };
    size_t si;

    ch->step = 3600;
    for (si = 0; si < sizeof(steps) / sizeof(steps[0]) && since < until;
        si++) {
        ch->step = steps[si];
        ch->start = floor_to(since, ch->step);
        ch->end = floor_to(until - 1, ch->step) + ch->step;
        ch->nb = (size_t)((ch->end - ch->start) / ch->step);
        if (ch->nb <= CH_MAX_BARS && (si > 0 || ch->nb <= 14 * 24))
            break;
    }
    if (ch->nb > CH_MAX_BARS) {
        /* Years of data: as many equal spans as fit. */
        ch->step = ((ch->end - ch->start) / CH_MAX_BARS / 86400 + 1) * 86400;
        ch->end = ch->start + ((ch->end - ch->start + ch->step - 1) /
            ch->step) * ch->step;
        ch->nb = (size_t)((ch->end - ch->start) / ch->step);
    }
    ch->unit = ch->step == 3600 ? "hour" : ch->step == 86400 ? "day" :
        "week";
}

/* Adds the buckets up and sets the y scale.  Returns 0 or
 * MESHCA_ERR_ALLOC. */
static int
chart_count(struct chart *ch, const json_t *hours)
{
    const json_t *h;
    long long c;
    int64_t t;
    size_t i, k;

    if (ch->nb > 0 && (ch->cnt = calloc(ch->nb, sizeof(*ch->cnt))) == NULL)
        return MESHCA_ERR_ALLOC;
    json_array_foreach(hours, i, h) {
        if (!chart_bucket(h, &t, &c) || t < ch->start || t >= ch->end)
            continue;
        k = (size_t)((t - ch->start) / ch->step);
        /* Saturate: a hostile report may repeat a huge bucket. */
        ch->cnt[k] = ch->cnt[k] > 1000 * CH_MAX_COUNT - c ?
            1000 * CH_MAX_COUNT : ch->cnt[k] + c;
        ch->total = ch->total > 1000 * CH_MAX_COUNT - c ?
            1000 * CH_MAX_COUNT : ch->total + c;
        if (ch->cnt[k] > ch->maxc)
            ch->maxc = ch->cnt[k];
    }
    ch->ystep = nice_step((ch->maxc + 3) / 4);
    ch->ymax = ch->maxc == 0 ? 4 :
        ((ch->maxc + ch->ystep - 1) / ch->ystep) * ch->ystep;
    if (ch->maxc == 0)
        ch->ystep = 1;
    return 0;
}

/* Bar width, and labels on round clock positions at least ~56 px apart. */
static void
chart_spacing(struct chart *ch)
{
    static const int hour_every[] = { 1, 2, 3, 4, 6, 12, 24 };
    static const int day_every[] = { 1, 2, 7, 14, 28 };
    size_t k;

    ch->bw = ch->nb ? CH_PW / (double)ch->nb : CH_PW;
    ch->gap = ch->bw >= 4 ? (ch->bw * 0.2 > 6 ? 6 : ch->bw * 0.2) : 0;
    ch->every = 1;
    if (ch->step == 3600) {
        for (k = 0; k < sizeof(hour_every) / sizeof(hour_every[0]); k++)
            if ((ch->every = hour_every[k]) * ch->bw >= 56)
                break;
    } else if (ch->step == 86400) {
        for (k = 0; k < sizeof(day_every) / sizeof(day_every[0]); k++)
            if ((ch->every = day_every[k]) * ch->bw >= 56)
                break;
    } else
        ch->every = (int)(56 / ch->bw) + 1;
}

/* The <svg> opening, the y gridlines, the axes and their titles. */
static void
chart_frame(struct out *b, const struct chart *ch)
{
    long long v;

    emitf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" "
        "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
        "font-family=\"system-ui, sans-serif\" font-size=\"11\" "
        "aria-label=\"certificates issued per %s: %lld in all\">"
        "<title>Certificates issued per %s (UTC): %lld in all</title>\n",
        CH_W, CH_H, CH_W, CH_H, ch->unit, ch->total, ch->unit, ch->total);
    /* y gridlines and labels */
    for (v = 0; v <= ch->ymax; v += ch->ystep) {
        double y = CH_T + CH_PH - (double)v / (double)ch->ymax * CH_PH;

        emitf(b, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" "
            "y2=\"%.1f\" stroke=\"%s\"/><text x=\"%d\" y=\"%.1f\" "
            "text-anchor=\"end\" fill=\"#52606d\">%lld</text>\n", CH_L, y,
            CH_W - CH_R, y, v == 0 ? "#7b8794" : "#e4e7eb", CH_L - 8, y + 4, v);
    }
    emitf(b, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" "
        "y2=\"%.1f\" stroke=\"#7b8794\"/>\n", CH_L, CH_T, CH_L, CH_T + CH_PH);
    emitf(b, "<text x=\"14\" y=\"%.1f\" text-anchor=\"middle\" "
        "fill=\"#52606d\" transform=\"rotate(-90 14 %.1f)\">certificates"
        "</text>\n", CH_T + CH_PH / 2, CH_T + CH_PH / 2);
    emitf(b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" "
        "fill=\"#52606d\">%s (UTC)</text>\n", CH_L + CH_PW / 2, CH_H - 6,
        ch->unit);
    if (ch->nb == 0 || ch->total == 0) {
        emitf(b, "<text class=\"empty\" x=\"%.1f\" y=\"%.1f\" "
            "text-anchor=\"middle\" font-size=\"14\" fill=\"#7b8794\">No "
            "certificates were issued in this period</text>\n",
            CH_L + CH_PW / 2, CH_T + CH_PH / 2);
    }
}

/* Bucket k's bar (at x, starting at tm), with its count when it fits. */
static void
chart_bar(struct out *b, const struct chart *ch, size_t k, double x,
    const struct tm *tm)
{
    double bh = (double)ch->cnt[k] / (double)ch->ymax * CH_PH;

    emitf(b, "<rect class=\"bar\" x=\"%.2f\" y=\"%.2f\" "
        "width=\"%.2f\" height=\"%.2f\" fill=\"#3e6cb8\"><title>"
        "%s%04d-%02d-%02d", x + ch->gap / 2, CH_T + CH_PH - bh,
        ch->bw - ch->gap > 0.5 ? ch->bw - ch->gap : 0.5, bh,
        ch->step > 86400 ? "from " : "", tm->tm_year + 1900,
        tm->tm_mon + 1, tm->tm_mday);
    if (ch->step == 3600)
        emitf(b, " %02d:00 UTC", tm->tm_hour);
    emitf(b, ": %lld certificate%s</title></rect>\n", ch->cnt[k],
        ch->cnt[k] == 1 ? "" : "s");
    if (ch->bw >= 16)
        emitf(b, "<text x=\"%.2f\" y=\"%.2f\" "
            "text-anchor=\"middle\" font-size=\"10\" "
            "fill=\"#243b53\">%lld</text>\n", x + ch->bw / 2,
            CH_T + CH_PH - bh - 4, ch->cnt[k]);
}

/* 1 when bucket k (starting at t, tm) gets an x label. */
static int
chart_labelled(const struct chart *ch, size_t k, int64_t t,
    const struct tm *tm)
{
    if (ch->step == 3600)
        return tm->tm_hour % ch->every == 0;
    if (ch->step == 86400)
        return ch->every == 28 ? tm->tm_mday == 1 :
            (int)((t / 86400) % ch->every) == 0;
    return (int)k % ch->every == 0;
}

/* An x tick and label at x: the hour (and the date under the first one and
 * at midnight), or the date. */
static void
chart_tick(struct out *b, const struct chart *ch, double x,
    const struct tm *tm, int first)
{
    static const char *const mon[12] = { "Jan", "Feb", "Mar", "Apr", "May",
        "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

    emitf(b, "<line x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\" "
        "stroke=\"#7b8794\"/>", x, CH_T + CH_PH, x, CH_T + CH_PH + 4);
    if (ch->step == 3600) {
        emitf(b, "<text x=\"%.2f\" y=\"%.1f\" text-anchor=\"middle\" "
            "fill=\"#52606d\">%02d:00</text>", x, CH_T + CH_PH + 16,
            tm->tm_hour);
        if (first || tm->tm_hour < ch->every)
            emitf(b, "<text x=\"%.2f\" y=\"%.1f\" "
                "text-anchor=\"middle\" fill=\"#243b53\" "
                "font-weight=\"600\">%s %d</text>", x, CH_T + CH_PH + 30,
                mon[tm->tm_mon], tm->tm_mday);
    } else
        emitf(b, "<text x=\"%.2f\" y=\"%.1f\" text-anchor=\"middle\" "
            "fill=\"#52606d\">%s %d</text>", x, CH_T + CH_PH + 16,
            mon[tm->tm_mon], tm->tm_mday);
    emit(b, "\n");
}

static void
chart(struct out *b, const json_t *hours, int64_t since, int64_t until)
{
    struct chart ch;
    size_t k;
    int64_t t;
    int labels = 0, r;
    struct tm tm;
    time_t tt;
    double x;

    memset(&ch, 0, sizeof(ch));
    if (since >= until)
        chart_own_span(hours, &since, &until);
    chart_buckets(&ch, since, until);
    if ((r = chart_count(&ch, hours)) != 0) {
        b->err = b->err ? b->err : r;
        return;
    }
    chart_frame(b, &ch);
    chart_spacing(&ch);
    for (k = 0; k < ch.nb; k++) {
        t = ch.start + (int64_t)k * ch.step;
        tt = (time_t)t;
        if (gmtime_r(&tt, &tm) == NULL)
            continue;
        x = CH_L + (double)k * ch.bw;
        if (ch.cnt[k] > 0)
            chart_bar(b, &ch, k, x, &tm);
        if (!chart_labelled(&ch, k, t, &tm))
            continue;
        chart_tick(b, &ch, x, &tm, labels == 0);
        labels++;
    }
    emit(b, "</svg>\n");
    free(ch.cnt);
}

int
report_chart_svg(const json_t *hours, int64_t since, int64_t until,
    char **outp, size_t *lenp)
{
    struct out b = { NULL, 0 };

    *outp = NULL;
    *lenp = 0;
    chart(&b, hours, since, until);
    return out_finish(&b, outp, lenp);
}

/* ---- access rows, one per certificate and principal, sorted ---- */

struct row {
    const json_t *a;
    const char *principal;  /* NULL: the certificate named none */
    int64_t after;
    size_t seq;
};

static int
row_cmp(const void *x, const void *y)
{
    const struct row *a = x, *b = y;
    int c;

    if (a->principal == NULL || b->principal == NULL) {
        if (a->principal != b->principal)
            return a->principal == NULL ? 1 : -1;
    } else if ((c = strcmp(a->principal, b->principal)) != 0)
        return c;
    if (a->after != b->after)
        return a->after < b->after ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int
rows_collect(const json_t *access, struct row **rowsp, size_t *np)
{
    struct row *rows = NULL, *nr;
    const json_t *a, *p, *ps;
    size_t i, k, n = 0, cap = 0, want;
    int64_t after;

    *rowsp = NULL;
    *np = 0;
    json_array_foreach(access, i, a) {
        ps = json_object_get(a, "principals");
        want = json_array_size(ps) ? json_array_size(ps) : 1;
        if ((nr = meshca_grow(rows, &cap, n + want, sizeof(*rows),
            256)) == NULL) {
            free(rows);
            return MESHCA_ERR_ALLOC;
        }
        rows = nr;
        if (report_parse_time(jstr(a, "valid_after"), &after) != 0)
            after = 0;
        if (json_array_size(ps) == 0) {
            rows[n].a = a;
            rows[n].principal = NULL;
            rows[n].after = after;
            rows[n].seq = n;
            n++;
            continue;
        }
        json_array_foreach(ps, k, p) {
            rows[n].a = a;
            rows[n].principal = json_string_value(p);
            rows[n].after = after;
            rows[n].seq = n;
            n++;
        }
    }
    if (n > 1)
        qsort(rows, n, sizeof(*rows), row_cmp);
    *rowsp = rows;
    *np = n;
    return 0;
}

static int
same_principal(const struct row *a, const struct row *b)
{
    if (a->principal == NULL || b->principal == NULL)
        return a->principal == b->principal;
    return strcmp(a->principal, b->principal) == 0;
}

/* ---- HTML ---- */

static const char html_css[] =
    ":root{--ink:#1f2933;--muted:#616e7c;--line:#d9e2ec;--head:#f0f4f8;"
    "--accent:#2f5fa7;--ok:#17683e;--okbg:#e3f4e8;--bad:#b42318;"
    "--badbg:#fde8e6}"
    "tr.breakglass td{color:var(--bad);background:var(--badbg)}"
    "tr.breakglass td.st{font-weight:700}"
    "*{box-sizing:border-box}"
    "html{background:#eef2f6}"
    "body{margin:0;color:var(--ink);font:14px/1.45 system-ui,-apple-system,"
    "\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,sans-serif}"
    "main{max-width:1200px;margin:0 auto;padding:28px 36px 40px;"
    "background:#fff;min-height:100vh}"
    "header{border-bottom:3px solid var(--accent);padding-bottom:12px;"
    "margin-bottom:16px}"
    ".kicker{text-transform:uppercase;letter-spacing:.09em;font-size:11.5px;"
    "color:var(--accent);font-weight:700}"
    "h1{font-size:27px;margin:2px 0 4px;letter-spacing:-.01em}"
    ".period{margin:0;color:var(--muted)}.period b{color:var(--ink);"
    "font-weight:600}"
    "h2{font-size:17px;margin:30px 0 10px;padding-bottom:5px;"
    "border-bottom:1px solid var(--line)}"
    "h2 .n,h3 .n{color:var(--muted);font-weight:500;font-size:13px;"
    "margin-left:6px}"
    "h3{font-size:14px;margin:20px 0 6px;font-family:ui-monospace,"
    "SFMono-Regular,Menlo,Consolas,monospace}"
    ".integrity{margin:0;padding:10px 14px;border-radius:6px;border:1px solid;"
    "font-weight:600;overflow-wrap:anywhere}"
    ".integrity.ok{color:var(--ok);background:var(--okbg);"
    "border-color:#9fd3b0}"
    ".integrity.bad{color:#fff;background:var(--bad);border-color:#7a1209;"
    "font-size:19px;padding:14px 16px}"
    "table{border-collapse:collapse;width:100%}"
    ".totals{border-collapse:separate;border-spacing:12px 0;margin:0 -12px;"
    "width:calc(100% + 24px);table-layout:fixed}"
    ".totals td{font-size:30px;font-weight:700;text-align:center;"
    "padding:12px 4px 0;background:#f7f9fc;border:1px solid var(--line);"
    "border-bottom:0;border-radius:8px 8px 0 0;font-variant-numeric:"
    "tabular-nums}"
    ".totals th{font-weight:600;color:var(--muted);background:#f7f9fc;"
    "border:1px solid var(--line);border-top:0;padding:2px 4px 11px;"
    "border-radius:0 0 8px 8px;font-size:11.5px;text-transform:uppercase;"
    "letter-spacing:.06em}"
    ".grid{font-size:12.5px}"
    ".grid th{background:var(--head);text-align:left;font-weight:600;"
    "color:#334e68;border-bottom:2px solid var(--line);padding:6px 8px;"
    "white-space:nowrap}"
    ".grid td{padding:5px 8px;border-bottom:1px solid var(--line);"
    "vertical-align:top}"
    ".grid td.nw{white-space:nowrap}"
    ".grid td.r{overflow-wrap:anywhere;min-width:11em}"
    ".grid tbody tr:nth-child(even){background:#fafbfc}"
    ".grid td.t,.grid td.d{white-space:nowrap;font-variant-numeric:"
    "tabular-nums}"
    ".mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;"
    "font-size:11.5px}"
    ".sub{display:block;color:var(--muted);font-size:11.5px}"
    ".nil{color:#9aa5b1}"
    ".badge{display:inline-block;padding:1px 8px;border-radius:10px;"
    "font-size:11px;font-weight:700;white-space:nowrap}"
    ".b-rev{background:var(--badbg);color:var(--bad);border:1px solid "
    "#f4b4ac}.b-act{background:var(--okbg);color:var(--ok)}"
    ".b-exp{background:#eef1f4;color:var(--muted)}"
    ".none td,p.none{color:var(--muted);font-style:italic}"
    ".figure{border:1px solid var(--line);border-radius:8px;padding:10px 8px 4px}"
    ".figure svg{display:block;width:100%;height:auto}"
    ".note{color:var(--muted);margin:-4px 0 8px;font-size:12.5px}"
    "footer{margin-top:36px;color:var(--muted);font-size:12px;"
    "border-top:1px solid var(--line);padding-top:10px}"
    "@page{size:A4 landscape;margin:12mm}"
    "@media print{html,main{background:#fff}main{max-width:none;padding:0;"
    "min-height:0}body{font-size:11px}thead{display:table-header-group}"
    "tr,.totals,.figure,.integrity{break-inside:avoid}h2,h3{break-after:avoid}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}";

static void
html_empty_row(struct out *b, int cols, const char *text)
{
    emitf(b, "<tr class=\"none\"><td colspan=\"%d\">%s</td></tr>\n", cols,
        text);
}

static void
html_section_count(struct out *b, const char *title, const json_t *arr)
{
    emitf(b, "<h2>%s<span class=\"n\">(", title);
    html_num(b, (long long)json_array_size(arr));
    emit(b, ")</span></h2>\n");
}

static void
html_access(struct out *b, const json_t *rep, int64_t now, int have_now)
{
    struct row *rows = NULL;
    size_t n = 0, i, j, ncerts;
    int64_t before;
    long long secs, total;
    char dur[32];
    int r, cut;

    cut = report_rows_cut(rep, "access", "certificates", &ncerts, &total);
    if ((r = rows_collect(json_object_get(rep, "access"), &rows, &n)) != 0) {
        b->err = b->err ? b->err : r;
        return;
    }
    emit(b, "<section id=\"access\"><h2>Who held access<span class=\"n\">(");
    if (cut) {
        html_num(b, (long long)ncerts);
        emit(b, " of ");
    }
    html_num(b, total);
    emitf(b, " certificate%s)</span></h2>\n", total == 1 ? "" : "s");
    if (cut) {
        /* The totals count the whole period; meshcad sends a bounded
         * number of rows (and the CSV holds the same rows). */
        emit(b, "<p class=\"note cut\">Only the first ");
        html_num(b, (long long)ncerts);
        emit(b, " certificates of the period are listed (meshcad's limit "
            "per report); the totals count all ");
        html_num(b, total);
        emit(b, ". Narrow the period (--since, --until) to list the rest."
            "</p>\n");
    }
    if (n == 0) {
        emit(b, "<p class=\"none\">No certificates were issued in this "
            "period.</p></section>\n");
        free(rows);
        return;
    }
    emit(b, "<p class=\"note\">One table per principal, in order of start "
        "time. Times are UTC.</p>\n");
    for (i = 0; i < n; i = j) {
        for (j = i + 1; j < n && same_principal(&rows[i], &rows[j]); j++)
            ;
        emit(b, "<h3>");
        if (rows[i].principal != NULL)
            html_esc(b, rows[i].principal);
        else
            emit(b, "(no principal named)");
        emit(b, "<span class=\"n\">");
        html_num(b, (long long)(j - i));
        emitf(b, " certificate%s</span></h3>\n", j - i == 1 ? "" : "s");
        emit(b, "<table class=\"grid access\"><thead><tr><th>Person</th>"
            "<th>Role</th><th>Reason</th><th>From</th><th>Until</th>"
            "<th>Duration</th><th>Serial</th><th>Client</th><th>Status</th>"
            "</tr></thead><tbody>\n");
        for (; i < j; i++) {
            const json_t *a = rows[i].a;

            emit(b, "<tr><td class=\"nw\">");
            html_person(b, a);
            emit(b, "</td><td class=\"nw\">");
            html_esc(b, jstr(a, "role"));
            emit(b, "</td><td class=\"r\">");
            html_esc(b, jstr(a, "reason"));
            emit(b, "</td><td class=\"t\">");
            html_time(b, jstr(a, "valid_after"));
            emit(b, "</td><td class=\"t\">");
            html_until(b, jstr(a, "valid_after"), jstr(a, "valid_before"));
            emit(b, "</td><td class=\"d\">");
            if (jint(a, "duration_seconds", &secs))
                emit(b, duration_format(secs, dur, sizeof(dur)));
            else
                html_esc(b, NULL);
            emit(b, "</td><td class=\"mono nw\">");
            html_esc(b, jstr(a, "serial"));
            emit(b, "</td><td class=\"mono nw\">");
            html_esc(b, jstr(a, "client_address"));
            emit(b, "</td><td>");
            if (json_is_true(json_object_get(a, "revoked")))
                emit(b, "<span class=\"badge b-rev\">revoked</span>");
            else if (have_now && report_parse_time(jstr(a, "valid_before"),
                &before) == 0)
                emit(b, before > now && rows[i].after <= now ?
                    "<span class=\"badge b-act\">valid</span>" :
                    "<span class=\"badge b-exp\">expired</span>");
            emit(b, "</td></tr>\n");
        }
        emit(b, "</tbody></table>\n");
    }
    emit(b, "</section>\n");
    free(rows);
}

/* What a table cell shows of its row's object. */
enum cell {
    CELL_TEXT,          /* the string member, escaped */
    CELL_TIME,          /* the RFC 3339 member, as html_time shows it */
    CELL_PERSON,        /* email and subject (html_person) */
    CELL_LIST,          /* the array member, comma separated */
};

struct column {
    const char *head;   /* <th> text */
    const char *class;  /* <td class>, or NULL */
    enum cell cell;
    const char *key;    /* the member (unused for CELL_PERSON) */
};

/* A section with a count heading and one table row per object in arr;
 * empty says so in a single row. */
static void
html_table(struct out *b, const char *id, const char *title,
    const json_t *arr, const struct column *cols, size_t ncols,
    const char *empty)
{
    const json_t *e;
    size_t i, k;

    emitf(b, "<section id=\"%s\">", id);
    html_section_count(b, title, arr);
    emit(b, "<table class=\"grid\"><thead><tr>");
    for (k = 0; k < ncols; k++)
        emitf(b, "<th>%s</th>", cols[k].head);
    emit(b, "</tr></thead><tbody>\n");
    json_array_foreach(arr, i, e) {
        emit(b, "<tr>");
        for (k = 0; k < ncols; k++) {
            if (cols[k].class != NULL)
                emitf(b, "<td class=\"%s\">", cols[k].class);
            else
                emit(b, "<td>");
            switch (cols[k].cell) {
            case CELL_TEXT: html_esc(b, jstr(e, cols[k].key)); break;
            case CELL_TIME: html_time(b, jstr(e, cols[k].key)); break;
            case CELL_PERSON: html_person(b, e); break;
            case CELL_LIST: html_list(b, json_object_get(e, cols[k].key));
                break;
            }
            emit(b, "</td>");
        }
        emit(b, "</tr>\n");
    }
    if (json_array_size(arr) == 0)
        html_empty_row(b, (int)ncols, empty);
    emit(b, "</tbody></table></section>\n");
}

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

static void
html_revocations(struct out *b, const json_t *arr)
{
    static const struct column cols[] = {
        { "When", "t", CELL_TIME, "revoked_at" },
        { "Kind", NULL, CELL_TEXT, "kind" },
        { "Value", "mono r", CELL_TEXT, "value" },
        { "Reason", "r", CELL_TEXT, "reason" },
        { "Revoked by", "nw", CELL_TEXT, "revoked_by" },
    };

    html_table(b, "revocations", "Revocations", arr, cols, NCOLS(cols),
        "Nothing was revoked in this period.");
}

static void
html_denials(struct out *b, const json_t *arr)
{
    static const struct column cols[] = {
        { "When", "t", CELL_TIME, "at" },
        { "Person", "nw", CELL_PERSON, NULL },
        { "Issuer", NULL, CELL_TEXT, "issuer" },
        { "Asked for", "mono", CELL_LIST, "principals" },
        { "Reason", "r", CELL_TEXT, "reason" },
    };

    html_table(b, "denials", "Denials", arr, cols, NCOLS(cols),
        "No request was refused in this period.");
}

static void
html_active(struct out *b, const json_t *arr)
{
    static const struct column cols[] = {
        { "Person", "nw", CELL_PERSON, NULL },
        { "Principals", "mono", CELL_LIST, "principals" },
        { "Role", "nw", CELL_TEXT, "role" },
        { "Valid until", "t", CELL_TIME, "valid_before" },
        { "Serial", "mono nw", CELL_TEXT, "serial" },
    };

    html_table(b, "active", "Valid right now", arr, cols, NCOLS(cols),
        "No certificate is valid right now.");
}

/* Issue #16: which workloads held which host names (only in reports that
 * carry the section). */
static void
html_hosts(struct out *b, const json_t *arr)
{
    static const struct column cols[] = {
        { "Workload (SPIFFE ID)", "mono r", CELL_TEXT, "spiffe_id" },
        { "Host names", "mono", CELL_LIST, "host_names" },
        { "Last issued", "t", CELL_TIME, "last_issued" },
        { "Valid until", "t", CELL_TIME, "valid_until" },
    };

    if (!json_is_array(arr))
        return;
    html_table(b, "hosts", "Workloads &rarr; host names", arr, cols,
        NCOLS(cols), "No workload got a host certificate in this period.");
}

/* The period's access requests and break-glass uses (#17): break-glass in
 * red, "NEEDS REVIEW" until acknowledged. */
static void
html_access_requests(struct out *b, const json_t *arr)
{
    const json_t *e, *d, *x;
    size_t i, k;
    long long tta;
    int bg;

    emit(b, "<section id=\"access-requests\">");
    html_section_count(b, "Access requests and break-glass", arr);
    emit(b, "<table class=\"grid\"><thead><tr><th>Requested</th><th>Person"
        "</th><th>Role</th><th>Principals</th><th>Reason</th><th>Status</th>"
        "<th>Decided by</th><th>Time to approval</th><th>Serial</th></tr>"
        "</thead><tbody>\n");
    json_array_foreach(arr, i, e) {
        bg = jstr(e, "kind") != NULL &&
            strcmp(jstr(e, "kind"), "break_glass") == 0;
        emit(b, bg ? "<tr class=\"breakglass\">" : "<tr>");
        emit(b, "<td class=\"t\">");
        html_time(b, jstr(e, "created_at"));
        emit(b, "</td><td class=\"nw\">");
        html_person(b, e);
        emit(b, "</td><td class=\"nw\">");
        html_esc(b, jstr(e, "role"));
        emit(b, "</td><td class=\"mono\">");
        html_list(b, json_object_get(e, "principals"));
        emit(b, "</td><td class=\"r\">");
        html_esc(b, jstr(e, "reason"));
        emit(b, "</td><td class=\"st\">");
        html_esc(b, bg ? (jstr(e, "status") != NULL &&
            strcmp(jstr(e, "status"), "acknowledged") == 0 ?
            "break-glass, acknowledged" : "BREAK-GLASS: NEEDS REVIEW") :
            jstr(e, "status"));
        emit(b, "</td><td class=\"nw\">");
        json_array_foreach(json_object_get(e, "approvals"), k, d) {
            emit(b, k ? "<br>approved: " : "approved: ");
            html_person(b, d);
            emit(b, " ");
            html_time(b, jstr(d, "at"));
        }
        if ((x = json_object_get(e, "denial")) != NULL && !json_is_null(x)) {
            emit(b, "denied: ");
            html_person(b, x);
            emit(b, " ");
            html_time(b, jstr(x, "at"));
        }
        if ((x = json_object_get(e, "acknowledgement")) != NULL &&
            !json_is_null(x)) {
            emit(b, "acknowledged: ");
            html_person(b, x);
            emit(b, " ");
            html_time(b, jstr(x, "at"));
        }
        emit(b, "</td><td class=\"nw\">");
        if (jint(e, "time_to_approval_seconds", &tta))
            emitf(b, "%lld s", tta);
        emit(b, "</td><td class=\"mono nw\">");
        html_esc(b, jstr(json_object_get(e, "certificate"), "serial"));
        emit(b, "</td></tr>\n");
    }
    if (json_array_size(arr) == 0)
        html_empty_row(b, 9, "No access was requested and no break-glass "
            "role was used in this period.");
    emit(b, "</tbody></table></section>\n");
}

static void
html_totals(struct out *b, const json_t *tot)
{
    emit(b, "<section id=\"totals\"><h2>Totals</h2><table class=\"totals\">"
        "<tr><td id=\"t-certs\">");
    html_count(b, json_object_get(tot, "certificates"));
    emit(b, "</td><td id=\"t-subjects\">");
    html_count(b, json_object_get(tot, "subjects"));
    emit(b, "</td><td id=\"t-denials\">");
    html_count(b, json_object_get(tot, "denials"));
    emit(b, "</td><td id=\"t-revocations\">");
    html_count(b, json_object_get(tot, "revocations"));
    emit(b, "</td><td id=\"t-active\">");
    html_count(b, json_object_get(tot, "active_now"));
    emit(b, "</td></tr>\n<tr><th>Certificates issued</th><th>People</th>"
        "<th>Denials</th><th>Revocations</th><th>Valid now</th></tr></table>"
        "</section>\n");
}

static void
render_html(struct out *b, const json_t *rep)
{
    const json_t *per = json_object_get(rep, "period");
    const char *since = jstr(per, "since"), *until = jstr(per, "until");
    const char *gen = jstr(rep, "generated_at");
    int64_t ts = 0, tu = 0, now = 0;
    int have_now = report_parse_time(gen, &now) == 0;

    if (report_parse_time(since, &ts) != 0 ||
        report_parse_time(until, &tu) != 0)
        ts = tu = 0;
    emit(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, "
        "initial-scale=1\"><meta name=\"generator\" content=\"meshca report\">"
        "<title>meshca access report, ");
    html_time(b, since);
    emit(b, " to ");
    html_time(b, until);
    emit(b, " UTC</title>\n<style>");
    emit(b, html_css);
    emit(b, "</style></head>\n<body><main>\n<header><div class=\"kicker\">"
        "meshca &middot; compliance report</div><h1>SSH access report</h1>"
        "<p class=\"period\">Period <b>");
    html_time(b, since);
    emit(b, "</b> to <b>");
    html_time(b, until);
    emit(b, "</b> UTC &middot; generated ");
    html_time(b, gen);
    emit(b, " UTC</p></header>\n");
    integrity_html(b, json_object_get(rep, "integrity"));
    html_totals(b, json_object_get(rep, "totals"));
    emit(b, "<section id=\"issuance\"><h2>Issuance over time</h2>"
        "<div class=\"figure\">\n");
    chart(b, json_object_get(rep, "issuance_by_hour"), ts, tu);
    emit(b, "</div></section>\n");
    html_access(b, rep, now, have_now);
    if (json_object_get(rep, "access_requests") != NULL)
        html_access_requests(b, json_object_get(rep, "access_requests"));
    html_revocations(b, json_object_get(rep, "revocations"));
    html_denials(b, json_object_get(rep, "denials"));
    html_active(b, json_object_get(rep, "active"));
    html_hosts(b, json_object_get(rep, "hosts"));
    {
        /* Issue #18: who actually logged in (report_usage.c). */
        char *u = NULL;
        size_t ulen = 0;

        if (out_ready(b) && (b->err = report_usage_html(json_object_get(rep,
            "usage"), &u, &ulen)) == 0)
            emitn(b, u, ulen);
        free(u);
    }
    emit(b, "<footer>Drawn from the meshca ledger by <code>meshca report"
        "</code>. ");
    {
        const json_t *in = json_object_get(rep, "integrity");
        long long recs;

        if (jint(in, "records", &recs))
            emitf(b, "The hash chain covers %lld records. ", recs);
    }
    emit(b, "This page is self-contained: no scripts and no external "
        "resources.</footer>\n</main></body></html>\n");
}

/* ---- CSV ---- */

/* One cell, through the one CSV writer (ca/csv.c) meshcad uses too. */
static void
csv_cell(struct out *b, const char *s)
{
    if (out_ready(b))
        b->err = csv_put_cell(b->b, s, s != NULL ? strlen(s) : 0);
}

int
report_csv_cell(const char *s, char **outp, size_t *lenp)
{
    struct out b = { NULL, 0 };

    *outp = NULL;
    *lenp = 0;
    csv_cell(&b, s);
    return out_finish(&b, outp, lenp);
}

static void
render_csv(struct out *b, const json_t *rep)
{
    static const char *const text_cols[] = { "serial", "key_id", "subject",
        "email", "issuer", "role", "reason", "valid_after", "valid_before" };
    struct row *rows = NULL;
    size_t n = 0, i, c;
    long long secs;
    int r;

    emit(b, "principal,serial,key_id,subject,email,issuer,role,reason,"
        "valid_after,valid_before,duration_seconds,revoked,client_address\r\n");
    if ((r = rows_collect(json_object_get(rep, "access"), &rows, &n)) != 0) {
        b->err = b->err ? b->err : r;
        return;
    }
    for (i = 0; i < n; i++) {
        const json_t *a = rows[i].a;

        csv_cell(b, rows[i].principal);
        for (c = 0; c < sizeof(text_cols) / sizeof(text_cols[0]); c++) {
            emit(b, ",");
            csv_cell(b, jstr(a, text_cols[c]));
        }
        if (jint(a, "duration_seconds", &secs))
            emitf(b, ",%lld,", secs);
        else
            emit(b, ",,");
        emit(b, json_is_true(json_object_get(a, "revoked")) ? "yes," :
            "no,");
        csv_cell(b, jstr(a, "client_address"));
        emit(b, "\r\n");
    }
    free(rows);
}

/* ---- entry points ---- */

int
report_format_parse(const char *name, enum report_format *fmtp)
{
    if (name == NULL)
        return MESHCA_ERR_INVALID_ARGUMENT;
    if (strcmp(name, "html") == 0)
        *fmtp = REPORT_FORMAT_HTML;
    else if (strcmp(name, "csv") == 0)
        *fmtp = REPORT_FORMAT_CSV;
    else if (strcmp(name, "json") == 0)
        *fmtp = REPORT_FORMAT_JSON;
    else
        return MESHCA_ERR_INVALID_ARGUMENT;
    return 0;
}

int
report_render_to(const json_t *rep, enum report_format fmt, char **outp,
    size_t *lenp)
{
    struct out b = { NULL, 0 };
    char *s = NULL;

    *outp = NULL;
    *lenp = 0;
    if (!json_is_object(rep))
        return MESHCA_ERR_INVALID_FORMAT;
    switch (fmt) {
    case REPORT_FORMAT_HTML:
        render_html(&b, rep);
        break;
    case REPORT_FORMAT_CSV:
        render_csv(&b, rep);
        break;
    case REPORT_FORMAT_JSON:
        if ((s = json_dumps(rep, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) ==
            NULL)
            return MESHCA_ERR_ALLOC;
        emit(&b, s);
        emit(&b, "\n");
        free(s);
        break;
    default:
        return MESHCA_ERR_INVALID_ARGUMENT;
    }
    return out_finish(&b, outp, lenp);
}
