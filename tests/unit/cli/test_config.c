/* Unit tests for cli/config.c and cli/http.c: the local config, pins, where
 * the server is, which URLs may be fetched, the ID token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../../cli/cli.h"
#include "../../../cli/cli_err.h"
#include "../../lib/unit.h"

static struct cli_config *
parse_ok(const char *text)
{
    struct cli_config *c = NULL;
    char why[256] = "";
    int r = cli_config_parse(text, strlen(text), &c, why, sizeof(why));

    if (r != 0)
        unit_fail(__FILE__, __LINE__, "config %s refused: %s", text, why);
    return c;
}

TEST(test_config_reads_server_ca_file_and_pins)
{
    struct cli_config *c = parse_ok("{\"server\": \"https://ca.example.com\", "
        "\"ca_file\": \"/etc/meshca/root.pem\", \"ca_fingerprints\": "
        "[\"SHA256:aaa\", \"SHA256:bbb\"], \"future_key\": 1}");

    ASSERT_STR_EQ(c->server, "https://ca.example.com");
    ASSERT_STR_EQ(c->ca_file, "/etc/meshca/root.pem");
    ASSERT_INT_EQ(c->has_pins, 1);
    ASSERT_INT_EQ(c->npins, 2);
    ASSERT_STR_EQ(c->pins[1], "SHA256:bbb");
    cli_config_free(c);
    c = parse_ok("{}");
    ASSERT(c->server == NULL && c->ca_file == NULL);
    ASSERT_INT_EQ(c->has_pins, 0);
    cli_config_free(c);
}

TEST(test_config_refuses_wrong_types_with_a_reason)
{
    static const char *const bad[] = {
        "[]", "{\"server\": 5}", "{\"server\": \"\"}",
        "{\"ca_fingerprints\": \"SHA256:aaa\"}",
        "{\"ca_fingerprints\": [\"MD5:aa\"]}", "{\"ca_fingerprints\": [1]}",
        "{\"server\": \"a\", \"server\": \"b\"}", "{\"server\": ",
    };
    struct cli_config *c = NULL;
    char why[256];
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why[0] = '\0';
        ASSERT_ERR(cli_config_parse(bad[i], strlen(bad[i]), &c, why,
            sizeof(why)), MESHCA_ERR_CLI_CONFIG);
        ASSERT(c == NULL);
        ASSERT(why[0] != '\0');
    }
}

TEST(test_local_pins_win_over_the_servers_list)
{
    struct cli_config *pinned = parse_ok("{\"ca_fingerprints\": "
        "[\"SHA256:mine\"]}");
    struct cli_config *none = parse_ok("{}");
    struct cli_config *empty = parse_ok("{\"ca_fingerprints\": []}");
    json_t *server = json_pack("[s, s]", "SHA256:theirs", "SHA256:mine");
    json_t *weird = json_pack("[i, s]", 7, "SHA256:theirs");

    ASSERT_INT_EQ(cli_ca_trusted(pinned, server, "SHA256:mine"), 1);
    ASSERT_INT_EQ(cli_ca_trusted(pinned, server, "SHA256:theirs"), 0);
    ASSERT_INT_EQ(cli_ca_trusted(none, server, "SHA256:theirs"), 1);
    ASSERT_INT_EQ(cli_ca_trusted(none, server, "SHA256:other"), 0);
    ASSERT_INT_EQ(cli_ca_trusted(NULL, server, "SHA256:theirs"), 1);
    /* an empty pin list trusts nothing, whatever the server says */
    ASSERT_INT_EQ(cli_ca_trusted(empty, server, "SHA256:theirs"), 0);
    /* no or malformed list from the server: nothing, and no crash */
    ASSERT_INT_EQ(cli_ca_trusted(none, NULL, "SHA256:theirs"), 0);
    ASSERT_INT_EQ(cli_ca_trusted(none, weird, "SHA256:theirs"), 1);
    ASSERT_INT_EQ(cli_ca_trusted(none, weird, "7"), 0);
    json_decref(server);
    json_decref(weird);
    cli_config_free(pinned);
    cli_config_free(none);
    cli_config_free(empty);
}

TEST(test_server_comes_from_flag_then_environment_then_config)
{
    struct cli_config *cfg = parse_ok("{\"server\": \"https://cfg.example/\", "
        "\"ca_file\": \"/cfg.pem\"}");
    struct cli_conn_flags f = { NULL, NULL, 0 };
    struct cli_conn c;

    unsetenv("MESHCA_SERVER");
    unsetenv("MESHCA_CA_FILE");
    ASSERT_OK(cli_conn_init(&c, &f, cfg));
    ASSERT_STR_EQ(c.server, "https://cfg.example");
    ASSERT_STR_EQ(c.ca_file, "/cfg.pem");
    setenv("MESHCA_SERVER", "https://env.example", 1);
    setenv("MESHCA_CA_FILE", "/env.pem", 1);
    ASSERT_OK(cli_conn_init(&c, &f, cfg));
    ASSERT_STR_EQ(c.server, "https://env.example");
    ASSERT_STR_EQ(c.ca_file, "/env.pem");
    f.server = "https://flag.example//";
    f.cacert = "/flag.pem";
    f.insecure_http = 1;
    ASSERT_OK(cli_conn_init(&c, &f, cfg));
    ASSERT_STR_EQ(c.server, "https://flag.example");
    ASSERT_STR_EQ(c.ca_file, "/flag.pem");
    ASSERT_INT_EQ(c.insecure_http, 1);
    unsetenv("MESHCA_SERVER");
    unsetenv("MESHCA_CA_FILE");
    f.server = NULL;
    ASSERT_ERR(cli_conn_init(&c, &f, NULL), MESHCA_ERR_CLI_NO_SERVER);
    cli_config_free(cfg);
}

TEST(test_plain_http_only_to_literal_loopback)
{
    char why[256];

    ASSERT_OK(cli_url_check("https://ca.example.com/v1/config", 0, why,
        sizeof(why)));
    ASSERT_OK(cli_url_check("http://127.0.0.1:8080/v1/krl", 0, why,
        sizeof(why)));
    ASSERT_OK(cli_url_check("http://127.9.9.9/", 0, why, sizeof(why)));
    ASSERT_OK(cli_url_check("http://localhost:1/", 0, why, sizeof(why)));
    ASSERT_OK(cli_url_check("http://[::1]:8080/", 0, why, sizeof(why)));
    ASSERT_ERR(cli_url_check("http://10.0.0.1/", 0, why, sizeof(why)),
        MESHCA_ERR_CLI_INSECURE_URL);
    ASSERT(strstr(why, "--insecure-http") != NULL);
    ASSERT_OK(cli_url_check("http://10.0.0.1/", 1, why, sizeof(why)));
    /* names that merely start like loopback */
    ASSERT_ERR(cli_url_check("http://127.evil.example/", 0, why, sizeof(why)),
        MESHCA_ERR_CLI_INSECURE_URL);
    ASSERT_ERR(cli_url_check("http://localhost.evil.example/", 0, why,
        sizeof(why)), MESHCA_ERR_CLI_INSECURE_URL);
    /* userinfo that makes a loopback-looking URL go elsewhere */
    ASSERT_ERR(cli_url_check("http://127.0.0.1@evil.example/", 0, why,
        sizeof(why)), MESHCA_ERR_INVALID_FORMAT);
    ASSERT_ERR(cli_url_check("https://user@ca.example.com/", 0, why,
        sizeof(why)), MESHCA_ERR_INVALID_FORMAT);
    ASSERT_ERR(cli_url_check("ftp://ca.example.com/", 1, why, sizeof(why)),
        MESHCA_ERR_INVALID_FORMAT);
    ASSERT_ERR(cli_url_check("not a url", 1, why, sizeof(why)),
        MESHCA_ERR_INVALID_FORMAT);
}

TEST(test_http_refuses_before_connecting)
{
    struct cli_conn c;
    struct cli_response r;

    memset(&c, 0, sizeof(c));
    snprintf(c.server, sizeof(c.server), "http://meshca.invalid");
    ASSERT_ERR(cli_http(&c, "GET", "/v1/config", NULL, NULL,
        CLI_RESPONSE_MAX, &r), MESHCA_ERR_CLI_INSECURE_URL);
    ASSERT(r.body == NULL);
    ASSERT_INT_EQ(r.status, 0);
    ASSERT(strstr(r.error, "meshca.invalid") != NULL);
}

TEST(test_token_from_file_or_environment)
{
    const char *d = unit_tmpdir();
    char path[512], *t = NULL, big[CLI_TOKEN_MAX + 10];

    unsetenv("MESHCA_ID_TOKEN");
    snprintf(path, sizeof(path), "%s/tok", d);
    unit_write_file(path, "eyJ.payload.sig\r\n", 17);
    ASSERT_OK(cli_token_read(path, &t));
    ASSERT_STR_EQ(t, "eyJ.payload.sig");
    cli_secure_free(t);
    /* A NUL byte is not a token character: refused as one (it was "no
     * token", MESHCA_ERR_NOT_FOUND, before the one check of both sources). */
    unit_write_file(path, "eyJ.pay\0load.sig\n", 17);
    ASSERT_ERR(cli_token_read(path, &t), MESHCA_ERR_INVALID_FORMAT);
    ASSERT(t == NULL);
    memset(big, 'a', sizeof(big));
    unit_write_file(path, big, sizeof(big));
    ASSERT_ERR(cli_token_read(path, &t), MESHCA_ERR_STRING_TOO_LARGE);
    ASSERT(t == NULL);
    ASSERT_ERR(cli_token_read(NULL, &t), MESHCA_ERR_NOT_FOUND);
    setenv("MESHCA_ID_TOKEN", "eyJ.env.sig", 1);
    ASSERT_OK(cli_token_read(NULL, &t));
    ASSERT_STR_EQ(t, "eyJ.env.sig");
    cli_secure_free(t);
    snprintf(path, sizeof(path), "%s/missing", d);
    ASSERT_ERR(cli_token_read(path, &t), MESHCA_ERR_SYSTEM);
    unsetenv("MESHCA_ID_TOKEN");
}

TEST(test_server_needs_a_scheme_and_plain_http_is_usage)
{
    struct cli_conn_flags f = { "127.0.0.1:8443", NULL, 0 };
    struct cli_conn c;

    ASSERT_ERR(cli_conn_init(&c, &f, NULL), MESHCA_ERR_INVALID_ARGUMENT);
    f.server = "http://meshca.example.com";
    ASSERT_ERR(cli_conn_init(&c, &f, NULL), MESHCA_ERR_INVALID_ARGUMENT);
    f.insecure_http = 1;
    ASSERT_OK(cli_conn_init(&c, &f, NULL));
    f.server = "http://127.0.0.1:8443/";
    f.insecure_http = 0;
    ASSERT_OK(cli_conn_init(&c, &f, NULL));
    ASSERT_STR_EQ(c.server, "http://127.0.0.1:8443");
}

TEST(test_profile_overlays_its_keys_on_the_top_level)
{
    const char *text = "{\"server\": \"https://a.example\", \"ca_file\": "
        "\"/a.pem\", \"profiles\": {\"b\": {\"server\": "
        "\"https://b.example\"}, \"c\": {}}}";
    struct cli_config *cfg = NULL;
    char why[256];

    ASSERT_OK(cli_profile_set(NULL));
    cfg = parse_ok(text);
    ASSERT_STR_EQ(cfg->server, "https://a.example");
    cli_config_free(cfg);
    ASSERT_OK(cli_profile_set("b"));
    cfg = parse_ok(text);
    ASSERT_STR_EQ(cfg->server, "https://b.example");
    ASSERT_STR_EQ(cfg->ca_file, "/a.pem");
    cli_config_free(cfg);
    ASSERT_OK(cli_profile_set("zz"));
    cfg = NULL;
    ASSERT_ERR(cli_config_parse(text, strlen(text), &cfg, why, sizeof(why)),
        MESHCA_ERR_CLI_CONFIG);
    ASSERT(strstr(why, "it has: b, c") != NULL);
    ASSERT_ERR(cli_profile_set("../x"), MESHCA_ERR_INVALID_ARGUMENT);
    ASSERT_ERR(cli_profile_set("-x"), MESHCA_ERR_INVALID_ARGUMENT);
    ASSERT_OK(cli_profile_set(NULL));
    ASSERT(cli_profile() == NULL);
}

UNIT_MAIN(T(test_config_reads_server_ca_file_and_pins),
    T(test_server_needs_a_scheme_and_plain_http_is_usage),
    T(test_profile_overlays_its_keys_on_the_top_level),
    T(test_config_refuses_wrong_types_with_a_reason),
    T(test_local_pins_win_over_the_servers_list),
    T(test_server_comes_from_flag_then_environment_then_config),
    T(test_plain_http_only_to_literal_loopback),
    T(test_http_refuses_before_connecting),
    T(test_token_from_file_or_environment))
