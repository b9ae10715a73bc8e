/*
 * Diagnostics: a list of messages a validator collects so that a person sees
 * every problem in a file at once ("policy.json: roles[2].max_ttl: 20h
 * exceeds the ceiling 1h").  Used by the config and policy loaders.
 */
#ifndef MESHCA_DIAG_H
#define MESHCA_DIAG_H

#include <stddef.h>

struct diags {
    char **msgs;
    size_t n;
};

/* Appends a formatted message.  Allocation failures are ignored (the caller
 * still sees n > 0 from an earlier message or MESHCA_ERR_ALLOC elsewhere). */
void diags_add(struct diags *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Frees the messages and resets d to empty.  Accepts an empty list. */
void diags_clear(struct diags *d);

#endif
