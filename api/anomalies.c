/*
 * The anomaly rules (issue #18): simple, explainable, no model.  Each flag
 * names its rule and the evidence in words.  See docs/usage-reporting.md.
 *
 *   first_access        a person's first login as an account on a host
 *   new_source          a login from an address never seen for that person
 *                       (who had logged in before)
 *   unusual_hour        a login in a UTC hour (+-1) in which none of the
 *                       person's logins of the 90 days before fell (with at
 *                       least 20 of them)
 *   denial_spike        5 or more refusals (sshd or issuance) of a person in
 *                       one hour
 *   rare_role           a role used for under 1% of the period's logins, at
 *                       most 5 times
 *   break_glass         every login with a break-glass certificate (#17: its
 *                       key id ends in /break-glass/ar-ID), however common
 *   host_spread         a certificate used on 3 or more hosts and over three
 *                       times the median of its role's certificates
 *   unknown_serial/_ca  a serial meshca never issued / a CA it never used
 *   use_after_revocation  a revoked certificate let in (a host's KRL is stale)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "meshca/claims.h"
#include "auth.h"
#include "ledger.h"
#include "query.h"
#include "server.h"
#include "usage.h"

#define ISO(e) "to_char((" e ") AT TIME ZONE 'UTC', " \
    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define SINCE "to_timestamp($1::bigint)"
#define UNTIL "to_timestamp($2::bigint)"

/*
 * Accepted logins up to the period's end, counted per certificate, host,
 * account and source first (la: a person logs in from few places, so this
 * is far smaller than the logins), then with the person and role (lc).
 */
#define LOGINS_CTE                                                             \
    "la AS (SELECT issued_serial, host, account, source_address, "            \
    "  min(at) AS first, max(at) AS last, count(*) AS n, "                     \
    "  count(*) FILTER (WHERE at >= " SINCE ") AS n_period FROM logins "       \
    "  WHERE result = 'accepted' AND issued_serial IS NOT NULL AND "           \
    "  at <= " UNTIL " GROUP BY 1, 2, 3, 4),"                                  \
    " lc AS (SELECT la.*, c.subject, c.role, c.serial::text AS serial, "      \
    "  c.key_id "                                                              \
    "  FROM la JOIN certificates c ON c.serial = la.issued_serial),"

static const char rules_sql[] =
    "WITH " LOGINS_CTE
    " first_access AS (SELECT 'first_access' AS rule, f.at, f.subject, f.host,"
    "  f.account, NULL::text AS serial, format('first login of %s as %s on %s: "
    "no earlier login in the ledger', f.subject, f.account, f.host) AS evidence"
    "  FROM (SELECT subject, host, account, min(first) AS at FROM lc "
    "   GROUP BY 1, 2, 3) f WHERE f.at >= " SINCE "),"
    " new_source AS (SELECT 'new_source', s.at, s.subject, s.host, NULL, NULL,"
    "  format('%s logged in from %s for the first time (earlier logins since %s)',"
    "   s.subject, s.source_address, " ISO("p.first") ")"
    "  FROM (SELECT subject, source_address, min(first) AS at, min(host) AS host "
    "   FROM lc WHERE source_address IS NOT NULL GROUP BY 1, 2) s"
    "  JOIN (SELECT subject, min(first) AS first FROM lc GROUP BY 1) p "
    "   ON p.subject = s.subject WHERE s.at >= " SINCE " AND p.first < s.at),"
    " hist AS (SELECT c.subject, extract(hour FROM x.at AT TIME ZONE 'UTC')::int AS h,"
    "  count(*) AS n FROM logins x JOIN certificates c ON c.serial = x.issued_serial "
    "  WHERE x.result = 'accepted' AND x.at < " SINCE " AND x.at >= " SINCE
    "  - interval '90 days' GROUP BY 1, 2),"
    " hsum AS (SELECT subject, sum(n) AS n, min(h) AS lo, max(h) AS hi FROM hist "
    "  GROUP BY 1 HAVING sum(n) >= 20),"
    " unusual_hour AS (SELECT 'unusual_hour', x.at, c.subject, x.host, x.account,"
    "  x.serial, format('%s logged in at %s UTC; their %s logins of the 90 days "
    "before fell between %s:00 and %s:59 UTC', c.subject, "
    "  to_char(x.at AT TIME ZONE 'UTC', 'HH24:MI'), s.n, s.lo, s.hi)"
    "  FROM hsum s JOIN certificates c ON c.subject = s.subject "
    "  JOIN logins x ON x.issued_serial = c.serial "
    "  WHERE x.result = 'accepted' AND x.at BETWEEN " SINCE " AND " UNTIL
    "  AND NOT EXISTS (SELECT 1 FROM hist h WHERE h.subject = s.subject AND "
    "   (24 + h.h - extract(hour FROM x.at AT TIME ZONE 'UTC')::int) % 24 IN (0, 1, 23))),"
    " refusals AS (SELECT c.subject, date_trunc('hour', x.at) AS hr, count(*) AS n "
    "  FROM logins x JOIN certificates c ON c.serial = x.issued_serial "
    "  WHERE x.result <> 'accepted' AND x.at BETWEEN " SINCE " AND " UNTIL
    "  GROUP BY 1, 2 UNION ALL SELECT subject, date_trunc('hour', created_at), count(*) "
    "  FROM denials WHERE subject IS NOT NULL AND created_at BETWEEN " SINCE
    "  " " AND " UNTIL " GROUP BY 1, 2),"
    " denial_spike AS (SELECT 'denial_spike', hr, subject, NULL, NULL, NULL,"
    "  format('%s refusals of %s (sshd and issuance) in the hour from %s', sum(n),"
    "   subject, " ISO("hr") ") FROM refusals GROUP BY subject, hr HAVING sum(n) >= 5),"
    " lp AS (SELECT * FROM lc WHERE n_period > 0),"
    " role_use AS (SELECT role, sum(n_period) AS n, sum(sum(n_period)) OVER () AS total "
    "  FROM lp GROUP BY role),"
    " rare_role AS (SELECT 'rare_role', l.last, l.subject, l.host, l.account, l.serial,"
    "  format('role %s was used %s time(s) of %s logins in the period', r.role, r.n,"
    "   r.total) FROM lp l JOIN role_use r ON r.role = l.role "
    "  WHERE r.n <= 5 AND r.n * 100 < r.total),"
    " break_glass AS (SELECT 'break_glass', l.last, l.subject, l.host, l.account,"
    "  l.serial, format('break-glass certificate %s of %s (role %s, access "
    "request %s) was used %s time(s) as %s on %s; an approver acknowledges it "
    "with meshca ack', l.serial, l.subject, l.role, substring(l.key_id FROM "
    "'/ar-([0-9a-f]{32})$'), l.n_period, l.account, l.host) FROM lp l"
    "  WHERE l.key_id ~ '/break-glass/ar-[0-9a-f]{32}$'),"
    " spread AS (SELECT role, subject, serial, count(DISTINCT host) AS hosts,"
    "  max(last) AS at FROM lp GROUP BY 1, 2, 3),"
    " med AS (SELECT role, percentile_cont(0.5) WITHIN GROUP (ORDER BY hosts) AS m "
    "  FROM spread GROUP BY role),"
    " host_spread AS (SELECT 'host_spread', s.at, s.subject, NULL, NULL, s.serial,"
    "  format('certificate %s of %s was used on %s hosts; its role %s''s median is %s',"
    "   s.serial, s.subject, s.hosts, s.role, m.m) FROM spread s "
    "  JOIN med m ON m.role = s.role WHERE s.hosts >= 3 AND s.hosts > 3 * m.m),"
    " unknown AS (SELECT CASE WHEN x.ca_known THEN 'unknown_serial' ELSE 'unknown_ca' END,"
    "  x.at, NULL, x.host, x.account, x.serial, CASE WHEN x.ca_known THEN "
    "  format('%s trusted serial %s (key id %s), which meshca never issued', x.host,"
    "   x.serial, coalesce(x.key_id, '?')) ELSE format('%s trusted CA %s, which never "
    "issued a meshca certificate (key id %s)', x.host, coalesce(x.ca_fingerprint, '?'),"
    "   coalesce(x.key_id, '?')) END FROM logins x WHERE x.issued_serial IS NULL "
    "  AND x.at BETWEEN " SINCE " AND " UNTIL "),"
    " a AS (SELECT * FROM first_access UNION ALL SELECT * FROM new_source"
    "  UNION ALL SELECT * FROM unusual_hour UNION ALL SELECT * FROM denial_spike"
    "  UNION ALL SELECT * FROM rare_role UNION ALL SELECT * FROM break_glass"
    "  UNION ALL SELECT * FROM host_spread"
    "  UNION ALL SELECT * FROM unknown)"
    "SELECT json_build_object("
    " 'rules', (SELECT coalesce(json_object_agg(rule, n), '{}') FROM "
    "  (SELECT rule, count(*) AS n FROM a GROUP BY rule) r),"
    " 'anomalies', (SELECT coalesce(json_agg(json_build_object('rule', t.rule, "
    "  'at', " ISO("t.at") ", 'subject', t.subject, 'host', t.host, 'account', "
    "  t.account, 'serial', t.serial, 'evidence', t.evidence) ORDER BY t.at DESC), "
    "  '[]') FROM (SELECT * FROM a ORDER BY at DESC LIMIT 1000) t))::text";

/* The rules every report names, with 0 when nothing was flagged. */
static const char *const all_rules[USAGE_ANOMALY_NRULES] =
    USAGE_ANOMALY_RULES;

json_t *
usage_anomalies_on(struct pg_conn *c, const struct usage_params *up,
    json_t *uar)
{
    char s[24], u[24];
    const char *p[2] = { s, u };
    PGresult *res;
    json_t *j = NULL, *rules, *list, *e, *v;
    size_t i;

    snprintf(s, sizeof(s), "%lld", (long long)up->since);
    snprintf(u, sizeof(u), "%lld", (long long)up->until);
    res = PQexecParams((PGconn *)c, rules_sql, 2, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
        j = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    else
        log_msg(LOG_LEVEL_ERROR, "anomalies: %s", PQresultErrorMessage(res));
    PQclear(res);
    if (j == NULL)
        return NULL;
    rules = json_object_get(j, "rules");
    list = json_object_get(j, "anomalies");
    /* Use after revocation comes from the usage report's own finding. */
    json_array_foreach(uar, i, v) {
        e = json_pack("{s:s, s:O, s:O, s:O, s:O, s:O, s:O}", "rule",
            "use_after_revocation", "at", json_object_get(v, "at"),
            "subject", json_object_get(v, "subject"),
            "host", json_object_get(v, "host"),
            "account", json_object_get(v, "account"),
            "serial", json_object_get(v, "serial"),
            "evidence", json_object_get(v, "finding"));
        if (e != NULL)
            json_array_insert_new(list, 0, e);
    }
    json_object_set_new(rules, "use_after_revocation",
        json_integer((json_int_t)json_array_size(uar)));
    for (i = 0; i < sizeof(all_rules) / sizeof(all_rules[0]); i++)
        if (json_object_get(rules, all_rules[i]) == NULL)
            json_object_set_new(rules, all_rules[i], json_integer(0));
    return j;
}

json_t *
usage_anomalies(struct ledger *l, const struct usage_params *p)
{
    struct pg_conn *c;
    json_t *uar, *a = NULL;

    if ((c = ledger_reader_acquire(l)) == NULL)
        return NULL;
    if ((uar = usage_use_after_revocation(c, p)) != NULL)
        a = usage_anomalies_on(c, p, uar);
    json_decref(uar);
    ledger_reader_release(l);
    return a;
}

void
handle_anomalies(struct request *req)
{
    struct claims *c;
    struct usage_params p;
    json_t *a;

    if ((c = req_admin(req)) == NULL)
        return;
    memset(&p, 0, sizeof(p));
    /* The report's period, so the same arguments select the same logins. */
    if (query_period(req, &p.since, &p.until, 86400) != 0)
        goto out;
    if (usage_params_from(req, &p) != 0)
        goto out;
    if ((a = usage_anomalies(req->srv->ledger, &p)) == NULL) {
        req->retry_after = 2;
        req_error(req, 503, "unavailable", "the ledger cannot be read now");
        goto out;
    }
    req_reply_json(req, 200, a);
    json_decref(a);
out:
    claims_free(c);
}
