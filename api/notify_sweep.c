/* The notification sweep: events the immediate path missed, from the
 * ledger.  See notify_sweep.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "meshca/policy.h"
#include "access.h"
#include "access_store.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "notify.h"
#include "notify_config.h"
#include "notify_sweep.h"
#include "server.h"

/* pg_try_advisory_xact_lock key: "meshca webhook sweep". */
#define SWEEP_LOCK "7227350474251116"
#define SWEEP_BATCH "500"
#define SWEEP_GRACE "3 seconds"

/* The event-producing records after ($1 xid, $2 seq) below xmin $3, in
 * (xid, seq) order: xid, seq, event, request id, approver (issuer,
 * subject), revocation (json), and whether it is too young yet. */
static const char fetch_sql[] =
    "SELECT x8::text, seq::text, ev, id, iss, sub, rev::text, "
    " at > now() - interval '" SWEEP_GRACE "' FROM ("
    " SELECT xid AS x8, seq, 'request.created' AS ev, id, NULL::text AS iss,"
    "  NULL::text AS sub, NULL::jsonb AS rev, created_at AS at"
    "  FROM access_requests WHERE kind = 'approval'"
    "  AND xid < $3::xid8 AND (xid, seq) > ($1::xid8, $2::bigint)"
    " UNION ALL SELECT x.xid, x.seq, 'break_glass.used', r.id, NULL, NULL,"
    "  NULL, x.created_at FROM certificates x JOIN access_requests r"
    "  ON r.id = substring(x.key_id FROM '/ar-([0-9a-f]{32})$')"
    "  AND r.kind = 'break_glass' WHERE x.key_id ~ '/ar-[0-9a-f]{32}$'"
    "  AND x.xid < $3::xid8 AND (x.xid, x.seq) > ($1::xid8, $2::bigint)"
    " UNION ALL SELECT xid, seq, CASE decision WHEN 'deny' THEN"
    "  'request.denied' ELSE 'request.approved' END, access_request, issuer,"
    "  subject, NULL, created_at FROM access_decisions"
    "  WHERE decision IN ('approve', 'deny')"
    "  AND xid < $3::xid8 AND (xid, seq) > ($1::xid8, $2::bigint)"
    " UNION ALL SELECT xid, seq, 'revocation.created', NULL, NULL, NULL,"
    "  jsonb_strip_nulls(jsonb_build_object('kind', kind, 'value', value,"
    "  'reason', reason, 'revoked_by', revoked_by, 'issuer', issuer)),"
    "  created_at FROM revocations"
    "  WHERE xid < $3::xid8 AND (xid, seq) > ($1::xid8, $2::bigint)"
    ") u ORDER BY u.x8, u.seq LIMIT " SWEEP_BATCH;

struct cursor {
    unsigned long long xid, seq;
};

static int
after(struct cursor a, struct cursor b)
{
    return a.xid > b.xid || (a.xid == b.xid && a.seq > b.seq);
}

/* Each webhook's cursor into cur[] (a new webhook's starts at xmin), and
 * the smallest into *min.  Returns 0 or -1. */
static int
load_cursors(PGconn *c, const struct notify_config *nc, const char *xmin,
    struct cursor *cur, struct cursor *min)
{
    size_t i;

    for (i = 0; i < nc->nwebhooks; i++) {
        const char *p[2] = { nc->webhooks[i].url, xmin };
        PGresult *res;

        if (db_exec(c, "notification sweep", "INSERT INTO webhook_sweep "
            "(hook, xid, seq) VALUES ($1, $2::xid8, 0) ON CONFLICT (hook) "
            "DO NOTHING", 2, p) != 0)
            return -1;
        res = PQexecParams(c, "SELECT xid::text, seq::text FROM webhook_sweep "
            "WHERE hook = $1", 1, NULL, p, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
            PQclear(res);
            return -1;
        }
        cur[i].xid = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
        cur[i].seq = strtoull(PQgetvalue(res, 0, 1), NULL, 10);
        PQclear(res);
        if (i == 0 || after(*min, cur[i]))
            *min = cur[i];
    }
    return 0;
}

/* The object of event ev of row i of res as the immediate path renders it,
 * into *op (NULL: no event, e.g. an approval that did not complete its
 * request).  Returns 0, or -1 when the ledger cannot be read. */
static int
event_object(struct server *srv, PGresult *res, int i, json_t **op)
{
    const char *ev = PQgetvalue(res, i, 2), *id = PQgetvalue(res, i, 3);
    json_t *o = NULL;
    struct policy *pol;

    *op = NULL;
    if (strcmp(ev, "revocation.created") == 0) {
        if ((o = json_loads(PQgetvalue(res, i, 6), 0, NULL)) != NULL)
            json_object_set_new(o, "already_revoked", json_false());
        *op = o;
        return 0;
    }
    if (access_store_get(srv->ledger, id, &o) != 0)
        return -1;
    if (o == NULL)
        return 0;
    if (strcmp(ev, "request.created") == 0) {
        pol = server_policy(srv);
        *op = access_created_json(pol, id, o);
        policy_unref(pol);
        json_decref(o);
    } else if (strcmp(ev, "request.approved") == 0 &&
        !access_completed_by(o, PQgetvalue(res, i, 4), PQgetvalue(res, i, 5)))
        json_decref(o);
    else
        *op = o;
    return 0;
}

/* Queues row i's event for the webhooks that want it and have not swept
 * past it.  Returns the number queued, or -1. */
static int
sweep_record(struct server *srv, PGconn *c, PGresult *res, int i,
    const struct cursor *cur)
{
    const struct notify_config *nc = &srv->cfg->notify;
    const char *ev = PQgetvalue(res, i, 2);
    struct cursor at = { strtoull(PQgetvalue(res, i, 0), NULL, 10),
        strtoull(PQgetvalue(res, i, 1), NULL, 10) };
    json_t *o = NULL;
    char *body;
    size_t k;
    int n = 0, r, loaded = 0;

    for (k = 0; k < nc->nwebhooks; k++) {
        const struct webhook_config *w = &nc->webhooks[k];

        if (!after(at, cur[k]) || !notify_config_wants(w, ev))
            continue;
        if (!loaded) {
            loaded = 1;
            if (event_object(srv, res, i, &o) != 0)
                return -1;
        }
        if (o == NULL)
            break;
        if ((body = notify_render(ev, o, w->slack)) == NULL) {
            json_decref(o);
            return -1;
        }
        r = notify_enqueue(c, w->url, ev, PQgetvalue(res, i, 1), body);
        free(body);
        if (r < 0) {
            json_decref(o);
            return -1;
        }
        if (r == 1)
            log_msg(LOG_LEVEL_WARN, "notifications: %s of ledger record %s "
                "for %s was missed when it happened; the sweep queued it",
                ev, PQgetvalue(res, i, 1), w->url);
        n += r;
    }
    json_decref(o);
    return n;
}

/* Sweeps the records of res; moves every cursor to the last one swept.
 * Returns the number of events queued, or -1. */
static int
sweep_records(struct server *srv, PGconn *c, PGresult *res,
    const struct cursor *cur)
{
    const struct notify_config *nc = &srv->cfg->notify;
    int i, r, n = 0, done = 0, rows = PQntuples(res);
    size_t k;

    for (i = 0; i < rows; i++) {
        if (strcmp(PQgetvalue(res, i, 7), "t") == 0)
            break;      /* too young: the immediate path is on it */
        if ((r = sweep_record(srv, c, res, i, cur)) < 0)
            return -1;
        n += r;
        done = i + 1;
    }
    for (k = 0; done > 0 && k < nc->nwebhooks; k++) {
        const char *p[3] = { nc->webhooks[k].url,
            PQgetvalue(res, done - 1, 0), PQgetvalue(res, done - 1, 1) };

        if (db_exec(c, "notification sweep", "UPDATE webhook_sweep SET "
            "xid = $2::xid8, seq = $3::bigint WHERE hook = $1 AND (xid, seq) "
            "< ($2::xid8, $3::bigint)", 3, p) != 0)
            return -1;
    }
    return n;
}

int
notify_sweep(void *arg, void *conn)
{
    struct server *srv = arg;
    const struct notify_config *nc = &srv->cfg->notify;
    PGconn *c = conn;
    PGresult *lk = NULL, *res = NULL;
    struct cursor *cur = NULL, min = { 0, 0 };
    char xs[24], ss[24];
    int r = -1;

    if (nc->nwebhooks == 0)
        return 0;
    if (db_exec(c, "notification sweep", "BEGIN", 0, NULL) != 0)
        return -1;
    lk = PQexec(c, "SELECT pg_try_advisory_xact_lock(" SWEEP_LOCK "), "
        "pg_snapshot_xmin(pg_current_snapshot())::text");
    if (PQresultStatus(lk) != PGRES_TUPLES_OK || PQntuples(lk) != 1)
        goto out;
    if (strcmp(PQgetvalue(lk, 0, 0), "t") != 0) {
        r = 0;          /* another replica is sweeping */
        goto out;
    }
    if ((cur = calloc(nc->nwebhooks, sizeof(*cur))) == NULL ||
        load_cursors(c, nc, PQgetvalue(lk, 0, 1), cur, &min) != 0)
        goto out;
    snprintf(xs, sizeof(xs), "%llu", min.xid);
    snprintf(ss, sizeof(ss), "%llu", min.seq);
    {
        const char *p[3] = { xs, ss, PQgetvalue(lk, 0, 1) };

        res = PQexecParams(c, fetch_sql, 3, NULL, p, NULL, NULL, 0);
    }
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        log_msg(LOG_LEVEL_ERROR, "notification sweep: cannot read the "
            "ledger: %s", PQresultErrorMessage(res));
        goto out;
    }
    r = sweep_records(srv, c, res, cur);
out:
    free(cur);
    PQclear(res);
    PQclear(lk);
    if (db_exec(c, "notification sweep", r >= 0 ? "COMMIT" : "ROLLBACK", 0,
        NULL) != 0)
        r = -1;
    return r;
}
