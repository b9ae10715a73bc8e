/*
 * The ledger: every issuance, denial, revocation and policy version in
 * PostgreSQL, append-only and hash-chained (migrations/0001_ledger.sql).
 *
 * Writes go through a small pool of writer threads, one connection each.
 * Concurrent callers are batched: a writer takes up to LEDGER_BATCH_MAX
 * queued records and sends them in one pipeline sync segment, which
 * PostgreSQL runs as one transaction; every caller waits for its own record's
 * commit.  Group commit: a second writer starts a batch only while the
 * queue holds LEDGER_GROUP_MIN records or more; below that, records wait
 * for the running batch and share the next commit.  When a batch fails for a reason other than the connection, its
 * records are retried one by one so one bad record fails only its caller.
 * Connections are made lazily and remade after PostgreSQL restarts; with the
 * database unreachable, callers get MESHCA_ERR_UNAVAILABLE promptly.
 */
#ifndef MESHCAD_LEDGER_H
#define MESHCAD_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "meshca/buf.h"
#include "meshca/err.h"
#include "ledger_records.h"

#define LEDGER_BATCH_MAX 64
#define LEDGER_GROUP_MIN 16

/*
 * The ledger's revocation rule, as SQL: whether revocation row r covers
 * certificate row x.  A subject revocation covers the certificates issued
 * up to it or to its block_until, not the ones issued afterwards.  The
 * report and the admin queries (ledger.c) and GET /v1/who (who.c) use it;
 * usage.c's rv CTE states the same rule as joins (for revoked_at).
 */
#define LEDGER_REVOCATION_COVERS                                               \
    "((r.kind = 'serial' AND r.value = x.serial::text) OR "                    \
    "(r.kind = 'key_id' AND r.value = x.key_id) OR "                           \
    "(r.kind = 'subject' AND r.value = x.subject AND "                         \
    " (r.issuer IS NULL OR r.issuer = x.issuer) AND "                          \
    " greatest(r.created_at, r.block_until) >= x.created_at) OR "              \
    "(r.kind = 'key_fingerprint' AND r.value = x.key_fingerprint))"

struct ledger;

/* A ledger writing to conninfo (a libpq URI or key=value string) with
 * pool_size writers, sealing every record's entry with an HMAC under
 * mac_key (32..128 bytes, copied).  Does not connect yet: never fails for a
 * database that is down.  Returns 0 or MESHCA_ERR_ALLOC / MESHCA_ERR_SYSTEM /
 * MESHCA_ERR_INVALID_ARGUMENT (key length). */
int ledger_open(const char *conninfo, size_t pool_size,
    const uint8_t *mac_key, size_t mac_keylen, struct ledger **lp) MESHCA_WUR;

/* Stops the writers (finishing queued records) and frees l.  Accepts NULL. */
void ledger_close(struct ledger *l);

/* Records a certificate and counts one use of its token, in one transaction.
 * Blocks until committed.  Returns 0; MESHCA_ERR_LEDGER_BLOCKED (a block of
 * the person (issuer, subject) is in force, checked in that transaction under
 * the person's lock: nothing recorded); MESHCA_ERR_LEDGER_REPLAY (the token was
 * already used max_uses times: nothing recorded); MESHCA_ERR_LEDGER_DUPLICATE_SERIAL
 * (retry with another serial); MESHCA_ERR_LEDGER_COLLECTED (the key id names
 * an access request already collected: nothing recorded); MESHCA_ERR_UNAVAILABLE (database unreachable
 * or failing: nothing may be returned to the client). */
int ledger_record_issuance(struct ledger *l,
    const struct ledger_issuance *rec) MESHCA_WUR;

/* Records a denial.  Same blocking and errors (but never REPLAY). */
int ledger_record_denial(struct ledger *l,
    const struct ledger_denial *rec) MESHCA_WUR;

/* Records a policy version once (later calls for the same version are
 * no-ops).  loaded_by names the host. */
int ledger_record_policy(struct ledger *l, const char *version,
    const char *text) MESHCA_WUR;

/* Records a revocation.  Returns 0 when recorded, 1 when the same target was
 * already revoked (nothing new recorded), or an error as above. */
int ledger_record_revocation(struct ledger *l,
    const struct ledger_revocation *rec) MESHCA_WUR;

/* Records a host certificate (issue #16).  Blocks until committed.
 * Returns 0, MESHCA_ERR_LEDGER_DUPLICATE_SERIAL (retry with another serial)
 * or MESHCA_ERR_UNAVAILABLE (nothing may be returned to the client). */
int ledger_record_host_certificate(struct ledger *l,
    const struct ledger_host_certificate *rec) MESHCA_WUR;

/* Records an access request or break-glass use (#17).  Same blocking and
 * errors as ledger_record_denial. */
int ledger_record_access_request(struct ledger *l,
    const struct ledger_access_request *rec) MESHCA_WUR;

/* Records a decision on an access request.  Returns 0,
 * MESHCA_ERR_LEDGER_DECIDED (this person already made this decision on it:
 * nothing recorded), or MESHCA_ERR_UNAVAILABLE. */
int ledger_record_access_decision(struct ledger *l,
    const struct ledger_access_decision *rec) MESHCA_WUR;

/* Records n logins a host reported, queued together so the writers batch
 * them; blocks until every one committed.  A login already recorded (same
 * host and line_id) is dropped.  Returns 0 with *newp the number newly
 * recorded, or an error as above (some may have been recorded: the caller
 * retries the whole batch, which is idempotent). */
int ledger_record_logins(struct ledger *l, const struct ledger_login *recs,
    size_t n, size_t *newp) MESHCA_WUR;

/* One entry of a revocation snapshot: kind "serial" (value a serial, with
 * the signing CA's fingerprint when the ledger knows it), "key_id",
 * "key_fingerprint", or "block" (value a subject, issuer its issuer or NULL
 * for any issuer, until epoch seconds). */
struct ledger_revoked {
    char *kind, *value, *ca_fingerprint, *issuer;
    int64_t until;
};
struct ledger_snapshot {
    struct ledger_revoked *entries;
    size_t n;
};

/* Reads what is revoked now (only unexpired certificates' serials) and the
 * revocations' version (the newest record's seq, which only grows), through
 * a reader connection of its own.  Caller frees with ledger_snapshot_free. */
int ledger_revocation_snapshot(struct ledger *l, uint64_t *versionp,
    struct ledger_snapshot **snapp) MESHCA_WUR;
void ledger_snapshot_free(struct ledger_snapshot *s);

/* Whether the ledger holds a certificate with this serial (kind "serial",
 * value decimal 1..2^63-1) or key id (kind "key_id").  Returns 0 and
 * *knownp, MESHCA_ERR_UNAVAILABLE when the database cannot be read, or
 * MESHCA_ERR_INVALID_ARGUMENT for another kind (*knownp 0). */
int ledger_certificate_known(struct ledger *l, const char *kind,
    const char *value, int *knownp) MESHCA_WUR;

/* The compliance report for [since, until] (epoch seconds) as JSON (see
 * docs/reports.md), with the chain's integrity.  NULL when the database
 * cannot be read.  Caller decrefs. */
json_t *ledger_report(struct ledger *l, int64_t since, int64_t until);

/* Certificates matching the filters (NULL: any), created in [since,
 * until], only active (unexpired, unrevoked) ones when active, with seq >
 * after, at most limit, in seq order, as a JSON array.  NULL on failure. */
json_t *ledger_list_certificates(struct ledger *l, const char *subject,
    const char *principal, const char *role, int64_t since, int64_t until,
    int active, uint64_t after, uint64_t limit);

/* The reader connection for reads other modules make (the log's tiles and
 * proofs): NULL when the database is unreachable; otherwise it is held
 * until ledger_reader_release.  Use it from one thread at a time. */
struct pg_conn;
struct pg_conn *ledger_reader_acquire(struct ledger *l);
void ledger_reader_release(struct ledger *l);

/* A connection of the caller's own, for long reads on a background thread
 * that must not hold the shared reader (the anomaly gauge): *cp is kept
 * while usable, (re)made when not.  Returns *cp, or NULL when the
 * database is unreachable.  ledger_conn_close(*cp) ends it (NULL ok). */
struct pg_conn *ledger_conn_reuse(struct ledger *l, struct pg_conn **cp);
void ledger_conn_close(struct pg_conn *c);

/* Readiness: 0 when a writer can reach the database now; otherwise an error
 * with the reason in why. */
int ledger_ping(struct ledger *l, char *why, size_t whylen) MESHCA_WUR;

/* Appends Prometheus text for the ledger's counters and commit latency. */
int ledger_write_metrics(struct ledger *l, struct meshca_buf *out) MESHCA_WUR;

/* Verification (meshcad ledger verify, logverify.c): recomputes every log
 * entry from its row and checks its MAC, rebuilds the Merkle tree and
 * compares it with the stored tiles and every signed checkpoint, and names
 * rows that are in no log entry or are quarantined.  Fills res; returns 0
 * when the walk ran (intact or not, see res->intact), MESHCA_ERR_UNAVAILABLE
 * (database) or MESHCA_ERR_INVALID_ARGUMENT (keys; res->message says). */
struct config;
struct ledger_verify_result {
    int intact;
    uint64_t records;          /* entries checked */
    uint64_t log_size;
    uint64_t checkpoints;      /* checkpoints verified */
    uint64_t quarantined;
    char root[48];             /* base64 root of the whole log */
    uint64_t first_bad_index;  /* log index or checkpoint size; 0 if intact */
    char message[512];         /* for a person */
};
int ledger_verify(const struct config *cfg,
    struct ledger_verify_result *res) MESHCA_WUR;

/* Applies the embedded migrations not yet applied, under an advisory lock
 * (safe with several replicas at once).  Prints what it did to stderr when
 * verbose.  Returns 0, MESHCA_ERR_UNAVAILABLE, or MESHCA_ERR_INTERNAL with
 * the server's message in why. */
int ledger_migrate(const char *conninfo, int verbose, char *why,
    size_t whylen) MESHCA_WUR;

#endif
