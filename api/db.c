/* libpq helpers for the background threads.  See db.h. */
#include "db.h"
#include "log.h"

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
