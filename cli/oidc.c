/*
 * ID tokens from the OpenID Connect provider: device code (RFC 8628) and
 * authorization code + PKCE S256 (RFC 7636) on a loopback redirect
 * (RFC 8252).  See cli_oidc.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "meshca/buf.h"
#include "meshca/clock.h"
#include "meshca/duration.h"
#include "meshca/hex.h"
#include "cli.h"
#include "cli_err.h"
#include "cli_oidc.h"

#define BROWSER_WAIT_SECONDS 300
#define FORM "application/x-www-form-urlencoded"

void
oidc_endpoints_free(struct oidc_endpoints *ep)
{
    if (ep == NULL)
        return;
    free(ep->issuer);
    free(ep->client_id);
    free(ep->scope);
    free(ep->device);
    free(ep->authorize);
    free(ep->token);
    free(ep);
}

static int
dup_str(const json_t *a, const json_t *b, const char *name, char **outp)
{
    const char *v = json_string_value(json_object_get(a, name));

    *outp = NULL;
    if ((v == NULL || *v == '\0') && b != NULL)
        v = json_string_value(json_object_get(b, name));
    if (v == NULL || *v == '\0')
        return 0;
    if ((*outp = strdup(v)) == NULL)
        return MESHCA_ERR_ALLOC;
    return 0;
}

/* Issuers compared as OIDC Discovery says (exactly), forgiving only a
 * trailing slash. */
static int
same_issuer(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);

    while (la > 0 && a[la - 1] == '/')
        la--;
    while (lb > 0 && b[lb - 1] == '/')
        lb--;
    return la == lb && memcmp(a, b, la) == 0;
}

int
oidc_endpoints_from_json(const json_t *cfg, const json_t *disc,
    struct oidc_endpoints **epp, char *why, size_t whylen)
{
    struct oidc_endpoints *ep = NULL;
    const json_t *scopes, *e;
    const char *di;
    struct meshca_buf *sc = NULL;
    size_t i;
    int r = MESHCA_ERR_CLI_LOGIN;

    *epp = NULL;
    if ((ep = calloc(1, sizeof(*ep))) == NULL)
        return MESHCA_ERR_ALLOC;
    if (dup_str(cfg, NULL, "issuer", &ep->issuer) != 0 ||
        dup_str(cfg, NULL, "client_id", &ep->client_id) != 0) {
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    if (ep->issuer == NULL || ep->client_id == NULL) {
        snprintf(why, whylen, "the server's /v1/config names no identity "
            "provider (issuer, client_id): ask its operator to set \"login\" "
            "in meshcad's config, or use --token-file");
        goto out;
    }
    if (disc != NULL) {
        di = json_string_value(json_object_get(disc, "issuer"));
        if (di == NULL || !same_issuer(di, ep->issuer)) {
            snprintf(why, whylen, "the identity provider's discovery "
                "document names issuer %.200s, not %.200s: refusing it",
                di ? di : "(none)", ep->issuer);
            goto out;
        }
    }
    if (dup_str(cfg, disc, "device_authorization_endpoint", &ep->device) != 0 ||
        dup_str(cfg, disc, "authorization_endpoint", &ep->authorize) != 0 ||
        dup_str(cfg, disc, "token_endpoint", &ep->token) != 0) {
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    if ((sc = meshca_buf_new(4096)) == NULL) {
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    scopes = json_object_get(cfg, "scopes");
    json_array_foreach(scopes, i, e) {
        const char *s = json_string_value(e);

        if (s == NULL || *s == '\0' || strpbrk(s, " \"\\") != NULL)
            continue;
        if ((meshca_buf_len(sc) > 0 && meshca_buf_put(sc, " ", 1) != 0) ||
            meshca_buf_put(sc, s, strlen(s)) != 0) {
            snprintf(why, whylen, "the scopes in /v1/config are too long");
            goto out;
        }
    }
    if (meshca_buf_len(sc) == 0 && meshca_buf_put(sc, "openid", 6) != 0)
        goto out;
    if ((ep->scope = strndup((const char *)meshca_buf_ptr(sc), meshca_buf_len(sc))) == NULL) {
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    ep->key_binding = json_is_true(json_object_get(cfg, "key_binding"));
    *epp = ep;
    ep = NULL;
    r = 0;
out:
    meshca_buf_free(sc);
    oidc_endpoints_free(ep);
    return r;
}

int
oidc_endpoints_resolve(const struct cli_conn *c, const json_t *cfg,
    struct oidc_endpoints **epp, char *why, size_t whylen)
{
    const char *issuer = json_string_value(json_object_get(cfg, "issuer"));
    struct cli_response r;
    json_t *disc = NULL;
    char url[1200];
    int ret;

    *epp = NULL;
    /* Everything named in /v1/config: no discovery needed. */
    if (json_string_value(json_object_get(cfg, "token_endpoint")) != NULL &&
        (json_string_value(json_object_get(cfg,
            "device_authorization_endpoint")) != NULL ||
        json_string_value(json_object_get(cfg, "authorization_endpoint")) !=
            NULL))
        return oidc_endpoints_from_json(cfg, NULL, epp, why, whylen);
    if (issuer == NULL)
        return oidc_endpoints_from_json(cfg, NULL, epp, why, whylen);
    snprintf(url, sizeof(url), "%.*s/.well-known/openid-configuration",
        (int)(strlen(issuer) > 1000 ? 1000 : strlen(issuer) -
        (issuer[strlen(issuer) - 1] == '/' ? 1 : 0)), issuer);
    if (cli_http_url(c, "GET", url, NULL, NULL, NULL, &r) != 0 ||
        r.status != 200 || (disc = json_loadb(r.body, r.len, 0, NULL)) == NULL) {
        snprintf(why, whylen, "cannot read the identity provider's discovery "
            "document %s: %s", url, r.status ? "not a JSON answer" : r.error);
        cli_response_free(&r);
        return MESHCA_ERR_CLI_LOGIN;
    }
    cli_response_free(&r);
    ret = oidc_endpoints_from_json(cfg, disc, epp, why, whylen);
    json_decref(disc);
    return ret;
}

int
oidc_random(size_t n, char **outp)
{
    unsigned char b[64];
    int r;

    *outp = NULL;
    if (n == 0 || n > sizeof(b))
        return MESHCA_ERR_INVALID_ARGUMENT;
    if (RAND_bytes(b, (int)n) != 1)
        return MESHCA_ERR_RANDOM;
    r = meshca_b64_encode(b, n, 1, outp);
    OPENSSL_cleanse(b, sizeof(b));
    return r;
}

int
oidc_pkce_challenge(const char *verifier, char **challengep)
{
    unsigned char h[SHA256_DIGEST_LENGTH];

    *challengep = NULL;
    /* RFC 7636 4.1: 43..128 unreserved characters. */
    if (strlen(verifier) < 43 || strlen(verifier) > 128 ||
        strspn(verifier, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        "0123456789-._~") != strlen(verifier))
        return MESHCA_ERR_INVALID_ARGUMENT;
    SHA256((const unsigned char *)verifier, strlen(verifier), h);
    return meshca_b64_encode(h, sizeof(h), 1, challengep);
}

int
oidc_key_nonce(const uint8_t *blob, size_t len, char **noncep)
{
    unsigned char h[SHA256_DIGEST_LENGTH];

    *noncep = NULL;
    SHA256(blob, len, h);
    return meshca_b64_encode(h, sizeof(h), 1, noncep);
}

int
oidc_query_param(const char *query, const char *name, char **valuep)
{
    size_t nl = strlen(name), vl, i, o;
    const char *p = query, *v;
    char *out;
    uint8_t byte;

    *valuep = NULL;
    while (p != NULL && *p != '\0') {
        if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
            v = p + nl + 1;
            vl = strcspn(v, "&# \r\n");
            if ((out = malloc(vl + 1)) == NULL)
                return MESHCA_ERR_ALLOC;
            for (i = 0, o = 0; i < vl; i++) {
                if (v[i] == '+')
                    out[o++] = ' ';
                else if (v[i] == '%' && i + 2 < vl &&
                    meshca_hex_decode(v + i + 1, &byte, 1) == 0) {
                    out[o++] = (char)byte;
                    i += 2;
                } else if (v[i] == '%') {
                    free(out);
                    return MESHCA_ERR_INVALID_FORMAT;
                } else
                    out[o++] = v[i];
            }
            out[o] = '\0';
            if (strlen(out) != o) { /* an encoded NUL */
                free(out);
                return MESHCA_ERR_INVALID_FORMAT;
            }
            *valuep = out;
            return 0;
        }
        p = strchr(p, '&');
        if (p != NULL)
            p++;
    }
    return MESHCA_ERR_NOT_FOUND;
}

static char *
esc(const char *s)
{
    char *e = curl_easy_escape(NULL, s, 0), *r = e ? strdup(e) : NULL;

    curl_free(e);
    return r;
}

int
oidc_authorize_url(const struct oidc_endpoints *ep, const char *redirect,
    const char *state, const char *nonce, const char *challenge, char **urlp)
{
    char *e_client = esc(ep->client_id), *e_redirect = esc(redirect);
    char *e_scope = esc(ep->scope), *e_state = esc(state);
    char *e_nonce = esc(nonce), *e_chal = esc(challenge);
    int r = MESHCA_ERR_ALLOC;

    *urlp = NULL;
    if (ep->authorize == NULL)
        r = MESHCA_ERR_CLI_LOGIN;
    else if (e_client && e_redirect && e_scope && e_state && e_nonce &&
        e_chal && asprintf(urlp, "%s%sresponse_type=code&client_id=%s&"
        "redirect_uri=%s&scope=%s&state=%s&nonce=%s&code_challenge=%s&"
        "code_challenge_method=S256", ep->authorize,
        strchr(ep->authorize, '?') ? "&" : "?", e_client, e_redirect,
        e_scope, e_state, e_nonce, e_chal) >= 0)
        r = 0;
    else
        *urlp = NULL;
    free(e_client);
    free(e_redirect);
    free(e_scope);
    free(e_state);
    free(e_nonce);
    free(e_chal);
    return r;
}

int
oidc_token_has_nonce(const char *id_token, const char *nonce)
{
    const char *d1 = strchr(id_token, '.'), *d2;
    uint8_t *pl = NULL;
    size_t pll;
    json_t *payload = NULL;
    const char *v;
    int ok = 0;

    if (d1 == NULL || (d2 = strchr(d1 + 1, '.')) == NULL ||
        meshca_b64_decode(d1 + 1, (size_t)(d2 - d1 - 1), 1, &pl, &pll) != 0)
        return 0;
    payload = json_loadb((const char *)pl, pll, 0, NULL);
    v = json_string_value(json_object_get(payload, "nonce"));
    ok = v != NULL && nonce != NULL && strlen(v) == strlen(nonce) &&
        CRYPTO_memcmp(v, nonce, strlen(v)) == 0;
    json_decref(payload);
    free(pl);
    return ok;
}

enum oidc_poll
oidc_poll_classify(const char *error)
{
    if (error == NULL)
        return OIDC_POLL_ERROR;
    if (strcmp(error, "authorization_pending") == 0)
        return OIDC_POLL_PENDING;
    if (strcmp(error, "slow_down") == 0)
        return OIDC_POLL_SLOW_DOWN;
    if (strcmp(error, "access_denied") == 0)
        return OIDC_POLL_DENIED;
    if (strcmp(error, "expired_token") == 0)
        return OIDC_POLL_EXPIRED;
    return OIDC_POLL_ERROR;
}

/* Whole seconds on the monotonic clock. */
static time_t
mono_now(void)
{
    return (time_t)(meshca_mono_us() / 1000000);
}

/* The ID token from a token endpoint's JSON answer. */
static int
take_id_token(const json_t *t, char **tokenp)
{
    const char *v = json_string_value(json_object_get(t, "id_token"));

    if (v == NULL || *v == '\0' || strlen(v) > CLI_TOKEN_MAX) {
        fprintf(stderr, "meshca login: the identity provider answered "
            "without an ID token (is \"openid\" among the scopes?)\n");
        return MESHCA_ERR_CLI_LOGIN;
    }
    if ((*tokenp = strdup(v)) == NULL)
        return MESHCA_ERR_ALLOC;
    return 0;
}

/* Whether url (what: which one) may be handed to a person or a browser:
 * the rule every URL meshca fetches is held to (cli_url_check), so that an
 * identity provider's page is not opened over plain http off loopback, nor
 * with another scheme xdg-open would hand to some other program.  0, or -1
 * (said). */
static int
person_url_ok(const struct cli_conn *c, const char *url, const char *what)
{
    char why[512];

    if (cli_url_check(url, c->insecure_http, why, sizeof(why)) == 0)
        return 0;
    fprintf(stderr, "meshca login: the identity provider's %s: %s\n", what,
        why);
    return -1;
}

/* What a device authorization answer (RFC 8628 3.2) holds. */
struct device_grant {
    const char *user_code, *device_code, *uri, *uri_complete;
    json_int_t interval, expires;
};

/* POST the device authorization request into *dap.  Returns 0 or
 * MESHCA_ERR_CLI_LOGIN / MESHCA_ERR_ALLOC (said). */
static int
device_authorize(const struct cli_conn *c, const struct oidc_endpoints *ep,
    const char *e_client, json_t **dap)
{
    struct cli_response r;
    char *e_scope = NULL, *body = NULL;
    int ret = MESHCA_ERR_CLI_LOGIN;

    memset(&r, 0, sizeof(r));
    if ((e_scope = esc(ep->scope)) == NULL ||
        asprintf(&body, "client_id=%s&scope=%s", e_client, e_scope) < 0) {
        body = NULL;
        ret = MESHCA_ERR_ALLOC;
        goto out;
    }
    if (cli_http_url(c, "POST", ep->device, NULL, body, FORM, &r) != 0 ||
        r.status != 200 || (*dap = json_loadb(r.body, r.len, 0, NULL)) ==
        NULL) {
        fprintf(stderr, "meshca login: the identity provider refused the "
            "device authorization (%s)\n", r.status ? "HTTP error" : r.error);
        goto out;
    }
    ret = 0;
out:
    cli_response_free(&r);
    free(e_scope);
    free(body);
    return ret;
}

/* The grant in da into *g, with the interval and lifetime bounded.
 * Returns 0 or -1 (said). */
static int
device_grant_read(const json_t *da, struct device_grant *g)
{
    g->user_code = json_string_value(json_object_get(da, "user_code"));
    g->device_code = json_string_value(json_object_get(da, "device_code"));
    g->uri = json_string_value(json_object_get(da, "verification_uri"));
    g->uri_complete = json_string_value(json_object_get(da,
        "verification_uri_complete"));
    g->interval = json_integer_value(json_object_get(da, "interval"));
    g->expires = json_integer_value(json_object_get(da, "expires_in"));
    if (g->user_code == NULL || g->device_code == NULL || g->uri == NULL) {
        fprintf(stderr, "meshca login: the identity provider's device "
            "authorization answer lacks user_code, device_code or "
            "verification_uri\n");
        return -1;
    }
    if (g->interval <= 0 || g->interval > 60)
        g->interval = 5;
    if (g->expires <= 0 || g->expires > 3600)
        g->expires = 600;
    return 0;
}

/* One error answer from the token endpoint.  Returns 1 to keep polling
 * (*intervalp maybe longer), 0 when the login is over (said). */
static int
device_poll_answer(const json_t *t, json_int_t *intervalp, int tty)
{
    const char *err = json_string_value(json_object_get(t, "error"));
    const char *desc = json_string_value(json_object_get(t,
        "error_description"));

    switch (oidc_poll_classify(err)) {
    case OIDC_POLL_PENDING:
        return 1;
    case OIDC_POLL_SLOW_DOWN:
        *intervalp += 5;
        return 1;
    case OIDC_POLL_DENIED:
        fprintf(stderr, "%smeshca login: the login was denied at the "
            "identity provider; run meshca login again to retry\n",
            tty ? "\n" : "");
        return 0;
    case OIDC_POLL_EXPIRED:
        fprintf(stderr, "%smeshca login: the code expired before the "
            "login finished; run meshca login again\n", tty ? "\n" : "");
        return 0;
    case OIDC_POLL_ERROR:
        fprintf(stderr, "%smeshca login: the identity provider answered "
            "%s%s%s\n", tty ? "\n" : "", err ? err : "something "
            "unexpected", desc ? ": " : "", desc ? desc : "");
        return 0;
    }
    return 1;
}

/* Polls the token endpoint with body until the person logs in or the
 * deadline passes.  Returns 0 with *tokenp, or MESHCA_ERR_CLI_LOGIN (said)
 * or take_id_token's error. */
static int
device_poll(const struct cli_conn *c, const struct oidc_endpoints *ep,
    const char *body, json_int_t interval, time_t deadline, char **tokenp)
{
    struct cli_response r;
    json_t *t = NULL;
    int tty = isatty(STDERR_FILENO), ret = MESHCA_ERR_CLI_LOGIN;
    char left[32];
    time_t now;

    memset(&r, 0, sizeof(r));
    for (;;) {
        sleep((unsigned)interval);
        now = mono_now();
        if (now >= deadline) {
            fprintf(stderr, "%smeshca login: the code expired before the "
                "login finished; run meshca login again\n", tty ? "\n" : "");
            goto out;
        }
        if (tty)
            fprintf(stderr, "\rWaiting for you to log in (%s left)... ",
                duration_format((int64_t)(deadline - now), left,
                sizeof(left)));
        /* A network blip or a 5xx: keep polling until the deadline. */
        if (cli_http_url(c, "POST", ep->token, NULL, body, FORM, &r) != 0 ||
            cli_http_retryable(&r)) {
            if (!cli_http_retryable(&r)) {
                fprintf(stderr, "%smeshca login: %s\n", tty ? "\n" : "",
                    r.error);
                goto out;
            }
            cli_response_free(&r);
            continue;
        }
        json_decref(t);
        t = json_loadb(r.body, r.len, 0, NULL);
        if (r.status == 200) {
            if (tty)
                fprintf(stderr, "\n");
            ret = take_id_token(t, tokenp);
            goto out;
        }
        cli_response_free(&r);
        if (!device_poll_answer(t, &interval, tty))
            goto out;
    }
out:
    cli_response_free(&r);
    json_decref(t);
    return ret;
}

int
oidc_device_login(const struct cli_conn *c, const struct oidc_endpoints *ep,
    char **tokenp)
{
    struct device_grant g;
    json_t *da = NULL;
    char *body = NULL, *e_client = NULL, *e_code = NULL, left[32];
    time_t deadline;
    int ret = MESHCA_ERR_CLI_LOGIN;

    *tokenp = NULL;
    if (ep->device == NULL || ep->token == NULL) {
        fprintf(stderr, "meshca login: the identity provider offers no device "
            "flow; use --flow browser or --token-file\n");
        return ret;
    }
    if ((e_client = esc(ep->client_id)) == NULL) {
        ret = MESHCA_ERR_ALLOC;
        goto out;
    }
    if ((ret = device_authorize(c, ep, e_client, &da)) != 0)
        goto out;
    ret = MESHCA_ERR_CLI_LOGIN;
    if (device_grant_read(da, &g) != 0 ||
        person_url_ok(c, g.uri, "verification_uri") != 0 ||
        (g.uri_complete != NULL && person_url_ok(c, g.uri_complete,
        "verification_uri_complete") != 0))
        goto out;
    deadline = mono_now() + (time_t)g.expires;
    fprintf(stderr, "To log in, open %s\nand enter the code: %s\n", g.uri,
        g.user_code);
    if (g.uri_complete != NULL)
        fprintf(stderr, "(or open %s)\n", g.uri_complete);
    fprintf(stderr, "Waiting for you to log in (%s left)...\n",
        duration_format(g.expires, left, sizeof(left)));
    if ((e_code = esc(g.device_code)) == NULL ||
        asprintf(&body, "grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-"
        "type%%3Adevice_code&client_id=%s&device_code=%s", e_client,
        e_code) < 0) {
        body = NULL;
        ret = MESHCA_ERR_ALLOC;
        goto out;
    }
    ret = device_poll(c, ep, body, g.interval, deadline, tokenp);
out:
    json_decref(da);
    free(e_client);
    cli_secure_free(e_code);
    cli_secure_free(body);
    return ret;
}

int
oidc_can_open_browser(void)
{
    const char *d = getenv("DISPLAY"), *w = getenv("WAYLAND_DISPLAY");
    const char *path = getenv("PATH");
    char *copy, *save = NULL, *dir, f[1100];
    int found = 0;

    if ((d == NULL || *d == '\0') && (w == NULL || *w == '\0'))
        return 0;
    if (path == NULL || (copy = strdup(path)) == NULL)
        return 0;
    for (dir = strtok_r(copy, ":", &save); dir != NULL && !found;
        dir = strtok_r(NULL, ":", &save)) {
        snprintf(f, sizeof(f), "%s/xdg-open", dir);
        found = access(f, X_OK) == 0;
    }
    free(copy);
    return found;
}

/* Starts xdg-open URL detached (the URL holds no secret: the verifier
 * never leaves this process). */
static void
open_browser(const char *url)
{
    pid_t p = fork();
    int fd;

    if (p == 0) {
        if (fork() == 0) {
            if ((fd = open("/dev/null", O_RDWR)) >= 0) {
                dup2(fd, STDIN_FILENO);
                dup2(fd, STDOUT_FILENO);
                dup2(fd, STDERR_FILENO);
            }
            execlp("xdg-open", "xdg-open", url, (char *)NULL);
            _exit(127);
        }
        _exit(0);
    }
    if (p > 0)
        (void)waitpid(p, NULL, 0);
}

/* Reads an HTTP request head (up to the blank line) within 5 s. */
static int
read_head(int fd, char *req, size_t reqlen)
{
    struct timeval tv = { 5, 0 };
    size_t n = 0;
    ssize_t r;

    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    while (n + 1 < reqlen) {
        r = read(fd, req + n, reqlen - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
        req[n] = '\0';
        if (strstr(req, "\r\n\r\n") != NULL || strstr(req, "\n\n") != NULL)
            return 0;
    }
    req[n] = '\0';
    return n > 0 ? 0 : -1;
}

static void
reply(int fd, const char *status, const char *text)
{
    char page[1024];
    int n = snprintf(page, sizeof(page), "HTTP/1.1 %s\r\nContent-Type: "
        "text/html; charset=utf-8\r\nCache-Control: no-store\r\n"
        "Connection: close\r\n\r\n<!doctype html><title>meshca</title>"
        "<p>%s</p>\n", status, text);

    if (n > 0)
        (void)send(fd, page, (size_t)n, MSG_NOSIGNAL);
}

/* Waits for the redirect to /callback; returns the authorization code
 * after checking state. */
static int
wait_redirect(int ls, const char *state, char **codep)
{
    time_t deadline = mono_now() + BROWSER_WAIT_SECONDS, now;
    struct pollfd pfd;
    char req[8192], *q, *sp, *code = NULL, *st = NULL, *err = NULL;
    int cs, ret = MESHCA_ERR_CLI_LOGIN;

    *codep = NULL;
    while ((now = mono_now()) < deadline) {
        pfd.fd = ls;
        pfd.events = POLLIN;
        if (poll(&pfd, 1, (int)(deadline - now) * 1000) != 1)
            break;
        if ((cs = accept4(ls, NULL, NULL, SOCK_CLOEXEC)) < 0)
            continue;
        if (read_head(cs, req, sizeof(req)) != 0 ||
            strncmp(req, "GET /callback", 13) != 0 ||
            (req[13] != '?' && req[13] != ' ')) {
            /* favicon.ico and the like */
            reply(cs, "404 Not Found", "Not found.");
            close(cs);
            continue;
        }
        q = req + 13;
        if ((sp = strchr(q, ' ')) != NULL)
            *sp = '\0';
        q = *q == '?' ? q + 1 : q;
        free(code);
        free(st);
        free(err);
        code = st = err = NULL;
        /* Each may be absent (or malformed): NULL then. */
        if (oidc_query_param(q, "code", &code) != 0)
            code = NULL;
        if (oidc_query_param(q, "state", &st) != 0)
            st = NULL;
        if (oidc_query_param(q, "error", &err) != 0)
            err = NULL;
        if (st == NULL || strlen(st) != strlen(state) ||
            CRYPTO_memcmp(st, state, strlen(state)) != 0) {
            /* Not our login (a stale tab, or another page poking the
             * port): say so and keep waiting for ours. */
            reply(cs, "400 Bad Request", "This is not the login meshca is "
                "waiting for (wrong state).");
            close(cs);
            fprintf(stderr, "meshca login: ignored a redirect with the wrong "
                "state\n");
            continue;
        }
        if (err != NULL || code == NULL) {
            reply(cs, "200 OK", "meshca: the login failed; see the terminal.");
            close(cs);
            fprintf(stderr, "meshca login: the identity provider said: %s\n",
                err ? err : "no code");
            goto out;
        }
        reply(cs, "200 OK", "meshca: you are logged in. You can close this "
            "window and return to the terminal.");
        close(cs);
        *codep = code;
        code = NULL;
        ret = 0;
        goto out;
    }
    fprintf(stderr, "meshca login: no redirect came back within 5 minutes; "
        "run meshca login again (or --flow device)\n");
out:
    cli_secure_free(code);
    free(st);
    free(err);
    return ret;
}

int
oidc_browser_login(const struct cli_conn *c, const struct oidc_endpoints *ep,
    const char *nonce_in, char **tokenp)
{
    struct sockaddr_in sin;
    socklen_t sl = sizeof(sin);
    struct cli_response r;
    json_t *t = NULL;
    char redirect[64], *verifier = NULL, *challenge = NULL, *state = NULL;
    char *nonce = NULL, *url = NULL, *code = NULL, *body = NULL;
    char *e_code = NULL, *e_redirect = NULL, *e_client = NULL;
    int ls = -1, ret = MESHCA_ERR_CLI_LOGIN;

    *tokenp = NULL;
    memset(&r, 0, sizeof(r));
    if (ep->authorize == NULL || ep->token == NULL) {
        fprintf(stderr, "meshca login: the identity provider names no "
            "authorization endpoint; use --flow device\n");
        return ret;
    }
    if (person_url_ok(c, ep->authorize, "authorization endpoint") != 0)
        return ret;
    if (oidc_random(32, &verifier) != 0 ||
        oidc_pkce_challenge(verifier, &challenge) != 0 ||
        oidc_random(16, &state) != 0 ||
        (nonce_in != NULL ? (nonce = strdup(nonce_in)) == NULL :
        oidc_random(16, &nonce) != 0)) {
        ret = MESHCA_ERR_RANDOM;
        goto out;
    }
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if ((ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
        bind(ls, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
        listen(ls, 8) != 0 ||
        getsockname(ls, (struct sockaddr *)&sin, &sl) != 0) {
        fprintf(stderr, "meshca login: cannot listen on 127.0.0.1 for the "
            "redirect (%s); use --flow device\n", strerror(errno));
        goto out;
    }
    snprintf(redirect, sizeof(redirect), "http://127.0.0.1:%u/callback",
        (unsigned)ntohs(sin.sin_port));
    if (oidc_authorize_url(ep, redirect, state, nonce, challenge, &url) != 0)
        goto out;
    fprintf(stderr, "Open this URL in a browser to log in:\n%s\n", url);
    if (oidc_can_open_browser())
        open_browser(url);
    if ((ret = wait_redirect(ls, state, &code)) != 0)
        goto out;
    ret = MESHCA_ERR_CLI_LOGIN;
    if ((e_code = esc(code)) == NULL || (e_redirect = esc(redirect)) == NULL ||
        (e_client = esc(ep->client_id)) == NULL ||
        asprintf(&body, "grant_type=authorization_code&code=%s&redirect_uri="
        "%s&client_id=%s&code_verifier=%s", e_code, e_redirect, e_client,
        verifier) < 0) {
        body = NULL;
        ret = MESHCA_ERR_ALLOC;
        goto out;
    }
    if (cli_http_url(c, "POST", ep->token, NULL, body, FORM, &r) != 0 ||
        r.status != 200 || (t = json_loadb(r.body, r.len, 0, NULL)) == NULL) {
        json_t *e = r.body ? json_loadb(r.body, r.len, 0, NULL) : NULL;

        fprintf(stderr, "meshca login: the code exchange failed: %s\n",
            r.status == 0 ? r.error : json_string_value(json_object_get(e,
            "error")) ? json_string_value(json_object_get(e, "error")) :
            "unexpected answer");
        json_decref(e);
        goto out;
    }
    if ((ret = take_id_token(t, tokenp)) != 0)
        goto out;
    if (!oidc_token_has_nonce(*tokenp, nonce)) {
        fprintf(stderr, "meshca login: the ID token does not carry the nonce "
            "this login sent; refusing it\n");
        cli_secure_free(*tokenp);
        *tokenp = NULL;
        ret = MESHCA_ERR_CLI_LOGIN;
        goto out;
    }
    ret = 0;
out:
    if (ls >= 0)
        close(ls);
    cli_response_free(&r);
    json_decref(t);
    cli_secure_free(verifier);
    free(challenge);
    free(state);
    free(nonce);
    free(url);
    cli_secure_free(code);
    cli_secure_free(e_code);
    free(e_redirect);
    free(e_client);
    cli_secure_free(body);
    return ret;
}
