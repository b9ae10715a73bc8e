/* Unit tests for ca/hex.c: lower-case hex, bounded by the output. */
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

UNIT_MAIN(T(test_hex_encodes_lower_case),
    T(test_hex_writes_only_whole_bytes_that_fit))
