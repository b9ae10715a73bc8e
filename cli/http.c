/*
 * meshca's HTTP (libcurl), the ID token, and small formatting helpers.
 * See cli.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/x509_vfy.h>

#include "meshca/buf.h"
#include "meshca/clock.h"
#include "meshca/duration.h"
#include "meshca/url.h"
#include "cli.h"
#include "cli_err.h"

void
cli_secure_free(char *s)
{
    if (s == NULL)
        return;
    OPENSSL_cleanse(s, strlen(s));
    free(s);
}

void
cli_response_free(struct cli_response *r)
{
    if (r == NULL || r->body == NULL)
        return;
    OPENSSL_cleanse(r->body, r->len);
    free(r->body);
    r->body = NULL;
    r->len = 0;
}

/* Whether c can be in a bearer token (RFC 6750 2.1's b64token): an ID
 * token's base64url and dots, a host token's base64. */
static int
token_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
        (c >= '0' && c <= '9') || (c != '\0' && strchr("-._~+/=", c) != NULL);
}

static int
token_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * The one check of a token, wherever it came from (what: "the token file
 * F" or "MESHCA_ID_TOKEN"): the whitespace around it dropped in place (t
 * holds len bytes and a NUL), then every byte must be a bearer token's.  A
 * newline left inside would end the Authorization header early and make
 * what follows headers of its own.  Returns 0, or MESHCA_ERR_NOT_FOUND (no
 * token) / MESHCA_ERR_INVALID_FORMAT with a message printed.
 */
static int
token_clean(char *t, size_t len, const char *what)
{
    size_t lead = 0, i;

    while (len > 0 && token_space(t[len - 1]))
        t[--len] = '\0';
    while (lead < len && token_space(t[lead]))
        lead++;
    memmove(t, t + lead, len - lead + 1);
    len -= lead;
    if (len == 0) {
        fprintf(stderr, "meshca: no ID token: pass --token-file FILE or set "
            "MESHCA_ID_TOKEN (meshca login gets one interactively)\n");
        return MESHCA_ERR_NOT_FOUND;
    }
    for (i = 0; i < len; i++)
        if (!token_char(t[i])) {
            fprintf(stderr, "meshca: %s is not one token (byte %zu is "
                "0x%02x; a token holds letters, digits and -._~+/= only)\n",
                what, i + lead, (unsigned)(unsigned char)t[i]);
            return MESHCA_ERR_INVALID_FORMAT;
        }
    return 0;
}

int
cli_token_read(const char *token_file, char **tokenp)
{
    const char *env = getenv("MESHCA_ID_TOKEN");
    char *t = NULL, what[1100];
    size_t n = 0;
    FILE *f;
    int r;

    *tokenp = NULL;
    if (token_file != NULL) {
        if ((f = fopen(token_file, "r")) == NULL) {
            fprintf(stderr, "meshca: cannot read the token file %s: %s\n",
                token_file, strerror(errno));
            return MESHCA_ERR_SYSTEM;
        }
        if ((t = calloc(1, CLI_TOKEN_MAX + 2)) != NULL)
            n = fread(t, 1, CLI_TOKEN_MAX + 1, f);
        fclose(f);
        if (t == NULL)
            return MESHCA_ERR_ALLOC;
        if (n > CLI_TOKEN_MAX) {
            fprintf(stderr, "meshca: the token file %s is larger than %d "
                "bytes; is it an ID token?\n", token_file, CLI_TOKEN_MAX);
            cli_secure_free(t);
            return MESHCA_ERR_STRING_TOO_LARGE;
        }
        snprintf(what, sizeof(what), "the token file %s", token_file);
    } else if (env != NULL && *env != '\0') {
        if (strlen(env) > CLI_TOKEN_MAX) {
            fprintf(stderr, "meshca: MESHCA_ID_TOKEN is longer than %d "
                "bytes; is it an ID token?\n", CLI_TOKEN_MAX);
            return MESHCA_ERR_STRING_TOO_LARGE;
        }
        if ((t = strdup(env)) == NULL)
            return MESHCA_ERR_ALLOC;
        n = strlen(t);
        snprintf(what, sizeof(what), "MESHCA_ID_TOKEN");
    } else if ((t = strdup("")) == NULL)
        return MESHCA_ERR_ALLOC;
    /* A NUL byte in the file is not a token character either: all n bytes
     * are checked (and wiped on failure), not up to the first NUL. */
    if ((r = token_clean(t, n, what)) != 0) {
        OPENSSL_cleanse(t, n);
        free(t);
        return r;
    }
    *tokenp = t;
    return 0;
}

int
cli_url_check(const char *url, int insecure_http, char *why, size_t whylen)
{
    char reason[320];
    int r;

    /* The one rule (ca/url.c), shared with meshcad. */
    if ((r = url_check(url, reason, sizeof(reason))) == 0)
        return 0;
    if (r == MESHCA_ERR_URL_INSECURE) {
        if (insecure_http)
            return 0;
        snprintf(why, whylen, "refusing plain HTTP to %s (or pass "
            "--insecure-http)", reason);
        return MESHCA_ERR_CLI_INSECURE_URL;
    }
    snprintf(why, whylen, "refusing %s", reason);
    return MESHCA_ERR_INVALID_FORMAT;
}

/* The response body as libcurl hands it over. */
struct sink {
    struct meshca_buf *b;
    int too_big;
};

static size_t
sink_write(char *p, size_t sz, size_t n, void *arg)
{
    struct sink *s = arg;
    int r;

    if ((r = meshca_buf_put(s->b, p, sz * n)) != 0) {
        s->too_big = r == MESHCA_ERR_NO_BUFFER_SPACE;
        return 0;
    }
    return sz * n;
}

/* The request headers: the bearer token (auth, which the caller wipes) and
 * the body's type.  Returns 0 or -1. */
static int
request_headers(const char *token, const char *body, const char *ctype,
    char **authp, struct curl_slist **hdrp)
{
    struct curl_slist *nh;
    char cth[128];

    if (token != NULL) {
        if (asprintf(authp, "Authorization: Bearer %s", token) < 0) {
            *authp = NULL;
            return -1;
        }
        if ((nh = curl_slist_append(*hdrp, *authp)) == NULL)
            return -1;
        *hdrp = nh;
    }
    if (body != NULL) {
        snprintf(cth, sizeof(cth), "Content-Type: %s", ctype ? ctype :
            "application/json");
        if ((nh = curl_slist_append(*hdrp, cth)) == NULL)
            return -1;
        *hdrp = nh;
    }
    return 0;
}

static void
request_options(CURL *h, const struct cli_conn *c, const char *method,
    const char *url, const char *body, struct curl_slist *hdr, size_t max,
    struct sink *s)
{
    if (body != NULL)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    /* A body larger than any ordinary answer (the report) takes longer. */
    curl_easy_setopt(h, CURLOPT_TIMEOUT, max > CLI_RESPONSE_MAX ? 300L : 30L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "meshca/" MESHCA_VERSION);
    /* Added to the system's roots (libcurl keeps its CA path). */
    if (c->ca_file[0] != '\0')
        curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
    if (c->client_cert[0] != '\0') {
        curl_easy_setopt(h, CURLOPT_SSLCERT, c->client_cert);
        curl_easy_setopt(h, CURLOPT_SSLKEY, c->client_key);
    }
}

/* What failed when TLS verification did (verify: OpenSSL's X509 verify
 * result; detail: libcurl's error buffer), and how to fix it, into r. */
static void
tls_failure(struct cli_response *r, const char *url, long verify,
    const char *detail)
{
    const char *what;

    /* libcurl checks the name itself after OpenSSL's chain check passed,
     * and reports it with verify result "unspecified" (or ok). */
    if ((verify == X509_V_OK || verify == X509_V_ERR_UNSPECIFIED) &&
        (strstr(detail, "subject name") != NULL ||
        strstr(detail, "target host") != NULL))
        verify = X509_V_ERR_HOSTNAME_MISMATCH;
    switch (verify) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
        what = "the server's certificate has expired (the server must renew "
            "it)";
        break;
    case X509_V_ERR_CERT_NOT_YET_VALID:
        what = "the server's certificate is not valid yet (check this "
            "machine's clock)";
        break;
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        what = "unknown CA: the server's certificate is not signed by a CA "
            "this machine trusts";
        break;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
        what = "name mismatch: the server's certificate is not for the host "
            "in the URL (use the name it was issued for)";
        break;
    default:
        what = X509_verify_cert_error_string(verify);
        break;
    }
    snprintf(r->error, sizeof(r->error), "%.150s: TLS verification failed: "
        "%s [%.160s]; a private CA is added with --cacert FILE (or "
        "$MESHCA_CA_FILE, or \"ca_file\" in ~/.config/meshca/config.json)",
        url, what, detail);
}

/* The one libcurl request behind cli_http and cli_http_url. */
static int
fetch(const struct cli_conn *c, const char *method, const char *url,
    const char *token, const char *body, const char *ctype, size_t max,
    struct cli_response *r)
{
    CURL *h = NULL;
    CURLcode cr;
    struct curl_slist *hdr = NULL;
    struct sink s = { NULL, 0 };
    char *auth = NULL, errbuf[CURL_ERROR_SIZE] = "";
    int ret = MESHCA_ERR_CLI_HTTP, cu;

    memset(r, 0, sizeof(*r));
    if ((cu = cli_url_check(url, c->insecure_http, r->error,
        sizeof(r->error))) != 0)
        return cu == MESHCA_ERR_CLI_INSECURE_URL ? cu : MESHCA_ERR_CLI_HTTP;
    if ((h = curl_easy_init()) == NULL ||
        (s.b = meshca_buf_new_large(max)) == NULL) {
        snprintf(r->error, sizeof(r->error), "out of memory");
        ret = MESHCA_ERR_ALLOC;
        goto out;
    }
    if (request_headers(token, body, ctype, &auth, &hdr) != 0)
        goto out;
    request_options(h, c, method, url, body, hdr, max, &s);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    cr = curl_easy_perform(h);
    if (cr != CURLE_OK) {
        r->too_big = s.too_big || cr == CURLE_FILESIZE_EXCEEDED;
        if (cr == CURLE_PEER_FAILED_VERIFICATION) {
            long verify = 0;

            curl_easy_getinfo(h, CURLINFO_SSL_VERIFYRESULT, &verify);
            tls_failure(r, url, verify, errbuf[0] ? errbuf :
                curl_easy_strerror(cr));
        } else if (r->too_big)
            snprintf(r->error, sizeof(r->error), "%.150s: the response is "
                "larger than %zu MiB", url, max >> 20);
        else {
            snprintf(r->error, sizeof(r->error), "%.150s: %s", url,
                curl_easy_strerror(cr));
            r->unreachable = 1;
        }
        goto out;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    if (meshca_buf_take_cstring(&s.b, &r->body, &r->len) != 0)
        goto out;
    ret = 0;
out:
    if (ret != 0)
        r->status = 0;
    meshca_buf_free(s.b);
    curl_easy_cleanup(h);
    curl_slist_free_all(hdr);
    cli_secure_free(auth);
    return ret;
}

int
cli_http(const struct cli_conn *c, const char *method, const char *path,
    const char *token, const char *body, size_t max_body,
    struct cli_response *r)
{
    char url[2048];

    memset(r, 0, sizeof(*r));
    if (snprintf(url, sizeof(url), "%s%s", c->server, path) >=
        (int)sizeof(url)) {
        snprintf(r->error, sizeof(r->error), "URL too long");
        return MESHCA_ERR_CLI_HTTP;
    }
    return fetch(c, method, url, token, body, "application/json", max_body,
        r);
}

int
cli_http_url(const struct cli_conn *c, const char *method, const char *url,
    const char *token, const char *body, const char *ctype,
    struct cli_response *r)
{
    return fetch(c, method, url, token, body, ctype, CLI_RESPONSE_MAX, r);
}

int
cli_http_retryable(const struct cli_response *r)
{
    return r->unreachable || r->status >= 500;
}

int
cli_call_json(const char *cmd, const struct cli_conn_flags *flags,
    const char *token_file, const char *method, const char *path,
    const json_t *req, struct cli_response *resp)
{
    struct cli_conn conn;
    char *token = NULL, *body = NULL;
    int rc = EXIT_USAGE;

    if (cli_conn_setup(cmd, flags, &conn) != 0 ||
        cli_token_get(cmd, &conn, token_file, &token) != 0)
        goto out;
    if (req != NULL && (body = json_dumps(req, JSON_COMPACT)) == NULL) {
        fprintf(stderr, "meshca %s: out of memory\n", cmd);
        goto out;
    }
    if (cli_http(&conn, method, path, token, body, CLI_RESPONSE_MAX,
        resp) != 0) {
        fprintf(stderr, "meshca %s: cannot reach the server: %s\n", cmd,
            resp->error);
        rc = EXIT_UNREACHABLE;
        goto out;
    }
    rc = 0;
out:
    free(body);
    cli_secure_free(token);
    return rc;
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
        fprintf(stderr, "meshca %s: the server answered HTTP %ld%s\n", cmd,
            r->status, r->status >= 500 ? "; try again in a moment" : "");
    json_decref(j);
}

char *
cli_format_left(int64_t seconds, char *out, size_t outlen)
{
    return duration_format(seconds > 0 ? seconds : 0, out, outlen);
}

char *
cli_format_time(uint64_t t, char *out, size_t outlen)
{
    /* Clamped to the last second of 9999: four-digit years only. */
    return meshca_time_format(t > (uint64_t)253402300799ULL ?
        253402300799LL : (int64_t)t, out, outlen);
}

int
cli_status_code(int present, int64_t left, int64_t min_valid)
{
    if (!present || left <= 0)
        return STATUS_NONE;
    return left < min_valid ? STATUS_EXPIRING : STATUS_VALID;
}
