/*
 * meshcad ledger verify: recomputes the transparency log from the rows.
 * Every entry is checked against its row's columns and its MAC, the Merkle
 * tree is rebuilt and compared with the stored tiles, every checkpoint's
 * root and signature are checked (all roots come from one sequence of
 * leaves, so consecutive checkpoints are consistent exactly when each root
 * matches), and rows that are in no log and no quarantine are named.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "meshca/tlog.h"
#include "config.h"
#include "db.h"
#include "entry.h"
#include "ledger.h"
#include "logkeys.h"
#include "meshcad_err.h"

struct ckpt {
    uint64_t size;
    uint8_t root[TLOG_HASH_LEN];
    char *note;
};

struct vstate {
    PGconn *c;
    struct ledger_verify_result *res;
    struct entry_mac_key *mac;
    char *vkey, *origin;
    struct ckpt *cps;
    size_t ncps, next_cp;
    struct tlog_edge edge;
    uint8_t tile[8][TLOG_TILE_WIDTH * TLOG_HASH_LEN];
    int64_t tile_idx[8];
    size_t tile_len[8];
    uint64_t cur_seq;       /* the leaf being appended, for messages */
    const char *cur_what;
};

static int
fail(struct vstate *v, uint64_t index, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records the first problem found; returns 1 so callers can stop. */
static int
fail(struct vstate *v, uint64_t index, const char *fmt, ...)
{
    va_list ap;

    if (!v->res->intact)
        return 1;
    v->res->intact = 0;
    v->res->first_bad_index = index;
    va_start(ap, fmt);
    vsnprintf(v->res->message, sizeof(v->res->message), fmt, ap);
    va_end(ap);
    return 1;
}

static int
load_checkpoints(struct vstate *v)
{
    PGresult *res = PQexecParams(v->c, "SELECT size, root, note FROM "
        "log_checkpoints ORDER BY size", 0, NULL, NULL, NULL, NULL, 1);
    int i, n;

    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        PQclear(res);
        return -1;
    }
    n = PQntuples(res);
    if ((v->cps = calloc((size_t)n + 1, sizeof(*v->cps))) == NULL) {
        PQclear(res);
        return -1;
    }
    for (i = 0; i < n; i++) {
        const uint8_t *p = (const uint8_t *)PQgetvalue(res, i, 0);
        uint64_t s = 0;
        int k;

        for (k = 0; k < 8; k++)
            s = s << 8 | p[k];
        v->cps[i].size = s;
        if (PQgetlength(res, i, 1) == TLOG_HASH_LEN)
            memcpy(v->cps[i].root, PQgetvalue(res, i, 1), TLOG_HASH_LEN);
        v->cps[i].note = strdup(PQgetvalue(res, i, 2));
        v->ncps++;
    }
    PQclear(res);
    return 0;
}

/* Checks every checkpoint of the current tree size. */
static int
check_checkpoints(struct vstate *v)
{
    uint8_t root[TLOG_HASH_LEN], croot[TLOG_HASH_LEN];
    char *text = NULL;
    uint64_t csize;
    int bad;

    tlog_edge_root(&v->edge, root);
    while (v->next_cp < v->ncps && v->cps[v->next_cp].size == v->edge.size) {
        struct ckpt *cp = &v->cps[v->next_cp++];

        bad = cp->note == NULL ||
            tlog_note_open(cp->note, strlen(cp->note), v->vkey, &text) != 0;
        if (bad)
            return fail(v, cp->size, "checkpoint of size %llu: its signature "
                "does not verify with the log key", (unsigned long long)cp->size);
        bad = tlog_checkpoint_parse(text, strlen(text), v->origin, &csize,
            croot) != 0 || csize != cp->size ||
            memcmp(croot, cp->root, TLOG_HASH_LEN) != 0;
        free(text);
        text = NULL;
        if (bad)
            return fail(v, cp->size, "checkpoint of size %llu: its note does "
                "not match its row (origin, size or root)",
                (unsigned long long)cp->size);
        if (memcmp(root, cp->root, TLOG_HASH_LEN) != 0)
            return fail(v, cp->size, "checkpoint of size %llu: its root is not "
                "the root of the log's first %llu entries: entries were "
                "changed, removed or reordered after it was signed",
                (unsigned long long)cp->size, (unsigned long long)cp->size);
        v->res->checkpoints++;
    }
    return 0;
}

/* tlog_stored_cb: the stored tiles must hold exactly the recomputed hashes. */
static int
compare_tile(void *arg, int level, uint64_t index,
    const uint8_t hash[TLOG_HASH_LEN])
{
    struct vstate *v = arg;
    int64_t tidx = (int64_t)(index / TLOG_TILE_WIDTH);
    size_t off = (index % TLOG_TILE_WIDTH) * TLOG_HASH_LEN;

    if (level >= 8)
        return 0;
    if (v->tile_idx[level] != tidx) {
        char lv[16], ix[24];
        const char *p[2] = { lv, ix };
        PGresult *res;

        snprintf(lv, sizeof(lv), "%d", level);
        snprintf(ix, sizeof(ix), "%lld", (long long)tidx);
        res = PQexecParams(v->c, "SELECT hashes FROM log_tiles WHERE level = "
            "$1::integer AND idx = $2::bigint", 2, NULL, p, NULL, NULL, 1);
        v->tile_len[level] = 0;
        if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
            PQgetlength(res, 0, 0) <= (int)sizeof(v->tile[level])) {
            v->tile_len[level] = (size_t)PQgetlength(res, 0, 0);
            memcpy(v->tile[level], PQgetvalue(res, 0, 0), v->tile_len[level]);
        }
        PQclear(res);
        v->tile_idx[level] = tidx;
    }
    if (v->tile_len[level] >= off + TLOG_HASH_LEN &&
        memcmp(v->tile[level] + off, hash, TLOG_HASH_LEN) == 0)
        return 0;
    if (level == 0 && v->tile_len[0] >= off + TLOG_HASH_LEN)
        fail(v, index, "log entry %llu, record %llu (%s): not the entry the "
            "log holds at this index: records were reordered or replaced",
            (unsigned long long)index, (unsigned long long)v->cur_seq,
            v->cur_what);
    else
        fail(v, index, "log tile %d/%lld does not hold the hashes of the "
            "records (tiles served to auditors were changed)", level,
            (long long)tidx);
    return 0;
}

/* Checks one log entry against its row. */
static int
check_leaf(struct vstate *v, PGresult *res, int i, uint64_t expect)
{
    const uint8_t *p = (const uint8_t *)PQgetvalue(res, i, 0);
    uint8_t leaf[TLOG_HASH_LEN], mac[ENTRY_MAC_LEN];
    const uint8_t *entry = (const uint8_t *)PQgetvalue(res, i, 3);
    size_t len = (size_t)PQgetlength(res, i, 3);
    const char *what = PQgetvalue(res, i, 7), *row = PQgetvalue(res, i, 6);
    int legacy = PQgetvalue(res, i, 2)[0] != 0;
    uint64_t idx = 0, seq = 0;
    char why[256];
    int k;

    for (k = 0; k < 8; k++) {
        idx = idx << 8 | p[k];
        seq = seq << 8 | ((const uint8_t *)PQgetvalue(res, i, 1))[k];
    }
    if (idx != expect)
        return fail(v, expect, "log entry %llu is missing (the next is %llu)",
            (unsigned long long)expect, (unsigned long long)idx);
    if (PQgetisnull(res, i, 5))
        return fail(v, idx, "log entry %llu: its record (seq %llu) was "
            "deleted", (unsigned long long)idx, (unsigned long long)seq);
    if (!legacy && (PQgetisnull(res, i, 4) ||
        PQgetlength(res, i, 4) != ENTRY_MAC_LEN ||
        entry_mac_with(v->mac, entry, len, mac) != 0 ||
        CRYPTO_memcmp(mac, PQgetvalue(res, i, 4), ENTRY_MAC_LEN) != 0))
        return fail(v, idx, "log entry %llu, record %llu (%s): its MAC does "
            "not verify: written or changed without ledger.mac_key",
            (unsigned long long)idx, (unsigned long long)seq, what);
    if (entry_matches_row(entry, len, row, why, sizeof(why)) != 1)
        return fail(v, idx, "log entry %llu, record %llu (%s): %s: its "
            "contents were changed after it was written",
            (unsigned long long)idx, (unsigned long long)seq, what, why);
    v->cur_seq = seq;
    v->cur_what = what;
    if (tlog_leaf_hash(entry, len, leaf) != 0 ||
        tlog_edge_append(&v->edge, leaf, compare_tile, v) != 0)
        return fail(v, idx, "out of memory");
    v->res->records++;
    return v->res->intact ? check_checkpoints(v) : 1;
}

/* The cursor over the log in index order, each leaf with its row. */
static int
declare_cursor(PGconn *c)
{
    char sql[16384];
    PGresult *res;
    int n, ok;

    n = snprintf(sql, sizeof(sql), "DECLARE log NO SCROLL CURSOR FOR "
        "SELECT l.idx, l.seq, l.entry IS NOT NULL, coalesce(l.entry, u.entry), "
        "u.mac, u.t, u.row, u.what FROM log_leaves l LEFT JOIN ("
        " SELECT x.seq, 'c' AS t, x.entry, x.mac, %s AS row, "
        "  'certificate serial ' || x.serial AS what FROM certificates x"
        " UNION ALL SELECT x.seq, 'd', x.entry, x.mac, %s, "
        "  'denial for ' || coalesce(x.subject, '?') FROM denials x"
        " UNION ALL SELECT x.seq, 'p', x.entry, x.mac, %s, "
        "  'policy version ' || left(x.version, 12) FROM policy_versions x"
        " UNION ALL SELECT x.seq, 'r', x.entry, x.mac, %s, "
        "  'revocation of ' || x.kind || ' ' || x.value FROM revocations x"
        " UNION ALL SELECT x.seq, 'h', x.entry, x.mac, %s, "
        "  'host certificate serial ' || x.serial FROM host_certificates x"
        " UNION ALL SELECT x.seq, 'a', x.entry, x.mac, %s, "
        "  'access request ' || x.id FROM access_requests x"
        " UNION ALL SELECT x.seq, 'e', x.entry, x.mac, %s, "
        "  x.decision || ' of access request ' || x.access_request "
        "  FROM access_decisions x"
        " UNION ALL SELECT x.seq, 'l', x.entry, x.mac, %s, "
        "  'login of ' || x.account || '@' || x.host FROM logins x"
        ") u ON u.seq = l.seq ORDER BY l.idx",
        entry_row_sql(ENTRY_CERTIFICATE), entry_row_sql(ENTRY_DENIAL),
        entry_row_sql(ENTRY_POLICY), entry_row_sql(ENTRY_REVOCATION),
        entry_row_sql(ENTRY_HOST_CERTIFICATE),
        entry_row_sql(ENTRY_ACCESS_REQUEST),
        entry_row_sql(ENTRY_ACCESS_DECISION), entry_row_sql(ENTRY_LOGIN));
    if (n < 0 || (size_t)n >= sizeof(sql))
        return -1;
    res = PQexec(c, sql);
    ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    return ok ? 0 : -1;
}

static int
walk_log(struct vstate *v)
{
    PGresult *res;
    uint64_t expect = 0;
    int i, n;

    if (declare_cursor(v->c) != 0 || check_checkpoints(v) < 0)
        return -1;
    for (;;) {
        res = PQexecParams(v->c, "FETCH 5000 FROM log", 0, NULL, NULL, NULL,
            NULL, 1);
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
            snprintf(v->res->message, sizeof(v->res->message), "cannot read "
                "the log: %s", PQresultErrorMessage(res));
            PQclear(res);
            return -1;
        }
        n = PQntuples(res);
        for (i = 0; i < n && v->res->intact; i++, expect++)
            check_leaf(v, res, i, expect);
        PQclear(res);
        if (n == 0 || !v->res->intact)
            break;
    }
    v->res->log_size = v->edge.size;
    if (v->res->intact && v->next_cp < v->ncps)
        fail(v, v->edge.size, "checkpoint of size %llu was signed, but the "
            "log holds only %llu entries: the log's tail was deleted",
            (unsigned long long)v->cps[v->next_cp].size,
            (unsigned long long)v->edge.size);
    return 0;
}

/* The first row of sql: 1 with *resp (the caller clears it), 0 when there
 * is none, -1 when the query failed. */
static int
first_row(PGconn *c, const char *sql, PGresult **resp)
{
    int r;

    *resp = PQexec(c, sql);
    if (PQresultStatus(*resp) != PGRES_TUPLES_OK)
        r = -1;
    else if (PQntuples(*resp) == 1)
        return 1;
    else
        r = 0;
    PQclear(*resp);
    *resp = NULL;
    return r;
}

/* Every ledger row: its seq, writer's xid, entry and a name for messages. */
#define LEDGER_ROWS \
    " SELECT seq, xid, entry, 'certificate serial ' || serial AS what FROM certificates" \
    " UNION ALL SELECT seq, xid, entry, 'denial for ' || coalesce(subject, '?') FROM denials" \
    " UNION ALL SELECT seq, xid, entry, 'policy version ' || left(version, 12) FROM policy_versions" \
    " UNION ALL SELECT seq, xid, entry, 'revocation of ' || kind || ' ' || value FROM revocations" \
    " UNION ALL SELECT seq, xid, entry, 'host certificate serial ' || serial FROM host_certificates" \
    " UNION ALL SELECT seq, xid, entry, 'access request ' || id FROM access_requests" \
    " UNION ALL SELECT seq, xid, entry, decision || ' of access request ' || access_request FROM access_decisions" \
    " UNION ALL SELECT seq, xid, entry, 'login of ' || account || '@' || host FROM logins"

/*
 * Two rows with one entry: the MAC binds an entry, not the row holding it,
 * so a copy of a genuine record (a second denial or revocation, tables with
 * no unique column) would be taken into the log as a record of its own.
 * Every entry is unique when written (its created_at and request id).
 */
static int
check_copies(struct vstate *v)
{
    static const char sql[] =
        "SELECT min(u.seq), max(u.seq), min(u.what), count(*) FROM ("
        LEDGER_ROWS ") u WHERE u.entry IS NOT NULL GROUP BY u.entry "
        "HAVING count(*) > 1 ORDER BY 2 LIMIT 1";
    PGresult *res;
    int r = first_row(v->c, sql, &res);

    if (r <= 0)
        return r;
    fail(v, 0, "record %s (%s) holds the entry of record %s (%s row(s) in "
        "all): a copy of a genuine record was inserted behind the log's "
        "back", PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2),
        PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 3));
    PQclear(res);
    return 0;
}

/* Rows no log entry and no quarantine accounts for, then quarantined rows. */
static int
check_rows(struct vstate *v)
{
    static const char strays[] =
        "SELECT u.seq, u.what FROM (" LEDGER_ROWS
        ") u, log_state s WHERE ((u.xid IS NOT NULL AND (u.xid, u.seq) <= (s.xid, s.seq))"
        "  OR (u.xid IS NULL AND s.legacy_done))"
        " AND NOT EXISTS (SELECT 1 FROM log_leaves l WHERE l.seq = u.seq)"
        " AND NOT EXISTS (SELECT 1 FROM log_quarantine q WHERE q.seq = u.seq)"
        " ORDER BY u.seq LIMIT 1";
    PGresult *res;
    int r;

    if ((r = first_row(v->c, strays, &res)) < 0)
        return -1;
    if (r == 1) {
        fail(v, 0, "record %s (%s) is in no log entry: it was inserted "
            "behind the log's back", PQgetvalue(res, 0, 0),
            PQgetvalue(res, 0, 1));
        PQclear(res);
    }
    r = first_row(v->c, "SELECT seq, tbl, reason, (SELECT count(*) FROM "
        "log_quarantine) FROM log_quarantine ORDER BY seq LIMIT 1", &res);
    if (r <= 0)
        return r;
    v->res->quarantined = strtoull(PQgetvalue(res, 0, 3), NULL, 10);
    fail(v, 0, "record %s in %s is quarantined (%s); %s row(s) in all",
        PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2),
        PQgetvalue(res, 0, 3));
    PQclear(res);
    return 0;
}

/*
 * The login columns the database derives at insert time (login_known(),
 * migration 0007) from the certificates before the login: issued_serial
 * (this CA issued that serial under that CA key) and ca_known (it issued
 * anything under that key).  They are in no entry, so no MAC covers them,
 * yet the usage report and the anomaly rules (unknown_serial, unknown_ca)
 * read them: each is recomputed here from the certificates written before
 * the login (a lower seq) and must be what is stored.
 */
static int
check_logins_derived(struct vstate *v)
{
    static const char sql[] =
        "SELECT x.seq, 'login of ' || x.account || '@' || x.host, "
        " CASE WHEN x.issued_serial IS DISTINCT FROM d.issued "
        " THEN 'issued_serial' ELSE 'ca_known' END, "
        " coalesce(x.issued_serial::text, 'null'), "
        " coalesce(x.ca_known::text, 'null'), "
        " coalesce(d.issued::text, 'null'), d.known::text "
        "FROM logins x CROSS JOIN LATERAL (SELECT "
        " (SELECT c.serial FROM certificates c WHERE c.seq < x.seq "
        "  AND x.serial ~ '^[0-9]{1,19}$' "
        "  AND x.serial::numeric <= 9223372036854775807 "
        "  AND c.serial = x.serial::bigint "
        "  AND c.ca_fingerprint IS NOT DISTINCT FROM x.ca_fingerprint) AS issued, "
        " x.ca_fingerprint IS NOT NULL AND EXISTS (SELECT 1 FROM certificates "
        "  c WHERE c.seq < x.seq AND c.ca_fingerprint = x.ca_fingerprint) "
        "  AS known) d "
        "WHERE x.issued_serial IS DISTINCT FROM d.issued "
        " OR x.ca_known IS DISTINCT FROM d.known ORDER BY x.seq LIMIT 1";
    PGresult *res;
    int r = first_row(v->c, sql, &res), serial;

    if (r <= 0)
        return r;
    serial = strcmp(PQgetvalue(res, 0, 2), "issued_serial") == 0;
    fail(v, 0, "record %s (%s): its %s is %s, but the certificates written "
        "before it make it %s: it was changed after it was written",
        PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2),
        PQgetvalue(res, 0, serial ? 3 : 4), PQgetvalue(res, 0, serial ? 5 : 6));
    PQclear(res);
    return 0;
}

static int
load_keys(struct vstate *v, const struct config *cfg)
{
    struct cakey *k = NULL;
    uint8_t key[ENTRY_MAC_KEY_MAX];
    size_t keylen = 0;
    char why[512];
    int r;

    r = logkeys_load_mac(cfg->ledger.mac_key, key, &keylen, why, sizeof(why));
    if (r == 0 && entry_mac_key_new(key, keylen, &v->mac) != 0) {
        snprintf(why, sizeof(why), "cannot set up the ledger MAC key");
        r = -1;
    }
    OPENSSL_cleanse(key, sizeof(key));
    if (r != 0 ||
        logkeys_load_signer(cfg->ledger.log_key, &k, why, sizeof(why)) != 0) {
        snprintf(v->res->message, sizeof(v->res->message), "%s", why);
        return -1;
    }
    r = tlog_vkey_format(cfg->ledger.origin, cakey_evp(k), &v->vkey);
    cakey_free(k);
    if (r != 0 || (v->origin = strdup(cfg->ledger.origin)) == NULL)
        return -1;
    return 0;
}

int
ledger_verify(const struct config *cfg, struct ledger_verify_result *res)
{
    struct vstate v;
    PGresult *pr;
    size_t i;
    int rc = MESHCA_ERR_UNAVAILABLE;
    uint8_t root[TLOG_HASH_LEN];
    char *b64 = NULL;

    memset(res, 0, sizeof(*res));
    memset(&v, 0, sizeof(v));
    v.res = res;
    res->intact = 1;
    for (i = 0; i < 8; i++)
        v.tile_idx[i] = -1;
    if (load_keys(&v, cfg) != 0) {
        rc = MESHCA_ERR_INVALID_ARGUMENT;
        goto out;
    }
    /* No statement_timeout: the walk reads the whole ledger. */
    if ((v.c = db_connect(cfg->database, "meshcad-verify", 0, res->message,
        sizeof(res->message))) == NULL)
        goto out;
    pr = PQexec(v.c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; "
        "SET LOCAL timezone = 'UTC'");
    PQclear(pr);
    if (load_checkpoints(&v) != 0 || walk_log(&v) != 0 ||
        (res->intact && check_rows(&v) != 0) ||
        (res->intact && check_logins_derived(&v) != 0) ||
        (res->intact && check_copies(&v) != 0)) {
        if (res->message[0] == '\0')
            snprintf(res->message, sizeof(res->message), "cannot read the "
                "ledger: %s", PQerrorMessage(v.c));
        goto out;
    }
    tlog_edge_root(&v.edge, root);
    if (meshca_b64_encode(root, sizeof(root), 0, &b64) == 0)
        snprintf(res->root, sizeof(res->root), "%s", b64);
    if (res->intact)
        snprintf(res->message, sizeof(res->message), "log verified: %llu "
            "entries (every MAC and row), %llu signed checkpoints, root %s",
            (unsigned long long)res->log_size,
            (unsigned long long)res->checkpoints, res->root);
    rc = 0;
out:
    for (i = 0; i < v.ncps; i++)
        free(v.cps[i].note);
    free(v.cps);
    free(v.vkey);
    free(v.origin);
    free(b64);
    entry_mac_key_free(v.mac);
    PQfinish(v.c);
    return rc;
}
