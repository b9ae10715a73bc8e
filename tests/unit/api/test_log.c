/* Unit tests for api/log.c: request fields made safe for the access log. */
#include <string.h>

#include "../../../api/log.h"
#include "../../lib/unit.h"

static const char *
esc(const char *in, size_t max)
{
    static char out[LOG_ESCAPED_SIZE(LOG_PATH_MAX)];

    log_escape(in, max, out, sizeof(out));
    return out;
}

TEST(test_log_escape_keeps_printable_paths)
{
    ASSERT_STR_EQ(esc("/v1/nope", LOG_PATH_MAX), "/v1/nope");
    ASSERT_STR_EQ(esc("GET", LOG_METHOD_MAX), "GET");
    ASSERT_STR_EQ(esc("/a b?c=d&e", LOG_PATH_MAX), "/a b?c=d&e");
    ASSERT_STR_EQ(esc(NULL, LOG_PATH_MAX), "-");
    ASSERT_STR_EQ(esc("", LOG_PATH_MAX), "");
}

TEST(test_log_escape_escapes_controls_and_non_ascii)
{
    ASSERT_STR_EQ(esc("/x\n{\"level\":\"error\"}", LOG_PATH_MAX),
        "/x\\x0a{\"level\":\"error\"}");
    ASSERT_STR_EQ(esc("/\r\t\x1b[31m\x7f", LOG_PATH_MAX),
        "/\\x0d\\x09\\x1b[31m\\x7f");
    ASSERT_STR_EQ(esc("/caf\xc3\xa9/\xff", LOG_PATH_MAX),
        "/caf\\xc3\\xa9/\\xff");
    ASSERT_STR_EQ(esc("/a\\x41", LOG_PATH_MAX), "/a\\\\x41");
}

TEST(test_log_escape_bounds_the_length)
{
    char in[1000], want[LOG_PATH_MAX + 4];
    const char *got;

    memset(in, 'a', sizeof(in) - 1);
    in[sizeof(in) - 1] = '\0';
    memset(want, 'a', LOG_PATH_MAX);
    memcpy(want + LOG_PATH_MAX, "...", 4);
    ASSERT_STR_EQ(esc(in, LOG_PATH_MAX), want);
    /* Every byte escaped: still within the buffer, still cut with "...". */
    memset(in, '\n', sizeof(in) - 1);
    got = esc(in, LOG_PATH_MAX);
    ASSERT_INT_EQ(strlen(got), 4 * LOG_PATH_MAX + 3);
    ASSERT(strcmp(got + 4 * LOG_PATH_MAX, "...") == 0);
    ASSERT_STR_EQ(esc("PROPFINDXXXXXXXXXXXXXXXXX", LOG_METHOD_MAX),
        "PROPFINDXXXXXXXX...");
}

UNIT_MAIN(T(test_log_escape_keeps_printable_paths),
    T(test_log_escape_escapes_controls_and_non_ascii),
    T(test_log_escape_bounds_the_length))
