/*
 * ledger-tool: ledger measurements for make bench, through meshcad's own
 * write path (api/ledger.c: ledger_record_issuance, the same statement,
 * canonical entry, HMAC and pipelined batches as the service; no HTTP, no
 * token verification, no signing).
 *
 *   ledger-tool ceiling --database URL --mac-key FILE [--seconds N]
 *       [--pool P] [--clients C]
 *       Ceiling (b): creates a scratch database beside URL's, applies the
 *       migrations, and records certificates for N seconds (default 3) from
 *       C concurrent callers (default 64) through a ledger of P writer
 *       connections (default 4).  Prints {"rows_per_second": R, ...}.  Drops
 *       the scratch database.  The server's durability settings are
 *       whatever it runs with.
 *
 *   ledger-tool fill --database URL --mac-key FILE --records N [--pool P]
 *       [--clients C] [--first-serial S]
 *       Records N sealed certificates into URL's (migrated) database, as a
 *       meshcad whose integrator is not running would: the records wait for
 *       an integrator.  Prints the same JSON.
 *
 * A benchmark tool: it asserts nothing about speed.  Exit 1 on setup errors
 * or when a record is refused.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "meshca/clock.h"
#include "../../api/ledger.h"
#include "../../api/logkeys.h"

struct run {
    struct ledger *l;
    uint64_t first_serial;
    long limit;                /* records to write (fill), or 0 */
    double deadline;           /* monotonic seconds (ceiling), or 0 */
    _Atomic long next, done, failed;
    char cert[520];
};

static double
now_s(void)
{
    return (double)meshca_mono_us() / 1e6;
}

static void
die(const char *m, PGconn *c)
{
    fprintf(stderr, "ledger-tool: %s%s%s\n", m, c ? ": " : "",
        c ? PQerrorMessage(c) : "");
    exit(1);
}

/* One caller: records certificates until the limit or the deadline, as an
 * HTTP worker of meshcad would (one at a time, waiting for each commit). */
static void *
client(void *arg)
{
    static const char *const principals[] = { "bench/api" };
    static const char *const exts[] = { "permit-pty" };
    struct run *rn = arg;
    struct ledger_issuance rec;
    char key_id[128], subject[32], email[64], reqid[40], tokid[40];
    long n;

    for (;;) {
        n = atomic_fetch_add(&rn->next, 1);
        if ((rn->limit > 0 && n >= rn->limit) ||
            (rn->deadline > 0 && now_s() >= rn->deadline))
            break;
        snprintf(subject, sizeof(subject), "bench-user-%ld", n % 5000);
        snprintf(email, sizeof(email), "%s@example.com", subject);
        snprintf(key_id, sizeof(key_id), "%s/bench/%016lx", email, n);
        snprintf(reqid, sizeof(reqid), "ledger-tool-%lu-%ld",
            (unsigned long)rn->first_serial, n);
        snprintf(tokid, sizeof(tokid), "tok-%lu-%ld",
            (unsigned long)rn->first_serial, n);
        memset(&rec, 0, sizeof(rec));
        rec.serial = rn->first_serial + (uint64_t)n;
        rec.key_id = key_id;
        rec.subject = subject;
        rec.issuer = "https://bench-idp.invalid";
        rec.email = email;
        rec.role = "bench";
        rec.principals = principals;
        rec.nprincipals = 1;
        rec.key_type = "ssh-ed25519";
        rec.key_fingerprint = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        rec.valid_after = (int64_t)time(NULL) - 60;
        rec.valid_before = rec.valid_after + 360;
        rec.critical_options_json = "{}";
        rec.extensions = exts;
        rec.nextensions = 1;
        rec.ca_fingerprint = "SHA256:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
        rec.client_address = "127.0.0.1";
        rec.request_id = reqid;
        rec.policy_version = "cafe";
        rec.token_id = tokid;
        rec.max_uses = 1;
        rec.certificate = rn->cert;
        if (ledger_record_issuance(rn->l, &rec) == 0)
            atomic_fetch_add(&rn->done, 1);
        else
            atomic_fetch_add(&rn->failed, 1);
    }
    return NULL;
}

int
main(int argc, char **argv)
{
    const char *url = NULL, *keyfile = NULL, *mode;
    char why[256], *scratch = NULL;
    double secs = 3, t0, el;
    long pool = 4, clients = 64, records = 0, i;
    int rc;
    uint8_t key[128];
    size_t keylen = 0;
    PGconn *admin = NULL;
    PGresult *res;
    pthread_t *th;
    struct run *rn;

    if (argc < 2 || (strcmp(argv[1], "ceiling") != 0 &&
        strcmp(argv[1], "fill") != 0))
        die("usage: ledger-tool ceiling|fill --database URL --mac-key FILE "
            "[--seconds N] [--records N] [--pool P] [--clients C] "
            "[--first-serial S]", NULL);
    mode = argv[1];
    if ((rn = calloc(1, sizeof(*rn))) == NULL)
        die("out of memory", NULL);
    rn->first_serial = 1000000000;
    for (i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--database") == 0)
            url = argv[i + 1];
        else if (strcmp(argv[i], "--mac-key") == 0)
            keyfile = argv[i + 1];
        else if (strcmp(argv[i], "--seconds") == 0)
            secs = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--records") == 0)
            records = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--pool") == 0)
            pool = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--clients") == 0)
            clients = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--first-serial") == 0)
            rn->first_serial = strtoull(argv[i + 1], NULL, 10);
        else
            die("unknown option", NULL);
    }
    if (url == NULL || keyfile == NULL || pool < 1 || clients < 1 ||
        (strcmp(mode, "fill") == 0 && records < 1))
        die("--database, --mac-key (and for fill --records) are required",
            NULL);
    if (logkeys_load_mac(keyfile, key, &keylen, why, sizeof(why)) != 0)
        die(why, NULL);
    if (strcmp(mode, "ceiling") == 0) {
        PGconn *c;
        const char *keys[] = { "dbname", "dbname", NULL };
        const char *vals[] = { url, "meshca_ceiling", NULL };

        if ((admin = PQconnectdb(url)) == NULL ||
            PQstatus(admin) != CONNECTION_OK)
            die("cannot connect", admin);
        PQclear(PQexec(admin, "DROP DATABASE IF EXISTS meshca_ceiling"));
        res = PQexec(admin, "CREATE DATABASE meshca_ceiling");
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            die("cannot create the scratch database", admin);
        PQclear(res);
        c = PQconnectdbParams(keys, vals, 1);
        if (PQstatus(c) != CONNECTION_OK)
            die("cannot connect to the scratch database", c);
        if (asprintf(&scratch, "host=%s port=%s user=%s dbname=meshca_ceiling",
            PQhost(c), PQport(c), PQuser(c)) < 0)
            die("out of memory", NULL);
        PQfinish(c);
        if (ledger_migrate(scratch, 0, why, sizeof(why)) != 0)
            die(why, NULL);
        url = scratch;
    }
    /* A certificate's one-line form is about this long (Ed25519 CA and
     * subject, one principal, one extension). */
    memcpy(rn->cert, "ssh-ed25519-cert-v01@openssh.com ", 33);
    memset(rn->cert + 33, 'A', sizeof(rn->cert) - 34);
    rn->cert[sizeof(rn->cert) - 1] = '\0';
    if (ledger_open(url, (size_t)pool, key, keylen, &rn->l) != 0)
        die("ledger_open", NULL);
    rn->limit = records;
    if ((th = calloc((size_t)clients, sizeof(*th))) == NULL)
        die("out of memory", NULL);
    t0 = now_s();
    rn->deadline = records > 0 ? 0 : t0 + secs;
    for (i = 0; i < clients; i++)
        if (pthread_create(&th[i], NULL, client, rn) != 0)
            die("pthread_create", NULL);
    for (i = 0; i < clients; i++)
        pthread_join(th[i], NULL);
    el = now_s() - t0;
    ledger_close(rn->l);
    printf("{\"rows_per_second\":%.0f,\"rows\":%ld,\"failed\":%ld,"
        "\"seconds\":%.3f,\"pool\":%ld,\"clients\":%ld}\n",
        (double)atomic_load(&rn->done) / el, atomic_load(&rn->done),
        atomic_load(&rn->failed), el, pool, clients);
    if (admin != NULL) {
        PQclear(PQexec(admin, "DROP DATABASE IF EXISTS meshca_ceiling"));
        PQfinish(admin);
    }
    rc = atomic_load(&rn->done) > 0 && atomic_load(&rn->failed) == 0 ? 0 : 1;
    OPENSSL_cleanse(key, sizeof(key));
    free(scratch);
    free(th);
    free(rn);
    return rc;
}
