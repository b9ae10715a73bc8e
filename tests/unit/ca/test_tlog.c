/*
 * Unit tests for ca/tlog.c against known-answer vectors computed by Go's
 * golang.org/x/mod/sumdb/{tlog,note} (tests/tools/tlogcheck vectors; the
 * Makefile writes them to $(BUILD)/tests/data/tlog-vectors.json, and
 * test_tlogcheck_vectors.sh checks them against openssl).  $TLOG_VECTORS
 * overrides the path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "meshca/buf.h"
#include "meshca/tlog.h"
#include "../../../api/meshcad_err.h"
#include "../../lib/unit.h"

#define NVEC 300
#define ORIGIN "example.com/log"

typedef uint8_t hash_t[TLOG_HASH_LEN];

/* ---------------------------------------------------------------- vectors */

static json_t *
vectors(void)
{
    const char *env = getenv("TLOG_VECTORS"), *build = getenv("BUILD");
    char path[4096];
    json_error_t e;
    json_t *v;

    if (env != NULL && *env != '\0')
        snprintf(path, sizeof(path), "%s", env);
    else
        snprintf(path, sizeof(path), "%s/tests/data/tlog-vectors.json",
            build != NULL && *build != '\0' ? build : "build");
    if ((v = json_load_file(path, 0, &e)) == NULL)
        unit_fail(__FILE__, __LINE__,
            "no vectors at %s (%s): run make test-build", path, e.text);
    return v;
}

static json_t *
vget(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);

    if (v == NULL)
        unit_fail(__FILE__, __LINE__, "vectors lack \"%s\"", key);
    return v;
}

static uint64_t
vint(const json_t *o, const char *key)
{
    json_t *v = vget(o, key);

    ASSERT(json_is_integer(v) && json_integer_value(v) >= 0);
    return (uint64_t)json_integer_value(v);
}

static const char *
vstr(const json_t *o, const char *key)
{
    json_t *v = vget(o, key);

    ASSERT(json_is_string(v));
    return json_string_value(v);
}

static void
b64_hash(const char *s, uint8_t out[TLOG_HASH_LEN])
{
    uint8_t *d = NULL;
    size_t len = 0;

    ASSERT_OK(meshca_b64_decode(s, strlen(s), 0, &d, &len));
    ASSERT_INT_EQ(len, TLOG_HASH_LEN);
    memcpy(out, d, TLOG_HASH_LEN);
    free(d);
}

/* A JSON array of base64 hashes into proof; returns the count. */
static size_t
b64_hashes(const json_t *a, uint8_t proof[][TLOG_HASH_LEN])
{
    size_t i;

    ASSERT(json_is_array(a) && json_array_size(a) <= TLOG_PROOF_MAX);
    for (i = 0; i < json_array_size(a); i++)
        b64_hash(json_string_value(json_array_get(a, i)), proof[i]);
    return json_array_size(a);
}

static void
vroot(const json_t *v, uint64_t size, uint8_t out[TLOG_HASH_LEN])
{
    b64_hash(
        json_string_value(json_array_get(vget(v, "roots"), size - 1)), out);
}

static void
entry_leaf(uint64_t i, uint8_t out[TLOG_HASH_LEN])
{
    char e[32];
    int n = snprintf(e, sizeof(e), "entry %llu", (unsigned long long)i);

    ASSERT_OK(tlog_leaf_hash(e, (size_t)n, out));
}

/* --------------------------------------------- an in-memory hash store */

/* Stored hashes per tile level, as tlog_edge_append hands them out. */
struct store {
    hash_t h[3][NVEC];
    uint64_t n[3];
    int bad_order, crossed_tile;
};

static int
store_put(void *arg, int level, uint64_t index, const uint8_t hash[32])
{
    struct store *s = arg;

    if (level < 0 || level >= 3 || index != s->n[level]) {
        s->bad_order = 1;
        return MESHCA_ERR_INTERNAL;
    }
    memcpy(s->h[level][s->n[level]++], hash, TLOG_HASH_LEN);
    return 0;
}

static int
store_read(void *arg, int level, uint64_t first, size_t count, uint8_t *out)
{
    struct store *s = arg;

    if (count == 0 || count > TLOG_TILE_WIDTH ||
        first / TLOG_TILE_WIDTH != (first + count - 1) / TLOG_TILE_WIDTH)
        s->crossed_tile = 1;
    if (level < 0 || level >= 3 || first + count > s->n[level])
        return MESHCA_ERR_NOT_FOUND;
    memcpy(out, s->h[level][first], count * TLOG_HASH_LEN);
    return 0;
}

/* The 300-entry tree of the vectors, its stored hashes in s. */
static void
build_store(struct store *s, struct tlog_edge *e)
{
    uint8_t leaf[TLOG_HASH_LEN];
    uint64_t i;

    memset(s, 0, sizeof(*s));
    tlog_edge_init(e);
    for (i = 0; i < NVEC; i++) {
        entry_leaf(i, leaf);
        ASSERT_OK(tlog_edge_append(e, leaf, store_put, s));
    }
    ASSERT(!s->bad_order);
}

/* ------------------------------------------------------------ hashes */

TEST(test_tlog_leaf_hashes_match_go)
{
    json_t *v = vectors(), *leaves = vget(v, "leaf_hashes");
    uint8_t want[TLOG_HASH_LEN], got[TLOG_HASH_LEN];
    uint64_t i;

    ASSERT_INT_EQ(vint(v, "count"), NVEC);
    ASSERT_INT_EQ(json_array_size(leaves), NVEC);
    for (i = 0; i < NVEC; i++) {
        b64_hash(json_string_value(json_array_get(leaves, i)), want);
        entry_leaf(i, got);
        if (memcmp(got, want, TLOG_HASH_LEN) != 0)
            unit_fail(__FILE__, __LINE__, "leaf hash of entry %llu differs",
                (unsigned long long)i);
    }
    json_decref(v);
}

TEST(test_tlog_node_hash_is_rfc6962)
{
    uint8_t l[TLOG_HASH_LEN], r[TLOG_HASH_LEN], in[65], want[32], got[32];

    memset(l, 0xaa, sizeof(l));
    memset(r, 0x55, sizeof(r));
    in[0] = 0x01;
    memcpy(in + 1, l, 32);
    memcpy(in + 33, r, 32);
    SHA256(in, sizeof(in), want);
    tlog_node_hash(l, r, got);
    ASSERT_MEM_EQ(got, want, 32);
}

TEST(test_tlog_edge_roots_match_go_for_every_size)
{
    json_t *v = vectors();
    struct tlog_edge e;
    uint8_t leaf[32], want[32], got[32];
    uint64_t i;

    tlog_edge_init(&e);
    ASSERT_U64_EQ(e.size, 0);
    tlog_edge_root(&e, got);
    SHA256((const uint8_t *)"", 0, want);
    ASSERT_MEM_EQ(got, want, 32);
    for (i = 0; i < NVEC; i++) {
        entry_leaf(i, leaf);
        ASSERT_OK(tlog_edge_append(&e, leaf, NULL, NULL));
        ASSERT_U64_EQ(e.size, i + 1);
        tlog_edge_root(&e, got);
        vroot(v, i + 1, want);
        if (memcmp(got, want, 32) != 0)
            unit_fail(__FILE__, __LINE__, "root of size %llu differs",
                (unsigned long long)(i + 1));
    }
    json_decref(v);
}

static int
fail_cb(void *arg, int level, uint64_t index, const uint8_t hash[32])
{
    (void)arg;
    (void)level;
    (void)index;
    (void)hash;
    return MESHCA_ERR_UNAVAILABLE;
}

TEST(test_tlog_edge_append_callback_error_leaves_edge_unchanged)
{
    struct tlog_edge e, before;
    uint8_t leaf[32];
    uint64_t i;

    tlog_edge_init(&e);
    for (i = 0; i < 255; i++) {
        entry_leaf(i, leaf);
        ASSERT_OK(tlog_edge_append(&e, leaf, NULL, NULL));
    }
    before = e;
    entry_leaf(255, leaf);
    ASSERT_ERR(
        tlog_edge_append(&e, leaf, fail_cb, NULL), MESHCA_ERR_UNAVAILABLE);
    ASSERT_U64_EQ(e.size, before.size);
    ASSERT_INT_EQ(e.n, before.n);
    ASSERT_MEM_EQ(e.hash, before.hash, (size_t)before.n * TLOG_HASH_LEN);
}

/* The stored hashes are the tiles' contents as Go's tlog.ReadTileData
 * gives them: every leaf at tile level 0, tree level 8 at tile level 1. */
TEST(test_tlog_stored_hashes_are_go_tiles)
{
    json_t *v = vectors(), *tiles = vget(v, "tiles"), *t;
    static struct store s;
    struct tlog_edge e;
    uint8_t *data = NULL;
    size_t i, len, ntiles = 0;
    uint64_t level, index, width;

    build_store(&s, &e);
    ASSERT_U64_EQ(s.n[0], NVEC);
    ASSERT_U64_EQ(s.n[1], NVEC / 256);
    ASSERT_U64_EQ(s.n[2], 0);
    json_array_foreach(tiles, i, t)
    {
        level = vint(t, "level");
        index = vint(t, "index");
        width = vint(t, "width");
        ASSERT_OK(meshca_b64_decode(
            vstr(t, "data"), strlen(vstr(t, "data")), 0, &data, &len));
        ASSERT_INT_EQ(len, width * TLOG_HASH_LEN);
        ASSERT(level < 3 && index * 256 + width <= s.n[level]);
        if (memcmp(s.h[level][index * 256], data, len) != 0)
            unit_fail(__FILE__, __LINE__, "tile %s differs", vstr(t, "path"));
        free(data);
        ntiles++;
    }
    ASSERT_INT_EQ(ntiles, 3);
    json_decref(v);
}

TEST(test_tlog_tree_hash_and_edge_load_match_go)
{
    json_t *v = vectors();
    static struct store s;
    struct tlog_edge e, loaded;
    uint8_t want[32], got[32], leaf[32];
    uint64_t size, i;

    build_store(&s, &e);
    for (size = 1; size <= NVEC; size++) {
        vroot(v, size, want);
        ASSERT_OK(tlog_tree_hash(size, store_read, &s, got));
        if (memcmp(got, want, 32) != 0)
            unit_fail(__FILE__, __LINE__, "tlog_tree_hash(%llu) differs",
                (unsigned long long)size);
        ASSERT_OK(tlog_edge_load(&loaded, size, store_read, &s));
        ASSERT_U64_EQ(loaded.size, size);
        tlog_edge_root(&loaded, got);
        if (memcmp(got, want, 32) != 0)
            unit_fail(__FILE__, __LINE__, "tlog_edge_load(%llu) root differs",
                (unsigned long long)size);
        /* A loaded edge goes on growing into the same tree. */
        if (size % 37 == 0 || size == 255 || size == 256) {
            for (i = size; i < NVEC; i++) {
                entry_leaf(i, leaf);
                ASSERT_OK(tlog_edge_append(&loaded, leaf, NULL, NULL));
            }
            tlog_edge_root(&loaded, got);
            vroot(v, NVEC, want);
            ASSERT_MEM_EQ(got, want, 32);
        }
    }
    ASSERT(!s.crossed_tile);
    /* Hashes the store lacks are an error, not a wrong root. */
    s.n[0] = 100;
    ASSERT_ERR(tlog_tree_hash(101, store_read, &s, got), MESHCA_ERR_NOT_FOUND);
    json_decref(v);
}

/* ------------------------------------------------------------ proofs */

static void
flip_each_bit_rejected_incl(const uint8_t leaf[32], uint64_t index,
    uint64_t size, uint8_t proof[][TLOG_HASH_LEN], size_t n,
    const uint8_t root[32])
{
    size_t k;

    for (k = 0; k < n; k++) {
        proof[k][k % 32] ^= 0x01;
        ASSERT_ERR(tlog_verify_inclusion(leaf, index, size, proof, n, root),
            MESHCA_ERR_TLOG_PROOF);
        proof[k][k % 32] ^= 0x01;
    }
}

/* Fails unless got (ng hashes) is the proof Go gives, want (nw hashes). */
static void
proof_is_gos(const char *what, uint8_t got[][TLOG_HASH_LEN], size_t ng,
    uint8_t want[][TLOG_HASH_LEN], size_t nw)
{
    if (ng != nw || memcmp(got, want, nw * 32) != 0)
        unit_fail(__FILE__, __LINE__, "%s: %zu hashes, Go has %zu%s", what,
            ng, nw, ng == nw ? " (bytes differ)" : "");
}

/*
 * The proof length the vectors give for the case whose field k1 is v1 and
 * k2 is v2 ("index"/"size" for inclusion, "old"/"new" for consistency), or -1.
 */
static long
proof_len(const json_t *list, const char *k1, uint64_t v1, const char *k2,
    uint64_t v2)
{
    const json_t *c;
    size_t i;

    json_array_foreach(list, i, c)
    {
        if (vint(c, k1) == v1 && vint(c, k2) == v2)
            return (long)json_array_size(vget(c, "proof"));
    }
    return -1;
}

TEST(test_tlog_inclusion_proofs_match_go)
{
    json_t *v = vectors(), *list = vget(v, "inclusion"), *c, *d;
    static struct store s;
    struct tlog_edge e;
    uint8_t want[TLOG_PROOF_MAX][32], got[TLOG_PROOF_MAX][32];
    uint8_t root[32], other[32], leaf[32];
    char what[96];
    size_t i, j, nw, ng;
    uint64_t index, size;
    int checked = 0;

    build_store(&s, &e);
    json_array_foreach(list, i, c)
    {
        index = vint(c, "index");
        size = vint(c, "size");
        nw = b64_hashes(vget(c, "proof"), want);
        ASSERT_OK(tlog_prove_inclusion(index, size, store_read, &s, got, &ng));
        snprintf(what, sizeof(what), "inclusion proof of %llu in %llu",
            (unsigned long long)index, (unsigned long long)size);
        proof_is_gos(what, got, ng, want, nw);
        entry_leaf(index, leaf);
        vroot(v, size, root);
        ASSERT_OK(tlog_verify_inclusion(leaf, index, size, want, nw, root));
        flip_each_bit_rejected_incl(leaf, index, size, want, nw, root);
        /* The wrong leaf, a short or long proof, an index out of range. */
        entry_leaf(index + 1, other);
        ASSERT_ERR(tlog_verify_inclusion(other, index, size, want, nw, root),
            MESHCA_ERR_TLOG_PROOF);
        if (nw > 0)
            ASSERT_ERR(
                tlog_verify_inclusion(leaf, index, size, want, nw - 1, root),
                MESHCA_ERR_TLOG_PROOF);
        memcpy(want[nw], root, 32);
        ASSERT_ERR(tlog_verify_inclusion(leaf, index, size, want, nw + 1, root),
            MESHCA_ERR_TLOG_PROOF);
        ASSERT(tlog_verify_inclusion(leaf, index, index, want, nw, root) != 0);
        /* A size whose proofs (per Go) have another length. */
        json_array_foreach(list, j, d)
        {
            if (vint(d, "index") != index || vint(d, "size") == size ||
                proof_len(list, "index", index, "size", vint(d, "size")) ==
                    (long)nw)
                continue;
            ASSERT_ERR(tlog_verify_inclusion(
                           leaf, index, vint(d, "size"), want, nw, root),
                MESHCA_ERR_TLOG_PROOF);
        }
        checked++;
    }
    ASSERT(checked > 100);
    ASSERT(!s.crossed_tile);
    json_decref(v);
}

static void
check_consistency_rejections(const json_t *list, uint64_t old, uint64_t nsz,
    const uint8_t ro[32], const uint8_t rn[32], uint8_t p[][TLOG_HASH_LEN],
    size_t n)
{
    const json_t *d;
    size_t k;

    for (k = 0; k < n; k++) {
        p[k][31 - k % 32] ^= 0x80;
        ASSERT_ERR(tlog_verify_consistency(old, nsz, ro, rn, p, n),
            MESHCA_ERR_TLOG_PROOF);
        p[k][31 - k % 32] ^= 0x80;
    }
    if (n > 0)
        ASSERT_ERR(tlog_verify_consistency(old, nsz, ro, rn, p, n - 1),
            MESHCA_ERR_TLOG_PROOF);
    memcpy(p[n], rn, 32);
    ASSERT_ERR(tlog_verify_consistency(old, nsz, ro, rn, p, n + 1),
        MESHCA_ERR_TLOG_PROOF);
    if (memcmp(ro, rn, 32) != 0)
        ASSERT_ERR(tlog_verify_consistency(old, nsz, rn, ro, p, n),
            MESHCA_ERR_TLOG_PROOF);
    ASSERT(tlog_verify_consistency(nsz + 1, nsz, ro, rn, p, n) != 0);
    ASSERT(tlog_verify_consistency(0, nsz, ro, rn, p, n) != 0);
    /* An old size whose proofs to nsz (per Go) have another length. */
    for (k = 0; k < json_array_size(list); k++) {
        d = json_array_get(list, k);
        if (vint(d, "new") != nsz || vint(d, "old") == old ||
            proof_len(list, "old", vint(d, "old"), "new", nsz) == (long)n)
            continue;
        ASSERT_ERR(tlog_verify_consistency(vint(d, "old"), nsz, ro, rn, p, n),
            MESHCA_ERR_TLOG_PROOF);
    }
}

TEST(test_tlog_consistency_proofs_match_go)
{
    json_t *v = vectors(), *list = vget(v, "consistency"), *c;
    static struct store s;
    struct tlog_edge e;
    uint8_t want[TLOG_PROOF_MAX][32], got[TLOG_PROOF_MAX][32];
    uint8_t ro[32], rn[32];
    char what[96];
    size_t i, nw, ng;
    uint64_t old, nsz;
    int checked = 0, equal = 0;

    build_store(&s, &e);
    json_array_foreach(list, i, c)
    {
        old = vint(c, "old");
        nsz = vint(c, "new");
        nw = b64_hashes(vget(c, "proof"), want);
        ASSERT_OK(tlog_prove_consistency(old, nsz, store_read, &s, got, &ng));
        snprintf(what, sizeof(what), "consistency proof %llu -> %llu",
            (unsigned long long)old, (unsigned long long)nsz);
        proof_is_gos(what, got, ng, want, nw);
        vroot(v, old, ro);
        vroot(v, nsz, rn);
        ASSERT_OK(tlog_verify_consistency(old, nsz, ro, rn, want, nw));
        check_consistency_rejections(list, old, nsz, ro, rn, want, nw);
        if (old == nsz) {
            ASSERT_INT_EQ(nw, 0);
            vroot(v, old == 1 ? 2 : old - 1, rn);
            ASSERT_ERR(tlog_verify_consistency(old, nsz, ro, rn, want, 0),
                MESHCA_ERR_TLOG_PROOF);
            equal++;
        }
        checked++;
    }
    ASSERT(checked > 300);
    ASSERT(equal > 20);
    ASSERT(!s.crossed_tile);
    json_decref(v);
}

TEST(test_tlog_prove_refuses_bad_ranges)
{
    static struct store s;
    struct tlog_edge e;
    uint8_t p[TLOG_PROOF_MAX][32];
    size_t n;

    build_store(&s, &e);
    ASSERT(tlog_prove_inclusion(5, 5, store_read, &s, p, &n) != 0);
    ASSERT(tlog_prove_inclusion(0, 0, store_read, &s, p, &n) != 0);
    ASSERT(tlog_prove_consistency(0, 5, store_read, &s, p, &n) != 0);
    ASSERT(tlog_prove_consistency(6, 5, store_read, &s, p, &n) != 0);
    /* Hashes the store lacks. */
    ASSERT(tlog_prove_inclusion(0, NVEC + 1, store_read, &s, p, &n) != 0);
}

/* ------------------------------------------------------------ tiles */

TEST(test_tlog_tile_paths_match_go_both_ways)
{
    json_t *v = vectors(), *lists[2], *t;
    char path[128];
    int level, li;
    uint64_t index;
    unsigned width;
    size_t i, n = 0;

    lists[0] = vget(v, "tile_paths");
    lists[1] = vget(v, "tiles");
    for (li = 0; li < 2; li++) {
        json_array_foreach(lists[li], i, t)
        {
            json_int_t l = json_integer_value(vget(t, "level"));
            ASSERT_OK(tlog_tile_path((int)l, vint(t, "index"),
                (unsigned)vint(t, "width"), path, sizeof(path)));
            ASSERT_STR_EQ(path, vstr(t, "path"));
            if (tlog_tile_parse(vstr(t, "path"), &level, &index, &width) != 0)
                unit_fail(__FILE__, __LINE__, "tlog_tile_parse refused \"%s\"",
                    vstr(t, "path"));
            ASSERT_INT_EQ(level, l);
            ASSERT_U64_EQ(index, vint(t, "index"));
            ASSERT_U64_EQ(width, vint(t, "width"));
            n++;
        }
    }
    ASSERT(n >= 15);
    json_decref(v);
}

/* Leaves junk where the next call's locals will be, so that a path built
 * from an unterminated buffer shows. */
static void __attribute__((noinline)) dirty_stack(void)
{
    volatile char junk[4096];
    size_t i;

    for (i = 0; i < sizeof(junk); i++)
        junk[i] = (char)('1' + i % 8);
}

/* The C2SP path, formatted here independently of ca/tlog.c. */
static void
want_path(char *out, size_t len, int level, uint64_t n, unsigned width)
{
    unsigned groups[8];
    int ng = 0, off;

    do {
        groups[ng++] = (unsigned)(n % 1000);
        n /= 1000;
    } while (n > 0);
    off = level < 0 ? snprintf(out, len, "tile/entries/")
                    : snprintf(out, len, "tile/%d/", level);
    while (--ng > 0)
        off += snprintf(out + off, len - (size_t)off, "x%03u/", groups[ng]);
    off += snprintf(out + off, len - (size_t)off, "%03u", groups[0]);
    if (width < 256)
        snprintf(out + off, len - (size_t)off, ".p/%u", width);
}

/* Every count of index digits (1 to 20) and so every amount of zero
 * padding, at every level kind, with junk on the stack. */
TEST(test_tlog_tile_path_pads_every_index_length)
{
    char got[128], want[128];
    uint64_t n = 0, index;
    int level, digits, lv;
    unsigned width, w;

    for (digits = 1; digits <= 20; digits++) {
        n = digits == 1 ? 0 : n * 10 + (uint64_t)(digits % 10);
        for (level = -1; level <= 2; level++) {
            w = digits % 2 ? 256 : (unsigned)(1 + digits * 7);
            want_path(want, sizeof(want), level, n, w);
            dirty_stack();
            memset(got, 0, sizeof(got));
            ASSERT_OK(tlog_tile_path(level, n, w, got, sizeof(got)));
            ASSERT_STR_EQ(got, want);
            dirty_stack();
            if (tlog_tile_parse(want, &lv, &index, &width) != 0)
                unit_fail(
                    __FILE__, __LINE__, "tlog_tile_parse refused \"%s\"", want);
            ASSERT_INT_EQ(lv, level);
            ASSERT_U64_EQ(index, n);
            ASSERT_U64_EQ(width, w);
        }
    }
}

TEST(test_tlog_tile_parse_refuses_non_canonical_paths)
{
    static const char *const bad[] = {
        "tile/0/1234",         /* groups missing */
        "tile/0/x001/034.p/0", /* width 0 */
        "tile/0/000.p/256",    /* full tile named partial */
        "tile/0/x001/234.p/256",
        "tile/0/000.p/257",
        "tile/0/001.p/07", /* leading zero in the width */
        "tile/0/00",       /* leading zeros missing */
        "tile/0/0",
        "tile/0/x1/234",
        "tile/0/x01/234",
        "tile/0/x001/23",
        "tile/0/x000/234",  /* a zero leading group */
        "tile/0/001/234",   /* inner group without x */
        "tile/0/x001/x234", /* last group with x */
        "tile/0/x001",
        "tile/00/000",
        "tile/01/000",
        "tile/-1/000",
        "tile/+1/000",
        "tile/data/000",
        "tile/entries/000.p/0",
        "tile/entries/x000/000",
        "tile/0/000/",
        "/tile/0/000",
        "tile/0/000.p/",
        "tile/0/000.p/1/",
        "tile/0/000.p",
        "tile/0/abc",
        "tile/0/-01",
        "tile/0/ 01",
        "tile/0/",
        "tile/0",
        "tile/",
        "tile",
        "",
        "tiles/0/000",
        "tile//000",
        "tile/0//000",
        "tile/0/x001//234",
        "TILE/0/000",
        "tile/0/000.P/5",
        "tile/0/000.p/5x",
        "tile/0/000\n",
    };
    int level = 42;
    uint64_t index = 42;
    unsigned width = 42;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (tlog_tile_parse(bad[i], &level, &index, &width) != 0)
            continue;
        unit_fail(__FILE__, __LINE__,
            "accepted \"%s\" as level %d index "
            "%llu width %u",
            bad[i], level, (unsigned long long)index, width);
    }
    ASSERT_INT_EQ(level, 42);
    ASSERT_U64_EQ(index, 42);
    ASSERT_INT_EQ(width, 42);
}

TEST(test_tlog_tile_path_refuses_bad_arguments)
{
    char path[64];

    ASSERT(tlog_tile_path(0, 0, 0, path, sizeof(path)) != 0);
    ASSERT(tlog_tile_path(0, 0, 257, path, sizeof(path)) != 0);
    ASSERT(tlog_tile_path(-2, 0, 256, path, sizeof(path)) != 0);
    /* No room: refused rather than truncated. */
    ASSERT(tlog_tile_path(0, 1234, 256, path, 10) != 0);
    ASSERT_OK(tlog_tile_path(0, 1234, 256, path, 16));
    ASSERT_STR_EQ(path, "tile/0/x001/234");
    ASSERT_OK(tlog_tile_path(2, 123456789012ULL, 255, path, sizeof(path)));
    ASSERT_STR_EQ(path, "tile/2/x123/x456/x789/012.p/255");
}

/* ------------------------------------------------------------ notes */

static EVP_PKEY *
seed_key(uint8_t first)
{
    uint8_t seed[32];
    EVP_PKEY *k;
    int i;

    for (i = 0; i < 32; i++)
        seed[i] = (uint8_t)(first + i);
    k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    ASSERT(k != NULL);
    return k;
}

TEST(test_tlog_vkey_and_note_match_go_byte_for_byte)
{
    json_t *v = vectors(), *nv = vget(v, "note");
    EVP_PKEY *key = seed_key(0);
    char *vkey = NULL, *note = NULL, *text = NULL;

    ASSERT_STR_EQ(vstr(nv, "name"), ORIGIN);
    ASSERT_OK(tlog_vkey_format(ORIGIN, key, &vkey));
    ASSERT_STR_EQ(vkey, vstr(nv, "vkey"));
    ASSERT_OK(tlog_note_sign(vstr(nv, "checkpoint"), ORIGIN, key, &note));
    ASSERT_STR_EQ(note, vstr(nv, "note"));
    ASSERT_OK(tlog_note_open(
        vstr(nv, "note"), strlen(vstr(nv, "note")), vstr(nv, "vkey"), &text));
    ASSERT_STR_EQ(text, vstr(nv, "checkpoint"));
    free(vkey);
    free(note);
    free(text);
    EVP_PKEY_free(key);
    json_decref(v);
}

static int
open_modified(const char *note, size_t at, char c, const char *vkey)
{
    char *m = strdup(note), *text = NULL;
    int r;

    ASSERT(m != NULL && at < strlen(m));
    m[at] = c;
    r = tlog_note_open(m, strlen(m), vkey, &text);
    ASSERT(r != 0 || text != NULL);
    free(text);
    free(m);
    return r;
}

TEST(test_tlog_note_open_refuses_modified_notes)
{
    json_t *v = vectors(), *nv = vget(v, "note");
    const char *note = vstr(nv, "note"), *vkey = vstr(nv, "vkey");
    const char *sig = strstr(note, "\n\n");
    size_t len = strlen(note), sigat;
    char *text = NULL, *other = NULL;
    EVP_PKEY *k2 = seed_key(32);

    ASSERT(sig != NULL);
    sigat = (size_t)(sig - note) + 2;
    /* A changed size digit, a changed signature, a changed key hash. */
    ASSERT_ERR(open_modified(note, strlen(ORIGIN) + 1, '4', vkey),
        MESHCA_ERR_TLOG_NOTE);
    ASSERT_ERR(
        open_modified(note, len - 10, note[len - 10] == 'A' ? 'B' : 'A', vkey),
        MESHCA_ERR_TLOG_NOTE);
    ASSERT_ERR(
        open_modified(note, sigat + strlen("— " ORIGIN " ") + 1, 'Z', vkey),
        MESHCA_ERR_TLOG_NOTE);
    /* No blank line before the signatures; no final newline. */
    ASSERT_ERR(open_modified(note, sigat - 1, 'x', vkey), MESHCA_ERR_TLOG_NOTE);
    ASSERT_ERR(
        tlog_note_open(note, len - 1, vkey, &text), MESHCA_ERR_TLOG_NOTE);
    ASSERT_ERR(tlog_note_open(vstr(nv, "checkpoint"),
                   strlen(vstr(nv, "checkpoint")), vkey, &text),
        MESHCA_ERR_TLOG_NOTE);
    /* Another key's verifier finds no signature of its own. */
    ASSERT_OK(tlog_vkey_format(ORIGIN, k2, &other));
    ASSERT_ERR(tlog_note_open(note, len, other, &text), MESHCA_ERR_TLOG_NOTE);
    ASSERT(text == NULL);
    free(other);
    EVP_PKEY_free(k2);
    json_decref(v);
}

TEST(test_tlog_note_open_ignores_other_signatures)
{
    json_t *v = vectors(), *nv = vget(v, "note");
    const char *note = vstr(nv, "note"), *text = vstr(nv, "checkpoint");
    EVP_PKEY *k2 = seed_key(32);
    char *note2 = NULL, *vkey2 = NULL, *both = NULL, *got = NULL;
    size_t tl = strlen(text);

    ASSERT_OK(tlog_note_sign(text, "witness.example/w1", k2, &note2));
    ASSERT_OK(tlog_vkey_format("witness.example/w1", k2, &vkey2));
    /* text, blank line, the witness's signature line, then the log's. */
    ASSERT(strncmp(note2, text, tl) == 0 && note2[tl] == '\n');
    ASSERT(asprintf(&both, "%s%s", note2, note + tl + 1) > 0);
    ASSERT_OK(tlog_note_open(both, strlen(both), vstr(nv, "vkey"), &got));
    ASSERT_STR_EQ(got, text);
    free(got);
    got = NULL;
    ASSERT_OK(tlog_note_open(both, strlen(both), vkey2, &got));
    ASSERT_STR_EQ(got, text);
    free(got);
    /* Text that does not end in a newline cannot be signed. */
    got = NULL;
    ASSERT(tlog_note_sign("example.com/log\n1", ORIGIN, k2, &got) != 0);
    ASSERT(got == NULL);
    free(note2);
    free(vkey2);
    free(both);
    EVP_PKEY_free(k2);
    json_decref(v);
}

/* ------------------------------------------------------------ checkpoints */

TEST(test_tlog_checkpoint_format_matches_go_and_round_trips)
{
    json_t *v = vectors(), *nv = vget(v, "note");
    static const uint64_t sizes[] = {0, 1, 300, 1000000000000000ULL, INT64_MAX};
    uint8_t root[32], got_root[32];
    uint64_t size = 0;
    char *text = NULL;
    size_t i;

    vroot(v, NVEC, root);
    ASSERT_OK(tlog_checkpoint_format(ORIGIN, NVEC, root, &text));
    ASSERT_STR_EQ(text, vstr(nv, "checkpoint"));
    free(text);
    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        text = NULL;
        root[0] = (uint8_t)i;
        ASSERT_OK(tlog_checkpoint_format(ORIGIN, sizes[i], root, &text));
        memset(got_root, 0, sizeof(got_root));
        ASSERT_OK(
            tlog_checkpoint_parse(text, strlen(text), ORIGIN, &size, got_root));
        ASSERT_U64_EQ(size, sizes[i]);
        ASSERT_MEM_EQ(got_root, root, 32);
        ASSERT_OK(
            tlog_checkpoint_parse(text, strlen(text), NULL, &size, got_root));
        ASSERT_ERR(tlog_checkpoint_parse(
                       text, strlen(text), "example.com/lo", &size, got_root),
            MESHCA_ERR_TLOG_CHECKPOINT);
        free(text);
    }
    json_decref(v);
}

TEST(test_tlog_checkpoint_parse_extensions_and_refusals)
{
    json_t *v = vectors();
    /* origin, then these size lines, root lines and tails. */
    static const struct {
        const char *size;
        int root; /* 0 whole, 1 with a char more, 2 cut short, 3 empty */
        const char *tail;
    } bad[] = {
        {"0300", 0, "\n"},
        {"+300", 0, "\n"},
        {"-1", 0, "\n"},
        {"", 0, "\n"},
        {"300 ", 0, "\n"},
        {"18446744073709551616", 0, "\n"},
        {"300", 0, ""},
        {"300", 0, "\n\n"},
        {"300", 1, "\n"},
        {"300", 2, "\n"},
        {"300", 3, "\n"},
    };
    char text[512], root_b64[64];
    uint8_t root[32], got[32];
    uint64_t size = 7;
    size_t i;

    snprintf(root_b64, sizeof(root_b64), "%s",
        json_string_value(json_array_get(vget(v, "roots"), NVEC - 1)));
    b64_hash(root_b64, root);
    snprintf(text, sizeof(text), "%s\n300\n%s\nwitness-ext: 1\nmore\n", ORIGIN,
        root_b64);
    ASSERT_OK(tlog_checkpoint_parse(text, strlen(text), ORIGIN, &size, got));
    ASSERT_U64_EQ(size, 300);
    ASSERT_MEM_EQ(got, root, 32);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(text, sizeof(text), "%s\n%s\n%.*s%s%s", ORIGIN, bad[i].size,
            bad[i].root == 2   ? 40
            : bad[i].root == 3 ? 0
                               : 44,
            root_b64, bad[i].root == 1 ? "A" : "", bad[i].tail);
        size = 7;
        if (tlog_checkpoint_parse(text, strlen(text), NULL, &size, got) == 0)
            unit_fail(
                __FILE__, __LINE__, "accepted checkpoint %zu: %s", i, text);
        ASSERT_U64_EQ(size, 7);
    }
    /* An empty origin. */
    snprintf(text, sizeof(text), "\n300\n%s\n", root_b64);
    ASSERT(tlog_checkpoint_parse(text, strlen(text), NULL, &size, got) != 0);
    json_decref(v);
}

UNIT_MAIN(T(test_tlog_leaf_hashes_match_go), T(test_tlog_node_hash_is_rfc6962),
    T(test_tlog_edge_roots_match_go_for_every_size),
    T(test_tlog_edge_append_callback_error_leaves_edge_unchanged),
    T(test_tlog_stored_hashes_are_go_tiles),
    T(test_tlog_tree_hash_and_edge_load_match_go),
    T(test_tlog_inclusion_proofs_match_go),
    T(test_tlog_consistency_proofs_match_go),
    T(test_tlog_prove_refuses_bad_ranges),
    T(test_tlog_tile_paths_match_go_both_ways),
    T(test_tlog_tile_path_pads_every_index_length),
    T(test_tlog_tile_parse_refuses_non_canonical_paths),
    T(test_tlog_tile_path_refuses_bad_arguments),
    T(test_tlog_vkey_and_note_match_go_byte_for_byte),
    T(test_tlog_note_open_refuses_modified_notes),
    T(test_tlog_note_open_ignores_other_signatures),
    T(test_tlog_checkpoint_format_matches_go_and_round_trips),
    T(test_tlog_checkpoint_parse_extensions_and_refusals))
