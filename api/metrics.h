/*
 * Prometheus metrics for meshcad.  Counters and histograms are lock-free
 * atomics; labelled counters use a small fixed table whose slots are claimed
 * once under a mutex and then incremented atomically, so the hot path takes
 * no lock after a label's first use.
 */
#ifndef MESHCAD_METRICS_H
#define MESHCAD_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "meshca/buf.h"

#define METRICS_BUCKETS 14
#define METRICS_LABEL_SLOTS 64

struct histogram {
    _Atomic uint64_t buckets[METRICS_BUCKETS]; /* cumulative at export */
    _Atomic uint64_t count;
    _Atomic uint64_t sum_us;
};

struct labelled {
    const char *name;           /* metric name */
    const char *label;          /* label key */
    char *values[METRICS_LABEL_SLOTS];
    _Atomic uint64_t counts[METRICS_LABEL_SLOTS];
    _Atomic size_t n;
};

struct metrics {
    struct labelled issued;      /* meshca_certificates_issued_total{role} */
    struct labelled denied;      /* meshca_denials_total{reason} */
    struct labelled responses;   /* meshca_http_responses_total{code} */
    struct labelled reloads;     /* meshca_policy_reloads_total{result} */
    struct labelled ca_reloads;  /* meshca_ca_key_reloads_total{result} */
    struct histogram request;    /* meshca_http_request_duration_seconds */
    struct histogram issuance;   /* meshca_issuance_duration_seconds */
    _Atomic int64_t in_flight;   /* meshca_http_requests_in_flight */
    _Atomic uint64_t shed;       /* meshca_requests_shed_total: over queue_budget */
    /* issue #18: hosts' logins */
    struct labelled logins;      /* meshca_logins_recorded_total{result} */
    struct labelled anomalies;   /* meshca_login_anomalies_total{rule} */
};

/* The rules meshcad flags as logins arrive (usage.c), counted in
 * meshca_login_anomalies_total. */
#define METRICS_LOGIN_RULES { "unknown_serial", "unknown_ca", \
    "use_after_revocation", "first_access", "new_source", "break_glass" }

/* Initialises m (all zero, names set). */
void metrics_init(struct metrics *m);
/* Frees label strings. */
void metrics_free(struct metrics *m);

/* Adds one to the counter for value (first use claims a slot; beyond
 * METRICS_LABEL_SLOTS values the rest count under "other"). */
void metrics_inc(struct labelled *l, const char *value);
void metrics_observe(struct histogram *h, uint64_t micros);

/* Appends the text exposition of l / h to out. */
int metrics_write_labelled(struct meshca_buf *out, const struct labelled *l,
    const char *help) MESHCA_WUR;
int metrics_write_histogram(struct meshca_buf *out, const char *name,
    const char *help, const struct histogram *h) MESHCA_WUR;
/* One metric without labels: "# HELP name help", "# TYPE name type" and
 * "name value" lines. */
struct metric_value {
    const char *name;
    const char *type;       /* "counter" or "gauge" */
    const char *help;
    long long value;
};
/* Appends the exposition of v[0..n) to out, in that order.  Returns 0 or
 * the first error of metrics_printf. */
int metrics_write_values(struct meshca_buf *out, const struct metric_value *v,
    size_t n) MESHCA_WUR;
/* Appends one formatted line. */
int metrics_printf(struct meshca_buf *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3))) MESHCA_WUR;

/* --- Operator metrics (issue #20) --- */

/* Exports value with a count of 0 (claims its slot without counting). */
void metrics_zero(struct labelled *l, const char *value);
/* meshca_build_info{version} 1. */
int metrics_write_build_info(struct meshca_buf *out) MESHCA_WUR;
/* The standard process_* metrics (CPU, memory, descriptors, start time)
 * from /proc; nothing (and 0) when /proc cannot be read. */
int metrics_write_process(struct meshca_buf *out) MESHCA_WUR;

#endif
