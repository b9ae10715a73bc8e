/*
 * meshcad check --config FILE | --policy FILE [--ttl-ceiling D]: validates a
 * config and the policy it names (or a policy alone), printing every problem
 * to stderr - syntax as "FILE:LINE:COL: msg", meaning as
 * "FILE: json.path: msg" - and "ok: FILE (policy version V, N roles)" to
 * stdout when there is none.  Exit 0 ok, 1 any problem, 2 usage.  Made for CI
 * pipelines: it opens no socket and contacts no database, but reads every
 * key and certificate file the config names, as serve would, and says which
 * one is missing, unreadable, unparsable or readable by group or others.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "meshca/cakey.h"

#include "meshca/duration.h"
#include "meshca/jsonv.h"
#include "meshca/policy.h"
#include <openssl/crypto.h>

#include "cakeyfile.h"
#include "cakeysrc.h"
#include "config.h"
#include "entry.h"
#include "identity.h"
#include "jwks.h"
#include "logins.h"
#include "logkeys.h"
#include "meshcad.h"
#include "meshcad_err.h"
#include "policyfile.h"
#include "svid.h"
#include "tlsfiles.h"

#define CHECK_DEFAULT_CEILING 3600

static void
usage(FILE *f)
{
    fprintf(f, "usage: meshcad check --config FILE\n"
               "       meshcad check --policy FILE [--ttl-ceiling 1h]\n"
               "Validates the config, its policy and the key files it names "
               "without contacting\nthe database; prints every problem and "
               "exits 1 on any, 0 when all is well.\n");
}

int
check_ca_key_file(const char *path, char *why, size_t whylen)
{
    struct cakey *k = NULL;
    int r;

    errno = 0;
    if ((r = cakeyfile_load(path, &k)) != 0)
        snprintf(why, whylen, "%s: %s", path, r == MESHCA_ERR_SYSTEM ?
            strerror(errno) : meshcad_strerror(r));
    cakey_free(k);
    return r;
}

/* The ledger's MAC key and log key, as serve reads them. */
static void
check_ledger_keys(const struct config *cfg, struct diags *d)
{
    uint8_t mac[ENTRY_MAC_KEY_MAX];
    struct cakey *k = NULL;
    char why[1024];
    size_t len = 0;

    if (cfg->ledger.origin == NULL)
        diags_add(d, "ledger: missing (origin, log_key and mac_key are "
            "required to serve; see meshcad.json(5))");
    if (cfg->ledger.mac_key != NULL &&
        logkeys_load_mac(cfg->ledger.mac_key, mac, &len, why, sizeof(why)) != 0)
        diags_add(d, "%s", why);
    OPENSSL_cleanse(mac, sizeof(mac));
    if (cfg->ledger.log_key != NULL &&
        logkeys_load_signer(cfg->ledger.log_key, &k, why, sizeof(why)) != 0)
        diags_add(d, "%s", why);
    cakey_free(k);
}

/* The CA keys as serve loads them (cakeysrc_load_sets: the sets, no key
 * twice), after a diagnostic for each entry that does not load. */
static void
check_ca_keys(const struct config *cfg, struct diags *d)
{
    struct cakey_set *user = NULL, *host = NULL;
    char why[1024];
    size_t i, bad = 0;

    for (i = 0; i < cfg->nca_keys; i++) {
        struct cakey *k = NULL;

        if (cakeysrc_load(&cfg->ca_keys[i], 1, &k, why, sizeof(why)) != 0) {
            diags_add(d, "ca_keys[%zu].%s: %s", i, cfg->ca_keys[i].pkcs11 ?
                "pkcs11" : "path", why);
            bad++;
        }
        cakey_free(k);
    }
    if (bad == 0 && cakeysrc_load_sets(cfg, 1, &user, &host, why,
        sizeof(why)) != 0)
        diags_add(d, "%s", why);
    cakey_set_free(user);
    cakey_set_free(host);
}

/* Each issuer's jwks_file, read as serve reads it at start
 * (identity_read_jwks_file): serve does not start without its keys. */
static void
check_jwks_files(const struct config *cfg, struct diags *d)
{
    struct jwks *ks = NULL;
    char why[320];
    size_t i;

    for (i = 0; i < cfg->nissuers; i++) {
        if (cfg->issuers[i].jwks_file == NULL)
            continue;
        if (identity_read_jwks_file(&cfg->issuers[i], &ks, why,
            sizeof(why)) != 0)
            diags_add(d, "issuers[%zu].jwks_file: %s: %s", i,
                cfg->issuers[i].jwks_file, why);
        jwks_unref(ks);
        ks = NULL;
    }
}

/* Whether d's messages from index from on already name mesh.trust_bundle. */
static int
names_bundle(const struct diags *d, size_t from)
{
    static const char key[] = "mesh.trust_bundle:";

    for (; from < d->n; from++)
        if (strncmp(d->msgs[from], key, sizeof(key) - 1) == 0)
            return 1;
    return 0;
}

/* Adds a diagnostic for every key or certificate file of cfg that serve
 * could not use. */
static void
check_key_files(const struct config *cfg, struct diags *d)
{
    struct tls_files tf;
    X509_STORE *bundle = NULL;
    char why[256];
    size_t from;

    check_ca_keys(cfg, d);
    from = d->n;
    if (tls_files_load(cfg, &tf, d) == 0)
        tls_files_clear(&tf);
    /* serve loads the bundle a second time, as its SVID store; once is
     * enough to say it is missing or not a regular file. */
    if (cfg->mesh.trust_bundle != NULL && !names_bundle(d, from) &&
        tls_files_load_bundle(
        cfg->mesh.trust_bundle, &bundle, why, sizeof(why)) != 0)
        diags_add(d, "mesh.trust_bundle: %s: %s", cfg->mesh.trust_bundle,
            why);
    svid_store_free(bundle);
    check_ledger_keys(cfg, d);
    check_jwks_files(cfg, d);
    if (cfg->logins.host_tokens != NULL) {
        /* Issue #18: every line must read as "HOST sha256:HEX". */
        char *host = NULL;
        size_t line = 0;
        int r = logins_token_lookup(cfg->logins.host_tokens, "", &host,
            &line);

        free(host);
        if (r == MESHCA_ERR_INVALID_FORMAT)
            diags_add(d, "logins.host_tokens: %s line %zu: not \"HOST "
                "sha256:HEX\"", cfg->logins.host_tokens, line);
        else if (r < 0)
            diags_add(d, "logins.host_tokens: cannot read %s",
                cfg->logins.host_tokens);
    }
}

/* Prints config diagnostics with the file name in front of meaning errors
 * (syntax errors and unreadable files already start with it). */
static void
print_config_diags(const char *cfgpath, const struct diags *d, size_t from,
    size_t to)
{
    size_t i, n = strlen(cfgpath);

    for (i = from; i < to; i++) {
        if (strncmp(d->msgs[i], cfgpath, n) == 0 && d->msgs[i][n] == ':')
            fprintf(stderr, "%s\n", d->msgs[i]);
        else
            fprintf(stderr, "%s: %s\n", cfgpath, d->msgs[i]);
    }
}

/*
 * When the config has problems, still find the policy it names (and its
 * ceiling) so one run shows the problems of both files.  Returns a new path
 * or NULL when the config does not say.
 */
static char *
policy_of_broken_config(const char *cfgpath, int64_t *ceilingp)
{
    json_t *j = NULL, *v;
    const char *pol, *slash;
    char *path = NULL;
    int64_t ceiling;

    *ceilingp = CHECK_DEFAULT_CEILING;
    if ((j = json_load_file(cfgpath, JSON_REJECT_DUPLICATES, NULL)) == NULL)
        return NULL;
    if ((v = json_object_get(j, "ttl_ceiling")) != NULL &&
        json_is_string(v) &&
        duration_parse(json_string_value(v), &ceiling) == 0 &&
        ceiling > 0 && ceiling <= 24 * 3600)
        *ceilingp = ceiling;
    if ((v = json_object_get(j, "policy")) != NULL && json_is_string(v) &&
        (pol = json_string_value(v))[0] != '\0') {
        if (pol[0] == '/' || (slash = strrchr(cfgpath, '/')) == NULL) {
            if (pol[0] == '/')
                path = strdup(pol);
            else if (asprintf(&path, "./%s", pol) < 0)
                path = NULL;
        } else if (asprintf(&path, "%.*s/%s", (int)(slash - cfgpath),
            cfgpath, pol) < 0)
            path = NULL;
    }
    json_decref(j);
    return path;
}

int
cmd_check(int argc, char **argv)
{
    const char *cfgpath = NULL, *polpath = NULL, *shown;
    struct config *cfg = NULL;
    struct policy *p = NULL;
    struct diags d = { 0 };
    char *broken_pol = NULL;
    int64_t ceiling = CHECK_DEFAULT_CEILING;
    size_t i, ncfg;
    int a, rc = 1, have_ceiling = 0;

    for (a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (a + 1 >= argc) {
            usage(stderr);
            return 2;
        }
        if (strcmp(argv[a], "--config") == 0 && cfgpath == NULL)
            cfgpath = argv[++a];
        else if (strcmp(argv[a], "--policy") == 0 && polpath == NULL)
            polpath = argv[++a];
        else if (strcmp(argv[a], "--ttl-ceiling") == 0 && !have_ceiling) {
            if (duration_parse(argv[++a], &ceiling) != 0 || ceiling <= 0 ||
                ceiling > 24 * 3600) {
                fprintf(stderr, "meshcad check: --ttl-ceiling: \"%s\" is not "
                    "a duration from 1s to 24h\n", argv[a]);
                return 2;
            }
            have_ceiling = 1;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if ((cfgpath == NULL) == (polpath == NULL) ||
        (cfgpath != NULL && have_ceiling)) {
        usage(stderr);
        return 2;
    }
    shown = polpath;
    if (cfgpath != NULL) {
        shown = cfgpath;
        if (config_load(cfgpath, &cfg, &d) == 0) {
            polpath = cfg->policy_path;
            ceiling = cfg->ttl_ceiling;
            check_key_files(cfg, &d);
        } else
            polpath = broken_pol = policy_of_broken_config(cfgpath,
                &ceiling);
    }
    ncfg = d.n;
    if (polpath != NULL && policyfile_load(polpath, ceiling, &p, &d) == 0 &&
        policy_hosts_check_ceiling(p, cfg != NULL ?
        cfg->mesh.host_ttl_ceiling : 7 * 24 * 3600, &d) == 0 && ncfg == 0) {
        printf("ok: %s (policy version %s, %zu roles)\n", shown,
            policy_version(p), policy_nroles(p));
        rc = 0;
    }
    if (cfgpath != NULL)
        print_config_diags(cfgpath, &d, 0, ncfg);
    for (i = ncfg; i < d.n; i++)
        fprintf(stderr, "%s\n", d.msgs[i]);
    if (rc != 0 && d.n == 0)
        fprintf(stderr, "%s: cannot be checked (out of memory?)\n", shown);
    diags_clear(&d);
    policy_unref(p);
    config_free(cfg);
    free(broken_pol);
    return rc;
}
