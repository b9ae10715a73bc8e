/*
 * meshca ssh [options] [--] DESTINATION [ssh args]: logs in only when no
 * valid certificate is installed (or the one installed expires within
 * --min-valid, or lacks an asked --principal), then runs ssh with the rest
 * of the command line.  ssh's exit status is meshca ssh's.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "meshca/cert.h"
#include "meshca/duration.h"
#include "cli.h"
#include "cli_install.h"

/* Most arguments handed on to login (every option and its value). */
#define SSH_LOGIN_ARGS 64

static void
usage(FILE *f)
{
    fprintf(f, "usage: meshca ssh [--min-valid 60s] [login options] [--] "
        "DESTINATION [ssh args]\n"
        "Runs ssh with a valid meshca certificate: logs in first only when "
        "none is\ninstalled, the one installed expires within --min-valid, "
        "or it lacks an asked\n--principal.  Then executes ssh (or "
        "$MESHCA_SSH) with the rest of the command\nline; a login to files "
        "adds -i ~/.ssh/meshca/id_ed25519.\n"
        "  --min-valid D    log in again when less is left (default 60s, as\n"
        "                   meshca status)\n"
        "  --principal P, --role R, --ttl D, --reason TEXT, --flow F,\n"
        "  --token-file F, --files, --profile NAME: as meshca login\n"
        CLI_CONN_USAGE
        "Exit: ssh's, or 1 login refused, 2 usage, 3 server unreachable.\n");
}

struct ssh_args {
    char *login[SSH_LOGIN_ARGS];    /* "login" and the options for it */
    int nlogin;
    char *owned[SSH_LOGIN_ARGS];    /* the "--name" strings made here */
    int nowned;
    int first;                      /* argv index of ssh's arguments */
    const char *want[SSH_LOGIN_ARGS];   /* --principal values */
    size_t nwant;
    int64_t min_valid;
};

/* Reads meshca's own options (up to the first non-option or "--") into
 * *a.  Returns -1 to go on, or the exit status. */
static int
parse_args(int argc, char **argv, struct ssh_args *a)
{
    static const struct option opts[] = {
        CLI_CONN_OPTIONS,
        { "min-valid", required_argument, NULL, 'm' },
        CLI_LOGIN_OPTIONS,
        { "profile", required_argument, NULL, 'P' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int ch, idx;

    a->login[a->nlogin++] = (char *)"login";
    /* optind 0: a fresh getopt that stops at the first non-option ("+"),
     * so that ssh's own options stay ssh's. */
    optind = 0;
    while ((ch = getopt_long(argc, argv, "+", opts, &idx)) != -1) {
        if (ch == 'h') {
            usage(stdout);
            return 0;
        }
        if (ch == '?') {
            usage(stderr);
            return EXIT_USAGE;
        }
        if (ch == 'm') {
            if (duration_parse(optarg, &a->min_valid) != 0) {
                fprintf(stderr, "meshca ssh: --min-valid %s is not a "
                    "duration (say 5m)\n", optarg);
                return EXIT_USAGE;
            }
            continue;
        }
        if (ch == 'P') {
            if (cli_profile_set(optarg) != 0)
                return EXIT_USAGE;
            continue;
        }
        if (ch == 'p')
            a->want[a->nwant++] = optarg;
        if (a->nlogin + 3 > SSH_LOGIN_ARGS) {
            fprintf(stderr, "meshca ssh: too many options\n");
            return EXIT_USAGE;
        }
        if (asprintf(&a->owned[a->nowned], "--%s", opts[idx].name) < 0)
            return EXIT_REFUSED;
        a->login[a->nlogin++] = a->owned[a->nowned++];
        if (opts[idx].has_arg == required_argument)
            a->login[a->nlogin++] = optarg;
    }
    if (optind >= argc) {
        fprintf(stderr, "meshca ssh: no destination: meshca ssh [options] "
            "USER@HOST [ssh args]\n");
        return EXIT_USAGE;
    }
    a->first = optind;
    return -1;
}

/* Whether the installed certificate serves: present, min_valid left, and
 * every asked principal in it. */
static int
cert_usable(const struct ssh_args *a)
{
    json_t *st = NULL;
    struct cert *c = NULL;
    int64_t left;
    size_t i, j;
    int ok = 0, have;

    if (install_state_load(&st) != 0 || cert_from_line(json_string_value(
        json_object_get(st, "certificate")), &c) != 0)
        goto out;
    left = (int64_t)(c->valid_before > INT64_MAX ? INT64_MAX :
        c->valid_before) - (int64_t)time(NULL);
    if (cli_status_code(install_present(st, c, getenv("SSH_AUTH_SOCK")),
        left, a->min_valid) != STATUS_VALID)
        goto out;
    for (i = 0; i < a->nwant; i++) {
        for (j = 0, have = 0; j < c->nprincipals && !have; j++)
            have = strcmp(c->principals[j], a->want[i]) == 0;
        if (!have)
            goto out;
    }
    ok = 1;
out:
    cert_free(c);
    json_decref(st);
    return ok;
}

/* meshca login with the options given, its report on stderr (ssh's
 * standard output stays the remote command's).  Returns its exit code. */
static int
run_login(struct ssh_args *a)
{
    int saved, rc;

    fflush(stdout);
    if ((saved = dup(STDOUT_FILENO)) < 0 ||
        dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
        fprintf(stderr, "meshca ssh: %s\n", strerror(errno));
        return EXIT_REFUSED;
    }
    a->login[a->nlogin] = NULL;
    rc = cmd_login(a->nlogin, a->login);
    fflush(stdout);
    (void)dup2(saved, STDOUT_FILENO);
    close(saved);
    return rc;
}

/* Executes ssh with args (argc of them), adding -i for a login to files.
 * Returns only on failure. */
static int
exec_ssh(int argc, char **argv)
{
    const char *ssh = getenv("MESHCA_SSH");
    const char *inst, *dir;
    char **av, *key = NULL;
    json_t *st = NULL;
    int n = 0, i;

    if (ssh == NULL || *ssh == '\0')
        ssh = "ssh";
    if ((av = calloc((size_t)argc + 4, sizeof(*av))) == NULL)
        return EXIT_REFUSED;
    av[n++] = (char *)ssh;
    if (install_state_load(&st) == 0 &&
        (inst = json_string_value(json_object_get(st, "installed"))) != NULL &&
        strcmp(inst, "files") == 0 &&
        (dir = json_string_value(json_object_get(st, "directory"))) != NULL &&
        asprintf(&key, "%s/" INSTALL_KEY_FILE, dir) >= 0) {
        av[n++] = (char *)"-i";
        av[n++] = key;
    }
    for (i = 0; i < argc; i++)
        av[n++] = argv[i];
    av[n] = NULL;
    fflush(NULL);
    execvp(ssh, av);
    fprintf(stderr, "meshca ssh: cannot run %s: %s\n", ssh, strerror(errno));
    free(key);
    free(av);
    json_decref(st);
    return EXIT_REFUSED;
}

int
cmd_ssh(int argc, char **argv)
{
    struct ssh_args a;
    int rc, i;

    memset(&a, 0, sizeof(a));
    a.min_valid = 60;   /* as meshca status: certificates often live 5m */
    if ((rc = parse_args(argc, argv, &a)) < 0) {
        rc = cert_usable(&a) ? 0 : run_login(&a);
        if (rc == 0)
            rc = exec_ssh(argc - a.first, argv + a.first);
    }
    for (i = 0; i < a.nowned; i++)
        free(a.owned[i]);
    return rc;
}
