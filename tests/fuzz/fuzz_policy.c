/*
 * libFuzzer target: the policy parser, and on every policy it accepts,
 * decisions and explanations for a set of identities and requests, checking
 * the promises a grant makes (abort() on a broken one):
 *   - the role exists in the policy; every principal is valid and, when
 *     principals were asked for, one of them; no duplicates;
 *   - 1 <= ttl <= the ceiling; at most the six OpenSSH extensions;
 *   - a denial is a non-empty, valid UTF-8 message and carries no grant;
 *   - policy_explain reaches the same decision.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meshca/policy.h"
#include "meshca/principal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CEILING 3600

struct who {
    const char *iss, *sub, *email;
    int verified;
    const char *g1, *g2, *pu;
};

static const struct who people[] = {
    { "https://idp", "alice", "alice@example.com", 1, "payments-oncall",
        "g", NULL },
    { "https://idp.example.com", "bob", "bob@example.com", 1,
        "payments-dev", NULL, "bobby" },
    { "https://idp", "carol", "carol@example.com", 0, "meshca-admins",
        "dba", "c/x" },
    { "https://other", "has space", "payments/api@example.com", 1, "g",
        NULL, NULL },
    { "https://idp", "a:b", NULL, 0, NULL, NULL, "" },
};

static void
check(int cond)
{
    if (!cond)
        abort();
}

static void
one(const struct policy *p, const struct who *w, const char *const *want,
    size_t nwant, int64_t ttl, const char *role)
{
    char *groups[2];
    struct claims c;
    struct policy_request rq;
    struct policy_decision *d = NULL;
    json_t *ex;
    size_t i, k;
    int r;

    memset(&c, 0, sizeof(c));
    c.iss = (char *)w->iss;
    c.sub = (char *)w->sub;
    c.email = (char *)w->email;
    c.email_verified = w->verified;
    groups[0] = (char *)w->g1;
    groups[1] = (char *)w->g2;
    c.groups = groups;
    c.ngroups = w->g2 ? 2 : w->g1 ? 1 : 0;
    c.raw = w->pu ? json_pack("{s:s}", "preferred_username", w->pu) : NULL;
    memset(&rq, 0, sizeof(rq));
    rq.claims = &c;
    rq.principals = want;
    rq.nprincipals = nwant;
    rq.ttl = ttl;
    rq.reason = ttl % 2 ? "INC-1" : NULL;
    rq.role = role;

    r = policy_decide(p, &rq, &d);
    check(r == 0 || r == MESHCA_ERR_POLICY_DENIED || r == MESHCA_ERR_ALLOC);
    if (r == 0) {
        for (i = 0; policy_role_name(p, i) != NULL; i++)
            if (strcmp(policy_role_name(p, i), d->role) == 0)
                break;
        check(i < policy_nroles(p));
        check(role == NULL || strcmp(role, d->role) == 0);
        check(d->nprincipals >= 1 && d->principals[d->nprincipals] == NULL);
        for (i = 0; i < d->nprincipals; i++) {
            check(principal_valid(d->principals[i]));
            for (k = 0; k < i; k++)
                check(strcmp(d->principals[k], d->principals[i]) != 0);
            for (k = 0; nwant > 0 && k < nwant; k++)
                if (strcmp(want[k], d->principals[i]) == 0)
                    break;
            check(nwant == 0 || k < nwant);
        }
        check(d->ttl >= 1 && d->ttl <= CEILING);
        check(ttl <= 0 || d->ttl <= ttl);
        check(d->nextensions <= 6 && d->denial == NULL);
    } else if (r == MESHCA_ERR_POLICY_DENIED) {
        check(d->denial != NULL && d->denial[0] != '\0' && d->role == NULL);
        ex = json_string(d->denial);  /* NULL if not valid UTF-8 */
        check(ex != NULL);
        json_decref(ex);
    }
    ex = policy_explain(p, &rq);
    if (ex != NULL && r != MESHCA_ERR_ALLOC) {
        const char *dec = json_string_value(json_object_get(ex, "decision"));

        check(dec != NULL && strcmp(dec, r == 0 ? "granted" : "denied") == 0);
        check(r != 0 || strcmp(json_string_value(json_object_get(ex,
            "role")), d->role) == 0);
    }
    json_decref(ex);
    (void)policy_is_admin(p, &c);
    policy_decision_free(d);
    json_decref(c.raw);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const want1[] = { "payments/api" };
    static const char *const want2[] = { "home/alice", "payments/db",
        "alice" };
    struct policy *p = NULL;
    struct diags d = { 0 };
    size_t i;

    if (policy_load_buf((const char *)data, size, "fuzz.json", CEILING, &p,
        &d) == 0) {
        check(d.n == 0 && strlen(policy_version(p)) == 64);
        for (i = 0; i < sizeof(people) / sizeof(people[0]); i++) {
            one(p, &people[i], NULL, 0, 0, NULL);
            one(p, &people[i], want1, 1, 7201, NULL);
            one(p, &people[i], want2, 3, 61, NULL);
            if (policy_nroles(p) > 0)
                one(p, &people[i], NULL, 0, 600, policy_role_name(p,
                    size % policy_nroles(p)));
        }
        policy_unref(p);
    } else
        check(p == NULL && d.n > 0);
    diags_clear(&d);
    return 0;
}
