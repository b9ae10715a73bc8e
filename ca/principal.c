/* Principal syntax, see meshca/principal.h. */
#include <string.h>

#include "meshca/principal.h"

int
principal_valid(const char *s)
{
    const unsigned char *p;
    size_t len;

    if (s == NULL || (len = strlen(s)) == 0 || len > PRINCIPAL_MAX_LEN)
        return 0;
    for (p = (const unsigned char *)s; *p != '\0'; p++) {
        /* Controls, space, DEL, comma and '#': see principal.h. */
        if (*p <= 0x20 || *p == 0x7f || *p == ',' || *p == '#')
            return 0;
    }
    return 1;
}
