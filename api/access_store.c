/* Access requests as the ledger holds them, with derived state.  See
 * access_store.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "access_store.h"
#include "ledger.h"
#include "meshcad_err.h"

#define TS(e) "to_char((" e ") AT TIME ZONE 'UTC', " \
    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define WINDOW "make_interval(secs => 600)"  /* ACCESS_COLLECT_WINDOW */

/* A decision row d as an object. */
#define DECISION_OBJ "json_build_object('subject', d.subject, 'issuer', " \
    "d.issuer, 'email', d.email, 'reason', d.reason, 'at', " \
    TS("d.created_at") ")"

/* One request r with what its decisions and certificate say. */
#define OBJ_SQL                                                              \
    "json_build_object('id', r.id, 'kind', r.kind, 'status', "               \
    " CASE WHEN r.kind = 'break_glass' THEN "                                \
    "   CASE WHEN k.at IS NULL THEN 'needs_review' ELSE 'acknowledged' END " \
    "  WHEN c.o IS NOT NULL THEN 'collected' "                               \
    "  WHEN n.at IS NOT NULL THEN 'denied' "                                 \
    "  WHEN p.at IS NOT NULL AND now() < p.at + " WINDOW " THEN 'approved' " \
    "  WHEN p.at IS NOT NULL THEN 'expired' "                                \
    "  WHEN now() >= r.expires_at THEN 'expired' ELSE 'pending' END, "       \
    " 'subject', r.subject, 'issuer', r.issuer, 'email', r.email, "          \
    " 'role', r.role, 'principals', r.principals, "                          \
    " 'ttl_seconds', r.ttl_seconds, 'reason', r.reason, "                    \
    " 'key_fingerprint', r.key_fingerprint, "                                \
    " 'min_approvals', r.min_approvals, "                                    \
    " 'created_at', " TS("r.created_at") ", "                                \
    " 'expires_at', " TS("r.expires_at") ", 'approvals', a.list, "           \
    " 'approved_at', " TS("p.at") ", "                                       \
    " 'collect_by', " TS("p.at + " WINDOW) ", "                              \
    " 'time_to_approval_seconds', "                                          \
    "   extract(epoch FROM p.at - r.created_at)::bigint, "                   \
    " 'denial', n.o, 'acknowledgement', k.o, 'certificate', c.o)"

#define FROM_SQL                                                             \
    " FROM access_requests r"                                                \
    " LEFT JOIN LATERAL (SELECT coalesce(json_agg(" DECISION_OBJ             \
    "   ORDER BY d.seq), '[]') AS list FROM access_decisions d"              \
    "   WHERE d.access_request = r.id AND d.decision = 'approve') a ON true" \
    " LEFT JOIN LATERAL (SELECT d.created_at AS at FROM access_decisions d"  \
    "   WHERE d.access_request = r.id AND d.decision = 'approve'"            \
    "   AND d.created_at < r.expires_at"  /* a late approval counts not */  \
    "   ORDER BY d.seq OFFSET greatest(r.min_approvals, 1) - 1 LIMIT 1) p"   \
    "   ON r.kind = 'approval'"                                              \
    " LEFT JOIN LATERAL (SELECT d.created_at AS at, " DECISION_OBJ " AS o"   \
    "   FROM access_decisions d WHERE d.access_request = r.id"               \
    "   AND d.decision = 'deny' ORDER BY d.seq LIMIT 1) n ON true"           \
    " LEFT JOIN LATERAL (SELECT d.created_at AS at, " DECISION_OBJ " AS o"   \
    "   FROM access_decisions d WHERE d.access_request = r.id"               \
    "   AND d.decision = 'acknowledge' ORDER BY d.seq LIMIT 1) k ON true"    \
    " LEFT JOIN LATERAL (SELECT json_build_object('serial', x.serial::text," \
    "   'key_id', x.key_id, 'at', " TS("x.created_at") ") AS o"              \
    "   FROM certificates x WHERE x.key_id ~ '/ar-[0-9a-f]{32}$'"            \
    "   AND substring(x.key_id FROM '/ar-([0-9a-f]{32})$') = r.id"           \
    "   LIMIT 1) c ON true"

static const char get_sql[] =
    "SELECT " OBJ_SQL "::text" FROM_SQL " WHERE r.id = $1";

static const char list_sql[] =
    "SELECT coalesce(json_agg(s.o ORDER BY s.created DESC), '[]')::text "
    "FROM (SELECT " OBJ_SQL " AS o, r.created_at AS created" FROM_SQL
    " WHERE r.created_at > now() - interval '30 days' AND "
    " ((r.issuer = $1 AND r.subject = $2) OR r.role = ANY ($3::text[]) OR "
    "  ($4::boolean AND r.kind = 'break_glass')) "
    " ORDER BY r.created_at DESC LIMIT 500) s "
    "WHERE $5::boolean OR s.o->>'status' IN ('pending', 'approved', "
    "'needs_review')";

static const char report_sql[] =
    "SELECT coalesce(json_agg(s.o ORDER BY s.created), '[]')::text "
    "FROM (SELECT " OBJ_SQL " AS o, r.created_at AS created" FROM_SQL
    " WHERE r.created_at BETWEEN to_timestamp($1::bigint) AND "
    " to_timestamp($2::bigint) ORDER BY r.created_at LIMIT 5000) s";

/* Runs sql on the ledger's reader connection.  Returns 0 with the first
 * column of the one row parsed into *jp (NULL when there is no row), or
 * MESHCA_ERR_UNAVAILABLE. */
static int
read_json(struct ledger *l, const char *sql, int n, const char *const *p,
    json_t **jp)
{
    PGconn *c;
    PGresult *res;
    int r = MESHCA_ERR_UNAVAILABLE;

    *jp = NULL;
    if ((c = (PGconn *)ledger_reader_acquire(l)) == NULL)
        return r;
    res = PQexecParams(c, sql, n, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(res) == PGRES_TUPLES_OK) {
        r = 0;
        if (PQntuples(res) == 1 &&
            (*jp = json_loads(PQgetvalue(res, 0, 0), 0, NULL)) == NULL)
            r = MESHCA_ERR_UNAVAILABLE;
    }
    PQclear(res);
    ledger_reader_release(l);
    return r;
}

int
access_store_get(struct ledger *l, const char *id, json_t **objp)
{
    const char *p[1] = { id };

    return read_json(l, get_sql, 1, p, objp);
}

/* A PostgreSQL text[] literal of the NULL-ended names (role names hold no
 * quotes or backslashes: A-Za-z0-9-_. only). */
static char *
names_array(const char *const *v)
{
    size_t i, len = 3;
    char *s;

    for (i = 0; v != NULL && v[i] != NULL; i++)
        len += strlen(v[i]) + 3;
    if ((s = malloc(len)) == NULL)
        return NULL;
    strcpy(s, "{");
    for (i = 0; v != NULL && v[i] != NULL; i++) {
        if (i > 0)
            strcat(s, ",");
        strcat(s, "\"");
        strcat(s, v[i]);
        strcat(s, "\"");
    }
    strcat(s, "}");
    return s;
}

json_t *
access_store_list(struct ledger *l, const char *issuer, const char *subject,
    const char *const *roles, int see_break_glass, int all)
{
    char *arr = names_array(roles);
    const char *p[5] = { issuer, subject, arr, see_break_glass ? "t" : "f",
        all ? "t" : "f" };
    json_t *j = NULL;

    if (arr != NULL && read_json(l, list_sql, 5, p, &j) != 0)
        j = NULL;
    free(arr);
    return j;
}

json_t *
access_store_report(struct ledger *l, int64_t since, int64_t until)
{
    char s[24], u[24];
    const char *p[2] = { s, u };
    json_t *j = NULL;

    snprintf(s, sizeof(s), "%lld", (long long)since);
    snprintf(u, sizeof(u), "%lld", (long long)until);
    if (read_json(l, report_sql, 2, p, &j) != 0)
        return NULL;
    return j;
}
