/*
 * Lower-case hexadecimal: digests, request ids, ETags.
 */
#ifndef MESHCA_HEX_H
#define MESHCA_HEX_H

#include <stddef.h>

/* Writes len bytes at data as lower-case hex into out (outlen bytes) and
 * NUL-terminates it; 2 * len + 1 bytes hold all of it, a shorter out gets
 * as many whole bytes as fit.  Returns out.  outlen must be at least 1. */
char *meshca_hex_encode(const void *data, size_t len, char *out,
    size_t outlen);

#endif
