/*
 * meshca host-cert: a host certificate for this host's SSH key, granted to
 * the host's workload identity (its X.509-SVID, presented as the TLS client
 * certificate).  The certificate is checked (our key, a host certificate,
 * signed by a host CA key the server publishes, valid now) before it
 * replaces KEY-cert.pub atomically; then sshd is told to reload and the
 * HostCertificate line is printed.  On any failure the old file stays.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "meshca/cert.h"
#include "meshca/key.h"
#include "cli.h"
#include "cli_err.h"
#include "cli_install.h"

#define DEFAULT_KEY "/etc/ssh/ssh_host_ed25519_key.pub"
#define DEFAULT_PIDFILE "/run/sshd.pid"

struct hc_args {
    struct cli_conn_flags flags;
    const char *svid, *svid_key, *key, *pidfile, *ttl;
    int no_reload, renew;
};

static void
usage(FILE *f)
{
    fprintf(f, "usage: meshca host-cert --svid CERT.pem --svid-key KEY.pem "
        "[--key HOSTKEY.pub]\n       [--ttl 24h] [--renew] [--sshd-pid-file "
        "FILE | --no-reload] [--server URL]\n       [--cacert FILE]\n"
        "Asks meshcad for a host certificate of HOSTKEY.pub (default "
        DEFAULT_KEY ")\nfor the names its policy grants this workload's "
        "SPIFFE ID (the X.509-SVID\nCERT.pem), checks it, writes "
        "HOSTKEY-cert.pub atomically (0644), sends sshd\nSIGHUP (pid from "
        "--sshd-pid-file, default " DEFAULT_PIDFILE ") and prints the\n"
        "HostCertificate line for sshd_config.  On any failure the old "
        "certificate stays.\n--renew: only when HOSTKEY-cert.pub is missing, "
        "not ours, or two thirds of its\nlifetime have passed (for the "
        "refresh timer: meshca host-config).\nExit: 0, 1 refused or invalid, 2 usage, 3 "
        "unreachable.\n" CLI_CONN_USAGE);
}

static int
parse_args(int argc, char **argv, struct hc_args *a)
{
    static const struct option opts[] = {
        CLI_CONN_OPTIONS,
        { "svid", required_argument, NULL, 'c' },
        { "svid-key", required_argument, NULL, 'k' },
        { "key", required_argument, NULL, 'K' },
        { "ttl", required_argument, NULL, 't' },
        { "sshd-pid-file", required_argument, NULL, 'p' },
        { "no-reload", no_argument, NULL, 'n' },
        { "renew", no_argument, NULL, 'r' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int ch;

    memset(a, 0, sizeof(*a));
    a->key = DEFAULT_KEY;
    a->pidfile = DEFAULT_PIDFILE;
    optind = 1;
    while ((ch = cli_getopt(argc, argv, opts, &a->flags)) != -1) {
        switch (ch) {
        case 'c': a->svid = optarg; break;
        case 'k': a->svid_key = optarg; break;
        case 'K': a->key = optarg; break;
        case 't': a->ttl = optarg; break;
        case 'p': a->pidfile = optarg; break;
        case 'n': a->no_reload = 1; break;
        case 'r': a->renew = 1; break;
        case 'h': usage(stdout); return 1;
        default: usage(stderr); return -1;
        }
    }
    if (optind != argc || a->svid == NULL || a->svid_key == NULL) {
        fprintf(stderr, "meshca host-cert: --svid and --svid-key are "
            "required (the workload's X.509-SVID and its key)\n");
        return -1;
    }
    return 0;
}

/* Reads the first line of path into a new string.  NULL on failure. */
static char *
read_line(const char *path)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;

    if (f == NULL)
        return NULL;
    if (getline(&line, &cap, f) < 0) {
        free(line);
        line = NULL;
    } else
        line[strcspn(line, "\r\n")] = '\0';
    fclose(f);
    return line;
}

/* 1 when the CA key of c is one of the lines of text (host CA keys). */
static int
host_ca_published(const struct cert *c, const char *text)
{
    char *copy = strdup(text), *save = NULL, *line;
    struct meshca_key *k = NULL;
    int found = 0;

    for (line = copy ? strtok_r(copy, "\n", &save) : NULL;
        line != NULL && !found; line = strtok_r(NULL, "\n", &save)) {
        if (meshca_key_from_line(line, &k) == 0)
            found = meshca_key_equal(k, c->ca_key);
        meshca_key_free(k);
        k = NULL;
    }
    free(copy);
    return found;
}

/* The checks before anything is written.  0, or -1 with why filled. */
static int
check_cert(const char *line, const struct meshca_key *ours,
    const char *host_cas, struct cert **certp, char *why, size_t whylen)
{
    uint64_t now = (uint64_t)time(NULL);
    int r;

    if ((r = cert_host_from_line(line, certp)) != 0) {
        snprintf(why, whylen, "the answer is not a valid host certificate "
            "(%s)", cli_strerror(r));
        return -1;
    }
    if (!meshca_key_equal((*certp)->key, ours)) {
        snprintf(why, whylen, "the certificate is for another key");
        return -1;
    }
    if (!host_ca_published(*certp, host_cas)) {
        snprintf(why, whylen, "the certificate is signed by a key that is "
            "not one of the server's host CA keys (GET /v1/host-ca-keys)");
        return -1;
    }
    if (now < (*certp)->valid_after || now >= (*certp)->valid_before) {
        snprintf(why, whylen, "the certificate is not valid now");
        return -1;
    }
    return 0;
}

/* --renew: 1 when the certificate at path is a host certificate of ours
 * with less than two thirds of its lifetime gone (nothing to do), else 0. */
static int
not_due(const char *path, const struct meshca_key *ours)
{
    char *line = read_line(path);
    struct cert *c = NULL;
    uint64_t now = (uint64_t)time(NULL), due = 0;
    int ok = 0;

    if (line != NULL && cert_host_from_line(line, &c) == 0 &&
        meshca_key_equal(c->key, ours) && c->valid_before > c->valid_after) {
        due = c->valid_after + (c->valid_before - c->valid_after) / 3 * 2;
        ok = now >= c->valid_after && now < due;
    }
    if (ok) {
        char t[32];

        fprintf(stderr, "meshca host-cert: %s is not due for renewal until "
            "%s; nothing to do\n", path, cli_format_time(due, t, sizeof(t)));
    }
    cert_free(c);
    free(line);
    return ok;
}

/* Sends sshd SIGHUP (it re-reads HostCertificate).  0 or -1 (printed). */
static int
reload_sshd(const char *pidfile)
{
    char *s = read_line(pidfile), *end = NULL;
    long pid = s != NULL ? strtol(s, &end, 10) : 0;

    if (s == NULL || end == s || *end != '\0' || pid <= 1) {
        fprintf(stderr, "meshca host-cert: cannot read sshd's pid from %s; "
            "reload sshd yourself (systemctl reload ssh)\n", pidfile);
        free(s);
        return -1;
    }
    free(s);
    if (kill((pid_t)pid, SIGHUP) != 0) {
        fprintf(stderr, "meshca host-cert: cannot signal sshd (pid %ld): "
            "%s\n", pid, strerror(errno));
        return -1;
    }
    return 0;
}

/* The certificate file's name: KEY.pub -> KEY-cert.pub. */
static int
cert_path(const char *key, char *out, size_t outlen)
{
    size_t n = strlen(key);

    if (n > 4 && strcmp(key + n - 4, ".pub") == 0)
        n -= 4;
    return snprintf(out, outlen, "%.*s-cert.pub", (int)n, key) >=
        (int)outlen ? -1 : 0;
}

/* Writes line (and a newline) to path atomically.  0 or -1 (printed). */
static int
write_cert(const char *path, const char *line)
{
    char *text = NULL;
    int n, r = -1;

    if ((n = asprintf(&text, "%s\n", line)) < 0)
        text = NULL;
    else if (install_write_file(path, text, (size_t)n, 0644) == 0)
        r = 0;
    if (r != 0)
        fprintf(stderr, "meshca host-cert: cannot write %s: %s\n", path,
            strerror(errno));
    free(text);
    return r;
}

/* Fetches the host CA keys, then the certificate.  0, or an exit code. */
static int
fetch(const struct cli_conn *conn, const char *publine, const char *ttl,
    struct cli_response *cas, struct cli_response *resp)
{
    json_t *req = json_pack("{s:s}", "public_key", publine);
    char *body = NULL;
    int rc = EXIT_UNREACHABLE;

    if (ttl != NULL)
        json_object_set_new(req, "ttl", json_string(ttl));
    body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    if (cli_http(conn, "GET", "/v1/host-ca-keys", NULL, NULL,
        CLI_RESPONSE_MAX, cas) != 0) {
        fprintf(stderr, "meshca host-cert: %s\n", cas->error);
        goto out;
    }
    if (cas->status != 200) {
        cli_print_error("host-cert", cas);
        rc = EXIT_REFUSED;
        goto out;
    }
    if (cli_http(conn, "POST", "/v1/host-certificates", NULL, body,
        CLI_RESPONSE_MAX, resp) != 0) {
        fprintf(stderr, "meshca host-cert: %s\n", resp->error);
        goto out;
    }
    rc = 0;
    if (resp->status != 201) {
        cli_print_error("host-cert", resp);
        rc = resp->status >= 500 ? EXIT_UNREACHABLE : EXIT_REFUSED;
    }
out:
    free(body);
    return rc;
}

int
cmd_host_cert(int argc, char **argv)
{
    struct hc_args a;
    struct cli_conn conn;
    struct cli_response cas, resp;
    struct meshca_key *ours = NULL;
    struct cert *cert = NULL;
    json_t *j = NULL;
    const char *line;
    char *pub = NULL, why[512], out[1100];
    int r, rc = EXIT_USAGE;

    memset(&cas, 0, sizeof(cas));
    memset(&resp, 0, sizeof(resp));
    if ((r = parse_args(argc, argv, &a)) != 0)
        return r > 0 ? 0 : EXIT_USAGE;
    if (cli_conn_setup("host-cert", &a.flags, &conn) != 0)
        return EXIT_USAGE;
    snprintf(conn.client_cert, sizeof(conn.client_cert), "%s", a.svid);
    snprintf(conn.client_key, sizeof(conn.client_key), "%s", a.svid_key);
    if ((pub = read_line(a.key)) == NULL ||
        (r = meshca_key_from_line(pub, &ours)) != 0 ||
        cert_path(a.key, out, sizeof(out)) != 0) {
        fprintf(stderr, "meshca host-cert: %s is not a readable public key "
            "line\n", a.key);
        rc = EXIT_REFUSED;
        goto done;
    }
    if (a.renew && not_due(out, ours)) {
        rc = 0;
        goto done;
    }
    if ((rc = fetch(&conn, pub, a.ttl, &cas, &resp)) != 0)
        goto done;
    rc = EXIT_REFUSED;
    if ((j = json_loads(resp.body, 0, NULL)) == NULL ||
        (line = json_string_value(json_object_get(j, "certificate"))) ==
        NULL) {
        fprintf(stderr, "meshca host-cert: the answer holds no certificate; "
            "%s is unchanged\n", out);
        goto done;
    }
    if (check_cert(line, ours, cas.body, &cert, why, sizeof(why)) != 0) {
        fprintf(stderr, "meshca host-cert: refusing it: %s; %s is "
            "unchanged\n", why, out);
        goto done;
    }
    if (write_cert(out, line) != 0)
        goto done;
    fprintf(stderr, "meshca host-cert: installed %s (%zu name%s, until "
        "%s)\n", out, cert->nprincipals, cert->nprincipals == 1 ? "" : "s",
        json_string_value(json_object_get(j, "valid_before")));
    printf("HostCertificate %s\n", out);
    rc = a.no_reload || reload_sshd(a.pidfile) == 0 ? 0 : EXIT_REFUSED;
done:
    cert_free(cert);
    json_decref(j);
    meshca_key_free(ours);
    free(pub);
    cli_response_free(&cas);
    cli_response_free(&resp);
    return rc;
}
