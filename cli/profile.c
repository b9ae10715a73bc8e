/*
 * Profiles: --profile NAME (or $MESHCA_PROFILE) keeps a second server or a
 * second identity apart from the first.  A profile has its own state file
 * (~/.config/meshca/state-NAME.json), its own files (~/.ssh/meshca-NAME/)
 * and so its own agent entry: one profile's login never removes another's
 * certificate.  "profiles": {"NAME": {...}} in the client config gives a
 * profile its own "server", "ca_file" and "ca_fingerprints".  See cli.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "cli_err.h"

static char profile[CLI_PROFILE_MAX + 1];

int
cli_profile_valid(const char *name)
{
    size_t i, n = strlen(name);

    if (n == 0 || n > CLI_PROFILE_MAX)
        return 0;
    for (i = 0; i < n; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') ||
            (name[i] >= 'A' && name[i] <= 'Z') ||
            (name[i] >= '0' && name[i] <= '9') || name[i] == '-' ||
            name[i] == '_'))
            return 0;
    return name[0] != '-';
}

int
cli_profile_set(const char *name)
{
    if (name == NULL || *name == '\0') {
        profile[0] = '\0';
        return 0;
    }
    if (!cli_profile_valid(name)) {
        fprintf(stderr, "meshca: profile \"%s\": use 1 to %d letters, digits, "
            "'-' or '_' (not first)\n", name, CLI_PROFILE_MAX);
        return MESHCA_ERR_INVALID_ARGUMENT;
    }
    snprintf(profile, sizeof(profile), "%s", name);
    return 0;
}

const char *
cli_profile(void)
{
    return profile[0] != '\0' ? profile : NULL;
}

/* Removes argv[i] and, when take2, argv[i + 1]. */
static void
drop(int *argcp, char **argv, int i, int take2)
{
    int n = take2 ? 2 : 1;

    memmove(argv + i, argv + i + n, (size_t)(*argcp - i - n + 1) *
        sizeof(*argv));
    *argcp -= n;
}

int
cli_profile_take(int *argcp, char **argv)
{
    const char *env = getenv("MESHCA_PROFILE"), *name = env;
    int i, stop = *argcp;

    /* For meshca ssh only what precedes the command's own arguments is
     * meshca's: it reads --profile itself. */
    for (i = 1; i < *argcp && argv[i][0] == '-'; i++)
        if (strcmp(argv[i], "--profile") == 0)
            i++;
    if (i < *argcp && strcmp(argv[i], "ssh") == 0)
        stop = i + 1;
    for (i = 1; i < stop && i < *argcp; ) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--profile") == 0) {
            if (i + 1 >= *argcp) {
                fprintf(stderr, "meshca: --profile needs a NAME\n");
                return MESHCA_ERR_INVALID_ARGUMENT;
            }
            name = argv[i + 1];
            drop(argcp, argv, i, 1);
            stop -= 2;
        } else if (strncmp(argv[i], "--profile=", 10) == 0) {
            name = argv[i] + 10;
            drop(argcp, argv, i, 0);
            stop -= 1;
        } else
            i++;
    }
    return cli_profile_set(name);
}

int
cli_profile_select(json_t *root, char *why, size_t whylen)
{
    json_t *all = json_object_get(root, "profiles"), *p;
    const char *name = cli_profile(), *k;
    char names[256] = "";
    json_t *v;

    if (all != NULL && !json_is_object(all)) {
        snprintf(why, whylen, "\"profiles\" must be an object: {\"NAME\": "
            "{\"server\": ..., \"ca_file\": ...}}");
        return MESHCA_ERR_CLI_CONFIG;
    }
    if (name == NULL || all == NULL)
        return 0;
    if ((p = json_object_get(all, name)) == NULL) {
        json_object_foreach(all, k, v) {
            (void)v;
            if (strlen(names) + strlen(k) + 3 < sizeof(names))
                snprintf(names + strlen(names), sizeof(names) -
                    strlen(names), "%s%s", names[0] ? ", " : "", k);
        }
        snprintf(why, whylen, "profile \"%s\" is not in \"profiles\" (it "
            "has: %s)", name, names[0] ? names : "none");
        return MESHCA_ERR_CLI_CONFIG;
    }
    if (!json_is_object(p)) {
        snprintf(why, whylen, "\"profiles\".\"%s\" must be an object", name);
        return MESHCA_ERR_CLI_CONFIG;
    }
    /* The profile's keys win over the top level's. */
    return json_object_update(root, p) == 0 ? 0 : MESHCA_ERR_ALLOC;
}
