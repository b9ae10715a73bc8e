/* Unit tests for api/param.c: the numbers and times in request parameters
 * and bodies (admin queries, log proofs, revocation serials). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../../api/param.h"
#include "../../lib/unit.h"

#define NOW 1800000000LL

TEST(test_param_time_refuses_overflow_and_garbage)
{
    static const char *const bad[] = { "99999999999999999999",
        "18446744073709551616", "9223372036854775808", "253402300800", "-1",
        "+5", " 5", "5 ", "1e9", "0x10", "", "yesterday",
        "10000-01-01T00:00:00Z", "2026-13-01T00:00:00Z", "-24h",
        "3650000d" };
    int64_t t = 42;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (param_parse_time(bad[i], NOW, &t) == 0)
            unit_fail(__FILE__, __LINE__, "\"%s\" accepted as %lld", bad[i],
                (long long)t);
        ASSERT_INT_EQ(t, 42);
    }
}

TEST(test_param_time_accepts_epoch_rfc3339_and_durations)
{
    int64_t t = 0;

    ASSERT_OK(param_parse_time("0", NOW, &t));
    ASSERT_INT_EQ(t, 0);
    ASSERT_OK(param_parse_time("1764000000", NOW, &t));
    ASSERT_INT_EQ(t, 1764000000LL);
    ASSERT_OK(param_parse_time("253402300799", NOW, &t));
    ASSERT_INT_EQ(t, PARAM_TIME_MAX);
    ASSERT_OK(param_parse_time("2026-11-22T00:00:00Z", NOW, &t));
    ASSERT_INT_EQ(t, 1795305600LL);
    ASSERT_OK(param_parse_time("24h", NOW, &t));
    ASSERT_INT_EQ(t, NOW - 86400);
}

TEST(test_param_u64_refuses_sign_overflow_and_garbage)
{
    static const char *const bad[] = { "-1", "+1", "18446744073709551616",
        "99999999999999999999", "9223372036854775808", "1 ", " 1", "1a",
        "", "0x1" };
    uint64_t v = 7;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (param_parse_u64(bad[i], INT64_MAX, &v) == 0)
            unit_fail(__FILE__, __LINE__, "\"%s\" accepted", bad[i]);
        ASSERT_U64_EQ(v, 7);
    }
    ASSERT_OK(param_parse_u64("9223372036854775807", INT64_MAX, &v));
    ASSERT_U64_EQ(v, (uint64_t)INT64_MAX);
    ASSERT_OK(param_parse_u64("18446744073709551615", UINT64_MAX, &v));
    ASSERT_U64_EQ(v, UINT64_MAX);
    ASSERT_OK(param_parse_u64("0", 10, &v));
    ASSERT_U64_EQ(v, 0);
    ASSERT(param_parse_u64("11", 10, &v) != 0);
}

UNIT_MAIN(T(test_param_time_refuses_overflow_and_garbage),
    T(test_param_time_accepts_epoch_rfc3339_and_durations),
    T(test_param_u64_refuses_sign_overflow_and_garbage))
