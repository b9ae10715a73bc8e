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
#include "cakeyfile.h"
#include "entry.h"
#include "integrator.h"
#include "ledger.h"
#include "logkeys.h"
#include "log.h"
#include "meshcad.h"
#include "meshcad_err.h"
#include "policyfile.h"
#include "ratelimit.h"
#include "revocations.h"
#include "server.h"
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

/* Loads the policy file; on success records it in the ledger (best effort:
 * a database outage must not block a reload) and returns it. */
static struct policy *
load_policy(struct server *srv, int initial)
{
    struct diags d = { 0 };
    struct policy *p = NULL;
    json_t *f;
    size_t i;
    int r;

    if ((r = policyfile_load(srv->cfg->policy_path, srv->cfg->ttl_ceiling,
        &p, &d)) != 0) {
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

static int
load_ca_keys(const struct config *cfg, struct cakey_set **setp)
{
    struct cakeyfile_spec *specs;
    size_t i;
    int r;

    if ((specs = calloc(cfg->nca_keys, sizeof(*specs))) == NULL)
        return MESHCA_ERR_ALLOC;
    for (i = 0; i < cfg->nca_keys; i++) {
        specs[i].path = cfg->ca_keys[i].path;
        specs[i].state = cfg->ca_keys[i].state == CA_KEY_ACTIVE ? CAKEY_ACTIVE
            : cfg->ca_keys[i].state == CA_KEY_NEXT ? CAKEY_NEXT
            : CAKEY_RETIRED;
    }
    if ((r = cakeyfile_load_set(specs, cfg->nca_keys, setp)) != 0) {
        char why[1024];

        /* Name the file and the reason (not "system error (see errno)"). */
        for (i = 0; i < cfg->nca_keys; i++)
            if (check_ca_key_file(cfg->ca_keys[i].path, why,
                sizeof(why)) != 0)
                break;
        if (i < cfg->nca_keys)
            fprintf(stderr, "meshcad: cannot load ca_keys[%zu]: %s\n", i,
                why);
        else
            fprintf(stderr, "meshcad: cannot load the CA keys: %s\n",
                meshcad_strerror(r));
    }
    free(specs);
    return r;
}

static char *
build_config_body(const struct server *srv)
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
    for (i = 0; i < cakey_set_count(srv->cas); i++) {
        char *fp = NULL;

        if (meshca_key_fingerprint(cakey_public(cakey_set_get(srv->cas, i, NULL)),
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
    sigset_t set;
    int r, sig, rc = 1;

    if ((r = parse_config_flag(argc, argv, &path)) != 0)
        return r > 0 ? 0 : 2;
    memset(&srv, 0, sizeof(srv));
    pthread_mutex_init(&srv.policy_lock, NULL);
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
    if ((r = load_ca_keys(cfg, &srv.cas)) != 0)
        goto out;
    if (start_ledger(&srv) != 0)
        goto out;
    if (webhooks_start(cfg, &srv.webhooks) != 0) {
        fprintf(stderr, "meshcad: cannot start webhook delivery\n");
        goto out;
    }
    if ((srv.policy = load_policy(&srv, 1)) == NULL)
        goto out;
    if ((r = identity_new(cfg, &srv.identity)) != 0) {
        fprintf(stderr, "meshcad: cannot set up the identity providers: %s\n",
            meshcad_strerror(r));
        goto out;
    }
    if ((srv.rl = ratelimit_new(cfg->limits.rate_per_minute)) == NULL ||
        cakey_set_trusted_text(srv.cas, &srv.ca_keys_text) != 0 ||
        meshca_key_to_line(cakey_public(cakey_set_active(srv.cas)), NULL,
            &srv.ca_active_line) != 0 ||
        (srv.config_body = build_config_body(&srv)) == NULL) {
        fprintf(stderr, "meshcad: out of memory\n");
        goto out;
    }
    if (revocations_start(&srv) != 0 || server_start(&srv) != 0)
        goto out;
    log_json(LOG_LEVEL_INFO, "listening", json_pack("{s:s, s:i, s:s, s:s}",
        "address", cfg->listen_host, "port", (int)cfg->listen_port,
        "url_scheme", cfg->tls_cert ? "https" : "http", "version",
        MESHCA_VERSION));

    for (;;) {
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            struct policy *p = load_policy(&srv, 0);

            if (p != NULL)
                server_set_policy(&srv, p);
            continue;
        }
        log_json(LOG_LEVEL_INFO, "shutting down", json_pack("{s:s}",
            "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"));
        break;
    }
    server_stop(&srv, 15000);
    rc = 0;
out:
    if (srv.daemon != NULL)
        server_stop(&srv, 0);
    revocations_stop(&srv);
    webhooks_stop(srv.webhooks);
    server_set_policy(&srv, NULL);
    identity_free(srv.identity);
    integrator_stop(srv.integrator);
    ledger_close(srv.ledger);
    cakey_free(srv.log_key);
    free(srv.log_vkey);
    cakey_set_free(srv.cas);
    ratelimit_free(srv.rl);
    free(srv.ca_keys_text);
    free(srv.ca_active_line);
    free(srv.config_body);
    metrics_free(&srv.metrics);
    diags_clear(&d);
    config_free(cfg);
    return rc;
}
