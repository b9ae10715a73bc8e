/*
 * GET /v1/who?principal=P&at=T[&window=D] (admins, issue #18): who could
 * reach a principal at a time (the certificates naming it that were valid
 * then, and whether they have been revoked since) and who did (the logins,
 * accepted or refused, with certificates naming it within D of T, default
 * 1h), from the ledger.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "meshca/claims.h"
#include "meshca/duration.h"
#include "meshca/principal.h"
#include "auth.h"
#include "ledger.h"
#include "param.h"
#include "server.h"
#include "who.h"

#define ISO(e) "to_char((" e ") AT TIME ZONE 'UTC', " \
    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* $1 principal, $2 at (epoch), $3 window (seconds).  "revoked" is the
 * ledger's rule (LEDGER_REVOCATION_COVERS) as of $2. */
static const char who_sql[] =
    "SELECT json_build_object('principal', $1::text, 'at', "
    ISO("to_timestamp($2::bigint)") ", "
    " 'could', (SELECT coalesce(json_agg(c ORDER BY c.valid_after), '[]') FROM ("
    "  SELECT x.serial::text AS serial, x.subject, x.email, x.role, x.key_id,"
    "   " ISO("x.valid_after") " AS valid_after, " ISO("x.valid_before")
    "   AS valid_before, EXISTS (SELECT 1 FROM revocations r WHERE "
    LEDGER_REVOCATION_COVERS " AND r.created_at <= to_timestamp($2::bigint))"
    "   AS revoked"
    "  FROM certificates x WHERE $1::text = ANY (x.principals) AND "
    "  x.valid_after <= to_timestamp($2::bigint) AND "
    "  x.valid_before > to_timestamp($2::bigint) LIMIT 5000) c),"
    " 'did', (SELECT coalesce(json_agg(d ORDER BY d.at), '[]') FROM ("
    "  SELECT l.host, l.account, " ISO("l.at") " AS at, l.result, l.serial,"
    "   k.subject, k.role, l.source_address"
    "  FROM logins l JOIN certificates k ON k.serial = l.issued_serial"
    "  WHERE $1::text = ANY (k.principals) AND l.at BETWEEN "
    "  to_timestamp($2::bigint) - make_interval(secs => $3::bigint) AND "
    "  to_timestamp($2::bigint) + make_interval(secs => $3::bigint)"
    "  ORDER BY l.at LIMIT 5000) d))::text";

void
handle_who(struct request *req)
{
    const char *pr = req_arg(req, "principal"), *at = req_arg(req, "at"),
               *win = req_arg(req, "window");
    char a[24], w[24];
    const char *p[3] = { pr, a, w };
    struct claims *c;
    struct pg_conn *conn;
    PGresult *res = NULL;
    int64_t now = (int64_t)time(NULL), t = now, window = 3600;

    if ((c = req_admin(req)) == NULL)
        return;
    if (pr == NULL || !principal_valid(pr)) {
        req_error(req, 400, "invalid_request", "principal: a mesh principal "
            "such as payments/api is required");
        goto out;
    }
    if ((at != NULL && param_parse_time(at, now, &t) != 0) ||
        (win != NULL && (duration_parse(win, &window) != 0 || window < 0))) {
        req_error(req, 400, "invalid_request", "%s", at != NULL &&
            param_parse_time(at, now, &t) != 0 ? "at: epoch seconds, RFC "
            "3339 UTC (2026-11-30T14:00:00Z) or a duration ago" : "window: a "
            "duration such as 1h");
        goto out;
    }
    snprintf(a, sizeof(a), "%lld", (long long)t);
    snprintf(w, sizeof(w), "%lld", (long long)window);
    if ((conn = ledger_reader_acquire(req->srv->ledger)) == NULL) {
        req->retry_after = 2;
        req_error(req, 503, "unavailable", "the ledger cannot be read now");
        goto out;
    }
    res = PQexecParams((PGconn *)conn, who_sql, 3, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
        req_reply(req, 200, "application/json",
            strdup(PQgetvalue(res, 0, 0)), (size_t)PQgetlength(res, 0, 0));
    else {
        log_msg(LOG_LEVEL_ERROR, "who: %s", PQresultErrorMessage(res));
        req->retry_after = 2;
        req_error(req, 503, "unavailable", "the ledger cannot be read now");
    }
    PQclear(res);
    ledger_reader_release(req->srv->ledger);
out:
    claims_free(c);
}
