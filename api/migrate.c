/* meshcad migrate --config FILE: applies the embedded SQL migrations. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "ledger.h"
#include "logkeys.h"
#include "meshca/tlog.h"
#include "meshcad.h"

/* Shared by migrate and ledger: --config FILE, with usage text. */
static int
config_arg(int argc, char **argv, const char *usage, const char **pathp)
{
    int i;

    *pathp = NULL;
    for (i = 1; i < argc; i++) {
        if ((strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "-c") == 0)
            && i + 1 < argc)
            *pathp = argv[++i];
        else if (strcmp(argv[i], "--help") == 0) {
            printf("usage: %s\n", usage);
            return 1;
        } else {
            fprintf(stderr, "usage: %s\n", usage);
            return -1;
        }
    }
    if (*pathp == NULL) {
        fprintf(stderr, "usage: %s\n", usage);
        return -1;
    }
    return 0;
}

/* config_load, with every problem printed as "cmd: problem".  Returns 0
 * and *cfgp (caller frees), or -1. */
static int
load_config(const char *cmd, const char *path, struct config **cfgp)
{
    struct diags d = { 0 };
    size_t i;

    if (config_load(path, cfgp, &d) == 0)
        return 0;
    for (i = 0; i < d.n; i++)
        fprintf(stderr, "%s: %s\n", cmd, d.msgs[i]);
    diags_clear(&d);
    return -1;
}

int
cmd_migrate(int argc, char **argv)
{
    struct config *cfg = NULL;
    const char *path;
    char why[512];
    int r;

    if ((r = config_arg(argc, argv, "meshcad migrate --config FILE",
        &path)) != 0)
        return r > 0 ? 0 : 2;
    if (load_config("meshcad migrate", path, &cfg) != 0)
        return 1;
    r = ledger_migrate(cfg->database, 1, why, sizeof(why));
    if (r != 0)
        fprintf(stderr, "meshcad migrate: %s\n", why);
    else
        fprintf(stderr, "meshcad migrate: the database is up to date\n");
    config_free(cfg);
    return r == 0 ? 0 : 1;
}

int
cmd_ledger(int argc, char **argv)
{
    struct config *cfg = NULL;
    struct ledger_verify_result res;
    const char *path;
    int r, json = 0, i, j;

    if (argc < 2 || strcmp(argv[1], "verify") != 0) {
        fprintf(stderr, "usage: meshcad ledger verify --config FILE [--json]\n");
        return 2;
    }
    /* Drop "verify" and an optional --json, then read --config. */
    for (i = 2, j = 1; i < argc; i++)
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else
            argv[j++] = argv[i];
    if ((r = config_arg(j, argv, "meshcad ledger verify --config FILE [--json]",
        &path)) != 0)
        return r > 0 ? 0 : 2;
    if (load_config("meshcad ledger", path, &cfg) != 0)
        return 2;
    if (config_require_ledger(cfg, "meshcad ledger verify") != 0) {
        config_free(cfg);
        return 2;
    }
    r = ledger_verify(cfg, &res);
    config_free(cfg);
    if (r != 0) {
        fprintf(stderr, "meshcad ledger verify: %s\n", res.message);
        return 2;
    }
    if (json) {
        json_t *o = json_pack("{s:b, s:I, s:I, s:s, s:I, s:I, s:s}",
            "intact", res.intact, "log_size", (json_int_t)res.log_size,
            "checkpoints", (json_int_t)res.checkpoints, "root", res.root,
            "quarantined", (json_int_t)res.quarantined, "first_bad",
            (json_int_t)res.first_bad_index, "message", res.message);

        json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
        printf("\n");
        json_decref(o);
    } else
        printf("%s: %s\n", res.intact ? "ok" : "BROKEN", res.message);
    return res.intact ? 0 : 1;
}

/* meshcad log vkey --config FILE: the checkpoints' note verifier key. */
int
cmd_log(int argc, char **argv)
{
    struct config *cfg = NULL;
    struct cakey *k = NULL;
    const char *path;
    char why[512], *vkey = NULL;
    int r, rc = 1;

    if (argc < 2 || strcmp(argv[1], "vkey") != 0) {
        fprintf(stderr, "usage: meshcad log vkey --config FILE\n");
        return 2;
    }
    if ((r = config_arg(argc - 1, argv + 1, "meshcad log vkey --config FILE",
        &path)) != 0)
        return r > 0 ? 0 : 2;
    if (load_config("meshcad log", path, &cfg) != 0)
        return 2;
    if (config_require_ledger(cfg, "meshcad log") != 0)
        rc = 2;
    else if (logkeys_load_signer(cfg->ledger.log_key, &k, why, sizeof(why)) != 0)
        fprintf(stderr, "meshcad log: %s\n", why);
    else if (tlog_vkey_format(cfg->ledger.origin, cakey_evp(k), &vkey) != 0)
        fprintf(stderr, "meshcad log: cannot format the verifier key\n");
    else {
        printf("%s\n", vkey);
        rc = 0;
    }
    free(vkey);
    cakey_free(k);
    config_free(cfg);
    return rc;
}
