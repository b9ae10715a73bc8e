/* The log integrator.  See integrator.h and migrations/0002. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "meshca/clock.h"
#include "meshca/mem.h"
#include "meshca/tlog.h"
#include "db.h"
#include "entry.h"
#include "integrator.h"
#include "log.h"
#include "meshcad_err.h"
#include "metrics.h"
#include "threads.h"

/* The advisory lock the integrator holds (migrations use 7310475501). */
#define INTEGRATOR_LOCK "7310475502"
/* Records taken per round at most: bounds a round's transaction. */
#define ROUND_MAX 20000
/* Tile levels kept in memory: 8 levels of height 8 cover 2^64 leaves. */
#define LEVELS 8
#define TILE_BYTES (TLOG_TILE_WIDTH * TLOG_HASH_LEN)

struct tile {
    int level;
    uint64_t idx;
    unsigned w;
    int dirty;
    uint8_t h[TILE_BYTES];
};

/* One record read in a round. */
struct rec {
    uint64_t seq;
    int table;
    const uint8_t *entry;   /* points into the result, or into owned */
    size_t len;
    uint8_t *owned;         /* v1 entries built here */
    int ok;                 /* MAC verified (or a v1 record) */
};

struct integrator {
    char *conninfo, *origin;
    const struct cakey *log_key;
    struct entry_mac_key *mac;
    int64_t interval_ms;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stopping, started;
    PGconn *c;
    int leader;
    /* The log as this leader knows it (reloaded after any failure). */
    uint64_t size, wm_seq;
    char wm_xid[24];
    int legacy_done;
    struct tlog_edge edge;
    struct tile tiles[LEVELS];
    struct tile *full;      /* tiles filled this round */
    size_t nfull, capfull;
    /* metrics */
    _Atomic uint64_t integrated, quarantined, rounds, published, quarantine_seen;
    atomic_int is_leader;
    struct histogram round_us;
};

static uint64_t
be_uint(const char *p, int n)
{
    const uint8_t *b = (const uint8_t *)p;
    uint64_t v = 0;
    int i;

    for (i = 0; i < n; i++)
        v = v << 8 | b[i];
    return v;
}

/* Reads stored hashes from log_tiles (tlog_read_cb). */
static int
read_stored(void *arg, int level, uint64_t first, size_t count, uint8_t *out)
{
    PGconn *c = arg;
    char lv[8], idx[24];
    const char *params[2] = { lv, idx };
    size_t off = (first % TLOG_TILE_WIDTH) * TLOG_HASH_LEN;
    PGresult *res;
    int r = MESHCA_ERR_NOT_FOUND;

    snprintf(lv, sizeof(lv), "%d", level);
    snprintf(idx, sizeof(idx), "%llu",
        (unsigned long long)(first / TLOG_TILE_WIDTH));
    res = PQexecParams(c, "SELECT hashes FROM log_tiles WHERE level = "
        "$1::integer AND idx = $2::bigint", 2, NULL, params, NULL, NULL, 1);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        r = MESHCA_ERR_UNAVAILABLE;
    else if (PQntuples(res) == 1 &&
        (size_t)PQgetlength(res, 0, 0) >= off + count * TLOG_HASH_LEN) {
        memcpy(out, PQgetvalue(res, 0, 0) + off, count * TLOG_HASH_LEN);
        r = 0;
    }
    PQclear(res);
    return r;
}

/* Loads the log's state, tree edge and partial tiles from the database. */
static int
load_state(struct integrator *it)
{
    PGresult *res = PQexec(it->c, "SELECT size, xid::text, seq, "
        "legacy_done FROM log_state");
    uint64_t n;
    int l, r;

    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        log_msg(LOG_LEVEL_ERROR, "log integrator: cannot read log_state "
            "(is the database migrated?): %s", PQresultErrorMessage(res));
        PQclear(res);
        return -1;
    }
    it->size = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
    snprintf(it->wm_xid, sizeof(it->wm_xid), "%s", PQgetvalue(res, 0, 1));
    it->wm_seq = strtoull(PQgetvalue(res, 0, 2), NULL, 10);
    it->legacy_done = PQgetvalue(res, 0, 3)[0] == 't';
    PQclear(res);
    if ((r = tlog_edge_load(&it->edge, it->size, read_stored, it->c)) != 0) {
        log_msg(LOG_LEVEL_ERROR, "log integrator: cannot rebuild the tree "
            "of size %llu from log_tiles: %s", (unsigned long long)it->size,
            meshcad_strerror(r));
        return -1;
    }
    for (l = 0; l < LEVELS; l++) {
        struct tile *t = &it->tiles[l];

        n = l == 0 ? it->size : it->size >> (TLOG_TILE_HEIGHT * l);
        t->level = l;
        t->idx = n / TLOG_TILE_WIDTH;
        t->w = (unsigned)(n % TLOG_TILE_WIDTH);
        t->dirty = 0;
        if (t->w > 0 && read_stored(it->c, l, t->idx * TLOG_TILE_WIDTH, t->w,
            t->h) != 0) {
            log_msg(LOG_LEVEL_ERROR, "log integrator: tile %d/%llu is "
                "missing or short", l, (unsigned long long)t->idx);
            return -1;
        }
    }
    it->nfull = 0;
    return 0;
}

/* tlog_stored_cb: the next hash of a tile level. */
static int
stored(void *arg, int level, uint64_t index, const uint8_t hash[TLOG_HASH_LEN])
{
    struct integrator *it = arg;
    struct tile *t, *nf;

    if (level >= LEVELS)
        return MESHCA_ERR_INTERNAL;
    t = &it->tiles[level];
    if (index % TLOG_TILE_WIDTH == 0) {
        t->idx = index / TLOG_TILE_WIDTH;
        t->w = 0;
    }
    if (t->idx != index / TLOG_TILE_WIDTH || t->w != index % TLOG_TILE_WIDTH)
        return MESHCA_ERR_INTERNAL;
    memcpy(t->h + t->w * TLOG_HASH_LEN, hash, TLOG_HASH_LEN);
    t->w++;
    t->dirty = 1;
    if (t->w == TLOG_TILE_WIDTH) {
        if ((nf = meshca_grow(it->full, &it->capfull, it->nfull + 1,
            sizeof(*nf), 16)) == NULL)
            return MESHCA_ERR_ALLOC;
        it->full = nf;
        it->full[it->nfull++] = *t;
        t->dirty = 0;
    }
    return 0;
}

/* Writes one tile (insert or widen). */
static int
write_tile(PGconn *c, const struct tile *t)
{
    char lv[8], idx[24];
    const char *params[3] = { lv, idx, (const char *)t->h };
    int lengths[3] = { 0, 0, (int)(t->w * TLOG_HASH_LEN) };
    int formats[3] = { 0, 0, 1 };
    PGresult *res;
    int ok;

    snprintf(lv, sizeof(lv), "%d", t->level);
    snprintf(idx, sizeof(idx), "%llu", (unsigned long long)t->idx);
    res = PQexecParams(c, "INSERT INTO log_tiles (level, idx, hashes) "
        "VALUES ($1::integer, $2::bigint, $3::bytea) ON CONFLICT (level, idx) "
        "DO UPDATE SET hashes = EXCLUDED.hashes", 3, NULL, params, lengths,
        formats, 0);
    ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok)
        log_msg(LOG_LEVEL_ERROR, "log integrator: writing tile %d/%llu: %s",
            t->level, (unsigned long long)t->idx, PQresultErrorMessage(res));
    PQclear(res);
    return ok ? 0 : -1;
}


/* Ordered by the xid8 itself (its text form would sort "1000" first). */
static const char fetch_sql[] =
    "SELECT x8::text AS xt, seq, t, entry, mac FROM ("
    " SELECT xid AS x8, seq, 0 AS t, entry, mac FROM certificates"
    "  WHERE xid < $3::xid8 AND (xid, seq) > ($1::xid8, $2::bigint)"
    " UNION ALL SELECT xid, seq, 1, entry, mac FROM denials"
    "  WHERE xid < $3::xid8 AND (xid, seq) > ($1::xid8, $2::bigint)"
    " UNION ALL SELECT xid, seq, 2, entry, mac FROM policy_versions"
    "  WHERE xid < $3::xid8 AND (xid, seq) > ($1::xid8, $2::bigint)"
    " UNION ALL SELECT xid, seq, 3, entry, mac FROM revocations"
    "  WHERE xid < $3::xid8 AND (xid, seq) > ($1::xid8, $2::bigint)"
    " UNION ALL SELECT xid, seq, 4, entry, mac FROM host_certificates"
    "  WHERE xid < $3::xid8 AND (xid, seq) > ($1::xid8, $2::bigint)"
    " UNION ALL SELECT xid, seq, 5, entry, mac FROM access_requests"
    "  WHERE xid < $3::xid8 AND (xid, seq) > ($1::xid8, $2::bigint)"
    " UNION ALL SELECT xid, seq, 6, entry, mac FROM access_decisions"
    "  WHERE xid < $3::xid8 AND (xid, seq) > ($1::xid8, $2::bigint)"
    " UNION ALL SELECT xid, seq, 7, entry, mac FROM logins"
    "  WHERE xid < $3::xid8 AND (xid, seq) > ($1::xid8, $2::bigint)"
    ") u ORDER BY u.x8, u.seq LIMIT 20000";

/* The v1 records (no xid), whose entries are made from their columns. */
static PGresult *
fetch_legacy(PGconn *c)
{
    char sql[8192];
    int n;

    n = snprintf(sql, sizeof(sql), "SELECT '0', seq, t, row FROM ("
        " SELECT x.seq, 0 AS t, %s AS row FROM certificates x WHERE x.xid IS NULL"
        " UNION ALL SELECT x.seq, 1, %s FROM denials x WHERE x.xid IS NULL"
        " UNION ALL SELECT x.seq, 2, %s FROM policy_versions x WHERE x.xid IS NULL"
        " UNION ALL SELECT x.seq, 3, %s FROM revocations x WHERE x.xid IS NULL"
        " UNION ALL SELECT x.seq, 4, %s FROM host_certificates x WHERE x.xid IS NULL"
        " UNION ALL SELECT x.seq, 7, %s FROM logins x WHERE x.xid IS NULL"
        ") u ORDER BY seq", entry_row_sql(ENTRY_CERTIFICATE),
        entry_row_sql(ENTRY_DENIAL), entry_row_sql(ENTRY_POLICY),
        entry_row_sql(ENTRY_REVOCATION), entry_row_sql(ENTRY_HOST_CERTIFICATE),
        entry_row_sql(ENTRY_LOGIN));
    if (n < 0 || (size_t)n >= sizeof(sql))
        return NULL;
    return PQexec(c, sql);
}

/* Turns the fetched rows into records: MACs checked, v1 entries built. */
static int
read_records(struct integrator *it, PGresult *res, int legacy, struct rec *recs)
{
    uint8_t mac[ENTRY_MAC_LEN];
    struct meshca_buf *b = NULL;
    int i, n = PQntuples(res);

    for (i = 0; i < n; i++) {
        struct rec *rc = &recs[i];

        memset(rc, 0, sizeof(*rc));
        if (legacy) {
            rc->seq = strtoull(PQgetvalue(res, i, 1), NULL, 10);
            rc->table = atoi(PQgetvalue(res, i, 2));
            if ((b = meshca_buf_new(BUF_SIZE_MAX)) == NULL ||
                entry_from_row(PQgetvalue(res, i, 3), b) != 0 ||
                (rc->owned = malloc(meshca_buf_len(b) + 1)) == NULL) {
                meshca_buf_free(b);
                return -1;
            }
            memcpy(rc->owned, meshca_buf_ptr(b), meshca_buf_len(b));
            rc->entry = rc->owned;
            rc->len = meshca_buf_len(b);
            rc->ok = 1;
            meshca_buf_free(b);
            continue;
        }
        rc->seq = be_uint(PQgetvalue(res, i, 1), 8);
        rc->table = (int)be_uint(PQgetvalue(res, i, 2), 4);
        rc->entry = (const uint8_t *)PQgetvalue(res, i, 3);
        rc->len = (size_t)PQgetlength(res, i, 3);
        rc->ok = !PQgetisnull(res, i, 3) && !PQgetisnull(res, i, 4) &&
            PQgetlength(res, i, 4) == ENTRY_MAC_LEN &&
            entry_mac_with(it->mac, rc->entry, rc->len,
                mac) == 0 &&
            CRYPTO_memcmp(mac, PQgetvalue(res, i, 4), ENTRY_MAC_LEN) == 0;
    }
    return 0;
}

/* A PostgreSQL bigint[] literal of the integrated records' seqs. */
static char *
seq_array(const struct rec *recs, int n)
{
    struct meshca_buf *b = meshca_buf_new(BUF_SIZE_MAX);
    char num[24], *s = NULL;
    int i, first = 1, w;

    if (b == NULL || meshca_buf_put(b, "{", 1) != 0)
        goto out;
    for (i = 0; i < n; i++) {
        if (!recs[i].ok)
            continue;
        w = snprintf(num, sizeof(num), "%s%llu", first ? "" : ",",
            (unsigned long long)recs[i].seq);
        if (meshca_buf_put(b, num, (size_t)w) != 0)
            goto out;
        first = 0;
    }
    if (meshca_buf_put(b, "}", 2) != 0 || (s = strdup((const char *)meshca_buf_ptr(b))) == NULL)
        goto out;
out:
    meshca_buf_free(b);
    return s;
}

static int
write_leaves(struct integrator *it, const struct rec *recs, int n,
    int legacy, uint64_t first)
{
    char start[24], idx[24], seq[24], *arr;
    PGresult *res;
    int i, ok = 1;

    if (legacy) {
        /* One by one: v1 records are few, and keep their entries here. */
        for (i = 0; i < n && ok; i++) {
            const char *p[3] = { idx, seq, (const char *)recs[i].entry };
            int len[3] = { 0, 0, (int)recs[i].len }, fmt[3] = { 0, 0, 1 };

            snprintf(idx, sizeof(idx), "%llu", (unsigned long long)(first + i));
            snprintf(seq, sizeof(seq), "%llu", (unsigned long long)recs[i].seq);
            res = PQexecParams(it->c, "INSERT INTO log_leaves (idx, seq, "
                "entry) VALUES ($1::bigint, $2::bigint, $3::bytea)", 3, NULL,
                p, len, fmt, 0);
            ok = PQresultStatus(res) == PGRES_COMMAND_OK;
            PQclear(res);
        }
        return ok ? 0 : -1;
    }
    if ((arr = seq_array(recs, n)) == NULL)
        return -1;
    snprintf(start, sizeof(start), "%llu", (unsigned long long)first);
    {
        const char *p[2] = { start, arr };

        res = PQexecParams(it->c, "INSERT INTO log_leaves (idx, seq) "
            "SELECT $1::bigint + u.ord - 1, u.s FROM unnest($2::bigint[]) "
            "WITH ORDINALITY AS u(s, ord)", 2, NULL, p, NULL, NULL, 0);
    }
    ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok)
        log_msg(LOG_LEVEL_ERROR, "log integrator: writing leaves: %s",
            PQresultErrorMessage(res));
    PQclear(res);
    free(arr);
    return ok ? 0 : -1;
}

static int
write_quarantine(struct integrator *it, const struct rec *rc)
{
    const char *tbl = rc->table >= 0 && rc->table < ENTRY_NTABLES ?
        entry_table_name((enum entry_table)rc->table) : NULL;
    char seq[24];
    const char *p[3] = { seq, tbl != NULL ? tbl : "?",
        "no valid MAC: not written by meshcad (ledger.mac_key)" };
    PGresult *res;
    int ok;

    snprintf(seq, sizeof(seq), "%llu", (unsigned long long)rc->seq);
    res = PQexecParams(it->c, "INSERT INTO log_quarantine (seq, tbl, reason) "
        "VALUES ($1::bigint, $2, $3) ON CONFLICT (seq) DO NOTHING", 3, NULL, p,
        NULL, NULL, 0);
    ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    log_msg(LOG_LEVEL_ERROR, "ledger: record seq %llu in %s has no valid "
        "MAC: quarantined, not in the log (someone with database access "
        "wrote it)", (unsigned long long)rc->seq, p[1]);
    return ok ? 0 : -1;
}

/* Signs and stores the checkpoint for the current tree. */
static int
write_checkpoint(struct integrator *it)
{
    uint8_t root[TLOG_HASH_LEN];
    char *text = NULL, *note = NULL, size[24];
    const char *p[3] = { size, (const char *)root, NULL };
    int len[3] = { 0, TLOG_HASH_LEN, 0 }, fmt[3] = { 0, 1, 0 }, ok = 0;
    PGresult *res;

    tlog_edge_root(&it->edge, root);
    if (tlog_checkpoint_format(it->origin, it->size, root, &text) != 0 ||
        tlog_note_sign(text, it->origin, cakey_evp(it->log_key), &note) != 0)
        goto out;
    snprintf(size, sizeof(size), "%llu", (unsigned long long)it->size);
    p[2] = note;
    res = PQexecParams(it->c, "INSERT INTO log_checkpoints (size, root, note) "
        "VALUES ($1::bigint, $2::bytea, $3)", 3, NULL, p, len, fmt, 0);
    ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
out:
    free(text);
    free(note);
    return ok ? 0 : -1;
}

/* The new head, compared-and-set on the size this leader started from. */
static int
write_state(struct integrator *it, uint64_t old_size)
{
    char size[24], seq[24], old[24];
    const char *p[5] = { size, it->wm_xid, seq, it->legacy_done ? "t" : "f",
        old };
    PGresult *res;
    int ok;

    snprintf(size, sizeof(size), "%llu", (unsigned long long)it->size);
    snprintf(seq, sizeof(seq), "%llu", (unsigned long long)it->wm_seq);
    snprintf(old, sizeof(old), "%llu", (unsigned long long)old_size);
    res = PQexecParams(it->c, "UPDATE log_state SET size = $1::bigint, "
        "xid = $2::xid8, seq = $3::bigint, legacy_done = $4::boolean "
        "WHERE size = $5::bigint", 5, NULL, p, NULL, NULL, 0);
    ok = PQresultStatus(res) == PGRES_COMMAND_OK &&
        strcmp(PQcmdTuples(res), "1") == 0;
    if (!ok)
        log_msg(LOG_LEVEL_ERROR, "log integrator: log_state moved under "
            "us (another integrator?) or cannot be written: %s",
            PQresultErrorMessage(res));
    PQclear(res);
    return ok ? 0 : -1;
}

static void count_quarantine(struct integrator *it);

/* Appends the records to the tree and writes the round in one transaction.
 * Returns the number integrated, or -1 (state must be reloaded). */
static int
commit_round(struct integrator *it, struct rec *recs, int n, int legacy,
    PGresult *res)
{
    uint64_t old_size = it->size;
    uint8_t leaf[TLOG_HASH_LEN];
    int i, good = 0, bad = 0, l;

    it->nfull = 0;
    for (i = 0; i < n; i++) {
        if (!recs[i].ok) {
            bad++;
            continue;
        }
        if (tlog_leaf_hash(recs[i].entry, recs[i].len, leaf) != 0 ||
            tlog_edge_append(&it->edge, leaf, stored, it) != 0)
            return -1;
        good++;
    }
    it->size = it->edge.size;
    if (legacy)
        it->legacy_done = 1;
    else if (n > 0) {
        snprintf(it->wm_xid, sizeof(it->wm_xid), "%s",
            PQgetvalue(res, n - 1, 0));
        it->wm_seq = recs[n - 1].seq;
    }
    if (db_exec(it->c, "log integrator", "BEGIN", 0, NULL) != 0)
        return -1;
    for (i = 0; i < n; i++)
        if (!recs[i].ok && write_quarantine(it, &recs[i]) != 0)
            goto fail;
    if (good > 0 && write_leaves(it, recs, n, legacy, old_size) != 0)
        goto fail;
    for (i = 0; i < (int)it->nfull; i++)
        if (write_tile(it->c, &it->full[i]) != 0)
            goto fail;
    for (l = 0; l < LEVELS; l++)
        if (it->tiles[l].dirty && write_tile(it->c, &it->tiles[l]) != 0)
            goto fail;
    if (write_state(it, old_size) != 0 ||
        (it->size != old_size && write_checkpoint(it) != 0) ||
        db_exec(it->c, "log integrator", "COMMIT", 0, NULL) != 0)
        goto fail;
    for (l = 0; l < LEVELS; l++)
        it->tiles[l].dirty = 0;
    atomic_fetch_add(&it->integrated, (uint64_t)good);
    atomic_fetch_add(&it->quarantined, (uint64_t)bad);
    if (bad > 0)
        count_quarantine(it);
    if (it->size != old_size)
        atomic_store(&it->published, it->size);
    return good + bad;
fail:
    (void)db_exec(it->c, "log integrator", "ROLLBACK", 0, NULL);
    return -1;
}

/* One round: what committed since the last, into the log.  Returns the
 * number of records handled, or -1 (reload state / reconnect). */
static int
integrate_round(struct integrator *it)
{
    PGresult *xr = NULL, *res = NULL;
    struct rec *recs = NULL;
    char seq[24];
    int n = 0, r = -1, i, legacy = !it->legacy_done;

    if (legacy)
        res = fetch_legacy(it->c);
    else {
        xr = PQexec(it->c, "SELECT pg_snapshot_xmin(pg_current_snapshot())::text");
        if (PQresultStatus(xr) != PGRES_TUPLES_OK)
            goto out;
        snprintf(seq, sizeof(seq), "%llu", (unsigned long long)it->wm_seq);
        {
            const char *p[3] = { it->wm_xid, seq, PQgetvalue(xr, 0, 0) };

            res = PQexecParams(it->c, fetch_sql, 3, NULL, p, NULL, NULL, 1);
        }
    }
    if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
        log_msg(LOG_LEVEL_ERROR, "log integrator: cannot read new records: "
            "%s", res ? PQresultErrorMessage(res) : "out of memory");
        goto out;
    }
    n = PQntuples(res);
    if (n == 0 && !legacy) {
        r = 0;
        goto out;
    }
    if ((recs = calloc((size_t)n + 1, sizeof(*recs))) == NULL ||
        read_records(it, res, legacy, recs) != 0)
        goto out;
    r = commit_round(it, recs, n, legacy, res);
out:
    for (i = 0; recs != NULL && i < n; i++)
        free(recs[i].owned);
    free(recs);
    PQclear(res);
    PQclear(xr);
    return r;
}

/* Waits up to ms or until stopped.  Returns 1 when stopping. */
static int
pause_ms(struct integrator *it, int64_t ms)
{
    struct timespec ts;
    int stop;

    meshca_deadline_ms(&ts, ms);
    pthread_mutex_lock(&it->lock);
    if (!it->stopping)
        pthread_cond_timedwait(&it->cond, &it->lock, &ts);
    stop = it->stopping;
    pthread_mutex_unlock(&it->lock);
    return stop;
}

static void
count_quarantine(struct integrator *it)
{
    PGresult *res = PQexec(it->c, "SELECT count(*) FROM log_quarantine");

    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
        atomic_store(&it->quarantine_seen,
            strtoull(PQgetvalue(res, 0, 0), NULL, 10));
    PQclear(res);
}

/* Connects, or tries to take the lock; 1 when this replica now leads. */
static int
try_lead(struct integrator *it)
{
    char why[256];
    PGresult *res;
    int got;

    if (it->c == NULL || PQstatus(it->c) != CONNECTION_OK) {
        PQfinish(it->c);
        /* The ledger notices and logs an outage; this thread retries. */
        if ((it->c = db_connect(it->conninfo, "meshcad-integrator",
            DB_STATEMENT_TIMEOUT_S, why, sizeof(why))) == NULL)
            return 0;
    }
    count_quarantine(it);
    res = PQexec(it->c, "SELECT pg_try_advisory_lock(" INTEGRATOR_LOCK ")");
    got = PQresultStatus(res) == PGRES_TUPLES_OK &&
        PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    if (!got)
        return 0;
    if (load_state(it) != 0) {
        /* Give the lock back: another replica may do better. */
        PQfinish(it->c);
        it->c = NULL;
        return 0;
    }
    log_msg(LOG_LEVEL_INFO, "log integrator: this replica integrates the "
        "log (size %llu)", (unsigned long long)it->size);
    return 1;
}

static void *
integrator_main(void *arg)
{
    struct integrator *it = arg;
    int64_t t0, last_count = 0;
    int n;

    while (!it->stopping) {
        if (!it->leader) {
            it->leader = try_lead(it);
            atomic_store(&it->is_leader, it->leader);
            if (!it->leader && pause_ms(it, 1000))
                break;
            continue;
        }
        t0 = meshca_mono_us() / 1000;
        n = integrate_round(it);
        metrics_observe(&it->round_us, (uint64_t)(meshca_mono_us() / 1000 - t0) * 1000);
        atomic_fetch_add(&it->rounds, 1);
        if (n < 0) {
            /* Start again from what the database holds. */
            if (PQstatus(it->c) != CONNECTION_OK || load_state(it) != 0) {
                log_msg(LOG_LEVEL_WARN, "log integrator: lost the database; "
                    "another replica may take over");
                PQfinish(it->c);
                it->c = NULL;
                it->leader = 0;
                atomic_store(&it->is_leader, 0);
            }
            if (pause_ms(it, 500))
                break;
            continue;
        }
        if (t0 - last_count > 2000) {
            count_quarantine(it);
            last_count = t0;
        }
        if (n < ROUND_MAX && pause_ms(it, it->interval_ms))
            break;
    }
    PQfinish(it->c);
    it->c = NULL;
    return NULL;
}

int
integrator_start(const struct integrator_params *p, struct integrator **ip)
{
    struct integrator *it;

    *ip = NULL;
    if (p->mac_keylen < ENTRY_MAC_KEY_MIN || p->mac_keylen > ENTRY_MAC_KEY_MAX)
        return MESHCA_ERR_INVALID_ARGUMENT;
    if ((it = calloc(1, sizeof(*it))) == NULL)
        return MESHCA_ERR_ALLOC;
    if ((it->conninfo = strdup(p->conninfo)) == NULL ||
        (it->origin = strdup(p->origin)) == NULL) {
        integrator_stop(it);
        return MESHCA_ERR_ALLOC;
    }
    it->log_key = p->log_key;
    if (entry_mac_key_new(p->mac_key, p->mac_keylen, &it->mac) != 0) {
        integrator_stop(it);
        return MESHCA_ERR_LIBCRYPTO;
    }
    it->interval_ms = p->interval_ms > 0 ? p->interval_ms : 200;
    pthread_mutex_init(&it->lock, NULL);
    pthread_cond_init(&it->cond, NULL);
    if (pthread_create(&it->thread, NULL, integrator_main, it) != 0) {
        integrator_stop(it);
        return MESHCA_ERR_SYSTEM;
    }
    it->started = 1;
    *ip = it;
    return 0;
}

void
integrator_stop(struct integrator *it)
{
    if (it == NULL)
        return;
    if (it->started) {
        threads_stop(&it->lock, &it->cond, &it->stopping, &it->thread, 1);
        pthread_mutex_destroy(&it->lock);
        pthread_cond_destroy(&it->cond);
    }
    free(it->full);
    free(it->conninfo);
    free(it->origin);
    entry_mac_key_free(it->mac);
    free(it);
}

uint64_t
integrator_quarantined(struct integrator *it)
{
    return it != NULL ? atomic_load(&it->quarantine_seen) : 0;
}

int
integrator_write_metrics(struct integrator *it, struct meshca_buf *out)
{
    const struct metric_value v[] = {
        { "meshca_log_size", "gauge", "Records in the transparency log (the "
            "last checkpoint this replica published).",
            (long long)atomic_load(&it->published) },
        { "meshca_log_integrated_total", "counter",
            "Records this replica put in the log.",
            (long long)atomic_load(&it->integrated) },
        { "meshca_log_quarantined", "gauge", "Ledger rows without a valid "
            "MAC, kept out of the log (any replica found them).",
            (long long)atomic_load(&it->quarantine_seen) },
        { "meshca_log_integrator", "gauge",
            "1 when this replica holds the integrator lock.",
            atomic_load(&it->is_leader) },
    };
    int r;

    if ((r = metrics_write_values(out, v, sizeof(v) / sizeof(v[0]))) != 0)
        return r;
    return metrics_write_histogram(out, "meshca_log_round_duration_seconds",
        "Time of one integration round.", &it->round_us);
}
