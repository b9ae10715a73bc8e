/* SSH public keys: parse, validate, fingerprint, serialize.  See meshca/key.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>

#include "meshca/key.h"

#include "keyline.h"

#define CERT_SUFFIX "-cert-v01@openssh.com"
#define RSA_MIN_BITS 2048
#define RSA_MAX_BITS 8192
#define RSA_MIN_EXPONENT 65537UL
#define RSA_MAX_EXPONENT_BITS 32 /* e < 2^32 */
#define SK_APPLICATION_MAX 1024
#define LINE_MAX_LEN 16384

struct keytype {
    enum key_type type;
    const char *name;
    const char *cert_name;
    const char *curve;  /* SSH curve name for ECDSA types */
    const char *group;  /* OpenSSL group name for ECDSA types */
    int nid;            /* curve NID for ECDSA types */
    size_t point_len;   /* uncompressed point length for ECDSA types */
    unsigned bits;
    int sk;
};

static const struct keytype keytypes[] = {
    { KEY_ED25519, "ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com", NULL,
        NULL, NID_undef, 0, 256, 0 },
    { KEY_ECDSA_P256, "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp256-cert-v01@openssh.com", "nistp256", "P-256",
        NID_X9_62_prime256v1, 65, 256, 0 },
    { KEY_ECDSA_P384, "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp384-cert-v01@openssh.com", "nistp384", "P-384",
        NID_secp384r1, 97, 384, 0 },
    { KEY_ECDSA_P521, "ecdsa-sha2-nistp521",
        "ecdsa-sha2-nistp521-cert-v01@openssh.com", "nistp521", "P-521",
        NID_secp521r1, 133, 521, 0 },
    { KEY_RSA, "ssh-rsa", "ssh-rsa-cert-v01@openssh.com", NULL, NULL,
        NID_undef, 0, 0, 0 },
    { KEY_SK_ED25519, "sk-ssh-ed25519@openssh.com",
        "sk-ssh-ed25519-cert-v01@openssh.com", NULL, NULL, NID_undef, 0, 256,
        1 },
    { KEY_SK_ECDSA_P256, "sk-ecdsa-sha2-nistp256@openssh.com",
        "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com", "nistp256", "P-256",
        NID_X9_62_prime256v1, 65, 256, 1 },
};
#define NKEYTYPES (sizeof(keytypes) / sizeof(keytypes[0]))

struct meshca_key {
    const struct keytype *kt;
    uint8_t *blob;
    size_t blob_len;
    size_t fields_off; /* where the fields start in blob */
    EVP_PKEY *pkey;    /* NULL for sk types */
    char *application; /* sk types only */
    char *comment;
    unsigned bits;
    uint8_t fp[KEY_FP_RAW_LEN];
};

static int
name_is(const char *want, const char *name, size_t len)
{
    return strlen(want) == len && memcmp(want, name, len) == 0;
}

static const struct keytype *
keytype_by_name(const char *name, size_t len)
{
    size_t i;

    for (i = 0; i < NKEYTYPES; i++) {
        if (name_is(keytypes[i].name, name, len))
            return &keytypes[i];
    }
    return NULL;
}

int
meshca_key_type_from_name(const char *name, size_t len, enum key_type *typep)
{
    const struct keytype *kt = NULL;
    size_t slen = strlen(CERT_SUFFIX);

    if ((kt = keytype_by_name(name, len)) != NULL) {
        if (typep != NULL)
            *typep = kt->type;
        return 0;
    }
    if (name_is("ssh-dss", name, len))
        return MESHCA_ERR_KEY_TYPE_REFUSED;
    if (len > slen && memcmp(name + len - slen, CERT_SUFFIX, slen) == 0)
        return MESHCA_ERR_KEY_IS_CERT;
    return MESHCA_ERR_KEY_TYPE_UNKNOWN;
}

const char *
meshca_key_plain_name_for_cert(const char *cert_name, size_t len)
{
    size_t i;

    for (i = 0; i < NKEYTYPES; i++) {
        if (name_is(keytypes[i].cert_name, cert_name, len))
            return keytypes[i].name;
    }
    return NULL;
}

void
meshca_key_free(struct meshca_key *k)
{
    if (k == NULL)
        return;
    free(k->blob);
    EVP_PKEY_free(k->pkey);
    free(k->application);
    free(k->comment);
    free(k);
}

/* An EC public key from an uncompressed point; checks it lies on the curve
 * and is not the point at infinity. */
static int
ec_pkey_from_point(const struct keytype *kt, const uint8_t *q, size_t qlen,
    EVP_PKEY **pkeyp)
{
    OSSL_PARAM params[3];
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *pkey = NULL;
    int r = MESHCA_ERR_KEY_INVALID_EC_POINT;

    *pkeyp = NULL;
    /* OpenSSH writes uncompressed points only; infinity is a lone 0x00. */
    if (qlen != kt->point_len || q[0] != 0x04)
        goto out;
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
        (char *)kt->group, 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
        (void *)q, qlen);
    params[2] = OSSL_PARAM_construct_end();
    if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL) {
        r = MESHCA_ERR_LIBCRYPTO;
        goto out;
    }
    if (EVP_PKEY_fromdata_init(ctx) != 1) {
        r = MESHCA_ERR_LIBCRYPTO;
        goto out;
    }
    /* Decoding the point refuses coordinates out of range or off the curve. */
    if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
        goto out;
    EVP_PKEY_CTX_free(ctx);
    if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL) {
        r = MESHCA_ERR_LIBCRYPTO;
        goto out;
    }
    /* The NIST curves have cofactor 1: on the curve and not infinity is
     * enough, so the quick check (no scalar multiplication) suffices. */
    if (EVP_PKEY_public_check_quick(ctx) != 1)
        goto out;
    *pkeyp = pkey;
    pkey = NULL;
    r = 0;
out:
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pkey);
    return r;
}

static int
rsa_pkey_from_bytes(const uint8_t *e, size_t elen, const uint8_t *n,
    size_t nlen, EVP_PKEY **pkeyp, unsigned *bitsp)
{
    BIGNUM *bn_e = NULL, *bn_n = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *pkey = NULL;
    int r = MESHCA_ERR_LIBCRYPTO;

    *pkeyp = NULL;
    if ((bn_e = BN_bin2bn(e, (int)elen, NULL)) == NULL ||
        (bn_n = BN_bin2bn(n, (int)nlen, NULL)) == NULL)
        goto out;
    if (BN_num_bits(bn_n) < RSA_MIN_BITS) {
        r = MESHCA_ERR_KEY_TOO_SMALL;
        goto out;
    }
    /* A 16384-bit "modulus" is no real key and costs every verifier. */
    if (BN_num_bits(bn_n) > RSA_MAX_BITS) {
        r = MESHCA_ERR_KEY_TOO_LARGE;
        goto out;
    }
    /* What key generators make: e odd, 65537 <= e < 2^32.  e = 3 invites
     * the small-exponent attacks; e = n - 2 is no key at all. */
    if (!BN_is_odd(bn_e) || BN_num_bits(bn_e) > RSA_MAX_EXPONENT_BITS ||
        BN_get_word(bn_e) < RSA_MIN_EXPONENT || BN_cmp(bn_e, bn_n) >= 0) {
        r = MESHCA_ERR_KEY_BAD_EXPONENT;
        goto out;
    }
    if (!BN_is_odd(bn_n)) {
        r = MESHCA_ERR_INVALID_FORMAT;
        goto out;
    }
    if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) ||
        (params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
        goto out;
    if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
        EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
        goto out;
    *bitsp = (unsigned)BN_num_bits(bn_n);
    *pkeyp = pkey;
    pkey = NULL;
    r = 0;
out:
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn_e);
    BN_free(bn_n);
    return r;
}

/*
 * Ed25519 public key checks, beyond OpenSSH (which checks the length only).
 * The encoding is y (255 bits, little-endian) with the sign of x in the top
 * bit.  Refused: y >= p (a non-canonical encoding), a y for which no x
 * exists (not on the curve), and the 8 points of small order: with such a
 * key (the identity, for which R = identity, S = 0 verifies any message) a
 * signature proves nothing.  The small-order points are exactly those with
 * y in { 0, 1, p - 1, y8, p - y8 } (y8 below, as in libsodium's blocklist),
 * so checking y covers both signs of x, and with them the non-canonical
 * "x = 0 with the sign bit set" encodings (x = 0 only for y = +-1).
 */
static const uint8_t ed25519_y8[32] = {
    0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89,
    0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39,
    0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05,
};

/* 1 when y (< p) is the y of a small-order point; t is scratch.  Refuses
 * (1) when OpenSSL fails, rather than accept. */
static int
ed25519_y_small_order(const BIGNUM *y, const BIGNUM *p, BIGNUM *t)
{
    if (BN_is_zero(y) || BN_is_one(y))
        return 1;
    if (!BN_sub(t, p, y) || BN_is_one(t)) /* y = p - 1 */
        return 1;
    if (BN_lebin2bn(ed25519_y8, sizeof(ed25519_y8), t) == NULL ||
        BN_cmp(y, t) == 0)
        return 1;
    if (!BN_sub(t, p, t) || BN_cmp(y, t) == 0) /* y = p - y8 */
        return 1;
    return 0;
}

/* Returns 0 for a canonical point of large order, else
 * MESHCA_ERR_KEY_INVALID_EC_POINT, MESHCA_ERR_KEY_SMALL_ORDER or
 * MESHCA_ERR_LIBCRYPTO. */
static int
ed25519_check_point(const uint8_t pk[32])
{
    /* d = -121665 / 121666 mod p, big-endian */
    static const uint8_t d_be[32] = {
        0x52, 0x03, 0x6c, 0xee, 0x2b, 0x6f, 0xfe, 0x73, 0x8c, 0xc7, 0x40,
        0x79, 0x77, 0x79, 0xe8, 0x98, 0x00, 0x70, 0x0a, 0x4d, 0x41, 0x41,
        0xd8, 0xab, 0x75, 0xeb, 0x4d, 0xca, 0x13, 0x59, 0x78, 0xa3 };
    uint8_t enc[32];
    BN_CTX *ctx = NULL;
    BIGNUM *p, *y, *d, *u, *v, *t;
    int r = MESHCA_ERR_LIBCRYPTO, k;

    memcpy(enc, pk, sizeof(enc));
    enc[31] &= 0x7f; /* the sign of x */
    if ((ctx = BN_CTX_new()) == NULL)
        goto out;
    BN_CTX_start(ctx);
    p = BN_CTX_get(ctx);
    y = BN_CTX_get(ctx);
    d = BN_CTX_get(ctx);
    u = BN_CTX_get(ctx);
    v = BN_CTX_get(ctx);
    if ((t = BN_CTX_get(ctx)) == NULL)
        goto out;
    /* p = 2^255 - 19 */
    BN_zero(p);
    if (!BN_set_bit(p, 255) || !BN_sub_word(p, 19) ||
        BN_lebin2bn(enc, sizeof(enc), y) == NULL ||
        BN_bin2bn(d_be, sizeof(d_be), d) == NULL)
        goto out;
    if (BN_cmp(y, p) >= 0) {
        r = MESHCA_ERR_KEY_INVALID_EC_POINT;
        goto out;
    }
    if (ed25519_y_small_order(y, p, t)) {
        r = MESHCA_ERR_KEY_SMALL_ORDER;
        goto out;
    }
    /* x^2 = u / v with u = y^2 - 1, v = d y^2 + 1 (never 0: -1/d is not a
     * square).  A point exists iff u / v is a square mod p, and the
     * Legendre symbol is multiplicative with (1/v) = (v): so iff u v is.
     * u = 0 means y = +-1, refused above. */
    if (!BN_mod_sqr(t, y, p, ctx) || !BN_mod_sub(u, t, BN_value_one(), p, ctx) ||
        !BN_mod_mul(v, d, t, p, ctx) || !BN_mod_add(v, v, BN_value_one(), p, ctx) ||
        !BN_mod_mul(t, u, v, p, ctx) || (k = BN_kronecker(t, p, ctx)) == -2)
        goto out;
    if (BN_is_zero(u) || k != 1) {
        r = MESHCA_ERR_KEY_INVALID_EC_POINT;
        goto out;
    }
    r = 0;
out:
    if (ctx != NULL)
        BN_CTX_end(ctx);
    BN_CTX_free(ctx);
    return r;
}

/* Security-key application strings are printed and logged: printable
 * ASCII only, not empty. */
static int
sk_application_ok(const char *app, size_t len)
{
    size_t i;

    if (len == 0 || len > SK_APPLICATION_MAX)
        return 0;
    for (i = 0; i < len; i++) {
        if (app[i] < 0x20 || app[i] > 0x7e)
            return 0;
    }
    return 1;
}

/* Reads the fields of a key of type kt from b into k (pkey, bits,
 * application). */
static int
parse_fields(const struct keytype *kt, struct meshca_buf *b, struct meshca_key *k)
{
    const uint8_t *p = NULL, *q = NULL, *e = NULL, *n = NULL;
    size_t plen, qlen, elen, nlen, alen;
    EVP_PKEY *pkey = NULL;
    char *app = NULL;
    unsigned bits = kt->bits;
    int r;

    switch (kt->type) {
    case KEY_ED25519:
    case KEY_SK_ED25519:
        if ((r = meshca_buf_get_string_direct(b, &p, &plen)) != 0)
            goto out;
        if (plen != 32) {
            r = MESHCA_ERR_KEY_LENGTH;
            goto out;
        }
        if ((r = ed25519_check_point(p)) != 0)
            goto out;
        if (!kt->sk && (pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519,
            NULL, p, plen)) == NULL) {
            r = MESHCA_ERR_LIBCRYPTO;
            goto out;
        }
        break;
    case KEY_ECDSA_P256:
    case KEY_ECDSA_P384:
    case KEY_ECDSA_P521:
    case KEY_SK_ECDSA_P256:
        if ((r = meshca_buf_get_string_direct(b, &p, &plen)) != 0)
            goto out;
        if (!name_is(kt->curve, (const char *)p, plen)) {
            r = MESHCA_ERR_KEY_CURVE_MISMATCH;
            goto out;
        }
        if ((r = meshca_buf_get_string_direct(b, &q, &qlen)) != 0)
            goto out;
        if ((r = ec_pkey_from_point(kt, q, qlen, &pkey)) != 0)
            goto out;
        if (kt->sk) {
            /* Validated; sk signatures are not plain ECDSA, keep no pkey. */
            EVP_PKEY_free(pkey);
            pkey = NULL;
        }
        break;
    case KEY_RSA:
        if ((r = meshca_buf_get_bignum2_bytes_direct(b, &e, &elen)) != 0 ||
            (r = meshca_buf_get_bignum2_bytes_direct(b, &n, &nlen)) != 0)
            goto out;
        if ((r = rsa_pkey_from_bytes(e, elen, n, nlen, &pkey, &bits)) != 0)
            goto out;
        break;
    default:
        r = MESHCA_ERR_KEY_TYPE_UNKNOWN;
        goto out;
    }
    if (kt->sk) {
        if ((r = meshca_buf_get_cstring(b, &app, &alen)) != 0)
            goto out;
        if (!sk_application_ok(app, alen)) {
            r = MESHCA_ERR_KEY_APPLICATION;
            goto out;
        }
    }
    k->pkey = pkey;
    pkey = NULL;
    k->application = app;
    app = NULL;
    k->bits = bits;
    r = 0;
out:
    EVP_PKEY_free(pkey);
    free(app);
    return r;
}

static uint8_t *
memdup(const void *p, size_t len)
{
    uint8_t *d = NULL;

    if ((d = malloc(len == 0 ? 1 : len)) == NULL)
        return NULL;
    if (len > 0)
        memcpy(d, p, len);
    return d;
}

/*
 * Stores a copy of blob in k (k owns it; meshca_key_free releases it) and
 * fills the fingerprint. On failure k may hold the copy; the caller frees k.
 */
static int
finish_key(struct meshca_key *k, const uint8_t *blob, size_t blob_len,
    size_t fields_off)
{
    if ((k->blob = memdup(blob, blob_len)) == NULL)
        return MESHCA_ERR_ALLOC;
    k->blob_len = blob_len;
    k->fields_off = fields_off;
    if (EVP_Digest(blob, blob_len, k->fp, NULL, EVP_sha256(), NULL) != 1)
        return MESHCA_ERR_LIBCRYPTO;
    return 0;
}

int
meshca_key_from_blob(const uint8_t *blob, size_t len, struct meshca_key **keyp)
{
    struct meshca_buf *b = NULL;
    struct meshca_key *k = NULL;
    const struct keytype *kt = NULL;
    const uint8_t *name = NULL;
    size_t nlen, fields_off;
    int r;

    *keyp = NULL;
    if (blob == NULL || len == 0) {
        r = MESHCA_ERR_MESSAGE_INCOMPLETE;
        goto out;
    }
    if (len > KEY_BLOB_MAX) {
        r = MESHCA_ERR_INVALID_FORMAT;
        goto out;
    }
    if ((b = meshca_buf_from(blob, len)) == NULL ||
        (k = calloc(1, sizeof(*k))) == NULL) {
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    if ((r = meshca_buf_get_string_direct(b, &name, &nlen)) != 0)
        goto out;
    if ((r = meshca_key_type_from_name((const char *)name, nlen, NULL)) != 0)
        goto out;
    kt = keytype_by_name((const char *)name, nlen);
    k->kt = kt;
    fields_off = len - meshca_buf_len(b);
    if ((r = parse_fields(kt, b, k)) != 0)
        goto out;
    if (meshca_buf_len(b) != 0) {
        r = MESHCA_ERR_TRAILING_DATA;
        goto out;
    }
    if ((r = finish_key(k, blob, len, fields_off)) != 0)
        goto out;
    *keyp = k;
    k = NULL;
    r = 0;
out:
    meshca_key_free(k);
    meshca_buf_free(b);
    return r;
}

int
meshca_key_from_fields(const char *plain_type, struct meshca_buf *b, struct meshca_key **keyp)
{
    struct meshca_buf *blob = NULL;
    struct meshca_key *k = NULL;
    const struct keytype *kt = NULL;
    const uint8_t *start = NULL;
    size_t l0, flen, fields_off;
    int r;

    *keyp = NULL;
    if ((kt = keytype_by_name(plain_type, strlen(plain_type))) == NULL) {
        r = MESHCA_ERR_KEY_TYPE_UNKNOWN;
        goto out;
    }
    if ((k = calloc(1, sizeof(*k))) == NULL) {
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    k->kt = kt;
    /* Consuming never moves the bytes, so start stays valid. */
    start = meshca_buf_ptr(b);
    l0 = meshca_buf_len(b);
    if ((r = parse_fields(kt, b, k)) != 0)
        goto out;
    flen = l0 - meshca_buf_len(b);
    if ((blob = meshca_buf_new(KEY_BLOB_MAX)) == NULL) {
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    if ((r = meshca_buf_put_cstring(blob, kt->name)) != 0)
        goto out;
    fields_off = meshca_buf_len(blob);
    if ((r = meshca_buf_put(blob, start, flen)) != 0) {
        if (r == MESHCA_ERR_NO_BUFFER_SPACE)
            r = MESHCA_ERR_INVALID_FORMAT;
        goto out;
    }
    if ((r = finish_key(k, meshca_buf_ptr(blob), meshca_buf_len(blob),
        fields_off)) != 0)
        goto out;
    *keyp = k;
    k = NULL;
    r = 0;
out:
    meshca_key_free(k);
    meshca_buf_free(blob);
    return r;
}

int
meshca_key_from_line(const char *line, struct meshca_key **keyp)
{
    struct keyline kl;
    struct meshca_key *k = NULL;
    uint8_t *blob = NULL;
    size_t bloblen = 0;
    int r;

    *keyp = NULL;
    if ((r = keyline_split(line, LINE_MAX_LEN, &kl)) != 0)
        goto out;
    /* The type is judged first, so "ssh-dss" alone reads as refused. */
    if ((r = meshca_key_type_from_name(kl.type, kl.type_len, NULL)) != 0)
        goto out;
    if ((r = keyline_decode(&kl, &blob, &bloblen)) != 0)
        goto out;
    if ((r = meshca_key_from_blob(blob, bloblen, &k)) != 0)
        goto out;
    if (!keyline_type_is(&kl, k->kt->name)) {
        r = MESHCA_ERR_KEY_TYPE_MISMATCH;
        goto out;
    }
    if ((r = keyline_comment(&kl, &k->comment)) != 0)
        goto out;
    *keyp = k;
    k = NULL;
    r = 0;
out:
    free(blob);
    meshca_key_free(k);
    return r;
}

int
meshca_key_from_evp(EVP_PKEY *pkey, struct meshca_key **keyp)
{
    struct meshca_buf *b = NULL;
    BIGNUM *bn_n = NULL, *bn_e = NULL;
    const struct keytype *kt = NULL;
    uint8_t raw[1024], raw2[1024];
    char group[64];
    size_t len, i;
    int nid, nlen, elen, r;

    *keyp = NULL;
    if ((b = meshca_buf_new(KEY_BLOB_MAX)) == NULL) {
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    if (EVP_PKEY_is_a(pkey, "ED25519")) {
        len = 32;
        if (EVP_PKEY_get_raw_public_key(pkey, raw, &len) != 1 || len != 32) {
            r = MESHCA_ERR_LIBCRYPTO;
            goto out;
        }
        if ((r = meshca_buf_put_cstring(b, "ssh-ed25519")) != 0 ||
            (r = meshca_buf_put_string(b, raw, len)) != 0)
            goto out;
    } else if (EVP_PKEY_is_a(pkey, "EC")) {
        if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
            group, sizeof(group), NULL) != 1) {
            r = MESHCA_ERR_LIBCRYPTO;
            goto out;
        }
        if ((nid = OBJ_sn2nid(group)) == NID_undef)
            nid = EC_curve_nist2nid(group);
        for (i = 0; i < NKEYTYPES; i++) {
            if (!keytypes[i].sk && keytypes[i].curve != NULL &&
                keytypes[i].nid == nid)
                kt = &keytypes[i];
        }
        if (kt == NULL) {
            r = MESHCA_ERR_KEY_TYPE_UNKNOWN;
            goto out;
        }
        if (EVP_PKEY_get_octet_string_param(pkey,
            OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, raw, sizeof(raw),
            &len) != 1) {
            r = MESHCA_ERR_LIBCRYPTO;
            goto out;
        }
        if ((r = meshca_buf_put_cstring(b, kt->name)) != 0 ||
            (r = meshca_buf_put_cstring(b, kt->curve)) != 0 ||
            (r = meshca_buf_put_string(b, raw, len)) != 0)
            goto out;
    } else if (EVP_PKEY_is_a(pkey, "RSA")) {
        if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &bn_n) != 1 ||
            EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &bn_e) != 1) {
            r = MESHCA_ERR_LIBCRYPTO;
            goto out;
        }
        if (BN_num_bytes(bn_n) > (int)sizeof(raw) ||
            BN_num_bytes(bn_e) > (int)sizeof(raw2)) {
            r = MESHCA_ERR_BIGNUM_TOO_LARGE;
            goto out;
        }
        nlen = BN_bn2bin(bn_n, raw);
        elen = BN_bn2bin(bn_e, raw2);
        if ((r = meshca_buf_put_cstring(b, "ssh-rsa")) != 0 ||
            (r = meshca_buf_put_bignum2_bytes(b, raw2, (size_t)elen)) != 0 ||
            (r = meshca_buf_put_bignum2_bytes(b, raw, (size_t)nlen)) != 0)
            goto out;
    } else {
        r = MESHCA_ERR_KEY_TYPE_UNKNOWN;
        goto out;
    }
    r = meshca_key_from_blob(meshca_buf_ptr(b), meshca_buf_len(b), keyp);
out:
    BN_free(bn_n);
    BN_free(bn_e);
    meshca_buf_free(b);
    return r;
}

int
meshca_key_dup(const struct meshca_key *k, struct meshca_key **keyp)
{
    struct meshca_key *d = NULL;
    int r = MESHCA_ERR_ALLOC;

    *keyp = NULL;
    if ((d = calloc(1, sizeof(*d))) == NULL)
        goto out;
    d->kt = k->kt;
    d->bits = k->bits;
    d->fields_off = k->fields_off;
    memcpy(d->fp, k->fp, sizeof(d->fp));
    if ((d->blob = memdup(k->blob, k->blob_len)) == NULL)
        goto out;
    d->blob_len = k->blob_len;
    if (k->application != NULL &&
        (d->application = strdup(k->application)) == NULL)
        goto out;
    if (k->pkey != NULL) {
        if (EVP_PKEY_up_ref(k->pkey) != 1) {
            r = MESHCA_ERR_LIBCRYPTO;
            goto out;
        }
        d->pkey = k->pkey;
    }
    *keyp = d;
    d = NULL;
    r = 0;
out:
    meshca_key_free(d);
    return r;
}

enum key_type
meshca_key_type(const struct meshca_key *k)
{
    return k->kt->type;
}

const char *
meshca_key_type_name(const struct meshca_key *k)
{
    return k->kt->name;
}

const char *
meshca_key_cert_type_name(const struct meshca_key *k)
{
    return k->kt->cert_name;
}

const uint8_t *
meshca_key_blob(const struct meshca_key *k, size_t *lenp)
{
    if (lenp != NULL)
        *lenp = k->blob_len;
    return k->blob;
}

EVP_PKEY *
meshca_key_evp(const struct meshca_key *k)
{
    return k->pkey;
}

unsigned
meshca_key_bits(const struct meshca_key *k)
{
    return k->bits;
}

const char *
meshca_key_application(const struct meshca_key *k)
{
    return k->application;
}

const char *
meshca_key_comment(const struct meshca_key *k)
{
    return k->comment;
}

int
meshca_key_is_sk(const struct meshca_key *k)
{
    return k->kt->sk;
}

int
meshca_key_equal(const struct meshca_key *a, const struct meshca_key *b)
{
    return a->blob_len == b->blob_len &&
        memcmp(a->blob, b->blob, a->blob_len) == 0;
}

const uint8_t *
meshca_key_fingerprint_raw(const struct meshca_key *k)
{
    return k->fp;
}

int
meshca_key_fingerprint(const struct meshca_key *k, char **fpp)
{
    char *b64 = NULL, *fp = NULL;
    size_t len;
    int r;

    *fpp = NULL;
    if ((r = meshca_b64_encode(k->fp, sizeof(k->fp), 0, &b64)) != 0)
        goto out;
    len = strlen(b64);
    while (len > 0 && b64[len - 1] == '=')
        len--;
    if ((fp = malloc(7 + len + 1)) == NULL) {
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    memcpy(fp, "SHA256:", 7);
    memcpy(fp + 7, b64, len);
    fp[7 + len] = '\0';
    *fpp = fp;
    r = 0;
out:
    free(b64);
    return r;
}

int
meshca_key_to_line(const struct meshca_key *k, const char *comment, char **linep)
{
    return keyline_join(k->kt->name, k->blob, k->blob_len, comment, linep);
}

int
meshca_key_put_fields(const struct meshca_key *k, struct meshca_buf *b)
{
    return meshca_buf_put(b, k->blob + k->fields_off, k->blob_len - k->fields_off);
}

int
meshca_key_skip_fields(const struct meshca_key *k, struct meshca_buf *b)
{
    size_t flen = k->blob_len - k->fields_off;

    if (meshca_buf_len(b) < flen ||
        memcmp(meshca_buf_ptr(b), k->blob + k->fields_off, flen) != 0)
        return MESHCA_ERR_INVALID_FORMAT;
    return meshca_buf_consume(b, flen);
}
