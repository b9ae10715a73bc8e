/*
 * meshcad check --config FILE | --policy FILE [--ttl-ceiling D]: validates a
 * config and the policy it names (or a policy alone), printing every problem
 * (syntax with FILE:LINE:COL, meaning with the JSON path) and exiting 1 on
 * any.  Made for CI pipelines: it loads no key and contacts no database.
 */
#include <stdio.h>
#include <string.h>

#include "meshca/duration.h"
#include "meshca/policy.h"
#include "config.h"
#include "meshcad.h"

static void
usage(FILE *f)
{
    fprintf(f, "usage: meshcad check --config FILE\n"
               "       meshcad check --policy FILE [--ttl-ceiling 1h]\n");
}

int
cmd_check(int argc, char **argv)
{
    const char *cfgpath = NULL, *polpath = NULL;
    struct config *cfg = NULL;
    struct policy *p = NULL;
    struct diags d = { 0 };
    int64_t ceiling = 3600;
    size_t i;
    int a, rc = 1;

    for (a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--config") == 0 && a + 1 < argc)
            cfgpath = argv[++a];
        else if (strcmp(argv[a], "--policy") == 0 && a + 1 < argc)
            polpath = argv[++a];
        else if (strcmp(argv[a], "--ttl-ceiling") == 0 && a + 1 < argc) {
            if (duration_parse(argv[++a], &ceiling) != 0 || ceiling <= 0) {
                fprintf(stderr, "meshcad check: --ttl-ceiling: \"%s\" is not "
                    "a duration\n", argv[a]);
                return 2;
            }
        } else if (strcmp(argv[a], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if ((cfgpath == NULL) == (polpath == NULL)) {
        usage(stderr);
        return 2;
    }
    if (cfgpath != NULL) {
        if (config_load(cfgpath, &cfg, &d) != 0)
            goto out;
        polpath = cfg->policy_path;
        ceiling = cfg->ttl_ceiling;
    }
    if (policy_load_file(polpath, ceiling, &p, &d) != 0)
        goto out;
    printf("ok: %s (policy %s, version %s, %zu roles)\n",
        cfgpath ? cfgpath : polpath, polpath, policy_version(p),
        policy_nroles(p));
    rc = 0;
out:
    for (i = 0; i < d.n; i++)
        fprintf(stderr, "%s\n", d.msgs[i]);
    diags_clear(&d);
    policy_unref(p);
    config_free(cfg);
    return rc;
}
