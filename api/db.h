/*
 * Small libpq helpers for meshcad: the one way a connection to the database
 * is made (the ledger's writers and reader, the migrator, the log
 * integrator, the webhook delivery thread), and a runner for the background
 * threads' statements whose result they only need to know succeeded.
 */
#ifndef MESHCAD_DB_H
#define MESHCAD_DB_H

#include <stddef.h>

#include <libpq-fe.h>

/* The statement_timeout of the service's connections, in seconds. */
#define DB_STATEMENT_TIMEOUT_S 10

/* Connects to conninfo (a libpq connection string or URI, as the config's
 * "database") with application_name app and the limits every meshcad
 * connection keeps: a connect gives up after 3 s (connect_timeout: a server
 * that takes the TCP connection and never answers would otherwise hold the
 * caller forever), unacknowledged data after 5 s (tcp_user_timeout) and
 * keepalives after 10 s idle; these override the same settings in conninfo.
 * Each statement is cancelled after statement_timeout_s seconds (0: no
 * limit, for `meshcad ledger verify`'s whole-ledger reads).  Returns the
 * connection (the caller PQfinish()es it), or NULL with "database
 * unreachable: <libpq's reason>" (one line) in why. */
PGconn *db_connect(const char *conninfo, const char *app,
    int statement_timeout_s, char *why, size_t whylen);

/* Runs sql with n text parameters p (p may be NULL when n is 0) on c and
 * clears the result.  A failure is logged at error level as "who: <the
 * server's message>".  Returns 0 when the statement succeeded (a command
 * or a query), -1 otherwise.  Not MESHCA_WUR: a ROLLBACK on a path that
 * already fails has nothing to do with the answer. */
int db_exec(PGconn *c, const char *who, const char *sql, int n,
    const char *const *p);

#endif
