/*
 * bench_policy: policy decisions per second on one thread (policy_decide, the
 * issuance hot path) and explanations per second (policy_explain), against a
 * policy of the example's shape padded with non-matching roles, so the
 * figures include scanning roles that do not apply.  Prints figures only;
 * asserts nothing about speed.
 *   bench_policy [SECONDS] [EXTRA_ROLES]   defaults 2 and 20
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meshca/policy.h"
#include "common.h"

static char *
make_policy(int extra)
{
    size_t cap = 4096 + (size_t)extra * 256, o = 0;
    char *s = malloc(cap);
    int i;

    if (s == NULL)
        return NULL;
    o += (size_t)snprintf(s + o, cap - o, "{ \"admins\": { \"groups\": "
        "[\"meshca-admins\"] }, \"roles\": [");
    for (i = 0; i < extra; i++)
        o += (size_t)snprintf(s + o, cap - o, "{ \"name\": \"team-%d\", "
            "\"match\": { \"groups\": [\"team-%d\", \"team-%d-oncall\"] }, "
            "\"principals\": [\"team%d/api\", \"team%d/worker\"] },", i, i,
            i, i, i);
    o += (size_t)snprintf(s + o, cap - o, "{ \"name\": \"payments-oncall\", "
        "\"match\": { \"issuer\": \"https://idp.example.com\", \"groups\": "
        "[\"payments-oncall\"] }, \"principals\": [\"payments/api\", "
        "\"payments/worker\"], \"default_ttl\": \"5m\", \"max_ttl\": \"15m\", "
        "\"critical_options\": { \"source-address\": \"10.0.0.0/8\" } },"
        "{ \"name\": \"personal\", \"match\": { \"email_domains\": "
        "[\"example.com\"] }, \"principals\": [\"home/{email_local}\"] } ] }");
    return s;
}

static void
run(const char *what, const struct policy *p, const struct policy_request *rq,
    double secs, int explain)
{
    struct policy_decision *d = NULL;
    double t0 = bench_now_s(), t;
    long n = 0;
    int r;

    do {
        int k;

        for (k = 0; k < 256; k++) {
            if (explain)
                json_decref(policy_explain(p, rq));
            else {
                r = policy_decide(p, rq, &d);
                (void)r;
                policy_decision_free(d);
            }
        }
        n += 256;
        t = bench_now_s() - t0;
    } while (t < secs);
    printf("%-44s %10.0f /s  %7.2f us each\n", what, (double)n / t,
        t / (double)n * 1e6);
}

int
main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 2.0;
    int extra = argc > 2 ? atoi(argv[2]) : 20;
    char *text = make_policy(extra);
    char *groups[] = { "payments-oncall", "staff" };
    const char *want[] = { "payments/api" };
    struct policy *p = NULL;
    struct diags dg = { 0 };
    struct claims c;
    struct policy_request rq;

    if (text == NULL || policy_load_buf(text, strlen(text), "bench.json",
        3600, &p, &dg) != 0) {
        fprintf(stderr, "bench_policy: cannot load: %s\n",
            dg.n ? dg.msgs[0] : "out of memory");
        return 1;
    }
    memset(&c, 0, sizeof(c));
    c.iss = "https://idp.example.com";
    c.sub = "248289761001";
    c.email = "alice@example.com";
    c.email_verified = 1;
    c.groups = groups;
    c.ngroups = 2;
    memset(&rq, 0, sizeof(rq));
    rq.claims = &c;
    printf("policy of %zu roles (%d before the one that matches)\n",
        policy_nroles(p), extra);
    run("decide: grant, all principals of the role", p, &rq, secs, 0);
    rq.principals = want;
    rq.nprincipals = 1;
    rq.ttl = 600;
    run("decide: grant, one principal asked, ttl 10m", p, &rq, secs, 0);
    want[0] = "payments/db";
    run("decide: deny, principal not granted", p, &rq, secs, 0);
    want[0] = "payments/api";
    run("explain: grant", p, &rq, secs, 1);
    policy_unref(p);
    diags_clear(&dg);
    free(text);
    return 0;
}
