/* Unit tests for ca/buf.c: bounds, limits, encodings, base64. */
#include <stdlib.h>
#include <string.h>

#include "meshca/buf.h"
#include "../../lib/unit.h"

TEST(test_buf_roundtrips_integers_and_strings)
{
    struct meshca_buf *b = meshca_buf_new(1024);
    uint8_t u8;
    uint32_t u32;
    uint64_t u64;
    char *s = NULL;
    size_t len;

    ASSERT(b != NULL);
    ASSERT_OK(meshca_buf_put_u8(b, 0xab));
    ASSERT_OK(meshca_buf_put_u32(b, 0x01020304));
    ASSERT_OK(meshca_buf_put_u64(b, 0x0102030405060708ULL));
    ASSERT_OK(meshca_buf_put_cstring(b, "hello"));
    ASSERT_INT_EQ(meshca_buf_len(b), 1 + 4 + 8 + 4 + 5);
    ASSERT_MEM_EQ(meshca_buf_ptr(b) + 1, "\x01\x02\x03\x04", 4);
    ASSERT_OK(meshca_buf_get_u8(b, &u8));
    ASSERT_INT_EQ(u8, 0xab);
    ASSERT_OK(meshca_buf_get_u32(b, &u32));
    ASSERT_U64_EQ(u32, 0x01020304);
    ASSERT_OK(meshca_buf_get_u64(b, &u64));
    ASSERT_U64_EQ(u64, 0x0102030405060708ULL);
    ASSERT_OK(meshca_buf_get_cstring(b, &s, &len));
    ASSERT_STR_EQ(s, "hello");
    ASSERT_INT_EQ(len, 5);
    ASSERT_INT_EQ(meshca_buf_len(b), 0);
    free(s);
    meshca_buf_free(b);
}

TEST(test_buf_refuses_growth_past_limit)
{
    struct meshca_buf *b = meshca_buf_new(8);

    ASSERT(b != NULL);
    ASSERT_OK(meshca_buf_put_u32(b, 1));
    ASSERT_OK(meshca_buf_put_u32(b, 2));
    ASSERT_ERR(meshca_buf_put_u8(b, 3), MESHCA_ERR_NO_BUFFER_SPACE);
    ASSERT_INT_EQ(meshca_buf_len(b), 8);
    ASSERT_ERR(meshca_buf_put_string(b, "", 0), MESHCA_ERR_NO_BUFFER_SPACE);
    /* Consuming frees room under the same limit. */
    ASSERT_OK(meshca_buf_get_u32(b, NULL));
    ASSERT_OK(meshca_buf_put_u32(b, 3));
    ASSERT_INT_EQ(meshca_buf_len(b), 8);
    meshca_buf_free(b);
    ASSERT(meshca_buf_new(0) == NULL);
    ASSERT(meshca_buf_new(BUF_SIZE_MAX + 1) == NULL);
}

TEST(test_buf_truncated_reads_leave_buffer_unchanged)
{
    struct meshca_buf *b = meshca_buf_from("\x00\x00\x00\x05" "abc", 7);
    const uint8_t *p;
    uint8_t *s = (uint8_t *)"x";
    uint64_t v;
    size_t len = 9;

    ASSERT(b != NULL);
    ASSERT_ERR(meshca_buf_get_string(b, &s, &len), MESHCA_ERR_MESSAGE_INCOMPLETE);
    ASSERT(s == NULL);
    ASSERT_INT_EQ(len, 0);
    ASSERT_ERR(meshca_buf_get_string_direct(b, &p, NULL), MESHCA_ERR_MESSAGE_INCOMPLETE);
    ASSERT_ERR(meshca_buf_get_u64(b, &v), MESHCA_ERR_MESSAGE_INCOMPLETE);
    ASSERT_ERR(meshca_buf_consume(b, 8), MESHCA_ERR_MESSAGE_INCOMPLETE);
    ASSERT_INT_EQ(meshca_buf_len(b), 7);
    ASSERT_OK(meshca_buf_get_u32(b, NULL));
    ASSERT_ERR(meshca_buf_get_u32(b, NULL), MESHCA_ERR_MESSAGE_INCOMPLETE);
    ASSERT_INT_EQ(meshca_buf_len(b), 3);
    meshca_buf_free(b);
}

TEST(test_buf_refuses_huge_string_length)
{
    struct meshca_buf *b = meshca_buf_from("\xff\xff\xff\xff" "abcd", 8);

    ASSERT(b != NULL);
    ASSERT_ERR(meshca_buf_get_string(b, NULL, NULL), MESHCA_ERR_STRING_TOO_LARGE);
    ASSERT_INT_EQ(meshca_buf_len(b), 8);
    meshca_buf_free(b);
}

TEST(test_buf_cstring_refuses_embedded_nul)
{
    struct meshca_buf *b = meshca_buf_from("\x00\x00\x00\x03" "a\0b", 7);
    char *s = NULL;

    ASSERT(b != NULL);
    ASSERT_ERR(meshca_buf_get_cstring(b, &s, NULL), MESHCA_ERR_INVALID_FORMAT);
    ASSERT(s == NULL);
    ASSERT_INT_EQ(meshca_buf_len(b), 7);
    meshca_buf_free(b);
}

TEST(test_buf_stringb_gives_bounded_sub_buffer)
{
    struct meshca_buf *b = meshca_buf_new(64), *sub = NULL;

    ASSERT(b != NULL);
    ASSERT_OK(meshca_buf_put_string(b, "\x00\x00\x00\x01Z", 5));
    ASSERT_OK(meshca_buf_get_stringb(b, &sub));
    ASSERT_INT_EQ(meshca_buf_len(sub), 5);
    ASSERT_INT_EQ(meshca_buf_max_size(sub), 5);
    ASSERT_OK(meshca_buf_get_string(sub, NULL, NULL));
    /* Consumed bytes are reusable, up to the string's length. */
    ASSERT_OK(meshca_buf_put_u8(sub, 1));
    ASSERT_OK(meshca_buf_put_u32(sub, 1));
    ASSERT_ERR(meshca_buf_put_u8(sub, 1), MESHCA_ERR_NO_BUFFER_SPACE);
    meshca_buf_free(sub);
    meshca_buf_free(b);
}

TEST(test_buf_mpint_encoding)
{
    struct meshca_buf *b = meshca_buf_new(64);
    const uint8_t *p;
    size_t len;

    ASSERT(b != NULL);
    /* Leading zeros dropped; 0x00 prepended for a set top bit. */
    ASSERT_OK(meshca_buf_put_bignum2_bytes(b, "\x00\x00\x80\x01", 4));
    ASSERT_INT_EQ(meshca_buf_len(b), 4 + 3);
    ASSERT_MEM_EQ(meshca_buf_ptr(b), "\x00\x00\x00\x03\x00\x80\x01", 7);
    ASSERT_OK(meshca_buf_get_bignum2_bytes_direct(b, &p, &len));
    ASSERT_INT_EQ(len, 2);
    ASSERT_MEM_EQ(p, "\x80\x01", 2);
    /* Zero is the empty string. */
    ASSERT_OK(meshca_buf_put_bignum2_bytes(b, "\x00", 1));
    ASSERT_MEM_EQ(meshca_buf_ptr(b), "\x00\x00\x00\x00", 4);
    ASSERT_OK(meshca_buf_get_bignum2_bytes_direct(b, &p, &len));
    ASSERT_INT_EQ(len, 0);
    meshca_buf_free(b);
}

TEST(test_buf_mpint_rejects_negative_and_non_minimal)
{
    struct meshca_buf *b;

    b = meshca_buf_from("\x00\x00\x00\x01\x80", 5);
    ASSERT_ERR(meshca_buf_get_bignum2_bytes_direct(b, NULL, NULL),
        MESHCA_ERR_BIGNUM_NEGATIVE);
    ASSERT_INT_EQ(meshca_buf_len(b), 5);
    meshca_buf_free(b);
    b = meshca_buf_from("\x00\x00\x00\x02\x00\x01", 6);
    ASSERT_ERR(meshca_buf_get_bignum2_bytes_direct(b, NULL, NULL),
        MESHCA_ERR_INVALID_FORMAT);
    meshca_buf_free(b);
    b = meshca_buf_from("\x00\x00\x00\x01\x00", 5);
    ASSERT_ERR(meshca_buf_get_bignum2_bytes_direct(b, NULL, NULL),
        MESHCA_ERR_INVALID_FORMAT);
    meshca_buf_free(b);
}

TEST(test_buf_base64_roundtrip_and_strictness)
{
    char *s = NULL;
    uint8_t *d = NULL;
    size_t len;

    ASSERT_OK(meshca_b64_encode("ab", 2, 0, &s));
    ASSERT_STR_EQ(s, "YWI=");
    free(s);
    ASSERT_OK(meshca_b64_encode("\xfb\xff", 2, 1, &s));
    ASSERT_STR_EQ(s, "-_8");
    free(s);
    ASSERT_OK(meshca_b64_decode("YWJj", 4, 0, &d, &len));
    ASSERT_INT_EQ(len, 3);
    ASSERT_MEM_EQ(d, "abc", 3);
    free(d);
    ASSERT_OK(meshca_b64_decode("-_8", 3, 1, &d, &len));
    ASSERT_MEM_EQ(d, "\xfb\xff", 2);
    free(d);
    ASSERT_ERR(meshca_b64_decode("YWI", 3, 0, &d, &len), MESHCA_ERR_BAD_BASE64);
    ASSERT_ERR(meshca_b64_decode("YW I=", 5, 0, &d, &len), MESHCA_ERR_BAD_BASE64);
    ASSERT_ERR(meshca_b64_decode("YWJ=", 4, 0, &d, &len), MESHCA_ERR_BAD_BASE64);
    ASSERT_ERR(meshca_b64_decode("YQ=A", 4, 0, &d, &len), MESHCA_ERR_BAD_BASE64);
    ASSERT_ERR(meshca_b64_decode("YWI=", 4, 1, &d, &len), MESHCA_ERR_BAD_BASE64);
    ASSERT_ERR(meshca_b64_decode("Y", 1, 1, &d, &len), MESHCA_ERR_BAD_BASE64);
    ASSERT(d == NULL);
}

TEST(test_buf_putf_appends_formatted_text)
{
    struct meshca_buf *b = meshca_buf_new(4096);
    char big[1000];

    ASSERT(b != NULL);
    ASSERT_OK(meshca_buf_putf(b, "%s=%d;", "n", 42));
    ASSERT_OK(meshca_buf_putf(b, "%s", ""));
    ASSERT_INT_EQ(meshca_buf_len(b), 5);
    ASSERT_MEM_EQ(meshca_buf_ptr(b), "n=42;", 5);
    /* Longer than the stack scratch. */
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ASSERT_OK(meshca_buf_putf(b, "[%s]", big));
    ASSERT_INT_EQ(meshca_buf_len(b), 5 + 1 + 999 + 1);
    ASSERT_MEM_EQ(meshca_buf_ptr(b) + 5, "[xxx", 4);
    ASSERT_MEM_EQ(meshca_buf_ptr(b) + meshca_buf_len(b) - 2, "x]", 2);
    meshca_buf_free(b);
}

TEST(test_buf_putf_refuses_growth_past_limit_unchanged)
{
    struct meshca_buf *b = meshca_buf_new(8);
    char big[300];

    ASSERT_OK(meshca_buf_putf(b, "%d", 1234));
    ASSERT_ERR(meshca_buf_putf(b, "%d", 12345), MESHCA_ERR_NO_BUFFER_SPACE);
    memset(big, 'y', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ASSERT_ERR(meshca_buf_putf(b, "%s", big), MESHCA_ERR_NO_BUFFER_SPACE);
    ASSERT_INT_EQ(meshca_buf_len(b), 4);
    ASSERT_MEM_EQ(meshca_buf_ptr(b), "1234", 4);
    meshca_buf_free(b);
}

TEST(test_buf_new_large_allows_limits_past_the_wire_maximum)
{
    struct meshca_buf *b;

    ASSERT(meshca_buf_new(BUF_SIZE_MAX + 1) == NULL);
    ASSERT((b = meshca_buf_new_large(BUF_SIZE_MAX + 1)) != NULL);
    ASSERT_INT_EQ(meshca_buf_max_size(b), BUF_SIZE_MAX + 1);
    meshca_buf_free(b);
    ASSERT(meshca_buf_new_large(BUF_LARGE_MAX + 1) == NULL);
    ASSERT(meshca_buf_new_large(0) == NULL);
}

TEST(test_buf_take_cstring_hands_out_the_unconsumed_text)
{
    struct meshca_buf *b = meshca_buf_new(64), *e = meshca_buf_new(1);
    char *s = NULL;
    size_t len = 0;

    ASSERT(b != NULL && e != NULL);
    ASSERT_OK(meshca_buf_putf(b, "skip:keep"));
    ASSERT_OK(meshca_buf_consume(b, 5));
    ASSERT_OK(meshca_buf_take_cstring(&b, &s, &len));
    ASSERT(b == NULL);
    ASSERT_STR_EQ(s, "keep");
    ASSERT_INT_EQ(len, 4);
    free(s);
    /* Empty, and full to the limit: the NUL still has room. */
    ASSERT_OK(meshca_buf_take_cstring(&e, &s, &len));
    ASSERT_STR_EQ(s, "");
    ASSERT_INT_EQ(len, 0);
    free(s);
    ASSERT((e = meshca_buf_new(3)) != NULL);
    ASSERT_OK(meshca_buf_put(e, "abc", 3));
    ASSERT_OK(meshca_buf_take_cstring(&e, &s, NULL));
    ASSERT_STR_EQ(s, "abc");
    free(s);
}

UNIT_MAIN(T(test_buf_roundtrips_integers_and_strings),
    T(test_buf_refuses_growth_past_limit),
    T(test_buf_truncated_reads_leave_buffer_unchanged),
    T(test_buf_refuses_huge_string_length),
    T(test_buf_cstring_refuses_embedded_nul),
    T(test_buf_stringb_gives_bounded_sub_buffer), T(test_buf_mpint_encoding),
    T(test_buf_mpint_rejects_negative_and_non_minimal),
    T(test_buf_base64_roundtrip_and_strictness),
    T(test_buf_putf_appends_formatted_text),
    T(test_buf_putf_refuses_growth_past_limit_unchanged),
    T(test_buf_new_large_allows_limits_past_the_wire_maximum),
    T(test_buf_take_cstring_hands_out_the_unconsumed_text))
