/* Unit tests for ca/krl.c: building, parsing, lookups and every rejection. */
#include <stdlib.h>
#include <string.h>

#include "meshca/buf.h"
#include "meshca/krl.h"
#include "../../lib/unit.h"

static const uint8_t ca1[] = "\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
static const uint8_t ca2[] = "\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"
    "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
static const uint8_t key1[] = "\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"
    "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC";
static const uint8_t key2[] = "\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"
    "DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD";
#define BL(x) (sizeof(x) - 1)

static struct krl *
build_and_parse(struct krl_builder *b, uint8_t **blobp, size_t *lenp)
{
    struct krl *k = NULL;

    ASSERT_OK(krl_build(b, 7, 1700000000, "test", blobp, lenp));
    ASSERT_OK(krl_parse(*blobp, *lenp, &k));
    return k;
}

TEST(test_krl_roundtrip_answers_per_ca)
{
    struct krl_builder *b = NULL;
    struct krl *k;
    uint8_t *blob = NULL, fp[32];
    size_t len;

    ASSERT_OK(krl_builder_new(&b));
    ASSERT_OK(krl_revoke_serial(b, ca1, BL(ca1), 5));
    ASSERT_OK(krl_revoke_serial_range(b, ca1, BL(ca1), 100, 200));
    ASSERT_OK(krl_revoke_key_id(b, ca1, BL(ca1), "mallory"));
    memset(fp, 0x42, sizeof(fp));
    ASSERT_OK(krl_revoke_key_sha256(b, fp));
    ASSERT_OK(krl_revoke_key(b, key2, BL(key2)));
    k = build_and_parse(b, &blob, &len);
    ASSERT_U64_EQ(krl_version(k), 7);
    ASSERT_U64_EQ(krl_generated_date(k), 1700000000);
    ASSERT_INT_EQ(krl_check_cert(k, ca1, BL(ca1), 5, "x", key1, BL(key1)), 1);
    ASSERT_INT_EQ(krl_check_cert(k, ca1, BL(ca1), 6, "x", key1, BL(key1)), 0);
    ASSERT_INT_EQ(krl_check_cert(k, ca1, BL(ca1), 100, "x", key1, BL(key1)), 1);
    ASSERT_INT_EQ(krl_check_cert(k, ca1, BL(ca1), 200, "x", key1, BL(key1)), 1);
    ASSERT_INT_EQ(krl_check_cert(k, ca1, BL(ca1), 201, "x", key1, BL(key1)), 0);
    ASSERT_INT_EQ(krl_check_cert(k, ca1, BL(ca1), 9, "mallory", key1,
        BL(key1)), 1);
    /* Serials and key ids are per CA. */
    ASSERT_INT_EQ(krl_check_cert(k, ca2, BL(ca2), 5, "mallory", key1,
        BL(key1)), 0);
    /* An explicitly revoked key is revoked with any CA and as a plain key. */
    ASSERT_INT_EQ(krl_check_cert(k, ca2, BL(ca2), 1, NULL, key2, BL(key2)), 1);
    ASSERT_INT_EQ(krl_check_key(k, key2, BL(key2)), 1);
    ASSERT_INT_EQ(krl_check_key(k, key1, BL(key1)), 0);
    krl_free(k);
    free(blob);
    krl_builder_free(b);
}

TEST(test_krl_refuses_serial_zero)
{
    struct krl_builder *b = NULL;

    ASSERT_OK(krl_builder_new(&b));
    ASSERT_ERR(krl_revoke_serial(b, ca1, BL(ca1), 0),
        MESHCA_ERR_KRL_SERIAL_ZERO);
    ASSERT_ERR(krl_revoke_serial_range(b, ca1, BL(ca1), 0, 10),
        MESHCA_ERR_KRL_SERIAL_ZERO);
    ASSERT_ERR(krl_revoke_serial_range(b, ca1, BL(ca1), 10, 9),
        MESHCA_ERR_INVALID_ARGUMENT);
    ASSERT_ERR(krl_revoke_serial(b, NULL, 0, 5), MESHCA_ERR_INVALID_ARGUMENT);
    ASSERT_ERR(krl_revoke_key_id(b, ca1, BL(ca1), ""),
        MESHCA_ERR_INVALID_ARGUMENT);
    krl_builder_free(b);
}

TEST(test_krl_is_deterministic_and_compact)
{
    struct krl_builder *a = NULL, *b = NULL;
    uint8_t *x = NULL, *y = NULL;
    size_t xl, yl;
    uint64_t s;

    ASSERT_OK(krl_builder_new(&a));
    ASSERT_OK(krl_builder_new(&b));
    for (s = 1; s <= 10000; s++)
        ASSERT_OK(krl_revoke_serial(a, ca1, BL(ca1), s));
    for (s = 10000; s >= 1; s--)
        ASSERT_OK(krl_revoke_serial(b, ca1, BL(ca1), s));
    ASSERT_OK(krl_build(a, 1, 0, "", &x, &xl));
    ASSERT_OK(krl_build(b, 1, 0, "", &y, &yl));
    ASSERT_INT_EQ(xl, yl);
    ASSERT_MEM_EQ(x, y, xl);
    /* 10,000 consecutive serials become one range. */
    ASSERT(xl < 200);
    free(x);
    free(y);
    krl_builder_free(a);
    krl_builder_free(b);
}

/* Issue #13: two replicas built the same KRL at different times and served
 * two ETags.  The content hash ignores generated_date, and only it. */
TEST(test_krl_content_hash_ignores_only_the_generated_date)
{
    struct krl_builder *a = NULL;
    uint8_t *x = NULL, *y = NULL, *z = NULL, mx[32], my[32], mz[32];
    size_t xl, yl, zl;

    ASSERT_OK(krl_builder_new(&a));
    ASSERT_OK(krl_revoke_serial(a, ca1, BL(ca1), 42));
    ASSERT_OK(krl_build(a, 6, 1764000000, "meshca", &x, &xl));
    ASSERT_OK(krl_build(a, 6, 1764000007, "meshca", &y, &yl));
    ASSERT_INT_EQ(xl, yl);
    ASSERT(memcmp(x, y, xl) != 0);
    ASSERT_OK(krl_content_hash(x, xl, mx));
    ASSERT_OK(krl_content_hash(y, yl, my));
    ASSERT_MEM_EQ(mx, my, 32);
    /* Another serial, or another version: another hash. */
    ASSERT_OK(krl_revoke_serial(a, ca1, BL(ca1), 43));
    ASSERT_OK(krl_build(a, 6, 1764000000, "meshca", &z, &zl));
    ASSERT_OK(krl_content_hash(z, zl, mz));
    ASSERT(memcmp(mx, mz, 32) != 0);
    free(z);
    ASSERT_OK(krl_build(a, 7, 1764000000, "meshca", &z, &zl));
    ASSERT_OK(krl_content_hash(z, zl, my));
    ASSERT(memcmp(my, mz, 32) != 0);
    ASSERT_ERR(krl_content_hash(x, 27, mz), MESHCA_ERR_KRL_INVALID);
    ASSERT_ERR(krl_content_hash((const uint8_t *)"SSHKRL\n\1xxxxxxxxxxxxxxxxxxxxxx",
        30, mz), MESHCA_ERR_KRL_INVALID);
    free(x);
    free(y);
    free(z);
    krl_builder_free(a);
}

/* Appends a minimal KRL header (version 1, no comment) and raw section
 * bytes to b. */
static void
put_krl(struct meshca_buf *b, uint32_t format, const void *sections, size_t len)
{
    ASSERT_OK(meshca_buf_put(b, KRL_MAGIC, 8));
    ASSERT_OK(meshca_buf_put_u32(b, format));
    ASSERT_OK(meshca_buf_put_u64(b, 1));
    ASSERT_OK(meshca_buf_put_u64(b, 0));
    ASSERT_OK(meshca_buf_put_u64(b, 0));
    ASSERT_OK(meshca_buf_put_string(b, NULL, 0));
    ASSERT_OK(meshca_buf_put_string(b, NULL, 0));
    ASSERT_OK(meshca_buf_put(b, sections, len));
}

/* A minimal KRL header followed by raw section bytes. */
static int
parse_with(const void *sections, size_t len, uint32_t format)
{
    struct meshca_buf *b = meshca_buf_new(4096);
    struct krl *k = NULL;
    int r;

    ASSERT(b != NULL);
    put_krl(b, format, sections, len);
    r = krl_parse(meshca_buf_ptr(b), meshca_buf_len(b), &k);
    krl_free(k);
    meshca_buf_free(b);
    return r;
}

/* A certificates section for ca1 holding one subsection. */
static size_t
ca_section(uint8_t *out, uint8_t subtype, const void *sub, size_t sublen)
{
    struct meshca_buf *s = meshca_buf_new(4096), *o = meshca_buf_new(4096);
    size_t n;

    ASSERT_OK(meshca_buf_put_string(s, ca1, BL(ca1)));
    ASSERT_OK(meshca_buf_put_string(s, NULL, 0));
    ASSERT_OK(meshca_buf_put_u8(s, subtype));
    ASSERT_OK(meshca_buf_put_string(s, sub, sublen));
    ASSERT_OK(meshca_buf_put_u8(o, 1));
    ASSERT_OK(meshca_buf_put_stringb(o, s));
    n = meshca_buf_len(o);
    memcpy(out, meshca_buf_ptr(o), n);
    meshca_buf_free(s);
    meshca_buf_free(o);
    return n;
}

TEST(test_krl_parser_rejections)
{
    uint8_t sec[4096];
    size_t n;
    struct krl *k = NULL;

    ASSERT_OK(parse_with("", 0, 1));
    ASSERT_ERR(parse_with("", 0, 2), MESHCA_ERR_KRL_VERSION);
    ASSERT_ERR(krl_parse((const uint8_t *)"SSHKRL\n", 7, &k),
        MESHCA_ERR_KRL_INVALID);
    ASSERT_ERR(krl_parse((const uint8_t *)"NOTAKRL\0\0\0\0\1", 12, &k),
        MESHCA_ERR_KRL_INVALID);
    /* serial 0 in a list, in a range */
    n = ca_section(sec, 0x20, "\0\0\0\0\0\0\0\0", 8);
    ASSERT_ERR(parse_with(sec, n, 1), MESHCA_ERR_KRL_SERIAL_ZERO);
    n = ca_section(sec, 0x21, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\5", 16);
    ASSERT_ERR(parse_with(sec, n, 1), MESHCA_ERR_KRL_SERIAL_ZERO);
    /* range with lo > hi */
    n = ca_section(sec, 0x21, "\0\0\0\0\0\0\0\7\0\0\0\0\0\0\0\5", 16);
    ASSERT_ERR(parse_with(sec, n, 1), MESHCA_ERR_KRL_INVALID);
    /* truncated serial list */
    n = ca_section(sec, 0x20, "\0\0\0\0\0\0\5", 7);
    ASSERT_ERR(parse_with(sec, n, 1), MESHCA_ERR_KRL_INVALID);
    /* unknown subsection */
    n = ca_section(sec, 0x29, "", 0);
    ASSERT_ERR(parse_with(sec, n, 1), MESHCA_ERR_KRL_INVALID);
    /* unknown section */
    ASSERT_ERR(parse_with("\x09\0\0\0\0", 5, 1), MESHCA_ERR_KRL_INVALID);
    /* SHA-256 fingerprint of the wrong length */
    ASSERT_ERR(parse_with("\x05\0\0\0\x08\0\0\0\x04" "abcd", 13, 1),
        MESHCA_ERR_KRL_INVALID);
    /* a section after the signature */
    ASSERT_ERR(parse_with("\x04\0\0\0\x08\0\0\0\0\0\0\0\0" "\x05\0\0\0\0", 18,
        1), MESHCA_ERR_KRL_INVALID);
    /* a bitmap revoking serial 0 */
    n = ca_section(sec, 0x22, "\0\0\0\0\0\0\0\0\0\0\0\1\1", 13);
    ASSERT_ERR(parse_with(sec, n, 1), MESHCA_ERR_KRL_SERIAL_ZERO);
}

TEST(test_krl_parses_bitmaps)
{
    uint8_t sec[4096];
    size_t n;
    struct meshca_buf *b = meshca_buf_new(4096);
    struct krl *k = NULL;

    /* offset 16, bits 0 and 9 -> serials 16 and 25 */
    n = ca_section(sec, 0x22, "\0\0\0\0\0\0\0\x10\0\0\0\2\2\1", 14);
    put_krl(b, 1, sec, n);
    ASSERT_OK(krl_parse(meshca_buf_ptr(b), meshca_buf_len(b), &k));
    ASSERT_INT_EQ(krl_check_cert(k, ca1, BL(ca1), 16, NULL, key1, BL(key1)), 1);
    ASSERT_INT_EQ(krl_check_cert(k, ca1, BL(ca1), 25, NULL, key1, BL(key1)), 1);
    ASSERT_INT_EQ(krl_check_cert(k, ca1, BL(ca1), 17, NULL, key1, BL(key1)), 0);
    krl_free(k);
    meshca_buf_free(b);
}

UNIT_MAIN(T(test_krl_roundtrip_answers_per_ca),
    T(test_krl_content_hash_ignores_only_the_generated_date), T(test_krl_refuses_serial_zero),
    T(test_krl_is_deterministic_and_compact), T(test_krl_parser_rejections),
    T(test_krl_parses_bitmaps))
