/* meshcad configuration loading and validation, see config.h. */
#include <arpa/inet.h>
#include <sys/socket.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "meshca/jsonv.h"
#include "meshca/url.h"
#include "config.h"
#include "confpath.h"
#include "meshcad_err.h"
#include "pkcs11conf.h"

static const char *const top_keys[] = { "listen", "tls", "database",
    "ca_keys", "issuers", "login", "policy", "clock_skew", "ttl_ceiling",
    "limits", "ledger", "mesh", "notifications", "logins", NULL };
static const char *const logins_keys[] = { "host_tokens",
    "anomaly_refresh", NULL };
static const char *const ledger_keys[] = { "origin", "log_key", "mac_key",
    "integrate_interval", NULL };
static const char *const tls_keys[] = { "cert", "key", "client_ca", NULL };
static const char *const cakey_keys[] = { "path", "state", "pkcs11",
    "fingerprint", "use", NULL };
static const char *const mesh_keys[] = { "trust_domain", "trust_bundle",
    "xfcc", "host_ttl_ceiling", NULL };
static const char *const issuer_keys[] = { "issuer", "audiences", "jwks_uri",
    "jwks_file", "ca_file", "algorithms", "leeway", "max_token_age",
    "key_refresh_interval", "max_key_staleness", "require_key_binding",
    "max_certificates_per_token", "email_verified_string", "kind", NULL };
static const char *const login_keys[] = { "issuer", "client_id", "scopes",
    NULL };
static const char *const limits_keys[] = { "max_body_bytes", "threads",
    "max_connections", "max_connections_per_ip", "connection_timeout",
    "rate_per_minute", "db_pool_size", "queue_budget", NULL };
static const char *const known_algs[] = { "RS256", "ES256", "PS256", "RS384",
    "RS512", "ES384", "PS384", "PS512", NULL };

int
config_listen_addr(const char *host, uint16_t port,
    struct sockaddr_storage *ssp, int *ipv6p)
{
    struct sockaddr_in *sin = (struct sockaddr_in *)ssp;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ssp;

    memset(ssp, 0, sizeof(*ssp));
    *ipv6p = 0;
    /* The loopback rule (url_host_is_loopback) allows it in any case. */
    if (strcasecmp(host, "localhost") == 0)
        host = "127.0.0.1";
    if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
    } else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        *ipv6p = 1;
    } else
        return -1;
    return 0;
}

static void
parse_listen(struct config *c, const char *s, struct diags *d)
{
    struct sockaddr_storage ss;
    int ipv6;
    const char *colon;
    char *end;
    unsigned long port;
    size_t hlen;

    if (s[0] == '[') {
        const char *rb = strchr(s, ']');

        if (rb == NULL || rb[1] != ':') {
            diags_add(d, "listen: \"%s\" must be HOST:PORT or [IPV6]:PORT", s);
            return;
        }
        hlen = (size_t)(rb - s - 1);
        c->listen_host = strndup(s + 1, hlen);
        colon = rb + 1;
    } else {
        if ((colon = strrchr(s, ':')) == NULL || colon == s) {
            diags_add(d, "listen: \"%s\" must be HOST:PORT", s);
            return;
        }
        c->listen_host = strndup(s, (size_t)(colon - s));
    }
    port = strtoul(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end != '\0' || port == 0 || port > 65535) {
        diags_add(d, "listen: \"%s\" has no valid port (1-65535)", s);
        return;
    }
    if (c->listen_host != NULL &&
        config_listen_addr(c->listen_host, (uint16_t)port, &ss, &ipv6) != 0) {
        diags_add(d, "listen: \"%s\" is not an IP address or localhost "
            "(meshcad binds an address; it does not resolve names)",
            c->listen_host);
        free(c->listen_host);
        c->listen_host = NULL;
        return;
    }
    c->listen_port = (uint16_t)port;
}

/* "kind": "oidc" (ID tokens, the default) or "jwt-svid" (issue #16). */
static void
parse_issuer_kind(struct issuer_config *is, const json_t *j,
    const char *path, struct diags *d)
{
    char *kind = NULL;

    if (jsonv_string(j, "kind", path, 0, &kind, d) != 1)
        return;
    if (strcmp(kind, "jwt-svid") == 0)
        is->jwt_svid = 1;
    else if (strcmp(kind, "oidc") != 0)
        diags_add(d, "%s.kind: \"%s\" must be oidc or jwt-svid", path, kind);
    free(kind);
}

static void
parse_issuer(struct issuer_config *is, const json_t *j, const char *path,
    const char *dir, struct diags *d)
{
    size_t i, k;
    int ok;
    uint64_t u;

    if (!jsonv_object(j, path, issuer_keys, d))
        return;
    if (jsonv_string(j, "issuer", path, 1, &is->issuer, d) == 1 &&
        url_check(is->issuer, NULL, 0) != 0)
        diags_add(d, "%s.issuer: \"%s\" must be an https:// URL (plain "
            "http only on loopback, for tests)", path, is->issuer);
    if (jsonv_strings(j, "audiences", path, 1, &is->audiences,
        &is->naudiences, d) == 1 && is->naudiences == 0)
        diags_add(d, "%s.audiences: must name at least one audience", path);
    jsonv_string(j, "jwks_uri", path, 0, &is->jwks_uri, d);
    jsonv_string(j, "jwks_file", path, 0, &is->jwks_file, d);
    jsonv_string(j, "ca_file", path, 0, &is->ca_file, d);
    if (is->jwks_uri != NULL && is->jwks_file != NULL)
        diags_add(d, "%s: give jwks_uri or jwks_file, not both", path);
    confpath_resolve(&is->jwks_file, dir, d);
    confpath_resolve(&is->ca_file, dir, d);
    if (jsonv_strings(j, "algorithms", path, 0, &is->algorithms,
        &is->nalgorithms, d) == 0) {
        is->algorithms = calloc(3, sizeof(char *));
        if (is->algorithms != NULL) {
            is->algorithms[0] = strdup("RS256");
            is->algorithms[1] = strdup("ES256");
            is->nalgorithms = 2;
        }
    }
    for (i = 0; i < is->nalgorithms; i++) {
        for (k = 0, ok = 0; known_algs[k] != NULL; k++)
            if (strcmp(is->algorithms[i], known_algs[k]) == 0)
                ok = 1;
        if (!ok)
            diags_add(d, "%s.algorithms[%zu]: \"%s\" is not allowed (only "
                "asymmetric algorithms: RS256, ES256, PS256, RS384, RS512, "
                "ES384, PS384, PS512)", path, i, is->algorithms[i]);
    }
    is->leeway = 60;
    is->max_token_age = 600;
    is->key_refresh_interval = 30;
    is->max_key_staleness = 24 * 3600;
    is->max_certificates_per_token = 1;
    jsonv_duration(j, "leeway", path, 0, &is->leeway, d);
    if (is->leeway > 300)
        diags_add(d, "%s.leeway: at most 5m", path);
    jsonv_duration(j, "max_token_age", path, 0, &is->max_token_age, d);
    jsonv_duration(j, "key_refresh_interval", path, 0,
        &is->key_refresh_interval, d);
    jsonv_duration(j, "max_key_staleness", path, 0, &is->max_key_staleness, d);
    jsonv_bool(j, "require_key_binding", path, 0, &is->require_key_binding, d);
    jsonv_bool(j, "email_verified_string", path, 0,
        &is->email_verified_string, d);
    parse_issuer_kind(is, j, path, d);
    if (jsonv_uint(j, "max_certificates_per_token", path, 0, 1000000, &u,
        d) == 1) {
        if (u == 0)
            diags_add(d, "%s.max_certificates_per_token: at least 1", path);
        is->max_certificates_per_token = u;
    }
}

/* A log origin: printable ASCII without spaces or '+' (it names the note
 * key too), as C2SP signed-note asks of key names. */
static int
origin_ok(const char *o)
{
    size_t i;

    for (i = 0; o[i] != '\0'; i++)
        if (o[i] <= ' ' || o[i] > '~' || o[i] == '+')
            return 0;
    return i > 0 && i <= 200;
}

/* The "ledger" section: the log's origin, its signing key and the MAC key
 * (both files, resolved against the config's directory). */
static void
parse_ledger(struct config *c, json_t *v, const char *dir, struct diags *d)
{
    /* Optional here (tools that only verify tokens or check a policy need
     * none); serve, ledger verify and log vkey refuse to run without it. */
    if (v == NULL)
        return;
    if (!jsonv_object(v, "ledger", ledger_keys, d))
        return;
    if (jsonv_string(v, "origin", "ledger", 1, &c->ledger.origin, d) == 1 &&
        !origin_ok(c->ledger.origin))
        diags_add(d, "ledger.origin: 1 to 200 printable characters without "
            "spaces or '+' (for example \"meshca.example.com/log\")");
    if (jsonv_string(v, "log_key", "ledger", 1, &c->ledger.log_key, d) == 1)
        confpath_resolve(&c->ledger.log_key, dir, d);
    if (jsonv_string(v, "mac_key", "ledger", 1, &c->ledger.mac_key, d) == 1)
        confpath_resolve(&c->ledger.mac_key, dir, d);
    if (json_object_get(v, "integrate_interval") != NULL) {
        int64_t ms = 0;
        uint64_t u = 0;

        if (jsonv_uint(v, "integrate_interval", "ledger", 0, 1000, &u, d) == 1) {
            ms = (int64_t)u;
            if (ms < 10)
                diags_add(d, "ledger.integrate_interval: 10 to 1000 "
                    "(milliseconds)");
            else
                c->ledger.integrate_interval_ms = ms;
        }
    }
}

/* The "logins" section: the hosts' token file (issue #18). */
static void
parse_logins(struct config *c, const json_t *v, const char *dir,
    struct diags *d)
{
    if (v == NULL)
        return;
    if (!jsonv_object(v, "logins", logins_keys, d))
        return;
    if (jsonv_string(v, "host_tokens", "logins", 1, &c->logins.host_tokens,
        d) == 1)
        confpath_resolve(&c->logins.host_tokens, dir, d);
    if (jsonv_duration(v, "anomaly_refresh", "logins", 0,
        &c->logins.anomaly_refresh, d) == 1 && c->logins.anomaly_refresh <= 0)
        diags_add(d, "logins.anomaly_refresh: must be at least 1s");
}

/* Every default, set before any section is read, so a section's parser
 * only overrides what the file gives.  (Lists that default when absent,
 * issuers[].algorithms and login.scopes, are filled in by their parsers.) */
static void
config_defaults(struct config *c)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    c->clock_skew = 60;
    c->ttl_ceiling = 3600;
    c->ledger.integrate_interval_ms = 200;
    c->logins.anomaly_refresh = 60;
    c->limits.max_body_bytes = 64 * 1024;
    c->limits.threads = n > 0 ? (uint64_t)n : 2;
    c->limits.max_connections = 1024;
    c->limits.max_connections_per_ip = 64;
    c->limits.connection_timeout = 30;
    c->limits.rate_per_minute = 30;
    c->limits.db_pool_size = 4;
    c->limits.queue_budget_ms = 2000;
}

/* The directory relative paths are resolved against (NULL: out of
 * memory). */
static char *
config_dir(const char *path)
{
    char *dir, *slash;

    if ((dir = strdup(path)) == NULL)
        return NULL;
    if ((slash = strrchr(dir, '/')) != NULL) {
        *slash = '\0';
        return dir;
    }
    free(dir);
    return strdup(".");
}

/* The "tls" section; without one, listen (the configured string, for the
 * message) must be a loopback address. */
static void
parse_tls(struct config *c, const json_t *v, const char *listen,
    const char *dir, struct diags *d)
{
    if (v == NULL) {
        if (c->listen_host != NULL && !url_host_is_loopback(c->listen_host))
            diags_add(d, "listen: \"%s\" is not a loopback address; plain "
                "HTTP is allowed only on loopback: configure tls.cert and "
                "tls.key", listen);
        return;
    }
    if (!jsonv_object(v, "tls", tls_keys, d))
        return;
    jsonv_string(v, "cert", "tls", 1, &c->tls_cert, d);
    jsonv_string(v, "key", "tls", 1, &c->tls_key, d);
    jsonv_string(v, "client_ca", "tls", 0, &c->tls_client_ca, d);
    confpath_resolve(&c->tls_cert, dir, d);
    confpath_resolve(&c->tls_key, dir, d);
    confpath_resolve(&c->tls_client_ca, dir, d);
}

/* Where a ca_keys entry's key is: "path" (a PEM file) or "pkcs11" (a
 * token, see pkcs11conf.h), and its optional expected "fingerprint".
 * Returns 0, or -1 when the source is unusable (already reported). */
static int
parse_ca_key_source(struct ca_key_config *k, const json_t *e,
    const char *path, const char *dir, struct diags *d)
{
    const json_t *p11 = json_object_get(e, "pkcs11");
    char sub[80];

    if (jsonv_string(e, "fingerprint", path, 0, &k->fingerprint, d) == 1 &&
        strncmp(k->fingerprint, "SHA256:", 7) != 0)
        diags_add(d, "%s.fingerprint: \"%s\" must be a SHA256 fingerprint "
            "(\"SHA256:...\", as meshcad keygen prints)", path,
            k->fingerprint);
    if (p11 == NULL) {
        jsonv_string(e, "path", path, 1, &k->path, d);
        confpath_resolve(&k->path, dir, d);
        return k->path != NULL ? 0 : -1;
    }
    if (json_object_get(e, "path") != NULL) {
        diags_add(d, "%s: give either path or pkcs11, not both", path);
        return -1;
    }
    snprintf(sub, sizeof(sub), "%s.pkcs11", path);
    return pkcs11conf_parse(p11, sub, dir, &k->pkcs11, d);
}

/* One element of "ca_keys" (path names it in messages).  Returns 0, or -1
 * when it is not an object (then it counts as no key at all). */
static int
parse_ca_key(struct ca_key_config *k, const json_t *e, const char *path,
    const char *dir, struct diags *d)
{
    char *state = NULL, *use = NULL;

    if (!jsonv_object(e, path, cakey_keys, d))
        return -1;
    (void)parse_ca_key_source(k, e, path, dir, d);
    /* The use (issue #16) is independent of the key's source. */
    k->use = CA_KEY_USE_USER;
    if (jsonv_string(e, "use", path, 0, &use, d) == 1) {
        if (strcmp(use, "host") == 0)
            k->use = CA_KEY_USE_HOST;
        else if (strcmp(use, "user") != 0)
            diags_add(d, "%s.use: \"%s\" must be user or host", path, use);
        free(use);
    }
    k->state = CA_KEY_ACTIVE;
    if (jsonv_string(e, "state", path, 0, &state, d) != 1)
        return 0;
    if (strcmp(state, "active") == 0)
        k->state = CA_KEY_ACTIVE;
    else if (strcmp(state, "next") == 0)
        k->state = CA_KEY_NEXT;
    else if (strcmp(state, "retired") == 0)
        k->state = CA_KEY_RETIRED;
    else
        diags_add(d, "%s.state: \"%s\" must be active, next or retired",
            path, state);
    free(state);
    return 0;
}

/* A required section that must be a non-empty array: 1 with its size in
 * *np, or 0 with the problem (missing: why it is needed) added to d. */
static int
required_array(const json_t *v, const char *name, const char *missing,
    size_t *np, struct diags *d)
{
    if (v == NULL) {
        diags_add(d, "%s: missing (%s)", name, missing);
        return 0;
    }
    if (!json_is_array(v) || json_array_size(v) == 0) {
        diags_add(d, "%s: must be a non-empty array", name);
        return 0;
    }
    *np = json_array_size(v);
    return 1;
}

/* The "ca_keys" section (required, exactly one active key).  Returns 0 or
 * MESHCA_ERR_ALLOC. */
static int
parse_ca_keys(struct config *c, const json_t *v, const char *dir,
    struct diags *d)
{
    const json_t *e;
    char p[64];
    size_t i, nactive = 0, nhost = 0, nhost_active = 0;

    if (!required_array(v, "ca_keys", "required; create one with "
        "`meshcad keygen --out ca.pem`", &c->nca_keys, d))
        return 0;
    if ((c->ca_keys = calloc(c->nca_keys, sizeof(*c->ca_keys))) == NULL)
        return MESHCA_ERR_ALLOC;
    json_array_foreach(v, i, e) {
        snprintf(p, sizeof(p), "ca_keys[%zu]", i);
        if (parse_ca_key(&c->ca_keys[i], e, p, dir, d) != 0)
            continue;
        if (c->ca_keys[i].use == CA_KEY_USE_HOST) {
            nhost++;
            nhost_active += c->ca_keys[i].state == CA_KEY_ACTIVE;
        } else if (c->ca_keys[i].state == CA_KEY_ACTIVE)
            nactive++;
    }
    if (nactive != 1)
        diags_add(d, "ca_keys: exactly one key must be active (found %zu)",
            nactive);
    if (nhost > 0 && nhost_active != 1)
        diags_add(d, "ca_keys: exactly one key with \"use\": \"host\" must "
            "be active (found %zu)", nhost_active);
    return 0;
}

/* The "issuers" section (required; no issuer twice).  Returns 0 or
 * MESHCA_ERR_ALLOC. */
static int
parse_issuers(struct config *c, const json_t *v, const char *dir,
    struct diags *d)
{
    const json_t *e;
    char p[64];
    size_t i, k;

    if (!required_array(v, "issuers", "required: the identity providers "
        "whose ID tokens are trusted", &c->nissuers, d))
        return 0;
    if ((c->issuers = calloc(c->nissuers, sizeof(*c->issuers))) == NULL)
        return MESHCA_ERR_ALLOC;
    json_array_foreach(v, i, e) {
        snprintf(p, sizeof(p), "issuers[%zu]", i);
        parse_issuer(&c->issuers[i], e, p, dir, d);
        if (c->issuers[i].issuer == NULL)
            continue;
        for (k = 0; k < i; k++)
            if (c->issuers[k].issuer != NULL &&
                strcmp(c->issuers[k].issuer, c->issuers[i].issuer) == 0)
                diags_add(d, "%s.issuer: \"%s\" is configured twice", p,
                    c->issuers[i].issuer);
    }
    return 0;
}

/* The "login" section (its issuer must be configured), then the default
 * scopes when it names none. */
static void
parse_login(struct config *c, const json_t *v, struct diags *d)
{
    static const char *const defscopes[] = { "openid", "email", "groups" };
    size_t i;
    int found = 0;

    if (v != NULL && jsonv_object(v, "login", login_keys, d)) {
        jsonv_string(v, "issuer", "login", 1, &c->login.issuer, d);
        jsonv_string(v, "client_id", "login", 1, &c->login.client_id, d);
        jsonv_strings(v, "scopes", "login", 0, &c->login.scopes,
            &c->login.nscopes, d);
        for (i = 0; c->login.issuer != NULL && i < c->nissuers; i++)
            if (c->issuers[i].issuer != NULL &&
                strcmp(c->issuers[i].issuer, c->login.issuer) == 0)
                found = 1;
        if (c->login.issuer != NULL && !found)
            diags_add(d, "login.issuer: \"%s\" is not one of the "
                "configured issuers", c->login.issuer);
    }
    if (c->login.scopes == NULL &&
        (c->login.scopes = calloc(3, sizeof(char *))) != NULL) {
        for (i = 0; i < 3; i++)
            c->login.scopes[i] = strdup(defscopes[i]);
        c->login.nscopes = 3;
    }
}

/* "clock_skew" and "ttl_ceiling" (top level). */
static void
parse_times(struct config *c, const json_t *j, struct diags *d)
{
    jsonv_duration(j, "clock_skew", "", 0, &c->clock_skew, d);
    if (c->clock_skew > 600)
        diags_add(d, "clock_skew: at most 10m");
    jsonv_duration(j, "ttl_ceiling", "", 0, &c->ttl_ceiling, d);
    if (c->ttl_ceiling <= 0 || c->ttl_ceiling > 24 * 3600)
        diags_add(d, "ttl_ceiling: must be between 1s and 24h");
}

/* The "limits" section. */
/* limits.queue_budget: how long a request may wait for a worker before it
 * is answered 503 instead of worked on (a duration, 100ms to 60s). */
static void
parse_queue_budget(struct limits_config *l, const json_t *v, struct diags *d)
{
    int64_t secs = 0;
    const json_t *b = json_object_get(v, "queue_budget");
    const char *s = json_string_value(b);
    char *end;
    double ms;

    if (b == NULL)
        return;
    /* Sub-second budgets are the point, and durations parse whole seconds:
     * accept "NNNms" here, anything else as a duration. */
    if (s != NULL && (ms = strtod(s, &end)) > 0 && strcmp(end, "ms") == 0) {
        l->queue_budget_ms = (int64_t)ms;
    } else if (jsonv_duration(v, "queue_budget", "limits", 0, &secs, d) == 1)
        l->queue_budget_ms = secs * 1000;
    else
        return;
    if (l->queue_budget_ms < 100 || l->queue_budget_ms > 60000)
        diags_add(d, "limits.queue_budget: between 100ms and 60s");
}

static void
parse_limits(struct config *c, const json_t *v, struct diags *d)
{
    struct limits_config *l = &c->limits;

    if (v == NULL)
        return;
    if (!jsonv_object(v, "limits", limits_keys, d))
        return;
    jsonv_uint(v, "max_body_bytes", "limits", 0, 16 * 1024 * 1024,
        &l->max_body_bytes, d);
    jsonv_uint(v, "threads", "limits", 0, 256, &l->threads, d);
    jsonv_uint(v, "max_connections", "limits", 0, 100000,
        &l->max_connections, d);
    jsonv_uint(v, "max_connections_per_ip", "limits", 0, 100000,
        &l->max_connections_per_ip, d);
    jsonv_duration(v, "connection_timeout", "limits", 0,
        &l->connection_timeout, d);
    jsonv_uint(v, "rate_per_minute", "limits", 0, 10000000,
        &l->rate_per_minute, d);
    jsonv_uint(v, "db_pool_size", "limits", 0, 64, &l->db_pool_size, d);
    parse_queue_budget(l, v, d);
    if (l->threads == 0 || l->db_pool_size == 0 || l->max_body_bytes < 1024)
        diags_add(d, "limits: threads and db_pool_size must be at least 1, "
            "max_body_bytes at least 1024");
}

/* The "mesh" section (issue #16): the workloads' trust domain and the
 * mesh CA that issues their X.509-SVIDs. */
static void
parse_mesh(struct config *c, const json_t *v, const char *dir,
    struct diags *d)
{
    c->mesh.host_ttl_ceiling = 7 * 24 * 3600;
    if (v == NULL)
        return;
    if (!jsonv_object(v, "mesh", mesh_keys, d))
        return;
    if (jsonv_string(v, "trust_domain", "mesh", 1, &c->mesh.trust_domain,
        d) == 1 && (c->mesh.trust_domain[0] == '\0' ||
        strspn(c->mesh.trust_domain, "abcdefghijklmnopqrstuvwxyz0123456789.-_")
        != strlen(c->mesh.trust_domain) || strlen(c->mesh.trust_domain) > 255))
        diags_add(d, "mesh.trust_domain: \"%s\" is not a trust domain "
            "(lower-case letters, digits, '.', '-', '_'; no spiffe://)",
            c->mesh.trust_domain);
    if (jsonv_string(v, "trust_bundle", "mesh", 0, &c->mesh.trust_bundle,
        d) == 1)
        confpath_resolve(&c->mesh.trust_bundle, dir, d);
    if (c->mesh.trust_bundle != NULL && c->tls_cert == NULL)
        diags_add(d, "mesh.trust_bundle: X.509-SVIDs are TLS client "
            "certificates: configure tls.cert and tls.key too");
    jsonv_bool(v, "xfcc", "mesh", 0, &c->mesh.xfcc, d);
    jsonv_duration(v, "host_ttl_ceiling", "mesh", 0,
        &c->mesh.host_ttl_ceiling, d);
    if (c->mesh.host_ttl_ceiling < 3600 ||
        c->mesh.host_ttl_ceiling > 30 * 24 * 3600)
        diags_add(d, "mesh.host_ttl_ceiling: between 1h and 30d");
    if (c->mesh.xfcc && c->listen_host != NULL &&
        !url_host_is_loopback(c->listen_host))
        diags_add(d, "mesh.xfcc: X-Forwarded-Client-Cert can be trusted only "
            "when meshcad listens on loopback behind its sidecar; listen is "
            "\"%s\"", c->listen_host);
}

/* A JWT-SVID's sub must be a SPIFFE ID of the mesh's trust domain, and no
 * person logs in with one. */
static void
check_jwt_svid_issuers(const struct config *c, struct diags *d)
{
    size_t i;

    for (i = 0; i < c->nissuers; i++) {
        if (!c->issuers[i].jwt_svid)
            continue;
        if (c->mesh.trust_domain == NULL)
            diags_add(d, "issuers[%zu].kind: jwt-svid needs mesh.trust_domain "
                "(the trust domain its SPIFFE IDs must be in)", i);
        if (c->login.issuer != NULL && c->issuers[i].issuer != NULL &&
            strcmp(c->login.issuer, c->issuers[i].issuer) == 0)
            diags_add(d, "login.issuer: %s is a jwt-svid issuer; people log "
                "in with an OpenID Connect issuer", c->login.issuer);
    }
}

int
config_load(const char *path, struct config **cfgp, struct diags *d)
{
    struct config *c = NULL;
    json_t *j = NULL;
    char *listen = NULL, *dir = NULL;
    size_t before = d->n;
    int r = MESHCA_ERR_INVALID_FORMAT;

    *cfgp = NULL;
    if ((c = calloc(1, sizeof(*c))) == NULL ||
        (c->path = strdup(path)) == NULL) {
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    config_defaults(c);
    dir = config_dir(path);
    if ((j = jsonv_load_file(path, d)) == NULL)
        goto out;
    jsonv_known_keys(j, "", top_keys, d);
    if (jsonv_string(j, "listen", "", 1, &listen, d) == 1)
        parse_listen(c, listen, d);
    parse_tls(c, json_object_get(j, "tls"), listen, dir, d);
    jsonv_string(j, "database", "", 1, &c->database, d);
    if (parse_ca_keys(c, json_object_get(j, "ca_keys"), dir, d) != 0 ||
        parse_issuers(c, json_object_get(j, "issuers"), dir, d) != 0) {
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    parse_login(c, json_object_get(j, "login"), d);
    if (jsonv_string(j, "policy", "", 1, &c->policy_path, d) == 1)
        confpath_resolve(&c->policy_path, dir, d);
    parse_ledger(c, json_object_get(j, "ledger"), dir, d);
    parse_logins(c, json_object_get(j, "logins"), dir, d);
    parse_times(c, j, d);
    parse_limits(c, json_object_get(j, "limits"), d);
    parse_mesh(c, json_object_get(j, "mesh"), dir, d);
    check_jwt_svid_issuers(c, d);
    notify_config_parse(&c->notify, json_object_get(j, "notifications"), dir,
        d);
    if (d->n == before) {
        *cfgp = c;
        c = NULL;
        r = 0;
    }
out:
    if (r != 0 && d->n == before)
        diags_add(d, "%s: %s", path, meshcad_strerror(r));
    json_decref(j);
    free(listen);
    free(dir);
    config_free(c);
    return r;
}

int
config_require_ledger(const struct config *cfg, const char *cmd)
{
    if (cfg->ledger.origin != NULL && cfg->ledger.log_key != NULL &&
        cfg->ledger.mac_key != NULL)
        return 0;
    fprintf(stderr, "%s: %s: ledger: missing (origin, log_key and mac_key "
        "are required; see meshcad.json(5))\n", cmd, cfg->path);
    return -1;
}

void
config_free(struct config *c)
{
    size_t i;

    if (c == NULL)
        return;
    notify_config_free(&c->notify);
    free(c->path);
    free(c->listen_host);
    free(c->tls_cert);
    free(c->tls_key);
    free(c->tls_client_ca);
    free(c->database);
    for (i = 0; i < c->nca_keys; i++) {
        free(c->ca_keys[i].path);
        pkcs11conf_free(c->ca_keys[i].pkcs11);
        free(c->ca_keys[i].fingerprint);
    }
    free(c->ca_keys);
    for (i = 0; i < c->nissuers; i++) {
        struct issuer_config *is = &c->issuers[i];

        free(is->issuer);
        jsonv_strv_free(is->audiences, is->naudiences);
        free(is->jwks_uri);
        free(is->jwks_file);
        free(is->ca_file);
        jsonv_strv_free(is->algorithms, is->nalgorithms);
    }
    free(c->issuers);
    free(c->login.issuer);
    free(c->login.client_id);
    jsonv_strv_free(c->login.scopes, c->login.nscopes);
    free(c->policy_path);
    free(c->ledger.origin);
    free(c->ledger.log_key);
    free(c->ledger.mac_key);
    free(c->mesh.trust_domain);
    free(c->mesh.trust_bundle);
    free(c->logins.host_tokens);
    free(c);
}
