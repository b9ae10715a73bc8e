/* Prometheus metrics, see metrics.h. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

/* Upper bounds in microseconds: 0.5ms .. 10s. */
static const uint64_t bucket_us[METRICS_BUCKETS] = { 500, 1000, 2000, 5000,
    10000, 20000, 50000, 100000, 200000, 500000, 1000000, 2000000, 5000000,
    10000000 };

static pthread_mutex_t claim_lock = PTHREAD_MUTEX_INITIALIZER;

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
}

void
metrics_inc(struct labelled *l, const char *value)
{
    size_t i, n = atomic_load(&l->n);

    for (i = 0; i < n; i++)
        if (strcmp(l->values[i], value) == 0) {
            atomic_fetch_add(&l->counts[i], 1);
            return;
        }
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
