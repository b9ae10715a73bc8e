/*
 * ledger-tool: ledger measurements for make bench.
 *
 *   ledger-tool ceiling --database URL [--seconds N] [--batch B]
 *       Ceiling (b): creates a scratch database beside URL's, applies the
 *       migrations, and inserts the same certificate row the service writes
 *       (through the same chain trigger), pipelined in batches of B (default
 *       64) from one connection, for N seconds (default 3).  Prints
 *       {"rows_per_second": R, "batch": B}.  Drops the scratch database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "../../api/ledger.h"

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *m, PGconn *c)
{
    fprintf(stderr, "ledger-tool: %s%s%s\n", m, c ? ": " : "",
        c ? PQerrorMessage(c) : "");
    exit(1);
}

static const char insert_sql[] =
    "INSERT INTO certificates (serial, key_id, subject, issuer, email, role, "
    " principals, key_type, key_fingerprint, valid_after, valid_before, "
    " critical_options, extensions, ca_fingerprint, client_address, "
    " request_id, reason, policy_version, token_id, certificate) "
    "VALUES ($1::bigint, 'bench/bench/0123456789abcdef', 'bench-user-1', "
    " 'https://idp', 'bench-user-1@example.com', 'bench', '{bench/api}', "
    " 'ssh-ed25519', 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', "
    " now(), now() + interval '5 minutes', '{}', '{permit-pty}', "
    " 'SHA256:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB', '127.0.0.1', "
    " $2, NULL, 'cafe', $2, $3)";

int
main(int argc, char **argv)
{
    const char *url = NULL;
    double secs = 3, t0, el;
    long batch = 64, i;
    char why[256], serial[32], reqid[32];
    char cert[700];
    PGconn *admin, *c;
    PGresult *res;
    long rows = 0;

    if (argc < 2 || strcmp(argv[1], "ceiling") != 0)
        die("usage: ledger-tool ceiling --database URL [--seconds N] [--batch B]",
            NULL);
    for (i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--database") == 0)
            url = argv[i + 1];
        else if (strcmp(argv[i], "--seconds") == 0)
            secs = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--batch") == 0)
            batch = atol(argv[i + 1]);
    }
    if (url == NULL || batch < 1)
        die("--database URL is required", NULL);
    if ((admin = PQconnectdb(url)) == NULL || PQstatus(admin) != CONNECTION_OK)
        die("cannot connect", admin);
    PQclear(PQexec(admin, "DROP DATABASE IF EXISTS meshca_ceiling"));
    res = PQexec(admin, "CREATE DATABASE meshca_ceiling");
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        die("cannot create the scratch database", admin);
    PQclear(res);
    {
        const char *keys[] = { "dbname", "dbname", NULL };
        const char *vals[] = { url, "meshca_ceiling", NULL };

        c = PQconnectdbParams(keys, vals, 1);
        if (PQstatus(c) != CONNECTION_OK)
            die("cannot connect to the scratch database", c);
    }
    {
        /* Migrate the scratch database through a URI naming it. */
        char *u = NULL;

        if (asprintf(&u, "host=%s port=%s user=%s dbname=meshca_ceiling",
            PQhost(c), PQport(c), PQuser(c)) < 0 ||
            ledger_migrate(u, 0, why, sizeof(why)) != 0)
            die(why, NULL);
        free(u);
    }
    res = PQprepare(c, "ins", insert_sql, 0, NULL);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        die("prepare", c);
    PQclear(res);
    memset(cert, 'A', sizeof(cert) - 1);
    cert[sizeof(cert) - 1] = '\0';
    t0 = now_s();
    do {
        if (PQenterPipelineMode(c) != 1)
            die("pipeline", c);
        PQsendQueryParams(c, "SELECT 1 FROM chain_head WHERE id FOR UPDATE",
            0, NULL, NULL, NULL, NULL, 0);
        for (i = 0; i < batch; i++) {
            const char *p[3] = { serial, reqid, cert };

            snprintf(serial, sizeof(serial), "%ld", rows + i + 1);
            snprintf(reqid, sizeof(reqid), "r%ld", rows + i + 1);
            if (!PQsendQueryPrepared(c, "ins", 3, p, NULL, NULL, 0))
                die("send", c);
        }
        PQpipelineSync(c);
        for (i = 0; i < batch + 1; i++) {
            res = PQgetResult(c);
            if (PQresultStatus(res) != PGRES_COMMAND_OK &&
                PQresultStatus(res) != PGRES_TUPLES_OK)
                die("insert", c);
            PQclear(res);
            while ((res = PQgetResult(c)) != NULL)
                PQclear(res);
        }
        res = PQgetResult(c);
        PQclear(res);
        PQexitPipelineMode(c);
        rows += batch;
    } while ((el = now_s() - t0) < secs);
    printf("{\"rows_per_second\":%.0f,\"batch\":%ld}\n", (double)rows / el,
        batch);
    PQfinish(c);
    PQclear(PQexec(admin, "DROP DATABASE IF EXISTS meshca_ceiling"));
    PQfinish(admin);
    return 0;
}
