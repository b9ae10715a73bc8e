/* libFuzzer target: the policy parser and a decision on what it accepts. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meshca/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct policy *p = NULL;
    struct diags d = { 0 };
    struct claims c;
    char *groups[] = { "payments-oncall", "payments-dev", NULL };
    struct policy_request rq;
    struct policy_decision *dec = NULL;
    const char *want[] = { "payments/api" };
    json_t *ex;

    if (policy_load_buf((const char *)data, size, "fuzz.json", 3600, &p,
        &d) == 0) {
        memset(&c, 0, sizeof(c));
        c.iss = "https://idp";
        c.sub = "fuzz-sub";
        c.email = "fuzz@example.com";
        c.email_verified = 1;
        c.groups = groups;
        c.ngroups = 2;
        memset(&rq, 0, sizeof(rq));
        rq.claims = &c;
        rq.principals = want;
        rq.nprincipals = size % 2;
        rq.reason = "fuzz";
        (void)policy_decide(p, &rq, &dec);
        policy_decision_free(dec);
        ex = policy_explain(p, &rq);
        json_decref(ex);
        (void)policy_is_admin(p, &c);
        policy_unref(p);
    }
    diags_clear(&d);
    return 0;
}
