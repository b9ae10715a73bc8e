/* Unit tests for api/logins.c: the host token file (a host is named by the
 * SHA-256 of its token) and the login times POST /v1/logins takes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meshca/err.h"
#include "../../../api/logins.h"
#include "../../lib/unit.h"

#define H1 "d12f1ec8a1ee3e3b48ec3e25dcf39ad20b0de8a7bd3e3be85c1e71b9b2f0c6ef" /* any 64 hex digits */

static const char *
tokens_file(const char *text)
{
    static char path[512];

    snprintf(path, sizeof(path), "%s/host-tokens", unit_tmpdir());
    unit_write_file(path, text, strlen(text));
    return path;
}

/* The hex SHA-256 of s, by sha256sum (a tool we did not write). */
static void
sha256_hex(const char *s, char out[65])
{
    char cmd[1024], path[512];
    char *text;
    size_t len;

    snprintf(path, sizeof(path), "%s/sum", unit_tmpdir());
    snprintf(cmd, sizeof(cmd), "printf '%%s' '%s' | sha256sum | cut -c1-64 >%s",
        s, path);
    ASSERT_INT_EQ(unit_sh("%s", cmd), 0);
    text = unit_read_file(path, &len);
    ASSERT(len >= 64);
    memcpy(out, text, 64);
    out[64] = '\0';
    free(text);
}

TEST(test_logins_token_names_its_host)
{
    char h1[65], h2[65], text[512], *host = NULL;
    const char *path;
    size_t line;

    sha256_hex("web-1-token", h1);
    sha256_hex("web-2-token", h2);
    snprintf(text, sizeof(text), "# hosts\n\nweb-1 sha256:%s\n  web-2\tsha256:%s  \n",
        h1, h2);
    path = tokens_file(text);
    ASSERT_INT_EQ(logins_token_lookup(path, "web-2-token", &host, &line), 0);
    ASSERT_STR_EQ(host, "web-2");
    free(host);
    ASSERT_INT_EQ(logins_token_lookup(path, "web-1-token", &host, &line), 0);
    ASSERT_STR_EQ(host, "web-1");
    free(host);
    ASSERT_INT_EQ(logins_token_lookup(path, "web-3-token", &host, &line), 1);
    ASSERT(host == NULL);
    ASSERT_INT_EQ(logins_token_lookup(path, "", &host, &line), 1);
}

TEST(test_logins_token_file_refuses_bad_lines)
{
    static const char *const bad[] = {
        "web-1 " H1 "\n",                      /* no sha256: */
        "web-1 sha256:" H1 "00\n",             /* too long */
        "web-1 sha256:zz" H1 "\n",             /* not hex */
        "web 1 sha256:" H1 "\n",               /* a space in the name */
        "web/1 sha256:" H1 "\n",               /* a slash in the name */
        "web-1 sha256:" H1 " extra\n",         /* trailing words */
    };
    char text[512], *host = NULL;
    size_t i, line;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(text, sizeof(text), "# ok\n%s", bad[i]);
        ASSERT_INT_EQ(logins_token_lookup(tokens_file(text), "x", &host,
            &line), MESHCA_ERR_INVALID_FORMAT);
        ASSERT_INT_EQ(line, 2);
        ASSERT(host == NULL);
    }
    ASSERT_INT_EQ(logins_token_lookup("/nonexistent/host-tokens", "x", &host,
        &line), MESHCA_ERR_SYSTEM);
}

TEST(test_logins_times_with_and_without_fractions)
{
    int64_t us = 7;

    ASSERT_INT_EQ(logins_parse_time_us("2026-11-30T14:00:02Z", &us), 0);
    ASSERT_INT_EQ(us, 1796047202LL * 1000000);
    ASSERT_INT_EQ(logins_parse_time_us("2026-11-30T14:00:02.25Z", &us), 0);
    ASSERT_INT_EQ(us, 1796047202LL * 1000000 + 250000);
    ASSERT_INT_EQ(logins_parse_time_us("2026-11-30T14:00:02.123456Z", &us), 0);
    ASSERT_INT_EQ(us, 1796047202LL * 1000000 + 123456);
    us = 7;
    ASSERT_INT_EQ(logins_parse_time_us("2026-11-30T14:00:02.1234567Z", &us),
        MESHCA_ERR_INVALID_FORMAT);
    ASSERT_INT_EQ(logins_parse_time_us("2026-11-30T14:00:02.Z", &us),
        MESHCA_ERR_INVALID_FORMAT);
    ASSERT_INT_EQ(logins_parse_time_us("2026-11-30T14:00:02.5", &us),
        MESHCA_ERR_INVALID_FORMAT);
    ASSERT_INT_EQ(logins_parse_time_us("2026-11-30T14:00:02+01:00", &us),
        MESHCA_ERR_INVALID_FORMAT);
    ASSERT_INT_EQ(logins_parse_time_us("yesterday", &us),
        MESHCA_ERR_INVALID_FORMAT);
    ASSERT_INT_EQ(us, 7);
}

UNIT_MAIN(T(test_logins_token_names_its_host),
    T(test_logins_token_file_refuses_bad_lines),
    T(test_logins_times_with_and_without_fractions))
