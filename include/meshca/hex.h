/*
 * Hexadecimal: lower-case out (digests, request ids, ETags), either case in
 * (token digests, percent-escapes).
 */
#ifndef MESHCA_HEX_H
#define MESHCA_HEX_H

#include <stddef.h>
#include <stdint.h>

#include "meshca/err.h"

/* Writes len bytes at data as lower-case hex into out (outlen bytes) and
 * NUL-terminates it; 2 * len + 1 bytes hold all of it, a shorter out gets
 * as many whole bytes as fit.  Returns out.  outlen must be at least 1. */
char *meshca_hex_encode(const void *data, size_t len, char *out,
    size_t outlen);

/* The value of the hex digit c, either case: 0 to 15, or -1 when c is no
 * hex digit. */
int meshca_hex_digit(char c) MESHCA_WUR;

/* Decodes the 2 * n hex digits (either case) at s into the n bytes at out;
 * s must hold at least that many characters (a NUL among them stops it).
 * Returns 0, or MESHCA_ERR_INVALID_FORMAT when one is no hex digit (out may
 * then hold some bytes). */
int meshca_hex_decode(const char *s, uint8_t *out, size_t n) MESHCA_WUR;

#endif
