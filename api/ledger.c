/* The ledger's writers, verification and migrations.  See ledger.h. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "meshca/clock.h"
#include "db.h"
#include "entry.h"
#include "ledger.h"
#include "log.h"
#include "meshcad_err.h"
#include "metrics.h"
#include "migrations.h"
#include "threads.h"

enum item_kind { ITEM_ISSUANCE, ITEM_DENIAL, ITEM_POLICY, ITEM_REVOCATION,
    ITEM_HOST_CERT, ITEM_ACCESS_REQUEST, ITEM_ACCESS_DECISION, ITEM_LOGIN,
    ITEM_PING };

#define ITEM_PARAMS_MAX 28

/* Issuance parameters, by position in stmt_sql[ITEM_ISSUANCE]. */
enum { PI_SERIAL, PI_KEY_ID, PI_ISSUER, PI_SUBJECT, PI_EMAIL, PI_ROLE,
    PI_PRINCIPALS, PI_KEY_TYPE, PI_KEY_FP, PI_VA, PI_VB, PI_OPTS, PI_EXTS,
    PI_CA_FP, PI_ADDR, PI_REQ_ID, PI_REASON, PI_POLICY, PI_CERT, PI_TOKEN_ID,
    PI_MAX_USES, PI_SPIFFE_ID, PI_COUNT };

/* Denial parameters, by position in stmt_sql[ITEM_DENIAL]. */
enum { PD_SUBJECT, PD_ISSUER, PD_EMAIL, PD_ROLE, PD_PRINCIPALS, PD_REASON,
    PD_KEY_FP, PD_ADDR, PD_REQ_ID, PD_POLICY, PD_COUNT };

/* Policy parameters, by position in stmt_sql[ITEM_POLICY]. */
enum { PP_VERSION, PP_POLICY, PP_LOADED_BY, PP_COUNT };

/* Host certificate parameters, by position in stmt_sql[ITEM_HOST_CERT]. */
enum { PH_SERIAL, PH_KEY_ID, PH_SPIFFE_ID, PH_PRINCIPALS, PH_KEY_TYPE,
    PH_KEY_FP, PH_VA, PH_VB, PH_CA_FP, PH_ADDR, PH_REQ_ID, PH_POLICY, PH_CERT,
    PH_COUNT };

/* Revocation parameters, by position in stmt_sql[ITEM_REVOCATION]. */
enum { PR_KIND, PR_VALUE, PR_REASON, PR_REVOKED_BY, PR_BLOCK_UNTIL,
    PR_REQ_ID, PR_ISSUER, PR_COUNT };

/* Access request parameters, by position in stmt_sql[ITEM_ACCESS_REQUEST]. */
enum { PA_ID, PA_KIND, PA_SUBJECT, PA_ISSUER, PA_EMAIL, PA_ROLE,
    PA_PRINCIPALS, PA_TTL, PA_REASON, PA_KEY, PA_KEY_FP, PA_MIN, PA_EXPIRES,
    PA_ADDR, PA_REQ_ID, PA_POLICY, PA_COUNT };

/* Access decision parameters, by position in stmt_sql[ITEM_ACCESS_DECISION]. */
enum { PX_REQUEST, PX_DECISION, PX_SUBJECT, PX_ISSUER, PX_EMAIL, PX_REASON,
    PX_ADDR, PX_REQ_ID, PX_POLICY, PX_COUNT };

/* Login parameters, by position in stmt_sql[ITEM_LOGIN]. */
enum { PL_HOST, PL_LINE_ID, PL_AT, PL_ACCOUNT, PL_ADDR, PL_PORT, PL_RESULT,
    PL_SERIAL, PL_KEY_ID, PL_KEY_FP, PL_CA_FP, PL_KRL_VERSION, PL_KRL_AT,
    PL_COUNT };

struct item {
    enum item_kind kind;
    const char *params[ITEM_PARAMS_MAX];
    int lengths[ITEM_PARAMS_MAX];  /* for binary params (entry, mac) */
    int formats[ITEM_PARAMS_MAX];  /* 1: binary */
    int nparams;
    struct meshca_buf *entry;       /* the record's canonical entry */
    uint8_t mac[ENTRY_MAC_LEN];
    char *owned[8];          /* strings built for params, freed by the caller */
    int nowned;
    int result;
    char why[256];
    sem_t done;
    struct item *next;
};

struct ledger {
    char *conninfo;
    struct entry_mac_key *mac;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct item *head, *tail;
    size_t queued;              /* items on head..tail */
    size_t in_flight;           /* batches the writers are running */
    int stopping;
    pthread_t *writers;
    size_t nwriters;
    /* metrics */
    _Atomic uint64_t batches, records, failures, reconnects, unavailable;
    atomic_int db_down;         /* 1 after a failed connect, see db_reached */
    _Atomic int64_t down_since_us;
    struct histogram commit;
    pthread_mutex_t reader_lock; /* the reader connection (snapshots) */
    PGconn *reader;
};

static const char *const stmt_names[] = { "ins_cert", "ins_denial",
    "ins_policy", "ins_revocation", "ins_host_cert", "ins_access_request",
    "ins_access_decision", "ins_login" };
/*
 * Every insert carries the record's created_at (the time its entry names),
 * its canonical entry and the entry's MAC as the last three parameters.
 */
static const char *const stmt_sql[] = {
    /* 1 serial, 2 key_id, 3 issuer, 4 subject, 5 email, 6 role,
     * 7 principals, 8 key_type, 9 key_fp, 10 va, 11 vb, 12 opts,
     * 13 exts, 14 ca_fp, 15 addr, 16 req_id, 17 reason, 18 policy,
     * 19 certificate, 20 token_id, 21 max_uses, 22 spiffe_id (#16),
     * 23 created_at, 24 entry, 25 mac */
    /* One row: (blocked, seq).  The subject's block is checked in the
     * certificate's own transaction, after the segment took the subject's
     * lock (segment_locks), so no certificate commits after a block. */
    "WITH b AS (SELECT EXISTS (SELECT 1 FROM revocations r "
    "  WHERE r.kind = 'subject' AND r.value = $4 AND "
    "  (r.issuer IS NULL OR r.issuer = $3) AND r.block_until > now()) "
    "  AS blocked), "
    "t AS (INSERT INTO token_uses (issuer, token_id, uses) "
    "  SELECT $3, $20, 1 WHERE NOT (SELECT blocked FROM b) "
    "  ON CONFLICT (issuer, token_id) DO UPDATE "
    "  SET uses = token_uses.uses + 1, last_used = now() "
    "  WHERE token_uses.uses < $21::integer RETURNING uses), "
    "c AS (INSERT INTO certificates (serial, key_id, subject, issuer, email, "
    "  role, principals, key_type, key_fingerprint, valid_after, "
    "  valid_before, critical_options, extensions, ca_fingerprint, "
    "  client_address, request_id, reason, policy_version, token_id, "
    "  certificate, spiffe_id, created_at, entry, mac) "
    "SELECT $1::bigint, $2, $4, $3, $5, $6, $7::text[], $8, $9, "
    "  to_timestamp($10::bigint), to_timestamp($11::bigint), $12::jsonb, "
    "  $13::text[], $14, $15, $16, $17, $18, $20, $19, $22, "
    "  $23::timestamptz, $24::bytea, $25::bytea "
    "WHERE EXISTS (SELECT 1 FROM t) RETURNING seq) "
    "SELECT (SELECT blocked FROM b), (SELECT seq FROM c)",
    /* 1 subject, 2 issuer, 3 email, 4 role, 5 principals, 6 reason,
     * 7 key_fp, 8 addr, 9 req_id, 10 policy, 11 created_at, 12 entry,
     * 13 mac */
    "INSERT INTO denials (subject, issuer, email, role, requested_principals, "
    "  reason, key_fingerprint, client_address, request_id, policy_version, "
    "  created_at, entry, mac) "
    "VALUES ($1, $2, $3, $4, $5::text[], $6, $7, $8, $9, $10, "
    "  $11::timestamptz, $12::bytea, $13::bytea) RETURNING seq",
    /* 1 version, 2 policy, 3 loaded_by, 4 created_at, 5 entry, 6 mac */
    "INSERT INTO policy_versions (version, policy, loaded_by, created_at, "
    "  entry, mac) "
    "SELECT $1, $2, $3, $4::timestamptz, $5::bytea, $6::bytea "
    "WHERE NOT EXISTS (SELECT 1 FROM policy_versions WHERE version = $1) "
    "RETURNING seq",
    /* 1 kind, 2 value, 3 reason, 4 revoked_by, 5 block_until, 6 req_id,
     * 7 issuer (subject only), 8 created_at, 9 entry, 10 mac.
     * Idempotent: an existing revocation of the same target is kept. */
    "INSERT INTO revocations (kind, value, reason, revoked_by, block_until, "
    "  request_id, issuer, created_at, entry, mac) "
    "SELECT $1, $2, $3, $4, to_timestamp($5::bigint), $6, $7, "
    "  $8::timestamptz, $9::bytea, $10::bytea WHERE NOT EXISTS "
    "  (SELECT 1 FROM revocations WHERE kind = $1 AND value = $2 AND "
    "   issuer IS NOT DISTINCT FROM $7 AND "
    "   block_until IS NOT DISTINCT FROM to_timestamp($5::bigint)) "
    "RETURNING seq",
    /* 1 serial, 2 key_id, 3 spiffe_id, 4 principals, 5 key_type, 6 key_fp,
     * 7 va, 8 vb, 9 ca_fp, 10 addr, 11 req_id, 12 policy, 13 certificate,
     * 14 created_at, 15 entry, 16 mac */
    "INSERT INTO host_certificates (serial, key_id, spiffe_id, principals, "
    "  key_type, key_fingerprint, valid_after, valid_before, ca_fingerprint, "
    "  client_address, request_id, policy_version, certificate, created_at, "
    "  entry, mac) "
    "VALUES ($1::bigint, $2, $3, $4::text[], $5, $6, to_timestamp($7::bigint), "
    "  to_timestamp($8::bigint), $9, $10, $11, $12, $13, $14::timestamptz, "
    "  $15::bytea, $16::bytea) RETURNING seq",
    /* access_requests: PA_* in order, then created_at, entry, mac. */
    "INSERT INTO access_requests (id, kind, subject, issuer, email, role, "
    "  principals, ttl_seconds, reason, public_key, key_fingerprint, "
    "  min_approvals, expires_at, client_address, request_id, "
    "  policy_version, created_at, entry, mac) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7::text[], $8::bigint, $9, $10, $11, "
    "  $12::integer, to_timestamp($13::bigint), $14, $15, $16, "
    "  $17::timestamptz, $18::bytea, $19::bytea) RETURNING seq",
    /* access_decisions: PX_* in order, then created_at, entry, mac. */
    "INSERT INTO access_decisions (access_request, decision, subject, "
    "  issuer, email, reason, client_address, request_id, policy_version, "
    "  created_at, entry, mac) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::timestamptz, "
    "  $11::bytea, $12::bytea) RETURNING seq",
    /* 1 host, 2 line_id, 3 at, 4 account, 5 addr, 6 port, 7 result,
     * 8 serial, 9 key_id, 10 key_fp, 11 ca_fp, 12 krl_version, 13 krl
     * generated (epoch), 14 created_at, 15 entry, 16 mac.  Idempotent: a
     * line the host sent before is dropped (no row returned). */
    "INSERT INTO logins (host, line_id, at, account, source_address, "
    "  source_port, result, serial, key_id, key_fingerprint, ca_fingerprint, "
    "  krl_version, krl_generated_at, created_at, entry, mac) "
    "VALUES ($1, $2, $3::timestamptz, $4, $5, $6::integer, $7, $8, $9, $10, "
    "  $11, $12::bigint, to_timestamp($13::bigint), $14::timestamptz, "
    "  $15::bytea, $16::bytea) "
    "ON CONFLICT (host, line_id) DO NOTHING RETURNING seq",
};

/* A PostgreSQL array literal of strings: {"a","b\"c"}.  Caller frees. */
static char *
pg_array(const char *const *v, size_t n)
{
    size_t i, len = 3;
    const char *s;
    char *out, *o;

    for (i = 0; i < n; i++)
        len += 3 + 2 * strlen(v[i]);
    if ((out = malloc(len)) == NULL)
        return NULL;
    o = out;
    *o++ = '{';
    for (i = 0; i < n; i++) {
        if (i > 0)
            *o++ = ',';
        *o++ = '"';
        for (s = v[i]; *s != '\0'; s++) {
            if (*s == '"' || *s == '\\')
                *o++ = '\\';
            *o++ = *s;
        }
        *o++ = '"';
    }
    *o++ = '}';
    *o = '\0';
    return out;
}

/*
 * The locks of a segment, in one statement, taken in key order (the sorted
 * subquery) so that two segments never wait on each other in a cycle:
 * - per person: shared for each (issuer, subject) the segment issues to,
 *   exclusive for each it revokes by subject.  A block thus waits for every
 *   issuing transaction of that person in flight, and any that comes later
 *   waits for the block's commit and then sees it.
 * - per token: exclusive for each (issuer, token) the segment issues under,
 *   the subject written as U+0001 and the token id (a subject never holds
 *   a control character), so segments that share tokens take them here in
 *   one order instead of waiting on each other's token_uses rows in the
 *   order of their batches (a deadlock, found by PostgreSQL only after
 *   deadlock_timeout, 1 s).
 */
static const char locks_sql[] =
    "SELECT CASE WHEN x THEN pg_advisory_xact_lock(k) "
    "  ELSE pg_advisory_xact_lock_shared(k) END "
    "FROM (SELECT k, bool_or(x) AS x FROM (SELECT "
    "  hashtextextended(coalesce(i, '') || E'\\n' || s, 7310475502) AS k, x "
    "  FROM unnest($1::text[], $2::text[], $3::boolean[]) AS u(i, s, x)) a "
    "  GROUP BY k ORDER BY k) o";

static int
prepare_one(PGconn *c, const char *name, const char *sql, char *why,
    size_t whylen)
{
    PGresult *res = PQprepare(c, name, sql, 0, NULL);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;

    if (!ok) {
        snprintf(why, whylen, "cannot prepare %s (is the database "
            "migrated? run meshcad migrate): %s", name,
            PQresultErrorMessage(res));
        why[strcspn(why, "\n")] = '\0';
    }
    PQclear(res);
    return ok ? 0 : -1;
}

/* Every statement a writer runs, the segment's locks included: each runs
 * at least once a batch, so none is parsed and planned again. */
static int
prepare_all(PGconn *c, char *why, size_t whylen)
{
    size_t i;

    for (i = 0; i < sizeof(stmt_names) / sizeof(stmt_names[0]); i++) {
        if (prepare_one(c, stmt_names[i], stmt_sql[i], why, whylen) != 0)
            return -1;
    }
    return prepare_one(c, "segment_locks", locks_sql, why, whylen);
}

/* Classifies one item's result. */
static void
item_result(struct item *it, PGresult *res)
{
    const char *state;

    switch (PQresultStatus(res)) {
    case PGRES_TUPLES_OK:
        if (it->kind == ITEM_ISSUANCE && PQntuples(res) == 1 &&
            strcmp(PQgetvalue(res, 0, 0), "t") == 0)
            it->result = MESHCA_ERR_LEDGER_BLOCKED;
        else if (it->kind == ITEM_ISSUANCE && (PQntuples(res) != 1 ||
            PQgetisnull(res, 0, 1)))
            it->result = MESHCA_ERR_LEDGER_REPLAY;
        else if (it->kind == ITEM_REVOCATION && PQntuples(res) == 0)
            it->result = 1; /* already revoked */
        else if (it->kind == ITEM_LOGIN && PQntuples(res) == 0)
            it->result = 1; /* already recorded */
        else
            it->result = 0;
        break;
    case PGRES_COMMAND_OK:
        it->result = 0;
        break;
    default:
        state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        snprintf(it->why, sizeof(it->why), "%s", PQresultErrorMessage(res));
        it->why[strcspn(it->why, "\n")] = '\0';
        if (state != NULL && strcmp(state, "23505") == 0) {
            const char *cons = PQresultErrorField(res,
                PG_DIAG_CONSTRAINT_NAME);

            if (it->kind == ITEM_POLICY)
                it->result = 0; /* another replica recorded it */
            else if (cons != NULL && strcmp(cons,
                "certificates_access_collect") == 0)
                it->result = MESHCA_ERR_LEDGER_COLLECTED;
            else if (cons != NULL && strcmp(cons,
                "access_decisions_once") == 0)
                it->result = MESHCA_ERR_LEDGER_DECIDED;
            else if (cons != NULL && strstr(cons, "serial") != NULL)
                it->result = MESHCA_ERR_LEDGER_DUPLICATE_SERIAL;
            else
                it->result = MESHCA_ERR_UNAVAILABLE;
        } else
            it->result = MESHCA_ERR_UNAVAILABLE;
    }
}

/* Sends segment_locks' statement for items, when any needs a lock.
 * Returns 1 when sent, 0 when none is needed, -1 on failure. */
static int
send_locks(PGconn *c, struct item **items, size_t n)
{
    const char *iss[2 * LEDGER_BATCH_MAX], *sub[2 * LEDGER_BATCH_MAX];
    const char *mode[2 * LEDGER_BATCH_MAX], *params[3] = { NULL, NULL, NULL };
    /* Token ids are 64 hex digits; a longer one would be cut, which can
     * only make two tokens share a lock. */
    char tok[LEDGER_BATCH_MAX][72];
    char *a_iss = NULL, *a_sub = NULL, *a_mode = NULL;
    size_t i, k = 0;
    int r = -1;

    for (i = 0; i < n && i < LEDGER_BATCH_MAX; i++) {
        const struct item *it = items[i];

        if (it->kind == ITEM_ISSUANCE) {
            iss[k] = it->params[PI_ISSUER];
            sub[k] = it->params[PI_SUBJECT];
            mode[k++] = "f";
            snprintf(tok[i], sizeof(tok[i]), "\001%s",
                it->params[PI_TOKEN_ID]);
            iss[k] = it->params[PI_ISSUER];
            sub[k] = tok[i];
            mode[k++] = "t";
        } else if (it->kind == ITEM_REVOCATION &&
            strcmp(it->params[PR_KIND], "subject") == 0) {
            iss[k] = it->params[PR_ISSUER] ? it->params[PR_ISSUER]
                                           : "";
            sub[k] = it->params[PR_VALUE];
            mode[k++] = "t";
        }
    }
    if (k == 0)
        return 0;
    if ((a_iss = pg_array(iss, k)) == NULL ||
        (a_sub = pg_array(sub, k)) == NULL ||
        (a_mode = pg_array(mode, k)) == NULL)
        goto out;
    params[0] = a_iss;
    params[1] = a_sub;
    params[2] = a_mode;
    if (PQsendQueryPrepared(c, "segment_locks", 3, params, NULL, NULL, 0))
        r = 1;
out:
    free(a_iss);
    free(a_sub);
    free(a_mode);
    return r;
}

/* Reads the result of one statement sent before the items.  Returns 0, 1
 * when it failed (the segment is aborted), -1 when the connection did. */
static int
read_pre(PGconn *c)
{
    PGresult *res;
    int failed;

    if ((res = PQgetResult(c)) == NULL)
        return -1;
    failed = PQresultStatus(res) != PGRES_TUPLES_OK;
    PQclear(res);
    while ((res = PQgetResult(c)) != NULL)
        PQclear(res);
    return failed;
}

/*
 * Runs items as one pipeline sync segment (one implicit transaction).
 * Returns 0 when the segment committed (each item's result set), 1 when it
 * failed on data (nothing committed; retry singly), -1 when the connection
 * failed (nothing known to be committed).
 */
static int
run_segment(PGconn *c, struct item **items, size_t n)
{
    PGresult *res;
    size_t i;
    int failed = 0, ok, locks = 0;

    if (PQenterPipelineMode(c) != 1)
        return -1;
    /*
     * The people's and the tokens' locks first, sorted (locks_sql): every
     * ledger transaction acquires them in one order, and only then the
     * token_uses rows, which a token's lock makes its own; so two writers
     * that share tokens can never deadlock.  There is no global lock: the
     * log integrator orders records afterwards.
     */
    if ((locks = send_locks(c, items, n)) < 0) {
        PQexitPipelineMode(c);
        return -1;
    }
    for (i = 0; i < n; i++) {
        struct item *it = items[i];

        if (it->kind == ITEM_PING)
            ok = PQsendQueryParams(c, "SELECT 1", 0, NULL, NULL, NULL, NULL,
                0);
        else
            ok = PQsendQueryPrepared(c, stmt_names[it->kind], it->nparams,
                it->params, it->lengths, it->formats, 0);
        if (!ok) {
            PQexitPipelineMode(c);
            return -1;
        }
    }
    if (PQpipelineSync(c) != 1)
        return -1;
    for (i = 0; i < (size_t)locks; i++) {
        if ((ok = read_pre(c)) < 0)
            return -1;
        failed |= ok;
    }
    for (i = 0; i < n; i++) {
        if ((res = PQgetResult(c)) == NULL)
            return -1;
        if (PQresultStatus(res) == PGRES_PIPELINE_ABORTED)
            failed = 1;
        else {
            item_result(items[i], res);
            if (PQresultStatus(res) == PGRES_FATAL_ERROR)
                failed = 1;
        }
        PQclear(res);
        /* Each query's results end with a NULL. */
        while ((res = PQgetResult(c)) != NULL) {
            if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
                PQclear(res);
                return -1; /* out of step: treat as broken */
            }
            PQclear(res);
        }
    }
    res = PQgetResult(c);
    ok = res != NULL && PQresultStatus(res) == PGRES_PIPELINE_SYNC;
    PQclear(res);
    if (!ok || PQexitPipelineMode(c) != 1 || PQstatus(c) != CONNECTION_OK)
        return -1;
    return failed;
}

static void
finish(struct ledger *l, struct item *it)
{
    if (it->result == MESHCA_ERR_UNAVAILABLE)
        atomic_fetch_add(&l->unavailable, 1);
    sem_post(&it->done);
}

/* The database's state as every connection of this ledger last saw it:
 * logged once when it goes away (error) and once when it is back (info),
 * whichever writer or reader notices first. */
static void
db_reached(struct ledger *l, int ok, const char *why)
{
    int expect = ok ? 1 : 0;
    int64_t now = meshca_mono_us();

    if (!atomic_compare_exchange_strong(&l->db_down, &expect, ok ? 0 : 1))
        return;
    if (!ok) {
        atomic_store(&l->down_since_us, now);
        log_json(LOG_LEVEL_ERROR, "database unreachable: issuance refused "
            "until it returns", json_pack("{s:s}", "error", why));
    } else
        log_json(LOG_LEVEL_INFO, "database reachable again", json_pack(
            "{s:f}", "outage_seconds",
            (double)(now - atomic_load(&l->down_since_us)) / 1e6));
}

/* Whether an idle connection may be used.  Nothing should arrive on one:
 * readable means the server closed it or sent its last words (a restart,
 * an administrator's termination), so it is dropped before a request can
 * fail on it. */
static int
conn_usable(PGconn *c)
{
    struct pollfd pfd;

    if (PQstatus(c) != CONNECTION_OK ||
        PQtransactionStatus(c) != PQTRANS_IDLE || PQsocket(c) < 0)
        return 0;
    pfd.fd = PQsocket(c);
    pfd.events = POLLIN;
    pfd.revents = 0;
    return poll(&pfd, 1, 0) == 0;
}

/* A writer's connection: c when usable, else a new one (prepared).  NULL
 * with the reason in why when the database cannot be reached. */
static PGconn *
writer_conn(struct ledger *l, PGconn *c, char *why, size_t whylen)
{
    if (c != NULL && conn_usable(c))
        return c;
    PQfinish(c);
    atomic_fetch_add(&l->reconnects, 1);
    if ((c = db_connect(l->conninfo, "meshcad", DB_STATEMENT_TIMEOUT_S, why,
        whylen)) != NULL && prepare_all(c, why, whylen) != 0) {
        PQfinish(c);
        c = NULL;
    }
    db_reached(l, c != NULL, why);
    return c;
}

/* Runs a batch as one segment; when a record fails it, each on its own so
 * it fails alone.  Returns -1 when the connection failed, else 0. */
static int
run_batch(PGconn *c, struct item **batch, size_t n)
{
    size_t i;
    int r;

    r = run_segment(c, batch, n);
    if (r == 1 && n > 1) {
        for (i = 0; i < n && r != -1; i++)
            r = run_segment(c, &batch[i], 1) == -1 ? -1 : 0;
    }
    return r == -1 ? -1 : 0;
}

/* After a connection was lost with it in flight: whether its record was
 * committed anyway (every record carries its request id; a certificate
 * also its unique serial).  Returns 1, 0, or -1 when c fails too. */
static int
item_committed(PGconn *c, const struct item *it)
{
    const char *sql, *p[2];
    PGresult *res;
    int r;

    switch (it->kind) {
    case ITEM_ISSUANCE:
        sql = "SELECT 1 FROM certificates WHERE serial = $1::bigint AND "
            "request_id = $2";
        p[0] = it->params[PI_SERIAL];
        p[1] = it->params[PI_REQ_ID];
        break;
    case ITEM_DENIAL:
        sql = "SELECT 1 FROM denials WHERE request_id = $1";
        p[0] = it->params[PD_REQ_ID];
        break;
    case ITEM_REVOCATION:
        sql = "SELECT 1 FROM revocations WHERE request_id = $1";
        p[0] = it->params[PR_REQ_ID];
        break;
    case ITEM_HOST_CERT:
        sql = "SELECT 1 FROM host_certificates WHERE request_id = $1";
        p[0] = it->params[PH_REQ_ID];
        break;
    case ITEM_ACCESS_REQUEST:
        sql = "SELECT 1 FROM access_requests WHERE id = $1";
        p[0] = it->params[PA_ID];
        break;
    case ITEM_ACCESS_DECISION:
        sql = "SELECT 1 FROM access_decisions WHERE request_id = $1";
        p[0] = it->params[PX_REQ_ID];
        break;
    default:
        return 0; /* idempotent: run it again */
    }
    res = PQexecParams(c, sql, it->kind == ITEM_ISSUANCE ? 2 : 1, NULL, p,
        NULL, NULL, 0);
    r = PQresultStatus(res) != PGRES_TUPLES_OK ? -1 : PQntuples(res) > 0;
    PQclear(res);
    return r;
}

/*
 * Retries a batch whose connection was lost, on a new connection c: each
 * record that did commit is answered as committed, the others run again.
 * A certificate refused as a replay or a duplicate serial on the second run
 * is looked up once more (the first run may have committed meanwhile).
 * Returns -1 when c fails too, else 0.
 */
static int
retry_batch(PGconn *c, struct item **batch, size_t n)
{
    struct item *again[LEDGER_BATCH_MAX];
    size_t i, k = 0;
    int r;

    for (i = 0; i < n; i++) {
        batch[i]->result = MESHCA_ERR_UNAVAILABLE;
        batch[i]->why[0] = '\0';
        if ((r = item_committed(c, batch[i])) < 0)
            return -1;
        if (r == 1)
            batch[i]->result = 0;
        else
            again[k++] = batch[i];
    }
    if (k > 0 && run_batch(c, again, k) != 0)
        return -1;
    for (i = 0; i < k; i++) {
        if (again[i]->kind != ITEM_ISSUANCE ||
            (again[i]->result != MESHCA_ERR_LEDGER_REPLAY &&
            again[i]->result != MESHCA_ERR_LEDGER_DUPLICATE_SERIAL &&
            again[i]->result != MESHCA_ERR_LEDGER_COLLECTED))
            continue;
        if ((r = item_committed(c, again[i])) < 0)
            return -1;
        if (r == 1)
            again[i]->result = 0;
    }
    return 0;
}

static void
fail_batch(struct item **batch, size_t n, const char *prefix,
    const char *why)
{
    size_t i;

    for (i = 0; i < n; i++) {
        batch[i]->result = MESHCA_ERR_UNAVAILABLE;
        snprintf(batch[i]->why, sizeof(batch[i]->why), "%s%s", prefix,
            why);
        batch[i]->why[strcspn(batch[i]->why, "\n")] = '\0';
    }
}

/*
 * Group commit.  A writer starts a batch when none is running, or when the
 * queue holds LEDGER_GROUP_MIN records or more (the batch in flight cannot
 * absorb the load alone): otherwise records wait for the running batch's
 * commit and go together in the next one, one commit and one WAL flush for
 * all of them, instead of each writer committing a few.  Called with
 * l->lock held.
 */
static int
batch_may_start(const struct ledger *l)
{
    return l->head != NULL &&
        (l->in_flight == 0 || l->queued >= LEDGER_GROUP_MIN);
}

/* Waits until a batch may start (batch_may_start) and takes it; with
 * l->lock held.  Returns how many items it took into batch (0: stopping
 * and nothing left). */
static size_t
take_batch(struct ledger *l, struct item **batch)
{
    size_t n;

    while (!l->stopping && !batch_may_start(l))
        pthread_cond_wait(&l->cond, &l->lock);
    for (n = 0; n < LEDGER_BATCH_MAX && l->head != NULL; n++) {
        batch[n] = l->head;
        l->head = l->head->next;
    }
    if (l->head == NULL)
        l->tail = NULL;
    l->queued -= n;
    if (n > 0)
        l->in_flight++;
    if (batch_may_start(l))
        pthread_cond_signal(&l->cond);
    return n;
}

/* Runs one batch on *cp (reconnecting when needed) and answers each item.
 * Returns -1 when the database could not be reached, else 0. */
static int
write_batch(struct ledger *l, PGconn **cp, struct item **batch, size_t n)
{
    char why[256], lost[256];
    size_t i;
    int64_t t0;
    int r;

    if ((*cp = writer_conn(l, *cp, why, sizeof(why))) == NULL) {
        fail_batch(batch, n, "", why);
        for (i = 0; i < n; i++)
            finish(l, batch[i]);
        return -1;
    }
    t0 = meshca_mono_us();
    if ((r = run_batch(*cp, batch, n)) == -1) {
        /* Lost in flight: retry once on a new connection, answering
         * what did commit as committed (never twice). */
        atomic_fetch_add(&l->failures, 1);
        snprintf(lost, sizeof(lost), "%s", PQerrorMessage(*cp));
        PQfinish(*cp);
        if ((*cp = writer_conn(l, NULL, why, sizeof(why))) != NULL)
            r = retry_batch(*cp, batch, n);
        if (r == -1) {
            fail_batch(batch, n, "database connection lost: ", lost);
            PQfinish(*cp);
            *cp = NULL;
        }
    }
    if (r == 0) {
        atomic_fetch_add(&l->batches, 1);
        atomic_fetch_add(&l->records, n);
        metrics_observe(&l->commit, (uint64_t)(meshca_mono_us() - t0));
    }
    for (i = 0; i < n; i++)
        finish(l, batch[i]);
    return 0;
}

static void *
writer_main(void *arg)
{
    struct ledger *l = arg;
    struct item *batch[LEDGER_BATCH_MAX];
    PGconn *c = NULL;
    size_t n;
    int r;

    for (;;) {
        pthread_mutex_lock(&l->lock);
        if ((n = take_batch(l, batch)) == 0) {
            pthread_mutex_unlock(&l->lock);
            break;
        }
        pthread_mutex_unlock(&l->lock);
        r = write_batch(l, &c, batch, n);
        pthread_mutex_lock(&l->lock);
        l->in_flight--;
        if (batch_may_start(l))
            pthread_cond_signal(&l->cond);
        pthread_mutex_unlock(&l->lock);
        if (r == -1)
            usleep(50000); /* don't spin while the database is away */
    }
    PQfinish(c);
    return NULL;
}

int
ledger_open(const char *conninfo, size_t pool_size, const uint8_t *mac_key,
    size_t mac_keylen, struct ledger **lp)
{
    struct ledger *l;
    size_t i;

    *lp = NULL;
    if (mac_keylen < ENTRY_MAC_KEY_MIN || mac_keylen > ENTRY_MAC_KEY_MAX)
        return MESHCA_ERR_INVALID_ARGUMENT;
    if ((l = calloc(1, sizeof(*l))) == NULL)
        return MESHCA_ERR_ALLOC;
    pthread_mutex_init(&l->lock, NULL);
    pthread_cond_init(&l->cond, NULL);
    pthread_mutex_init(&l->reader_lock, NULL);
    if ((l->conninfo = strdup(conninfo)) == NULL ||
        (l->writers = calloc(pool_size ? pool_size : 1,
            sizeof(pthread_t))) == NULL) {
        ledger_close(l);
        return MESHCA_ERR_ALLOC;
    }
    if (entry_mac_key_new(mac_key, mac_keylen, &l->mac) != 0) {
        ledger_close(l);
        return MESHCA_ERR_LIBCRYPTO;
    }
    for (i = 0; i < (pool_size ? pool_size : 1); i++) {
        if (pthread_create(&l->writers[i], NULL, writer_main, l) != 0) {
            ledger_close(l);
            return MESHCA_ERR_SYSTEM;
        }
        l->nwriters++;
    }
    *lp = l;
    return 0;
}

void
ledger_close(struct ledger *l)
{
    if (l == NULL)
        return;
    threads_stop(&l->lock, &l->cond, &l->stopping, l->writers, l->nwriters);
    pthread_mutex_destroy(&l->lock);
    pthread_cond_destroy(&l->cond);
    PQfinish(l->reader);
    pthread_mutex_destroy(&l->reader_lock);
    free(l->writers);
    free(l->conninfo);
    entry_mac_key_free(l->mac);
    free(l);
}

static void item_release(struct item *it);

/* Queues it and waits for its writer.  Returns it->result. */
static int
submit(struct ledger *l, struct item *it)
{
    sem_init(&it->done, 0, 0);
    it->next = NULL;
    pthread_mutex_lock(&l->lock);
    if (l->stopping) {
        pthread_mutex_unlock(&l->lock);
        sem_destroy(&it->done);
        item_release(it);
        return MESHCA_ERR_UNAVAILABLE;
    }
    if (l->tail != NULL)
        l->tail->next = it;
    else
        l->head = it;
    l->tail = it;
    l->queued++;
    /* Only a writer that may take it now is woken; otherwise the running
     * batch's writer wakes one when it is done.  Waking writers that would
     * go back to sleep costs a futex round on a lock every request takes. */
    if (batch_may_start(l))
        pthread_cond_signal(&l->cond);
    pthread_mutex_unlock(&l->lock);
    while (sem_wait(&it->done) != 0 && errno == EINTR)
        ;
    sem_destroy(&it->done);
    item_release(it);
    return it->result;
}

/* Queues n items at once and waits for them all.  Returns 0 (each item's
 * own result is in it->result) or MESHCA_ERR_UNAVAILABLE when stopping
 * (nothing queued, every item released). */
static int
submit_many(struct ledger *l, struct item *items, size_t n)
{
    size_t i;

    pthread_mutex_lock(&l->lock);
    if (l->stopping) {
        pthread_mutex_unlock(&l->lock);
        for (i = 0; i < n; i++)
            item_release(&items[i]);
        return MESHCA_ERR_UNAVAILABLE;
    }
    for (i = 0; i < n; i++) {
        sem_init(&items[i].done, 0, 0);
        items[i].next = NULL;
        if (l->tail != NULL)
            l->tail->next = &items[i];
        else
            l->head = &items[i];
        l->tail = &items[i];
    }
    l->queued += n;
    pthread_cond_broadcast(&l->cond);
    pthread_mutex_unlock(&l->lock);
    for (i = 0; i < n; i++) {
        while (sem_wait(&items[i].done) != 0 && errno == EINTR)
            ;
        sem_destroy(&items[i].done);
        item_release(&items[i]);
    }
    return 0;
}

static const char *
own(struct item *it, char *s)
{
    if (s != NULL && it->nowned < (int)(sizeof(it->owned) / sizeof(it->owned[0])))
        it->owned[it->nowned++] = s;
    return s;
}

static char *
fmt_u64(uint64_t v)
{
    char *s = NULL;

    if (asprintf(&s, "%llu", (unsigned long long)v) < 0)
        return NULL;
    return s;
}

static char *
fmt_i64(int64_t v)
{
    char *s = NULL;

    if (asprintf(&s, "%lld", (long long)v) < 0)
        return NULL;
    return s;
}

/*
 * Appends the last three parameters every insert takes: created_at (as the
 * entry names it), the entry and its MAC (binary).  it->entry holds the
 * entry built for created_us.
 */
static int
item_seal(struct ledger *l, struct item *it, int64_t created_us)
{
    char *at;
    int r, n = it->nparams;

    if ((at = malloc(MESHCA_TIME_BUFLEN)) == NULL)
        return MESHCA_ERR_ALLOC;
    (void)meshca_time_format_us(created_us, at, MESHCA_TIME_BUFLEN);
    own(it, at);
    if ((r = entry_mac_with(l->mac, meshca_buf_ptr(it->entry),
        meshca_buf_len(it->entry), it->mac)) != 0)
        return r;
    it->params[n] = at;
    it->params[n + 1] = (const char *)meshca_buf_ptr(it->entry);
    it->lengths[n + 1] = (int)meshca_buf_len(it->entry);
    it->formats[n + 1] = 1;
    it->params[n + 2] = (const char *)it->mac;
    it->lengths[n + 2] = ENTRY_MAC_LEN;
    it->formats[n + 2] = 1;
    it->nparams = n + 3;
    return 0;
}

/* Frees what an item owns (after submit, or when it was never queued). */
static void
item_release(struct item *it)
{
    int i;

    for (i = 0; i < it->nowned; i++)
        free(it->owned[i]);
    it->nowned = 0;
    meshca_buf_free(it->entry);
    it->entry = NULL;
}

/* Fills the issuance parameters.  Returns 0 or MESHCA_ERR_ALLOC. */
static int
issuance_params(struct item *it, const struct ledger_issuance *rec)
{
    const char **p = it->params;
    int i;

    p[PI_SERIAL] = own(it, fmt_u64(rec->serial));
    p[PI_KEY_ID] = rec->key_id;
    p[PI_ISSUER] = rec->issuer;
    p[PI_SUBJECT] = rec->subject;
    p[PI_EMAIL] = rec->email;
    p[PI_ROLE] = rec->role;
    p[PI_PRINCIPALS] = own(it, pg_array(rec->principals, rec->nprincipals));
    p[PI_KEY_TYPE] = rec->key_type;
    p[PI_KEY_FP] = rec->key_fingerprint;
    p[PI_VA] = own(it, fmt_i64(rec->valid_after));
    p[PI_VB] = own(it, fmt_i64(rec->valid_before));
    p[PI_OPTS] = rec->critical_options_json ? rec->critical_options_json
                                            : "{}";
    p[PI_EXTS] = own(it, pg_array(rec->extensions, rec->nextensions));
    p[PI_CA_FP] = rec->ca_fingerprint;
    p[PI_ADDR] = rec->client_address;
    p[PI_REQ_ID] = rec->request_id;
    p[PI_REASON] = rec->reason;
    p[PI_POLICY] = rec->policy_version;
    p[PI_CERT] = rec->certificate;
    p[PI_TOKEN_ID] = rec->token_id;
    p[PI_MAX_USES] = own(it, fmt_u64(rec->max_uses ? rec->max_uses : 1));
    p[PI_SPIFFE_ID] = rec->spiffe_id;
    it->nparams = PI_COUNT;
    /* Only email, reason and spiffe_id may be NULL (SQL NULL). */
    for (i = 0; i < PI_COUNT; i++)
        if (p[i] == NULL && i != PI_EMAIL && i != PI_REASON &&
            i != PI_SPIFFE_ID)
            return MESHCA_ERR_ALLOC;
    return 0;
}

/* An empty item of kind with nparams parameters and a new entry buffer.
 * Returns 0 or MESHCA_ERR_ALLOC (nothing to release). */
static int
item_start(struct item *it, enum item_kind kind, int nparams)
{
    memset(it, 0, sizeof(*it));
    it->kind = kind;
    it->nparams = nparams;
    if ((it->entry = meshca_buf_new(BUF_SIZE_MAX)) == NULL)
        return MESHCA_ERR_ALLOC;
    return 0;
}

/* Seals and queues an item once its parameters and entry are filled (r:
 * how filling them went); on any failure releases it and returns the
 * error. */
static int
item_finish(struct ledger *l, struct item *it, int64_t now, int r)
{
    if (r != 0 || (r = item_seal(l, it, now)) != 0) {
        item_release(it);
        return r;
    }
    return submit(l, it);
}

int
ledger_record_issuance(struct ledger *l, const struct ledger_issuance *rec)
{
    struct item it;
    int64_t now = meshca_wall_us();
    int r;

    if ((r = item_start(&it, ITEM_ISSUANCE, 0)) != 0)
        return r;
    if ((r = issuance_params(&it, rec)) == 0)
        r = entry_issuance(rec, now, it.entry);
    return item_finish(l, &it, now, r);
}

int
ledger_record_denial(struct ledger *l, const struct ledger_denial *rec)
{
    struct item it;
    int64_t now = meshca_wall_us();
    int r;

    if ((r = item_start(&it, ITEM_DENIAL, PD_COUNT)) != 0)
        return r;
    it.params[PD_SUBJECT] = rec->subject;
    it.params[PD_ISSUER] = rec->issuer;
    it.params[PD_EMAIL] = rec->email;
    it.params[PD_ROLE] = rec->role;
    it.params[PD_PRINCIPALS] = own(&it, pg_array(rec->requested_principals,
        rec->nrequested));
    it.params[PD_REASON] = rec->reason;
    it.params[PD_KEY_FP] = rec->key_fingerprint;
    it.params[PD_ADDR] = rec->client_address;
    it.params[PD_REQ_ID] = rec->request_id;
    it.params[PD_POLICY] = rec->policy_version;
    r = it.params[PD_PRINCIPALS] == NULL ? MESHCA_ERR_ALLOC :
        entry_denial(rec, now, it.entry);
    return item_finish(l, &it, now, r);
}

int
ledger_record_policy(struct ledger *l, const char *version, const char *text)
{
    struct item it;
    char host[256];
    int64_t now = meshca_wall_us();
    int r;

    if (gethostname(host, sizeof(host)) != 0)
        snprintf(host, sizeof(host), "unknown");
    host[sizeof(host) - 1] = '\0';
    if ((r = item_start(&it, ITEM_POLICY, PP_COUNT)) != 0)
        return r;
    it.params[PP_VERSION] = version;
    it.params[PP_POLICY] = text;
    it.params[PP_LOADED_BY] = host;
    r = entry_policy(version, text, host, now, it.entry);
    return item_finish(l, &it, now, r);
}

int
ledger_record_revocation(struct ledger *l, const struct ledger_revocation *rec)
{
    struct item it;
    int64_t now = meshca_wall_us();
    int r;

    if ((r = item_start(&it, ITEM_REVOCATION, PR_COUNT)) != 0)
        return r;
    it.params[PR_KIND] = rec->kind;
    it.params[PR_VALUE] = rec->value;
    it.params[PR_REASON] = rec->reason;
    it.params[PR_REVOKED_BY] = rec->revoked_by;
    it.params[PR_BLOCK_UNTIL] = rec->block_until > 0 ?
        own(&it, fmt_i64(rec->block_until)) : NULL;
    it.params[PR_REQ_ID] = rec->request_id;
    it.params[PR_ISSUER] = rec->issuer;
    r = rec->block_until > 0 && it.params[PR_BLOCK_UNTIL] == NULL ?
        MESHCA_ERR_ALLOC : entry_revocation(rec, now, it.entry);
    return item_finish(l, &it, now, r);
}

int
ledger_record_host_certificate(struct ledger *l,
    const struct ledger_host_certificate *rec)
{
    struct item it;
    const char **p = it.params;
    int64_t now = meshca_wall_us();
    int r, i;

    if ((r = item_start(&it, ITEM_HOST_CERT, PH_COUNT)) != 0)
        return r;
    p[PH_SERIAL] = own(&it, fmt_u64(rec->serial));
    p[PH_KEY_ID] = rec->key_id;
    p[PH_SPIFFE_ID] = rec->spiffe_id;
    p[PH_PRINCIPALS] = own(&it, pg_array(rec->principals, rec->nprincipals));
    p[PH_KEY_TYPE] = rec->key_type;
    p[PH_KEY_FP] = rec->key_fingerprint;
    p[PH_VA] = own(&it, fmt_i64(rec->valid_after));
    p[PH_VB] = own(&it, fmt_i64(rec->valid_before));
    p[PH_CA_FP] = rec->ca_fingerprint;
    p[PH_ADDR] = rec->client_address;
    p[PH_REQ_ID] = rec->request_id;
    p[PH_POLICY] = rec->policy_version;
    p[PH_CERT] = rec->certificate;
    for (i = 0; i < PH_COUNT && r == 0; i++)
        if (p[i] == NULL)
            r = MESHCA_ERR_ALLOC;
    if (r == 0)
        r = entry_host_certificate(rec, now, it.entry);
    return item_finish(l, &it, now, r);
}

int
ledger_record_access_request(struct ledger *l,
    const struct ledger_access_request *rec)
{
    const char **p;
    struct item it;
    int64_t now = meshca_wall_us();
    int r;

    if ((r = item_start(&it, ITEM_ACCESS_REQUEST, PA_COUNT)) != 0)
        return r;
    p = it.params;
    p[PA_ID] = rec->id;
    p[PA_KIND] = rec->kind;
    p[PA_SUBJECT] = rec->subject;
    p[PA_ISSUER] = rec->issuer;
    p[PA_EMAIL] = rec->email;
    p[PA_ROLE] = rec->role;
    p[PA_PRINCIPALS] = own(&it, pg_array(rec->principals, rec->nprincipals));
    p[PA_TTL] = own(&it, fmt_i64(rec->ttl_seconds));
    p[PA_REASON] = rec->reason;
    p[PA_KEY] = rec->public_key;
    p[PA_KEY_FP] = rec->key_fingerprint;
    p[PA_MIN] = own(&it, fmt_i64(rec->min_approvals));
    p[PA_EXPIRES] = own(&it, fmt_i64(rec->expires_at));
    p[PA_ADDR] = rec->client_address;
    p[PA_REQ_ID] = rec->request_id;
    p[PA_POLICY] = rec->policy_version;
    r = p[PA_PRINCIPALS] == NULL || p[PA_TTL] == NULL || p[PA_MIN] == NULL ||
        p[PA_EXPIRES] == NULL ? MESHCA_ERR_ALLOC :
        entry_access_request(rec, now, it.entry);
    return item_finish(l, &it, now, r);
}

int
ledger_record_access_decision(struct ledger *l,
    const struct ledger_access_decision *rec)
{
    struct item it;
    int64_t now = meshca_wall_us();
    int r;

    if ((r = item_start(&it, ITEM_ACCESS_DECISION, PX_COUNT)) != 0)
        return r;
    it.params[PX_REQUEST] = rec->access_request;
    it.params[PX_DECISION] = rec->decision;
    it.params[PX_SUBJECT] = rec->subject;
    it.params[PX_ISSUER] = rec->issuer;
    it.params[PX_EMAIL] = rec->email;
    it.params[PX_REASON] = rec->reason;
    it.params[PX_ADDR] = rec->client_address;
    it.params[PX_REQ_ID] = rec->request_id;
    it.params[PX_POLICY] = rec->policy_version;
    r = entry_access_decision(rec, now, it.entry);
    return item_finish(l, &it, now, r);
}

/* Fills a login item's parameters and entry.  Returns 0 or an error. */
static int
login_item(struct ledger *l, struct item *it, const struct ledger_login *rec,
    int64_t now)
{
    const char **p = it->params;
    char *at;
    int r;

    if ((r = item_start(it, ITEM_LOGIN, PL_COUNT)) != 0)
        return r;
    if ((at = malloc(MESHCA_TIME_BUFLEN)) != NULL)
        (void)meshca_time_format_us(rec->at_us, at, MESHCA_TIME_BUFLEN);
    p[PL_HOST] = rec->host;
    p[PL_LINE_ID] = rec->line_id;
    p[PL_AT] = own(it, at);
    p[PL_ACCOUNT] = rec->account;
    p[PL_ADDR] = rec->source_address;
    p[PL_PORT] = rec->source_port > 0 ?
        own(it, fmt_i64(rec->source_port)) : NULL;
    p[PL_RESULT] = rec->result;
    p[PL_SERIAL] = rec->serial;
    p[PL_KEY_ID] = rec->key_id;
    p[PL_KEY_FP] = rec->key_fingerprint;
    p[PL_CA_FP] = rec->ca_fingerprint;
    p[PL_KRL_VERSION] = rec->has_krl ?
        own(it, fmt_u64(rec->krl_version)) : NULL;
    p[PL_KRL_AT] = rec->has_krl && rec->krl_generated_at > 0 ?
        own(it, fmt_i64(rec->krl_generated_at)) : NULL;
    if (p[PL_AT] == NULL || (rec->source_port > 0 && p[PL_PORT] == NULL) ||
        (rec->has_krl && p[PL_KRL_VERSION] == NULL))
        r = MESHCA_ERR_ALLOC;
    else
        r = entry_login(rec, now, it->entry);
    if (r == 0)
        r = item_seal(l, it, now);
    if (r != 0)
        item_release(it);
    return r;
}

int
ledger_record_logins(struct ledger *l, const struct ledger_login *recs,
    size_t n, size_t *newp)
{
    struct item *items = NULL;
    size_t i, queued = 0, fresh = 0;
    int64_t now = meshca_wall_us();
    int r = 0, ri;

    *newp = 0;
    if (n == 0)
        return 0;
    if ((items = calloc(n, sizeof(*items))) == NULL)
        return MESHCA_ERR_ALLOC;
    for (i = 0; i < n; i++) {
        if ((r = login_item(l, &items[i], &recs[i], now)) != 0)
            break;
    }
    queued = i;
    /* All queued at once so the writers batch them; each waited for. */
    if (r == 0)
        r = submit_many(l, items, queued);
    else
        for (i = 0; i < queued; i++)
            item_release(&items[i]);
    for (i = 0; r == 0 && i < queued; i++) {
        ri = items[i].result;
        if (ri < 0)
            r = ri;
        else if (ri == 0)
            fresh++;
    }
    free(items);
    if (r == 0)
        *newp = fresh;
    return r;
}

/* The reader connection (for snapshots and admin reads), made or remade
 * when needed.  Called with reader_lock held.  NULL when unreachable. */
static PGconn *
reader_conn(struct ledger *l)
{
    char why[256];

    if (l->reader != NULL && !conn_usable(l->reader)) {
        PQfinish(l->reader);
        l->reader = NULL;
    }
    if (l->reader == NULL) {
        l->reader = db_connect(l->conninfo, "meshcad", DB_STATEMENT_TIMEOUT_S,
            why, sizeof(why));
        db_reached(l, l->reader != NULL, why);
    }
    return l->reader;
}

PGconn *
ledger_reader_acquire(struct ledger *l)
{
    PGconn *c;

    pthread_mutex_lock(&l->reader_lock);
    if ((c = reader_conn(l)) == NULL)
        pthread_mutex_unlock(&l->reader_lock);
    return c;
}

struct pg_conn *
ledger_conn_reuse(struct ledger *l, struct pg_conn **cp)
{
    char why[256];

    if (*cp != NULL && !conn_usable((PGconn *)*cp)) {
        PQfinish((PGconn *)*cp);
        *cp = NULL;
    }
    if (*cp == NULL)
        *cp = (struct pg_conn *)db_connect(l->conninfo, "meshcad",
            DB_STATEMENT_TIMEOUT_S, why, sizeof(why));
    return *cp;
}

void
ledger_conn_close(struct pg_conn *c)
{
    if (c != NULL)
        PQfinish((PGconn *)c);
}

void
ledger_reader_release(struct ledger *l)
{
    if (l->reader != NULL && PQstatus(l->reader) != CONNECTION_OK) {
        PQfinish(l->reader);
        l->reader = NULL;
    }
    pthread_mutex_unlock(&l->reader_lock);
}

void
ledger_snapshot_free(struct ledger_snapshot *s)
{
    size_t i;

    if (s == NULL)
        return;
    for (i = 0; i < s->n; i++) {
        free(s->entries[i].kind);
        free(s->entries[i].value);
        free(s->entries[i].ca_fingerprint);
        free(s->entries[i].issuer);
    }
    free(s->entries);
    free(s);
}

/*
 * What the KRL and the issuance checks need, in one read: every serial to
 * list (revoked by serial or by subject, still unexpired, with the CA that
 * signed it), every key id and key fingerprint revoked, and subject blocks
 * still in force.  A subject revocation lists every certificate of that
 * person made before it or before its block ends (greatest() ignores a NULL
 * block_until), whenever it was made: a block is never undone by a
 * certificate that slipped in.
 */
static const char snapshot_sql[] =
    "SELECT 'serial', c.serial::text, c.ca_fingerprint, 0, NULL "
    "  FROM revocations r JOIN certificates c ON c.serial = "
    "       CASE WHEN r.kind = 'serial' THEN r.value::bigint END "
    " WHERE r.kind = 'serial' AND c.valid_before > now() "
    "UNION SELECT 'serial', c.serial::text, c.ca_fingerprint, 0, NULL "
    "  FROM revocations r JOIN certificates c ON c.subject = r.value "
    "   AND (r.issuer IS NULL OR r.issuer = c.issuer) "
    " WHERE r.kind = 'subject' AND c.valid_before > now() "
    "   AND c.created_at <= greatest(r.created_at, r.block_until) "
    "UNION SELECT 'serial', r.value, NULL, 0, NULL FROM revocations r "
    " WHERE r.kind = 'serial' AND NOT EXISTS "
    "   (SELECT 1 FROM certificates c WHERE c.serial = "
    "    CASE WHEN r.kind = 'serial' THEN r.value::bigint END) "
    "UNION SELECT kind, value, NULL, 0, NULL FROM revocations "
    " WHERE kind IN ('key_id', 'key_fingerprint') "
    "UNION SELECT 'block', value, NULL, "
    "   extract(epoch FROM max(block_until))::bigint, issuer "
    "  FROM revocations WHERE kind = 'subject' AND block_until > now() "
    " GROUP BY value, issuer";

int
ledger_revocation_snapshot(struct ledger *l, uint64_t *versionp,
    struct ledger_snapshot **snapp)
{
    PGresult *res = NULL;
    struct ledger_snapshot *s = NULL;
    int r = MESHCA_ERR_UNAVAILABLE, i, n;

    *snapp = NULL;
    pthread_mutex_lock(&l->reader_lock);
    if (reader_conn(l) == NULL)
        goto out;
    res = PQexec(l->reader, "SELECT coalesce(max(seq), 0) FROM revocations");
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        goto out;
    *versionp = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    res = PQexec(l->reader, snapshot_sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        goto out;
    n = PQntuples(res);
    r = MESHCA_ERR_ALLOC;
    if ((s = calloc(1, sizeof(*s))) == NULL ||
        (s->entries = calloc((size_t)n + 1, sizeof(*s->entries))) == NULL)
        goto out;
    for (i = 0; i < n; i++) {
        struct ledger_revoked *e = &s->entries[s->n++];

        if ((e->kind = strdup(PQgetvalue(res, i, 0))) == NULL ||
            (e->value = strdup(PQgetvalue(res, i, 1))) == NULL)
            goto out;
        if ((!PQgetisnull(res, i, 2) &&
            (e->ca_fingerprint = strdup(PQgetvalue(res, i, 2))) == NULL) ||
            (!PQgetisnull(res, i, 4) &&
            (e->issuer = strdup(PQgetvalue(res, i, 4))) == NULL))
            goto out;
        e->until = strtoll(PQgetvalue(res, i, 3), NULL, 10);
    }
    *snapp = s;
    s = NULL;
    r = 0;
out:
    if (r == MESHCA_ERR_UNAVAILABLE && l->reader != NULL &&
        PQstatus(l->reader) != CONNECTION_OK) {
        PQfinish(l->reader);
        l->reader = NULL;
    }
    PQclear(res);
    pthread_mutex_unlock(&l->reader_lock);
    ledger_snapshot_free(s);
    return r;
}

int
ledger_certificate_known(struct ledger *l, const char *kind,
    const char *value, int *knownp)
{
    static const char serial_sql[] = "SELECT EXISTS (SELECT 1 FROM "
        "certificates WHERE serial = $1::bigint)";
    static const char key_id_sql[] = "SELECT EXISTS (SELECT 1 FROM "
        "certificates WHERE key_id = $1)";
    PGresult *res = NULL;
    int r = MESHCA_ERR_UNAVAILABLE;

    *knownp = 0;
    if (strcmp(kind, "serial") != 0 && strcmp(kind, "key_id") != 0)
        return MESHCA_ERR_INVALID_ARGUMENT;
    pthread_mutex_lock(&l->reader_lock);
    if (reader_conn(l) == NULL)
        goto out;
    res = PQexecParams(l->reader, strcmp(kind, "serial") == 0 ? serial_sql :
        key_id_sql, 1, NULL, &value, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
        goto out;
    *knownp = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    r = 0;
out:
    PQclear(res);
    pthread_mutex_unlock(&l->reader_lock);
    return r;
}

/* Runs one query returning a single JSON text value on the reader
 * connection; returns the parsed value or NULL. */
static json_t *
reader_json(struct ledger *l, const char *sql, int nparams,
    const char *const *params)
{
    PGresult *res = NULL;
    json_t *j = NULL;

    pthread_mutex_lock(&l->reader_lock);
    if (reader_conn(l) == NULL)
        goto out;
    res = PQexecParams(l->reader, sql, nparams, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
        j = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
out:
    PQclear(res);
    pthread_mutex_unlock(&l->reader_lock);
    return j;
}

/* Whether a certificate row x has been revoked, as SQL. */
#define REVOKED_SQL                                                            \
    "EXISTS (SELECT 1 FROM revocations r WHERE " LEDGER_REVOCATION_COVERS ")"

static const char report_sql[] =
    "SELECT json_build_object("
    " 'generated_at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " 'period', json_build_object("
    "   'since', to_char(to_timestamp($1::bigint) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    "   'until', to_char(to_timestamp($2::bigint) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')),"
    " 'totals', json_build_object("
    "   'certificates', (SELECT count(*) FROM certificates WHERE created_at BETWEEN to_timestamp($1::bigint) AND to_timestamp($2::bigint)),"
    "   'subjects', (SELECT count(DISTINCT subject) FROM certificates WHERE created_at BETWEEN to_timestamp($1::bigint) AND to_timestamp($2::bigint)),"
    "   'denials', (SELECT count(*) FROM denials WHERE created_at BETWEEN to_timestamp($1::bigint) AND to_timestamp($2::bigint)),"
    "   'revocations', (SELECT count(*) FROM revocations WHERE created_at BETWEEN to_timestamp($1::bigint) AND to_timestamp($2::bigint)),"
    "   'active_now', (SELECT count(*) FROM certificates x WHERE x.valid_before > now() AND NOT " REVOKED_SQL ")),"
    " 'access', (SELECT coalesce(json_agg(a ORDER BY a.created_at), '[]') FROM ("
    "   SELECT x.serial::text AS serial, x.key_id, x.subject, x.email, x.issuer, x.role,"
    "     x.principals, x.reason, x.client_address, x.created_at,"
    "     to_char(x.valid_after AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS valid_after,"
    "     to_char(x.valid_before AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS valid_before,"
    "     extract(epoch FROM x.valid_before - x.valid_after)::bigint AS duration_seconds,"
    "     " REVOKED_SQL " AS revoked"
    "   FROM certificates x WHERE x.created_at BETWEEN to_timestamp($1::bigint) AND to_timestamp($2::bigint)"
    "   ORDER BY x.created_at LIMIT 10000) a),"
    " 'issuance_by_hour', (SELECT coalesce(json_agg(h ORDER BY h.hour), '[]') FROM ("
    "   SELECT to_char(date_trunc('hour', created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS hour, count(*) AS count"
    "   FROM certificates WHERE created_at BETWEEN to_timestamp($1::bigint) AND to_timestamp($2::bigint)"
    "   GROUP BY 1) h),"
    " 'revocations', (SELECT coalesce(json_agg(r ORDER BY r.seq), '[]') FROM ("
    "   SELECT seq, kind, value, reason, revoked_by,"
    "     to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS revoked_at"
    "   FROM revocations WHERE created_at BETWEEN to_timestamp($1::bigint) AND to_timestamp($2::bigint)) r),"
    " 'denials', (SELECT coalesce(json_agg(d ORDER BY d.seq), '[]') FROM ("
    "   SELECT seq, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS at,"
    "     subject, email, issuer, requested_principals AS principals, reason"
    "   FROM denials WHERE created_at BETWEEN to_timestamp($1::bigint) AND to_timestamp($2::bigint)"
    "   ORDER BY seq LIMIT 2000) d),"
    " 'active', (SELECT coalesce(json_agg(v ORDER BY v.valid_before), '[]') FROM ("
    "   SELECT x.serial::text AS serial, x.subject, x.email, x.principals, x.role,"
    "     to_char(x.valid_before AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS valid_before"
    "   FROM certificates x WHERE x.valid_before > now() AND NOT " REVOKED_SQL
    "   ORDER BY x.valid_before LIMIT 2000) v),"
    /* Issue #16: which workloads held which host names in the period. */
    " 'hosts', (SELECT coalesce(json_agg(h ORDER BY h.spiffe_id), '[]') FROM ("
    "   SELECT x.spiffe_id, array_agg(DISTINCT n ORDER BY n) AS host_names,"
    "     count(DISTINCT x.serial) AS certificates,"
    "     to_char(max(x.created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS last_issued,"
    "     to_char(max(x.valid_before) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS valid_until"
    "   FROM host_certificates x, unnest(x.principals) AS n"
    "   WHERE x.created_at BETWEEN to_timestamp($1::bigint) AND to_timestamp($2::bigint)"
    "   GROUP BY x.spiffe_id LIMIT 2000) h))::text";

json_t *
ledger_report(struct ledger *l, int64_t since, int64_t until)
{
    char s[24], u[24];
    const char *p[2] = { s, u };
    json_t *rep;

    snprintf(s, sizeof(s), "%lld", (long long)since);
    snprintf(u, sizeof(u), "%lld", (long long)until);
    if ((rep = reader_json(l, report_sql, 2, p)) == NULL)
        return NULL;
    return rep;
}

json_t *
ledger_list_certificates(struct ledger *l, const char *subject,
    const char *principal, const char *role, int64_t since, int64_t until,
    int active, uint64_t after, uint64_t limit)
{
    char s[24], u[24], a[24], n[24], act[4];
    const char *p[8] = { subject, principal, role, s, u, act, a, n };

    snprintf(s, sizeof(s), "%lld", (long long)since);
    snprintf(u, sizeof(u), "%lld", (long long)until);
    snprintf(a, sizeof(a), "%llu", (unsigned long long)after);
    snprintf(n, sizeof(n), "%llu", (unsigned long long)limit);
    snprintf(act, sizeof(act), "%d", active);
    return reader_json(l,
        "SELECT coalesce(json_agg(c ORDER BY c.seq), '[]')::text FROM ("
        " SELECT x.seq, x.serial::text AS serial, x.key_id, x.subject, x.email,"
        "  x.issuer, x.role, x.principals, x.key_type, x.key_fingerprint,"
        "  to_char(x.valid_after AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS valid_after,"
        "  to_char(x.valid_before AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS valid_before,"
        "  x.reason, x.client_address, x.request_id, x.ca_fingerprint,"
        "  " REVOKED_SQL " AS revoked"
        " FROM certificates x"
        " WHERE ($1::text IS NULL OR x.subject = $1)"
        "  AND ($2::text IS NULL OR x.principals @> ARRAY[$2::text])"
        "  AND ($3::text IS NULL OR x.role = $3)"
        "  AND x.created_at BETWEEN to_timestamp($4::bigint) AND to_timestamp($5::bigint)"
        "  AND ($6::int = 0 OR (x.valid_before > now() AND NOT " REVOKED_SQL "))"
        "  AND x.seq > $7::bigint"
        " ORDER BY x.seq LIMIT $8::bigint) c", 8, p);
}

int
ledger_ping(struct ledger *l, char *why, size_t whylen)
{
    struct item it;
    int r;

    memset(&it, 0, sizeof(it));
    it.kind = ITEM_PING;
    if ((r = submit(l, &it)) != 0)
        snprintf(why, whylen, "%s", it.why[0] ? it.why : meshcad_strerror(r));
    return r;
}

int
ledger_write_metrics(struct ledger *l, struct meshca_buf *out)
{
    const struct metric_value v[] = {
        { "meshca_ledger_commits_total", "counter",
            "Ledger transactions committed.",
            (long long)atomic_load(&l->batches) },
        { "meshca_ledger_records_total", "counter",
            "Ledger records written.", (long long)atomic_load(&l->records) },
        { "meshca_ledger_failures_total", "counter",
            "Ledger transactions lost to connection failures.",
            (long long)atomic_load(&l->failures) },
        { "meshca_ledger_unavailable_total", "counter",
            "Records refused because the database was unavailable.",
            (long long)atomic_load(&l->unavailable) },
        { "meshca_ledger_connects_total", "counter",
            "Database connection attempts.",
            (long long)atomic_load(&l->reconnects) },
    };
    int r;

    if ((r = metrics_write_values(out, v, sizeof(v) / sizeof(v[0]))) != 0)
        return r;
    return metrics_write_histogram(out, "meshca_ledger_commit_duration_seconds",
        "Time to commit one ledger transaction (a batch).", &l->commit);
}

/* Migrations */

int
ledger_migrate(const char *conninfo, int verbose, char *why, size_t whylen)
{
    PGconn *c;
    PGresult *pr = NULL;
    size_t i;
    int rc = MESHCA_ERR_INTERNAL, locked = 0;
    char ver[16];
    const char *params[2];

    if ((c = db_connect(conninfo, "meshcad", DB_STATEMENT_TIMEOUT_S, why,
        whylen)) == NULL)
        return MESHCA_ERR_UNAVAILABLE;
#define EXEC_OK(sql, st)                                                       \
    (PQclear(pr), pr = PQexec(c, sql), PQresultStatus(pr) == (st))
    /* One migrator at a time across replicas. */
    if (!EXEC_OK("SELECT pg_advisory_lock(7310475501)", PGRES_TUPLES_OK))
        goto fail;
    locked = 1;
    if (!EXEC_OK("CREATE TABLE IF NOT EXISTS schema_migrations ("
            "version integer PRIMARY KEY, name text NOT NULL, "
            "applied_at timestamptz NOT NULL DEFAULT now())",
            PGRES_COMMAND_OK))
        goto fail;
    for (i = 0; i < nmigrations; i++) {
        snprintf(ver, sizeof(ver), "%d", migrations[i].version);
        params[0] = ver;
        params[1] = migrations[i].name;
        PQclear(pr);
        pr = PQexecParams(c, "SELECT 1 FROM schema_migrations WHERE "
            "version = $1::integer", 1, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(pr) != PGRES_TUPLES_OK)
            goto fail;
        if (PQntuples(pr) == 1)
            continue;
        if (!EXEC_OK("BEGIN", PGRES_COMMAND_OK) ||
            !EXEC_OK(migrations[i].sql, PGRES_COMMAND_OK))
            goto fail;
        PQclear(pr);
        pr = PQexecParams(c, "INSERT INTO schema_migrations (version, name) "
            "VALUES ($1::integer, $2)", 2, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(pr) != PGRES_COMMAND_OK ||
            !EXEC_OK("COMMIT", PGRES_COMMAND_OK))
            goto fail;
        if (verbose)
            fprintf(stderr, "meshcad migrate: applied %s\n",
                migrations[i].name);
    }
    rc = 0;
    goto out;
fail:
    snprintf(why, whylen, "%s", PQerrorMessage(c));
    why[strcspn(why, "\n")] = '\0';
    (void)EXEC_OK("ROLLBACK", PGRES_COMMAND_OK);
out:
    if (locked)
        (void)EXEC_OK("SELECT pg_advisory_unlock(7310475501)",
            PGRES_TUPLES_OK);
#undef EXEC_OK
    PQclear(pr);
    PQfinish(c);
    return rc;
}
