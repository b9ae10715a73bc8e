/* Unit tests for ca/spiffe.c and the policy's "hosts" (ca/policy_hosts.c). */
#include <stdlib.h>

#include "meshca/policy.h"
#include "meshca/spiffe.h"
#include "../../lib/unit.h"

TEST(test_spiffe_id_accepts_normal_ids)
{
    char why[160];

    ASSERT_INT_EQ(spiffe_id_check("spiffe://mesh.test/ns/a/sa/b", "mesh.test",
        why, sizeof(why)), 0);
    ASSERT_INT_EQ(spiffe_id_check("spiffe://mesh.test/x", NULL, why,
        sizeof(why)), 0);
}

TEST(test_spiffe_id_refuses_what_the_standard_refuses)
{
    static const char *const bad[] = { "spiffe://mesh.test",
        "spiffe://mesh.test/", "spiffe://mesh.test/a//b",
        "spiffe://mesh.test/a/", "spiffe://mesh.test/./a",
        "spiffe://mesh.test/a/..", "spiffe://Mesh.test/a",
        "spiffe://mesh.test:443/a", "spiffe://u@mesh.test/a",
        "spiffe://mesh.test/a?q", "spiffe://mesh.test/a#f",
        "SPIFFE://mesh.test/a", "https://mesh.test/a", "spiffe:///a",
        "spiffe://mesh.test/a b", "spiffe://mesh.test/%41", "" };
    char why[160];
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (spiffe_id_check(bad[i], NULL, why, sizeof(why)) == 0)
            unit_fail(__FILE__, __LINE__, "accepted %s", bad[i]);
    ASSERT(spiffe_id_check("spiffe://other.test/a", "mesh.test", why,
        sizeof(why)) != 0);
    ASSERT(spiffe_id_check("spiffe://mesh.test.evil/a", "mesh.test", why,
        sizeof(why)) != 0);
}

TEST(test_spiffe_star_is_exactly_one_segment)
{
    const char *p = "spiffe://mesh.test/ns/ci/sa/*";
    char why[160];

    ASSERT_INT_EQ(spiffe_pattern_check(p, why, sizeof(why)), 0);
    ASSERT(spiffe_match(p, "spiffe://mesh.test/ns/ci/sa/runner"));
    ASSERT(!spiffe_match(p, "spiffe://mesh.test/ns/ci/sa/runner/x"));
    ASSERT(!spiffe_match(p, "spiffe://mesh.test/ns/ci/sa"));
    ASSERT(!spiffe_match(p, "spiffe://mesh.test/ns/ci/sa/"));
    ASSERT(!spiffe_match(p, "spiffe://other.test/ns/ci/sa/runner"));
    ASSERT(spiffe_match("spiffe://mesh.test/ns/*/sa/api",
        "spiffe://mesh.test/ns/payments/sa/api"));
    ASSERT(!spiffe_match("spiffe://mesh.test/ns/*/sa/api",
        "spiffe://mesh.test/ns/a/b/sa/api"));
    ASSERT(spiffe_pattern_check("spiffe://mesh.test/ns/a*", why,
        sizeof(why)) != 0);
    ASSERT(spiffe_pattern_check("spiffe://*/ns/a", why, sizeof(why)) != 0);
    ASSERT(spiffe_pattern_check("spiffe://mesh.test/**", why,
        sizeof(why)) != 0);
}

TEST(test_spiffe_segments)
{
    const char *id = "spiffe://mesh.test/ns/payments/sa/api", *s;
    size_t n;

    ASSERT_INT_EQ(spiffe_segment(id, 0, &s, &n), 0);
    ASSERT(n == 2 && strncmp(s, "ns", 2) == 0);
    ASSERT_INT_EQ(spiffe_segment(id, 3, &s, &n), 0);
    ASSERT(n == 3 && strncmp(s, "api", 3) == 0);
    ASSERT(spiffe_segment(id, 4, &s, &n) != 0);
    ASSERT(strcmp(spiffe_path(id), "ns/payments/sa/api") == 0);
}

static struct policy *
load(const char *text)
{
    struct diags d = { 0 };
    struct policy *p = NULL;

    if (policy_load_buf(text, strlen(text), "p.json", 3600, &p, &d) != 0)
        unit_fail(__FILE__, __LINE__, "load: %s", d.n ? d.msgs[0] : "?");
    diags_clear(&d);
    return p;
}

TEST(test_policy_hosts_grant_filled_names)
{
    struct policy *p = load("{\"roles\": [], \"hosts\": [{\"match\": "
        "{\"spiffe_ids\": [\"spiffe://m.test/ns/*/sa/*\"]}, \"principals\": "
        "[\"{spiffe_segment[3]}.{spiffe_segment[1]}.svc\", \"static.test\", "
        "\"{spiffe_segment[9]}.x\"], \"max_ttl\": \"48h\"}]}");
    struct policy_host_decision *d = NULL;

    ASSERT_INT_EQ(policy_decide_host(p, "spiffe://m.test/ns/pay/sa/api", 0,
        &d), 0);
    ASSERT_INT_EQ((int)d->nprincipals, 2);
    ASSERT(strcmp(d->principals[0], "api.pay.svc") == 0);
    ASSERT(strcmp(d->principals[1], "static.test") == 0);
    ASSERT(d->ttl == 24 * 3600);
    policy_host_decision_free(d);
    ASSERT_INT_EQ(policy_decide_host(p, "spiffe://m.test/ns/pay/sa/api",
        100 * 3600, &d), 0);
    ASSERT(d->ttl == 48 * 3600);
    policy_host_decision_free(d);
    ASSERT_INT_EQ(policy_decide_host(p, "spiffe://m.test/other/x", 0, &d),
        MESHCA_ERR_POLICY_DENIED);
    ASSERT(d->nprincipals == 0 && strstr(d->denial, "no entry") != NULL);
    policy_host_decision_free(d);
    policy_unref(p);
}

TEST(test_policy_hosts_refuse_unsafe_values_and_ceilings)
{
    struct policy *p = load("{\"roles\": [], \"hosts\": [{\"match\": "
        "{\"spiffe_ids\": [\"spiffe://m.test/a/*\"]}, \"principals\": "
        "[\"{spiffe_path}.svc\", \"{spiffe_segment[5]}.svc\"], "
        "\"max_ttl\": \"10d\"}]}");
    struct policy_host_decision *d = NULL;
    struct diags dg = { 0 };
    json_t *pats;

    /* {spiffe_path} holds '/' and there is no segment 5: no host name. */
    ASSERT_INT_EQ(policy_decide_host(p, "spiffe://m.test/a/b", 0, &d),
        MESHCA_ERR_POLICY_DENIED);
    ASSERT(strstr(d->denial, "grants it no host name") != NULL);
    policy_host_decision_free(d);
    ASSERT_INT_EQ((int)policy_hosts_check_ceiling(p, 7 * 24 * 3600, &dg), 1);
    ASSERT(strstr(dg.msgs[0], "hosts[0].max_ttl: 10d exceeds") != NULL);
    diags_clear(&dg);
    pats = policy_host_patterns(p);
    ASSERT(json_array_size(pats) == 1);
    ASSERT(strcmp(json_string_value(json_array_get(pats, 0)), "*.svc") == 0);
    json_decref(pats);
    policy_unref(p);
}

/* ssh lowercases the name it connects to before comparing it with a host
 * certificate's principals: names are granted (and published) in lower
 * case, so "API" in a SPIFFE ID or the policy still makes a usable name. */
TEST(test_policy_hosts_grant_lower_case_names)
{
    struct policy *p = load("{\"roles\": [], \"hosts\": [{\"match\": "
        "{\"spiffe_ids\": [\"spiffe://m.test/ns/*/sa/*\"]}, \"principals\": "
        "[\"{spiffe_segment[3]}.Pay.SVC\", \"DB.Example.test\", "
        "\"db.example.test\"]}]}");
    struct policy_host_decision *d = NULL;
    json_t *pats;

    ASSERT_INT_EQ(policy_decide_host(p, "spiffe://m.test/ns/pay/sa/API", 0,
        &d), 0);
    ASSERT_INT_EQ((int)d->nprincipals, 2);
    ASSERT(strcmp(d->principals[0], "api.pay.svc") == 0);
    ASSERT(strcmp(d->principals[1], "db.example.test") == 0);
    policy_host_decision_free(d);
    pats = policy_host_patterns(p);
    ASSERT(json_array_size(pats) == 2);
    ASSERT(strcmp(json_string_value(json_array_get(pats, 0)),
        "*.pay.svc") == 0);
    json_decref(pats);
    policy_unref(p);
}

UNIT_MAIN(T(test_spiffe_id_accepts_normal_ids),
    T(test_spiffe_id_refuses_what_the_standard_refuses),
    T(test_spiffe_star_is_exactly_one_segment), T(test_spiffe_segments),
    T(test_policy_hosts_grant_filled_names),
    T(test_policy_hosts_refuse_unsafe_values_and_ceilings),
    T(test_policy_hosts_grant_lower_case_names))
