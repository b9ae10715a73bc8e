/* Unit tests for ca/clock.c: RFC 3339 UTC text, the monotonic and wall
 * clocks, and condition-variable deadlines. */
#include <string.h>
#include <time.h>

#include "meshca/clock.h"
#include "../../lib/unit.h"

TEST(test_clock_formats_utc_seconds)
{
    char out[MESHCA_TIME_BUFLEN];

    ASSERT_STR_EQ(meshca_time_format(0, out, sizeof(out)),
        "1970-01-01T00:00:00Z");
    ASSERT_STR_EQ(meshca_time_format(1795352405, out, sizeof(out)),
        "2026-11-22T13:00:05Z");
    ASSERT_STR_EQ(meshca_time_format(253402300799LL, out, sizeof(out)),
        "9999-12-31T23:59:59Z");
}

TEST(test_clock_formats_microseconds)
{
    char out[MESHCA_TIME_BUFLEN];

    ASSERT_STR_EQ(meshca_time_format_us(1795352405000123LL, out,
        sizeof(out)), "2026-11-22T13:00:05.000123Z");
    ASSERT_STR_EQ(meshca_time_format_us(0, out, sizeof(out)),
        "1970-01-01T00:00:00.000000Z");
}

TEST(test_clock_format_says_question_mark_when_it_does_not_fit)
{
    char out[20];

    ASSERT_STR_EQ(meshca_time_format(0, out, sizeof(out)), "?");
    ASSERT_STR_EQ(meshca_time_format_us(0, out, sizeof(out)), "?");
}

TEST(test_clock_parses_what_it_formats)
{
    char out[MESHCA_TIME_BUFLEN];
    int64_t t = -1;

    ASSERT_OK(meshca_time_parse("2026-11-22T13:00:05Z", &t));
    ASSERT_INT_EQ(t, 1795352405);
    ASSERT_OK(meshca_time_parse(meshca_time_format(86399, out, sizeof(out)),
        &t));
    ASSERT_INT_EQ(t, 86399);
}

TEST(test_clock_parse_refuses_other_forms)
{
    static const char *const bad[] = { "", "2026-11-22", "2026-11-22T13:00:05",
        "2026-11-22T13:00:05Zx", "2026-11-22T13:00:05+01:00",
        "2026-13-22T13:00:05Z", "yesterday" };
    int64_t t = 42;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ASSERT_ERR(meshca_time_parse(bad[i], &t), MESHCA_ERR_INVALID_FORMAT);
    ASSERT_ERR(meshca_time_parse(NULL, &t), MESHCA_ERR_INVALID_FORMAT);
    ASSERT_INT_EQ(t, 42);
}

TEST(test_clock_monotonic_never_goes_back)
{
    int64_t a = meshca_mono_us(), b = meshca_mono_us();

    ASSERT(a > 0);
    ASSERT(b >= a);
}

TEST(test_clock_wall_is_time_in_microseconds)
{
    time_t before = time(NULL);
    int64_t us = meshca_wall_us();
    time_t after = time(NULL);

    ASSERT(us / 1000000 >= (int64_t)before);
    ASSERT(us / 1000000 <= (int64_t)after);
}

/* The deadline is ms after the wall clock's now, with tv_nsec normalised
 * (pthread_cond_timedwait refuses tv_nsec >= 1e9 with EINVAL). */
TEST(test_clock_deadline_is_normalised_and_ms_ahead)
{
    static const int64_t ms[] = { 0, 1, 500, 999, 1000, 1999, 60000 };
    struct timespec now, ts;
    int64_t ahead_us;
    size_t i;

    for (i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
        clock_gettime(CLOCK_REALTIME, &now);
        meshca_deadline_ms(&ts, ms[i]);
        ASSERT(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000L);
        ahead_us = ((int64_t)ts.tv_sec - now.tv_sec) * 1000000 +
            (ts.tv_nsec - now.tv_nsec) / 1000;
        ASSERT(ahead_us >= ms[i] * 1000);
        ASSERT(ahead_us < ms[i] * 1000 + 1000000);
    }
}

UNIT_MAIN(T(test_clock_formats_utc_seconds), T(test_clock_formats_microseconds),
    T(test_clock_format_says_question_mark_when_it_does_not_fit),
    T(test_clock_parses_what_it_formats),
    T(test_clock_parse_refuses_other_forms),
    T(test_clock_monotonic_never_goes_back),
    T(test_clock_wall_is_time_in_microseconds),
    T(test_clock_deadline_is_normalised_and_ms_ahead))
