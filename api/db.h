/*
 * Small libpq helpers for meshcad's background threads (the log
 * integrator, the webhook delivery thread, the notification sweep), which
 * run statements whose result they only need to know succeeded.
 */
#ifndef MESHCAD_DB_H
#define MESHCAD_DB_H

#include <libpq-fe.h>

/* Runs sql with n text parameters p (p may be NULL when n is 0) on c and
 * clears the result.  A failure is logged at error level as "who: <the
 * server's message>".  Returns 0 when the statement succeeded (a command
 * or a query), -1 otherwise.  Not MESHCA_WUR: a ROLLBACK on a path that
 * already fails has nothing to do with the answer. */
int db_exec(PGconn *c, const char *who, const char *sql, int n,
    const char *const *p);

#endif
