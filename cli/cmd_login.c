/*
 * meshca login: an ID token (device code, browser + PKCE, or a token file
 * for CI) -> a fresh Ed25519 key -> POST /v1/certificates -> the
 * certificate checked -> installed (ssh-agent with a lifetime, or files
 * under ~/.ssh/meshca) so that plain ssh works next.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "meshca/cert.h"
#include "meshca/duration.h"
#include "meshca/key.h"
#include "cli.h"
#include "cli_err.h"
#include "cli_install.h"
#include "cli_keys.h"
#include "cli_oidc.h"

int
login_check_cert(const struct cert *c, const struct login_key *k,
    const char *const *want, size_t nwant, const struct cli_config *local,
    const void *server_fps, time_t now, char **cafpp, char *why,
    size_t whylen)
{
    const uint8_t *b;
    size_t bl, i, j;
    char *fp = NULL;
    int have, r = MESHCA_ERR_CLI_CERT_CHECK;

    *cafpp = NULL;
    b = meshca_key_blob(c->key, &bl);
    if (bl != k->blob_len || memcmp(b, k->blob, bl) != 0) {
        snprintf(why, whylen, "the certificate is not for the key this "
            "login made");
        goto out;
    }
    if (c->type != CERT_TYPE_USER) {
        snprintf(why, whylen, "the certificate is not a user certificate");
        goto out;
    }
    for (i = 0; i < nwant; i++) {
        for (j = 0, have = 0; j < c->nprincipals && !have; j++)
            have = strcmp(c->principals[j], want[i]) == 0;
        if (!have) {
            snprintf(why, whylen, "the certificate lacks the principal %s "
                "that was asked for", want[i]);
            goto out;
        }
    }
    if ((uint64_t)now < c->valid_after || (uint64_t)now >= c->valid_before) {
        snprintf(why, whylen, "the certificate is not valid now (check this "
            "machine's clock)");
        goto out;
    }
    if ((r = meshca_key_fingerprint(c->ca_key, &fp)) != 0) {
        snprintf(why, whylen, "%s", cli_strerror(r));
        goto out;
    }
    if (!cli_ca_trusted(local, server_fps, fp)) {
        snprintf(why, whylen, "the certificate is signed by %s, which is not "
            "a CA key %s", fp, local != NULL && local->has_pins ?
            "pinned in ~/.config/meshca/config.json (\"ca_fingerprints\")" :
            "the server publishes (/v1/config \"ca_fingerprints\")");
        r = MESHCA_ERR_CLI_CERT_CHECK;
        goto out;
    }
    *cafpp = fp;
    fp = NULL;
    r = 0;
out:
    free(fp);
    return r;
}

static void
usage(FILE *f)
{
    fprintf(f, "usage: meshca login [--principal P]... [--role R] [--ttl 10m] "
        "[--reason TEXT]\n"
        "                    [--flow device|browser] [--token-file FILE] "
        "[--files]\n"
        "                    [--server URL] [--cacert FILE] "
        "[--insecure-http]\n"
        "Gets a short-lived SSH certificate for a fresh key and installs it: "
        "into the\nrunning ssh-agent (SSH_AUTH_SOCK) with a lifetime equal "
        "to the certificate's,\nor with --files (or without an agent) under "
        "~/.ssh/meshca/.  Then plain ssh works.\n"
        "  --principal P    ask for this mesh principal (repeatable; default: "
        "all the\n                   policy grants)\n"
        "  --role R         ask for this role   --ttl D  a shorter lifetime "
        "(5m, 90s)\n"
        "  --reason TEXT    why (some roles require one; it is recorded)\n"
        "  --flow F         device (a code to enter on any device) or browser "
        "(this\n                   machine's browser); default: browser when "
        "one can be opened\n"
        "  --token-file F   an ID token from a file (CI); also "
        "$MESHCA_ID_TOKEN\n"
        "  --files          write ~/.ssh/meshca/id_ed25519{,-cert.pub} even "
        "with an agent\n"
        CLI_CONN_USAGE
        "Exit: 0 installed, 1 refused (the message says why), 2 usage, "
        "3 server unreachable.\n");
}

/* The ID token: token file / environment, or an interactive flow. */
static int
get_token(const struct cli_conn *conn, const json_t *cfg, const char *flow,
    const char *token_file, const struct login_key *k, char **tokenp)
{
    struct oidc_endpoints *ep = NULL;
    char why[512], *nonce = NULL;
    int r;

    *tokenp = NULL;
    if (token_file != NULL || (getenv("MESHCA_ID_TOKEN") != NULL &&
        *getenv("MESHCA_ID_TOKEN") != '\0'))
        return cli_token_read(token_file, tokenp);
    if ((r = oidc_endpoints_resolve(conn, cfg, &ep, why, sizeof(why))) != 0) {
        fprintf(stderr, "meshca login: %s\n", why);
        return r;
    }
    if (flow == NULL)
        flow = oidc_can_open_browser() && ep->authorize != NULL ? "browser" :
            "device";
    if (strcmp(flow, "browser") == 0) {
        /* With key binding the nonce commits to the key being certified. */
        if (ep->key_binding &&
            (r = oidc_key_nonce(k->blob, k->blob_len, &nonce)) != 0)
            goto out;
        r = oidc_browser_login(conn, ep, nonce, tokenp);
    } else {
        if (ep->key_binding)
            fprintf(stderr, "meshca login: note: this server binds tokens to "
                "keys; the device flow cannot, so it may refuse the token "
                "(use --flow browser)\n");
        r = oidc_device_login(conn, ep, tokenp);
    }
out:
    free(nonce);
    oidc_endpoints_free(ep);
    return r;
}

/* What the command line asked for; req is the request body being built. */
struct login_args {
    struct cli_conn_flags flags;
    json_t *req, *pr;           /* the body, the asked principals */
    const char *want[256];
    size_t nwant;
    const char *flow, *token_file;
    int files;
    int64_t ttl;                /* --ttl in seconds, 0 when not given */
};

/* One option into a.  Returns -1 to go on, or the exit status. */
static int
take_option(struct login_args *a, int ch)
{
    int64_t ttl;

    switch (ch) {
    case 'p':
        if (a->nwant >= sizeof(a->want) / sizeof(a->want[0])) {
            fprintf(stderr, "meshca login: at most 256 principals\n");
            return EXIT_USAGE;
        }
        a->want[a->nwant++] = optarg;
        (void)json_array_append_new(a->pr, json_string(optarg));
        break;
    case 'R': (void)json_object_set_new(a->req, "role", json_string(optarg));
        break;
    case 'l':
        if (duration_parse(optarg, &ttl) != 0 || ttl <= 0) {
            fprintf(stderr, "meshca login: --ttl %s is not a duration "
                "(say 10m, 90s or 1h)\n", optarg);
            return EXIT_USAGE;
        }
        (void)json_object_set_new(a->req, "ttl", json_string(optarg));
        a->ttl = ttl;
        break;
    case 'r': (void)json_object_set_new(a->req, "reason",
        json_string(optarg)); break;
    case 'f': a->flow = optarg; break;
    case 't': a->token_file = optarg; break;
    case 'F': a->files = 1; break;
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return EXIT_USAGE;
    }
    return -1;
}

/* Reads the options into *a.  Returns -1 to go on, or the exit status. */
static int
parse_args(int argc, char **argv, struct login_args *a)
{
    static const struct option opts[] = {
        CLI_CONN_OPTIONS,
        CLI_LOGIN_OPTIONS,
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int ch, rc;

    optind = 1;
    while ((ch = cli_getopt(argc, argv, opts, &a->flags)) != -1) {
        if ((rc = take_option(a, ch)) >= 0)
            return rc;
    }
    if (optind != argc || (a->flow != NULL &&
        strcmp(a->flow, "device") != 0 && strcmp(a->flow, "browser") != 0)) {
        usage(stderr);
        return EXIT_USAGE;
    }
    return -1;
}

/* GET /v1/config into *cfgp.  Returns 0 or the exit status (said). */
static int
fetch_config(const struct cli_conn *conn, json_t **cfgp)
{
    struct cli_response r;
    int rc = EXIT_UNREACHABLE;

    if (cli_http(conn, "GET", "/v1/config", NULL, NULL, CLI_RESPONSE_MAX,
        &r) != 0) {
        fprintf(stderr, "meshca login: cannot reach the server: %s\n",
            r.error);
        goto out;
    }
    if (r.status != 200 || (*cfgp = json_loadb(r.body, r.len, 0, NULL)) ==
        NULL || !json_is_object(*cfgp)) {
        fprintf(stderr, "meshca login: %s/v1/config answered HTTP %ld, not "
            "the login configuration: is --server right?\n", conn->server,
            r.status);
        rc = EXIT_REFUSED;
        goto out;
    }
    rc = 0;
out:
    cli_response_free(&r);
    return rc;
}

/* request_cert's answer for a role that needs approval (a 202). */
#define LOGIN_PENDING 202

/* POST /v1/certificates for key k into *ansp (the server's answer).
 * Returns 0, LOGIN_PENDING (*ansp the 202 answer), or the exit status
 * (said). */
static int
request_cert(const struct cli_conn *conn, const struct login_args *a,
    const struct login_key *k, const char *token, json_t **ansp)
{
    struct cli_response r;
    char *body = NULL;
    int rc = EXIT_REFUSED;

    memset(&r, 0, sizeof(r));
    if (json_object_set_new(a->req, "public_key",
        json_string(k->public_line)) != 0 || (a->nwant > 0 &&
        json_object_set(a->req, "principals", a->pr) != 0) ||
        (body = json_dumps(a->req, JSON_COMPACT)) == NULL)
        goto out;
    if (cli_http(conn, "POST", "/v1/certificates", token, body,
        CLI_RESPONSE_MAX, &r) != 0) {
        fprintf(stderr, "meshca login: cannot reach the server: %s\n",
            r.error);
        rc = EXIT_UNREACHABLE;
        goto out;
    }
    if (r.status == 202 && json_object_get(a->req, "request_id") == NULL) {
        /* The role needs approval (#17): wait, then collect. */
        *ansp = json_loadb(r.body, r.len, 0, NULL);
        rc = *ansp == NULL ? EXIT_REFUSED : LOGIN_PENDING;
        goto out;
    }
    if (r.status != 201) {
        cli_print_error("login", &r);
        rc = r.status >= 500 ? EXIT_UNREACHABLE : EXIT_REFUSED;
        goto out;
    }
    *ansp = json_loadb(r.body, r.len, 0, NULL);
    rc = 0;
out:
    cli_response_free(&r);
    free(body);
    return rc;
}

/* Tells the person what was installed where. */
static void
print_logged_in(const struct cert *cert, const char *where, time_t now)
{
    char until[32], left[32];
    size_t j;

    printf("Logged in: %s, principals", cert->key_id);
    for (j = 0; j < cert->nprincipals; j++)
        printf("%s%s", j ? ", " : " ", cert->principals[j]);
    printf("; valid until %s (%s).\n", cli_format_time(cert->valid_before,
        until, sizeof(until)), cli_format_left((int64_t)(cert->valid_before -
        (uint64_t)now), left, sizeof(left)));
    if (strcmp(where, "ssh-agent") == 0)
        printf("The key and certificate are in your ssh-agent until then: "
            "ssh works as usual.\n");
    else
        printf("Wrote %s/" INSTALL_KEY_FILE " and " INSTALL_CERT_FILE
            ". Use\n  ssh -i %s/" INSTALL_KEY_FILE " USER@HOST\nor run "
            "`meshca ssh-config --install` once so that plain ssh finds "
            "them.\n", where, where);
}

/* Says so when the server granted less than --ttl asked (the role's
 * max_ttl caps it; the server's "ttl_note" says which). */
static void
print_ttl_capped(const struct login_args *a, const json_t *ans)
{
    json_int_t got = json_integer_value(json_object_get(ans, "ttl_seconds"));
    const char *note = json_string_value(json_object_get(ans, "ttl_note"));
    char asked[32], granted[32];

    if (a->ttl <= 0 || got <= 0 || (int64_t)got >= a->ttl)
        return;
    printf("Note: --ttl %s is above what the role allows; the certificate is "
        "valid for %s (%s).\n", duration_format(a->ttl, asked, sizeof(asked)),
        duration_format((int64_t)got, granted, sizeof(granted)),
        note != NULL ? note : "capped by the role's max_ttl");
}

/* Checks the certificate in the server's answer ans against what was asked
 * and the trusted CA keys, then installs it.  Returns 0 or -1 (said). */
static int
check_and_install(const struct login_args *a, const struct cli_config *local,
    const json_t *cfg, struct login_key *k, const json_t *ans)
{
    struct cert *cert = NULL;
    struct install_request ir;
    const char *line = json_string_value(json_object_get(ans, "certificate"));
    char *cafp = NULL, why[512], where[1100];
    time_t now;
    int e, ret = -1;

    /* Check what we got before installing it. */
    if (line == NULL || (e = cert_from_line(line, &cert)) != 0) {
        fprintf(stderr, "meshca login: the server's certificate does not "
            "parse or verify (%s); not installed\n", line == NULL ?
            "none in the answer" : cli_strerror(e));
        goto out;
    }
    now = time(NULL);
    if (login_check_cert(cert, k, a->want, a->nwant, local,
        json_object_get(cfg, "ca_fingerprints"), now, &cafp, why,
        sizeof(why)) != 0) {
        fprintf(stderr, "meshca login: %s; not installed\n", why);
        goto out;
    }
    memset(&ir, 0, sizeof(ir));
    ir.key = k;
    ir.cert = cert;
    ir.cert_line = line;
    ir.serial = json_string_value(json_object_get(ans, "serial"));
    ir.role = json_string_value(json_object_get(ans, "role"));
    ir.ca_fingerprint = cafp;
    ir.agent_sock = getenv("SSH_AUTH_SOCK");
    ir.files = a->files;
    ir.now = now;
    if (install_login(&ir, where, sizeof(where), why, sizeof(why)) != 0) {
        fprintf(stderr, "meshca login: %s%s\n", why, !a->files &&
            ir.agent_sock != NULL && *ir.agent_sock != '\0' ?
            " (or retry with --files)" : "");
        goto out;
    }
    print_logged_in(cert, where, now);
    print_ttl_capped(a, ans);
    ret = 0;
out:
    cert_free(cert);
    free(cafp);
    return ret;
}

/* The managed known_hosts for certified hosts (a warning when it fails:
 * the login itself worked). */
static void
install_known_hosts(const struct cli_conn *conn, const json_t *cfg)
{
    char path[1200], why[512];
    int r = known_hosts_install(conn, cfg, path, sizeof(path), why,
        sizeof(why));

    if (r == 0)
        printf("Host certificates: %s trusts this CA's host keys "
            "(`meshca ssh-config` names it for ssh).\n", path);
    else if (r < 0)
        fprintf(stderr, "meshca login: warning: known_hosts not updated: "
            "%s\n", why);
}

int
cmd_login(int argc, char **argv)
{
    struct login_args a;
    struct cli_conn conn;
    struct cli_config *local = NULL;
    struct login_key *k = NULL;
    json_t *cfg = NULL, *ans = NULL;
    char *token = NULL, why[512];
    int rc = EXIT_USAGE, e;

    memset(&a, 0, sizeof(a));
    if ((a.req = json_object()) == NULL || (a.pr = json_array()) == NULL)
        goto out;
    if ((rc = parse_args(argc, argv, &a)) >= 0)
        goto out;
    rc = EXIT_USAGE;
    if (cli_config_load(&local, why, sizeof(why)) != 0) {
        fprintf(stderr, "meshca login: %s\n", why);
        goto out;
    }
    if (cli_conn_init(&conn, &a.flags, local) != 0 ||
        (rc = fetch_config(&conn, &cfg)) != 0)
        goto out;
    rc = EXIT_REFUSED;
    /* The key first: with key binding the login's nonce commits to it. */
    if ((e = login_key_generate("meshca", &k)) != 0) {
        fprintf(stderr, "meshca login: cannot make a key: %s\n",
            cli_strerror(e));
        goto out;
    }
    if (get_token(&conn, cfg, a.flow, a.token_file, k, &token) != 0)
        goto out;
    if ((rc = request_cert(&conn, &a, k, token, &ans)) == LOGIN_PENDING) {
        if ((rc = cli_access_wait(&conn, token, ans)) != 0)
            goto out;
        json_object_set(a.req, "request_id", json_object_get(ans,
            "request_id"));
        json_decref(ans);
        ans = NULL;
        rc = request_cert(&conn, &a, k, token, &ans);
    }
    if (rc != 0)
        goto out;
    rc = check_and_install(&a, local, cfg, k, ans) != 0 ? EXIT_REFUSED : 0;
    if (rc == 0)
        install_known_hosts(&conn, cfg);
out:
    json_decref(a.req);
    json_decref(a.pr);
    json_decref(cfg);
    json_decref(ans);
    login_key_free(k);
    cli_config_free(local);
    cli_secure_free(token);
    return rc;
}
