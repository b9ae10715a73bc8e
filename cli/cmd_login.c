/*
 * meshca login: ID token (device code flow, or a token file for CI) ->
 * fresh Ed25519 key -> POST /v1/certificates -> check the certificate ->
 * install it (ssh-agent with a lifetime, or files under ~/.ssh/meshca) so
 * that plain ssh works next.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "meshca/buf.h"

#include "meshca/cert.h"
#include "meshca/key.h"
#include "cli.h"
#include "cli_keys.h"

static int
mkdir_p(const char *path, mode_t mode)
{
    char tmp[1024], *p;

    snprintf(tmp, sizeof(tmp), "%s", path);
    for (p = tmp + 1; *p != '\0'; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    if (mkdir(tmp, mode) != 0 && errno != EEXIST)
        return -1;
    return chmod(tmp, mode);
}

int
cli_state_path(char *out, size_t outlen)
{
    const char *home = getenv("HOME");
    char dir[1024];

    if (home == NULL)
        return -1;
    snprintf(dir, sizeof(dir), "%s/.config/meshca", home);
    if (mkdir_p(dir, 0700) != 0)
        return -1;
    snprintf(out, outlen, "%s/state.json", dir);
    return 0;
}

int
cli_ssh_dir(char *out, size_t outlen)
{
    const char *home = getenv("HOME");

    if (home == NULL)
        return -1;
    snprintf(out, outlen, "%s/.ssh/meshca", home);
    return mkdir_p(out, 0700);
}

static char *
form_escape(const char *s)
{
    char *e = curl_easy_escape(NULL, s, 0), *r = e ? strdup(e) : NULL;

    curl_free(e);
    return r;
}

/* RFC 8628: device authorization, a person at the verification URL, and
 * polling the token endpoint.  Returns the ID token or NULL. */
static char *
device_flow(const json_t *cfg)
{
    const char *issuer = json_string_value(json_object_get(cfg, "issuer"));
    const char *client = json_string_value(json_object_get(cfg, "client_id"));
    json_t *scopes = json_object_get(cfg, "scopes"), *disc = NULL, *da = NULL,
           *v;
    struct cli_response r;
    char url[1024], scope[512] = "", *body = NULL, *esc, *tok = NULL;
    const char *dev_ep, *tok_ep, *code, *dcode;
    long interval, expires;
    time_t deadline;
    size_t i;

    if (issuer == NULL || client == NULL) {
        fprintf(stderr, "meshca login: the server's /v1/config names no "
            "identity provider (login.issuer, login.client_id)\n");
        return NULL;
    }
    snprintf(url, sizeof(url), "%s/.well-known/openid-configuration", issuer);
    if (cli_http_url("GET", url, NULL, NULL, NULL, &r) != 0 ||
        r.status != 200 || (disc = json_loads(r.body, 0, NULL)) == NULL) {
        fprintf(stderr, "meshca login: cannot read the identity provider's "
            "discovery document at %s %s\n", url, r.error);
        free(r.body);
        return NULL;
    }
    free(r.body);
    dev_ep = json_string_value(json_object_get(disc,
        "device_authorization_endpoint"));
    tok_ep = json_string_value(json_object_get(disc, "token_endpoint"));
    if (dev_ep == NULL || tok_ep == NULL) {
        fprintf(stderr, "meshca login: the identity provider offers no device "
            "flow; use --flow browser or --token-file\n");
        goto fail;
    }
    json_array_foreach(scopes, i, v) {
        size_t o = strlen(scope);

        snprintf(scope + o, sizeof(scope) - o, "%s%s", o ? " " : "",
            json_string_value(v));
    }
    esc = form_escape(scope);
    if (asprintf(&body, "client_id=%s&scope=%s", client, esc ? esc : "openid")
        < 0)
        body = NULL;
    free(esc);
    if (cli_http_url("POST", dev_ep, NULL, body, "application/x-www-form-"
        "urlencoded", &r) != 0 || r.status != 200 ||
        (da = json_loads(r.body, 0, NULL)) == NULL) {
        fprintf(stderr, "meshca login: the identity provider refused the "
            "device authorization (HTTP %ld) %s\n", r.status, r.error);
        free(r.body);
        goto fail;
    }
    free(r.body);
    free(body);
    body = NULL;
    code = json_string_value(json_object_get(da, "user_code"));
    dcode = json_string_value(json_object_get(da, "device_code"));
    interval = (long)json_integer_value(json_object_get(da, "interval"));
    expires = (long)json_integer_value(json_object_get(da, "expires_in"));
    if (code == NULL || dcode == NULL)
        goto fail;
    if (interval <= 0)
        interval = 5;
    if (expires <= 0)
        expires = 300;
    deadline = time(NULL) + expires;
    fprintf(stderr, "To log in, open %s\nand enter the code: %s\n",
        json_string_value(json_object_get(da, "verification_uri")), code);
    if (json_object_get(da, "verification_uri_complete") != NULL)
        fprintf(stderr, "(or open %s)\n", json_string_value(json_object_get(
            da, "verification_uri_complete")));
    fprintf(stderr, "Waiting (%ld s left)...\n", expires);
    if (asprintf(&body, "grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-"
        "type%%3Adevice_code&client_id=%s&device_code=%s", client, dcode) < 0)
        body = NULL;
    while (time(NULL) < deadline) {
        json_t *t;
        const char *err;

        sleep((unsigned)interval);
        if (cli_http_url("POST", tok_ep, NULL, body, "application/x-www-form-"
            "urlencoded", &r) != 0)
            continue; /* a network blip: keep polling */
        t = json_loads(r.body, 0, NULL);
        free(r.body);
        if ((v = json_object_get(t, "id_token")) != NULL) {
            tok = strdup(json_string_value(v));
            json_decref(t);
            break;
        }
        err = json_string_value(json_object_get(t, "error"));
        if (err != NULL && strcmp(err, "slow_down") == 0)
            interval += 5;
        else if (err != NULL && strcmp(err, "access_denied") == 0) {
            fprintf(stderr, "meshca login: the login was denied at the "
                "identity provider\n");
            json_decref(t);
            break;
        } else if (err != NULL && strcmp(err, "expired_token") == 0) {
            fprintf(stderr, "meshca login: the code expired before the login "
                "finished; run meshca login again\n");
            json_decref(t);
            break;
        } else if (err == NULL || strcmp(err, "authorization_pending") != 0) {
            fprintf(stderr, "meshca login: the identity provider answered "
                "%s\n", err ? err : "something unexpected");
            json_decref(t);
            break;
        }
        json_decref(t);
    }
    if (tok == NULL && time(NULL) >= deadline)
        fprintf(stderr, "meshca login: timed out waiting for the login\n");
fail:
    free(body);
    json_decref(da);
    json_decref(disc);
    return tok;
}


/* base64url of n random bytes. */
static char *
rand_b64url(size_t n)
{
    unsigned char b[64];
    char *s = NULL;

    if (n > sizeof(b) || RAND_bytes(b, (int)n) != 1 ||
        meshca_b64_encode(b, n, 1, &s) != 0)
        return NULL;
    return s;
}

static const char *
query_param(const char *q, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    const char *p = q;
    char *dec;
    int dl;

    while (p != NULL && *p != '\0') {
        if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
            size_t vl = strcspn(p + nl + 1, "& ");

            dec = curl_easy_unescape(NULL, p + nl + 1, (int)vl, &dl);
            if (dec == NULL)
                return NULL;
            snprintf(out, outlen, "%s", dec);
            curl_free(dec);
            return out;
        }
        p = strchr(p, '&');
        if (p != NULL)
            p++;
    }
    return NULL;
}

/*
 * Authorization code + PKCE (RFC 7636, S256) with a loopback redirect on
 * 127.0.0.1 and a free port (RFC 8252).  Checks state, and the nonce in the
 * ID token.  With key binding the nonce commits to our public key.
 */
static char *
browser_flow(const json_t *cfg, const struct login_key *k)
{
    const char *issuer = json_string_value(json_object_get(cfg, "issuer"));
    const char *client = json_string_value(json_object_get(cfg, "client_id"));
    json_t *disc = NULL, *t = NULL, *v, *payload = NULL;
    struct cli_response r;
    struct sockaddr_in sin;
    socklen_t sl = sizeof(sin);
    struct pollfd pfd;
    char url[4096], redirect[128], req[8192], code[1024], st[256], errp[256];
    char scope[512] = "", *verifier = NULL, *challenge = NULL, *state = NULL;
    char *nonce = NULL, *body = NULL, *tok = NULL, *esc_scope = NULL;
    char *esc_redirect = NULL;
    unsigned char h[SHA256_DIGEST_LENGTH];
    const char *auth_ep, *tok_ep, *display;
    int ls = -1, cs = -1;
    ssize_t n;
    size_t i;

    if (issuer == NULL || client == NULL)
        return NULL;
    snprintf(url, sizeof(url), "%s/.well-known/openid-configuration", issuer);
    if (cli_http_url("GET", url, NULL, NULL, NULL, &r) != 0 ||
        r.status != 200 || (disc = json_loads(r.body, 0, NULL)) == NULL) {
        fprintf(stderr, "meshca login: cannot read %s\n", url);
        free(r.body);
        return NULL;
    }
    free(r.body);
    auth_ep = json_string_value(json_object_get(disc,
        "authorization_endpoint"));
    tok_ep = json_string_value(json_object_get(disc, "token_endpoint"));
    if (auth_ep == NULL || tok_ep == NULL)
        goto out;
    verifier = rand_b64url(32);
    state = rand_b64url(16);
    if (json_is_true(json_object_get(cfg, "key_binding"))) {
        SHA256(k->blob, k->blob_len, h);
        if (meshca_b64_encode(h, sizeof(h), 1, &nonce) != 0)
            nonce = NULL;
    } else
        nonce = rand_b64url(16);
    if (verifier == NULL || state == NULL || nonce == NULL)
        goto out;
    SHA256((const unsigned char *)verifier, strlen(verifier), h);
    if (meshca_b64_encode(h, sizeof(h), 1, &challenge) != 0)
        goto out;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if ((ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
        bind(ls, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
        listen(ls, 4) != 0 ||
        getsockname(ls, (struct sockaddr *)&sin, &sl) != 0) {
        fprintf(stderr, "meshca login: cannot listen on 127.0.0.1 for the "
            "redirect\n");
        goto out;
    }
    snprintf(redirect, sizeof(redirect), "http://127.0.0.1:%u/callback",
        ntohs(sin.sin_port));
    json_array_foreach(json_object_get(cfg, "scopes"), i, v) {
        size_t o = strlen(scope);

        snprintf(scope + o, sizeof(scope) - o, "%s%s", o ? " " : "",
            json_string_value(v));
    }
    esc_scope = form_escape(scope);
    esc_redirect = form_escape(redirect);
    snprintf(url, sizeof(url), "%s?response_type=code&client_id=%s&"
        "redirect_uri=%s&scope=%s&state=%s&nonce=%s&code_challenge=%s&"
        "code_challenge_method=S256", auth_ep, client, esc_redirect,
        esc_scope, state, nonce, challenge);
    fprintf(stderr, "Open this URL in a browser to log in:\n%s\n", url);
    display = getenv("DISPLAY") ? getenv("DISPLAY") : getenv("WAYLAND_DISPLAY");
    if (display != NULL && *display != '\0' &&
        access("/usr/bin/xdg-open", X_OK) == 0) {
        pid_t p = fork();

        if (p == 0) {
            execl("/usr/bin/xdg-open", "xdg-open", url, (char *)NULL);
            _exit(127);
        }
    }
    pfd.fd = ls;
    pfd.events = POLLIN;
    if (poll(&pfd, 1, 300 * 1000) != 1 ||
        (cs = accept4(ls, NULL, NULL, SOCK_CLOEXEC)) < 0) {
        fprintf(stderr, "meshca login: no redirect within 5 minutes\n");
        goto out;
    }
    n = read(cs, req, sizeof(req) - 1);
    req[n > 0 ? n : 0] = '\0';
    {
        const char *q = strchr(req, '?');
        const char *page = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
            "Connection: close\r\n\r\n<!doctype html><title>meshca</title>"
            "<p>meshca: you can close this window and return to the "
            "terminal.</p>";

        if (write(cs, page, strlen(page)) < 0) {
            /* the browser went away; the code is what matters */
        }
        if (q != NULL && query_param(q + 1, "error", errp, sizeof(errp))) {
            fprintf(stderr, "meshca login: the identity provider said: %s\n",
                errp);
            goto out;
        }
        if (q == NULL || !query_param(q + 1, "code", code, sizeof(code)) ||
            !query_param(q + 1, "state", st, sizeof(st)) ||
            strcmp(st, state) != 0) {
            fprintf(stderr, "meshca login: the redirect carried no code or a "
                "wrong state; refusing it\n");
            goto out;
        }
    }
    {
        char *ecode = form_escape(code);

        if (asprintf(&body, "grant_type=authorization_code&code=%s&"
            "redirect_uri=%s&client_id=%s&code_verifier=%s", ecode,
            esc_redirect, client, verifier) < 0)
            body = NULL;
        free(ecode);
    }
    if (body == NULL || cli_http_url("POST", tok_ep, NULL, body,
        "application/x-www-form-urlencoded", &r) != 0 || r.status != 200 ||
        (t = json_loads(r.body, 0, NULL)) == NULL ||
        (v = json_object_get(t, "id_token")) == NULL) {
        fprintf(stderr, "meshca login: the code exchange failed (HTTP %ld)\n",
            r.status);
        free(r.body);
        goto out;
    }
    free(r.body);
    {
        /* The ID token must carry our nonce (the server verifies the rest). */
        const char *tk = json_string_value(v), *d1 = strchr(tk, '.'), *d2;
        uint8_t *pl = NULL;
        size_t pll;

        if (d1 != NULL && (d2 = strchr(d1 + 1, '.')) != NULL &&
            meshca_b64_decode(d1 + 1, (size_t)(d2 - d1 - 1), 1, &pl, &pll) ==
            0)
            payload = json_loadb((const char *)pl, pll, 0, NULL);
        free(pl);
        v = json_object_get(payload, "nonce");
        if (!json_is_string(v) || strcmp(json_string_value(v), nonce) != 0) {
            fprintf(stderr, "meshca login: the ID token's nonce is not ours; "
                "refusing it\n");
            goto out;
        }
        tok = strdup(tk);
    }
out:
    if (cs >= 0)
        close(cs);
    if (ls >= 0)
        close(ls);
    json_decref(payload);
    json_decref(t);
    json_decref(disc);
    cli_secure_free(verifier);
    free(challenge);
    free(state);
    free(nonce);
    free(esc_scope);
    free(esc_redirect);
    cli_secure_free(body);
    return tok;
}

static void
usage(FILE *f)
{
    fprintf(f, "usage: meshca login [--server URL] [--principal P]... "
        "[--role R] [--ttl 10m] [--reason TEXT]\n"
        "                    [--flow device|browser] [--token-file FILE] "
        "[--files]\n"
        "Gets a short-lived SSH certificate and installs it: into the running "
        "ssh-agent\n(with a lifetime), or with --files (or no agent) under "
        "~/.ssh/meshca/.\nExit: 0 installed, 1 refused, 2 usage, 3 server "
        "unreachable.\n");
}

int
cmd_login(int argc, char **argv)
{
    static const struct option opts[] = {
        { "server", required_argument, NULL, 's' },
        { "principal", required_argument, NULL, 'p' },
        { "role", required_argument, NULL, 'R' },
        { "ttl", required_argument, NULL, 'l' },
        { "reason", required_argument, NULL, 'r' },
        { "flow", required_argument, NULL, 'f' },
        { "token-file", required_argument, NULL, 't' },
        { "files", no_argument, NULL, 'F' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *server_flag = NULL, *token_file = NULL, *server, *sock;
    const char *flow = "device";
    json_t *req = json_object(), *pr = json_array(), *cfg = NULL, *ans = NULL,
           *e;
    struct cli_response r;
    struct login_key *k = NULL;
    struct cert *cert = NULL;
    char *token = NULL, *body = NULL, dir[1024], path[1100], state[1100];
    char *cafp = NULL, why[256];
    const char *line;
    int ch, files = 0, rc = EXIT_USAGE, pinned_ok;
    size_t i, j;
    time_t now;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 's': server_flag = optarg; break;
        case 'p': json_array_append_new(pr, json_string(optarg)); break;
        case 'R': json_object_set_new(req, "role", json_string(optarg)); break;
        case 'l': json_object_set_new(req, "ttl", json_string(optarg)); break;
        case 'r': json_object_set_new(req, "reason", json_string(optarg)); break;
        case 'f': flow = optarg; break;
        case 't': token_file = optarg; break;
        case 'F': files = 1; break;
        case 'h': usage(stdout); rc = 0; goto out;
        default: usage(stderr); goto out;
        }
    }
    if (optind != argc || (strcmp(flow, "device") != 0 &&
        strcmp(flow, "browser") != 0)) {
        usage(stderr);
        goto out;
    }
    if ((server = cli_server(server_flag)) == NULL)
        goto out;
    rc = EXIT_UNREACHABLE;
    if (cli_http("GET", server, "/v1/config", NULL, NULL, &r) != 0 ||
        r.status != 200 || (cfg = json_loads(r.body, 0, NULL)) == NULL) {
        fprintf(stderr, "meshca login: cannot read %s/v1/config: %s\n",
            server, r.error[0] ? r.error : "unexpected answer");
        free(r.body);
        goto out;
    }
    free(r.body);
    rc = EXIT_REFUSED;
    /* The key first: with key binding the login's nonce commits to it. */
    if (login_key_generate("meshca", &k) != 0) {
        fprintf(stderr, "meshca login: cannot make a key\n");
        goto out;
    }
    if (token_file != NULL || getenv("MESHCA_ID_TOKEN") != NULL)
        token = cli_token(token_file);
    else if (strcmp(flow, "browser") == 0)
        token = browser_flow(cfg, k);
    else
        token = device_flow(cfg);
    if (token == NULL)
        goto out;
    json_object_set_new(req, "public_key", json_string(k->public_line));
    if (json_array_size(pr) > 0)
        json_object_set(req, "principals", pr);
    body = json_dumps(req, JSON_COMPACT);
    if (cli_http("POST", server, "/v1/certificates", token, body, &r) != 0) {
        fprintf(stderr, "meshca login: %s\n", r.error);
        rc = EXIT_UNREACHABLE;
        goto out;
    }
    if (r.status != 201) {
        cli_print_error("login", &r);
        free(r.body);
        goto out;
    }
    ans = json_loads(r.body, 0, NULL);
    free(r.body);
    line = json_string_value(json_object_get(ans, "certificate"));

    /* Check what we got before installing it. */
    if (line == NULL || cert_from_line(line, &cert) != 0) {
        fprintf(stderr, "meshca login: the server's certificate does not "
            "parse or its signature is wrong; not installed\n");
        goto out;
    }
    {
        size_t bl;
        const uint8_t *b = key_blob(cert->key, &bl);

        if (bl != k->blob_len || memcmp(b, k->blob, bl) != 0) {
            fprintf(stderr, "meshca login: the certificate is not for our "
                "key; not installed\n");
            goto out;
        }
    }
    json_array_foreach(pr, i, e) {
        int have = 0;

        for (j = 0; j < cert->nprincipals; j++)
            have |= strcmp(cert->principals[j], json_string_value(e)) == 0;
        if (!have) {
            fprintf(stderr, "meshca login: the certificate lacks the "
                "principal %s we asked for; not installed\n",
                json_string_value(e));
            goto out;
        }
    }
    now = time(NULL);
    if (cert->type != CERT_TYPE_USER || (uint64_t)now < cert->valid_after ||
        (uint64_t)now >= cert->valid_before) {
        fprintf(stderr, "meshca login: the certificate is not a currently "
            "valid user certificate (check this machine's clock)\n");
        goto out;
    }
    if (key_fingerprint(cert->ca_key, &cafp) != 0)
        goto out;
    pinned_ok = 0;
    json_array_foreach(json_object_get(cfg, "ca_fingerprints"), i, e)
        pinned_ok |= strcmp(json_string_value(e), cafp) == 0;
    {
        /* Local pins win over the server's word. */
        const char *home = getenv("HOME");
        json_t *lc = NULL, *pins;

        snprintf(path, sizeof(path), "%s/.config/meshca/config.json",
            home ? home : "/");
        if ((lc = json_load_file(path, 0, NULL)) != NULL &&
            json_is_array(pins = json_object_get(lc, "ca_fingerprints"))) {
            pinned_ok = 0;
            json_array_foreach(pins, i, e)
                pinned_ok |= strcmp(json_string_value(e), cafp) == 0;
        }
        json_decref(lc);
    }
    if (!pinned_ok) {
        fprintf(stderr, "meshca login: the certificate is signed by %s, "
            "which is not a CA this server (or your pinned config) "
            "publishes; not installed\n", cafp);
        goto out;
    }

    sock = getenv("SSH_AUTH_SOCK");
    if (!files && sock != NULL && *sock != '\0') {
        if (agent_add_cert(sock, k, cert->blob, cert->blob_len,
            (uint32_t)(cert->valid_before - (uint64_t)now), cert->key_id,
            why, sizeof(why)) != 0) {
            fprintf(stderr, "meshca login: %s; retry with --files\n", why);
            goto out;
        }
        snprintf(dir, sizeof(dir), "ssh-agent");
    } else {
        if (cli_ssh_dir(dir, sizeof(dir)) != 0)
            goto fs_fail;
        snprintf(path, sizeof(path), "%s/id_ed25519", dir);
        if (write_file_atomic(path, k->private_pem, strlen(k->private_pem),
            0600) != 0)
            goto fs_fail;
        snprintf(path, sizeof(path), "%s/id_ed25519.pub", dir);
        if (write_file_atomic(path, k->public_line, strlen(k->public_line),
            0600) != 0)
            goto fs_fail;
        snprintf(path, sizeof(path), "%s/id_ed25519-cert.pub", dir);
        {
            char *l2 = NULL;

            if (asprintf(&l2, "%s\n", line) < 0 ||
                write_file_atomic(path, l2, strlen(l2), 0600) != 0) {
                free(l2);
                goto fs_fail;
            }
            free(l2);
        }
    }
    {
        json_t *st = json_pack("{s:s, s:s, s:s, s:O, s:I, s:s, s:s, s:s}",
            "serial", json_string_value(json_object_get(ans, "serial")),
            "key_id", cert->key_id, "role",
            json_string_value(json_object_get(ans, "role")) ?
            json_string_value(json_object_get(ans, "role")) : "",
            "principals", json_object_get(ans, "principals"), "valid_before",
            (json_int_t)cert->valid_before, "ca_fingerprint", cafp,
            "installed", files || sock == NULL || *sock == '\0' ? "files" :
            "agent", "certificate", line);
        char *txt = json_dumps(st, JSON_INDENT(2));

        if (cli_state_path(state, sizeof(state)) != 0 || txt == NULL ||
            write_file_atomic(state, txt, strlen(txt), 0600) != 0) {
            free(txt);
            json_decref(st);
            goto fs_fail;
        }
        free(txt);
        json_decref(st);
    }
    printf("Logged in: %s, principals", cert->key_id);
    for (j = 0; j < cert->nprincipals; j++)
        printf("%s%s", j ? ", " : " ", cert->principals[j]);
    printf(", valid for %llu s.\n", (unsigned long long)(cert->valid_before -
        (uint64_t)now));
    if (strcmp(dir, "ssh-agent") == 0)
        printf("The key and certificate are in your ssh-agent until they "
            "expire: ssh works as usual.\n");
    else
        printf("Wrote %s/id_ed25519 and id_ed25519-cert.pub: use\n  ssh -i "
            "%s/id_ed25519 USER@HOST\nor add \"IdentityFile %s/id_ed25519\" "
            "to ~/.ssh/config.\n", dir, dir, dir);
    rc = 0;
    goto out;
fs_fail:
    fprintf(stderr, "meshca login: cannot write under %s: %s\n", dir,
        strerror(errno));
out:
    json_decref(req);
    json_decref(pr);
    json_decref(cfg);
    json_decref(ans);
    cert_free(cert);
    login_key_free(k);
    free(body);
    free(cafp);
    cli_secure_free(token);
    return rc;
}
