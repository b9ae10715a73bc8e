/*
 * Host helpers: meshca ca-keys and meshca krl fetch, validate and atomically
 * replace the files sshd reads (keeping the old file on any failure), and
 * meshca host-config prints the sshd_config lines and a systemd timer.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "meshca/key.h"
#include "meshca/krl.h"
#include "cli.h"
#include "cli_err.h"
#include "cli_install.h"

int
host_check_ca_keys(const char *body, size_t len, size_t *nkeysp, char *why,
    size_t whylen)
{
    char *copy = NULL, *save = NULL, *line;
    size_t n = 0, lineno = 0;
    struct meshca_key *k = NULL;
    int r = MESHCA_ERR_INVALID_FORMAT;

    *nkeysp = 0;
    if (memchr(body, '\0', len) != NULL) {
        snprintf(why, whylen, "the answer holds a NUL byte");
        return r;
    }
    if ((copy = strndup(body, len)) == NULL)
        return MESHCA_ERR_ALLOC;
    for (line = strtok_r(copy, "\n", &save); line != NULL;
        line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        line[strcspn(line, "\r")] = '\0';
        if (*line == '\0' || *line == '#')
            continue;
        if ((r = meshca_key_from_line(line, &k)) != 0) {
            snprintf(why, whylen, "line %zu is not a public key (%s)", lineno,
                cli_strerror(r));
            goto out;
        }
        meshca_key_free(k);
        k = NULL;
        n++;
    }
    if (n == 0) {
        snprintf(why, whylen, "the answer holds no keys");
        r = MESHCA_ERR_INVALID_FORMAT;
        goto out;
    }
    *nkeysp = n;
    r = 0;
out:
    free(copy);
    return r;
}

int
host_check_krl(const uint8_t *body, size_t len, char *why, size_t whylen)
{
    struct krl *k = NULL;
    int r = krl_parse(body, len, &k);

    krl_free(k);
    if (r != 0)
        snprintf(why, whylen, "not a valid KRL (%s)", cli_strerror(r));
    return r;
}

static void
fetch_usage(FILE *f, const char *what)
{
    fprintf(f, "usage: meshca %s --output FILE [--server URL] [--cacert FILE] "
        "[--insecure-http]\n%s\nOn any failure (unreachable, an error answer, "
        "invalid content) FILE is left as\nit was and the exit code is "
        "non-zero: 1 invalid or not written, 2 usage,\n3 unreachable.  "
        "Otherwise FILE is replaced atomically (mode 0644); --output - writes\n"
        "to standard output.\n" CLI_CONN_USAGE,
        what, strcmp(what, "krl") == 0 ? "Fetches the KRL (GET /v1/krl), "
        "checks that it parses, and installs it for\nsshd's RevokedKeys "
        "(an invalid KRL would lock everyone out)." : "Fetches the CA "
        "public keys (GET /v1/ca-keys), checks every line, and installs\n"
        "them for sshd's TrustedUserCAKeys.");
}

static int
host_fetch(int argc, char **argv, const char *what)
{
    static const struct option opts[] = {
        CLI_CONN_OPTIONS,
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct cli_conn_flags flags = { NULL, NULL, 0 };
    struct cli_conn conn;
    struct cli_config *local = NULL;
    struct cli_response r;
    const char *out = NULL;
    char why[512];
    size_t n = 0;
    int ch, rc = EXIT_USAGE, isk = strcmp(what, "krl") == 0;

    memset(&r, 0, sizeof(r));
    optind = 1;
    while ((ch = cli_getopt(argc, argv, opts, &flags)) != -1) {
        switch (ch) {
        case 'o': out = optarg; break;
        case 'h': fetch_usage(stdout, what); return 0;
        default: fetch_usage(stderr, what); return EXIT_USAGE;
        }
    }
    if (optind != argc || out == NULL) {
        fprintf(stderr, "meshca %s: --output FILE is required\n", what);
        return EXIT_USAGE;
    }
    if (cli_config_load(&local, why, sizeof(why)) != 0) {
        fprintf(stderr, "meshca %s: %s\n", what, why);
        goto done;
    }
    if (cli_conn_init(&conn, &flags, local) != 0)
        goto done;
    /* A KRL as large as meshcad may build (the parser's own limit). */
    if (cli_http(&conn, "GET", isk ? "/v1/krl" : "/v1/ca-keys", NULL, NULL,
        isk ? KRL_MAX_SIZE : CLI_RESPONSE_MAX, &r) != 0) {
        fprintf(stderr, "meshca %s: cannot fetch it: %s; %s is unchanged\n",
            what, r.error, out);
        rc = EXIT_UNREACHABLE;
        goto done;
    }
    if (r.status != 200) {
        cli_print_error(what, &r);
        fprintf(stderr, "meshca %s: %s is unchanged\n", what, out);
        rc = r.status >= 500 ? EXIT_UNREACHABLE : EXIT_REFUSED;
        goto done;
    }
    rc = EXIT_REFUSED;
    if ((isk ? host_check_krl((const uint8_t *)r.body, r.len, why,
        sizeof(why)) : host_check_ca_keys(r.body, r.len, &n, why,
        sizeof(why))) != 0) {
        fprintf(stderr, "meshca %s: refusing the server's answer: %s; %s is "
            "unchanged\n", what, why, out);
        goto done;
    }
    if (strcmp(out, "-") == 0) {
        /* --output -: standard output, for a pipe or a look. */
        if (fwrite(r.body, 1, r.len, stdout) != r.len || fflush(stdout) != 0) {
            fprintf(stderr, "meshca %s: cannot write to standard output: "
                "%s\n", what, strerror(errno));
            goto done;
        }
        rc = 0;
        goto done;
    }
    if (install_write_file(out, r.body, r.len, 0644) != 0) {
        fprintf(stderr, "meshca %s: cannot write %s: %s\n", what, out,
            strerror(errno));
        goto done;
    }
    if (isk)
        fprintf(stderr, "meshca krl: installed %s (%zu bytes)\n", out, r.len);
    else
        fprintf(stderr, "meshca ca-keys: installed %s (%zu key%s)\n", out, n,
            n == 1 ? "" : "s");
    rc = 0;
done:
    cli_response_free(&r);
    cli_config_free(local);
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

/*
 * The meshca the printed units run: this very binary (/proc/self/exe), so a
 * unit printed on a packaged host names /usr/bin/meshca and one printed from
 * `make install` names PREFIX/bin/meshca.  A path systemd would read
 * differently (a blank, a quote, a backslash, a % specifier, a deleted
 * binary) falls back to the bare name, which systemd looks up in its own
 * search path (/usr/local/bin, then /usr/bin).
 */
static void
self_path(char *out, size_t outlen)
{
    ssize_t n = readlink("/proc/self/exe", out, outlen - 1);

    if (n <= 0 || (size_t)n >= outlen - 1 || out[0] != '/') {
        snprintf(out, outlen, "meshca");
        return;
    }
    out[n] = '\0';
    if (strpbrk(out, " \t\n\"'\\%;") != NULL)
        snprintf(out, outlen, "meshca");
}

/* The host-certificate part of host-config (issue #16): the sshd line and
 * the renewal the refresh service runs every minute. */
static void
print_host_cert(const char *bin, const char *server, const char *extra,
    const char *svid, const char *svid_key, const char *key)
{
    size_t n = strlen(key);

    if (n > 4 && strcmp(key + n - 4, ".pub") == 0)
        n -= 4;
    printf("\n# 4. Host certificate (the host's SVID proves its workload "
        "identity):\n#    sshd_config:\nHostCertificate %.*s-cert.pub\n"
        "#    and in [Service] above (renews at 2/3 of the lifetime; the old "
        "certificate\n#    stays on any failure):\n"
        "ExecStart=%s host-cert --renew --server %s%s "
        "--svid %s --svid-key %s --key %s\n", (int)n, key, bin, server,
        extra, svid, svid_key, key);
}

/* The fetch commands, the sshd_config lines and the refresh service and
 * timer: what contrib/systemd/meshca-refresh.{service,timer} install. */
static void
print_refresh(const char *bin, const char *server, const char *extra)
{
    printf("# 1. Fetch the files once (sshd refuses every key while the "
        "RevokedKeys file\n#    is missing or invalid):\n"
        "#      %s ca-keys --server %s%s --output /etc/ssh/meshca_ca.pub\n"
        "#      %s krl --server %s%s --output /etc/ssh/meshca.krl\n",
        bin, server, extra, bin, server, extra);
    printf("# 2. /etc/ssh/sshd_config (then: systemctl reload ssh)\n"
        "TrustedUserCAKeys /etc/ssh/meshca_ca.pub\n"
        "RevokedKeys /etc/ssh/meshca.krl\n"
        "AuthorizedPrincipalsFile /etc/ssh/principals/%%u\n"
        "LogLevel VERBOSE\n"
        "# /etc/ssh/principals/ACCOUNT: the mesh principals that may log in "
        "as ACCOUNT,\n# one per line, e.g. payments/api\n\n");
    printf("# 3. /etc/systemd/system/meshca-refresh.service\n"
        "[Unit]\nDescription=Refresh the meshca CA keys and KRL\n"
        "Wants=network-online.target\nAfter=network-online.target\n"
        "[Service]\nType=oneshot\n"
        "ExecStart=%s ca-keys --server %s%s --output /etc/ssh/meshca_ca.pub\n"
        "ExecStart=%s krl --server %s%s --output /etc/ssh/meshca.krl\n"
        "# With a host token (/etc/meshca/host.token; its SHA-256 in meshcad's\n"
        "# logins.host_tokens), also ship sshd's logins to the report (its "
        "state\n# directory, /var/lib/meshca, is made by StateDirectory=):\n"
        "#StateDirectory=meshca\n#StateDirectoryMode=0700\n"
        "#ExecStart=%s host-report --server %s%s --journal --token-file "
        "/etc/meshca/host.token --state /var/lib/meshca/host-report.state "
        "--krl /etc/ssh/meshca.krl\n\n", bin, server, extra, bin, server,
        extra, bin, server, extra);
    /* The jitter keeps a fleet from asking meshcad in the same second. */
    printf("# /etc/systemd/system/meshca-refresh.timer "
        "(systemctl enable --now meshca-refresh.timer)\n"
        "[Unit]\nDescription=Refresh the meshca CA keys and KRL every minute\n"
        "[Timer]\nOnBootSec=10s\nOnUnitActiveSec=60s\nAccuracySec=5s\n"
        "RandomizedDelaySec=5s\n[Install]\nWantedBy=timers.target\n");
}

int
cmd_host_config(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_CONN_OPTIONS,
        { "svid", required_argument, NULL, 'c' },
        { "svid-key", required_argument, NULL, 'k' },
        { "key", required_argument, NULL, 'K' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct cli_conn_flags flags = { NULL, NULL, 0 };
    struct cli_conn conn;
    struct cli_config *local = NULL;
    const char *svid = NULL, *svid_key = NULL;
    const char *key = "/etc/ssh/ssh_host_ed25519_key.pub";
    char why[512], extra[1200] = "", bin[4096];
    int ch;

    optind = 1;
    while ((ch = cli_getopt(argc, argv, opts, &flags)) != -1) {
        if (ch == 'c' || ch == 'k' || ch == 'K') {
            *(ch == 'c' ? &svid : ch == 'k' ? &svid_key : &key) = optarg;
            continue;
        }
        if (ch == 'h') {
            printf("usage: meshca host-config [--server URL] [--cacert FILE]"
                " [--insecure-http]\n       [--svid CERT.pem --svid-key KEY.pem [--key "
                "HOSTKEY.pub]]\n"
                "Prints the sshd_config lines that make a host trust meshca "
                "certificates, and a\nsystemd service + timer that refreshes "
                "the CA keys and the KRL every minute;\nwith --svid, also the "
                "HostCertificate line and its renewal (meshca host-cert\n"
                "--renew).\nExit: 0, 2 usage.\n");
            return 0;
        }
        fprintf(stderr, "usage: meshca host-config [--server URL] "
            "[--cacert FILE] [--svid F --svid-key F]\n");
        return EXIT_USAGE;
    }
    if (optind != argc || (svid == NULL) != (svid_key == NULL)) {
        fprintf(stderr, "usage: meshca host-config [--server URL] [--svid F "
            "--svid-key F]\n");
        return EXIT_USAGE;
    }
    if (cli_config_load(&local, why, sizeof(why)) != 0) {
        fprintf(stderr, "meshca host-config: %s\n", why);
        return EXIT_USAGE;
    }
    if (cli_conn_init(&conn, &flags, local) != 0) {
        cli_config_free(local);
        return EXIT_USAGE;
    }
    cli_config_free(local);
    /* What the printed commands need to reach the server as this one did:
     * without --insecure-http they refuse the very URL it was given. */
    snprintf(extra, sizeof(extra), "%s%s%s", conn.ca_file[0] != '\0' ?
        " --cacert " : "", conn.ca_file, conn.insecure_http ?
        " --insecure-http" : "");
    self_path(bin, sizeof(bin));
    print_refresh(bin, conn.server, extra);
    if (svid != NULL)
        print_host_cert(bin, conn.server, extra, svid, svid_key, key);
    return 0;
}
