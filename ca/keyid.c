/* Key ids meshcad builds, see cert_key_id_build in meshca/cert.h. */
#include <stdlib.h>
#include <string.h>

#include "meshca/cert.h"

/* Bytes sshd writes to its log for c: it escapes what is not printable
 * ASCII as \ooo (strnvis, VIS_OCTAL) and doubles a backslash. */
static size_t
logged_len(unsigned char c)
{
    if (c >= 0x80)
        return 4;
    return c == '\\' ? 2 : 1;
}

static size_t
logged_strlen(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++)
        n += logged_len((unsigned char)*s);
    return n;
}

int
cert_key_id_build(const char *prefix, const char *who, const char *suffix,
    char **idp)
{
    size_t fixed, budget, n = 0, used = 0, k, step;
    char *id;

    *idp = NULL;
    if (prefix == NULL || who == NULL || suffix == NULL)
        return MESHCA_ERR_CERT_KEY_ID;
    fixed = logged_strlen(prefix) + logged_strlen(suffix);
    if (fixed > CERT_KEY_ID_BUILT_MAX / 2)
        return MESHCA_ERR_CERT_KEY_ID;
    budget = CERT_KEY_ID_BUILT_MAX - fixed;
    /* Whole UTF-8 characters of who while they fit: a lead byte and the
     * continuation bytes (10xxxxxx) after it. */
    while (who[n] != '\0') {
        step = 1;
        while (((unsigned char)who[n + step] & 0xc0) == 0x80)
            step++;
        for (k = 0; k < step; k++)
            used += logged_len((unsigned char)who[n + k]);
        if (used > budget)
            break;
        n += step;
    }
    if ((id = malloc(strlen(prefix) + n + strlen(suffix) + 1)) == NULL)
        return MESHCA_ERR_ALLOC;
    memcpy(id, prefix, strlen(prefix));
    memcpy(id + strlen(prefix), who, n);
    strcpy(id + strlen(prefix) + n, suffix);
    *idp = id;
    return 0;
}
