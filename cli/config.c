/*
 * The client's local config (~/.config/meshca/config.json), where the
 * server is, and which CA keys to trust.  See cli.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "meshca/jsonv.h"
#include "cli.h"
#include "cli_err.h"

#define CONFIG_MAX (64 * 1024)

void
cli_config_free(struct cli_config *cfg)
{
    if (cfg == NULL)
        return;
    jsonv_strv_free(cfg->pins, cfg->npins);
    free(cfg->server);
    free(cfg->ca_file);
    free(cfg);
}

static int
opt_string(const json_t *root, const char *name, char **outp, char *why,
    size_t whylen)
{
    const json_t *v = json_object_get(root, name);

    *outp = NULL;
    if (v == NULL)
        return 0;
    if (!json_is_string(v) || json_string_length(v) == 0 ||
        json_string_length(v) >= 1024 ||
        strlen(json_string_value(v)) != json_string_length(v)) {
        snprintf(why, whylen, "\"%s\" must be a non-empty string", name);
        return MESHCA_ERR_CLI_CONFIG;
    }
    if ((*outp = strdup(json_string_value(v))) == NULL)
        return MESHCA_ERR_ALLOC;
    return 0;
}

int
cli_config_parse(const char *text, size_t len, struct cli_config **cfgp,
    char *why, size_t whylen)
{
    struct cli_config *cfg = NULL;
    json_t *root = NULL, *pins, *e;
    json_error_t jerr;
    size_t i;
    int r = MESHCA_ERR_CLI_CONFIG;

    *cfgp = NULL;
    if ((root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr)) ==
        NULL) {
        snprintf(why, whylen, "not JSON (line %d: %s)", jerr.line, jerr.text);
        goto out;
    }
    if (!json_is_object(root)) {
        snprintf(why, whylen, "must be a JSON object");
        goto out;
    }
    if ((r = cli_profile_select(root, why, whylen)) != 0)
        goto out;
    r = MESHCA_ERR_CLI_CONFIG;
    if ((cfg = calloc(1, sizeof(*cfg))) == NULL) {
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    if ((r = opt_string(root, "server", &cfg->server, why, whylen)) != 0 ||
        (r = opt_string(root, "ca_file", &cfg->ca_file, why, whylen)) != 0)
        goto out;
    r = MESHCA_ERR_CLI_CONFIG;
    if ((pins = json_object_get(root, "ca_fingerprints")) != NULL) {
        if (!json_is_array(pins) || json_array_size(pins) > 64) {
            snprintf(why, whylen, "\"ca_fingerprints\" must be an array of "
                "\"SHA256:...\" strings");
            goto out;
        }
        cfg->has_pins = 1;
        if (json_array_size(pins) > 0 && (cfg->pins = calloc(
            json_array_size(pins), sizeof(*cfg->pins))) == NULL) {
            r = MESHCA_ERR_ALLOC;
            goto out;
        }
        json_array_foreach(pins, i, e) {
            if (!json_is_string(e) ||
                strncmp(json_string_value(e), "SHA256:", 7) != 0) {
                snprintf(why, whylen, "\"ca_fingerprints\" entry %zu is not "
                    "a \"SHA256:...\" fingerprint (ssh-keygen -lf CA.pub "
                    "prints one)", i + 1);
                goto out;
            }
            if ((cfg->pins[i] = strdup(json_string_value(e))) == NULL) {
                r = MESHCA_ERR_ALLOC;
                goto out;
            }
            cfg->npins = i + 1;
        }
    }
    *cfgp = cfg;
    cfg = NULL;
    r = 0;
out:
    cli_config_free(cfg);
    json_decref(root);
    return r;
}

int
cli_config_load(struct cli_config **cfgp, char *why, size_t whylen)
{
    const char *home = getenv("HOME");
    char path[1024], *text = NULL;
    size_t n = 0;
    FILE *f = NULL;
    int r = MESHCA_ERR_CLI_CONFIG;

    *cfgp = NULL;
    if (home == NULL || *home == '\0')
        return cli_config_parse("{}", 2, cfgp, why, whylen);
    snprintf(path, sizeof(path), "%s/.config/meshca/config.json", home);
    if ((f = fopen(path, "r")) == NULL) {
        if (errno == ENOENT)
            return cli_config_parse("{}", 2, cfgp, why, whylen);
        snprintf(why, whylen, "cannot read %s: %s", path, strerror(errno));
        return MESHCA_ERR_CLI_CONFIG;
    }
    if ((text = malloc(CONFIG_MAX + 1)) == NULL) {
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    n = fread(text, 1, CONFIG_MAX + 1, f);
    if (n > CONFIG_MAX) {
        snprintf(why, whylen, "%s is larger than 64 KiB", path);
        goto out;
    }
    if ((r = cli_config_parse(text, n, cfgp, why, whylen)) != 0) {
        char inner[256];

        snprintf(inner, sizeof(inner), "%s", why);
        snprintf(why, whylen, "%s: %s", path, inner);
    }
out:
    free(text);
    fclose(f);
    return r;
}

int
cli_ca_trusted(const struct cli_config *local, const void *server_fps,
    const char *fp)
{
    const json_t *list = server_fps, *e;
    size_t i;

    if (fp == NULL)
        return 0;
    if (local != NULL && local->has_pins) {
        for (i = 0; i < local->npins; i++)
            if (strcmp(local->pins[i], fp) == 0)
                return 1;
        return 0;
    }
    if (!json_is_array(list))
        return 0;
    json_array_foreach(list, i, e)
        if (json_is_string(e) && strcmp(json_string_value(e), fp) == 0)
            return 1;
    return 0;
}

int
cli_conn_flag(struct cli_conn_flags *f, int ch, const char *arg)
{
    switch (ch) {
    case 's':
        f->server = arg;
        return 1;
    case 'C':
        f->cacert = arg;
        return 1;
    case 'I':
        f->insecure_http = 1;
        return 1;
    }
    return 0;
}

int
cli_getopt(int argc, char **argv, const struct option *opts,
    struct cli_conn_flags *f)
{
    int ch;

    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1 &&
        cli_conn_flag(f, ch, optarg))
        ;
    return ch;
}

/* The server URL (its first n bytes) before any request: no scheme, or
 * plain http that would be refused, is the person's to fix (a usage error),
 * not a server that cannot be reached.  Returns 0 or -1 (said). */
static int
conn_server_check(const char *server, size_t n, int insecure_http)
{
    char url[1100], why[512];

    if (memmem(server, n, "://", 3) == NULL) {
        fprintf(stderr, "meshca: the server \"%.*s\" has no scheme: say "
            "https://%.*s\n", (int)n, server, (int)n, server);
        return -1;
    }
    snprintf(url, sizeof(url), "%.*s/", (int)n, server);
    if (cli_url_check(url, insecure_http, why, sizeof(why)) != 0) {
        fprintf(stderr, "meshca: the server URL: %s\n", why);
        return -1;
    }
    return 0;
}

int
cli_conn_init(struct cli_conn *c, const struct cli_conn_flags *f,
    const struct cli_config *cfg)
{
    const char *server = f->server, *ca = f->cacert;
    size_t n;

    if (server == NULL && (server = getenv("MESHCA_SERVER")) != NULL &&
        *server == '\0')
        server = NULL;
    if (server == NULL && cfg != NULL)
        server = cfg->server;
    if (server == NULL) {
        fprintf(stderr, "meshca: no server: pass --server URL, set "
            "MESHCA_SERVER, or put {\"server\": \"https://...\"} in "
            "~/.config/meshca/config.json\n");
        return MESHCA_ERR_CLI_NO_SERVER;
    }
    if (ca == NULL && (ca = getenv("MESHCA_CA_FILE")) != NULL && *ca == '\0')
        ca = NULL;
    if (ca == NULL && cfg != NULL)
        ca = cfg->ca_file;
    n = strlen(server);
    while (n > 0 && server[n - 1] == '/')
        n--;
    if (n == 0 || n >= sizeof(c->server) ||
        (ca != NULL && strlen(ca) >= sizeof(c->ca_file))) {
        fprintf(stderr, "meshca: the server URL or CA file name is too "
            "long or empty\n");
        return MESHCA_ERR_INVALID_ARGUMENT;
    }
    if (conn_server_check(server, n, f->insecure_http) != 0)
        return MESHCA_ERR_INVALID_ARGUMENT;
    memset(c, 0, sizeof(*c));
    memcpy(c->server, server, n);
    if (ca != NULL)
        snprintf(c->ca_file, sizeof(c->ca_file), "%s", ca);
    c->insecure_http = f->insecure_http;
    return 0;
}

int
cli_conn_setup(const char *cmd, const struct cli_conn_flags *f,
    struct cli_conn *c)
{
    struct cli_config *cfg = NULL;
    char why[512];
    int r;

    if ((r = cli_config_load(&cfg, why, sizeof(why))) != 0) {
        fprintf(stderr, "meshca %s: %s\n", cmd, why);
        return r;
    }
    r = cli_conn_init(c, f, cfg);
    cli_config_free(cfg);
    return r;
}
