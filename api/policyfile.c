/* Reading the policy file.  See policyfile.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policyfile.h"

int
policyfile_load(const char *path, int64_t ttl_ceiling, struct policy **pp,
    struct diags *d)
{
    FILE *f = NULL;
    char *data = NULL, *tmp;
    size_t len = 0, cap = 0, n;
    int r = MESHCA_ERR_INVALID_ARGUMENT;

    if (pp == NULL || d == NULL || path == NULL)
        return r;
    *pp = NULL;
    r = MESHCA_ERR_POLICY_INVALID;
    if ((f = fopen(path, "rb")) == NULL) {
        diags_add(d, "%s: cannot open: %s", path, strerror(errno));
        goto out;
    }
    /* Read to the end (works for pipes too), refusing oversized files. */
    for (;;) {
        if (len == cap) {
            if (cap > POLICYFILE_MAX)
                break;
            cap = cap == 0 ? 64 * 1024 : cap * 2;
            if (cap > POLICYFILE_MAX + 1)
                cap = POLICYFILE_MAX + 1;
            if ((tmp = realloc(data, cap + 1)) == NULL) {
                r = MESHCA_ERR_ALLOC;
                goto out;
            }
            data = tmp;
        }
        if ((n = fread(data + len, 1, cap - len, f)) == 0)
            break;
        len += n;
    }
    if (ferror(f)) {
        diags_add(d, "%s: cannot read: %s", path, strerror(errno));
        goto out;
    }
    if (len > POLICYFILE_MAX) {
        diags_add(d, "%s: larger than %d MiB", path,
            POLICYFILE_MAX / (1024 * 1024));
        goto out;
    }
    r = policy_load_buf(data, len, path, ttl_ceiling, pp, d);
out:
    if (f != NULL)
        fclose(f);
    free(data);
    return r;
}
