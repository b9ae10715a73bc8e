/* Unit tests for ca/duration.c */
#include "meshca/duration.h"
#include "../../lib/unit.h"

TEST(test_duration_parses_units)
{
    int64_t s = -1;

    ASSERT_OK(duration_parse("90s", &s));
    ASSERT_INT_EQ(s, 90);
    ASSERT_OK(duration_parse("5m", &s));
    ASSERT_INT_EQ(s, 300);
    ASSERT_OK(duration_parse("1h30m", &s));
    ASSERT_INT_EQ(s, 5400);
    ASSERT_OK(duration_parse("2d", &s));
    ASSERT_INT_EQ(s, 172800);
    ASSERT_OK(duration_parse("0s", &s));
    ASSERT_INT_EQ(s, 0);
}

TEST(test_duration_rejects_bad_input)
{
    int64_t s = 7;

    ASSERT_ERR(duration_parse("", &s), MESHCA_ERR_DURATION);
    ASSERT_ERR(duration_parse("5", &s), MESHCA_ERR_DURATION);
    ASSERT_ERR(duration_parse("m", &s), MESHCA_ERR_DURATION);
    ASSERT_ERR(duration_parse("5x", &s), MESHCA_ERR_DURATION);
    ASSERT_ERR(duration_parse("-5m", &s), MESHCA_ERR_DURATION);
    ASSERT_ERR(duration_parse("5m1h", &s), MESHCA_ERR_DURATION);
    ASSERT_ERR(duration_parse("5m5m", &s), MESHCA_ERR_DURATION);
    ASSERT_ERR(duration_parse(" 5m", &s), MESHCA_ERR_DURATION);
    ASSERT_ERR(duration_parse("99999999999999999999s", &s), MESHCA_ERR_DURATION);
    ASSERT_ERR(duration_parse("3651d", &s), MESHCA_ERR_DURATION);
    ASSERT_ERR(duration_parse(NULL, &s), MESHCA_ERR_DURATION);
    ASSERT_INT_EQ(s, 7);
}

TEST(test_duration_formats_shortest)
{
    char b[32];

    ASSERT_STR_EQ(duration_format(900, b, sizeof(b)), "15m");
    ASSERT_STR_EQ(duration_format(5400, b, sizeof(b)), "1h30m");
    ASSERT_STR_EQ(duration_format(45, b, sizeof(b)), "45s");
    ASSERT_STR_EQ(duration_format(0, b, sizeof(b)), "0s");
    ASSERT_STR_EQ(duration_format(90061, b, sizeof(b)), "1d1h1m1s");
}

UNIT_MAIN(T(test_duration_parses_units), T(test_duration_rejects_bad_input),
    T(test_duration_formats_shortest))
