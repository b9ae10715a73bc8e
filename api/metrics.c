/* Prometheus metrics, see metrics.h. */
#include <dirent.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "meshca/version.h"

#include "metrics.h"

/* Upper bounds in microseconds: 0.5ms .. 10s. */
static const uint64_t bucket_us[METRICS_BUCKETS] = { 500, 1000, 2000, 5000,
    10000, 20000, 50000, 100000, 200000, 500000, 1000000, 2000000, 5000000,
    10000000 };

static pthread_mutex_t claim_lock = PTHREAD_MUTEX_INITIALIZER;

static void metrics_init_labels(struct metrics *m);

void
metrics_init(struct metrics *m)
{
    memset(m, 0, sizeof(*m));
    m->issued.name = "meshca_certificates_issued_total";
    m->issued.label = "role";
    m->denied.name = "meshca_denials_total";
    m->denied.label = "reason";
    m->responses.name = "meshca_http_responses_total";
    m->responses.label = "code";
    m->reloads.name = "meshca_policy_reloads_total";
    m->reloads.label = "result";
    m->ca_reloads.name = "meshca_ca_key_reloads_total";
    m->ca_reloads.label = "result";
    m->logins.name = "meshca_logins_recorded_total";
    m->logins.label = "result";
    m->anomalies.name = "meshca_login_anomalies_total";
    m->anomalies.label = "rule";
    metrics_init_labels(m);
}

static void
labelled_free(struct labelled *l)
{
    size_t i;

    for (i = 0; i < METRICS_LABEL_SLOTS; i++)
        free(l->values[i]);
}

void
metrics_free(struct metrics *m)
{
    labelled_free(&m->issued);
    labelled_free(&m->denied);
    labelled_free(&m->responses);
    labelled_free(&m->reloads);
    labelled_free(&m->ca_reloads);
    labelled_free(&m->logins);
    labelled_free(&m->anomalies);
}

/* The slot for value, claimed on first use; METRICS_LABEL_SLOTS when none
 * can be had (allocation failed). */
static size_t
claim_slot(struct labelled *l, const char *value)
{
    size_t i, n = atomic_load(&l->n);

    for (i = 0; i < n; i++)
        if (strcmp(l->values[i], value) == 0)
            return i;
    pthread_mutex_lock(&claim_lock);
    n = atomic_load(&l->n);
    for (i = 0; i < n; i++)
        if (strcmp(l->values[i], value) == 0)
            break;
    if (i == n) {
        if (n < METRICS_LABEL_SLOTS - 1) {
            l->values[n] = strdup(value);
        } else if (n == METRICS_LABEL_SLOTS - 1) {
            l->values[n] = strdup("other");
        } else
            i = METRICS_LABEL_SLOTS - 1;
        if (i == n && l->values[n] != NULL)
            atomic_store(&l->n, n + 1);
        else if (i == n)
            i = METRICS_LABEL_SLOTS; /* allocation failed: drop */
    }
    pthread_mutex_unlock(&claim_lock);
    return i;
}

void
metrics_inc(struct labelled *l, const char *value)
{
    size_t i = claim_slot(l, value);

    if (i < METRICS_LABEL_SLOTS)
        atomic_fetch_add(&l->counts[i], 1);
}

void
metrics_observe(struct histogram *h, uint64_t micros)
{
    size_t i;

    for (i = 0; i < METRICS_BUCKETS; i++)
        if (micros <= bucket_us[i]) {
            atomic_fetch_add(&h->buckets[i], 1);
            break;
        }
    atomic_fetch_add(&h->count, 1);
    atomic_fetch_add(&h->sum_us, micros);
}

int
metrics_printf(struct meshca_buf *out, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(line))
        return MESHCA_ERR_INVALID_ARGUMENT;
    return meshca_buf_put(out, line, (size_t)n);
}

/* Label values are escaped as the exposition format requires. */
static void
escape_label(const char *in, char *out, size_t outlen)
{
    size_t o = 0;

    for (; *in != '\0' && o + 3 < outlen; in++) {
        if (*in == '\\' || *in == '"') {
            out[o++] = '\\';
            out[o++] = *in;
        } else if (*in == '\n') {
            out[o++] = '\\';
            out[o++] = 'n';
        } else
            out[o++] = *in;
    }
    out[o] = '\0';
}

int
metrics_write_values(struct meshca_buf *out, const struct metric_value *v,
    size_t n)
{
    size_t i;
    int r;

    for (i = 0; i < n; i++)
        if ((r = metrics_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %lld\n",
            v[i].name, v[i].help, v[i].name, v[i].type, v[i].name,
            v[i].value)) != 0)
            return r;
    return 0;
}

int
metrics_write_labelled(struct meshca_buf *out, const struct labelled *l,
    const char *help)
{
    char esc[300];
    size_t i, n = atomic_load(&l->n);
    int r;

    if ((r = metrics_printf(out, "# HELP %s %s\n# TYPE %s counter\n",
        l->name, help, l->name)) != 0)
        return r;
    for (i = 0; i < n; i++) {
        escape_label(l->values[i], esc, sizeof(esc));
        if ((r = metrics_printf(out, "%s{%s=\"%s\"} %llu\n", l->name,
            l->label, esc,
            (unsigned long long)atomic_load(&l->counts[i]))) != 0)
            return r;
    }
    return 0;
}

int
metrics_write_histogram(struct meshca_buf *out, const char *name, const char *help,
    const struct histogram *h)
{
    uint64_t cum = 0;
    size_t i;
    int r;

    if ((r = metrics_printf(out, "# HELP %s %s\n# TYPE %s histogram\n", name,
        help, name)) != 0)
        return r;
    for (i = 0; i < METRICS_BUCKETS; i++) {
        cum += atomic_load(&h->buckets[i]);
        if ((r = metrics_printf(out, "%s_bucket{le=\"%g\"} %llu\n", name,
            (double)bucket_us[i] / 1e6, (unsigned long long)cum)) != 0)
            return r;
    }
    if ((r = metrics_printf(out, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n"
        "%s_count %llu\n", name, (unsigned long long)atomic_load(&h->count),
        name, (double)atomic_load(&h->sum_us) / 1e6, name,
        (unsigned long long)atomic_load(&h->count))) != 0)
        return r;
    return 0;
}

/* --- Operator metrics (issue #20): labelled counters start at 0, the
 * build, and the standard process_* metrics. --- */

void
metrics_zero(struct labelled *l, const char *value)
{
    (void)claim_slot(l, value);
}

/* Every label value the code can count is exported from the start, so
 * rate() and absent-series alerts see a 0 rather than nothing. */
static void
metrics_init_labels(struct metrics *m)
{
    static const char *const reasons[] = { "invalid_request",
        "invalid_token", "idp_unavailable", "invalid_key", "key_binding",
        "policy", "rate_limited", "replay", "revoked",
        "revocations_unavailable", "ledger_unavailable",
        "denial_unrecorded", "ca_unavailable",
        "invalid_svid" /* mesh identity (issue #16) */ };
    static const char *const codes[] = { "200", "304", "400", "401", "403",
        "404", "405", "409", "413", "429", "500", "503",
        "201", "202", "410" /* issuance; access requests (#17) */ };
    size_t i;

    for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
        metrics_zero(&m->denied, reasons[i]);
    for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        metrics_zero(&m->responses, codes[i]);
    metrics_zero(&m->reloads, "ok");
    metrics_zero(&m->reloads, "refused");
    metrics_zero(&m->ca_reloads, "ok");
    metrics_zero(&m->ca_reloads, "refused");
    {
        static const char *const results[] = { "accepted", "revoked",
            "wrong_principal", "expired", "refused" };
        static const char *const rules[] = METRICS_LOGIN_RULES;

        for (i = 0; i < sizeof(results) / sizeof(results[0]); i++)
            metrics_zero(&m->logins, results[i]);
        for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
            metrics_zero(&m->anomalies, rules[i]);
    }
}

int
metrics_write_build_info(struct meshca_buf *out)
{
    return metrics_printf(out, "# HELP meshca_build_info The running "
        "meshcad's version (always 1).\n# TYPE meshca_build_info gauge\n"
        "meshca_build_info{version=\"%s\"} 1\n", MESHCA_VERSION);
}

/* Open descriptors: the entries of /proc/self/fd (less the one reading it). */
static long
count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    long n = 0;

    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n > 0 ? n - 1 : 0;
}

/* Seconds since boot now (CLOCK_BOOTTIME, the clock /proc/self/stat's
 * starttime counts on), or -1.  Not /proc/stat's btime: systemd's
 * ProcSubset=pid hides it. */
static double
since_boot(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_BOOTTIME, &ts) != 0)
        return -1;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Fields 14, 15 (utime, stime), 22 (starttime), 23 (vsize), 24 (rss) of
 * /proc/self/stat, read after the command name's closing parenthesis. */
static int
read_stat(unsigned long long *ticks, unsigned long long *start,
    unsigned long long *vsize, long long *rss)
{
    char buf[1024], *p;
    unsigned long long ut, st;
    size_t n;
    FILE *f = fopen("/proc/self/stat", "re");

    if (f == NULL)
        return -1;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    if ((p = strrchr(buf, ')')) == NULL ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu "
        "%*d %*d %*d %*d %*d %*d %llu %llu %lld", &ut, &st, start, vsize,
        rss) != 5)
        return -1;
    *ticks = ut + st;
    return 0;
}

int
metrics_write_process(struct meshca_buf *out)
{
    unsigned long long ticks, start, vsize;
    long long rss;
    double up = since_boot();
    long hz = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
    long fds = count_fds();
    struct rlimit rl;

    /* Without /proc the process metrics are left out, never faked. */
    if (read_stat(&ticks, &start, &vsize, &rss) != 0 || hz <= 0 ||
        page <= 0 || up < 0 || fds < 0 || getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 0;
    return metrics_printf(out,
        "# HELP process_cpu_seconds_total Total user and system CPU time "
        "spent in seconds.\n# TYPE process_cpu_seconds_total counter\n"
        "process_cpu_seconds_total %.2f\n"
        "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
        "# TYPE process_resident_memory_bytes gauge\n"
        "process_resident_memory_bytes %lld\n"
        "# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n"
        "# TYPE process_virtual_memory_bytes gauge\n"
        "process_virtual_memory_bytes %llu\n"
        "# HELP process_open_fds Number of open file descriptors.\n"
        "# TYPE process_open_fds gauge\nprocess_open_fds %ld\n"
        "# HELP process_max_fds Maximum number of open file descriptors.\n"
        "# TYPE process_max_fds gauge\nprocess_max_fds %llu\n"
        "# HELP process_start_time_seconds Start time of the process since "
        "unix epoch in seconds.\n# TYPE process_start_time_seconds gauge\n"
        "process_start_time_seconds %.2f\n",
        (double)ticks / (double)hz, rss * page, vsize, fds,
        (unsigned long long)rl.rlim_cur,
        (double)time(NULL) - up + (double)start / (double)hz);
}
