/* Unit tests for ca/hex.c: lower-case hex out, bounded by the output;
 * either case in. */
#include <stdint.h>
#include <string.h>

#include "meshca/hex.h"
#include "../../lib/unit.h"

TEST(test_hex_encodes_lower_case)
{
    char out[9];

    ASSERT_STR_EQ(meshca_hex_encode("\x00\x9f\xab\xff", 4, out, sizeof(out)),
        "009fabff");
    ASSERT_STR_EQ(meshca_hex_encode("", 0, out, sizeof(out)), "");
}

TEST(test_hex_writes_only_whole_bytes_that_fit)
{
    char out[6];

    memset(out, 'x', sizeof(out));
    ASSERT_STR_EQ(meshca_hex_encode("\x01\x02\x03", 3, out, sizeof(out)),
        "0102");
    ASSERT_STR_EQ(meshca_hex_encode("\x01", 1, out, 2), "");
    ASSERT_STR_EQ(meshca_hex_encode("\x01", 1, out, 1), "");
}

TEST(test_hex_digit_reads_either_case)
{
    ASSERT_INT_EQ(meshca_hex_digit('0'), 0);
    ASSERT_INT_EQ(meshca_hex_digit('9'), 9);
    ASSERT_INT_EQ(meshca_hex_digit('a'), 10);
    ASSERT_INT_EQ(meshca_hex_digit('F'), 15);
    ASSERT_INT_EQ(meshca_hex_digit('g'), -1);
    ASSERT_INT_EQ(meshca_hex_digit('/'), -1);
    ASSERT_INT_EQ(meshca_hex_digit('\0'), -1);
}

TEST(test_hex_decode_reads_exactly_n_bytes)
{
    uint8_t out[4];

    memset(out, 0, sizeof(out));
    ASSERT_OK(meshca_hex_decode("009fABff", out, 4));
    ASSERT(memcmp(out, "\x00\x9f\xab\xff", 4) == 0);
    /* Only 2 * n digits are read: what follows does not matter. */
    ASSERT_OK(meshca_hex_decode("41zz", out, 1));
    ASSERT_INT_EQ(out[0], 0x41);
    ASSERT_OK(meshca_hex_decode("", out, 0));
    ASSERT_ERR(meshca_hex_decode("0g", out, 1), MESHCA_ERR_INVALID_FORMAT);
    ASSERT_ERR(meshca_hex_decode("4", out, 1), MESHCA_ERR_INVALID_FORMAT);
    ASSERT_ERR(meshca_hex_decode(" 41", out, 1), MESHCA_ERR_INVALID_FORMAT);
}

UNIT_MAIN(T(test_hex_encodes_lower_case),
    T(test_hex_writes_only_whole_bytes_that_fit),
    T(test_hex_digit_reads_either_case),
    T(test_hex_decode_reads_exactly_n_bytes))
