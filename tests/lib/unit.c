/* The unit-test runner, see unit.h. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "meshca/err.h"
#include "unit.h"

static jmp_buf unit_jmp;
static char unit_msg[1024];
static char *unit_paths[64];
static size_t unit_npaths;
static char *unit_tmp;

void
unit_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    int n;

    n = snprintf(unit_msg, sizeof(unit_msg), "%s:%d: ", file, line);
    if (n < 0)
        n = 0;
    va_start(ap, fmt);
    vsnprintf(unit_msg + n, sizeof(unit_msg) - (size_t)n, fmt, ap);
    va_end(ap);
    longjmp(unit_jmp, 1);
}

void
unit_cleanup_path(const char *path)
{
    if (unit_npaths < sizeof(unit_paths) / sizeof(unit_paths[0]))
        unit_paths[unit_npaths++] = strdup(path);
}

const char *
unit_tmpdir(void)
{
    char tmpl[] = "/tmp/meshca-unit.XXXXXX";

    if (unit_tmp != NULL)
        return unit_tmp;
    if (mkdtemp(tmpl) == NULL)
        unit_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
    unit_tmp = strdup(tmpl);
    unit_cleanup_path(unit_tmp);
    return unit_tmp;
}

int
unit_sh(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    int st;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    fflush(stdout);
    fflush(stderr);
    st = system(cmd);
    if (st == -1 || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

char *
unit_read_file(const char *path, size_t *lenp)
{
    FILE *f;
    char *d;
    long sz;

    if ((f = fopen(path, "rb")) == NULL)
        unit_fail(__FILE__, __LINE__, "open %s: %s", path, strerror(errno));
    if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        unit_fail(__FILE__, __LINE__, "seek %s", path);
    }
    if ((d = malloc((size_t)sz + 1)) == NULL ||
        fread(d, 1, (size_t)sz, f) != (size_t)sz) {
        fclose(f);
        free(d);
        unit_fail(__FILE__, __LINE__, "read %s", path);
    }
    fclose(f);
    d[sz] = '\0';
    if (lenp != NULL)
        *lenp = (size_t)sz;
    return d;
}

void
unit_write_file(const char *path, const void *data, size_t len)
{
    FILE *f;

    if ((f = fopen(path, "wb")) == NULL)
        unit_fail(__FILE__, __LINE__, "open %s: %s", path, strerror(errno));
    if (fwrite(data, 1, len, f) != len || fclose(f) != 0)
        unit_fail(__FILE__, __LINE__, "write %s", path);
}

static void
run_cleanups(void)
{
    char cmd[4200];

    while (unit_npaths > 0) {
        char *p = unit_paths[--unit_npaths];

        if (p != NULL && strncmp(p, "/tmp/", 5) == 0 &&
            strchr(p, '\'') == NULL) {
            snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p);
            if (system(cmd) != 0)
                fprintf(stderr, "cleanup of %s failed\n", p);
        }
        free(p);
    }
    free(unit_tmp);
    unit_tmp = NULL;
}

static int
selected(const char *name, int argc, char **argv)
{
    int i;

    if (argc < 2)
        return 1;
    for (i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return 1;
    return 0;
}

int
unit_run(const struct unit_test *tests, size_t n, int argc, char **argv)
{
    volatile size_t passed = 0, failed = 0, i;

    setvbuf(stdout, NULL, _IOLBF, 0);
    for (i = 0; i < n; i++) {
        if (!selected(tests[i].name, argc, argv))
            continue;
        if (setjmp(unit_jmp) == 0) {
            tests[i].fn();
            printf("ok - %s\n", tests[i].name);
            passed++;
        } else {
            printf("not ok - %s: %s\n", tests[i].name, unit_msg);
            failed++;
        }
        run_cleanups();
    }
    printf("# %zu passed, %zu failed\n", (size_t)passed, (size_t)failed);
    return failed == 0 ? 0 : 1;
}

void
unit_run_threads(void *(*fn)(void *), void *args, size_t size, size_t n)
{
    pthread_t th[UNIT_THREADS_MAX];
    size_t i;

    ASSERT(n <= UNIT_THREADS_MAX);
    for (i = 0; i < n; i++)
        ASSERT_INT_EQ(pthread_create(&th[i], NULL, fn,
            (char *)args + i * size), 0);
    for (i = 0; i < n; i++)
        ASSERT_INT_EQ(pthread_join(th[i], NULL), 0);
}
