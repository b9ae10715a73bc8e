/* Helpers the bench tools share, see common.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meshca/buf.h"
#include "meshca/clock.h"
#include "common.h"

double
bench_now_s(void)
{
    return (double)meshca_mono_us() / 1e6;
}

void
bench_die(const char *msg)
{
    /* The binary's own name: bench_identity, ceiling, loadgen, ... */
    fprintf(stderr, "%s: %s\n", program_invocation_short_name, msg);
    exit(1);
}

char *
bench_b64url(const void *d, size_t n)
{
    char *s = NULL;

    if (meshca_b64_encode(d, n, 1, &s) != 0)
        bench_die("base64");
    return s;
}

void
bench_flags(int argc, char **argv, const struct bench_flag *flags, size_t n,
    const char *usage)
{
    const struct bench_flag *f;
    size_t k;
    int i;

    for (i = 0; i < argc; i++) {
        for (k = 0, f = NULL; k < n && f == NULL; k++)
            if (strcmp(argv[i], flags[k].name) == 0 && i + 1 < argc)
                f = &flags[k];
        if (f == NULL)
            bench_die(usage);
        i++;
        if (f->kind == 'l')
            *(long *)f->valp = atol(argv[i]);
        else if (f->kind == 'd')
            *(double *)f->valp = atof(argv[i]);
        else
            *(const char **)f->valp = argv[i];
    }
}
