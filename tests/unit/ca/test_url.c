/*
 * Unit tests for ca/url.c: the one URL rule, and proof that meshcad and
 * meshca use it.  One table is run through url_check() itself, meshca's
 * server URL check (cli_url_check), meshcad's config (an issuer URL) and
 * meshcad's key-set fetch (which must refuse before any network).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "meshca/diag.h"
#include "meshca/url.h"
#include "../../../api/config.h"
#include "../../../api/jwks.h"
#include "../../../cli/cli.h"
#include "../../../cli/cli_err.h"
#include "../../lib/unit.h"

enum want { OK, INSECURE, INVALID };

static const struct {
    const char *url;
    enum want want;
} cases[] = {
    /* Issue #13: the five the four checks disagreed on. */
    { "HTTP://127.0.0.1/", OK },          /* scheme in any case */
    { "http://127.1/", INVALID },         /* shorthand, not canonical */
    { "http://LOCALHOST/", OK },          /* localhost in any case */
    { "http://user@127.0.0.1/", INVALID },/* userinfo */
    { "http://127.0.0.1:99999/", INVALID },/* port out of range */
    /* https, always (host and port still checked) */
    { "https://idp.example.com/jwks", OK },
    { "HTTPS://IDP.Example.com:8443/x?y#z", OK },
    { "https://user:pw@idp.example.com/", INVALID },
    { "https://idp.example.com:0/", INVALID },
    { "https://idp.example.com:65536/", INVALID },
    { "https://127.1/", INVALID },
    /* loopback literals over http */
    { "http://127.0.0.1:9443", OK },
    { "http://127.0.0.1:9443/jwks", OK },
    { "http://127.1.2.3/x?y", OK },
    { "http://127.255.255.255:65535/", OK },
    { "http://localhost", OK },
    { "http://localhost:80/", OK },
    { "http://LocalHost:1/", OK },
    { "http://[::1]:8080/jwks", OK },
    { "http://[::1]/", OK },
    /* not loopback, or not written as a loopback literal */
    { "http://10.0.0.1/", INSECURE },
    { "http://idp.example.com/jwks", INSECURE },
    { "http://127.evil.com/", INSECURE },
    { "http://127.0.0.1.evil.com/", INSECURE },
    { "http://localhost.evil.com/", INSECURE },
    { "http://localhost./", INSECURE },
    { "http://[::2]/", INSECURE },
    { "http://128.0.0.1/", INSECURE },
    /* shorthand and encodings libcurl would turn into 127.0.0.1 */
    { "http://0x7f.1/", INVALID },
    { "http://2130706433/", INVALID },
    { "http://0177.0.0.1/", INVALID },
    { "http://127.0.0.01/", INVALID },
    { "http://%31%32%37.0.0.1/", INVALID },
    { "http://[::1%25lo]/", INVALID },
    { "http://[0:0:0:0:0:0:0:1]/", INVALID },
    /* userinfo, ports, shapes */
    { "http://127.0.0.1@evil.com/", INVALID },
    { "http://evil.com\\@127.0.0.1/", INVALID },
    { "http://:@127.0.0.1/", INVALID },
    { "http://127.0.0.1:/", INVALID },
    { "http://127.0.0.1:0/", INVALID },
    { "http://127.0.0.1:080/", INVALID },
    { "http://127.0.0.1:80x/", INVALID },
    { "http://127.0.0.1:-1/", INVALID },
    { "http://[::1]x/", INVALID },
    { "http:///", INVALID },
    { "http://", INVALID },
    { "http://127.0.0.1 /", INVALID },
    { "http://127.0.0.1/\n", INVALID },
    { "ftp://127.0.0.1/", INVALID },
    { "file:///etc/passwd", INVALID },
    { "//127.0.0.1/", INVALID },
    { "127.0.0.1", INVALID },
    { "not a url", INVALID },
    { "", INVALID },
    /* the path and query do not make a host loopback */
    { "http://evil.com/?u=http://127.0.0.1", INSECURE },
    { "http://evil.com/127.0.0.1", INSECURE },
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

static const char *const want_name[] = { "OK", "INSECURE", "INVALID" };

TEST(test_url_check_table)
{
    char why[512];
    size_t i;
    int r, got;

    for (i = 0; i < NCASES; i++) {
        why[0] = '\0';
        r = url_check(cases[i].url, why, sizeof(why));
        got = r == 0 ? OK : r == MESHCA_ERR_URL_INSECURE ? INSECURE :
            r == MESHCA_ERR_URL_INVALID ? INVALID : -1;
        if (got != (int)cases[i].want)
            unit_fail(__FILE__, __LINE__, "url_check(\"%s\") = %d (%s), want "
                "%s", cases[i].url, r, why, want_name[cases[i].want]);
        if (r != 0 && strncmp(why, cases[i].url, strcspn(cases[i].url,
            " \n")) != 0)
            unit_fail(__FILE__, __LINE__, "the reason \"%s\" does not name "
                "the URL", why);
    }
    ASSERT_ERR(url_check(NULL, why, sizeof(why)), MESHCA_ERR_URL_INVALID);
}

/* meshca: the server URL (cli/http.c). */
TEST(test_url_table_holds_for_meshca)
{
    char why[512];
    size_t i;
    int r, want;

    for (i = 0; i < NCASES; i++) {
        r = cli_url_check(cases[i].url, 0, why, sizeof(why));
        want = cases[i].want == OK ? 0 : cases[i].want == INSECURE ?
            MESHCA_ERR_CLI_INSECURE_URL : MESHCA_ERR_INVALID_FORMAT;
        if (r != want)
            unit_fail(__FILE__, __LINE__, "cli_url_check(\"%s\") = %d, want "
                "%d", cases[i].url, r, want);
        /* --insecure-http lets plain http to a real host through, and
         * nothing else. */
        r = cli_url_check(cases[i].url, 1, why, sizeof(why));
        if ((r == 0) != (cases[i].want != INVALID))
            unit_fail(__FILE__, __LINE__, "cli_url_check(\"%s\", "
                "--insecure-http) = %d", cases[i].url, r);
    }
}

/* meshcad: an issuer URL in the config (api/config.c). */
TEST(test_url_table_holds_for_meshcad_config)
{
    const char *dir = unit_tmpdir();
    char path[512], *conf = NULL;
    struct config *cfg = NULL;
    struct diags d = { 0 };
    size_t i;
    int r;

    snprintf(path, sizeof(path), "%s/meshcad.json", dir);
    for (i = 0; i < NCASES; i++) {
        json_t *iss = json_string(cases[i].url);
        char *s = iss != NULL ? json_dumps(iss, JSON_ENCODE_ANY) : NULL;

        ASSERT(s != NULL);
        ASSERT(asprintf(&conf, "{\"listen\":\"127.0.0.1:1\",\"database\":"
            "\"x\",\"ca_keys\":[{\"path\":\"ca.pem\"}],\"policy\":\"p.json\","
            "\"issuers\":[{\"issuer\":%s,\"audiences\":[\"meshca\"],"
            "\"jwks_file\":\"j.json\"}]}", s) > 0);
        unit_write_file(path, conf, strlen(conf));
        r = config_load(path, &cfg, &d);
        if ((r == 0) != (cases[i].want == OK))
            unit_fail(__FILE__, __LINE__, "issuer \"%s\": config_load = %d "
                "(%s)", cases[i].url, r, d.n ? d.msgs[0] : "no message");
        config_free(cfg);
        cfg = NULL;
        diags_clear(&d);
        free(conf);
        free(s);
        json_decref(iss);
    }
}

/* meshcad: fetching a key set (api/jwks.c) refuses, before any network,
 * every URL the rule refuses. */
TEST(test_url_table_holds_for_meshcad_fetch)
{
    struct meshca_buf *body = NULL;
    int64_t max_age = 0;
    char why[512];
    size_t i;

    for (i = 0; i < NCASES; i++) {
        if (cases[i].want == OK)
            continue;
        why[0] = '\0';
        if (jwks_fetch(cases[i].url, NULL, &body, &max_age, why,
            sizeof(why)) == 0 || strncmp(why, "refusing to fetch ", 18) != 0)
            unit_fail(__FILE__, __LINE__, "jwks_fetch(\"%s\"): %s",
                cases[i].url, why);
        ASSERT(body == NULL);
    }
}

/* The reason never carries a control character from the URL. */
TEST(test_url_reason_is_one_clean_line)
{
    char why[512];
    const char *p;

    ASSERT(url_check("http://10.0.0.1/\r\nX-Injected: 1", why,
        sizeof(why)) != 0);
    for (p = why; *p != '\0'; p++)
        ASSERT((unsigned char)*p >= 0x20 && *p != 0x7f);
    ASSERT(strstr(why, "X-Injected") != NULL);
}

TEST(test_url_host_is_loopback)
{
    ASSERT(url_host_is_loopback("127.0.0.1"));
    ASSERT(url_host_is_loopback("127.8.9.10"));
    ASSERT(url_host_is_loopback("localhost"));
    ASSERT(url_host_is_loopback("LOCALHOST"));
    ASSERT(url_host_is_loopback("::1"));
    ASSERT(url_host_is_loopback("[::1]"));
    ASSERT(!url_host_is_loopback("127.1"));
    ASSERT(!url_host_is_loopback("127.0.0.01"));
    ASSERT(!url_host_is_loopback("0.0.0.0"));
    ASSERT(!url_host_is_loopback("::"));
    ASSERT(!url_host_is_loopback("0:0:0:0:0:0:0:1"));
    ASSERT(!url_host_is_loopback("[::1"));
    ASSERT(!url_host_is_loopback("localhost.evil.com"));
    ASSERT(!url_host_is_loopback(""));
    ASSERT(!url_host_is_loopback(NULL));
}

/* No second loopback or scheme check is left in meshcad or meshca: they
 * all go through url_check / url_host_is_loopback. */
TEST(test_url_no_other_loopback_checks_remain)
{
    ASSERT_INT_EQ(unit_sh("! grep -nE 'IN6_IS_ADDR_LOOPBACK|>> *24\\) *== "
        "*127|strn?(case)?cmp\\([^)]*\"https?://\"|CURLUPART_HOST|"
        "[a-z_]*_is_loopback\\(|^[a-z_]*loopback[a-z_]*\\(' api/*.c cli/*.c "
        "| grep -v url_host_is_loopback"), 0);
    ASSERT_INT_EQ(unit_sh("grep -q 'url_check(' cli/http.c && "
        "grep -q 'url_check(' api/jwks.c && grep -q 'url_check(' api/config.c "
        "&& grep -q 'url_host_is_loopback(' api/config.c"), 0);
}

UNIT_MAIN(T(test_url_check_table), T(test_url_table_holds_for_meshca),
    T(test_url_table_holds_for_meshcad_config),
    T(test_url_table_holds_for_meshcad_fetch), T(test_url_host_is_loopback),
    T(test_url_reason_is_one_clean_line),
    T(test_url_no_other_loopback_checks_remain))
