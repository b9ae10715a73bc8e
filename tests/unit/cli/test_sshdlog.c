/* Unit tests for cli/sshdlog.c (sshd's certificate login lines, as meshca
 * host-report reads them) and cli/accessmap.c's host groups and SVG limits.
 * The log lines are the ones sshd 9.2 writes at LogLevel VERBOSE (seen in
 * tests/integration/test_host_report.sh's real sshd logs). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../../cli/report_usage.h"
#include "../../../cli/sshdlog.h"
#include "../../lib/unit.h"

#define ACCEPTED "Accepted publickey for app from 10.0.0.5 port 5123 ssh2: " \
    "ED25519-CERT SHA256:eUWdUMyuygqS+SCC6iDB6mVPXHtskKM5gMP2H+cZv1k ID " \
    "alice@example.com/payments-oncall/1f2e (serial 577450123) CA ED25519 " \
    "SHA256:QWptoguRnYKeoYwMPA6sU5c7OvOnFzYr/so0xJt/fbg"
#define FAILED(id, serial) "Failed publickey for app from 10.0.0.6 port 40000 " \
    "ssh2: ECDSA-CERT SHA256:abc ID " id " (serial " serial ") CA ED25519 " \
    "SHA256:QWptoguRnYKeoYwMPA6sU5c7OvOnFzYr/so0xJt/fbg"

static int
feed(struct sshd_parser *p, const char *line, struct sshd_login *l)
{
    return sshd_parse_line(p, line, strlen(line), 42000000, 2026, l);
}

TEST(test_sshdlog_reads_an_accepted_certificate_login)
{
    struct sshd_parser p;
    struct sshd_login l;

    memset(&p, 0, sizeof(p));
    ASSERT_INT_EQ(feed(&p, ACCEPTED, &l), 1);
    ASSERT_STR_EQ(l.result, "accepted");
    ASSERT_STR_EQ(l.account, "app");
    ASSERT_STR_EQ(l.address, "10.0.0.5");
    ASSERT_INT_EQ(l.port, 5123);
    ASSERT_STR_EQ(l.serial, "577450123");
    ASSERT_STR_EQ(l.key_id, "alice@example.com/payments-oncall/1f2e");
    ASSERT_STR_EQ(l.key_fingerprint,
        "SHA256:eUWdUMyuygqS+SCC6iDB6mVPXHtskKM5gMP2H+cZv1k");
    ASSERT_STR_EQ(l.ca_fingerprint,
        "SHA256:QWptoguRnYKeoYwMPA6sU5c7OvOnFzYr/so0xJt/fbg");
    ASSERT_INT_EQ(l.at_us, 42000000); /* no time on the line: the reader's */
}

TEST(test_sshdlog_names_the_refusal_from_the_line_before)
{
    static const struct { const char *why, *result; } cases[] = {
        { "Authentication key ED25519-CERT SHA256:abc revoked by file "
          "/etc/ssh/meshca.krl", "revoked" },
        { "Certificate does not contain an authorized principal",
          "wrong_principal" },
        { "Certificate invalid: expired", "expired" },
        { "Connection from 10.0.0.6 port 40000 on 10.0.0.1 port 22",
          "refused" },
    };
    struct sshd_parser p;
    struct sshd_login l;
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&p, 0, sizeof(p));
        ASSERT_INT_EQ(feed(&p, cases[i].why, &l), 0);
        ASSERT_INT_EQ(feed(&p, FAILED("bob/x/1", "7"), &l), 1);
        ASSERT_STR_EQ(l.result, cases[i].result);
        /* The reason is used once: the next refusal has its own. */
        ASSERT_INT_EQ(feed(&p, FAILED("bob/x/1", "7"), &l), 1);
        ASSERT_STR_EQ(l.result, "refused");
    }
}

TEST(test_sshdlog_keeps_reasons_per_sshd_process)
{
    struct sshd_parser p;
    struct sshd_login l;

    memset(&p, 0, sizeof(p));
    ASSERT_INT_EQ(feed(&p, "Nov 30 14:00:01 web-1 sshd[100]: Certificate "
        "invalid: expired", &l), 0);
    ASSERT_INT_EQ(feed(&p, "Nov 30 14:00:01 web-1 sshd[200]: " FAILED(
        "carol/y/2", "9"), &l), 1);
    ASSERT_STR_EQ(l.result, "refused");
    ASSERT_INT_EQ(feed(&p, "Nov 30 14:00:02 web-1 sshd[100]: " FAILED(
        "dave/y/3", "10"), &l), 1);
    ASSERT_STR_EQ(l.result, "expired");
    /* 2026-11-30T14:00:02Z, the syslog prefix's time in UTC */
    ASSERT_INT_EQ(l.at_us, 1796047202LL * 1000000);
}

TEST(test_sshdlog_reads_rfc3339_prefixes_and_odd_key_ids)
{
    struct sshd_parser p;
    struct sshd_login l;

    memset(&p, 0, sizeof(p));
    ASSERT_INT_EQ(feed(&p, "2026-11-30T15:00:02.250000+01:00 web-1 "
        "sshd[7]: " FAILED("a (serial 1) odd id", "12"), &l), 1);
    ASSERT_STR_EQ(l.key_id, "a (serial 1) odd id");
    ASSERT_STR_EQ(l.serial, "12");
    ASSERT_INT_EQ(l.at_us, 1796047202LL * 1000000 + 250000);
}

TEST(test_sshdlog_ignores_plain_keys_and_other_lines)
{
    static const char *const lines[] = {
        "Accepted publickey for app from 10.0.0.5 port 5123 ssh2: ED25519 "
        "SHA256:eUWdUMyuygqS+SCC6iDB6mVPXHtskKM5gMP2H+cZv1k",
        "Accepted password for app from 10.0.0.5 port 5123 ssh2",
        "Accepted publickey for app from 10.0.0.5 port x ssh2: ED25519-CERT "
        "SHA256:a ID k (serial 1) CA ED25519 SHA256:b",
        "Accepted publickey for app from 10.0.0.5 port 1 ssh2: ED25519-CERT "
        "SHA256:a ID k (serial 1x) CA ED25519 SHA256:b",
        "Accepted publickey for app from 10.0.0.5 port 1 ssh2: ED25519-CERT "
        "SHA256:a ID k (serial 1) CA",
        "",
        "Server listening on 0.0.0.0 port 22.",
    };
    struct sshd_parser p;
    struct sshd_login l;
    size_t i;

    memset(&p, 0, sizeof(p));
    for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        ASSERT_INT_EQ(feed(&p, lines[i], &l), 0);
}

TEST(test_sshdlog_reads_journal_entries)
{
    const char *j = "{\"__CURSOR\":\"s=abc;i=12\",\"__REALTIME_TIMESTAMP\":"
        "\"1796047202250000\",\"_PID\":\"77\",\"MESSAGE\":\"" ACCEPTED "\"}";
    struct sshd_parser p;
    struct sshd_login l;
    char cursor[64];

    memset(&p, 0, sizeof(p));
    ASSERT_INT_EQ(sshd_parse_journal(&p, j, strlen(j), &l, cursor,
        sizeof(cursor)), 1);
    ASSERT_STR_EQ(cursor, "s=abc;i=12");
    ASSERT_INT_EQ(l.at_us, 1796047202250000LL);
    ASSERT_STR_EQ(l.serial, "577450123");
    ASSERT_INT_EQ(sshd_parse_journal(&p, "[1]", 3, &l, cursor,
        sizeof(cursor)), -1);
    j = "{\"MESSAGE\":\"hi\",\"__REALTIME_TIMESTAMP\":\"1\"}";
    ASSERT_INT_EQ(sshd_parse_journal(&p, j, strlen(j), &l, cursor,
        sizeof(cursor)), 0);
}

TEST(test_accessmap_groups_hosts_by_name_without_number)
{
    char g[64];

    accessmap_host_group("payments-api-17", g, sizeof(g));
    ASSERT_STR_EQ(g, "payments-api");
    accessmap_host_group("db03.example", g, sizeof(g));
    ASSERT_STR_EQ(g, "db03.example");
    accessmap_host_group("web_2", g, sizeof(g));
    ASSERT_STR_EQ(g, "web");
    accessmap_host_group("1234", g, sizeof(g));
    ASSERT_STR_EQ(g, "1234");
    accessmap_host_group("abcdefgh-1", g, 4);
    ASSERT_STR_EQ(g, "abc");
}

static size_t
count_of(const char *hay, const char *needle)
{
    size_t n = 0;

    while ((hay = strstr(hay, needle)) != NULL) {
        n++;
        hay += strlen(needle);
    }
    return n;
}

TEST(test_accessmap_aggregates_large_maps)
{
    json_t *map = json_pack("{s:[], s:[], s:[]}", "groups_roles",
        "roles_principals", "principals_hosts");
    char name[32], host[80], *svg = NULL;
    size_t len, r, h;

    for (r = 0; r < 60; r++) {
        snprintf(name, sizeof(name), "role-%02zu", r);
        json_array_append_new(json_object_get(map, "groups_roles"),
            json_pack("{s:s, s:s, s:i, s:i}", "group", "example.com", "role",
            name, "people", 3, "logins", (int)r));
        json_array_append_new(json_object_get(map, "roles_principals"),
            json_pack("{s:s, s:s, s:b, s:i}", "role", name, "principal",
            name, "granted", 1, "logins", r % 4 ? (int)r : 0));
        for (h = 0; h < 10; h++) {
            snprintf(host, sizeof(host), "%s-host-%zu", name, h);
            json_array_append_new(json_object_get(map, "principals_hosts"),
                json_pack("{s:s, s:s, s:i}", "principal", name, "host", host,
                "logins", 1));
        }
    }
    ASSERT_INT_EQ(report_access_map_svg(map, &svg, &len), 0);
    /* At most ACCESSMAP_NODES_MAX nodes a column, each column's extra
     * nodes folded into one "N more". */
    ASSERT(count_of(svg, "<rect") <= 4 * ACCESSMAP_NODES_MAX);
    ASSERT(count_of(svg, "<path") <= 3 * (ACCESSMAP_EDGES_MAX +
        ACCESSMAP_NODES_MAX));
    ASSERT(strstr(svg, "37 more") != NULL);          /* 60 roles - 23 */
    ASSERT(strstr(svg, "role-59-host (10 hosts)") != NULL);
    ASSERT(strstr(svg, "stroke-dasharray") != NULL); /* unused grants */
    free(svg);
    json_decref(map);
}

TEST(test_accessmap_escapes_names)
{
    json_t *map = json_pack("{s:[{s:s, s:s, s:i, s:i}]}", "groups_roles",
        "group", "<script>", "role", "a&b", "people", 1, "logins", 1);
    char *svg = NULL;
    size_t len;

    ASSERT_INT_EQ(report_access_map_svg(map, &svg, &len), 0);
    ASSERT(strstr(svg, "<script>") == NULL);
    ASSERT(strstr(svg, "&lt;script&gt;") != NULL);
    ASSERT(strstr(svg, "a&amp;b") != NULL);
    free(svg);
    json_decref(map);
}

UNIT_MAIN(T(test_sshdlog_reads_an_accepted_certificate_login),
    T(test_sshdlog_names_the_refusal_from_the_line_before),
    T(test_sshdlog_keeps_reasons_per_sshd_process),
    T(test_sshdlog_reads_rfc3339_prefixes_and_odd_key_ids),
    T(test_sshdlog_ignores_plain_keys_and_other_lines),
    T(test_sshdlog_reads_journal_entries),
    T(test_accessmap_groups_hosts_by_name_without_number),
    T(test_accessmap_aggregates_large_maps),
    T(test_accessmap_escapes_names))
