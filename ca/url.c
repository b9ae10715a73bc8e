/* URL checks, see meshca/url.h. */
#include <arpa/inet.h>
#include <string.h>

#include "meshca/url.h"

int
url_is_loopback_http(const char *url)
{
    char host[256];
    const char *a, *end, *port = NULL;
    struct in_addr a4;
    struct in6_addr a6;
    size_t alen, hlen;

    if (url == NULL || strncmp(url, "http://", 7) != 0)
        return 0;
    a = url + 7;
    alen = strcspn(a, "/?#");
    end = a + alen;
    if (alen == 0 || memchr(a, '@', alen) != NULL)
        return 0;
    if (*a == '[') {
        const char *rb = memchr(a, ']', alen);

        if (rb == NULL)
            return 0;
        hlen = (size_t)(rb - a - 1);
        if (hlen >= sizeof(host))
            return 0;
        memcpy(host, a + 1, hlen);
        host[hlen] = '\0';
        if (rb + 1 < end) {
            if (rb[1] != ':')
                return 0;
            port = rb + 2;
        }
        if (inet_pton(AF_INET6, host, &a6) != 1 || !IN6_IS_ADDR_LOOPBACK(&a6))
            return 0;
    } else {
        const char *colon = memchr(a, ':', alen);

        hlen = (size_t)((colon ? colon : end) - a);
        if (hlen == 0 || hlen >= sizeof(host))
            return 0;
        memcpy(host, a, hlen);
        host[hlen] = '\0';
        if (colon != NULL)
            port = colon + 1;
        if (strcmp(host, "localhost") != 0 &&
            (inet_pton(AF_INET, host, &a4) != 1 ||
                (ntohl(a4.s_addr) >> 24) != 127))
            return 0;
    }
    if (port != NULL) {
        const char *p;

        if (port == end)
            return 0;
        for (p = port; p < end; p++)
            if (*p < '0' || *p > '9')
                return 0;
    }
    return 1;
}
