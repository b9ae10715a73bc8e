/*
 * What the bench tools share: the clock they time with, how they give up,
 * and base64url for the tokens they mint.  Linked into every tests/bench
 * binary (Makefile BENCH_COMMON).
 */
#ifndef MESHCA_TESTS_BENCH_COMMON_H
#define MESHCA_TESTS_BENCH_COMMON_H

#include <stddef.h>

/* Seconds on the monotonic clock (meshca_mono_us), for intervals only. */
double bench_now_s(void);

/* Prints "PROGRAM: msg" to stderr and exits 1. */
__attribute__((noreturn)) void bench_die(const char *msg);

/* d as unpadded base64url in a new string (caller frees); dies on failure. */
char *bench_b64url(const void *d, size_t n);

#endif
