/*
 * Admin reads of the ledger: GET /v1/certificates (filtered, paginated, JSON
 * or CSV) and GET /v1/report (the compliance report's data).  Admins are
 * the identities the policy's "admins" rule matches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "meshca/duration.h"
#include "meshca/policy.h"
#include "ledger.h"
#include "server.h"

struct claims *
req_admin(struct request *req)
{
    struct claims *c;
    struct policy *pol;
    int ok;

    if ((c = req_authenticate(req)) == NULL)
        return NULL;
    pol = server_policy(req->srv);
    ok = policy_is_admin(pol, c);
    policy_unref(pol);
    if (!ok) {
        req_error(req, 403, "forbidden", "this needs an administrator (the "
            "policy's \"admins\"); %s is not one", c->sub);
        claims_free(c);
        return NULL;
    }
    return c;
}

static const char *
arg(struct request *req, const char *name)
{
    const char *v = MHD_lookup_connection_value(req->conn,
        MHD_GET_ARGUMENT_KIND, name);

    return v != NULL && *v != '\0' ? v : NULL;
}

/* A time: epoch seconds, RFC 3339 UTC, or a duration meaning that long ago. */
static int
parse_when(const char *s, int64_t *tp)
{
    struct tm tm;
    const char *end;
    int64_t d;
    char *e;
    long long v;

    if ((v = strtoll(s, &e, 10)) > 0 && *e == '\0') {
        *tp = v;
        return 0;
    }
    memset(&tm, 0, sizeof(tm));
    if ((end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm)) != NULL &&
        *end == '\0') {
        *tp = (int64_t)timegm(&tm);
        return 0;
    }
    if (duration_parse(s, &d) == 0) {
        *tp = (int64_t)time(NULL) - d;
        return 0;
    }
    return -1;
}

static int
period(struct request *req, int64_t *sincep, int64_t *untilp, int64_t dflt)
{
    const char *s = arg(req, "since"), *u = arg(req, "until");

    *untilp = (int64_t)time(NULL) + 60;
    *sincep = *untilp - 60 - dflt;
    if ((s != NULL && parse_when(s, sincep) != 0) ||
        (u != NULL && parse_when(u, untilp) != 0)) {
        req_error(req, 400, "invalid_request", "since/until: epoch seconds, "
            "RFC 3339 UTC (2026-11-22T00:00:00Z) or a duration ago (24h)");
        return -1;
    }
    return 0;
}

/* Appends to b unless an earlier append failed (*errp set). */
static void
put(struct buf *b, int *errp, const char *s, size_t n)
{
    if (*errp == 0 && (b == NULL || buf_put(b, s, n) != 0))
        *errp = 1;
}

static void
csv_cell(struct buf *b, int *errp, const char *s)
{
    const char *p;

    put(b, errp, "\"", 1);
    /* Cells that a spreadsheet would run as a formula start with a quote. */
    if (s != NULL && s[0] != '\0' && strchr("=+-@", s[0]) != NULL)
        put(b, errp, "'", 1);
    for (p = s ? s : ""; *p != '\0'; p++) {
        if (*p == '"')
            put(b, errp, "\"", 1);
        put(b, errp, p, 1);
    }
    put(b, errp, "\"", 1);
}

void
handle_list_certs(struct request *req)
{
    struct claims *c;
    json_t *rows = NULL, *o, *r;
    const char *fmt = arg(req, "format"), *lim = arg(req, "limit");
    const char *after = arg(req, "after"), *act = arg(req, "active");
    int64_t since, until;
    uint64_t limit = lim ? strtoull(lim, NULL, 10) : 100;
    size_t i;

    if ((c = req_admin(req)) == NULL)
        return;
    if (period(req, &since, &until, 30LL * 86400) != 0)
        goto out;
    if (limit == 0 || limit > 1000)
        limit = 1000;
    rows = ledger_list_certificates(req->srv->ledger, arg(req, "subject"),
        arg(req, "principal"), arg(req, "role"), since, until,
        act != NULL && (strcmp(act, "1") == 0 || strcmp(act, "true") == 0),
        after ? strtoull(after, NULL, 10) : 0, limit);
    if (rows == NULL) {
        req->retry_after = 2;
        req_error(req, 503, "unavailable", "the ledger cannot be read now");
        goto out;
    }
    if (fmt != NULL && strcmp(fmt, "csv") == 0) {
        static const char *const cols[] = { "serial", "created_seq", "subject",
            "email", "role", "principals", "valid_after", "valid_before",
            "reason", "revoked", "key_id", "key_fingerprint",
            "client_address" };
        struct buf *b = buf_new(BUF_SIZE_MAX);
        char *s;
        size_t k, n;
        int err = 0;

        for (k = 0; k < sizeof(cols) / sizeof(cols[0]); k++) {
            put(b, &err, ",", k ? 1 : 0);
            put(b, &err, cols[k], strlen(cols[k]));
        }
        put(b, &err, "\r\n", 2);
        json_array_foreach(rows, i, r) {
            char seq[24], pr[2048] = "";
            json_t *p;

            snprintf(seq, sizeof(seq), "%lld",
                (long long)json_integer_value(json_object_get(r, "seq")));
            json_array_foreach(json_object_get(r, "principals"), k, p) {
                size_t o2 = strlen(pr);

                snprintf(pr + o2, sizeof(pr) - o2, "%s%s", k ? " " : "",
                    json_string_value(p));
            }
            csv_cell(b, &err, json_string_value(json_object_get(r, "serial")));
            put(b, &err, ",", 1);
            csv_cell(b, &err, seq);
#define CELL(name)                                                             \
    do {                                                                       \
        put(b, &err, ",", 1);                                                  \
        csv_cell(b, &err, json_string_value(json_object_get(r, name)));        \
    } while (0)
            CELL("subject");
            CELL("email");
            CELL("role");
            put(b, &err, ",", 1);
            csv_cell(b, &err, pr);
            CELL("valid_after");
            CELL("valid_before");
            CELL("reason");
            put(b, &err, ",", 1);
            csv_cell(b, &err, json_is_true(json_object_get(r, "revoked")) ?
                "yes" : "no");
            CELL("key_id");
            CELL("key_fingerprint");
            CELL("client_address");
#undef CELL
            put(b, &err, "\r\n", 2);
        }
        if (err) {
            buf_free(b);
            req_error(req, 500, "internal", "the CSV is too large; narrow "
                "the query or use limit/after");
            goto out;
        }
        n = buf_len(b);
        if ((s = malloc(n + 1)) != NULL && n > 0)
            memcpy(s, buf_ptr(b), n);
        buf_free(b);
        req_reply(req, 200, "text/csv; charset=utf-8", s, s ? n : 0);
        goto out;
    }
    o = json_pack("{s:O, s:I}", "certificates", rows, "count",
        (json_int_t)json_array_size(rows));
    if (json_array_size(rows) == limit)
        json_object_set_new(o, "next_after", json_object_get(json_array_get(
            rows, json_array_size(rows) - 1), "seq") ? json_incref(
            json_object_get(json_array_get(rows, json_array_size(rows) - 1),
                "seq")) : json_null());
    req_reply_json(req, 200, o);
    json_decref(o);
out:
    json_decref(rows);
    claims_free(c);
}

void
handle_report(struct request *req)
{
    struct claims *c;
    json_t *rep;
    int64_t since, until;

    if ((c = req_admin(req)) == NULL)
        return;
    if (period(req, &since, &until, 86400) == 0) {
        if ((rep = ledger_report(req->srv->ledger, since, until)) == NULL) {
            req->retry_after = 2;
            req_error(req, 503, "unavailable", "the ledger cannot be read "
                "now");
        } else {
            req_reply_json(req, 200, rep);
            json_decref(rep);
        }
    }
    claims_free(c);
}
