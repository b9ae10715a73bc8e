/*
 * What the bench tools share: the clock they time with, how they give up,
 * how they read their --name VALUE options, and base64url for the tokens
 * they mint.  Linked into every tests/bench binary (Makefile BENCH_COMMON).
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

/* One "--name VALUE" option for bench_flags, and where its value goes. */
struct bench_flag {
    const char *name;       /* "--url" */
    char kind;              /* 's': const char *, 'l': long (atol), 'd':
                             * double (atof) */
    void *valp;             /* a const char **, long * or double * */
};

/* Reads argv[0..argc) as "--name VALUE" pairs of flags[0..n), storing each
 * value; anything else (an unknown word, a name without a value) dies with
 * usage. */
void bench_flags(int argc, char **argv, const struct bench_flag *flags,
    size_t n, const char *usage);

#endif
