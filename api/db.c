/* libpq helpers: the one connect, and the background threads' runner.
 * See db.h. */
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "log.h"

PGconn *
db_connect(const char *conninfo, const char *app, int statement_timeout_s,
    char *why, size_t whylen)
{
    char sql[64];
    /* dbname first: expanded, then overridden by the keys after it. */
    static const char *const keys[] = { "dbname", "connect_timeout",
        "application_name", "tcp_user_timeout", "keepalives_idle", NULL };
    const char *vals[] = { conninfo, "3", app, "5000", "10", NULL };
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    PGresult *res;

    if (c == NULL || PQstatus(c) != CONNECTION_OK) {
        snprintf(why, whylen, "database unreachable: %s",
            c ? PQerrorMessage(c) : "out of memory");
        why[strcspn(why, "\n")] = '\0';
        PQfinish(c);
        return NULL;
    }
    if (statement_timeout_s > 0) {
        snprintf(sql, sizeof(sql), "SET statement_timeout = '%ds'",
            statement_timeout_s);
        res = PQexec(c, sql);
        PQclear(res);
    }
    return c;
}

int
db_exec(PGconn *c, const char *who, const char *sql, int n,
    const char *const *p)
{
    PGresult *res = PQexecParams(c, sql, n, NULL, p, NULL, NULL, 0);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
        PQresultStatus(res) == PGRES_TUPLES_OK;

    if (!ok)
        log_msg(LOG_LEVEL_ERROR, "%s: %s", who, PQresultErrorMessage(res));
    PQclear(res);
    return ok ? 0 : -1;
}
