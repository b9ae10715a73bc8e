/* OpenSSH KRLs: build and parse.  See meshca/krl.h. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "meshca/buf.h"
#include "meshca/jsonv.h"
#include "meshca/krl.h"
#include "meshca/mem.h"

#define SECTION_CERTIFICATES 1
#define SECTION_EXPLICIT_KEY 2
#define SECTION_FINGERPRINT_SHA1 3
#define SECTION_SIGNATURE 4
#define SECTION_FINGERPRINT_SHA256 5
#define CERT_SERIAL_LIST 0x20
#define CERT_SERIAL_RANGE 0x21
#define CERT_SERIAL_BITMAP 0x22
#define CERT_KEY_ID 0x23

/* A run of three or more consecutive serials is cheaper as a range. */
#define RANGE_MIN_RUN 3

_Static_assert(KRL_MAX_SIZE <= BUF_SIZE_MAX,
    "a KRL is built and parsed in one wire buffer");

struct range {
    uint64_t lo, hi;
};

struct blob {
    uint8_t *d;
    size_t len;
};

/* Revocations of certificates by one CA (an empty CA blob means any CA,
 * which only parsed KRLs may hold). */
struct ca_entry {
    struct blob ca;
    struct range *ranges;
    size_t nranges, caprange;
    char **key_ids;
    size_t nkey_ids, capkey_ids;
};

struct krl_builder {
    struct ca_entry *cas;
    size_t ncas;
    uint8_t (*sha256)[32];
    size_t nsha256;
    struct blob *keys;
    size_t nkeys;
};

struct krl {
    uint64_t version, generated;
    struct ca_entry *cas;
    size_t ncas;
    uint8_t (*sha256)[32];
    size_t nsha256;
    uint8_t (*sha1)[20];
    size_t nsha1;
    struct blob *keys;
    size_t nkeys;
};

static void
ca_entry_clear(struct ca_entry *e)
{
    free(e->ca.d);
    free(e->ranges);
    jsonv_strv_free(e->key_ids, e->nkey_ids);
}

static void
blobs_free(struct blob *b, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        free(b[i].d);
    free(b);
}

int
krl_builder_new(struct krl_builder **bp)
{
    if ((*bp = calloc(1, sizeof(**bp))) == NULL)
        return MESHCA_ERR_ALLOC;
    return 0;
}

void
krl_builder_free(struct krl_builder *b)
{
    size_t i;

    if (b == NULL)
        return;
    for (i = 0; i < b->ncas; i++)
        ca_entry_clear(&b->cas[i]);
    free(b->cas);
    free(b->sha256);
    blobs_free(b->keys, b->nkeys);
    free(b);
}

static struct ca_entry *
find_ca(struct ca_entry *cas, size_t n, const uint8_t *blob, size_t len)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (cas[i].ca.len == len &&
            (len == 0 || memcmp(cas[i].ca.d, blob, len) == 0))
            return &cas[i];
    return NULL;
}

/*
 * The entry of the CA blob (len may be 0: a KRL may name "any CA") in the
 * list (*casp, *ncasp), appended with a copy of the blob when there is none.
 */
static int
cas_get(struct ca_entry **casp, size_t *ncasp, const uint8_t *blob,
    size_t len, struct ca_entry **ep)
{
    struct ca_entry *e, *n;

    *ep = NULL;
    if ((e = find_ca(*casp, *ncasp, blob, len)) == NULL) {
        if ((n = realloc(*casp, (*ncasp + 1) * sizeof(*n))) == NULL)
            return MESHCA_ERR_ALLOC;
        *casp = n;
        e = &n[*ncasp];
        memset(e, 0, sizeof(*e));
        if (len > 0) {
            if ((e->ca.d = malloc(len)) == NULL)
                return MESHCA_ERR_ALLOC;
            memcpy(e->ca.d, blob, len);
            e->ca.len = len;
        }
        (*ncasp)++;
    }
    *ep = e;
    return 0;
}

static int
builder_ca(struct krl_builder *b, const uint8_t *blob, size_t len,
    struct ca_entry **ep)
{
    *ep = NULL;
    if (blob == NULL || len == 0)
        return MESHCA_ERR_INVALID_ARGUMENT;
    return cas_get(&b->cas, &b->ncas, blob, len, ep);
}

/* Appends a copy of the len bytes at d (len > 0) to the list (*bp, *np). */
static int
blobs_append(struct blob **bp, size_t *np, const uint8_t *d, size_t len)
{
    struct blob *n;

    if ((n = realloc(*bp, (*np + 1) * sizeof(*n))) == NULL)
        return MESHCA_ERR_ALLOC;
    *bp = n;
    if ((n[*np].d = malloc(len)) == NULL)
        return MESHCA_ERR_ALLOC;
    memcpy(n[*np].d, d, len);
    n[*np].len = len;
    (*np)++;
    return 0;
}

/* Appends the SHA-256 fingerprint fp to the list (*fpsp, *np). */
static int
sha256_append(uint8_t (**fpsp)[32], size_t *np, const uint8_t fp[32])
{
    uint8_t (*n)[32];

    if ((n = realloc(*fpsp, (*np + 1) * 32)) == NULL)
        return MESHCA_ERR_ALLOC;
    *fpsp = n;
    memcpy(n[(*np)++], fp, 32);
    return 0;
}

static int
add_range(struct ca_entry *e, uint64_t lo, uint64_t hi)
{
    struct range *n;

    if ((n = meshca_grow(e->ranges, &e->caprange, e->nranges + 1,
        sizeof(*n), 16)) == NULL)
        return MESHCA_ERR_ALLOC;
    e->ranges = n;
    e->ranges[e->nranges].lo = lo;
    e->ranges[e->nranges].hi = hi;
    e->nranges++;
    return 0;
}

int
krl_revoke_serial_range(struct krl_builder *b, const uint8_t *ca_blob,
    size_t ca_len, uint64_t lo, uint64_t hi)
{
    struct ca_entry *e;
    int r;

    if (lo == 0)
        return MESHCA_ERR_KRL_SERIAL_ZERO;
    if (lo > hi)
        return MESHCA_ERR_INVALID_ARGUMENT;
    if ((r = builder_ca(b, ca_blob, ca_len, &e)) != 0)
        return r;
    return add_range(e, lo, hi);
}

int
krl_revoke_serial(struct krl_builder *b, const uint8_t *ca_blob,
    size_t ca_len, uint64_t serial)
{
    return krl_revoke_serial_range(b, ca_blob, ca_len, serial, serial);
}

static int
add_key_id(struct ca_entry *e, const char *id)
{
    char **n;

    if ((n = meshca_grow(e->key_ids, &e->capkey_ids, e->nkey_ids + 1,
        sizeof(*n), 8)) == NULL)
        return MESHCA_ERR_ALLOC;
    e->key_ids = n;
    if ((e->key_ids[e->nkey_ids] = strdup(id)) == NULL)
        return MESHCA_ERR_ALLOC;
    e->nkey_ids++;
    return 0;
}

int
krl_revoke_key_id(struct krl_builder *b, const uint8_t *ca_blob,
    size_t ca_len, const char *key_id)
{
    struct ca_entry *e;
    int r;

    if (key_id == NULL || *key_id == '\0')
        return MESHCA_ERR_INVALID_ARGUMENT;
    if ((r = builder_ca(b, ca_blob, ca_len, &e)) != 0)
        return r;
    return add_key_id(e, key_id);
}

int
krl_revoke_key_sha256(struct krl_builder *b, const uint8_t fp[32])
{
    return sha256_append(&b->sha256, &b->nsha256, fp);
}

int
krl_revoke_key(struct krl_builder *b, const uint8_t *blob, size_t len)
{
    if (blob == NULL || len == 0)
        return MESHCA_ERR_INVALID_ARGUMENT;
    return blobs_append(&b->keys, &b->nkeys, blob, len);
}

/* Sorting and merging */

static int
cmp_range(const void *a, const void *b)
{
    const struct range *x = a, *y = b;

    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Sorts and merges overlapping or adjacent ranges in place. */
static size_t
merge_ranges(struct range *r, size_t n)
{
    size_t i, o = 0;

    if (n == 0)
        return 0;
    qsort(r, n, sizeof(*r), cmp_range);
    for (i = 1; i < n; i++) {
        if (r[i].lo <= r[o].hi || (r[o].hi != UINT64_MAX &&
            r[i].lo == r[o].hi + 1)) {
            if (r[i].hi > r[o].hi)
                r[o].hi = r[i].hi;
        } else
            r[++o] = r[i];
    }
    return o + 1;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
cmp_fp32(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

static int
cmp_fp20(const void *a, const void *b)
{
    return memcmp(a, b, 20);
}

static int
cmp_blob(const void *a, const void *b)
{
    const struct blob *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->d, y->d, n);

    return c != 0 ? c : (x->len < y->len ? -1 : x->len > y->len);
}

static int
cmp_ca(const void *a, const void *b)
{
    return cmp_blob(&((const struct ca_entry *)a)->ca,
        &((const struct ca_entry *)b)->ca);
}

/* Writing */

static int
put_subsection(struct meshca_buf *out, uint8_t type, const struct meshca_buf *data)
{
    int r;

    if (meshca_buf_len(data) == 0)
        return 0;
    if ((r = meshca_buf_put_u8(out, type)) != 0 ||
        (r = meshca_buf_put_stringb(out, data)) != 0)
        return r;
    return 0;
}

static int
put_ca_section(struct meshca_buf *out, const struct ca_entry *e)
{
    struct meshca_buf *sec = NULL, *list = NULL, *ranges = NULL, *ids = NULL;
    struct range *rs = NULL;
    char **sorted = NULL;
    size_t n, i;
    int r = MESHCA_ERR_ALLOC;

    if ((sec = meshca_buf_new(KRL_MAX_SIZE)) == NULL ||
        (list = meshca_buf_new(KRL_MAX_SIZE)) == NULL ||
        (ranges = meshca_buf_new(KRL_MAX_SIZE)) == NULL ||
        (ids = meshca_buf_new(KRL_MAX_SIZE)) == NULL)
        goto out;
    if (e->nranges > 0) {
        if ((rs = malloc(e->nranges * sizeof(*rs))) == NULL)
            goto out;
        memcpy(rs, e->ranges, e->nranges * sizeof(*rs));
        n = merge_ranges(rs, e->nranges);
        for (i = 0; i < n; i++) {
            uint64_t run = rs[i].hi - rs[i].lo + 1; /* 0: the full range */

            if (run == 0 || run >= RANGE_MIN_RUN) {
                meshca_buf_reset(ranges);
                if ((r = meshca_buf_put_u64(ranges, rs[i].lo)) != 0 ||
                    (r = meshca_buf_put_u64(ranges, rs[i].hi)) != 0 ||
                    (r = put_subsection(sec, CERT_SERIAL_RANGE, ranges)) != 0)
                    goto out;
            } else {
                uint64_t k;

                for (k = 0; k < run; k++)
                    if ((r = meshca_buf_put_u64(ids, rs[i].lo + k)) != 0)
                        goto out;
            }
        }
        /* The single serials: one list subsection. */
        if ((r = put_subsection(sec, CERT_SERIAL_LIST, ids)) != 0)
            goto out;
        meshca_buf_reset(ids);
    }
    if (e->nkey_ids > 0) {
        if ((sorted = malloc(e->nkey_ids * sizeof(*sorted))) == NULL)
            goto out;
        memcpy(sorted, e->key_ids, e->nkey_ids * sizeof(*sorted));
        qsort(sorted, e->nkey_ids, sizeof(*sorted), cmp_str);
        for (i = 0; i < e->nkey_ids; i++) {
            if (i > 0 && strcmp(sorted[i], sorted[i - 1]) == 0)
                continue;
            if ((r = meshca_buf_put_cstring(ids, sorted[i])) != 0)
                goto out;
        }
        if ((r = put_subsection(sec, CERT_KEY_ID, ids)) != 0)
            goto out;
    }
    if ((r = meshca_buf_put_u8(out, SECTION_CERTIFICATES)) != 0)
        goto out;
    /* section data = string ca_key, string reserved, subsections */
    meshca_buf_reset(list);
    if ((r = meshca_buf_put_string(list, e->ca.d, e->ca.len)) != 0 ||
        (r = meshca_buf_put_string(list, NULL, 0)) != 0 ||
        (r = meshca_buf_putb(list, sec)) != 0 ||
        (r = meshca_buf_put_stringb(out, list)) != 0)
        goto out;
    r = 0;
out:
    free(rs);
    free(sorted);
    meshca_buf_free(sec);
    meshca_buf_free(list);
    meshca_buf_free(ranges);
    meshca_buf_free(ids);
    return r;
}

int
krl_build(const struct krl_builder *b, uint64_t krl_version,
    uint64_t generated_date, const char *comment, uint8_t **blobp,
    size_t *lenp)
{
    struct meshca_buf *out = NULL, *sec = NULL;
    struct ca_entry *cas = NULL;
    uint8_t (*fps)[32] = NULL;
    struct blob *keys = NULL;
    size_t i;
    int r = MESHCA_ERR_ALLOC;

    *blobp = NULL;
    *lenp = 0;
    if ((out = meshca_buf_new(KRL_MAX_SIZE)) == NULL ||
        (sec = meshca_buf_new(KRL_MAX_SIZE)) == NULL)
        goto out;
    if ((r = meshca_buf_put(out, KRL_MAGIC, 8)) != 0 ||
        (r = meshca_buf_put_u32(out, KRL_FORMAT_VERSION)) != 0 ||
        (r = meshca_buf_put_u64(out, krl_version)) != 0 ||
        (r = meshca_buf_put_u64(out, generated_date)) != 0 ||
        (r = meshca_buf_put_u64(out, 0)) != 0 ||
        (r = meshca_buf_put_string(out, NULL, 0)) != 0 ||
        (r = meshca_buf_put_cstring(out, comment ? comment : "")) != 0)
        goto out;
    /* CA sections in blob order, for determinism. */
    if (b->ncas > 0) {
        r = MESHCA_ERR_ALLOC;
        if ((cas = malloc(b->ncas * sizeof(*cas))) == NULL)
            goto out;
        memcpy(cas, b->cas, b->ncas * sizeof(*cas));
        qsort(cas, b->ncas, sizeof(*cas), cmp_ca);
        for (i = 0; i < b->ncas; i++)
            if ((r = put_ca_section(out, &cas[i])) != 0)
                goto out;
    }
    if (b->nkeys > 0) {
        r = MESHCA_ERR_ALLOC;
        if ((keys = malloc(b->nkeys * sizeof(*keys))) == NULL)
            goto out;
        memcpy(keys, b->keys, b->nkeys * sizeof(*keys));
        qsort(keys, b->nkeys, sizeof(*keys), cmp_blob);
        meshca_buf_reset(sec);
        for (i = 0; i < b->nkeys; i++) {
            if (i > 0 && cmp_blob(&keys[i], &keys[i - 1]) == 0)
                continue;
            if ((r = meshca_buf_put_string(sec, keys[i].d, keys[i].len)) != 0)
                goto out;
        }
        if ((r = put_subsection(out, SECTION_EXPLICIT_KEY, sec)) != 0)
            goto out;
    }
    if (b->nsha256 > 0) {
        r = MESHCA_ERR_ALLOC;
        if ((fps = malloc(b->nsha256 * 32)) == NULL)
            goto out;
        memcpy(fps, b->sha256, b->nsha256 * 32);
        qsort(fps, b->nsha256, 32, cmp_fp32);
        meshca_buf_reset(sec);
        for (i = 0; i < b->nsha256; i++) {
            if (i > 0 && memcmp(fps[i], fps[i - 1], 32) == 0)
                continue;
            if ((r = meshca_buf_put_string(sec, fps[i], 32)) != 0)
                goto out;
        }
        if ((r = put_subsection(out, SECTION_FINGERPRINT_SHA256, sec)) != 0)
            goto out;
    }
    if ((*blobp = malloc(meshca_buf_len(out))) == NULL) {
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    memcpy(*blobp, meshca_buf_ptr(out), meshca_buf_len(out));
    *lenp = meshca_buf_len(out);
    r = 0;
out:
    free(cas);
    free(keys);
    free(fps);
    meshca_buf_free(out);
    meshca_buf_free(sec);
    return r;
}

/* Parsing */

void
krl_free(struct krl *k)
{
    size_t i;

    if (k == NULL)
        return;
    for (i = 0; i < k->ncas; i++)
        ca_entry_clear(&k->cas[i]);
    free(k->cas);
    free(k->sha256);
    free(k->sha1);
    blobs_free(k->keys, k->nkeys);
    free(k);
}

static int
parse_ca_section(struct krl *k, struct meshca_buf *sec)
{
    struct ca_entry *e;
    struct meshca_buf *sub = NULL;
    const uint8_t *ca, *p;
    size_t calen, plen;
    uint64_t lo, hi;
    uint8_t type;
    char *id = NULL;
    int r;

    if ((r = meshca_buf_get_string_direct(sec, &ca, &calen)) != 0 ||
        (r = meshca_buf_get_string_direct(sec, NULL, NULL)) != 0)
        return MESHCA_ERR_KRL_INVALID;
    if ((r = cas_get(&k->cas, &k->ncas, ca, calen, &e)) != 0)
        return r;
    while (meshca_buf_len(sec) > 0) {
        if (meshca_buf_get_u8(sec, &type) != 0 || meshca_buf_get_stringb(sec, &sub) != 0)
            return MESHCA_ERR_KRL_INVALID;
        r = 0;
        switch (type) {
        case CERT_SERIAL_LIST:
            while (r == 0 && meshca_buf_len(sub) > 0) {
                if (meshca_buf_get_u64(sub, &lo) != 0)
                    r = MESHCA_ERR_KRL_INVALID;
                else if (lo == 0)
                    r = MESHCA_ERR_KRL_SERIAL_ZERO;
                else
                    r = add_range(e, lo, lo);
            }
            break;
        case CERT_SERIAL_RANGE:
            if (meshca_buf_get_u64(sub, &lo) != 0 || meshca_buf_get_u64(sub, &hi) != 0 ||
                meshca_buf_len(sub) != 0 || lo > hi)
                r = MESHCA_ERR_KRL_INVALID;
            else if (lo == 0)
                r = MESHCA_ERR_KRL_SERIAL_ZERO;
            else
                r = add_range(e, lo, hi);
            break;
        case CERT_SERIAL_BITMAP:
            if (meshca_buf_get_u64(sub, &lo) != 0 ||
                meshca_buf_get_bignum2_bytes_direct(sub, &p, &plen) != 0 ||
                meshca_buf_len(sub) != 0)
                r = MESHCA_ERR_KRL_INVALID;
            else {
                /* Bit i (from the least significant) revokes lo + i. */
                size_t byte, bit;

                for (byte = 0; r == 0 && byte < plen; byte++)
                    for (bit = 0; r == 0 && bit < 8; bit++) {
                        uint64_t s;

                        if (!(p[plen - 1 - byte] & (1u << bit)))
                            continue;
                        s = lo + byte * 8 + bit;
                        if (s < lo)
                            r = MESHCA_ERR_KRL_INVALID;
                        else if (s == 0)
                            r = MESHCA_ERR_KRL_SERIAL_ZERO;
                        else
                            r = add_range(e, s, s);
                    }
            }
            break;
        case CERT_KEY_ID:
            while (r == 0 && meshca_buf_len(sub) > 0) {
                if (meshca_buf_get_cstring(sub, &id, NULL) != 0)
                    r = MESHCA_ERR_KRL_INVALID;
                else {
                    r = add_key_id(e, id);
                    free(id);
                    id = NULL;
                }
            }
            break;
        default:
            r = MESHCA_ERR_KRL_INVALID;
        }
        meshca_buf_free(sub);
        sub = NULL;
        if (r != 0)
            return r;
    }
    return 0;
}

int
krl_parse(const uint8_t *blob, size_t len, struct krl **krlp)
{
    struct meshca_buf *b = NULL, *sec = NULL;
    struct krl *k = NULL;
    uint8_t magic[8], type;
    uint32_t format;
    const uint8_t *p;
    size_t plen, i;
    int r = MESHCA_ERR_KRL_INVALID, signed_seen = 0;

    *krlp = NULL;
    if (len > KRL_MAX_SIZE || (b = meshca_buf_from(blob, len)) == NULL ||
        (k = calloc(1, sizeof(*k))) == NULL) {
        r = len > KRL_MAX_SIZE ? MESHCA_ERR_KRL_INVALID : MESHCA_ERR_ALLOC;
        goto out;
    }
    if (meshca_buf_get(b, magic, 8) != 0 || memcmp(magic, KRL_MAGIC, 8) != 0 ||
        meshca_buf_get_u32(b, &format) != 0)
        goto out;
    if (format != KRL_FORMAT_VERSION) {
        r = MESHCA_ERR_KRL_VERSION;
        goto out;
    }
    if (meshca_buf_get_u64(b, &k->version) != 0 ||
        meshca_buf_get_u64(b, &k->generated) != 0 || meshca_buf_get_u64(b, NULL) != 0 ||
        meshca_buf_get_string_direct(b, NULL, NULL) != 0 ||
        meshca_buf_get_string_direct(b, NULL, NULL) != 0)
        goto out;
    while (meshca_buf_len(b) > 0) {
        if (meshca_buf_get_u8(b, &type) != 0 || meshca_buf_get_stringb(b, &sec) != 0)
            goto out;
        if (signed_seen && type != SECTION_SIGNATURE)
            goto out; /* signatures come last */
        switch (type) {
        case SECTION_CERTIFICATES:
            if ((r = parse_ca_section(k, sec)) != 0)
                goto out;
            r = MESHCA_ERR_KRL_INVALID;
            break;
        case SECTION_EXPLICIT_KEY:
            while (meshca_buf_len(sec) > 0) {
                if (meshca_buf_get_string_direct(sec, &p, &plen) != 0 ||
                    plen == 0 ||
                    blobs_append(&k->keys, &k->nkeys, p, plen) != 0)
                    goto out;
            }
            break;
        case SECTION_FINGERPRINT_SHA1:
        case SECTION_FINGERPRINT_SHA256:
            while (meshca_buf_len(sec) > 0) {
                size_t want = type == SECTION_FINGERPRINT_SHA1 ? 20 : 32;

                if (meshca_buf_get_string_direct(sec, &p, &plen) != 0 ||
                    plen != want)
                    goto out;
                if (want == 20) {
                    uint8_t (*n)[20] = realloc(k->sha1, (k->nsha1 + 1) * 20);

                    if (n == NULL)
                        goto out;
                    k->sha1 = n;
                    memcpy(k->sha1[k->nsha1++], p, 20);
                } else if (sha256_append(&k->sha256, &k->nsha256, p) != 0)
                    goto out;
            }
            break;
        case SECTION_SIGNATURE:
            /* string signing key, string signature: parsed, not checked. */
            signed_seen = 1;
            if (meshca_buf_get_string_direct(sec, NULL, NULL) != 0 ||
                meshca_buf_get_string_direct(sec, NULL, NULL) != 0 ||
                meshca_buf_len(sec) != 0)
                goto out;
            break;
        default:
            goto out;
        }
        meshca_buf_free(sec);
        sec = NULL;
    }
    /* Index for lookups. */
    for (i = 0; i < k->ncas; i++) {
        k->cas[i].nranges = merge_ranges(k->cas[i].ranges, k->cas[i].nranges);
        if (k->cas[i].nkey_ids > 1)
            qsort(k->cas[i].key_ids, k->cas[i].nkey_ids, sizeof(char *),
                cmp_str);
    }
    if (k->nsha256 > 1)
        qsort(k->sha256, k->nsha256, 32, cmp_fp32);
    if (k->nsha1 > 1)
        qsort(k->sha1, k->nsha1, 20, cmp_fp20);
    *krlp = k;
    k = NULL;
    r = 0;
out:
    meshca_buf_free(sec);
    meshca_buf_free(b);
    krl_free(k);
    return r;
}

uint64_t
krl_version(const struct krl *k)
{
    return k->version;
}

uint64_t
krl_generated_date(const struct krl *k)
{
    return k->generated;
}

int
krl_check_key(const struct krl *k, const uint8_t *key_blob, size_t len)
{
    uint8_t h256[32], h1[20];
    size_t i;

    if (k->nsha256 > 0) {
        SHA256(key_blob, len, h256);
        if (bsearch(h256, k->sha256, k->nsha256, 32, cmp_fp32) != NULL)
            return 1;
    }
    if (k->nsha1 > 0) {
        SHA1(key_blob, len, h1);
        if (bsearch(h1, k->sha1, k->nsha1, 20, cmp_fp20) != NULL)
            return 1;
    }
    for (i = 0; i < k->nkeys; i++)
        if (k->keys[i].len == len && memcmp(k->keys[i].d, key_blob, len) == 0)
            return 1;
    return 0;
}

static int
serial_in(const struct ca_entry *e, uint64_t serial)
{
    size_t lo = 0, hi = e->nranges;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (serial < e->ranges[mid].lo)
            hi = mid;
        else if (serial > e->ranges[mid].hi)
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
}

static int
cert_in_entry(const struct ca_entry *e, uint64_t serial, const char *key_id)
{
    if (serial_in(e, serial))
        return 1;
    return key_id != NULL && e->nkey_ids > 0 &&
        bsearch(&key_id, e->key_ids, e->nkey_ids, sizeof(char *), cmp_str) !=
        NULL;
}

int
krl_check_cert(const struct krl *k, const uint8_t *ca_blob, size_t ca_len,
    uint64_t serial, const char *key_id, const uint8_t *key_blob,
    size_t key_len)
{
    const struct ca_entry *e;

    /* The subject key, or the CA key itself, revoked outright. */
    if (krl_check_key(k, key_blob, key_len) ||
        krl_check_key(k, ca_blob, ca_len))
        return 1;
    if ((e = find_ca(k->cas, k->ncas, ca_blob, ca_len)) != NULL &&
        cert_in_entry(e, serial, key_id))
        return 1;
    /* An empty CA key in a certificates section means any CA. */
    if ((e = find_ca(k->cas, k->ncas, NULL, 0)) != NULL &&
        cert_in_entry(e, serial, key_id))
        return 1;
    return 0;
}

/* Header: magic (8), format_version (u32), krl_version (u64), then
 * generated_date (u64). */
#define KRL_DATE_OFF (8 + 4 + 8)

int
krl_content_hash(const uint8_t *blob, size_t len, uint8_t md[32])
{
    static const uint8_t zero[8];
    EVP_MD_CTX *ctx = NULL;
    unsigned int mdlen = 0;
    int r = MESHCA_ERR_KRL_INVALID;

    if (blob == NULL || len < KRL_DATE_OFF + 8 ||
        memcmp(blob, KRL_MAGIC, 8) != 0)
        goto out;
    r = MESHCA_ERR_LIBCRYPTO;
    if ((ctx = EVP_MD_CTX_new()) == NULL ||
        EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
        EVP_DigestUpdate(ctx, blob, KRL_DATE_OFF) != 1 ||
        EVP_DigestUpdate(ctx, zero, sizeof(zero)) != 1 ||
        EVP_DigestUpdate(ctx, blob + KRL_DATE_OFF + 8,
        len - KRL_DATE_OFF - 8) != 1 ||
        EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32)
        goto out;
    r = 0;
out:
    EVP_MD_CTX_free(ctx);
    return r;
}
