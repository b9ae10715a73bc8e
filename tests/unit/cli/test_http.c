/* Unit tests for cli/http.c: the ID token from --token-file or
 * $MESHCA_ID_TOKEN, read and checked the same way from both; which failed
 * calls are worth trying again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meshca/err.h"
#include "../../../cli/cli.h"
#include "../../lib/unit.h"

#define TOK "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln-_"

/* A token file holding len bytes of data; its path in out. */
static const char *
token_file(const char *data, size_t len, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s/token", unit_tmpdir());
    unit_write_file(out, data, len);
    return out;
}

TEST(test_token_whitespace_around_is_dropped_from_file_and_env)
{
    char path[1024], *t = NULL;

    unsetenv("MESHCA_ID_TOKEN");
    ASSERT_OK(cli_token_read(token_file(" " TOK "\r\n", strlen(TOK) + 3,
        path, sizeof(path)), &t));
    ASSERT_STR_EQ(t, TOK);
    cli_secure_free(t);
    t = NULL;
    /* A secret mounted into the environment keeps the file's newline. */
    setenv("MESHCA_ID_TOKEN", TOK "\n", 1);
    ASSERT_OK(cli_token_read(NULL, &t));
    ASSERT_STR_EQ(t, TOK);
    cli_secure_free(t);
    t = NULL;
    unsetenv("MESHCA_ID_TOKEN");
    /* A host token (host-report) is base64: '+', '/' and '=' are its. */
    ASSERT_OK(cli_token_read(token_file("q+/8Vb0=\n", 9, path,
        sizeof(path)), &t));
    ASSERT_STR_EQ(t, "q+/8Vb0=");
    cli_secure_free(t);
}

TEST(test_token_refuses_what_would_break_the_header)
{
    static const char two[] = TOK "\nX-Injected: 1\n";
    static const char nul[] = TOK "\0junk";
    char path[1024], *t = NULL;

    unsetenv("MESHCA_ID_TOKEN");
    ASSERT_ERR(cli_token_read(token_file(two, sizeof(two) - 1, path,
        sizeof(path)), &t), MESHCA_ERR_INVALID_FORMAT);
    ASSERT(t == NULL);
    ASSERT_ERR(cli_token_read(token_file(nul, sizeof(nul) - 1, path,
        sizeof(path)), &t), MESHCA_ERR_INVALID_FORMAT);
    ASSERT(t == NULL);
    setenv("MESHCA_ID_TOKEN", TOK "\r\nX-Injected: 1", 1);
    ASSERT_ERR(cli_token_read(NULL, &t), MESHCA_ERR_INVALID_FORMAT);
    setenv("MESHCA_ID_TOKEN", TOK " " TOK, 1);
    ASSERT_ERR(cli_token_read(NULL, &t), MESHCA_ERR_INVALID_FORMAT);
    ASSERT(t == NULL);
    unsetenv("MESHCA_ID_TOKEN");
}

TEST(test_token_none_or_blank_is_not_found)
{
    char path[1024], *t = NULL;

    unsetenv("MESHCA_ID_TOKEN");
    ASSERT_ERR(cli_token_read(NULL, &t), MESHCA_ERR_NOT_FOUND);
    ASSERT_ERR(cli_token_read(token_file(" \n\n", 3, path, sizeof(path)),
        &t), MESHCA_ERR_NOT_FOUND);
    setenv("MESHCA_ID_TOKEN", "\n", 1);
    ASSERT_ERR(cli_token_read(NULL, &t), MESHCA_ERR_NOT_FOUND);
    ASSERT(t == NULL);
    unsetenv("MESHCA_ID_TOKEN");
}

TEST(test_http_retryable_is_no_answer_or_a_5xx)
{
    struct cli_conn c;
    struct cli_response r;

    memset(&c, 0, sizeof(c));
    /* Nothing listens on port 1: no answer, worth trying again. */
    ASSERT(cli_http_url(&c, "GET", "http://127.0.0.1:1/v1/config", NULL,
        NULL, NULL, &r) != 0);
    ASSERT(r.unreachable);
    ASSERT(cli_http_retryable(&r));
    /* A URL refused before anything is sent is not. */
    ASSERT(cli_http_url(&c, "GET", "http://example.com/", NULL, NULL, NULL,
        &r) != 0);
    ASSERT(!cli_http_retryable(&r));
    memset(&r, 0, sizeof(r));
    r.status = 503;
    ASSERT(cli_http_retryable(&r));
    r.status = 404;
    ASSERT(!cli_http_retryable(&r));
    r.status = 0;
    r.too_big = 1;
    ASSERT(!cli_http_retryable(&r));
}

UNIT_MAIN(T(test_token_whitespace_around_is_dropped_from_file_and_env),
    T(test_token_refuses_what_would_break_the_header),
    T(test_token_none_or_blank_is_not_found),
    T(test_http_retryable_is_no_answer_or_a_5xx))
