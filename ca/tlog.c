/* The transparency log's Merkle tree, proofs and tile paths.  See tlog.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "meshca/tlog.h"

int
tlog_leaf_hash(const void *entry, size_t len, uint8_t out[TLOG_HASH_LEN])
{
    uint8_t small[1024], *in = small;

    /* One-shot SHA256() over 0x00 || entry: the streaming calls are
     * deprecated in OpenSSL 3 and an EVP context costs more than a copy. */
    if (len + 1 > sizeof(small) && (in = malloc(len + 1)) == NULL)
        return MESHCA_ERR_ALLOC;
    in[0] = 0x00;
    memcpy(in + 1, entry, len);
    SHA256(in, len + 1, out);
    if (in != small)
        free(in);
    return 0;
}

void
tlog_node_hash(const uint8_t left[TLOG_HASH_LEN],
    const uint8_t right[TLOG_HASH_LEN], uint8_t out[TLOG_HASH_LEN])
{
    uint8_t in[1 + 2 * TLOG_HASH_LEN];

    in[0] = 0x01;
    memcpy(in + 1, left, TLOG_HASH_LEN);
    memcpy(in + 1 + TLOG_HASH_LEN, right, TLOG_HASH_LEN);
    SHA256(in, sizeof(in), out);
}

void
tlog_edge_init(struct tlog_edge *e)
{
    memset(e, 0, sizeof(*e));
}

int
tlog_edge_append(struct tlog_edge *e, const uint8_t leaf[TLOG_HASH_LEN],
    tlog_stored_cb cb, void *arg)
{
    uint8_t cur[TLOG_HASH_LEN];
    uint64_t s = e->size, index = e->size;
    int n = e->n, level = 0, r;

    if (e->size == UINT64_MAX >> 1)
        return MESHCA_ERR_INVALID_ARGUMENT;
    memcpy(cur, leaf, TLOG_HASH_LEN);
    if (cb != NULL && (r = cb(arg, 0, index, cur)) != 0)
        return r;
    /* Each set low bit of the old size is a subtree the new leaf completes. */
    while (s & 1) {
        tlog_node_hash(e->hash[--n], cur, cur);
        s >>= 1;
        index >>= 1;
        level++;
        if (cb != NULL && level % TLOG_TILE_HEIGHT == 0 &&
            (r = cb(arg, level / TLOG_TILE_HEIGHT, index, cur)) != 0)
            return r;
    }
    memcpy(e->hash[n++], cur, TLOG_HASH_LEN);
    e->n = n;
    e->size++;
    return 0;
}

void
tlog_edge_root(const struct tlog_edge *e, uint8_t root[TLOG_HASH_LEN])
{
    int i;

    if (e->n == 0) {
        SHA256((const uint8_t *)"", 0, root);
        return;
    }
    memcpy(root, e->hash[e->n - 1], TLOG_HASH_LEN);
    for (i = e->n - 2; i >= 0; i--)
        tlog_node_hash(e->hash[i], root, root);
}

/* Hash of the perfect subtree at tree level k with the given index. */
static int
subtree_hash(int k, uint64_t index, tlog_read_cb read, void *arg,
    uint8_t out[TLOG_HASH_LEN])
{
    uint8_t h[(1 << (TLOG_TILE_HEIGHT - 1)) * TLOG_HASH_LEN];
    int tl = k / TLOG_TILE_HEIGHT, j = k % TLOG_TILE_HEIGHT, r;
    size_t count = (size_t)1 << j, i;

    if ((r = read(arg, tl, index << j, count, h)) != 0)
        return r;
    for (; count > 1; count /= 2)
        for (i = 0; i < count / 2; i++)
            tlog_node_hash(h + 2 * i * TLOG_HASH_LEN,
                h + (2 * i + 1) * TLOG_HASH_LEN, h + i * TLOG_HASH_LEN);
    memcpy(out, h, TLOG_HASH_LEN);
    return 0;
}

/* Largest power of two strictly below n (n >= 2). */
static uint64_t
split_point(uint64_t n)
{
    uint64_t k = 1;

    while (k << 1 < n)
        k <<= 1;
    return k;
}

static int
log2_exact(uint64_t n)
{
    int k = 0;

    if (n == 0 || (n & (n - 1)) != 0)
        return -1;
    while ((n >> k) != 1)
        k++;
    return k;
}

/* RFC 6962 MTH of leaves [lo, hi), hi > lo. */
static int
range_hash(uint64_t lo, uint64_t hi, tlog_read_cb read, void *arg,
    uint8_t out[TLOG_HASH_LEN])
{
    uint8_t left[TLOG_HASH_LEN], right[TLOG_HASH_LEN];
    uint64_t n = hi - lo, k;
    int lg = log2_exact(n), r;

    if (lg >= 0 && (lo & (n - 1)) == 0)
        return subtree_hash(lg, lo >> lg, read, arg, out);
    k = split_point(n);
    if ((r = range_hash(lo, lo + k, read, arg, left)) != 0 ||
        (r = range_hash(lo + k, hi, read, arg, right)) != 0)
        return r;
    tlog_node_hash(left, right, out);
    return 0;
}

int
tlog_tree_hash(uint64_t size, tlog_read_cb read, void *arg,
    uint8_t root[TLOG_HASH_LEN])
{
    if (size == 0) {
        SHA256((const uint8_t *)"", 0, root);
        return 0;
    }
    return range_hash(0, size, read, arg, root);
}

int
tlog_edge_load(struct tlog_edge *e, uint64_t size, tlog_read_cb read,
    void *arg)
{
    struct tlog_edge t;
    uint64_t start = 0;
    int k, r;

    tlog_edge_init(&t);
    for (k = 63; k >= 0; k--) {
        if (!((size >> k) & 1))
            continue;
        if ((r = subtree_hash(k, start >> k, read, arg, t.hash[t.n])) != 0)
            return r;
        t.n++;
        start += (uint64_t)1 << k;
    }
    t.size = size;
    *e = t;
    return 0;
}

/* Appends one hash to a proof under construction. */
static int
proof_push(uint8_t proof[][TLOG_HASH_LEN], size_t *np,
    const uint8_t h[TLOG_HASH_LEN])
{
    if (*np >= TLOG_PROOF_MAX)
        return MESHCA_ERR_INTERNAL;
    memcpy(proof[(*np)++], h, TLOG_HASH_LEN);
    return 0;
}

/* RFC 6962 PATH(m, D[lo:hi]). */
static int
path(uint64_t m, uint64_t lo, uint64_t hi, tlog_read_cb read, void *arg,
    uint8_t proof[][TLOG_HASH_LEN], size_t *np)
{
    uint8_t h[TLOG_HASH_LEN];
    uint64_t k;
    int r;

    if (hi - lo == 1)
        return 0;
    k = split_point(hi - lo);
    if (m - lo < k) {
        if ((r = path(m, lo, lo + k, read, arg, proof, np)) != 0 ||
            (r = range_hash(lo + k, hi, read, arg, h)) != 0)
            return r;
    } else {
        if ((r = path(m, lo + k, hi, read, arg, proof, np)) != 0 ||
            (r = range_hash(lo, lo + k, read, arg, h)) != 0)
            return r;
    }
    return proof_push(proof, np, h);
}

int
tlog_prove_inclusion(uint64_t index, uint64_t size, tlog_read_cb read,
    void *arg, uint8_t proof[][TLOG_HASH_LEN], size_t *np)
{
    size_t n = 0;
    int r;

    if (index >= size)
        return MESHCA_ERR_INVALID_ARGUMENT;
    if ((r = path(index, 0, size, read, arg, proof, &n)) != 0)
        return r;
    *np = n;
    return 0;
}

/* RFC 6962 SUBPROOF(m, D[lo:hi], b), m counted from lo. */
static int
subproof(uint64_t m, uint64_t lo, uint64_t hi, int b, tlog_read_cb read,
    void *arg, uint8_t proof[][TLOG_HASH_LEN], size_t *np)
{
    uint8_t h[TLOG_HASH_LEN];
    uint64_t n = hi - lo, k;
    int r;

    if (m == n) {
        if (b)
            return 0;
        if ((r = range_hash(lo, hi, read, arg, h)) != 0)
            return r;
        return proof_push(proof, np, h);
    }
    k = split_point(n);
    if (m <= k) {
        if ((r = subproof(m, lo, lo + k, b, read, arg, proof, np)) != 0 ||
            (r = range_hash(lo + k, hi, read, arg, h)) != 0)
            return r;
    } else {
        if ((r = subproof(m - k, lo + k, hi, 0, read, arg, proof, np)) != 0 ||
            (r = range_hash(lo, lo + k, read, arg, h)) != 0)
            return r;
    }
    return proof_push(proof, np, h);
}

int
tlog_prove_consistency(uint64_t old_size, uint64_t new_size,
    tlog_read_cb read, void *arg, uint8_t proof[][TLOG_HASH_LEN], size_t *np)
{
    size_t n = 0;
    int r;

    if (old_size == 0 || old_size > new_size)
        return MESHCA_ERR_INVALID_ARGUMENT;
    if ((r = subproof(old_size, 0, new_size, 1, read, arg, proof, &n)) != 0)
        return r;
    *np = n;
    return 0;
}

/* One step of the proof walk of RFC 9162 2.1.3.2 and 2.1.4.2: folds the
 * proof node p into sr (and into fr, when given, where p is a left
 * sibling), then moves fn and sn up the tree. */
static void
proof_step(const uint8_t p[TLOG_HASH_LEN], uint8_t *fr,
    uint8_t sr[TLOG_HASH_LEN], uint64_t *fn, uint64_t *sn)
{
    if ((*fn & 1) || *fn == *sn) {
        if (fr != NULL)
            tlog_node_hash(p, fr, fr);
        tlog_node_hash(p, sr, sr);
        while (!(*fn & 1) && *fn != 0) {
            *fn >>= 1;
            *sn >>= 1;
        }
    } else
        tlog_node_hash(sr, p, sr);
    *fn >>= 1;
    *sn >>= 1;
}

int
tlog_verify_inclusion(const uint8_t leaf[TLOG_HASH_LEN], uint64_t index,
    uint64_t size, const uint8_t proof[][TLOG_HASH_LEN], size_t n,
    const uint8_t root[TLOG_HASH_LEN])
{
    uint8_t r[TLOG_HASH_LEN];
    uint64_t fn = index, sn;
    size_t i;

    if (index >= size)
        return MESHCA_ERR_TLOG_PROOF;
    sn = size - 1;
    memcpy(r, leaf, TLOG_HASH_LEN);
    for (i = 0; i < n; i++) {
        if (sn == 0)
            return MESHCA_ERR_TLOG_PROOF;
        proof_step(proof[i], NULL, r, &fn, &sn);
    }
    if (sn != 0 || memcmp(r, root, TLOG_HASH_LEN) != 0)
        return MESHCA_ERR_TLOG_PROOF;
    return 0;
}

int
tlog_verify_consistency(uint64_t old_size, uint64_t new_size,
    const uint8_t old_root[TLOG_HASH_LEN],
    const uint8_t new_root[TLOG_HASH_LEN],
    const uint8_t proof[][TLOG_HASH_LEN], size_t n)
{
    uint8_t fr[TLOG_HASH_LEN], sr[TLOG_HASH_LEN];
    const uint8_t *c;
    uint64_t fn, sn;
    size_t i, start;

    if (old_size == 0 || old_size > new_size)
        return MESHCA_ERR_TLOG_PROOF;
    if (old_size == new_size)
        return n == 0 && memcmp(old_root, new_root, TLOG_HASH_LEN) == 0
            ? 0 : MESHCA_ERR_TLOG_PROOF;
    if (n == 0)
        return MESHCA_ERR_TLOG_PROOF;
    /* A power-of-two old tree is itself the proof's first node. */
    start = log2_exact(old_size) >= 0 ? 0 : 1;
    c = start == 0 ? old_root : proof[0];
    fn = old_size - 1;
    sn = new_size - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    memcpy(fr, c, TLOG_HASH_LEN);
    memcpy(sr, c, TLOG_HASH_LEN);
    for (i = start; i < n; i++) {
        if (sn == 0)
            return MESHCA_ERR_TLOG_PROOF;
        proof_step(proof[i], fr, sr, &fn, &sn);
    }
    if (sn != 0 || memcmp(fr, old_root, TLOG_HASH_LEN) != 0 ||
        memcmp(sr, new_root, TLOG_HASH_LEN) != 0)
        return MESHCA_ERR_TLOG_PROOF;
    return 0;
}

int
tlog_tile_path(int level, uint64_t index, unsigned width, char *out,
    size_t outlen)
{
    char digits[32], *o = out;
    size_t nd, i, left = outlen;
    int w;

    if (level < -1 || level > 63 || width == 0 || width > TLOG_TILE_WIDTH)
        return MESHCA_ERR_INVALID_ARGUMENT;
    w = level < 0 ? snprintf(o, left, "tile/entries/")
                  : snprintf(o, left, "tile/%d/", level);
    if (w < 0 || (size_t)w >= left)
        return MESHCA_ERR_NO_BUFFER_SPACE;
    o += w;
    left -= (size_t)w;
    nd = (size_t)snprintf(digits, sizeof(digits), "%llu",
        (unsigned long long)index);
    /* Pad to a multiple of three digits, then "x" before every group but
     * the last. */
    i = (3 - nd % 3) % 3;
    memmove(digits + i, digits, nd + 1);
    memset(digits, '0', i);
    nd = strlen(digits);
    for (i = 0; i < nd; i += 3) {
        w = snprintf(o, left, "%s%.3s%s", i + 3 < nd ? "x" : "", digits + i,
            i + 3 < nd ? "/" : "");
        if (w < 0 || (size_t)w >= left)
            return MESHCA_ERR_NO_BUFFER_SPACE;
        o += w;
        left -= (size_t)w;
    }
    if (width < TLOG_TILE_WIDTH) {
        w = snprintf(o, left, ".p/%u", width);
        if (w < 0 || (size_t)w >= left)
            return MESHCA_ERR_NO_BUFFER_SPACE;
    }
    return 0;
}

/* Parses a canonical decimal (no sign, no leading zero unless "0") of at
 * most maxdigits digits ending at a character in stops. */
static const char *
parse_dec(const char *s, size_t maxdigits, uint64_t *vp)
{
    uint64_t v = 0;
    size_t n = 0;

    while (s[n] >= '0' && s[n] <= '9' && n < maxdigits) {
        v = v * 10 + (uint64_t)(s[n] - '0');
        n++;
    }
    if (n == 0 || (n > 1 && s[0] == '0') || (s[n] >= '0' && s[n] <= '9'))
        return NULL;
    *vp = v;
    return s + n;
}

int
tlog_tile_parse(const char *path, int *levelp, uint64_t *indexp,
    unsigned *widthp)
{
    const char *p;
    uint64_t level, index = 0, width = TLOG_TILE_WIDTH;
    char canon[128];
    int lv, r;

    if (strncmp(path, "tile/", 5) != 0)
        return MESHCA_ERR_INVALID_FORMAT;
    p = path + 5;
    if (strncmp(p, "entries/", 8) == 0) {
        lv = -1;
        p += 8;
    } else {
        if ((p = parse_dec(p, 2, &level)) == NULL || *p != '/' || level > 63)
            return MESHCA_ERR_INVALID_FORMAT;
        lv = (int)level;
        p++;
    }
    /* Groups of exactly three digits; "x" marks every group but the last. */
    for (;;) {
        int more = *p == 'x';

        if (more)
            p++;
        if (!(p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9' &&
            p[2] >= '0' && p[2] <= '9'))
            return MESHCA_ERR_INVALID_FORMAT;
        if (index > (UINT64_MAX - 999) / 1000)
            return MESHCA_ERR_INVALID_FORMAT;
        index = index * 1000 + (uint64_t)((p[0] - '0') * 100 +
            (p[1] - '0') * 10 + (p[2] - '0'));
        p += 3;
        if (!more)
            break;
        if (*p++ != '/')
            return MESHCA_ERR_INVALID_FORMAT;
    }
    if (strncmp(p, ".p/", 3) == 0) {
        if ((p = parse_dec(p + 3, 3, &width)) == NULL || width == 0 ||
            width >= TLOG_TILE_WIDTH)
            return MESHCA_ERR_INVALID_FORMAT;
    }
    if (*p != '\0')
        return MESHCA_ERR_INVALID_FORMAT;
    /* Only the canonical spelling ("x000/001" is not 1). */
    if ((r = tlog_tile_path(lv, index, (unsigned)width, canon,
        sizeof(canon))) != 0 || strcmp(canon, path) != 0)
        return MESHCA_ERR_INVALID_FORMAT;
    *levelp = lv;
    *indexp = index;
    *widthp = (unsigned)width;
    return 0;
}
