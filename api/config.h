/*
 * meshcad's configuration file (JSON, see docs/configuration.md and meshcad.json(5)).
 * config_load() reads and validates it strictly: unknown keys, wrong types and
 * bad values are all reported (every problem at once, with its JSON path),
 * and relative paths are resolved against the config file's directory.
 * The loaded struct is passed down as const and never changes; the policy it
 * names is loaded separately (it is reloadable).
 */
#ifndef MESHCAD_CONFIG_H
#define MESHCAD_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "meshca/diag.h"
#include "meshca/err.h"
#include "notify_config.h"

struct sockaddr_storage;

enum ca_key_state {
    CA_KEY_ACTIVE = 0,
    CA_KEY_NEXT = 1,
    CA_KEY_RETIRED = 2,
};

/* Which certificates a CA key signs (mesh identity, issue #16): each use
 * is its own key set, built from the entries of that use. */
enum ca_key_use {
    CA_KEY_USE_USER = 0,    /* user certificates (the default) */
    CA_KEY_USE_HOST = 1,    /* host certificates */
};

struct pkcs11_config;

/* One ca_keys entry: where the key is (a PEM file, or a PKCS#11 token) is
 * independent of its state and of its use. */
struct ca_key_config {
    char *path;                     /* PEM file, or NULL */
    struct pkcs11_config *pkcs11;   /* in a token (pkcs11conf.h), or NULL */
    char *fingerprint;              /* expected "SHA256:...", or NULL */
    enum ca_key_state state;
    enum ca_key_use use;
};

/* The "mesh" section; trust_domain NULL when the config has none. */
struct mesh_config {
    char *trust_domain;     /* e.g. "mesh.example.com" */
    char *trust_bundle;     /* PEM file of the mesh CA(s) */
    int xfcc;               /* trust X-Forwarded-Client-Cert (loopback only) */
    int64_t host_ttl_ceiling; /* longest host certificate, default 7d */
};

struct issuer_config {
    char *issuer;           /* compared exactly with "iss" */
    char **audiences;
    size_t naudiences;
    char *jwks_uri;         /* NULL: from discovery unless jwks_file */
    char *jwks_file;        /* local JWKS for air-gapped use */
    char *ca_file;          /* TLS roots for fetching metadata/keys; NULL: system */
    char **algorithms;      /* default RS256, ES256 */
    size_t nalgorithms;
    int64_t leeway;         /* seconds, default 60 */
    int64_t max_token_age;  /* seconds, default 600 */
    int64_t key_refresh_interval; /* min seconds between unknown-kid fetches, default 30 */
    int64_t max_key_staleness;    /* serve cached keys this long when the IdP is down, default 24h */
    int require_key_binding;      /* nonce must be b64url(SHA-256(public key blob)) */
    uint64_t max_certificates_per_token; /* default 1 */
    int email_verified_string;    /* also take "true"/"false" strings (Cognito) */
    int jwt_svid;                 /* "kind": "jwt-svid" (SPIFFE JWT-SVIDs) */
};

struct login_config {
    char *issuer;
    char *client_id;
    char **scopes;
    size_t nscopes;
};

struct limits_config {
    uint64_t max_body_bytes;        /* default 64 KiB */
    uint64_t threads;               /* HTTP worker threads, default: cores */
    uint64_t max_connections;       /* default 1024 */
    uint64_t max_connections_per_ip;/* default 64 */
    int64_t connection_timeout;     /* seconds, default 30 */
    uint64_t rate_per_minute;       /* issuances per subject per minute, default 30 */
    uint64_t db_pool_size;          /* default 4 */
    int64_t queue_budget_ms;        /* waited longer for a worker: 503, default 2000 */
};

/* The "ledger" section; all NULL when the config has none (see
 * config_require_ledger). */
struct ledger_config {
    char *origin;           /* the log's origin line and note key name */
    char *log_key;          /* Ed25519 PEM that signs checkpoints */
    char *mac_key;          /* file of 32..128 random bytes */
    int64_t integrate_interval_ms; /* default 200 */
};

/* The "logins" section (issue #18): how hosts authenticate to POST
 * /v1/logins.  NULL when absent (then the route answers 404). */
struct logins_config {
    char *host_tokens;      /* file of "HOST sha256:HEX" lines */
    int64_t anomaly_refresh; /* meshca_anomalies_flagged every, default 60s */
};

struct config {
    char *path;             /* the file this came from */
    char *listen_host;
    uint16_t listen_port;
    char *tls_cert, *tls_key, *tls_client_ca;  /* NULL when absent */
    char *database;         /* libpq connection string or URI */
    struct ca_key_config *ca_keys;
    size_t nca_keys;
    struct issuer_config *issuers;
    size_t nissuers;
    struct login_config login;
    char *policy_path;
    int64_t clock_skew;     /* valid_after backdating, default 60s */
    int64_t ttl_ceiling;    /* global maximum certificate lifetime, default 1h */
    struct limits_config limits;
    struct ledger_config ledger;
    struct mesh_config mesh;
    struct notify_config notify;    /* "notifications" (#17) */
    struct logins_config logins;
};

/* Loads and validates path.  On success returns 0 and a new config in *cfgp
 * (free with config_free).  On failure returns MESHCA_ERR_INVALID_FORMAT (or
 * MESHCA_ERR_ALLOC), adds every problem to d and leaves *cfgp NULL. */
int config_load(const char *path, struct config **cfgp, struct diags *d) MESHCA_WUR;

/* The socket address serve binds for listen's host and port: an IPv4 or
 * IPv6 literal, or "localhost" (any case) for 127.0.0.1; never a name to
 * resolve.  config_load refuses any other listen with this, so meshcad
 * check refuses what serve could not bind.  Returns 0 with *ssp (and
 * *ipv6p 1 for IPv6), or -1. */
int config_listen_addr(const char *host, uint16_t port,
    struct sockaddr_storage *ssp, int *ipv6p) MESHCA_WUR;

/* 0 when cfg has a ledger section; otherwise prints what is missing for
 * cmd and returns -1. */
int config_require_ledger(const struct config *cfg, const char *cmd);

/* Frees cfg.  Accepts NULL. */
void config_free(struct config *cfg);

#endif
