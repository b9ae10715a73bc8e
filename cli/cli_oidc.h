/*
 * Getting an ID token from the organisation's OpenID Connect provider: the
 * device authorization grant (RFC 8628) and the authorization code grant
 * with PKCE (RFC 7636) on a loopback redirect (RFC 8252).
 */
#ifndef MESHCA_CLI_OIDC_H
#define MESHCA_CLI_OIDC_H

#include <stddef.h>
#include <stdint.h>

#include "meshca/err.h"

struct cli_conn;
struct json_t;

/* Where to log in, from meshcad's /v1/config and, for endpoints it does not
 * name, the provider's discovery document. */
struct oidc_endpoints {
    char *issuer;
    char *client_id;
    char *scope;            /* space-separated, "openid" at least */
    char *device;           /* device_authorization_endpoint, may be NULL */
    char *authorize;        /* authorization_endpoint, may be NULL */
    char *token;            /* token_endpoint */
    int key_binding;        /* the nonce must commit to the public key */
};

/* Builds endpoints from /v1/config (cfg) and the discovery document (disc,
 * may be NULL); cfg's own endpoint fields win.  A discovery document whose
 * "issuer" differs from cfg's is refused.  Returns 0 and *epp (caller
 * frees), or MESHCA_ERR_CLI_LOGIN with why filled. */
int oidc_endpoints_from_json(const struct json_t *cfg,
    const struct json_t *disc, struct oidc_endpoints **epp, char *why,
    size_t whylen) MESHCA_WUR;

/* As above, fetching ISSUER/.well-known/openid-configuration when cfg
 * lacks the token endpoint or the endpoint the flow needs. */
int oidc_endpoints_resolve(const struct cli_conn *c, const struct json_t *cfg,
    struct oidc_endpoints **epp, char *why, size_t whylen) MESHCA_WUR;

void oidc_endpoints_free(struct oidc_endpoints *ep);

/* PKCE S256: base64url(SHA-256(verifier)), no padding.  Returns 0 and
 * *challengep (caller frees) or an error. */
int oidc_pkce_challenge(const char *verifier, char **challengep) MESHCA_WUR;

/* A new PKCE verifier (43 base64url characters from 32 random bytes), or a
 * state/nonce from n random bytes.  Caller frees (cli_secure_free). */
int oidc_random(size_t n, char **outp) MESHCA_WUR;

/* The key-binding nonce: base64url(SHA-256(public key blob)). */
int oidc_key_nonce(const uint8_t *blob, size_t len, char **noncep) MESHCA_WUR;

/* The value of name in an application/x-www-form-urlencoded query
 * (percent-decoded).  Returns 0 and *valuep (caller frees), or
 * MESHCA_ERR_NOT_FOUND. */
int oidc_query_param(const char *query, const char *name,
    char **valuep) MESHCA_WUR;

/* The authorization URL for the browser.  Caller frees *urlp. */
int oidc_authorize_url(const struct oidc_endpoints *ep, const char *redirect,
    const char *state, const char *nonce, const char *challenge,
    char **urlp) MESHCA_WUR;

/* Whether the (unverified: meshcad verifies it) ID token's payload carries
 * this nonce.  Returns 1 or 0. */
int oidc_token_has_nonce(const char *id_token, const char *nonce);

/* What a device-flow poll answer's "error" means (RFC 8628 3.5). */
enum oidc_poll {
    OIDC_POLL_PENDING,      /* authorization_pending: ask again later */
    OIDC_POLL_SLOW_DOWN,    /* slow_down: interval += 5 s */
    OIDC_POLL_DENIED,       /* access_denied */
    OIDC_POLL_EXPIRED,      /* expired_token */
    OIDC_POLL_ERROR,        /* anything else: stop */
};
enum oidc_poll oidc_poll_classify(const char *error);

/* Device flow: prints the verification URL and user code on stderr, polls
 * the token endpoint honouring interval and slow_down, shows the time left
 * on a terminal.  Returns 0 and *tokenp (the ID token; caller frees with
 * cli_secure_free), or MESHCA_ERR_CLI_LOGIN with a message printed. */
int oidc_device_login(const struct cli_conn *c, const struct oidc_endpoints *ep,
    char **tokenp) MESHCA_WUR;

/* Browser flow: listens on 127.0.0.1 (a free port), opens the
 * authorization URL with xdg-open when there is a display (prints it
 * always), waits up to 5 minutes for the redirect, checks state, exchanges
 * the code with the PKCE verifier and checks the ID token's nonce (nonce
 * NULL: a random one).  Returns as oidc_device_login. */
int oidc_browser_login(const struct cli_conn *c,
    const struct oidc_endpoints *ep, const char *nonce,
    char **tokenp) MESHCA_WUR;

/* Whether a browser can be opened here: $DISPLAY or $WAYLAND_DISPLAY set
 * and xdg-open on the PATH.  Returns 1 or 0. */
int oidc_can_open_browser(void);

#endif
