/*
 * Admin reads of the ledger: GET /v1/certificates (filtered, paginated, JSON
 * or CSV) and GET /v1/report (the compliance report's data).  Admins are
 * the identities the policy's "admins" rule matches.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include "meshca/csv.h"
#include "meshca/claims.h"
#include "access_store.h"
#include "auth.h"
#include "ledger.h"
#include "logserve.h"
#include "param.h"
#include "query.h"
#include "server.h"
#include "usage.h"

int
query_period(struct request *req, int64_t *sincep, int64_t *untilp,
    int64_t dflt)
{
    const char *s = req_arg(req, "since"), *u = req_arg(req, "until");
    int64_t now = (int64_t)time(NULL);
    const char *bad = NULL;

    *untilp = now + 60;
    *sincep = *untilp - 60 - dflt;
    if (s != NULL && param_parse_time(s, now, sincep) != 0)
        bad = "since";
    else if (u != NULL && param_parse_time(u, now, untilp) != 0)
        bad = "until";
    if (bad != NULL) {
        req_error(req, 400, "invalid_request", "%s: epoch seconds, RFC 3339 "
            "UTC (2026-11-22T00:00:00Z) or a duration ago (24h), up to the "
            "year 9999", bad);
        return -1;
    }
    return 0;
}

/* Appends a cell holding a NUL-terminated string (NULL: empty). */
static int
csv_str(struct meshca_buf *b, const char *s, int first)
{
    int r;

    if (!first && (r = meshca_buf_put(b, ",", 1)) != 0)
        return r;
    return csv_put_cell(b, s, s ? strlen(s) : 0);
}

/* One CSV row of certificate r; the principals, joined by spaces, are built
 * in scratch (reset here), so no principal is ever cut off. */
static int
csv_row(struct meshca_buf *b, struct meshca_buf *scratch, const json_t *r)
{
    static const char *const tail[] = { "key_id", "key_fingerprint",
        "client_address" };
    const char *mid[] = { "subject", "email", "role" };
    char seq[24];
    json_t *p;
    size_t k;
    int rc;

    snprintf(seq, sizeof(seq), "%lld",
        (long long)json_integer_value(json_object_get(r, "seq")));
    meshca_buf_reset(scratch);
    json_array_foreach(json_object_get(r, "principals"), k, p) {
        if ((k > 0 && (rc = meshca_buf_put(scratch, " ", 1)) != 0) ||
            (rc = meshca_buf_put(scratch, json_string_value(p) ? json_string_value(p)
            : "", json_string_value(p) ? json_string_length(p) : 0)) != 0)
            return rc;
    }
    if ((rc = csv_str(b, json_string_value(json_object_get(r, "serial")),
        1)) != 0 || (rc = csv_str(b, seq, 0)) != 0)
        return rc;
    for (k = 0; k < 3; k++)
        if ((rc = csv_str(b, json_string_value(json_object_get(r, mid[k])),
            0)) != 0)
            return rc;
    if ((rc = meshca_buf_put(b, ",", 1)) != 0 ||
        (rc = csv_put_cell(b, (const char *)meshca_buf_ptr(scratch),
        meshca_buf_len(scratch))) != 0 ||
        (rc = csv_str(b, json_string_value(json_object_get(r,
        "valid_after")), 0)) != 0 ||
        (rc = csv_str(b, json_string_value(json_object_get(r,
        "valid_before")), 0)) != 0 ||
        (rc = csv_str(b, json_string_value(json_object_get(r, "reason")),
        0)) != 0 ||
        (rc = csv_str(b, json_is_true(json_object_get(r, "revoked")) ?
        "yes" : "no", 0)) != 0)
        return rc;
    for (k = 0; k < 3; k++)
        if ((rc = csv_str(b, json_string_value(json_object_get(r, tail[k])),
            0)) != 0)
            return rc;
    return meshca_buf_put(b, "\r\n", 2);
}

/* The CSV of rows (header first) as a new string in *outp, *lenp bytes. */
static int
csv_rows(const json_t *rows, char **outp, size_t *lenp)
{
    static const char header[] = "serial,created_seq,subject,email,role,"
        "principals,valid_after,valid_before,reason,revoked,key_id,"
        "key_fingerprint,client_address\r\n";
    struct meshca_buf *b = NULL, *scratch = NULL;
    const json_t *r;
    size_t i;
    int rc = MESHCA_ERR_ALLOC;

    *outp = NULL;
    *lenp = 0;
    if ((b = meshca_buf_new(BUF_SIZE_MAX)) == NULL ||
        (scratch = meshca_buf_new(BUF_SIZE_MAX)) == NULL)
        goto out;
    if ((rc = meshca_buf_put(b, header, sizeof(header) - 1)) != 0)
        goto out;
    json_array_foreach(rows, i, r)
        if ((rc = csv_row(b, scratch, r)) != 0)
            goto out;
    rc = meshca_buf_take_cstring(&b, outp, lenp);
out:
    meshca_buf_free(b);
    meshca_buf_free(scratch);
    return rc;
}

void
handle_list_certs(struct request *req)
{
    struct claims *c;
    json_t *rows = NULL, *o, *last;
    const char *fmt = req_arg(req, "format"), *lim = req_arg(req, "limit");
    const char *after = req_arg(req, "after"), *act = req_arg(req, "active");
    int64_t since, until;
    uint64_t limit = 100, after_seq = 0;
    char *csv = NULL;
    size_t n;

    if ((c = req_admin(req)) == NULL)
        return;
    if (query_period(req, &since, &until, 30LL * 86400) != 0)
        goto out;
    /* after is a ledger seq (a PostgreSQL bigint). */
    if (after != NULL && param_parse_u64(after, INT64_MAX, &after_seq) != 0) {
        req_error(req, 400, "invalid_request", "after: the next_after of the "
            "previous page (a record number, 0 to %lld)", (long long)INT64_MAX);
        goto out;
    }
    if (lim != NULL && param_parse_u64(lim, UINT64_MAX, &limit) != 0) {
        req_error(req, 400, "invalid_request", "limit: a whole number of "
            "certificates (at most 1000 are returned)");
        goto out;
    }
    if (limit == 0 || limit > 1000)
        limit = 1000;
    rows = ledger_list_certificates(req->srv->ledger, req_arg(req, "subject"),
        req_arg(req, "principal"), req_arg(req, "role"), since, until,
        act != NULL && (strcmp(act, "1") == 0 || strcmp(act, "true") == 0),
        after_seq, limit);
    if (rows == NULL) {
        req->retry_after = 2;
        req_error(req, 503, "unavailable", "the ledger cannot be read now");
        goto out;
    }
    if (fmt != NULL && strcmp(fmt, "csv") == 0) {
        if (csv_rows(rows, &csv, &n) != 0) {
            req_error(req, 500, "internal", "the CSV is too large; narrow "
                "the query or use limit/after");
            goto out;
        }
        req_reply(req, 200, "text/csv; charset=utf-8", csv, n);
        csv = NULL;
        goto out;
    }
    o = json_pack("{s:O, s:I}", "certificates", rows, "count",
        (json_int_t)json_array_size(rows));
    if (json_array_size(rows) == limit) {
        last = json_object_get(json_array_get(rows, json_array_size(rows) - 1),
            "seq");
        json_object_set_new(o, "next_after", last != NULL ? json_incref(last) :
            json_null());
    }
    req_reply_json(req, 200, o);
    json_decref(o);
out:
    free(csv);
    json_decref(rows);
    claims_free(c);
}

void
handle_report(struct request *req)
{
    struct claims *c;
    struct usage_params up;
    json_t *rep, *usage = NULL;
    int64_t since, until;

    if ((c = req_admin(req)) == NULL)
        return;
    memset(&up, 0, sizeof(up));
    if (query_period(req, &since, &until, 86400) == 0 &&
        usage_params_from(req, &up) == 0) {
        up.since = since;
        up.until = until;
        if ((rep = ledger_report(req->srv->ledger, since, until)) == NULL ||
            (usage = usage_report(req->srv->ledger, &up)) == NULL) {
            json_decref(rep);
            req->retry_after = 2;
            req_error(req, 503, "unavailable", "the ledger cannot be read "
                "now");
        } else {
            json_object_set_new(rep, "usage", usage);
            json_object_set_new(rep, "integrity", log_integrity(req->srv));
            /* Just-in-time access (#17): the period's requests and
             * break-glass uses with what became of them. */
            json_object_set_new(rep, "access_requests",
                access_store_report(req->srv->ledger, since, until));
            req_reply_json(req, 200, rep);
            json_decref(rep);
        }
    }
    claims_free(c);
}
