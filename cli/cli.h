/*
 * meshca, the client: shared pieces (where the server is, how to reach it,
 * the ID token, the local config) and the commands.
 *
 * Exit codes (docs/client.md and meshca(1) copy this block):
 *   every command   0 success
 *                   1 refused or failed: the server said no, a check failed,
 *                     a file could not be written (the message says why)
 *                   2 usage error (the message and --help say how)
 *                   3 the server or the network could not be reached
 *   meshca status   0 a valid certificate is installed
 *                   1 it expires within --min-valid (default 60 s)
 *                   2 none: never logged in, logged out, expired, or gone
 *                     from the ssh-agent
 *   meshca explain  0 would be granted, 1 would be denied
 */
#ifndef MESHCA_CLI_H
#define MESHCA_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "meshca/err.h"
#include "meshca/version.h"

#define EXIT_REFUSED 1
#define EXIT_USAGE 2
#define EXIT_UNREACHABLE 3

#define STATUS_VALID 0
#define STATUS_EXPIRING 1
#define STATUS_NONE 2

/* Largest HTTP response body accepted. */
#define CLI_RESPONSE_MAX (4 * 1024 * 1024)
/* Largest ID token accepted (file or environment). */
#define CLI_TOKEN_MAX 16384

/*
 * The local config, ~/.config/meshca/config.json:
 *   {"server": "https://meshca.example.com",
 *    "ca_file": "/etc/meshca/private-ca.pem",     (a private TLS root)
 *    "ca_fingerprints": ["SHA256:..."],           (pins: these CA keys only)
 *    "profiles": {"NAME": {"server": ..., ...}}}  (--profile NAME's values)
 */
struct cli_config {
    char *server;           /* NULL when absent */
    char *ca_file;          /* NULL when absent */
    char **pins;            /* CA key fingerprints, "SHA256:..." */
    size_t npins;
    int has_pins;           /* 1 when "ca_fingerprints" is given (even []) */
};

/* Parses the config's JSON text.  Returns 0 and *cfgp (caller frees), or
 * MESHCA_ERR_CLI_CONFIG with why filled (*cfgp NULL). */
int cli_config_parse(const char *text, size_t len, struct cli_config **cfgp,
    char *why, size_t whylen) MESHCA_WUR;

/* Loads $HOME/.config/meshca/config.json.  A missing file (or no HOME)
 * gives an empty config.  Returns 0 and *cfgp (caller frees), or
 * MESHCA_ERR_CLI_CONFIG with why filled (*cfgp NULL). */
int cli_config_load(struct cli_config **cfgp, char *why,
    size_t whylen) MESHCA_WUR;

/* Frees.  Accepts NULL. */
void cli_config_free(struct cli_config *cfg);

/* Whether a CA key fingerprint is trusted: the local pins when the config
 * has any ("ca_fingerprints"), else the server's list (a JSON array of
 * strings from /v1/config; NULL or malformed trusts nothing).  Local pins
 * win over the server's word.  Returns 1 trusted, 0 not. */
int cli_ca_trusted(const struct cli_config *local, const void *server_fps,
    const char *fp);

/* Profiles (profile.c): --profile NAME or $MESHCA_PROFILE keeps a second
 * server or identity apart: its own state file, files and agent entry, and
 * "profiles": {"NAME": {"server", "ca_file", "ca_fingerprints"}} in the
 * config.  Names: 1 to 64 of [A-Za-z0-9_-], not starting with '-'. */
#define CLI_PROFILE_MAX 64

/* 1 when name is a valid profile name, else 0. */
int cli_profile_valid(const char *name);

/* Selects the profile (NULL or "": none).  Returns 0, or
 * MESHCA_ERR_INVALID_ARGUMENT with a message printed. */
int cli_profile_set(const char *name) MESHCA_WUR;

/* The selected profile, or NULL for none. */
const char *cli_profile(void);

/* Removes "--profile NAME" / "--profile=NAME" from argv (before "--"; for
 * meshca ssh only before the command, which reads it itself) and selects
 * it, else $MESHCA_PROFILE.  Returns 0, or MESHCA_ERR_INVALID_ARGUMENT with
 * a message printed. */
int cli_profile_take(int *argcp, char **argv) MESHCA_WUR;

struct json_t;

/* Overlays the selected profile's object from root's "profiles" on root.
 * Returns 0, or MESHCA_ERR_CLI_CONFIG with why filled ("profiles" not an
 * object, the profile missing from it). */
int cli_profile_select(struct json_t *root, char *why,
    size_t whylen) MESHCA_WUR;

/* Command-line flags shared by every command that talks to the server. */
struct cli_conn_flags {
    const char *server;     /* --server URL */
    const char *cacert;     /* --cacert FILE */
    int insecure_http;      /* --insecure-http */
};

#define CLI_CONN_OPTIONS                                                       \
    { "server", required_argument, NULL, 's' },                                \
    { "cacert", required_argument, NULL, 'C' },                                \
    { "insecure-http", no_argument, NULL, 'I' }
/* The options of a command that acts for a signed-in person (an admin, an
 * approver): the connection's and --token-file FILE ('t'). */
#define CLI_TOKEN_OPTIONS                                                      \
    CLI_CONN_OPTIONS,                                                          \
    { "token-file", required_argument, NULL, 't' }
/* The options meshca ssh passes on to its login: the same letters as
 * meshca login's. */
#define CLI_LOGIN_OPTIONS                                                      \
    { "principal", required_argument, NULL, 'p' },                             \
    { "role", required_argument, NULL, 'R' },                                  \
    { "ttl", required_argument, NULL, 'l' },                                   \
    { "reason", required_argument, NULL, 'r' },                                \
    { "flow", required_argument, NULL, 'f' },                                  \
    { "token-file", required_argument, NULL, 't' },                            \
    { "files", no_argument, NULL, 'F' }
#define CLI_CONN_USAGE                                                         \
    "  --server URL     meshcad (else $MESHCA_SERVER, else \"server\" in\n"   \
    "                   ~/.config/meshca/config.json)\n"                      \
    "  --cacert FILE    trust this TLS root too (else $MESHCA_CA_FILE or\n"   \
    "                   \"ca_file\" in the config)\n"                         \
    "  --insecure-http  allow plain http:// to a host that is not loopback\n"

/* Handles one getopt result for the options in CLI_CONN_OPTIONS.  Returns 1
 * when ch was one of them, 0 otherwise. */
int cli_conn_flag(struct cli_conn_flags *f, int ch, const char *arg);

/* getopt_long over opts (long options only) that keeps the options of
 * CLI_CONN_OPTIONS in f itself: returns the next other option's value (as
 * getopt_long does, '?' for an unknown one), or -1 at the end.  The caller
 * sets optind = 1 before the first call. */
int cli_getopt(int argc, char **argv, const struct option *opts,
    struct cli_conn_flags *f);

/* Where and how to reach meshcad for one command. */
struct cli_conn {
    char server[1024];      /* base URL, no trailing '/' */
    char ca_file[1024];     /* "" = the system's roots only */
    int insecure_http;
    /* A TLS client certificate and its key (meshca host-cert's
     * X.509-SVID); "" = none.  Set after cli_conn_init. */
    char client_cert[1024], client_key[1024];
};

/* Resolves the server (flag, $MESHCA_SERVER, the config's "server") and
 * the TLS root file (flag, $MESHCA_CA_FILE, the config's "ca_file").  cfg
 * may be NULL.  Returns 0, or MESHCA_ERR_CLI_NO_SERVER /
 * MESHCA_ERR_INVALID_ARGUMENT (too long) with a message printed for a
 * person.  *c is filled only on success. */
int cli_conn_init(struct cli_conn *c, const struct cli_conn_flags *f,
    const struct cli_config *cfg) MESHCA_WUR;

/* cli_config_load + cli_conn_init for command cmd, with messages printed.
 * Returns 0 or a negative MESHCA_ERR_*. */
int cli_conn_setup(const char *cmd, const struct cli_conn_flags *f,
    struct cli_conn *c) MESHCA_WUR;

struct cli_response {
    long status;            /* HTTP status, 0 when the request failed */
    char *body;             /* NUL-terminated (NUL not counted); caller frees */
    size_t len;
    char error[768];        /* transport error when status is 0 */
    int too_big;            /* the body was over the limit (error says so) */
    int unreachable;        /* no answer: connection refused or reset, a
                             * timeout, DNS (not TLS verification, not a
                             * refused URL) */
};

/* Whether url may be fetched: https://, or http:// to a literal loopback
 * host (127.0.0.0/8, [::1], localhost), or any http:// with insecure_http.
 * Userinfo ("http://127.0.0.1@evil/") is refused.  Returns 0, or
 * MESHCA_ERR_CLI_INSECURE_URL / MESHCA_ERR_INVALID_FORMAT with why filled. */
int cli_url_check(const char *url, int insecure_http, char *why,
    size_t whylen) MESHCA_WUR;

/* One request to c->server + path (body NULL for GET; JSON otherwise).
 * TLS verified (system roots plus c->ca_file), 10 s to connect, no
 * redirects followed, bodies over max_body bytes refused (r->too_big set;
 * CLI_RESPONSE_MAX for every answer but the compliance report, at most
 * BUF_LARGE_MAX); 30 s in all, or 300 s when max_body is over
 * CLI_RESPONSE_MAX.  Returns 0 when an HTTP answer came back (any status;
 * r->body set, caller frees with cli_response_free), or MESHCA_ERR_CLI_HTTP
 * / MESHCA_ERR_CLI_INSECURE_URL with r->error saying why (r->body NULL). */
int cli_http(const struct cli_conn *c, const char *method, const char *path,
    const char *token, const char *body, size_t max_body,
    struct cli_response *r) MESHCA_WUR;

/* The same for a whole URL (the identity provider), with the body's
 * content type and CLI_RESPONSE_MAX. */
int cli_http_url(const struct cli_conn *c, const char *method,
    const char *url, const char *token, const char *body, const char *ctype,
    struct cli_response *r) MESHCA_WUR;

/* Frees r->body (wiped: it may hold a token).  Accepts NULL. */
void cli_response_free(struct cli_response *r);

/* Whether the call that filled r is worth trying again: no answer came
 * (r->unreachable: the server down or restarting, a timeout), or the
 * answer was a 5xx.  The one rule of the loops that retry or poll
 * (host-report's batches, login's wait for an approval, the device flow's
 * polling).  Returns 1 or 0. */
int cli_http_retryable(const struct cli_response *r);

/* Prints a server error {"error","message","request_id"} for a person:
 * "meshca CMD: MESSAGE (HTTP 403, request ID)". */
void cli_print_error(const char *cmd, const struct cli_response *r);

/* The ID token from --token-file FILE, else $MESHCA_ID_TOKEN.  Returns 0
 * and *tokenp (caller frees with cli_secure_free), or MESHCA_ERR_NOT_FOUND /
 * MESHCA_ERR_SYSTEM / MESHCA_ERR_STRING_TOO_LARGE with a message printed. */
int cli_token_read(const char *token_file, char **tokenp) MESHCA_WUR;

/* The ID token for an admin or approver command cmd: --token-file FILE /
 * $MESHCA_ID_TOKEN (cli_token_read), else an interactive login as meshca
 * login does (cli/token.c).  Returns 0 and *tokenp (cli_secure_free), or an
 * error with a message printed. */
int cli_token_get(const char *cmd, const struct cli_conn *conn,
    const char *token_file, char **tokenp) MESHCA_WUR;

struct json_t;

/* Sends req (compact JSON; NULL: no body) to path with method for command
 * cmd: cli_conn_setup with flags, cli_token_get with token_file, cli_http.
 * Returns 0 when an HTTP answer came back (any status; *resp set, caller
 * frees with cli_response_free), else the exit code with a message printed:
 * EXIT_USAGE (no server, no token) or EXIT_UNREACHABLE. */
int cli_call_json(const char *cmd, const struct cli_conn_flags *flags,
    const char *token_file, const char *method, const char *path,
    const struct json_t *req, struct cli_response *resp) MESHCA_WUR;

/* Wipes and frees a NUL-terminated secret.  Accepts NULL. */
void cli_secure_free(char *s);

/* "4m32s" for seconds left (0 and below: "0s"). */
char *cli_format_left(int64_t seconds, char *out, size_t outlen);

/* RFC 3339 UTC ("2026-11-22T14:03:19Z") for t. */
char *cli_format_time(uint64_t t, char *out, size_t outlen);

/* meshca status's exit code: STATUS_NONE when not present or left <= 0,
 * STATUS_EXPIRING when left < min_valid, else STATUS_VALID. */
int cli_status_code(int present, int64_t left, int64_t min_valid);

/* Host helpers' validation (cmd_host.c).  Each returns 0, or a negative
 * MESHCA_ERR_* with why filled for a person. */
/* Every line a public key (blank lines and "#" comments allowed), at
 * least one, no NUL bytes; *nkeysp the count. */
int host_check_ca_keys(const char *body, size_t len, size_t *nkeysp,
    char *why, size_t whylen) MESHCA_WUR;
/* A KRL that ca/krl.c parses. */
int host_check_krl(const uint8_t *body, size_t len, char *why,
    size_t whylen) MESHCA_WUR;

struct cert;
struct login_key;
/* The checks a fresh certificate passes before it is installed: it
 * certifies k, is a user certificate, names every principal in want (when
 * any were asked for), is valid at now, and is signed by a trusted CA key
 * (cli_ca_trusted: local pins, else the server's list).  Returns 0 and
 * *cafpp (the CA key's fingerprint; caller frees), or
 * MESHCA_ERR_CLI_CERT_CHECK with why filled. */
int login_check_cert(const struct cert *c, const struct login_key *k,
    const char *const *want, size_t nwant, const struct cli_config *local,
    const void *server_fps, time_t now, char **cafpp, char *why,
    size_t whylen) MESHCA_WUR;

int cmd_login(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_logout(int argc, char **argv);
int cmd_ssh_config(int argc, char **argv);
int cmd_ca_keys(int argc, char **argv);
int cmd_krl(int argc, char **argv);
int cmd_host_config(int argc, char **argv);
int cmd_host_cert(int argc, char **argv);

/* Writes ~/.ssh/meshca/known_hosts (knownhosts.c): an @cert-authority line
 * for each host CA key of the server, for cfg's "host_patterns" (the
 * /v1/config answer).  Returns 0 with the file's path in path, 1 when the
 * server certifies no hosts (nothing written), -1 with why filled. */
struct json_t;
int known_hosts_install(const struct cli_conn *conn, const struct json_t *cfg,
    char *path, size_t pathlen, char *why, size_t whylen) MESHCA_WUR;

/* The same for meshca ssh-config --install: /v1/config fetched from the
 * server of $MESHCA_SERVER or the local config.  Returns 0 (written), 1
 * (no server known, or it certifies no hosts: nothing written) or -1 with
 * why filled. */
int known_hosts_refresh(char *path, size_t pathlen, char *why,
    size_t whylen) MESHCA_WUR;
int cmd_explain(int argc, char **argv);
int cmd_revoke(int argc, char **argv);
/* Just-in-time access (#17): cli/cmd_requests.c. */
int cmd_requests(int argc, char **argv);
int cmd_decide(int argc, char **argv);     /* approve, deny, ack */
/* meshca login's wait for an approval: ans is the 202 answer.  Polls until
 * the request is approved (0), or denied / expired (EXIT_REFUSED), said. */
int cli_access_wait(const struct cli_conn *conn, const char *token,
    const struct json_t *ans);
/* meshca explain's lines for a granted role that needs approval or is
 * break-glass (ans: the /v1/explain answer). */
void cli_explain_access(const struct json_t *ans);
int cmd_audit(int argc, char **argv);   /* cmd_audit.c */
int cmd_report(int argc, char **argv);
int cmd_ssh(int argc, char **argv);     /* cmd_ssh.c */
int cmd_host_report(int argc, char **argv);   /* cmd_host_report.c */
int cmd_who(int argc, char **argv);           /* cmd_who.c */

#endif
