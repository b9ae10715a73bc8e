/*
 * Who actually logged in (issue #18): the reconciliation of the ledger's
 * grants with the logins hosts report, for GET /v1/report's "usage"
 * member, and the anomaly rules for GET /v1/anomalies.  Both read the
 * ledger through its reader connection.  See docs/usage-reporting.md for
 * every field and rule.
 */
#ifndef MESHCAD_USAGE_H
#define MESHCAD_USAGE_H

#include <stdint.h>

#include <jansson.h>

struct ledger;
struct request;

/* Thresholds a caller may change (GET /v1/report?krl_stale=&silent=). */
struct usage_params {
    int64_t since, until;       /* the period, epoch seconds */
    int64_t krl_stale;          /* a host missing a revocation this long
                                 * (seconds) has a stale KRL; default 900 */
    int64_t silent;             /* a host not reporting this long is
                                 * silent; default 86400 */
};

/* The "usage" object: certificates (used or not, where, first and last
 * use), roles and principals (holders, users, unused grants),
 * use_after_revocation, hosts (freshness), unknown (serials or CAs meshca
 * never issued), access_map (aggregated edges) and anomalies.  NULL when
 * the database cannot be read.  Caller decrefs. */
json_t *usage_report(struct ledger *l, const struct usage_params *p);

/* Every anomaly rule, in the order reports and metrics name them. */
#define USAGE_ANOMALY_RULES { "first_access", "new_source", "unusual_hour", \
    "denial_spike", "rare_role", "break_glass", "host_spread", \
    "unknown_serial", "unknown_ca", "use_after_revocation" }
#define USAGE_ANOMALY_NRULES 10

/* The anomalies of the period alone: {"rules": {RULE: count}, "anomalies":
 * [{"rule", "at", "subject", "host", "evidence", ...}]}.  NULL when the
 * database cannot be read. */
json_t *usage_anomalies(struct ledger *l, const struct usage_params *p);

/* On a reader connection c: the use_after_revocation list, and the
 * anomalies given it (anomalies.c).  NULL when the database fails. */
struct pg_conn;
json_t *usage_use_after_revocation(struct pg_conn *c,
    const struct usage_params *p);
json_t *usage_anomalies_on(struct pg_conn *c, const struct usage_params *p,
    json_t *uar);

/* Parses krl_stale and silent from the request (durations); 0, or -1 with
 * a 400 queued. */
int usage_params_from(struct request *req, struct usage_params *p);

/* GET /v1/anomalies (admins): ?since=&until= (default the last 24 h). */
void handle_anomalies(struct request *req);

#endif
