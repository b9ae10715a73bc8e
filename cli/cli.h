/*
 * meshca's shared pieces: where the server is, the ID token, HTTP.
 * Exit codes used by every command: 0 success, 1 the server refused or the
 * operation failed (the message says why), 2 usage error, 3 the server or
 * the network could not be reached.
 */
#ifndef MESHCA_CLI_H
#define MESHCA_CLI_H

#include <stddef.h>

#define MESHCA_VERSION "0.1.0"
#define EXIT_REFUSED 1
#define EXIT_USAGE 2
#define EXIT_UNREACHABLE 3

struct cli_response {
    long status;            /* HTTP status, 0 when the request failed */
    char *body;             /* NUL-terminated; caller frees */
    size_t len;
    char error[256];        /* transport error when status is 0 */
};

/* The server URL: flag, else $MESHCA_SERVER, else "server" in
 * ~/.config/meshca/config.json.  NULL (with a message printed) if none. */
const char *cli_server(const char *flag);

/* The ID token: from --token-file FILE, else $MESHCA_ID_TOKEN.  Returns a
 * new string (caller wipes and frees) or NULL with a message printed. */
char *cli_token(const char *token_file);

/* One HTTP request (body NULL for GET).  TLS is verified; plain http is
 * refused unless the host is loopback.  Returns 0 when an HTTP answer came
 * back (any status), -1 otherwise (r->error says why). */
int cli_http(const char *method, const char *server, const char *path,
    const char *token, const char *body, struct cli_response *r);

/* The same for a whole URL, with the body's content type. */
int cli_http_url(const char *method, const char *url, const char *token,
    const char *body, const char *ctype, struct cli_response *r);

/* Prints a server error {"error","message","request_id"} for a person. */
void cli_print_error(const char *cmd, const struct cli_response *r);

void cli_secure_free(char *s);

int cmd_explain(int argc, char **argv);
int cmd_revoke(int argc, char **argv);
int cmd_login(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_logout(int argc, char **argv);
int cmd_ca_keys(int argc, char **argv);
int cmd_krl(int argc, char **argv);
int cmd_host_config(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_ssh_config(int argc, char **argv);

struct buf;
struct json_t;
/* Renders a /v1/report JSON as html, csv or json into out (cmd_report.c).
 * Returns 0 or -1. */
int report_render(const struct json_t *r, const char *format, struct buf *out);

/* ~/.config/meshca/state.json and ~/.ssh/meshca, made 0700 when missing. */
int cli_state_path(char *out, size_t outlen);
int cli_ssh_dir(char *out, size_t outlen);

#endif
