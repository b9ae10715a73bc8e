/* meshca's HTTP, server and token plumbing (libcurl).  See cli.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "cli.h"

#define RESPONSE_MAX (4 * 1024 * 1024)

void
cli_secure_free(char *s)
{
    if (s == NULL)
        return;
    OPENSSL_cleanse(s, strlen(s));
    free(s);
}

const char *
cli_server(const char *flag)
{
    static char buf[1024];
    const char *home = getenv("HOME"), *s;
    char path[1024];
    json_t *j;

    if (flag != NULL)
        return flag;
    if ((s = getenv("MESHCA_SERVER")) != NULL && *s != '\0')
        return s;
    if (home != NULL) {
        snprintf(path, sizeof(path), "%s/.config/meshca/config.json", home);
        if ((j = json_load_file(path, 0, NULL)) != NULL) {
            s = json_string_value(json_object_get(j, "server"));
            if (s != NULL)
                snprintf(buf, sizeof(buf), "%s", s);
            json_decref(j);
            if (s != NULL)
                return buf;
        }
    }
    fprintf(stderr, "meshca: no server: pass --server URL, set MESHCA_SERVER, "
        "or put {\"server\": \"https://...\"} in ~/.config/meshca/config.json\n");
    return NULL;
}

char *
cli_token(const char *token_file)
{
    const char *env = getenv("MESHCA_ID_TOKEN");
    char *t = NULL;
    size_t n;
    FILE *f;

    if (token_file != NULL) {
        if ((f = fopen(token_file, "r")) == NULL ||
            (t = calloc(1, 16385)) == NULL) {
            fprintf(stderr, "meshca: cannot read the token file %s\n",
                token_file);
            if (f != NULL)
                fclose(f);
            return NULL;
        }
        n = fread(t, 1, 16384, f);
        fclose(f);
        while (n > 0 && (t[n - 1] == '\n' || t[n - 1] == '\r' ||
            t[n - 1] == ' '))
            t[--n] = '\0';
    } else if (env != NULL && *env != '\0')
        t = strdup(env);
    if (t == NULL || *t == '\0') {
        fprintf(stderr, "meshca: no ID token: pass --token-file FILE or set "
            "MESHCA_ID_TOKEN (meshca login gets one interactively)\n");
        free(t);
        return NULL;
    }
    return t;
}

struct sink {
    char *d;
    size_t len;
    int too_big;
};

static size_t
sink_write(char *p, size_t sz, size_t n, void *arg)
{
    struct sink *s = arg;
    size_t add = sz * n;
    char *nd;

    if (s->len + add > RESPONSE_MAX) {
        s->too_big = 1;
        return 0;
    }
    if ((nd = realloc(s->d, s->len + add + 1)) == NULL)
        return 0;
    s->d = nd;
    memcpy(s->d + s->len, p, add);
    s->len += add;
    s->d[s->len] = '\0';
    return add;
}

static int
loopback_http(const char *url)
{
    return strncmp(url, "http://127.", 11) == 0 ||
        strncmp(url, "http://localhost", 16) == 0 ||
        strncmp(url, "http://[::1]", 12) == 0;
}

int
cli_http(const char *method, const char *server, const char *path,
    const char *token, const char *body, struct cli_response *r)
{
    char url[2048];
    size_t sl = strlen(server);

    snprintf(url, sizeof(url), "%.*s%s", (int)(sl > 0 && server[sl - 1] ==
        '/' ? sl - 1 : sl), server, path);
    return cli_http_url(method, url, token, body, "application/json", r);
}

int
cli_http_url(const char *method, const char *url, const char *token,
    const char *body, const char *ctype, struct cli_response *r)
{
    CURL *c;
    CURLcode cr;
    struct curl_slist *h = NULL;
    struct sink s = { NULL, 0, 0 };
    char *auth = NULL, cth[128];

    memset(r, 0, sizeof(*r));
    if (strncmp(url, "https://", 8) != 0 && !loopback_http(url)) {
        snprintf(r->error, sizeof(r->error), "refusing plain HTTP to %.100s: "
            "use https:// (plain http is only for loopback)", url);
        return -1;
    }
    if ((c = curl_easy_init()) == NULL) {
        snprintf(r->error, sizeof(r->error), "out of memory");
        return -1;
    }
    if (token != NULL) {
        if (asprintf(&auth, "Authorization: Bearer %s", token) < 0)
            auth = NULL;
        h = curl_slist_append(h, auth);
    }
    if (body != NULL) {
        snprintf(cth, sizeof(cth), "Content-Type: %s", ctype);
        h = curl_slist_append(h, cth);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    }
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "meshca/" MESHCA_VERSION);
    if (getenv("MESHCA_CA_FILE") != NULL)
        curl_easy_setopt(c, CURLOPT_CAINFO, getenv("MESHCA_CA_FILE"));
    cr = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    cli_secure_free(auth);
    if (cr != CURLE_OK) {
        snprintf(r->error, sizeof(r->error), "%.150s: %s", url, s.too_big ?
            "response too large" : curl_easy_strerror(cr));
        free(s.d);
        r->status = 0;
        return -1;
    }
    r->body = s.d ? s.d : strdup("");
    r->len = s.len;
    return 0;
}

void
cli_print_error(const char *cmd, const struct cli_response *r)
{
    json_t *j = json_loads(r->body ? r->body : "", 0, NULL);
    const char *msg = json_string_value(json_object_get(j, "message"));
    const char *rid = json_string_value(json_object_get(j, "request_id"));

    if (msg != NULL)
        fprintf(stderr, "meshca %s: %s (HTTP %ld%s%s)\n", cmd, msg, r->status,
            rid ? ", request " : "", rid ? rid : "");
    else
        fprintf(stderr, "meshca %s: the server answered HTTP %ld\n", cmd,
            r->status);
    json_decref(j);
}
