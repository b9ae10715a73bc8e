/*
 * A small unit-test runner.  A test file defines static void functions with
 * TEST(name), lists them in UNIT_MAIN(T(a), T(b), ...), and asserts with the
 * macros below.  A failed assertion ends that test (longjmp) and the runner
 * goes on with the next.  Output, one line per test:
 *   ok - test_name
 *   not ok - test_name: file:line: what failed
 * and a last line "# N passed, N failed".  Exit status 1 if any failed.
 * Tests named on the command line run alone: ./test_buf test_buf_limits
 */
#ifndef MESHCA_TESTS_UNIT_H
#define MESHCA_TESTS_UNIT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct unit_test {
    const char *name;
    void (*fn)(void);
};

#define TEST(name) static void name(void)
#define T(fn) { #fn, fn }
#define UNIT_MAIN(...)                                                         \
    int main(int argc, char **argv)                                            \
    {                                                                          \
        static const struct unit_test unit_tests_[] = { __VA_ARGS__ };         \
        return unit_run(unit_tests_,                                           \
            sizeof(unit_tests_) / sizeof(unit_tests_[0]), argc, argv);         \
    }

int unit_run(const struct unit_test *tests, size_t n, int argc, char **argv);

/* Records a failure and ends the current test.  Never returns. */
__attribute__((noreturn, format(printf, 3, 4))) void unit_fail(
    const char *file, int line, const char *fmt, ...);

/* Registers a path removed (recursively) after the current test ends. */
void unit_cleanup_path(const char *path);

/* A fresh private temp directory for the current test, removed after it.
 * The returned string lives until the test ends. */
const char *unit_tmpdir(void);

/* Runs a shell command; returns its exit status (or -1).  Output goes to the
 * test's log (stderr). */
int unit_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reads a whole file into a new NUL-terminated buffer; fails the test on
 * error.  Caller frees. */
char *unit_read_file(const char *path, size_t *lenp);
void unit_write_file(const char *path, const void *data, size_t len);

/* Starts fn in n threads at once (n at most UNIT_THREADS_MAX), thread i
 * getting the i-th of the n size-byte elements of args, and waits for all
 * of them; fails the test if a thread cannot be started or joined. */
#define UNIT_THREADS_MAX 16
void unit_run_threads(void *(*fn)(void *), void *args, size_t size,
    size_t n);

#define ASSERT(cond)                                                           \
    do {                                                                       \
        if (!(cond))                                                           \
            unit_fail(__FILE__, __LINE__, "assertion failed: %s", #cond);      \
    } while (0)
#define ASSERT_INT_EQ(a, b)                                                    \
    do {                                                                       \
        long long a_ = (long long)(a), b_ = (long long)(b);                    \
        if (a_ != b_)                                                          \
            unit_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld",   \
                #a, a_, #b, b_);                                               \
    } while (0)
#define ASSERT_U64_EQ(a, b)                                                    \
    do {                                                                       \
        unsigned long long a_ = (a), b_ = (b);                                 \
        if (a_ != b_)                                                          \
            unit_fail(__FILE__, __LINE__, "%s == %llu, expected %llu", #a, a_, \
                b_);                                                           \
    } while (0)
#define ASSERT_STR_EQ(a, b)                                                    \
    do {                                                                       \
        const char *a_ = (a), *b_ = (b);                                       \
        if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0)                   \
            unit_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a, \
                a_ ? a_ : "(null)", b_ ? b_ : "(null)");                       \
    } while (0)
#define ASSERT_MEM_EQ(a, b, len)                                               \
    do {                                                                       \
        if (memcmp((a), (b), (len)) != 0)                                      \
            unit_fail(__FILE__, __LINE__, "%s differs from %s", #a, #b);       \
    } while (0)
/* Asserts that an expression returning a meshca error code equals want. */
#define ASSERT_ERR(expr, want)                                                 \
    do {                                                                       \
        int r_ = (expr);                                                       \
        if (r_ != (want))                                                      \
            unit_fail(__FILE__, __LINE__, "%s returned %d (%s), expected %d",  \
                #expr, r_, meshca_strerror(r_), (int)(want));                  \
    } while (0)
#define ASSERT_OK(expr) ASSERT_ERR(expr, 0)

#endif
