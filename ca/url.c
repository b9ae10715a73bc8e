/* The URL rule, see meshca/url.h. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "meshca/url.h"

#define URL_MAX_LEN 4096

int
url_host_is_loopback(const char *host)
{
    char h[INET6_ADDRSTRLEN + 2], canon[INET6_ADDRSTRLEN];
    struct in_addr a4;
    struct in6_addr a6;
    size_t n;

    if (host == NULL || (n = strlen(host)) == 0 || n >= sizeof(h))
        return 0;
    if (strcasecmp(host, "localhost") == 0)
        return 1;
    /* glibc's inet_pton takes only 4 decimal parts without leading zeros;
     * the round trip makes sure the text is the canonical form. */
    if (inet_pton(AF_INET, host, &a4) == 1)
        return inet_ntop(AF_INET, &a4, canon, sizeof(canon)) != NULL &&
            strcmp(canon, host) == 0 && (ntohl(a4.s_addr) >> 24) == 127;
    if (host[0] == '[') {
        if (n < 2 || host[n - 1] != ']')
            return 0;
        memcpy(h, host + 1, n - 2);
        h[n - 2] = '\0';
    } else
        memcpy(h, host, n + 1);
    return inet_pton(AF_INET6, h, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6) &&
        strcmp(h, "::1") == 0;
}

/* Splits url's authority into host (with IPv6 brackets) and port text.
 * Returns 0, or MESHCA_ERR_URL_INVALID with the reason in why. */
static int
split_authority(const char *auth, size_t alen, char *host, size_t hostlen,
    char *port, size_t portlen, const char **whyp)
{
    const char *colon = NULL, *rb;
    size_t hlen;

    *whyp = NULL;
    if (alen == 0) {
        *whyp = "it has no host";
        return MESHCA_ERR_URL_INVALID;
    }
    if (memchr(auth, '@', alen) != NULL) {
        *whyp = "a user name or password in the URL is refused";
        return MESHCA_ERR_URL_INVALID;
    }
    if (auth[0] == '[') {
        if ((rb = memchr(auth, ']', alen)) == NULL) {
            *whyp = "an IPv6 address without its ']'";
            return MESHCA_ERR_URL_INVALID;
        }
        hlen = (size_t)(rb - auth) + 1;
        if (hlen < alen) {
            if (auth[hlen] != ':') {
                *whyp = "text after the IPv6 address";
                return MESHCA_ERR_URL_INVALID;
            }
            colon = auth + hlen;
        }
    } else {
        colon = memchr(auth, ':', alen);
        hlen = (size_t)((colon != NULL ? colon : auth + alen) - auth);
    }
    if (hlen == 0 || hlen >= hostlen ||
        (colon != NULL && (size_t)(auth + alen - colon - 1) >= portlen)) {
        *whyp = "its host or port is empty or too long";
        return MESHCA_ERR_URL_INVALID;
    }
    if (colon != NULL && colon + 1 == auth + alen) {
        *whyp = "an empty port";
        return MESHCA_ERR_URL_INVALID;
    }
    memcpy(host, auth, hlen);
    host[hlen] = '\0';
    port[0] = '\0';
    if (colon != NULL) {
        memcpy(port, colon + 1, (size_t)(auth + alen - colon - 1));
        port[auth + alen - colon - 1] = '\0';
    }
    return 0;
}

/* 1 when port is 1..65535 in decimal without leading zeros. */
static int
port_ok(const char *port)
{
    unsigned long v = 0;
    const char *p;

    if (port[0] == '\0' || port[0] == '0' || strlen(port) > 5)
        return 0;
    for (p = port; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return 0;
        v = v * 10 + (unsigned long)(*p - '0');
    }
    return v <= 65535;
}

/* 1 when libcurl parses url to exactly host (case aside), no user and
 * port (when given) as written. */
static int
curl_agrees(const char *url, const char *host, const char *port)
{
    CURLU *u = NULL;
    char *ch = NULL, *cp = NULL, *cu = NULL;
    int ok = 0;

    if ((u = curl_url()) == NULL ||
        curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &ch, 0) != CURLUE_OK)
        goto out;
    if (curl_url_get(u, CURLUPART_USER, &cu, 0) != CURLUE_NO_USER)
        goto out;
    if (strcasecmp(ch, host) != 0)
        goto out;
    if (port[0] != '\0' && (curl_url_get(u, CURLUPART_PORT, &cp, 0) !=
        CURLUE_OK || strcmp(cp, port) != 0))
        goto out;
    ok = 1;
out:
    curl_free(ch);
    curl_free(cp);
    curl_free(cu);
    curl_url_cleanup(u);
    return ok;
}

int
url_check(const char *url, char *why, size_t whylen)
{
    char host[256], port[8];
    const char *auth, *reason = NULL;
    size_t i, alen;
    int https, r = MESHCA_ERR_URL_INVALID;

    if (url == NULL || strnlen(url, URL_MAX_LEN + 1) > URL_MAX_LEN) {
        reason = "missing or longer than 4096 bytes";
        goto out;
    }
    for (i = 0; url[i] != '\0'; i++)
        if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f) {
            reason = "it holds spaces or control characters";
            goto out;
        }
    if (strncasecmp(url, "https://", 8) == 0)
        https = 1;
    else if (strncasecmp(url, "http://", 7) == 0)
        https = 0;
    else {
        reason = "only https:// (or http:// to loopback) URLs are used";
        goto out;
    }
    auth = url + (https ? 8 : 7);
    alen = strcspn(auth, "/?#");
    if ((r = split_authority(auth, alen, host, sizeof(host), port,
        sizeof(port), &reason)) != 0)
        goto out;
    r = MESHCA_ERR_URL_INVALID;
    if (port[0] != '\0' && !port_ok(port)) {
        reason = "the port must be 1 to 65535";
        goto out;
    }
    if (!curl_agrees(url, host, port)) {
        reason = "its host is not written canonically (shorthand such as "
            "127.1 or an encoded host is refused) or it is not a URL";
        goto out;
    }
    if (!https && !url_host_is_loopback(host)) {
        reason = "plain http is allowed only to a loopback address "
            "(127.0.0.1, [::1], localhost); use https://";
        r = MESHCA_ERR_URL_INSECURE;
        goto out;
    }
    r = 0;
out:
    if (r != 0 && why != NULL && whylen > 0) {
        /* The URL as given, controls shown as '?', so the reason stays one
         * line in a log or a terminal. */
        char shown[201];

        for (i = 0; url != NULL && url[i] != '\0' && i < 200; i++)
            shown[i] = (unsigned char)url[i] < 0x20 || url[i] == 0x7f ?
                '?' : url[i];
        shown[url != NULL ? i : 0] = '\0';
        snprintf(why, whylen, "%s: %s", url != NULL ? shown : "(none)",
            reason);
    }
    return r;
}
