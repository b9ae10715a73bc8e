/* SPIFFE IDs and their patterns.  See meshca/spiffe.h. */
#include <stdio.h>
#include <string.h>

#include "meshca/spiffe.h"

#define SCHEME "spiffe://"
#define SCHEME_LEN 9

static int
td_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
        c == '-' || c == '_';
}

static int
seg_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

static int
refuse(char *why, size_t whylen, const char *msg)
{
    if (why != NULL && whylen > 0)
        snprintf(why, whylen, "%s", msg);
    return MESHCA_ERR_INVALID_FORMAT;
}

/* Checks id (or a pattern when star is set).  Returns 0 or the error. */
static int
check(const char *id, int star, const char *trust_domain, char *why,
    size_t whylen)
{
    const char *p, *td, *seg;
    size_t len, tdlen, slen;

    if (id == NULL)
        return refuse(why, whylen, "missing");
    if ((len = strlen(id)) > SPIFFE_ID_MAX)
        return refuse(why, whylen, "longer than 2048 bytes");
    if (strncmp(id, SCHEME, SCHEME_LEN) != 0)
        return refuse(why, whylen, "does not start with spiffe://");
    td = id + SCHEME_LEN;
    for (p = td; *p != '\0' && *p != '/'; p++)
        if (!td_char(*p))
            return refuse(why, whylen, "the trust domain may hold only "
                "lower-case letters, digits, '.', '-' and '_'");
    tdlen = (size_t)(p - td);
    if (tdlen == 0 || tdlen > 255)
        return refuse(why, whylen, "the trust domain must be 1 to 255 "
            "characters");
    if (trust_domain != NULL && (strlen(trust_domain) != tdlen ||
        strncmp(td, trust_domain, tdlen) != 0))
        return refuse(why, whylen, "it is not in the configured trust "
            "domain");
    if (*p != '/')
        return refuse(why, whylen, "it has no path (a workload's ID names "
            "a path, e.g. /ns/NAMESPACE/sa/ACCOUNT)");
    while (*p == '/') {
        seg = ++p;
        while (*p != '\0' && *p != '/')
            p++;
        slen = (size_t)(p - seg);
        if (slen == 0)
            return refuse(why, whylen, "its path has an empty segment or "
                "ends in '/'");
        if ((slen == 1 && seg[0] == '.') ||
            (slen == 2 && seg[0] == '.' && seg[1] == '.'))
            return refuse(why, whylen, "its path has a '.' or '..' "
                "segment");
        if (star && slen == 1 && seg[0] == '*')
            continue;
        for (; seg < p; seg++)
            if (!seg_char(*seg))
                return refuse(why, whylen, star && *seg == '*' ? "'*' must "
                    "be a whole path segment" : "its path may hold only "
                    "letters, digits, '.', '-', '_' and '/'");
    }
    return 0;
}

int
spiffe_id_check(const char *id, const char *trust_domain, char *why,
    size_t whylen)
{
    return check(id, 0, trust_domain, why, whylen);
}

int
spiffe_pattern_check(const char *pattern, char *why, size_t whylen)
{
    return check(pattern, 1, NULL, why, whylen);
}

int
spiffe_match(const char *pattern, const char *id)
{
    const char *p = pattern, *q = id;

    while (*p != '\0' && *q != '\0') {
        if (p[0] == '*' && p[-1] == '/' && (p[1] == '/' || p[1] == '\0')) {
            /* Exactly one segment of id: never empty, never across '/'. */
            if (*q == '/')
                return 0;
            while (*q != '\0' && *q != '/')
                q++;
            p++;
            continue;
        }
        if (*p != *q)
            return 0;
        p++;
        q++;
    }
    return *p == '\0' && *q == '\0';
}

const char *
spiffe_path(const char *id)
{
    const char *p = strchr(id + SCHEME_LEN, '/');

    return p != NULL ? p + 1 : "";
}

int
spiffe_segment(const char *id, size_t n, const char **segp, size_t *lenp)
{
    const char *p = spiffe_path(id), *end;
    size_t i;

    *segp = NULL;
    *lenp = 0;
    for (i = 0; *p != '\0'; i++) {
        if ((end = strchr(p, '/')) == NULL)
            end = p + strlen(p);
        if (i == n) {
            *segp = p;
            *lenp = (size_t)(end - p);
            return 0;
        }
        p = *end == '/' ? end + 1 : end;
    }
    return MESHCA_ERR_NOT_FOUND;
}
