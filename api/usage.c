/*
 * Usage reconciliation and anomaly rules (issue #18).  See usage.h.
 *
 * Every section is one SQL statement returning one JSON text, run on the
 * ledger's reader connection.  Logins are tied to the certificate meshca
 * issued by logins.issued_serial (set by the database when the login was
 * recorded), so no statement parses key ids.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "meshca/claims.h"
#include "meshca/duration.h"
#include "auth.h"
#include "ledger.h"
#include "server.h"
#include "usage.h"

#define ISO(e) "to_char((" e ") AT TIME ZONE 'UTC', " \
    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define SINCE "to_timestamp($1::bigint)"
#define UNTIL "to_timestamp($2::bigint)"
#define IN_PERIOD(col) col " BETWEEN " SINCE " AND " UNTIL

/* Certificates revoked, each with when it was first revoked (any kind): the
 * rule of LEDGER_REVOCATION_COVERS (ledger.h), as joins. */
#define REVOKED_CTE                                                            \
    "rv AS (SELECT serial, min(at) AS revoked_at FROM ("                       \
    " SELECT c.serial, r.created_at AS at FROM revocations r "                 \
    "  JOIN certificates c ON r.kind = 'serial' AND c.serial = CASE WHEN "     \
    "  r.value ~ '^[0-9]{1,19}$' AND r.value::numeric <= 9223372036854775807 " \
    "  THEN r.value::bigint END"                                               \
    " UNION ALL SELECT c.serial, r.created_at FROM revocations r "             \
    "  JOIN certificates c ON r.kind = 'key_id' AND c.key_id = r.value"        \
    " UNION ALL SELECT c.serial, r.created_at FROM revocations r "             \
    "  JOIN certificates c ON r.kind = 'subject' AND c.subject = r.value AND " \
    "  (r.issuer IS NULL OR r.issuer = c.issuer) AND "                         \
    "  c.created_at <= greatest(r.created_at, r.block_until)"                  \
    " UNION ALL SELECT c.serial, r.created_at FROM revocations r "             \
    "  JOIN certificates c ON r.kind = 'key_fingerprint' AND "                 \
    "  c.key_fingerprint = r.value) u GROUP BY serial)"

/* Per certificate issued in the period (the newest 2000): used or not. */
static const char certs_sql[] =
    "SELECT json_build_object("
    " 'issued', (SELECT count(*) FROM certificates c WHERE " IN_PERIOD("c.created_at") "),"
    " 'used', (SELECT count(*) FROM certificates c WHERE " IN_PERIOD("c.created_at")
    "   AND EXISTS (SELECT 1 FROM logins x WHERE x.issued_serial = c.serial "
    "   AND x.result = 'accepted')),"
    " 'list', (SELECT coalesce(json_agg(t ORDER BY t.issued_at DESC), '[]') FROM ("
    "  SELECT c.serial::text AS serial, c.subject, c.email, c.role, c.principals,"
    "   " ISO("c.created_at") " AS issued_at, u.n AS logins, u.n > 0 AS used,"
    "   u.hosts, u.accounts, " ISO("u.first") " AS first_use, "
    "   " ISO("u.last") " AS last_use"
    "  FROM (SELECT * FROM certificates WHERE " IN_PERIOD("created_at")
    "        ORDER BY created_at DESC LIMIT 2000) c"
    "  CROSS JOIN LATERAL (SELECT count(*) AS n, min(x.at) AS first, "
    "   max(x.at) AS last,"
    "   coalesce(array_agg(DISTINCT x.host), '{}') AS hosts,"
    "   coalesce(array_agg(DISTINCT x.account), '{}') AS accounts"
    "   FROM logins x WHERE x.issued_serial = c.serial AND x.result = 'accepted') u"
    " ) t))::text";

/* Per role: its principals, who held it in the period, who used it. */
static const char roles_sql[] =
    "WITH h AS (SELECT role, subject, principals FROM certificates "
    "  WHERE " IN_PERIOD("created_at") "),"
    " s AS (SELECT DISTINCT issued_serial FROM logins x WHERE "
    "  x.result = 'accepted' AND " IN_PERIOD("x.at") "),"
    " u AS (SELECT DISTINCT c.role, c.subject FROM s "
    "  JOIN certificates c ON c.serial = s.issued_serial),"
    " p AS (SELECT role, array_agg(DISTINCT pr ORDER BY pr) AS principals "
    "  FROM h, unnest(h.principals) pr GROUP BY role),"
    " m AS (SELECT DISTINCT role, subject FROM h),"
    " r AS (SELECT m.role, count(*) AS members, count(u.subject) AS used_by,"
    "  (array_agg(m.subject ORDER BY m.subject) FILTER (WHERE u.subject IS NULL))[1:50]"
    "   AS unused_members,"
    "  count(*) - count(u.subject) AS unused"
    "  FROM m LEFT JOIN u ON u.role = m.role AND u.subject = m.subject GROUP BY m.role)"
    "SELECT coalesce(json_agg(json_build_object('role', r.role, "
    " 'principals', p.principals, 'members', r.members, 'used_by', r.used_by,"
    " 'unused', r.unused, 'unused_members', coalesce(r.unused_members, '{}'),"
    " 'finding', CASE WHEN r.unused > 0 THEN format('role %s grants %s; %s of "
    "its %s member%s never used it in the period', r.role, "
    "  array_to_string(p.principals, ', '), r.unused, r.members, "
    "  CASE WHEN r.members = 1 THEN '' ELSE 's' END) END)"
    " ORDER BY r.unused DESC, r.role), '[]')::text FROM r JOIN p ON p.role = r.role";

/* Per principal: holders and users in the period. */
static const char principals_sql[] =
    "WITH h AS (SELECT DISTINCT pr, subject FROM certificates, "
    "  unnest(principals) pr WHERE " IN_PERIOD("created_at") "),"
    " s AS (SELECT DISTINCT issued_serial FROM logins x WHERE "
    "  x.result = 'accepted' AND " IN_PERIOD("x.at") "),"
    " u AS (SELECT DISTINCT pr, c.subject FROM s "
    "  JOIN certificates c ON c.serial = s.issued_serial, unnest(c.principals) pr)"
    "SELECT coalesce(json_agg(t ORDER BY t.principal), '[]')::text FROM ("
    " SELECT h.pr AS principal, count(*) AS holders, count(u.subject) AS users,"
    "  (array_agg(h.subject ORDER BY h.subject))[1:50] AS held_by,"
    "  (array_agg(u.subject ORDER BY u.subject) FILTER (WHERE u.subject IS NOT NULL))[1:50]"
    "   AS used_by"
    " FROM h LEFT JOIN u ON u.pr = h.pr AND u.subject = h.subject GROUP BY h.pr) t";

/* Accepted logins with a certificate revoked before them. */
static const char uar_sql[] =
    "WITH " REVOKED_CTE
    "SELECT coalesce(json_agg(t ORDER BY t.at), '[]')::text FROM ("
    " SELECT x.host, x.account, " ISO("x.at") " AS at, x.serial, c.subject,"
    "  c.key_id, " ISO("rv.revoked_at") " AS revoked_at, x.krl_version::text AS krl_version,"
    "  " ISO("x.krl_generated_at") " AS krl_generated_at,"
    "  extract(epoch FROM x.at - x.krl_generated_at)::bigint AS krl_age_seconds,"
    "  format('%s let in %s (serial %s) at %s, %s after it was revoked: "
    "its KRL %s', x.host, c.subject, x.serial, " ISO("x.at") ","
    "   justify_interval(date_trunc('second', x.at - rv.revoked_at)),"
    "   CASE WHEN x.krl_generated_at IS NULL THEN 'was never reported (stale or missing)'"
    "    ELSE format('(version %s) was generated %s before the login', x.krl_version,"
    "     justify_interval(date_trunc('second', x.at - x.krl_generated_at))) END)"
    "   AS finding"
    " FROM rv JOIN logins x ON x.issued_serial = rv.serial"
    " JOIN certificates c ON c.serial = rv.serial"
    " WHERE x.result = 'accepted' AND x.at > rv.revoked_at AND " IN_PERIOD("x.at")
    " ORDER BY x.at LIMIT 1000) t";

/* Each reporting host: its KRL and how long it has missed a revocation. */
static const char hosts_sql[] =
    "SELECT coalesce(json_agg(t ORDER BY t.host), '[]')::text FROM ("
    " SELECT h.host, " ISO("h.last_report_at") " AS last_report_at,"
    "  h.krl_version::text AS krl_version, " ISO("h.krl_generated_at") " AS krl_generated_at,"
    "  extract(epoch FROM now() - m.since)::bigint AS krl_behind_seconds,"
    "  coalesce(now() - m.since > make_interval(secs => $3::bigint), "
    "   h.krl_version IS NULL) AS krl_stale,"
    "  now() - h.last_report_at > make_interval(secs => $4::bigint) AS silent,"
    "  coalesce(n.logins, 0) AS logins"
    " FROM host_reports h CROSS JOIN LATERAL (SELECT min(r.created_at) AS since "
    "  FROM revocations r WHERE r.seq > coalesce(h.krl_version, 0)) m"
    " LEFT JOIN (SELECT x.host, count(*) AS logins FROM logins x WHERE "
    IN_PERIOD("x.at") " GROUP BY 1) n ON n.host = h.host) t";

/* Logins with a serial meshca never issued, or under a CA it never used. */
static const char unknown_sql[] =
    "SELECT coalesce(json_agg(t ORDER BY t.at), '[]')::text FROM ("
    " SELECT x.host, x.account, " ISO("x.at") " AS at, x.result, x.serial, x.key_id,"
    "  x.ca_fingerprint, x.source_address,"
    "  CASE WHEN x.ca_known THEN 'unknown_serial' ELSE 'unknown_ca' END AS rule"
    " FROM logins x WHERE x.issued_serial IS NULL AND " IN_PERIOD("x.at")
    " ORDER BY x.at LIMIT 1000) t";

/*
 * The access map's edges, aggregated: email domain -> role (people and
 * logins), role -> principal (granted by certificates of the period, and
 * logins with them), principal -> host (logins).  sshd does not log which
 * of a certificate's principals matched, so a login counts on each.
 */
static const char map_sql[] =
    "WITH c AS (SELECT serial, role, principals, "
    "  coalesce(nullif(split_part(email, '@', 2), ''), issuer) AS grp, subject "
    "  FROM certificates WHERE " IN_PERIOD("created_at") "),"
    /* Logins counted per certificate and host first: the joins and the
     * principals' unnest then see thousands of rows, not millions. */
    " lh AS (SELECT x.issued_serial AS serial, x.host, count(*) AS n FROM logins x "
    "  WHERE x.result = 'accepted' AND x.issued_serial IS NOT NULL AND "
    IN_PERIOD("x.at") " GROUP BY 1, 2),"
    " l AS (SELECT lh.host, lh.n, k.role, k.principals, "
    "  coalesce(nullif(split_part(k.email, '@', 2), ''), k.issuer) AS grp "
    "  FROM lh JOIN certificates k ON k.serial = lh.serial),"
    " gr AS (SELECT grp AS a, role AS b, count(DISTINCT subject) AS people, 0 AS logins "
    "  FROM c GROUP BY 1, 2 UNION ALL SELECT grp, role, 0, sum(n) FROM l GROUP BY 1, 2),"
    " rp AS (SELECT role AS a, pr AS b, 1 AS granted, 0 AS logins FROM c, "
    "  unnest(c.principals) pr GROUP BY 1, 2"
    "  UNION ALL SELECT role, pr, 0, sum(n) FROM l, unnest(l.principals) pr GROUP BY 1, 2),"
    " ph AS (SELECT pr AS a, host AS b, sum(n) AS logins FROM l, "
    "  unnest(l.principals) pr GROUP BY 1, 2)"
    "SELECT json_build_object("
    " 'groups_roles', (SELECT coalesce(json_agg(json_build_object('group', a, 'role', b,"
    "   'people', p, 'logins', n)), '[]') FROM (SELECT a, b, sum(people) AS p, "
    "   sum(logins) AS n FROM gr GROUP BY a, b) g),"
    " 'roles_principals', (SELECT coalesce(json_agg(json_build_object('role', a,"
    "   'principal', b, 'granted', g > 0, 'logins', n)), '[]') FROM (SELECT a, b,"
    "   sum(granted) AS g, sum(logins) AS n FROM rp GROUP BY a, b) r),"
    " 'principals_hosts', (SELECT coalesce(json_agg(json_build_object('principal', a,"
    "   'host', b, 'logins', logins)), '[]') FROM (SELECT * FROM ph "
    "   ORDER BY logins DESC LIMIT 20000) p))::text";

/* Runs sql with the first nparams of p's parameters; the JSON or NULL. */
static json_t *
run(PGconn *c, const char *sql, int nparams, const struct usage_params *up)
{
    char s[24], u[24], k[24], q[24];
    const char *p[4] = { s, u, k, q };
    PGresult *res;
    json_t *j = NULL;

    snprintf(s, sizeof(s), "%lld", (long long)up->since);
    snprintf(u, sizeof(u), "%lld", (long long)up->until);
    snprintf(k, sizeof(k), "%lld", (long long)up->krl_stale);
    snprintf(q, sizeof(q), "%lld", (long long)up->silent);
    res = PQexecParams(c, sql, nparams, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
        j = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    else
        log_msg(LOG_LEVEL_ERROR, "usage report: %s",
            PQresultErrorMessage(res));
    PQclear(res);
    return j;
}

json_t *
usage_use_after_revocation(struct pg_conn *c, const struct usage_params *p)
{
    return run((PGconn *)c, uar_sql, 2, p);
}

json_t *
usage_report(struct ledger *l, const struct usage_params *p)
{
    static const struct { const char *name, *sql; int n; } parts[] = {
        { "certificates", certs_sql, 2 }, { "roles", roles_sql, 2 },
        { "principals", principals_sql, 2 },
        { "use_after_revocation", uar_sql, 2 }, { "hosts", hosts_sql, 4 },
        { "unknown", unknown_sql, 2 }, { "access_map", map_sql, 2 },
    };
    PGconn *c;
    json_t *o = json_object(), *v;
    size_t i;

    if (o == NULL || (c = (PGconn *)ledger_reader_acquire(l)) == NULL) {
        json_decref(o);
        return NULL;
    }
    for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        if ((v = run(c, parts[i].sql, parts[i].n, p)) == NULL) {
            json_decref(o);
            o = NULL;
            break;
        }
        json_object_set_new(o, parts[i].name, v);
    }
    if (o != NULL) {
        if ((v = usage_anomalies_on(c, p, json_object_get(o,
            "use_after_revocation"))) == NULL) {
            json_decref(o);
            o = NULL;
        } else
            json_object_set_new(o, "anomalies", v);
    }
    ledger_reader_release(l);
    return o;
}

static int
duration_arg(struct request *req, const char *name, int64_t *vp)
{
    const char *v = req_arg(req, name);

    if (v == NULL)
        return 0;
    if (duration_parse(v, vp) != 0 || *vp <= 0) {
        req_error(req, 400, "invalid_request", "%s: a duration such as 15m "
            "or 24h", name);
        return -1;
    }
    return 0;
}

int
usage_params_from(struct request *req, struct usage_params *p)
{
    p->krl_stale = 900;
    p->silent = 86400;
    if (duration_arg(req, "krl_stale", &p->krl_stale) != 0 ||
        duration_arg(req, "silent", &p->silent) != 0)
        return -1;
    return 0;
}
