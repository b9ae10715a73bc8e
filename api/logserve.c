/*
 * The transparency log over HTTP: GET /v1/log/checkpoint (the latest signed
 * checkpoint), /v1/log/tile/... (C2SP tlog-tiles: hash tiles and entry
 * bundles) and /v1/log/proof (inclusion by serial, consistency by sizes).
 * Everything is read from the database, so every replica serves the log
 * whichever one integrates it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <microhttpd.h>

#include "meshca/buf.h"
#include "meshca/tlog.h"
#include "ledger.h"
#include "logserve.h"
#include "meshcad_err.h"
#include "param.h"
#include "server.h"

#define IMMUTABLE "public, max-age=31536000, immutable"
#define TILE_FULL_BYTES (TLOG_TILE_WIDTH * TLOG_HASH_LEN)

static const char entries_sql[] =
    "SELECT coalesce(l.entry, c.entry, d.entry, p.entry, r.entry, h.entry, "
    "ar.entry, ad.entry, lg.entry) "
    "FROM log_leaves l LEFT JOIN certificates c ON c.seq = l.seq "
    "LEFT JOIN denials d ON d.seq = l.seq "
    "LEFT JOIN policy_versions p ON p.seq = l.seq "
    "LEFT JOIN revocations r ON r.seq = l.seq "
    "LEFT JOIN host_certificates h ON h.seq = l.seq "
    "LEFT JOIN access_requests ar ON ar.seq = l.seq "
    "LEFT JOIN access_decisions ad ON ad.seq = l.seq "
    "LEFT JOIN logins lg ON lg.seq = l.seq "
    "WHERE l.idx >= $1::bigint AND l.idx < $2::bigint ORDER BY l.idx";

static void
reply_unavailable(struct request *req)
{
    /* As every other 503 worth retrying (api/openapi.yaml). */
    req->retry_after = 2;
    req_error(req, 503, "unavailable", "the ledger cannot be read");
}

/* The latest checkpoint: its size and note (caller frees *notep). */
static int
latest_checkpoint(PGconn *c, uint64_t *sizep, char **notep)
{
    PGresult *res = PQexec(c, "SELECT size, note FROM log_checkpoints "
        "ORDER BY size DESC LIMIT 1");
    int r = MESHCA_ERR_UNAVAILABLE;

    *notep = NULL;
    if (PQresultStatus(res) == PGRES_TUPLES_OK) {
        r = MESHCA_ERR_NOT_FOUND;
        if (PQntuples(res) == 1) {
            *sizep = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
            r = (*notep = strdup(PQgetvalue(res, 0, 1))) ? 0 : MESHCA_ERR_ALLOC;
        }
    }
    PQclear(res);
    return r;
}

void
handle_log_checkpoint(struct request *req)
{
    PGconn *c;
    uint64_t size;
    char *note = NULL;
    int r;

    if ((c = ledger_reader_acquire(req->srv->ledger)) == NULL) {
        reply_unavailable(req);
        return;
    }
    r = latest_checkpoint(c, &size, &note);
    ledger_reader_release(req->srv->ledger);
    if (r == MESHCA_ERR_NOT_FOUND)
        req_error(req, 404, "not_found", "the log has no checkpoint yet");
    else if (r != 0)
        reply_unavailable(req);
    else {
        req->cache_control = strdup("no-cache");
        req_reply(req, 200, "text/plain; charset=utf-8", note, strlen(note));
    }
}

/* Hash tile body: the first width hashes of a stored tile that has them. */
static int
hash_tile(PGconn *c, int level, uint64_t idx, unsigned width, struct meshca_buf *out)
{
    char lv[8], ix[24];
    const char *p[2] = { lv, ix };
    PGresult *res;
    size_t have;
    int r = MESHCA_ERR_UNAVAILABLE;

    snprintf(lv, sizeof(lv), "%d", level);
    snprintf(ix, sizeof(ix), "%llu", (unsigned long long)idx);
    res = PQexecParams(c, "SELECT hashes FROM log_tiles WHERE level = "
        "$1::integer AND idx = $2::bigint", 2, NULL, p, NULL, NULL, 1);
    if (PQresultStatus(res) == PGRES_TUPLES_OK) {
        r = MESHCA_ERR_NOT_FOUND;
        have = PQntuples(res) == 1 ? (size_t)PQgetlength(res, 0, 0) : 0;
        if (have >= (size_t)width * TLOG_HASH_LEN &&
            (width < TLOG_TILE_WIDTH || have == TILE_FULL_BYTES))
            r = meshca_buf_put(out, PQgetvalue(res, 0, 0),
                (size_t)width * TLOG_HASH_LEN);
    }
    PQclear(res);
    return r;
}

/* Entry bundle body: width entries, each a big-endian uint16 length then
 * the entry. */
static int
entry_bundle(PGconn *c, uint64_t idx, unsigned width, struct meshca_buf *out)
{
    char lo[24], hi[24];
    const char *p[2] = { lo, hi };
    PGresult *res;
    uint8_t len[2];
    size_t n;
    int i, r = MESHCA_ERR_UNAVAILABLE;

    snprintf(lo, sizeof(lo), "%llu",
        (unsigned long long)(idx * TLOG_TILE_WIDTH));
    snprintf(hi, sizeof(hi), "%llu",
        (unsigned long long)(idx * TLOG_TILE_WIDTH + width));
    res = PQexecParams(c, entries_sql, 2, NULL, p, NULL, NULL, 1);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        goto out;
    r = MESHCA_ERR_NOT_FOUND;
    if (PQntuples(res) != (int)width)
        goto out;
    for (i = 0; i < (int)width; i++) {
        n = (size_t)PQgetlength(res, i, 0);
        if (PQgetisnull(res, i, 0) || n > 0xffff) {
            r = MESHCA_ERR_INTERNAL;
            goto out;
        }
        len[0] = (uint8_t)(n >> 8);
        len[1] = (uint8_t)n;
        if ((r = meshca_buf_put(out, len, 2)) != 0 ||
            (r = meshca_buf_put(out, PQgetvalue(res, i, 0), n)) != 0)
            goto out;
    }
    r = 0;
out:
    PQclear(res);
    return r;
}

void
handle_log_tile(struct request *req)
{
    const char *path = req->url + strlen("/v1/log/");
    struct meshca_buf *b = NULL;
    uint64_t idx;
    unsigned width;
    int level, r;
    PGconn *c;
    char *body;

    if (tlog_tile_parse(path, &level, &idx, &width) != 0) {
        req_error(req, 404, "not_found", "not a tile path (C2SP "
            "tlog-tiles: tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>])");
        return;
    }
    if ((b = meshca_buf_new(BUF_SIZE_MAX)) == NULL ||
        (c = ledger_reader_acquire(req->srv->ledger)) == NULL) {
        meshca_buf_free(b);
        reply_unavailable(req);
        return;
    }
    r = level < 0 ? entry_bundle(c, idx, width, b)
                  : hash_tile(c, level, idx, width, b);
    ledger_reader_release(req->srv->ledger);
    if (r == MESHCA_ERR_NOT_FOUND)
        req_error(req, 404, "not_found", "no such tile yet: %s", path);
    else if (r != 0)
        reply_unavailable(req);
    else if ((body = malloc(meshca_buf_len(b) + 1)) == NULL)
        reply_unavailable(req);
    else {
        memcpy(body, meshca_buf_ptr(b), meshca_buf_len(b));
        /* A tile's bytes at a given width never change. */
        req->cache_control = strdup(IMMUTABLE);
        req_reply(req, 200, "application/octet-stream", body, meshca_buf_len(b));
    }
    meshca_buf_free(b);
}

/* tlog_read_cb over log_tiles on the reader connection. */
static int
read_tiles(void *arg, int level, uint64_t first, size_t count, uint8_t *out)
{
    struct meshca_buf *b = meshca_buf_new(TILE_FULL_BYTES);
    size_t off = (first % TLOG_TILE_WIDTH) * TLOG_HASH_LEN;
    int r;

    if (b == NULL)
        return MESHCA_ERR_ALLOC;
    r = hash_tile(arg, level, first / TLOG_TILE_WIDTH,
        (unsigned)(first % TLOG_TILE_WIDTH + count), b);
    if (r == 0)
        memcpy(out, meshca_buf_ptr(b) + off, count * TLOG_HASH_LEN);
    meshca_buf_free(b);
    return r;
}

/* A JSON array of base64 hashes. */
static json_t *
hash_array(uint8_t proof[][TLOG_HASH_LEN], size_t n)
{
    json_t *a = json_array();
    char *s;
    size_t i;

    for (i = 0; a != NULL && i < n; i++) {
        if (meshca_b64_encode(proof[i], TLOG_HASH_LEN, 0, &s) != 0) {
            json_decref(a);
            return NULL;
        }
        json_array_append_new(a, json_string(s));
        free(s);
    }
    return a;
}


/* A query parameter as a decimal serial, index or size (digits only, at
 * most 2^63-1: bigints in the ledger, param_parse_u64 as every admin query
 * parameter); 0 absent, 1 set, -1 invalid. */
static int
query_u64(struct request *req, const char *name, uint64_t *vp)
{
    const char *v = MHD_lookup_connection_value(req->conn,
        MHD_GET_ARGUMENT_KIND, name);

    if (v == NULL)
        return 0;
    return param_parse_u64(v, INT64_MAX, vp) == 0 ? 1 : -1;
}

/* The inclusion proof of certificate serial in the latest checkpoint: a
 * user certificate's, else a host certificate's (their serials are drawn
 * alike, each unique in its own table). */
static json_t *
prove_serial(PGconn *c, uint64_t serial, char *why, size_t whylen)
{
    uint8_t proof[TLOG_PROOF_MAX][TLOG_HASH_LEN];
    char s[24], lo[24], hi[24], *note = NULL, *e64 = NULL;
    const char *p[2] = { s, NULL };
    PGresult *res = NULL;
    uint64_t idx, size;
    size_t n;
    json_t *o = NULL;

    snprintf(s, sizeof(s), "%llu", (unsigned long long)serial);
    res = PQexecParams(c, "SELECT l.idx FROM (SELECT seq, 0 AS k FROM "
        "certificates WHERE serial = $1::bigint UNION ALL SELECT seq, 1 FROM "
        "host_certificates WHERE serial = $1::bigint) c JOIN log_leaves l "
        "ON l.seq = c.seq ORDER BY c.k LIMIT 1", 1, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        snprintf(why, whylen, "certificate serial %s is not in the log "
            "(not issued, or not integrated yet: retry in a second)", s);
        goto out;
    }
    idx = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
    if (latest_checkpoint(c, &size, &note) != 0 || size <= idx) {
        snprintf(why, whylen, "no checkpoint covers serial %s yet", s);
        goto out;
    }
    snprintf(lo, sizeof(lo), "%llu", (unsigned long long)idx);
    snprintf(hi, sizeof(hi), "%llu", (unsigned long long)idx + 1);
    p[0] = lo;
    p[1] = hi;
    PQclear(res);
    res = PQexecParams(c, entries_sql, 2, NULL, p, NULL, NULL, 1);
    snprintf(why, whylen, "the log cannot be read");
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 ||
        meshca_b64_encode(PQgetvalue(res, 0, 0),
            (size_t)PQgetlength(res, 0, 0), 0, &e64) != 0 ||
        tlog_prove_inclusion(idx, size, read_tiles, c, proof, &n) != 0)
        goto out;
    o = json_pack("{s:I, s:I, s:s, s:o, s:s}", "index", (json_int_t)idx,
        "tree_size", (json_int_t)size, "entry", e64, "inclusion",
        hash_array(proof, n), "checkpoint", note);
out:
    PQclear(res);
    free(note);
    free(e64);
    return o;
}

static json_t *
prove_consistency(PGconn *c, uint64_t from, uint64_t to, char *why,
    size_t whylen)
{
    uint8_t proof[TLOG_PROOF_MAX][TLOG_HASH_LEN];
    uint64_t size;
    char *note = NULL;
    size_t n;
    json_t *o = NULL;

    if (latest_checkpoint(c, &size, &note) != 0 || from == 0 || from > to ||
        to > size) {
        snprintf(why, whylen, "from and to must satisfy 0 < from <= to <= "
            "%llu (the latest checkpoint's size)", (unsigned long long)size);
        goto out;
    }
    if (tlog_prove_consistency(from, to, read_tiles, c, proof, &n) != 0) {
        snprintf(why, whylen, "the log cannot be read");
        goto out;
    }
    o = json_pack("{s:I, s:I, s:o}", "from", (json_int_t)from, "to",
        (json_int_t)to, "consistency", hash_array(proof, n));
out:
    free(note);
    return o;
}

void
handle_log_proof(struct request *req)
{
    uint64_t serial = 0, from = 0, to = 0;
    int hs = query_u64(req, "serial", &serial);
    int hf = query_u64(req, "from", &from), ht = query_u64(req, "to", &to);
    char why[256];
    json_t *o;
    PGconn *c;

    if (hs < 0 || hf < 0 || ht < 0 || (hs == 1) == (hf == 1 && ht == 1) ||
        hf != ht) {
        req_error(req, 400, "invalid_request", "give serial=S (inclusion) or "
            "from=N&to=M (consistency), as decimal numbers");
        return;
    }
    if ((c = ledger_reader_acquire(req->srv->ledger)) == NULL) {
        reply_unavailable(req);
        return;
    }
    why[0] = '\0';
    o = hs == 1 ? prove_serial(c, serial, why, sizeof(why))
                : prove_consistency(c, from, to, why, sizeof(why));
    ledger_reader_release(req->srv->ledger);
    if (o == NULL) {
        req_error(req, hs == 1 ? 404 : 400, hs == 1 ? "not_found"
            : "invalid_request", "%s", why);
        return;
    }
    req->cache_control = strdup("no-cache");
    req_reply_json(req, 200, o);
    json_decref(o);
}

json_t *
log_integrity(struct server *srv)
{
    uint8_t root[TLOG_HASH_LEN];
    char *note = NULL, *text = NULL, *b64 = NULL;
    uint64_t size = 0, csize = 0;
    json_t *o = NULL;
    PGconn *c;
    int r = MESHCA_ERR_UNAVAILABLE;

    if ((c = ledger_reader_acquire(srv->ledger)) != NULL) {
        r = latest_checkpoint(c, &size, &note);
        ledger_reader_release(srv->ledger);
    }
    if (r != 0)
        return json_pack("{s:b, s:s}", "verified", 0, "message",
            r == MESHCA_ERR_NOT_FOUND ? "the log has no checkpoint yet"
                                      : "the log cannot be read");
    if (tlog_note_open(note, strlen(note), srv->log_vkey, &text) != 0 ||
        tlog_checkpoint_parse(text, strlen(text), srv->cfg->ledger.origin,
            &csize, root) != 0 || csize != size ||
        meshca_b64_encode(root, sizeof(root), 0, &b64) != 0)
        o = json_pack("{s:b, s:I, s:s}", "verified", 0, "log_size",
            (json_int_t)size, "message", "the latest checkpoint's signature "
            "does not verify with the log key");
    else
        o = json_pack("{s:b, s:I, s:s, s:s, s:s}", "verified", 1, "log_size",
            (json_int_t)size, "root", b64, "origin", srv->cfg->ledger.origin,
            "checkpoint", note);
    free(note);
    free(text);
    free(b64);
    return o;
}
