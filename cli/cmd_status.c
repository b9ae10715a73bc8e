/*
 * meshca status, logout and ssh-config: what login installed, undoing it,
 * and the ssh_config lines for --files logins.
 *
 * status exit codes: 0 a valid certificate is installed, 1 it expires within
 * --min-valid (default 60 s), 2 none (never logged in, logged out, expired,
 * or gone from the agent).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "meshca/cert.h"
#include "meshca/duration.h"
#include "cli.h"
#include "cli_install.h"

static void
status_usage(FILE *f)
{
    fprintf(f, "usage: meshca status [--json] [--min-valid 60s]\n"
        "Shows the certificate meshca login installed: principals, role, "
        "serial, key id,\ntime left, CA key, where it is.\n"
        "Exit: 0 valid, 1 expires within --min-valid (default 60s), 2 none "
        "(absent,\nexpired, or gone from the ssh-agent).\n");
}

int
cmd_status(int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "min-valid", required_argument, NULL, 'm' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    json_t *st = NULL, *o = NULL;
    struct cert *c = NULL;
    const char *inst, *sock = getenv("SSH_AUTH_SOCK");
    int64_t min_valid = 60, left = 0;
    int json = 0, ch, rc = STATUS_NONE, present = 0;
    char b[32], t[32];
    size_t i;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'j': json = 1; break;
        case 'm':
            if (duration_parse(optarg, &min_valid) != 0) {
                fprintf(stderr, "meshca status: --min-valid %s is not a "
                    "duration (say 60s or 5m)\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'h': status_usage(stdout); return 0;
        default: status_usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc) {
        status_usage(stderr);
        return EXIT_USAGE;
    }
    if (install_state_load(&st) != 0 ||
        cert_from_line(json_string_value(json_object_get(st, "certificate")),
            &c) != 0) {
        if (json)
            printf("{\"installed\":false,\"state\":\"none\"}\n");
        else
            printf("No meshca certificate: run meshca login.\n");
        json_decref(st);
        return STATUS_NONE;
    }
    inst = json_string_value(json_object_get(st, "installed"));
    present = install_present(st, c, sock);
    left = (int64_t)(c->valid_before > INT64_MAX ? INT64_MAX :
        c->valid_before) - (int64_t)time(NULL);
    rc = cli_status_code(present, left, min_valid);
    if (json) {
        o = json_pack("{s:b, s:s, s:s?, s:s, s:s?, s:O, s:I, s:s, s:s, "
            "s:s?, s:s?, s:s?}",
            "installed", rc != STATUS_NONE,
            "state", rc == STATUS_VALID ? "valid" : rc == STATUS_EXPIRING ?
                "expiring" : !present ? "absent" : "expired",
            "serial", json_string_value(json_object_get(st, "serial")),
            "key_id", c->key_id,
            "role", json_string_value(json_object_get(st, "role")),
            "principals", json_object_get(st, "principals"),
            "seconds_left", (json_int_t)(left > 0 ? left : 0),
            "valid_before", cli_format_time(c->valid_before, t, sizeof(t)),
            "where", inst != NULL && strcmp(inst, "agent") == 0 ?
                "ssh-agent" : "files",
            "ca_fingerprint", json_string_value(json_object_get(st,
                "ca_fingerprint")),
            "key_fingerprint", json_string_value(json_object_get(st,
                "key_fingerprint")),
            "directory", json_string_value(json_object_get(st, "directory")));
        if (o != NULL) {
            json_dumpf(o, stdout, JSON_COMPACT);
            printf("\n");
        }
    } else if (rc == STATUS_NONE)
        printf("No valid meshca certificate (%s): run meshca login.\n",
            !present ? "no longer installed" : "expired");
    else {
        printf("%s: %s, %s left (until %s)\n", rc == STATUS_VALID ? "Valid" :
            "Expiring soon", c->key_id, cli_format_left(left, b, sizeof(b)),
            cli_format_time(c->valid_before, t, sizeof(t)));
        printf("  principals:");
        for (i = 0; i < c->nprincipals; i++)
            printf(" %s", c->principals[i]);
        printf("\n  role:       %s\n  serial:     %s\n  CA key:     %s\n"
            "  installed:  %s\n",
            json_string_value(json_object_get(st, "role")) ?
            json_string_value(json_object_get(st, "role")) : "-",
            json_string_value(json_object_get(st, "serial")) ?
            json_string_value(json_object_get(st, "serial")) : "-",
            json_string_value(json_object_get(st, "ca_fingerprint")) ?
            json_string_value(json_object_get(st, "ca_fingerprint")) : "-",
            inst != NULL && strcmp(inst, "agent") == 0 ? "in the ssh-agent" :
            json_string_value(json_object_get(st, "directory")) ?
            json_string_value(json_object_get(st, "directory")) : "files");
    }
    json_decref(o);
    cert_free(c);
    json_decref(st);
    return rc;
}

/* The usage text of a command without options: on stdout with exit 0 when
 * arg is --help, else on stderr with EXIT_USAGE. */
static int
usage_for(const char *arg, const char *text)
{
    int help = strcmp(arg, "--help") == 0;

    fputs(text, help ? stdout : stderr);
    return help ? 0 : EXIT_USAGE;
}

int
cmd_logout(int argc, char **argv)
{
    char where[1100], why[512];
    int was = 0;

    if (argc > 1)
        return usage_for(argv[1], "usage: meshca logout\n"
            "Removes the certificate meshca login installed: from the "
            "ssh-agent, and the\nfiles under ~/.ssh/meshca/.  Exit: 0 done "
            "(or nothing to do), 1 failed, 2 usage.\n");
    if (install_logout(getenv("SSH_AUTH_SOCK"), &was, where, sizeof(where),
        why, sizeof(why)) != 0) {
        fprintf(stderr, "meshca logout: %s\n", why);
        return EXIT_REFUSED;
    }
    if (!was)
        printf("Not logged in.\n");
    else
        printf("Logged out: the certificate is gone from %s.\n",
            strcmp(where, "ssh-agent") == 0 ? "the ssh-agent" : where);
    return 0;
}

/* The Include line for snippet in ~/.ssh/config.  Returns the exit code. */
static int
ssh_config_include(const char *home, const char *snippet)
{
    char backup[1200], why[1200];
    int added = 0;

    if (install_ssh_include(home, snippet, backup, sizeof(backup), &added,
        why, sizeof(why)) != 0) {
        fprintf(stderr, "meshca ssh-config: %s; add \"Include %s\" at the "
            "top of ~/.ssh/config yourself\n", why, snippet);
        return EXIT_REFUSED;
    }
    if (!added)
        printf("~/.ssh/config already includes it.\n");
    else if (backup[0] != '\0')
        printf("Added \"Include %s\" at the top of ~/.ssh/config (the old "
            "one is saved as %s).\n", snippet, backup);
    else
        printf("Created ~/.ssh/config with \"Include %s\".\n", snippet);
    return 0;
}

/* ssh-config --install also (re)writes the managed known_hosts when a
 * server is known (a warning if that fails: the snippet was written). */
static void
refresh_known_hosts(void)
{
    char kh[1200], why[512];
    int r = known_hosts_refresh(kh, sizeof(kh), why, sizeof(why));

    if (r == 0)
        printf("Wrote %s: the @cert-authority line(s) of the server's host "
            "CA.\n", kh);
    else if (r < 0)
        fprintf(stderr, "meshca ssh-config: warning: known_hosts not "
            "updated: %s\n", why);
}

int
cmd_ssh_config(int argc, char **argv)
{
    char dir[1024], path[1200], *snip = NULL;
    const char *home = getenv("HOME");
    int install = argc == 2 && strcmp(argv[1], "--install") == 0;
    int rc = EXIT_REFUSED;

    if (argc > 2 || (argc == 2 && !install))
        return usage_for(argv[1], "usage: meshca ssh-config "
            "[--install]\nPrints (or writes to ~/.ssh/config.d/meshca.conf) "
            "the ssh_config lines that use\nthe key and certificate `meshca "
            "login --files` writes and meshca's known_hosts\n(the host CA's "
            "@cert-authority lines).  --install also adds \"Include "
            "~/.ssh/config.d/meshca.conf\"\nat the top of ~/.ssh/config when "
            "it is missing (after a backup,\nconfig.meshca-STAMP.bak) and "
            "refreshes the known_hosts when a server is known.\n"
            "Exit: 0, 1 failed, 2 usage.\n");
    if (home == NULL || install_ssh_dir(dir, sizeof(dir)) != 0) {
        fprintf(stderr, "meshca ssh-config: cannot make ~/.ssh/meshca\n");
        return EXIT_REFUSED;
    }
    if (asprintf(&snip, "# meshca: short-lived certificates from `meshca "
        "login --files`\nHost *\n    IdentityFile %s/" INSTALL_KEY_FILE
        "\n    CertificateFile %s/" INSTALL_CERT_FILE "\n"
        "    # host certificates: the CA's @cert-authority lines (meshca "
        "login)\n    UserKnownHostsFile ~/.ssh/known_hosts %s/known_hosts\n",
        dir, dir, dir) < 0)
        return EXIT_REFUSED;
    if (!install) {
        fputs(snip, stdout);
        rc = 0;
        goto out;
    }
    snprintf(path, sizeof(path), "%s/.ssh/config.d", home);
    if (install_mkdir_p(path, 0700) != 0) {
        fprintf(stderr, "meshca ssh-config: cannot make %s: %s\n", path,
            strerror(errno));
        goto out;
    }
    /* One snippet per profile: meshca.conf, meshca-NAME.conf. */
    snprintf(path + strlen(path), sizeof(path) - strlen(path),
        "/meshca%s%s.conf", cli_profile() ? "-" : "", cli_profile() ?
        cli_profile() : "");
    if (install_write_file(path, snip, strlen(snip), 0600) != 0) {
        fprintf(stderr, "meshca ssh-config: cannot write %s: %s\n", path,
            strerror(errno));
        goto out;
    }
    printf("Wrote %s.\n", path);
    rc = ssh_config_include(home, path);
    refresh_known_hosts();
out:
    free(snip);
    return rc;
}
