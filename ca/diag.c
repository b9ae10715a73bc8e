/* Diagnostic lists, see meshca/diag.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "meshca/diag.h"

void
diags_add(struct diags *d, const char *fmt, ...)
{
    va_list ap;
    char *m = NULL, **nm;

    va_start(ap, fmt);
    if (vasprintf(&m, fmt, ap) < 0)
        m = NULL;
    va_end(ap);
    if (m == NULL)
        return;
    if ((nm = realloc(d->msgs, (d->n + 1) * sizeof(*nm))) == NULL) {
        free(m);
        return;
    }
    d->msgs = nm;
    d->msgs[d->n++] = m;
}

void
diags_clear(struct diags *d)
{
    size_t i;

    for (i = 0; i < d->n; i++)
        free(d->msgs[i]);
    free(d->msgs);
    d->msgs = NULL;
    d->n = 0;
}
