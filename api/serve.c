/*
 * meshcad serve: load the config, CA keys, policy, identity providers and the
 * ledger; serve HTTP; SIGHUP reloads the policy (a bad one is refused and the
 * old one keeps serving); SIGTERM/SIGINT stop accepting, finish what is in
 * flight, and exit 0.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "meshca/cakey.h"
#include "meshca/key.h"
#include "meshca/diag.h"
#include "meshca/policy.h"
#include "identity.h"
#include <openssl/crypto.h>

#include "meshca/tlog.h"
#include "cakeysrc.h"
#include "castate.h"
#include "entry.h"
#include "integrator.h"
#include "ledger.h"
#include "logkeys.h"
#include "log.h"
#include "meshcad.h"
#include "meshcad_err.h"
#include "sdnotify.h"
#include "policyfile.h"
#include "ratelimit.h"
#include "revocations.h"
#include "anomgauge.h"
#include "notify_sweep.h"
#include "server.h"
#include "svid.h"
#include "tlsfiles.h"
#include "webhooks.h"

static int
parse_config_flag(int argc, char **argv, const char **pathp)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int ch;

    *pathp = NULL;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            *pathp = optarg;
            break;
        case 'h':
            printf("usage: meshcad serve --config FILE\n");
            return 1;
        default:
            return -1;
        }
    }
    if (*pathp == NULL || optind != argc) {
        fprintf(stderr, "usage: meshcad serve --config FILE\n");
        return -1;
    }
    return 0;
}

static void
print_diags(const struct diags *d)
{
    size_t i;

    for (i = 0; i < d->n; i++)
        fprintf(stderr, "meshcad: %s\n", d->msgs[i]);
}

/* The policy's "hosts" against mesh.host_ttl_ceiling: 0, or
 * MESHCA_ERR_POLICY_INVALID with the problems in d and *pp dropped. */
static int
check_host_ceiling(const struct config *cfg, struct policy **pp,
    struct diags *d)
{
    if (policy_hosts_check_ceiling(*pp, cfg->mesh.host_ttl_ceiling, d) == 0)
        return 0;
    policy_unref(*pp);
    *pp = NULL;
    return MESHCA_ERR_POLICY_INVALID;
}

/* Loads the policy file; on success records it in the ledger (best effort:
 * a database outage must not block a reload) and returns it. */
static struct policy *
load_policy(struct server *srv, int initial)
{
    struct diags d = { 0 };
    struct policy *p = NULL;
    json_t *f, *hosts;
    size_t i;
    int r;

    if ((r = policyfile_load(srv->cfg->policy_path, srv->cfg->ttl_ceiling,
        &p, &d)) != 0 || (r = check_host_ceiling(srv->cfg, &p, &d)) != 0) {
        json_t *errs = json_array();

        for (i = 0; i < d.n; i++)
            json_array_append_new(errs, json_string(d.msgs[i]));
        log_json(LOG_LEVEL_ERROR, initial ? "policy is invalid; not starting"
            : "policy reload refused; the previous policy stays in force",
            json_pack("{s:s, s:o}", "path", srv->cfg->policy_path,
                "errors", errs));
        metrics_inc(&srv->metrics.reloads, "refused");
        diags_clear(&d);
        return NULL;
    }
    f = json_pack("{s:s, s:s}", "path", srv->cfg->policy_path, "version",
        policy_version(p));
    log_json(LOG_LEVEL_INFO, initial ? "policy loaded" : "policy reloaded", f);
    for (i = 0; i < policy_nroles(p); i++) /* every role's counter from 0 */
        metrics_zero(&srv->metrics.issued, policy_role_name(p, i));
    if ((hosts = policy_host_patterns(p)) != NULL &&
        json_array_size(hosts) > 0) /* host certificates (issue #16) */
        metrics_zero(&srv->metrics.issued, "hosts");
    json_decref(hosts);
    if (!initial)
        metrics_inc(&srv->metrics.reloads, "ok");
    if (srv->ledger != NULL &&
        (r = ledger_record_policy(srv->ledger, policy_version(p),
            policy_text(p))) != 0)
        log_json(LOG_LEVEL_WARN, "policy version not recorded in the ledger "
            "yet", json_pack("{s:s, s:s}", "version", policy_version(p),
                "error", meshcad_strerror(r)));
    return p;
}

static char *build_config_body(const struct server *srv,
    const struct cakey_set *set);

/* Loads cfg's ca_keys into a new CA state: the user set and the host set
 * (issue #16; files and PKCS#11 tokens, one token session per HTTP
 * thread), as meshcad check loads them (cakeysrc_load_sets), so a reload
 * swaps both sets together.  Returns 0 and *csp, or -1 with what to fix in
 * why. */
static int
load_ca_state(const struct server *srv, const struct config *cfg,
    struct castate **csp, char *why, size_t whylen)
{
    struct cakey_set *set = NULL, *host = NULL;
    char *body = NULL;

    *csp = NULL;
    if (cakeysrc_load_sets(cfg, (size_t)srv->cfg->limits.threads, &set,
        &host, why, whylen) != 0)
        return -1;
    if ((body = build_config_body(srv, set)) == NULL ||
        castate_new(set, body, csp) != 0) {
        free(body);
        goto fail;
    }
    set = NULL;
    if (host != NULL && castate_set_host(*csp, host) != 0)
        goto fail;
    return 0;
fail:
    snprintf(why, whylen, "out of memory");
    castate_unref(*csp);
    *csp = NULL;
    cakey_set_free(set);
    cakey_set_free(host);
    return -1;
}

/* Appends set's keys (fingerprint, state; "use": "host" for host keys) to
 * the reload log's array.  Accepts a NULL set. */
static void
log_keys(json_t *keys, const struct cakey_set *set, int host)
{
    size_t i;

    for (i = 0; set != NULL && i < cakey_set_count(set); i++) {
        enum cakey_state st;
        const struct cakey *k = cakey_set_get(set, i, &st);
        char *fp = NULL;
        json_t *o;

        if (meshca_key_fingerprint(cakey_public(k), &fp) != 0)
            continue;
        o = json_pack("{s:s, s:s}", "fingerprint", fp, "state",
            cakey_state_name(st));
        if (o != NULL && host)
            json_object_set_new(o, "use", json_string("host"));
        json_array_append_new(keys, o);
        free(fp);
    }
}

/* One setting read only at start that the file now gives otherwise. */
static void
warn_changed(const char *setting, json_t *running, json_t *file)
{
    log_json(LOG_LEVEL_WARN, "a setting changed in the config file applies "
        "at the next start; this reload used the running value (meshcad "
        "check judges the file as a start would)", json_pack("{s:s, s:o, "
        "s:o}", "setting", setting, "running", running, "file", file));
}

/* A reload judges the policy against the running policy path and
 * ceilings, check against the file's: say so when they differ, so that a
 * policy check passed and the reload refused is explained. */
static void
warn_start_only(const struct config *running, const struct config *file)
{
    if (strcmp(running->policy_path, file->policy_path) != 0)
        warn_changed("policy", json_string(running->policy_path),
            json_string(file->policy_path));
    if (running->ttl_ceiling != file->ttl_ceiling)
        warn_changed("ttl_ceiling", json_integer(running->ttl_ceiling),
            json_integer(file->ttl_ceiling));
    if (running->mesh.host_ttl_ceiling != file->mesh.host_ttl_ceiling)
        warn_changed("mesh.host_ttl_ceiling",
            json_integer(running->mesh.host_ttl_ceiling),
            json_integer(file->mesh.host_ttl_ceiling));
}

/* SIGHUP: re-reads the config file's ca_keys (a rotation needs no
 * restart).  A config that does not load or a key that does not load is
 * refused and the current keys keep serving.  Other settings are only read
 * at start. */
/* Returns 0 when the new set serves, -1 when it was refused. */
static int
reload_ca_keys(struct server *srv, const char *path)
{
    struct config *cfg = NULL;
    struct castate *cs = NULL;
    struct diags d = { 0 };
    json_t *keys;
    char why[1024];

    if (config_load(path, &cfg, &d) != 0) {
        snprintf(why, sizeof(why), "%s is invalid: %s", path,
            d.n > 0 ? d.msgs[0] : "see meshcad check");
        diags_clear(&d);
        goto refused;
    }
    warn_start_only(srv->cfg, cfg);
    if (load_ca_state(srv, cfg, &cs, why, sizeof(why)) != 0)
        goto refused;
    keys = json_array();
    log_keys(keys, cs->set, 0);
    log_keys(keys, cs->host_set, 1);
    server_set_ca(srv, cs);
    metrics_inc(&srv->metrics.ca_reloads, "ok");
    log_json(LOG_LEVEL_INFO, "ca keys reloaded", json_pack("{s:o}", "keys",
        keys));
    config_free(cfg);
    return 0;
refused:
    metrics_inc(&srv->metrics.ca_reloads, "refused");
    log_json(LOG_LEVEL_ERROR, "ca keys reload refused; the previous keys "
        "keep serving", json_pack("{s:s}", "error", why));
    config_free(cfg);
    return -1;
}

/* The mesh trust bundle (issue #16), read at start (the host CA keys are
 * in the CA state: load_ca_state). */
static int
load_mesh(struct server *srv)
{
    const struct config *cfg = srv->cfg;
    char why[256];

    if (cfg->mesh.trust_bundle != NULL && tls_files_load_bundle(
        cfg->mesh.trust_bundle, &srv->mesh_store, why, sizeof(why)) != 0) {
        fprintf(stderr, "meshcad: cannot read mesh.trust_bundle %s: %s\n",
            cfg->mesh.trust_bundle, why);
        return MESHCA_ERR_INVALID_FORMAT;
    }
    return 0;
}

static char *
build_config_body(const struct server *srv, const struct cakey_set *set)
{
    const struct config *cfg = srv->cfg;
    json_t *o, *scopes, *fps;
    char *s;
    size_t i;
    int binding = 0;

    scopes = json_array();
    for (i = 0; i < cfg->login.nscopes; i++)
        json_array_append_new(scopes, json_string(cfg->login.scopes[i]));
    fps = json_array();
    for (i = 0; i < cakey_set_count(set); i++) {
        char *fp = NULL;

        if (meshca_key_fingerprint(cakey_public(cakey_set_get(set, i, NULL)),
            &fp) == 0)
            json_array_append_new(fps, json_string(fp));
        free(fp);
    }
    for (i = 0; i < cfg->nissuers; i++)
        if (cfg->login.issuer != NULL &&
            strcmp(cfg->issuers[i].issuer, cfg->login.issuer) == 0)
            binding = cfg->issuers[i].require_key_binding;
    o = json_pack("{s:s, s:o, s:o, s:b, s:I}", "api_version", "v1",
        "scopes", scopes, "ca_fingerprints", fps, "key_binding", binding,
        "ttl_ceiling_seconds", (json_int_t)cfg->ttl_ceiling);
    if (cfg->login.issuer != NULL) {
        json_object_set_new(o, "issuer", json_string(cfg->login.issuer));
        json_object_set_new(o, "client_id", json_string(cfg->login.client_id));
    }
    s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}

/*
 * The ledger's writers (sealing entries with the MAC key) and the log
 * integrator (signing checkpoints with the log key).  Prints what to fix
 * and returns -1 on failure.
 */
static int
start_ledger(struct server *srv)
{
    const struct config *cfg = srv->cfg;
    struct integrator_params ip;
    uint8_t mac[ENTRY_MAC_KEY_MAX];
    size_t maclen = 0;
    char why[512];
    int r = -1;

    if (config_require_ledger(cfg, "meshcad") != 0)
        return -1;
    if (logkeys_load_mac(cfg->ledger.mac_key, mac, &maclen, why,
        sizeof(why)) != 0 ||
        logkeys_load_signer(cfg->ledger.log_key, &srv->log_key, why,
        sizeof(why)) != 0) {
        fprintf(stderr, "meshcad: %s\n", why);
        goto out;
    }
    if (tlog_vkey_format(cfg->ledger.origin, cakey_evp(srv->log_key),
        &srv->log_vkey) != 0 ||
        ledger_open(cfg->database, (size_t)cfg->limits.db_pool_size, mac,
        maclen, &srv->ledger) != 0) {
        fprintf(stderr, "meshcad: cannot set up the ledger\n");
        goto out;
    }
    memset(&ip, 0, sizeof(ip));
    ip.conninfo = cfg->database;
    ip.origin = cfg->ledger.origin;
    ip.log_key = srv->log_key;
    ip.mac_key = mac;
    ip.mac_keylen = maclen;
    ip.interval_ms = cfg->ledger.integrate_interval_ms;
    if (integrator_start(&ip, &srv->integrator) != 0) {
        fprintf(stderr, "meshcad: cannot start the log integrator\n");
        goto out;
    }
    r = 0;
out:
    OPENSSL_cleanse(mac, sizeof(mac));
    return r;
}

int
cmd_serve(int argc, char **argv)
{
    struct server srv;
    struct config *cfg = NULL;
    struct diags d = { 0 };
    const char *path;
    char why[1024];
    sigset_t set;
    int r, sig, rc = 1;

    if ((r = parse_config_flag(argc, argv, &path)) != 0)
        return r > 0 ? 0 : 2;
    memset(&srv, 0, sizeof(srv));
    pthread_mutex_init(&srv.policy_lock, NULL);
    pthread_mutex_init(&srv.ca_lock, NULL);
    metrics_init(&srv.metrics);

    /* Signals are taken by sigwait below; every thread inherits the mask. */
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (config_load(path, &cfg, &d) != 0) {
        print_diags(&d);
        fprintf(stderr, "meshcad: %s is invalid; `meshcad check --config %s` "
            "lists the problems\n", path, path);
        goto out;
    }
    srv.cfg = cfg;
    if (load_ca_state(&srv, cfg, &srv.ca, why, sizeof(why)) != 0) {
        fprintf(stderr, "meshcad: cannot load the CA keys: %s\n", why);
        goto out;
    }
    if ((r = load_mesh(&srv)) != 0)
        goto out;
    if (start_ledger(&srv) != 0)
        goto out;
    if (webhooks_start(cfg, &srv.webhooks) != 0) {
        fprintf(stderr, "meshcad: cannot start webhook delivery\n");
        goto out;
    }
    if ((srv.policy = load_policy(&srv, 1)) == NULL)
        goto out;
    /* The ledger as the outbox (#17): queues what notify_event missed. */
    webhooks_set_sweep(srv.webhooks, notify_sweep, &srv);
    if ((r = identity_new(cfg, &srv.identity)) != 0) {
        fprintf(stderr, "meshcad: cannot set up the identity providers: %s\n",
            meshcad_strerror(r));
        goto out;
    }
    if ((srv.rl = ratelimit_new(cfg->limits.rate_per_minute)) == NULL) {
        fprintf(stderr, "meshcad: out of memory\n");
        goto out;
    }
    if (revocations_start(&srv) != 0 ||
        anomgauge_start(&srv, &srv.anomg) != 0 || server_start(&srv) != 0)
        goto out;
    log_json(LOG_LEVEL_INFO, "listening", json_pack("{s:s, s:i, s:s, s:s}",
        "address", cfg->listen_host, "port", (int)cfg->listen_port,
        "url_scheme", cfg->tls_cert ? "https" : "http", "version",
        MESHCA_VERSION));
    notify_ready("serving");

    for (;;) {
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            struct policy *p;
            int ca_ok;

            notify_reloading();
            if ((p = load_policy(&srv, 0)) != NULL)
                server_set_policy(&srv, p);
            ca_ok = reload_ca_keys(&srv, path) == 0;
            notify_ready(p != NULL && ca_ok ? "serving" : "serving; the last "
                "reload was refused (see the log)");
            continue;
        }
        log_json(LOG_LEVEL_INFO, "shutting down", json_pack("{s:s}",
            "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"));
        notify_stopping();
        break;
    }
    server_stop(&srv, 15000);
    rc = 0;
out:
    if (srv.daemon != NULL)
        server_stop(&srv, 0);
    revocations_stop(&srv);
    anomgauge_stop(srv.anomg);
    webhooks_stop(srv.webhooks);
    server_set_policy(&srv, NULL);
    identity_free(srv.identity);
    integrator_stop(srv.integrator);
    ledger_close(srv.ledger);
    cakey_free(srv.log_key);
    free(srv.log_vkey);
    server_set_ca(&srv, NULL);
    ratelimit_free(srv.rl);
    svid_store_free(srv.mesh_store);
    metrics_free(&srv.metrics);
    diags_clear(&d);
    config_free(cfg);
    return rc;
}
