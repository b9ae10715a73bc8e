/*
 * meshca's managed known_hosts (~/.ssh/meshca/known_hosts): one
 * "@cert-authority PATTERNS KEY" line per host CA key the server publishes
 * (GET /v1/host-ca-keys), for the host name patterns its policy can
 * certify (GET /v1/config "host_patterns").  ssh_config names it next to
 * the person's own file (UserKnownHostsFile ~/.ssh/known_hosts
 * ~/.ssh/meshca/known_hosts), so the first ssh to a certified host asks
 * nothing.  Rewritten atomically on every login; the person's own
 * known_hosts is never touched.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "meshca/buf.h"
#include "meshca/key.h"
#include "cli.h"
#include "cli_install.h"

/* A known_hosts pattern we are willing to write: host name characters and
 * the wildcards '*' and '?' only (no '!', ',', spaces or newlines). */
static int
pattern_ok(const char *s)
{
    size_t n = strlen(s);

    return n > 0 && n <= 255 && strspn(s, "abcdefghijklmnopqrstuvwxyz"
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_*?") == n;
}

/* The file's text: one line per key of keys (checked public key lines). */
static int
build(const json_t *patterns, const char *keys, struct meshca_buf *b,
    char *why, size_t whylen)
{
    char *copy = NULL, *save = NULL, *line, *text = NULL;
    struct meshca_key *k = NULL;
    const json_t *v;
    size_t i;
    int r = -1;

    static const char head[] = "# Managed by meshca login: the host CA keys "
        "of this meshca server.\n";

    if (meshca_buf_put(b, head, sizeof(head) - 1) != 0)
        return -1;
    if ((copy = strdup(keys)) == NULL)
        return -1;
    for (line = strtok_r(copy, "\n", &save); line != NULL;
        line = strtok_r(NULL, "\n", &save)) {
        if (*line == '#' || *line == '\0')
            continue;
        if (meshca_key_from_line(line, &k) != 0 ||
            meshca_key_to_line(k, "meshca-host-ca", &text) != 0 ||
            meshca_buf_put(b, "@cert-authority ", 16) != 0)
            goto out;
        json_array_foreach(patterns, i, v)
            if ((i > 0 && meshca_buf_put(b, ",", 1) != 0) ||
                meshca_buf_put(b, json_string_value(v),
                strlen(json_string_value(v))) != 0)
                goto out;
        if (meshca_buf_put(b, " ", 1) != 0 ||
            meshca_buf_put(b, text, strlen(text)) != 0 ||
            meshca_buf_put(b, "\n", 1) != 0)
            goto out;
        meshca_key_free(k);
        k = NULL;
        free(text);
        text = NULL;
    }
    r = 0;
out:
    if (r != 0)
        snprintf(why, whylen, "the server's host CA keys do not parse");
    meshca_key_free(k);
    free(text);
    free(copy);
    return r;
}

int
known_hosts_install(const struct cli_conn *conn, const json_t *cfg,
    char *path, size_t pathlen, char *why, size_t whylen)
{
    const json_t *pats = json_object_get(cfg, "host_patterns"), *v;
    struct cli_response r;
    struct meshca_buf *b = NULL;
    char dir[1024];
    size_t i, n = 0;
    int ret = -1;

    memset(&r, 0, sizeof(r));
    if (!json_is_array(pats) || json_array_size(pats) == 0)
        return 1;
    json_array_foreach(pats, i, v)
        if (!json_is_string(v) || !pattern_ok(json_string_value(v))) {
            snprintf(why, whylen, "/v1/config host_patterns[%zu] is not a "
                "host name pattern", i);
            return -1;
        }
    if (install_ssh_dir(dir, sizeof(dir)) != 0 ||
        snprintf(path, pathlen, "%s/known_hosts", dir) >= (int)pathlen) {
        snprintf(why, whylen, "cannot make ~/.ssh/meshca");
        return -1;
    }
    if (cli_http(conn, "GET", "/v1/host-ca-keys", NULL, NULL,
        CLI_RESPONSE_MAX, &r) != 0 || r.status != 200) {
        snprintf(why, whylen, "cannot fetch the host CA keys: %s", r.status ?
            "the server refused" : r.error);
        goto out;
    }
    if (host_check_ca_keys(r.body, r.len, &n, why, whylen) != 0)
        goto out;
    if ((b = meshca_buf_new(CLI_RESPONSE_MAX)) == NULL ||
        build(pats, r.body, b, why, whylen) != 0)
        goto out;
    if (install_write_file(path, meshca_buf_ptr(b), meshca_buf_len(b),
        0644) != 0) {
        snprintf(why, whylen, "cannot write %s: %s", path, strerror(errno));
        goto out;
    }
    ret = 0;
out:
    meshca_buf_free(b);
    cli_response_free(&r);
    return ret;
}

int
known_hosts_refresh(char *path, size_t pathlen, char *why, size_t whylen)
{
    struct cli_config *local = NULL;
    struct cli_conn_flags flags = { NULL, NULL, 0 };
    struct cli_conn conn;
    struct cli_response r;
    json_t *cfg = NULL;
    int ret = 1;

    memset(&r, 0, sizeof(r));
    /* Only where a server is known: ssh-config works without one. */
    if (cli_config_load(&local, why, whylen) != 0)
        return -1;
    if ((getenv("MESHCA_SERVER") == NULL && local->server == NULL) ||
        cli_conn_init(&conn, &flags, local) != 0)
        goto out;
    ret = -1;
    if (cli_http(&conn, "GET", "/v1/config", NULL, NULL, CLI_RESPONSE_MAX,
        &r) != 0 || r.status != 200 ||
        (cfg = json_loadb(r.body, r.len, 0, NULL)) == NULL) {
        snprintf(why, whylen, "cannot read %s/v1/config: %s", conn.server,
            r.status != 0 ? "the server refused" : r.error);
        goto out;
    }
    ret = known_hosts_install(&conn, cfg, path, pathlen, why, whylen);
out:
    json_decref(cfg);
    cli_response_free(&r);
    cli_config_free(local);
    return ret;
}
