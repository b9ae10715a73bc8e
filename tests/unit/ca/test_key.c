/* Unit tests for ca/key.c: parsing, validation, fingerprints, lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "meshca/buf.h"
#include "meshca/key.h"
#include "../../lib/unit.h"

/* Runs ssh-keygen -t ARGS into DIR/NAME and returns the .pub line. */
static char *
sshkeygen_pub(const char *dir, const char *name, const char *typeargs)
{
    char path[512];

    ASSERT_INT_EQ(unit_sh("ssh-keygen -q -N '' -C test-comment %s -f %s/%s "
                          "</dev/null >/dev/null 2>&1", typeargs, dir, name), 0);
    snprintf(path, sizeof(path), "%s/%s.pub", dir, name);
    return unit_read_file(path, NULL);
}

/* ssh-keygen -l's SHA256 fingerprint of FILE. */
static char *
sshkeygen_fp(const char *dir, const char *file)
{
    char path[512], *out, *sp, *end;

    ASSERT_INT_EQ(unit_sh("ssh-keygen -l -E sha256 -f %s/%s >%s/fp.out 2>&1",
                      dir, file, dir), 0);
    snprintf(path, sizeof(path), "%s/fp.out", dir);
    out = unit_read_file(path, NULL);
    ASSERT((sp = strchr(out, ' ')) != NULL);
    memmove(out, sp + 1, strlen(sp + 1) + 1);
    ASSERT((end = strchr(out, ' ')) != NULL);
    *end = '\0';
    return out;
}

static struct meshca_key *
parse_line_ok(const char *line)
{
    struct meshca_key *k = NULL;

    ASSERT_OK(meshca_key_from_line(line, &k));
    ASSERT(k != NULL);
    return k;
}

static int
blob_err(struct meshca_buf *b)
{
    struct meshca_key *k = (struct meshca_key *)1;
    int r = meshca_key_from_blob(meshca_buf_ptr(b), meshca_buf_len(b), &k);

    if (r == 0)
        meshca_key_free(k);
    else
        ASSERT(k == NULL);
    return r;
}

/* The magnitude of an OpenSSL bignum parameter of pkey. */
static size_t
bn_param(EVP_PKEY *pkey, const char *name, uint8_t *out, size_t max)
{
    BIGNUM *bn = NULL;
    int n;

    ASSERT(EVP_PKEY_get_bn_param(pkey, name, &bn) == 1);
    ASSERT(BN_num_bytes(bn) <= (int)max);
    n = BN_bn2bin(bn, out);
    BN_free(bn);
    return (size_t)n;
}

static struct meshca_buf *
rsa_blob(const uint8_t *e, size_t elen, const uint8_t *n, size_t nlen)
{
    struct meshca_buf *b = meshca_buf_new(KEY_BLOB_MAX);

    ASSERT(b != NULL);
    ASSERT_OK(meshca_buf_put_cstring(b, "ssh-rsa"));
    ASSERT_OK(meshca_buf_put_bignum2_bytes(b, e, elen));
    ASSERT_OK(meshca_buf_put_bignum2_bytes(b, n, nlen));
    return b;
}

/* A fresh valid uncompressed P-256 point. */
static size_t
p256_point(uint8_t *q, size_t max)
{
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    size_t len = 0;

    ASSERT(pkey != NULL);
    ASSERT(EVP_PKEY_get_octet_string_param(pkey,
        OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, q, max, &len) == 1);
    EVP_PKEY_free(pkey);
    ASSERT_INT_EQ(len, 65);
    return len;
}

static struct meshca_buf *
ec_blob(const char *type, const char *curve, const uint8_t *q, size_t qlen)
{
    struct meshca_buf *b = meshca_buf_new(KEY_BLOB_MAX);

    ASSERT(b != NULL);
    ASSERT_OK(meshca_buf_put_cstring(b, type));
    ASSERT_OK(meshca_buf_put_cstring(b, curve));
    ASSERT_OK(meshca_buf_put_string(b, q, qlen));
    return b;
}

TEST(test_key_parses_ssh_keygen_keys_of_every_type)
{
    static const struct {
        const char *args, *name;
        enum key_type type;
        unsigned bits;
    } cases[] = {
        { "-t ed25519", "ssh-ed25519", KEY_ED25519, 256 },
        { "-t ecdsa -b 256", "ecdsa-sha2-nistp256", KEY_ECDSA_P256, 256 },
        { "-t ecdsa -b 384", "ecdsa-sha2-nistp384", KEY_ECDSA_P384, 384 },
        { "-t ecdsa -b 521", "ecdsa-sha2-nistp521", KEY_ECDSA_P521, 521 },
        { "-t rsa -b 2048", "ssh-rsa", KEY_RSA, 2048 },
    };
    const char *dir = unit_tmpdir();
    char name[32], *line, *fp, *want_fp, *out;
    struct meshca_key *k;
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(name, sizeof(name), "k%zu", i);
        line = sshkeygen_pub(dir, name, cases[i].args);
        k = parse_line_ok(line);
        ASSERT_INT_EQ(meshca_key_type(k), cases[i].type);
        ASSERT_STR_EQ(meshca_key_type_name(k), cases[i].name);
        ASSERT_INT_EQ(meshca_key_bits(k), cases[i].bits);
        ASSERT_STR_EQ(meshca_key_comment(k), "test-comment");
        ASSERT(meshca_key_evp(k) != NULL);
        ASSERT(!meshca_key_is_sk(k));
        ASSERT(meshca_key_application(k) == NULL);
        /* Fingerprint as ssh-keygen -l prints it. */
        snprintf(name, sizeof(name), "k%zu.pub", i);
        want_fp = sshkeygen_fp(dir, name);
        ASSERT_OK(meshca_key_fingerprint(k, &fp));
        ASSERT_STR_EQ(fp, want_fp);
        /* The line we write back is the line ssh-keygen wrote. */
        ASSERT_OK(meshca_key_to_line(k, "test-comment", &out));
        line[strcspn(line, "\n")] = '\0';
        ASSERT_STR_EQ(out, line);
        free(out);
        free(fp);
        free(want_fp);
        free(line);
        meshca_key_free(k);
    }
}

TEST(test_key_line_roundtrip_and_ssh_keygen_reads_our_line)
{
    const char *dir = unit_tmpdir();
    char path[512], *line, *out, *fp1, *fp2;
    struct meshca_key *k, *k2;
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

    ASSERT(pkey != NULL);
    ASSERT_OK(meshca_key_from_evp(pkey, &k));
    EVP_PKEY_free(pkey);
    ASSERT_OK(meshca_key_to_line(k, "a comment with spaces", &line));
    k2 = parse_line_ok(line);
    ASSERT(meshca_key_equal(k, k2));
    ASSERT_STR_EQ(meshca_key_comment(k2), "a comment with spaces");
    snprintf(path, sizeof(path), "%s/our.pub", dir);
    unit_write_file(path, line, strlen(line));
    fp1 = sshkeygen_fp(dir, "our.pub");
    ASSERT_OK(meshca_key_fingerprint(k, &fp2));
    ASSERT_STR_EQ(fp1, fp2);
    /* Without a comment: two fields only. */
    ASSERT_OK(meshca_key_to_line(k, NULL, &out));
    ASSERT(strchr(strchr(out, ' ') + 1, ' ') == NULL);
    free(out);
    free(fp1);
    free(fp2);
    free(line);
    meshca_key_free(k);
    meshca_key_free(k2);
}

TEST(test_key_line_tolerates_whitespace_and_newline)
{
    struct meshca_key *k, *k2;
    char *line, *padded;
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    size_t len;

    ASSERT(pkey != NULL);
    ASSERT_OK(meshca_key_from_evp(pkey, &k));
    EVP_PKEY_free(pkey);
    ASSERT_OK(meshca_key_to_line(k, NULL, &line));
    len = strlen(line) + 16;
    ASSERT((padded = malloc(len)) != NULL);
    snprintf(padded, len, "  %s \r\n", line);
    k2 = parse_line_ok(padded);
    ASSERT(meshca_key_equal(k, k2));
    ASSERT(meshca_key_comment(k2) == NULL);
    free(line);
    free(padded);
    meshca_key_free(k);
    meshca_key_free(k2);
}

TEST(test_key_from_evp_matches_every_type)
{
    EVP_PKEY *pkeys[4];
    static const enum key_type types[] = { KEY_ED25519, KEY_ECDSA_P256,
        KEY_ECDSA_P384, KEY_ECDSA_P521 };
    struct meshca_key *k, *k2;
    const uint8_t *blob;
    size_t len, i;

    pkeys[0] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    pkeys[1] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    pkeys[2] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    pkeys[3] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
    for (i = 0; i < 4; i++) {
        ASSERT(pkeys[i] != NULL);
        ASSERT_OK(meshca_key_from_evp(pkeys[i], &k));
        ASSERT_INT_EQ(meshca_key_type(k), types[i]);
        blob = meshca_key_blob(k, &len);
        ASSERT_OK(meshca_key_from_blob(blob, len, &k2));
        ASSERT(meshca_key_equal(k, k2));
        /* The public key we derived is the private key's public half. */
        ASSERT(EVP_PKEY_eq(meshca_key_evp(k), pkeys[i]) == 1);
        meshca_key_free(k);
        meshca_key_free(k2);
        EVP_PKEY_free(pkeys[i]);
    }
}

TEST(test_key_fingerprint_raw_is_sha256_of_blob)
{
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    uint8_t want[32];
    const uint8_t *blob;
    struct meshca_key *k;
    size_t len;

    ASSERT(pkey != NULL);
    ASSERT_OK(meshca_key_from_evp(pkey, &k));
    blob = meshca_key_blob(k, &len);
    ASSERT(EVP_Digest(blob, len, want, NULL, EVP_sha256(), NULL) == 1);
    ASSERT_MEM_EQ(meshca_key_fingerprint_raw(k), want, 32);
    meshca_key_free(k);
    EVP_PKEY_free(pkey);
}

TEST(test_key_rejects_dss)
{
    struct meshca_buf *b = meshca_buf_new(1024);
    struct meshca_key *k = NULL;
    const uint8_t one = 1;

    ASSERT(b != NULL);
    ASSERT_OK(meshca_buf_put_cstring(b, "ssh-dss"));
    ASSERT_OK(meshca_buf_put_bignum2_bytes(b, &one, 1));
    ASSERT_OK(meshca_buf_put_bignum2_bytes(b, &one, 1));
    ASSERT_OK(meshca_buf_put_bignum2_bytes(b, &one, 1));
    ASSERT_OK(meshca_buf_put_bignum2_bytes(b, &one, 1));
    ASSERT_ERR(blob_err(b), MESHCA_ERR_KEY_TYPE_REFUSED);
    ASSERT_ERR(meshca_key_from_line("ssh-dss AAAAB3NzaC1kc3MAAAABAQ== x", &k),
        MESHCA_ERR_KEY_TYPE_REFUSED);
    ASSERT(k == NULL);
    meshca_buf_free(b);
}

TEST(test_key_rejects_small_rsa)
{
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    uint8_t n[1024], e[16];
    size_t nlen, elen;
    struct meshca_buf *b;
    struct meshca_key *k = NULL;

    ASSERT(pkey != NULL);
    nlen = bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, n, sizeof(n));
    elen = bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, e, sizeof(e));
    b = rsa_blob(e, elen, n, nlen);
    ASSERT_ERR(blob_err(b), MESHCA_ERR_KEY_TOO_SMALL);
    ASSERT_ERR(meshca_key_from_evp(pkey, &k), MESHCA_ERR_KEY_TOO_SMALL);
    meshca_buf_free(b);
    EVP_PKEY_free(pkey);
}

TEST(test_key_rejects_bad_rsa_exponents)
{
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    uint8_t n[1024], e[16];
    const uint8_t e_even[] = { 0x01, 0x00, 0x00 }, e_one[] = { 0x01 },
        e_three[] = { 0x03 };
    size_t nlen, elen;
    struct meshca_buf *b;

    ASSERT(pkey != NULL);
    nlen = bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, n, sizeof(n));
    elen = bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, e, sizeof(e));
    b = rsa_blob(e, elen, n, nlen);
    ASSERT_OK(blob_err(b));
    meshca_buf_free(b);
    b = rsa_blob(e_even, sizeof(e_even), n, nlen);
    ASSERT_ERR(blob_err(b), MESHCA_ERR_KEY_BAD_EXPONENT);
    meshca_buf_free(b);
    b = rsa_blob(e_one, sizeof(e_one), n, nlen);
    ASSERT_ERR(blob_err(b), MESHCA_ERR_KEY_BAD_EXPONENT);
    meshca_buf_free(b);
    b = rsa_blob(NULL, 0, n, nlen); /* e = 0 */
    ASSERT_ERR(blob_err(b), MESHCA_ERR_KEY_BAD_EXPONENT);
    meshca_buf_free(b);
    /* 3 is odd, and OpenSSH takes it; we want 65537 <= e < 2^32. */
    b = rsa_blob(e_three, sizeof(e_three), n, nlen);
    ASSERT_ERR(blob_err(b), MESHCA_ERR_KEY_BAD_EXPONENT);
    meshca_buf_free(b);
    EVP_PKEY_free(pkey);
}

TEST(test_key_rejects_absurd_rsa_exponents)
{
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    const uint8_t e_65535[] = { 0xff, 0xff }, e_max[] = { 0xff, 0xff, 0xff,
        0xff }, e_over[] = { 0x01, 0x00, 0x00, 0x00, 0x01 };
    uint8_t n[1024], e[1024];
    BIGNUM *bn = NULL;
    size_t nlen, elen;
    struct meshca_buf *b;

    ASSERT(pkey != NULL);
    nlen = bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, n, sizeof(n));
    /* e = n - 2: odd, below n, and no key at all. */
    ASSERT((bn = BN_bin2bn(n, (int)nlen, NULL)) != NULL);
    ASSERT(BN_sub_word(bn, 2) == 1);
    elen = (size_t)BN_bn2bin(bn, e);
    BN_free(bn);
    b = rsa_blob(e, elen, n, nlen);
    ASSERT_ERR(blob_err(b), MESHCA_ERR_KEY_BAD_EXPONENT);
    meshca_buf_free(b);
    b = rsa_blob(e_65535, sizeof(e_65535), n, nlen);
    ASSERT_ERR(blob_err(b), MESHCA_ERR_KEY_BAD_EXPONENT);
    meshca_buf_free(b);
    b = rsa_blob(e_over, sizeof(e_over), n, nlen); /* 2^32 + 1 */
    ASSERT_ERR(blob_err(b), MESHCA_ERR_KEY_BAD_EXPONENT);
    meshca_buf_free(b);
    b = rsa_blob(e_max, sizeof(e_max), n, nlen); /* 2^32 - 1: the largest */
    ASSERT_OK(blob_err(b));
    meshca_buf_free(b);
    EVP_PKEY_free(pkey);
}

TEST(test_key_rejects_rsa_modulus_over_8192_bits)
{
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    uint8_t e[16], n[16384 / 8];
    size_t elen;
    struct meshca_buf *b;

    ASSERT(pkey != NULL);
    elen = bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, e, sizeof(e));
    /* A fake 16384-bit "modulus": odd, top bit set. */
    memset(n, 0xa5, sizeof(n));
    n[0] = 0xc1;
    n[sizeof(n) - 1] |= 1;
    b = rsa_blob(e, elen, n, sizeof(n));
    ASSERT_ERR(blob_err(b), MESHCA_ERR_KEY_TOO_LARGE);
    meshca_buf_free(b);
    /* 8193 bits (1,025 bytes, the first 0x01): one too many. */
    n[sizeof(n) - 1025] = 0x01;
    b = rsa_blob(e, elen, n + sizeof(n) - 1025, 1025);
    ASSERT_ERR(blob_err(b), MESHCA_ERR_KEY_TOO_LARGE);
    meshca_buf_free(b);
    EVP_PKEY_free(pkey);
}

/*
 * An Ed25519 (or sk-ed25519, with application "ssh:") blob of the pklen
 * bytes of pk.
 */
static struct meshca_buf *
ed25519_blob(const char *type, const uint8_t *pk, size_t pklen)
{
    struct meshca_buf *b = meshca_buf_new(256);

    ASSERT(b != NULL);
    ASSERT_OK(meshca_buf_put_cstring(b, type));
    ASSERT_OK(meshca_buf_put_string(b, pk, pklen));
    if (strncmp(type, "sk-", 3) == 0)
        ASSERT_OK(meshca_buf_put_cstring(b, "ssh:"));
    return b;
}

/* The little-endian encoding of p - v (p = 2^255 - 19), for v small. */
static void
ed25519_p_minus(uint8_t out[32], uint8_t v)
{
    memset(out, 0xff, 32);
    out[31] = 0x7f;
    out[0] = (uint8_t)(0xed - v);
}

TEST(test_key_rejects_small_order_ed25519)
{
    /* y of the order-8 points (libsodium's blocklist); the other is p - y8. */
    static const uint8_t y8[32] = { 0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27,
        0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf,
        0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d,
        0x53, 0xfc, 0x05 };
    static const uint8_t y8neg[32] = { 0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d,
        0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a,
        0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77,
        0x92, 0xac, 0x03, 0x7a };
    static const char *const types[] = { "ssh-ed25519",
        "sk-ssh-ed25519@openssh.com" };
    uint8_t pts[5][32], pk[32];
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    size_t i, t, len = 32;
    struct meshca_buf *b;
    int sign;

    memset(pts, 0, sizeof(pts));
    pts[1][0] = 1;                /* the identity (0, 1): order 1 */
    ed25519_p_minus(pts[2], 1);   /* (0, -1): order 2 */
    memcpy(pts[3], y8, 32);       /* order 8 */
    memcpy(pts[4], y8neg, 32);    /* order 8 */
    /* pts[0], all zero: (+-sqrt(-1), 0), order 4 */
    for (t = 0; t < 2; t++) {
        for (i = 0; i < 5; i++) {
            for (sign = 0; sign < 2; sign++) {
                memcpy(pk, pts[i], 32);
                pk[31] |= (uint8_t)(sign << 7);
                b = ed25519_blob(types[t], pk, 32);
                ASSERT_ERR(blob_err(b), MESHCA_ERR_KEY_SMALL_ORDER);
                meshca_buf_free(b);
            }
        }
        /* Non-canonical: y = p + v for v = 0..18, i.e. y >= p (p + 0 and
         * p + 1 are the order-4 and order-1 points written the long way). */
        for (i = 0; i <= 18; i++) {
            for (sign = 0; sign < 2; sign++) {
                ed25519_p_minus(pk, 0);
                pk[0] = (uint8_t)(0xed + i);
                pk[31] |= (uint8_t)(sign << 7);
                b = ed25519_blob(types[t], pk, 32);
                ASSERT_ERR(blob_err(b), MESHCA_ERR_KEY_INVALID_EC_POINT);
                meshca_buf_free(b);
            }
        }
        /* A y with no x on the curve. */
        memset(pk, 0x42, sizeof(pk));
        b = ed25519_blob(types[t], pk, 32);
        ASSERT_ERR(blob_err(b), MESHCA_ERR_KEY_INVALID_EC_POINT);
        meshca_buf_free(b);
        /* A real key still parses, and so does y = 9 (a point of large
         * order, used by other tests). */
        ASSERT(pkey != NULL);
        ASSERT(EVP_PKEY_get_raw_public_key(pkey, pk, &len) == 1);
        b = ed25519_blob(types[t], pk, 32);
        ASSERT_OK(blob_err(b));
        meshca_buf_free(b);
        memset(pk, 0, sizeof(pk));
        pk[0] = 9;
        b = ed25519_blob(types[t], pk, 32);
        ASSERT_OK(blob_err(b));
        meshca_buf_free(b);
    }
    EVP_PKEY_free(pkey);
}

TEST(test_key_rejects_sk_application_not_printable)
{
    static const char *const bad[] = { "ssh:a\nssh-ed25519 AAAA", "ssh:\r",
        "ssh:\t", "ssh:\x7f", "ssh:\xc3\xa9", "" };
    uint8_t q[133];
    size_t qlen = p256_point(q, sizeof(q)), i;
    struct meshca_buf *b;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        b = ec_blob("sk-ecdsa-sha2-nistp256@openssh.com", "nistp256", q, qlen);
        ASSERT_OK(meshca_buf_put_cstring(b, bad[i]));
        ASSERT_ERR(blob_err(b), MESHCA_ERR_KEY_APPLICATION);
        meshca_buf_free(b);
    }
    b = ec_blob("sk-ecdsa-sha2-nistp256@openssh.com", "nistp256", q, qlen);
    ASSERT_OK(meshca_buf_put_cstring(b, "ssh:mesh ca~!"));
    ASSERT_OK(blob_err(b));
    meshca_buf_free(b);
}

TEST(test_key_rejects_non_minimal_and_negative_mpints)
{
    struct meshca_buf *b = meshca_buf_new(1024);
    const uint8_t e_padded[] = { 0x00, 0x01, 0x00, 0x01 };
    const uint8_t neg[] = { 0x80, 0x01 };

    ASSERT(b != NULL);
    ASSERT_OK(meshca_buf_put_cstring(b, "ssh-rsa"));
    ASSERT_OK(meshca_buf_put_string(b, e_padded, sizeof(e_padded)));
    ASSERT_OK(meshca_buf_put_string(b, neg, sizeof(neg)));
    ASSERT_ERR(blob_err(b), MESHCA_ERR_INVALID_FORMAT);
    meshca_buf_free(b);
    b = meshca_buf_new(1024);
    ASSERT_OK(meshca_buf_put_cstring(b, "ssh-rsa"));
    ASSERT_OK(meshca_buf_put_string(b, neg, sizeof(neg)));
    ASSERT_OK(meshca_buf_put_string(b, neg, sizeof(neg)));
    ASSERT_ERR(blob_err(b), MESHCA_ERR_BIGNUM_NEGATIVE);
    meshca_buf_free(b);
}

TEST(test_key_rejects_ec_point_off_curve_or_at_infinity)
{
    uint8_t q[133], bad[133];
    size_t qlen = p256_point(q, sizeof(q));
    struct meshca_buf *b;

    b = ec_blob("ecdsa-sha2-nistp256", "nistp256", q, qlen);
    ASSERT_OK(blob_err(b));
    meshca_buf_free(b);
    /* Y changed: no longer on the curve. */
    memcpy(bad, q, qlen);
    bad[qlen - 1] ^= 0x01;
    b = ec_blob("ecdsa-sha2-nistp256", "nistp256", bad, qlen);
    ASSERT_ERR(blob_err(b), MESHCA_ERR_KEY_INVALID_EC_POINT);
    meshca_buf_free(b);
    /* The point at infinity. */
    bad[0] = 0x00;
    b = ec_blob("ecdsa-sha2-nistp256", "nistp256", bad, 1);
    ASSERT_ERR(blob_err(b), MESHCA_ERR_KEY_INVALID_EC_POINT);
    meshca_buf_free(b);
    /* Compressed form: OpenSSH never writes it. */
    memcpy(bad, q, qlen);
    bad[0] = 0x02 | (q[qlen - 1] & 1);
    b = ec_blob("ecdsa-sha2-nistp256", "nistp256", bad, 33);
    ASSERT_ERR(blob_err(b), MESHCA_ERR_KEY_INVALID_EC_POINT);
    meshca_buf_free(b);
    /* All-zero coordinates. */
    memset(bad, 0, qlen);
    bad[0] = 0x04;
    b = ec_blob("ecdsa-sha2-nistp256", "nistp256", bad, qlen);
    ASSERT_ERR(blob_err(b), MESHCA_ERR_KEY_INVALID_EC_POINT);
    meshca_buf_free(b);
    /* X beyond the field prime. */
    memset(bad + 1, 0xff, 32);
    memcpy(bad + 33, q + 33, 32);
    b = ec_blob("ecdsa-sha2-nistp256", "nistp256", bad, qlen);
    ASSERT_ERR(blob_err(b), MESHCA_ERR_KEY_INVALID_EC_POINT);
    meshca_buf_free(b);
}

TEST(test_key_rejects_curve_not_matching_type)
{
    uint8_t q[133];
    size_t qlen = p256_point(q, sizeof(q));
    struct meshca_buf *b;

    b = ec_blob("ecdsa-sha2-nistp384", "nistp256", q, qlen);
    ASSERT_ERR(blob_err(b), MESHCA_ERR_KEY_CURVE_MISMATCH);
    meshca_buf_free(b);
    b = ec_blob("ecdsa-sha2-nistp256", "nistp384", q, qlen);
    ASSERT_ERR(blob_err(b), MESHCA_ERR_KEY_CURVE_MISMATCH);
    meshca_buf_free(b);
    /* A P-256 point under a P-384 type and curve name: wrong length. */
    b = ec_blob("ecdsa-sha2-nistp384", "nistp384", q, qlen);
    ASSERT_ERR(blob_err(b), MESHCA_ERR_KEY_INVALID_EC_POINT);
    meshca_buf_free(b);
}

TEST(test_key_rejects_wrong_ed25519_length)
{
    uint8_t pk[33] = { 0 };
    struct meshca_buf *b;

    b = ed25519_blob("ssh-ed25519", pk, 31);
    ASSERT_ERR(blob_err(b), MESHCA_ERR_KEY_LENGTH);
    meshca_buf_free(b);
    b = ed25519_blob("ssh-ed25519", pk, 33);
    ASSERT_ERR(blob_err(b), MESHCA_ERR_KEY_LENGTH);
    meshca_buf_free(b);
}

TEST(test_key_rejects_trailing_and_truncated_data)
{
    uint8_t pk[32] = { 9 };
    struct meshca_buf *b = ed25519_blob("ssh-ed25519", pk, 32);

    ASSERT_OK(blob_err(b));
    ASSERT_OK(meshca_buf_put_u8(b, 0));
    ASSERT_ERR(blob_err(b), MESHCA_ERR_TRAILING_DATA);
    meshca_buf_reset(b);
    ASSERT_OK(meshca_buf_put_cstring(b, "ssh-ed25519"));
    ASSERT_OK(meshca_buf_put_u32(b, 32));
    ASSERT_OK(meshca_buf_put(b, pk, 20));
    ASSERT_ERR(blob_err(b), MESHCA_ERR_MESSAGE_INCOMPLETE);
    meshca_buf_free(b);
}

TEST(test_key_rejects_certificate_offered_as_key)
{
    const char *dir = unit_tmpdir();
    char path[512], *pub, *cert, *b64, *sp;
    uint8_t *blob = NULL;
    size_t len;
    struct meshca_key *k = NULL;

    free(sshkeygen_pub(dir, "ca", "-t ed25519"));
    pub = sshkeygen_pub(dir, "user", "-t ed25519");
    ASSERT_INT_EQ(unit_sh("ssh-keygen -q -s %s/ca -I id -n p %s/user.pub "
                          ">/dev/null 2>&1", dir, dir), 0);
    snprintf(path, sizeof(path), "%s/user-cert.pub", dir);
    cert = unit_read_file(path, NULL);
    ASSERT_ERR(meshca_key_from_line(cert, &k), MESHCA_ERR_KEY_IS_CERT);
    ASSERT(k == NULL);
    b64 = strchr(cert, ' ') + 1;
    sp = strchr(b64, ' ');
    *sp = '\0';
    ASSERT_OK(meshca_b64_decode(b64, strlen(b64), 0, &blob, &len));
    ASSERT_ERR(meshca_key_from_blob(blob, len, &k), MESHCA_ERR_KEY_IS_CERT);
    free(blob);
    free(cert);
    free(pub);
}

TEST(test_key_rejects_unknown_type_bad_base64_and_mismatch)
{
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    struct meshca_key *k = NULL, *good;
    char *line, *b64, bad[512];

    ASSERT(pkey != NULL);
    ASSERT_OK(meshca_key_from_evp(pkey, &good));
    EVP_PKEY_free(pkey);
    ASSERT_OK(meshca_key_to_line(good, NULL, &line));
    b64 = strchr(line, ' ') + 1;
    ASSERT_ERR(meshca_key_from_line("ssh-foo AAAA", &k), MESHCA_ERR_KEY_TYPE_UNKNOWN);
    ASSERT_ERR(meshca_key_from_line("ssh-ed448 AAAA", &k),
        MESHCA_ERR_KEY_TYPE_UNKNOWN);
    ASSERT_ERR(meshca_key_from_line("", &k), MESHCA_ERR_INVALID_FORMAT);
    ASSERT_ERR(meshca_key_from_line("ssh-ed25519", &k), MESHCA_ERR_INVALID_FORMAT);
    ASSERT_ERR(meshca_key_from_line("ssh-ed25519 AAA*", &k), MESHCA_ERR_BAD_BASE64);
    ASSERT_ERR(meshca_key_from_line("ssh-ed25519 AAAAC3NzaC1lZDI1NTE", &k),
        MESHCA_ERR_BAD_BASE64);
    /* Valid base64 of a blob cut short after its type. */
    ASSERT_ERR(meshca_key_from_line("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5", &k),
        MESHCA_ERR_MESSAGE_INCOMPLETE);
    snprintf(bad, sizeof(bad), "ecdsa-sha2-nistp256 %s", b64);
    ASSERT_ERR(meshca_key_from_line(bad, &k), MESHCA_ERR_KEY_TYPE_MISMATCH);
    snprintf(bad, sizeof(bad), "ssh-ed25519 %s comment\nssh-ed25519 %s", b64,
        b64);
    ASSERT_ERR(meshca_key_from_line(bad, &k), MESHCA_ERR_INVALID_FORMAT);
    ASSERT(k == NULL);
    ASSERT_ERR(meshca_key_from_blob((const uint8_t *)"", 0, &k),
        MESHCA_ERR_MESSAGE_INCOMPLETE);
    free(line);
    meshca_key_free(good);
}

TEST(test_key_parses_sk_keys_with_application)
{
    uint8_t pk[32], q[133];
    size_t qlen = p256_point(q, sizeof(q));
    struct meshca_buf *b = meshca_buf_new(1024);
    struct meshca_key *k, *k2;
    char *line;

    ASSERT(b != NULL);
    memset(pk, 0, sizeof(pk));
    pk[0] = 9; /* a point of large order */
    ASSERT_OK(meshca_buf_put_cstring(b, "sk-ssh-ed25519@openssh.com"));
    ASSERT_OK(meshca_buf_put_string(b, pk, sizeof(pk)));
    ASSERT_OK(meshca_buf_put_cstring(b, "ssh:meshca"));
    ASSERT_OK(meshca_key_from_blob(meshca_buf_ptr(b), meshca_buf_len(b), &k));
    ASSERT_INT_EQ(meshca_key_type(k), KEY_SK_ED25519);
    ASSERT(meshca_key_is_sk(k));
    ASSERT(meshca_key_evp(k) == NULL);
    ASSERT_STR_EQ(meshca_key_application(k), "ssh:meshca");
    ASSERT_STR_EQ(meshca_key_cert_type_name(k),
        "sk-ssh-ed25519-cert-v01@openssh.com");
    ASSERT_OK(meshca_key_to_line(k, NULL, &line));
    ASSERT_OK(meshca_key_from_line(line, &k2));
    ASSERT(meshca_key_equal(k, k2));
    free(line);
    meshca_key_free(k);
    meshca_key_free(k2);
    /* Without its application string the blob is truncated. */
    meshca_buf_reset(b);
    ASSERT_OK(meshca_buf_put_cstring(b, "sk-ssh-ed25519@openssh.com"));
    ASSERT_OK(meshca_buf_put_string(b, pk, sizeof(pk)));
    ASSERT_ERR(blob_err(b), MESHCA_ERR_MESSAGE_INCOMPLETE);
    meshca_buf_free(b);

    b = ec_blob("sk-ecdsa-sha2-nistp256@openssh.com", "nistp256", q, qlen);
    ASSERT_OK(meshca_buf_put_cstring(b, "ssh:"));
    ASSERT_OK(meshca_key_from_blob(meshca_buf_ptr(b), meshca_buf_len(b), &k));
    ASSERT_INT_EQ(meshca_key_type(k), KEY_SK_ECDSA_P256);
    ASSERT_STR_EQ(meshca_key_application(k), "ssh:");
    ASSERT(meshca_key_evp(k) == NULL);
    meshca_key_free(k);
    meshca_buf_free(b);
    /* The point is still validated. */
    q[qlen - 1] ^= 1;
    b = ec_blob("sk-ecdsa-sha2-nistp256@openssh.com", "nistp256", q, qlen);
    ASSERT_OK(meshca_buf_put_cstring(b, "ssh:"));
    ASSERT_ERR(blob_err(b), MESHCA_ERR_KEY_INVALID_EC_POINT);
    meshca_buf_free(b);
}

TEST(test_key_cert_type_names)
{
    ASSERT_STR_EQ(meshca_key_plain_name_for_cert("ssh-rsa-cert-v01@openssh.com", 28),
        "ssh-rsa");
    ASSERT(meshca_key_plain_name_for_cert("ssh-rsa", 7) == NULL);
    ASSERT_ERR(meshca_key_type_from_name("ssh-ed25519-cert-v01@openssh.com", 32,
        NULL), MESHCA_ERR_KEY_IS_CERT);
    ASSERT_ERR(meshca_key_type_from_name("ssh-dss-cert-v01@openssh.com", 28, NULL),
        MESHCA_ERR_KEY_IS_CERT);
}

TEST(test_key_dup_shares_nothing_mutable)
{
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    struct meshca_key *k, *d;

    ASSERT(pkey != NULL);
    ASSERT_OK(meshca_key_from_evp(pkey, &k));
    ASSERT_OK(meshca_key_dup(k, &d));
    meshca_key_free(k);
    ASSERT_INT_EQ(meshca_key_type(d), KEY_ECDSA_P384);
    ASSERT(EVP_PKEY_eq(meshca_key_evp(d), pkey) == 1);
    meshca_key_free(d);
    EVP_PKEY_free(pkey);
}

UNIT_MAIN(T(test_key_parses_ssh_keygen_keys_of_every_type),
    T(test_key_line_roundtrip_and_ssh_keygen_reads_our_line),
    T(test_key_line_tolerates_whitespace_and_newline),
    T(test_key_from_evp_matches_every_type),
    T(test_key_fingerprint_raw_is_sha256_of_blob),
    T(test_key_rejects_dss),
    T(test_key_rejects_small_rsa),
    T(test_key_rejects_bad_rsa_exponents),
    T(test_key_rejects_absurd_rsa_exponents),
    T(test_key_rejects_rsa_modulus_over_8192_bits),
    T(test_key_rejects_small_order_ed25519),
    T(test_key_rejects_sk_application_not_printable),
    T(test_key_rejects_non_minimal_and_negative_mpints),
    T(test_key_rejects_ec_point_off_curve_or_at_infinity),
    T(test_key_rejects_curve_not_matching_type),
    T(test_key_rejects_wrong_ed25519_length),
    T(test_key_rejects_trailing_and_truncated_data),
    T(test_key_rejects_certificate_offered_as_key),
    T(test_key_rejects_unknown_type_bad_base64_and_mismatch),
    T(test_key_parses_sk_keys_with_application),
    T(test_key_cert_type_names),
    T(test_key_dup_shares_nothing_mutable))
