/* Unit tests for api/metrics.c */
#include "../../../api/metrics.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meshca/buf.h"
#include "meshca/version.h"
#include "../../lib/unit.h"

/* What b holds, NUL-terminated (caller frees); frees b. */
static char *
buf_text(struct meshca_buf *b)
{
    char *s = NULL;

    ASSERT_OK(meshca_buf_take_cstring(&b, &s, NULL));
    return s;
}

/* The labelled counter's exposition, NUL-terminated (caller frees). */
static char *
render(const struct labelled *l)
{
    struct meshca_buf *b = meshca_buf_new(1 << 20);

    ASSERT(b != NULL);
    ASSERT_INT_EQ(metrics_write_labelled(b, l, "help"), 0);
    return buf_text(b);
}

/* Asserts that l's exposition holds the sample line. */
static void
expect_sample(const struct labelled *l, const char *line)
{
    char *s = render(l);

    if (strstr(s, line) == NULL)
        unit_fail(__FILE__, __LINE__, "no \"%s\" in:\n%s", line, s);
    free(s);
}

TEST(test_metrics_known_labels_start_at_zero)
{
    struct metrics m;

    metrics_init(&m);
    expect_sample(&m.denied, "meshca_denials_total{reason=\"policy\"} 0\n");
    expect_sample(&m.denied,
        "meshca_denials_total{reason=\"ledger_unavailable\"} 0\n");
    expect_sample(&m.reloads,
        "meshca_policy_reloads_total{result=\"refused\"} 0\n");
    expect_sample(&m.reloads, "meshca_policy_reloads_total{result=\"ok\"} 0\n");
    expect_sample(&m.responses,
        "meshca_http_responses_total{code=\"503\"} 0\n");
    metrics_free(&m);
}

TEST(test_metrics_zero_then_inc_counts_once)
{
    struct metrics m;
    char *s;

    metrics_init(&m);
    metrics_zero(&m.issued, "bench");
    metrics_zero(&m.issued, "bench"); /* again: still one slot, still 0 */
    s = render(&m.issued);
    ASSERT(strstr(s, "meshca_certificates_issued_total{role=\"bench\"} 0\n") !=
           NULL);
    ASSERT(strstr(strstr(s, "role=\"bench\"") + 1, "role=\"bench\"") == NULL);
    free(s);
    metrics_inc(&m.issued, "bench");
    metrics_inc(&m.denied, "policy");
    expect_sample(&m.issued,
        "meshca_certificates_issued_total{role=\"bench\"} 1\n");
    expect_sample(&m.denied, "meshca_denials_total{reason=\"policy\"} 1\n");
    metrics_free(&m);
}

TEST(test_metrics_write_values_help_type_and_sample)
{
    static const struct metric_value v[] = {
        { "meshca_x_total", "counter", "Things done.", 7 },
        { "meshca_y", "gauge", "Things waiting (-1: not known yet).", -1 },
    };
    static const char want[] = "# HELP meshca_x_total Things done.\n"
        "# TYPE meshca_x_total counter\nmeshca_x_total 7\n"
        "# HELP meshca_y Things waiting (-1: not known yet).\n"
        "# TYPE meshca_y gauge\nmeshca_y -1\n";
    struct meshca_buf *b = meshca_buf_new(1 << 20);
    char *s;

    ASSERT(b != NULL);
    ASSERT_OK(metrics_write_values(b, v, 2));
    s = buf_text(b);
    ASSERT_STR_EQ(s, want);
    free(s);
}

TEST(test_metrics_build_info_and_process)
{
    struct meshca_buf *b = meshca_buf_new(1 << 20);
    char *s, want[128];

    ASSERT(b != NULL);
    ASSERT_INT_EQ(metrics_write_build_info(b), 0);
    ASSERT_INT_EQ(metrics_write_process(b), 0);
    s = buf_text(b);
    snprintf(want, sizeof(want), "meshca_build_info{version=\"%s\"} 1\n",
        MESHCA_VERSION);
    ASSERT(strstr(s, want) != NULL);
    ASSERT(strstr(s, "\nprocess_cpu_seconds_total ") != NULL);
    ASSERT(strstr(s, "\nprocess_resident_memory_bytes ") != NULL);
    ASSERT(strstr(s, "\nprocess_open_fds ") != NULL);
    ASSERT(strstr(s, "\nprocess_max_fds ") != NULL);
    ASSERT(strstr(s, "\nprocess_start_time_seconds ") != NULL);
    ASSERT(strstr(s, " -") == NULL); /* no negative value anywhere */
    free(s);
}

UNIT_MAIN(T(test_metrics_known_labels_start_at_zero),
    T(test_metrics_zero_then_inc_counts_once),
    T(test_metrics_write_values_help_type_and_sample),
    T(test_metrics_build_info_and_process))
