/*
 * The compliance report's renderer: a GET /v1/report JSON document (jansson)
 * turned into one self-contained HTML page, CSV, or pretty-printed JSON.
 * Pure functions: no network, no files, no clock (the caller passes "now").
 *
 * Every string in a report comes from people or identity providers (names,
 * emails, reasons), so the HTML escapes each one and the CSV guards each
 * cell against formula injection.  Output grows in one doubling buffer, so a
 * report of 10k certificates renders in linear time.
 *
 * The report's shape (times RFC 3339 UTC, serials decimal strings):
 *   {generated_at, period{since, until},
 *    totals{certificates, subjects, denials, revocations, active_now},
 *    access[{serial, key_id, subject, email, issuer, role, principals[],
 *            reason, valid_after, valid_before, duration_seconds, revoked,
 *            client_address}],
 *    issuance_by_hour[{hour, count}],          (hours with no issuance absent)
 *    revocations[{kind, value, reason, revoked_by, revoked_at}],
 *    denials[{at, subject, email, issuer, principals[], reason}],
 *    active[{serial, subject, email, principals[], role, valid_before}],
 *    integrity{verified, records, head_seq, head_hash, first_bad, message},
 *    usage{...}}     (issue #18: rendered by report_usage.c, see report_usage.h)
 * A missing or mistyped member renders as an em dash; only a root that is
 * not an object is refused.
 */
#ifndef MESHCA_CLI_REPORT_H
#define MESHCA_CLI_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "meshca/err.h"

struct json_t;

enum report_format {
    REPORT_FORMAT_HTML = 0,
    REPORT_FORMAT_CSV,
    REPORT_FORMAT_JSON,
};

/* Largest output the renderer produces (1 GiB). */
#define REPORT_OUTPUT_MAX ((size_t)1 << 30)

/* "html", "csv" or "json" into *fmtp.  Returns 0 or
 * MESHCA_ERR_INVALID_ARGUMENT (*fmtp untouched). */
int report_format_parse(const char *name, enum report_format *fmtp) MESHCA_WUR;

/*
 * Renders report rep in format fmt.  Returns 0 with *outp (NUL-terminated,
 * caller frees) and *lenp (bytes, NUL not counted), or
 * MESHCA_ERR_INVALID_FORMAT (rep is not a JSON object),
 * MESHCA_ERR_ALLOC / MESHCA_ERR_NO_BUFFER_SPACE (over REPORT_OUTPUT_MAX);
 * on failure *outp is NULL and *lenp 0.
 *
 * HTML: one page with inline CSS and an inline SVG chart, no script and no
 * external resource: title with the period, the ledger integrity line, the
 * totals, issuance per hour, who held access (a table per principal, rows
 * by principal then start time), revocations, denials, valid right now.
 * CSV: RFC 4180, CRLF, a header line, one row per certificate and
 * principal in the same order.  JSON: rep, indented by 2, newline-ended.
 */
int report_render_to(const struct json_t *rep, enum report_format fmt,
    char **outp, size_t *lenp) MESHCA_WUR;

/*
 * The pieces report_render_to is made of, exported for the unit tests.
 * Each returns 0 with *outp (NUL-terminated, caller frees) and *lenp, or
 * MESHCA_ERR_ALLOC; on failure *outp is NULL and *lenp 0.
 */
/* s with & < > " ' as entities and C0 controls (but tab and newline) as
 * U+FFFD.  NULL gives an em dash entity. */
int report_html_escape(const char *s, char **outp, size_t *lenp) MESHCA_WUR;
/* Whether rep's rows array (rows, e.g. "access") holds fewer entries than
 * its totals count (totals[total], e.g. "certificates"): meshcad sends a
 * bounded number of rows.  Sets *shownp to the rows held and *totalp to
 * the larger of the two counts; returns 1 when rows were cut, else 0. */
int report_rows_cut(const struct json_t *rep, const char *rows,
    const char *total, size_t *shownp, long long *totalp) MESHCA_WUR;
/* s for a terminal (meshca who's text): C0 controls, DEL, C1 controls
 * (U+0080..U+009F) and bytes that are not UTF-8 as \xNN, a backslash as
 * \\; other UTF-8 as it is.  NULL gives "-". */
int report_text_escape(const char *s, char **outp, size_t *lenp) MESHCA_WUR;
/* One CSV cell: always quoted, inner quotes doubled; a cell that starts
 * with = + - @, tab or CR gets a leading ' so spreadsheets never take it as
 * a formula.  NULL gives "". */
int report_csv_cell(const char *s, char **outp, size_t *lenp) MESHCA_WUR;
/* The <p id="integrity"> line for an "integrity" object (NULL: not
 * verified).  Verified: "Ledger integrity: chain verified through record
 * N, head hash H"; otherwise, in red: "Ledger integrity: BROKEN at record
 * N — message". */
int report_integrity_html(const struct json_t *integrity, char **outp,
    size_t *lenp) MESHCA_WUR;
/* The inline SVG bar chart of an "issuance_by_hour" array over the period
 * [since, until) (epoch seconds; since >= until: the buckets' own span),
 * with axes, gridlines and labels.  Periods over 14 days are drawn per
 * day. */
int report_chart_svg(const struct json_t *hours, int64_t since,
    int64_t until, char **outp, size_t *lenp) MESHCA_WUR;

/* Parses an absolute time: RFC 3339 ("2026-11-22T13:00:00Z", fractions
 * dropped, "+02:00"-style offsets applied) or a date ("2026-11-22", UTC
 * midnight).  Returns 0 and *tp (epoch seconds), or
 * MESHCA_ERR_INVALID_FORMAT (*tp untouched). */
int report_parse_time(const char *s, int64_t *tp) MESHCA_WUR;

/* A command-line time: report_parse_time's forms, "now", or a duration
 * ("24h", "7d", "1h30m") meaning that long before now.  Returns 0 and *tp,
 * or MESHCA_ERR_INVALID_FORMAT (*tp untouched). */
int report_parse_when(const char *s, int64_t now, int64_t *tp) MESHCA_WUR;

#endif
