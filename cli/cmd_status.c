/*
 * meshca status / logout, and the host helpers (ca-keys, krl, host-config).
 *
 * status exit codes: 0 a valid certificate is installed, 1 it expires within
 * --min-valid (default 60 s), 2 none (absent, expired or gone from the agent).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "meshca/cert.h"
#include "meshca/duration.h"
#include "meshca/key.h"
#include "meshca/krl.h"
#include "cli.h"
#include "cli_keys.h"

static json_t *
load_state(char *path, size_t len)
{
    if (cli_state_path(path, len) != 0)
        return NULL;
    return json_load_file(path, 0, NULL);
}

int
cmd_status(int argc, char **argv)
{
    char path[1100];
    json_t *st, *o;
    struct cert *c = NULL;
    const char *sock = getenv("SSH_AUTH_SOCK"), *inst;
    int64_t min_valid = 60, left;
    int json = 0, i, rc = 2, present = 1;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--min-valid") == 0 && i + 1 < argc &&
            duration_parse(argv[i + 1], &min_valid) == 0)
            i++;
        else {
            fprintf(strcmp(argv[i], "--help") == 0 ? stdout : stderr,
                "usage: meshca status [--json] [--min-valid 60s]\n"
                "Exit: 0 valid, 1 expiring within --min-valid, 2 none.\n");
            return strcmp(argv[i], "--help") == 0 ? 0 : EXIT_USAGE;
        }
    }
    if ((st = load_state(path, sizeof(path))) == NULL ||
        cert_from_line(json_string_value(json_object_get(st, "certificate")),
            &c) != 0) {
        if (json)
            printf("{\"installed\":false}\n");
        else
            printf("No meshca certificate: run meshca login.\n");
        json_decref(st);
        return 2;
    }
    inst = json_string_value(json_object_get(st, "installed"));
    if (inst != NULL && strcmp(inst, "agent") == 0)
        present = sock != NULL && agent_has(sock, c->blob, c->blob_len);
    else {
        char f[1100];

        if (cli_ssh_dir(f, sizeof(f)) == 0) {
            strncat(f, "/id_ed25519-cert.pub", sizeof(f) - strlen(f) - 1);
            present = access(f, R_OK) == 0;
        }
    }
    left = (int64_t)c->valid_before - (int64_t)time(NULL);
    if (!present || left <= 0)
        rc = 2;
    else
        rc = left < min_valid ? 1 : 0;
    if (json) {
        o = json_pack("{s:b, s:s?, s:s?, s:s?, s:O, s:I, s:s?, s:s?, s:s}",
            "installed", present && left > 0, "serial",
            json_string_value(json_object_get(st, "serial")), "key_id",
            c->key_id, "role", json_string_value(json_object_get(st, "role")),
            "principals", json_object_get(st, "principals"),
            "seconds_left", (json_int_t)(left > 0 ? left : 0),
            "ca_fingerprint", json_string_value(json_object_get(st,
                "ca_fingerprint")), "where", inst, "state",
            rc == 0 ? "valid" : rc == 1 ? "expiring" : "none");
        json_dumpf(o, stdout, JSON_COMPACT);
        printf("\n");
        json_decref(o);
    } else if (rc == 2)
        printf("No valid meshca certificate (%s): run meshca login.\n",
            !present ? "no longer installed" : "expired");
    else {
        char b[32];

        printf("%s certificate %s (serial %s, role %s) in the %s, %s left; "
            "principals:", rc == 0 ? "Valid" : "Expiring", c->key_id,
            json_string_value(json_object_get(st, "serial")),
            json_string_value(json_object_get(st, "role")),
            inst && strcmp(inst, "agent") == 0 ? "ssh-agent" : "files",
            duration_format(left, b, sizeof(b)));
        for (i = 0; i < (int)c->nprincipals; i++)
            printf(" %s", c->principals[i]);
        printf("\n");
    }
    cert_free(c);
    json_decref(st);
    return rc;
}

int
cmd_logout(int argc, char **argv)
{
    char path[1100], f[1200], why[256];
    json_t *st;
    struct cert *c = NULL;
    const char *sock = getenv("SSH_AUTH_SOCK"), *inst;
    int rc = 0;

    if (argc > 1) {
        int help = strcmp(argv[1], "--help") == 0;

        fprintf(help ? stdout : stderr, "usage: meshca logout\nRemoves the "
            "certificate and key from the ssh-agent and ~/.ssh/meshca.\n");
        return help ? 0 : EXIT_USAGE;
    }
    if ((st = load_state(path, sizeof(path))) == NULL) {
        printf("Not logged in.\n");
        return 0;
    }
    inst = json_string_value(json_object_get(st, "installed"));
    if (inst != NULL && strcmp(inst, "agent") == 0 && sock != NULL &&
        cert_from_line(json_string_value(json_object_get(st, "certificate")),
            &c) == 0 && agent_has(sock, c->blob, c->blob_len) &&
        agent_remove(sock, c->blob, c->blob_len, why, sizeof(why)) != 0) {
        fprintf(stderr, "meshca logout: %s\n", why);
        rc = 1;
    }
    if (cli_ssh_dir(f, sizeof(f)) == 0) {
        size_t n = strlen(f);

        snprintf(f + n, sizeof(f) - n, "/id_ed25519");
        (void)unlink(f);
        snprintf(f + n, sizeof(f) - n, "/id_ed25519.pub");
        (void)unlink(f);
        snprintf(f + n, sizeof(f) - n, "/id_ed25519-cert.pub");
        (void)unlink(f);
    }
    if (rc == 0 && unlink(path) != 0 && errno != ENOENT)
        rc = 1;
    if (rc == 0)
        printf("Logged out: the certificate is gone from the %s.\n",
            inst && strcmp(inst, "agent") == 0 ? "ssh-agent" : "files");
    cert_free(c);
    json_decref(st);
    return rc;
}

/* ca-keys / krl: fetch, validate, replace atomically; keep the old file on
 * any failure. */
static int
host_fetch(int argc, char **argv, const char *what)
{
    const char *out = NULL, *server_flag = NULL, *server;
    struct cli_response r;
    int i, rc = EXIT_REFUSED;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--output") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (strcmp(argv[i], "--server") == 0 && i + 1 < argc)
            server_flag = argv[++i];
        else {
            fprintf(strcmp(argv[i], "--help") == 0 ? stdout : stderr,
                "usage: meshca %s --output FILE [--server URL]\nFetches, "
                "validates and atomically replaces FILE; on any failure the "
                "old file stays.\n", what);
            return strcmp(argv[i], "--help") == 0 ? 0 : EXIT_USAGE;
        }
    }
    if (out == NULL) {
        fprintf(stderr, "meshca %s: --output FILE is required\n", what);
        return EXIT_USAGE;
    }
    if ((server = cli_server(server_flag)) == NULL)
        return EXIT_USAGE;
    if (cli_http("GET", server, strcmp(what, "krl") == 0 ? "/v1/krl" :
        "/v1/ca-keys", NULL, NULL, &r) != 0 || r.status != 200) {
        fprintf(stderr, "meshca %s: cannot fetch it (%s); %s is unchanged\n",
            what, r.error[0] ? r.error : "unexpected answer", out);
        free(r.body);
        return EXIT_UNREACHABLE;
    }
    if (strcmp(what, "krl") == 0) {
        struct krl *k = NULL;
        int pr = krl_parse((const uint8_t *)r.body, r.len, &k);

        krl_free(k);
        if (pr != 0) {
            fprintf(stderr, "meshca krl: the server sent an invalid KRL (%s); "
                "%s is unchanged\n", meshca_strerror(pr), out);
            goto done;
        }
    } else {
        char *save = NULL, *line;
        int n = 0, bad = 0;
        char *copy = strdup(r.body);

        for (line = strtok_r(copy, "\n", &save); line != NULL;
            line = strtok_r(NULL, "\n", &save)) {
            struct key *key = NULL;

            if (key_from_line(line, &key) != 0)
                bad = 1;
            key_free(key);
            n++;
        }
        free(copy);
        if (bad || n == 0) {
            fprintf(stderr, "meshca ca-keys: the server sent %s; %s is "
                "unchanged\n", n == 0 ? "no keys" : "a line that is not a "
                "public key", out);
            goto done;
        }
    }
    if (write_file_atomic(out, r.body, r.len, 0644) != 0) {
        fprintf(stderr, "meshca %s: cannot write %s: %s\n", what, out,
            strerror(errno));
        goto done;
    }
    rc = 0;
done:
    free(r.body);
    return rc;
}

int
cmd_ca_keys(int argc, char **argv)
{
    return host_fetch(argc, argv, "ca-keys");
}

int
cmd_krl(int argc, char **argv)
{
    return host_fetch(argc, argv, "krl");
}

int
cmd_host_config(int argc, char **argv)
{
    const char *server;

    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        printf("usage: meshca host-config [--server URL]\nPrints the "
            "sshd_config lines and a systemd service and timer that refresh "
            "the CA keys and the KRL every minute.\n");
        return 0;
    }
    server = cli_server(argc > 2 && strcmp(argv[1], "--server") == 0 ?
        argv[2] : NULL);

    if (server == NULL)
        return EXIT_USAGE;
    printf("# /etc/ssh/sshd_config\n"
        "TrustedUserCAKeys /etc/ssh/meshca_ca.pub\n"
        "RevokedKeys /etc/ssh/meshca.krl\n"
        "AuthorizedPrincipalsFile /etc/ssh/principals/%%u\n"
        "# /etc/ssh/principals/<account>: one mesh principal per line, e.g. "
        "payments/api\n\n"
        "# /etc/systemd/system/meshca-krl.service\n"
        "[Unit]\nDescription=Refresh the meshca CA keys and KRL\n"
        "[Service]\nType=oneshot\n"
        "ExecStart=/usr/local/bin/meshca ca-keys --server %s --output "
        "/etc/ssh/meshca_ca.pub\n"
        "ExecStart=/usr/local/bin/meshca krl --server %s --output "
        "/etc/ssh/meshca.krl\n\n"
        "# /etc/systemd/system/meshca-krl.timer\n"
        "[Unit]\nDescription=Refresh the meshca KRL every minute\n"
        "[Timer]\nOnBootSec=10s\nOnUnitActiveSec=60s\n"
        "[Install]\nWantedBy=timers.target\n", server, server);
    return 0;
}

int
cmd_ssh_config(int argc, char **argv)
{
    char dir[1100], path[1200], *snip = NULL;
    const char *home = getenv("HOME");
    int install = argc > 1 && strcmp(argv[1], "--install") == 0;

    if (argc > 2 || (argc == 2 && !install)) {
        fprintf(strcmp(argv[1], "--help") == 0 ? stdout : stderr,
            "usage: meshca ssh-config [--install]\nPrints (or writes to "
            "~/.ssh/config.d/meshca.conf) the ssh_config lines that use the "
            "certificate meshca login --files writes.\n");
        return strcmp(argv[1], "--help") == 0 ? 0 : EXIT_USAGE;
    }
    if (home == NULL || cli_ssh_dir(dir, sizeof(dir)) != 0)
        return EXIT_REFUSED;
    if (asprintf(&snip, "# meshca: short-lived certificates from `meshca "
        "login`\nHost *\n    IdentityFile %s/id_ed25519\n    "
        "CertificateFile %s/id_ed25519-cert.pub\n", dir, dir) < 0)
        return EXIT_REFUSED;
    if (!install) {
        fputs(snip, stdout);
        free(snip);
        return 0;
    }
    snprintf(path, sizeof(path), "%s/.ssh/config.d", home);
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        free(snip);
        return EXIT_REFUSED;
    }
    strncat(path, "/meshca.conf", sizeof(path) - strlen(path) - 1);
    if (write_file_atomic(path, snip, strlen(snip), 0600) != 0) {
        fprintf(stderr, "meshca ssh-config: cannot write %s: %s\n", path,
            strerror(errno));
        free(snip);
        return EXIT_REFUSED;
    }
    printf("Wrote %s.  Add \"Include config.d/*.conf\" at the top of "
        "~/.ssh/config if it is not there.\n", path);
    free(snip);
    return 0;
}
