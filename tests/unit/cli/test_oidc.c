/* Unit tests for cli/oidc.c: PKCE, nonces, redirect parsing, endpoints,
 * device-flow answers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "meshca/buf.h"
#include "../../../cli/cli.h"
#include "../../../cli/cli_err.h"
#include "../../../cli/cli_oidc.h"
#include "../../lib/unit.h"

TEST(test_pkce_challenge_matches_rfc7636_appendix_b)
{
    char *c = NULL;

    /* RFC 7636, Appendix B. */
    ASSERT_OK(oidc_pkce_challenge(
        "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", &c));
    ASSERT_STR_EQ(c, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    free(c);
}

TEST(test_pkce_refuses_verifiers_rfc7636_forbids)
{
    char *c = NULL, longv[130];

    ASSERT_ERR(oidc_pkce_challenge("too-short", &c),
        MESHCA_ERR_INVALID_ARGUMENT);
    ASSERT(c == NULL);
    ASSERT_ERR(oidc_pkce_challenge(
        "dBjftJeZ4CVP+mB92K27uhbUJU1p1r/wW1gFWFOEjXk", &c),
        MESHCA_ERR_INVALID_ARGUMENT);
    memset(longv, 'a', 129);
    longv[129] = '\0';
    ASSERT_ERR(oidc_pkce_challenge(longv, &c), MESHCA_ERR_INVALID_ARGUMENT);
}

TEST(test_random_verifier_is_43_unreserved_chars_and_fresh)
{
    char *a = NULL, *b = NULL, *c = NULL;

    ASSERT_OK(oidc_random(32, &a));
    ASSERT_OK(oidc_random(32, &b));
    ASSERT_INT_EQ(strlen(a), 43);
    ASSERT(strcmp(a, b) != 0);
    /* usable as a PKCE verifier */
    ASSERT_OK(oidc_pkce_challenge(a, &c));
    free(a);
    free(b);
    free(c);
}

TEST(test_key_nonce_is_base64url_sha256_of_the_key_blob)
{
    static const uint8_t blob[] = "\x00\x00\x00\x0bssh-ed25519\x00\x00\x00"
        "\x20" "0123456789abcdef0123456789abcdef";
    const char *d = unit_tmpdir();
    char path[512], *n = NULL, *want;

    snprintf(path, sizeof(path), "%s/blob", d);
    unit_write_file(path, blob, sizeof(blob) - 1);
    /* The expected value comes from openssl(1), not from our code. */
    ASSERT_INT_EQ(unit_sh("openssl dgst -sha256 -binary %s | base64 | "
        "tr '+/' '-_' | tr -d '=\\n' > %s/want", path, d), 0);
    snprintf(path, sizeof(path), "%s/want", d);
    want = unit_read_file(path, NULL);
    ASSERT_OK(oidc_key_nonce(blob, sizeof(blob) - 1, &n));
    ASSERT_STR_EQ(n, want);
    ASSERT_INT_EQ(strlen(n), 43);
    free(n);
    free(want);
}

TEST(test_query_param_decodes_and_finds_exact_names)
{
    char *v = NULL;

    ASSERT_OK(oidc_query_param("codex=1&code=a%2Fb+c%3D&state=xyz", "code",
        &v));
    ASSERT_STR_EQ(v, "a/b c=");
    free(v);
    ASSERT_OK(oidc_query_param("code=a%2Fb&state=xyz", "state", &v));
    ASSERT_STR_EQ(v, "xyz");
    free(v);
    ASSERT_OK(oidc_query_param("state=&code=1", "state", &v));
    ASSERT_STR_EQ(v, "");
    free(v);
    v = NULL;
    ASSERT_ERR(oidc_query_param("code=1&state=2", "error", &v),
        MESHCA_ERR_NOT_FOUND);
    ASSERT(v == NULL);
    ASSERT_ERR(oidc_query_param("code=%zz", "code", &v),
        MESHCA_ERR_INVALID_FORMAT);
    ASSERT_ERR(oidc_query_param("code=%4", "code", &v),
        MESHCA_ERR_INVALID_FORMAT);
    ASSERT_ERR(oidc_query_param("code=a%00b", "code", &v),
        MESHCA_ERR_INVALID_FORMAT);
    /* the request line's " HTTP/1.1" is not part of the value */
    ASSERT_OK(oidc_query_param("code=abc HTTP/1.1", "code", &v));
    ASSERT_STR_EQ(v, "abc");
    free(v);
}

static json_t *
j(const char *text)
{
    json_t *v = json_loads(text, 0, NULL);

    if (v == NULL)
        unit_fail(__FILE__, __LINE__, "bad test JSON: %s", text);
    return v;
}

TEST(test_endpoints_from_config_win_over_discovery)
{
    json_t *cfg = j("{\"issuer\": \"https://idp.example.com\", \"client_id\": "
        "\"meshca\", \"scopes\": [\"openid\", \"email\", 7, \"groups\"], "
        "\"token_endpoint\": \"https://idp.example.com/custom-token\", "
        "\"key_binding\": true}");
    json_t *disc = j("{\"issuer\": \"https://idp.example.com/\", "
        "\"token_endpoint\": \"https://idp.example.com/token\", "
        "\"device_authorization_endpoint\": \"https://idp.example.com/dev\", "
        "\"authorization_endpoint\": \"https://idp.example.com/auth\"}");
    struct oidc_endpoints *ep = NULL;
    char why[256];

    ASSERT_OK(oidc_endpoints_from_json(cfg, disc, &ep, why, sizeof(why)));
    ASSERT_STR_EQ(ep->token, "https://idp.example.com/custom-token");
    ASSERT_STR_EQ(ep->device, "https://idp.example.com/dev");
    ASSERT_STR_EQ(ep->authorize, "https://idp.example.com/auth");
    ASSERT_STR_EQ(ep->scope, "openid email groups");
    ASSERT_STR_EQ(ep->client_id, "meshca");
    ASSERT_INT_EQ(ep->key_binding, 1);
    oidc_endpoints_free(ep);
    json_decref(cfg);
    json_decref(disc);
}

/* oidc_endpoints_from_json(cfg, disc) refuses, saying want in its reason. */
static void
endpoints_refused(const json_t *cfg, const json_t *disc, const char *want)
{
    struct oidc_endpoints *ep = NULL;
    char why[256] = "";

    ASSERT_ERR(oidc_endpoints_from_json(cfg, disc, &ep, why, sizeof(why)),
        MESHCA_ERR_CLI_LOGIN);
    ASSERT(ep == NULL);
    ASSERT(strstr(why, want) != NULL);
}

TEST(test_endpoints_refuse_discovery_for_another_issuer)
{
    json_t *cfg = j("{\"issuer\": \"https://idp.example.com\", \"client_id\": "
        "\"meshca\"}");
    json_t *disc = j("{\"issuer\": \"https://evil.example.com\", "
        "\"token_endpoint\": \"https://evil.example.com/token\"}");

    endpoints_refused(cfg, disc, "evil.example.com");
    json_decref(cfg);
    json_decref(disc);
}

TEST(test_endpoints_need_an_issuer_and_client_and_default_scope_openid)
{
    json_t *cfg = j("{\"client_id\": \"meshca\"}");
    json_t *ok = j("{\"issuer\": \"https://i\", \"client_id\": \"c\", "
        "\"token_endpoint\": \"https://i/t\"}");
    struct oidc_endpoints *ep = NULL;
    char why[256] = "";

    endpoints_refused(cfg, NULL, "--token-file");
    ASSERT_OK(oidc_endpoints_from_json(ok, NULL, &ep, why, sizeof(why)));
    ASSERT_STR_EQ(ep->scope, "openid");
    ASSERT(ep->device == NULL);
    ASSERT_INT_EQ(ep->key_binding, 0);
    oidc_endpoints_free(ep);
    json_decref(cfg);
    json_decref(ok);
}

TEST(test_authorize_url_carries_s256_state_nonce_and_loopback_redirect)
{
    struct oidc_endpoints ep;
    char *url = NULL;

    memset(&ep, 0, sizeof(ep));
    ep.client_id = (char *)"meshca";
    ep.scope = (char *)"openid email";
    ep.authorize = (char *)"https://idp.example.com/auth";
    ASSERT_OK(oidc_authorize_url(&ep, "http://127.0.0.1:4242/callback", "st",
        "no", "ch", &url));
    ASSERT_STR_EQ(url, "https://idp.example.com/auth?response_type=code&"
        "client_id=meshca&redirect_uri=http%3A%2F%2F127.0.0.1%3A4242%2F"
        "callback&scope=openid%20email&state=st&nonce=no&code_challenge=ch&"
        "code_challenge_method=S256");
    free(url);
    ep.authorize = (char *)"https://idp.example.com/auth?tenant=x";
    ASSERT_OK(oidc_authorize_url(&ep, "r", "s", "n", "c", &url));
    ASSERT(strncmp(url, "https://idp.example.com/auth?tenant=x&response_type"
        "=code", 52) == 0);
    free(url);
}

static char *
fake_jwt(const char *payload)
{
    char *p = NULL, *t = NULL;

    if (meshca_b64_encode(payload, strlen(payload), 1, &p) != 0 ||
        asprintf(&t, "eyJhbGciOiJSUzI1NiJ9.%s.c2ln", p) < 0)
        unit_fail(__FILE__, __LINE__, "cannot build a test token");
    free(p);
    return t;
}

TEST(test_token_nonce_must_match_exactly)
{
    char *t = fake_jwt("{\"sub\":\"alice\",\"nonce\":\"abc123\"}");
    char *u = fake_jwt("{\"sub\":\"alice\"}");

    ASSERT_INT_EQ(oidc_token_has_nonce(t, "abc123"), 1);
    ASSERT_INT_EQ(oidc_token_has_nonce(t, "abc12"), 0);
    ASSERT_INT_EQ(oidc_token_has_nonce(t, "abc1234"), 0);
    ASSERT_INT_EQ(oidc_token_has_nonce(u, "abc123"), 0);
    ASSERT_INT_EQ(oidc_token_has_nonce("not-a-jwt", "abc123"), 0);
    free(t);
    free(u);
}

TEST(test_device_poll_answers_follow_rfc8628)
{
    ASSERT_INT_EQ(oidc_poll_classify("authorization_pending"),
        OIDC_POLL_PENDING);
    ASSERT_INT_EQ(oidc_poll_classify("slow_down"), OIDC_POLL_SLOW_DOWN);
    ASSERT_INT_EQ(oidc_poll_classify("access_denied"), OIDC_POLL_DENIED);
    ASSERT_INT_EQ(oidc_poll_classify("expired_token"), OIDC_POLL_EXPIRED);
    ASSERT_INT_EQ(oidc_poll_classify("invalid_grant"), OIDC_POLL_ERROR);
    ASSERT_INT_EQ(oidc_poll_classify(NULL), OIDC_POLL_ERROR);
}

TEST(test_browser_is_opened_only_with_a_display_and_xdg_open)
{
    const char *d = unit_tmpdir();
    char path[512], *saved = strdup(getenv("PATH") ? getenv("PATH") : "/bin");

    ASSERT(saved != NULL);
    unsetenv("DISPLAY");
    unsetenv("WAYLAND_DISPLAY");
    setenv("PATH", d, 1);
    ASSERT_INT_EQ(oidc_can_open_browser(), 0);
    snprintf(path, sizeof(path), "%s/xdg-open", d);
    unit_write_file(path, "#!/bin/sh\n", 10);
    ASSERT_INT_EQ(chmod(path, 0755), 0);
    ASSERT_INT_EQ(oidc_can_open_browser(), 0);
    setenv("WAYLAND_DISPLAY", "wayland-0", 1);
    ASSERT_INT_EQ(oidc_can_open_browser(), 1);
    unsetenv("WAYLAND_DISPLAY");
    setenv("DISPLAY", ":0", 1);
    ASSERT_INT_EQ(oidc_can_open_browser(), 1);
    unsetenv("DISPLAY");
    setenv("PATH", saved, 1);
    free(saved);
}

UNIT_MAIN(T(test_pkce_challenge_matches_rfc7636_appendix_b),
    T(test_pkce_refuses_verifiers_rfc7636_forbids),
    T(test_random_verifier_is_43_unreserved_chars_and_fresh),
    T(test_key_nonce_is_base64url_sha256_of_the_key_blob),
    T(test_query_param_decodes_and_finds_exact_names),
    T(test_endpoints_from_config_win_over_discovery),
    T(test_endpoints_refuse_discovery_for_another_issuer),
    T(test_endpoints_need_an_issuer_and_client_and_default_scope_openid),
    T(test_authorize_url_carries_s256_state_nonce_and_loopback_redirect),
    T(test_token_nonce_must_match_exactly),
    T(test_device_poll_answers_follow_rfc8628),
    T(test_browser_is_opened_only_with_a_display_and_xdg_open))
