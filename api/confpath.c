/* Paths relative to the configuration file.  See confpath.h. */
#include <stdio.h>
#include <stdlib.h>

#include "confpath.h"

void
confpath_resolve(char **pathp, const char *dir, struct diags *d)
{
    char *p;

    if (*pathp == NULL || (*pathp)[0] == '/' || dir == NULL)
        return;
    if (asprintf(&p, "%s/%s", dir, *pathp) < 0) {
        diags_add(d, "out of memory");
        return;
    }
    free(*pathp);
    *pathp = p;
}
