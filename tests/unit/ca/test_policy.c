/* Unit tests for ca/policy.c: loading, decisions, explanations (table-driven). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meshca/policy.h"
#include "../../lib/unit.h"

static const char policy_json[] =
    "{ \"admins\": { \"groups\": [\"meshca-admins\"] },\n"
    "  \"roles\": [\n"
    "  { \"name\": \"payments-oncall\",\n"
    "    \"match\": { \"issuer\": \"https://idp\", \"groups\": [\"payments-oncall\"] },\n"
    "    \"principals\": [\"payments/api\", \"payments/worker\"],\n"
    "    \"default_ttl\": \"5m\", \"max_ttl\": \"15m\",\n"
    "    \"extensions\": [\"permit-pty\", \"permit-port-forwarding\"],\n"
    "    \"critical_options\": { \"source-address\": \"10.0.0.0/8\" } },\n"
    "  { \"name\": \"payments-debug\",\n"
    "    \"match\": { \"groups\": [\"payments-dev\"] },\n"
    "    \"principals\": [\"payments/api\"], \"max_ttl\": \"10m\",\n"
    "    \"critical_options\": { \"force-command\": \"/usr/local/bin/debug-shell\" },\n"
    "    \"require_reason\": true },\n"
    "  { \"name\": \"personal\",\n"
    "    \"match\": { \"email_domains\": [\"example.com\"] },\n"
    "    \"principals\": [\"{email_local}\", \"home/{sub}\"], \"max_ttl\": \"1h\" }\n"
    "] }\n";

static struct policy *
load(void)
{
    struct policy *p = NULL;
    struct diags d = { 0 };
    int r = policy_load_buf(policy_json, strlen(policy_json), "policy.json",
        3600, &p, &d);

    if (r != 0)
        unit_fail(__FILE__, __LINE__, "load: %s", d.n ? d.msgs[0] : "?");
    diags_clear(&d);
    return p;
}

/* Claims with the given subject, email (verified or not) and groups. */
static struct claims *
mk(const char *iss, const char *sub, const char *email, int verified,
    const char *g1, const char *g2)
{
    struct claims *c = calloc(1, sizeof(*c));

    c->iss = strdup(iss);
    c->sub = strdup(sub);
    c->email = email ? strdup(email) : NULL;
    c->email_verified = verified;
    c->groups = calloc(3, sizeof(char *));
    if (g1 != NULL)
        c->groups[c->ngroups++] = strdup(g1);
    if (g2 != NULL)
        c->groups[c->ngroups++] = strdup(g2);
    return c;
}

struct dcase {
    const char *name;
    const char *sub, *email, *g1, *g2;
    int verified;
    const char *want[3];
    int64_t ttl;
    const char *reason, *role;
    /* expected */
    int granted;
    const char *erole;
    const char *eprincipals; /* comma-joined */
    int64_t ettl;
    const char *denial_part;
};

static const struct dcase cases[] = {
    { "grant: oncall gets all principals by default", "s1", "alice@corp.io",
        "payments-oncall", NULL, 1, { NULL }, 0, NULL, NULL, 1,
        "payments-oncall", "payments/api,payments/worker", 300, NULL },
    { "subset: asking one principal gets just that", "s1", "alice@corp.io",
        "payments-oncall", NULL, 1, { "payments/worker" }, 0, NULL, NULL, 1,
        "payments-oncall", "payments/worker", 300, NULL },
    { "ttl capped by max_ttl", "s1", "alice@corp.io", "payments-oncall", NULL,
        1, { NULL }, 7200, NULL, NULL, 1, "payments-oncall",
        "payments/api,payments/worker", 900, NULL },
    { "ttl as asked under the max", "s1", "alice@corp.io", "payments-oncall",
        NULL, 1, { NULL }, 600, NULL, NULL, 1, "payments-oncall",
        "payments/api,payments/worker", 600, NULL },
    { "deny: principal not granted names role and grants", "s2",
        "bob@corp.io", "payments-dev", NULL, 1, { "payments/db" }, 0, "why",
        NULL, 0, NULL, NULL, 0,
        "principal payments/db is not granted: your groups [payments-dev] "
        "match role payments-debug, which grants [payments/api]" },
    { "deny: reason required", "s2", "bob@corp.io", "payments-dev", NULL, 1,
        { "payments/api" }, 0, NULL, NULL, 0, NULL, NULL, 0,
        "role payments-debug requires a reason" },
    { "grant with reason: options from exactly that role", "s2",
        "bob@corp.io", "payments-dev", NULL, 1, { "payments/api" }, 0,
        "INC-1", NULL, 1, "payments-debug", "payments/api", 300, NULL },
    { "several roles match: first in file order that grants all", "s3",
        "carol@corp.io", "payments-dev", "payments-oncall", 1,
        { "payments/api" }, 0, NULL, NULL, 1, "payments-oncall",
        "payments/api", 300, NULL },
    { "several roles match: a named role wins", "s3", "carol@corp.io",
        "payments-dev", "payments-oncall", 1, { "payments/api" }, 0, "x",
        "payments-debug", 1, "payments-debug", "payments/api", 300, NULL },
    { "named role that does not match", "s1", "alice@corp.io",
        "payments-oncall", NULL, 1, { NULL }, 0, "x", "payments-debug", 0,
        NULL, NULL, 0, "role payments-debug does not match you" },
    { "empty group list matches no group role", "s4", "dan@corp.io", NULL,
        NULL, 1, { NULL }, 0, NULL, NULL, 0, NULL, NULL, 0,
        "no role matches you" },
    { "templates filled from verified email and sub", "u-77",
        "erin@example.com", NULL, NULL, 1, { NULL }, 0, NULL, NULL, 1,
        "personal", "erin,home/u-77", 300, NULL },
    { "unverified email never matches email_domains", "u-78",
        "erin@example.com", NULL, NULL, 0, { NULL }, 0, NULL, NULL, 0, NULL,
        NULL, 0, "no role matches you" },
    { "template producing an illegal principal is skipped, not mangled",
        "has space", "frank@example.com", NULL, NULL, 1, { "home/has space" },
        0, NULL, NULL, 0, NULL, NULL, 0,
        "principal home/has space is not granted" },
    { "the valid template still works when another is illegal", "has space",
        "frank@example.com", NULL, NULL, 1, { NULL }, 0, NULL, NULL, 1,
        "personal", "frank", 300, NULL },
};

TEST(test_policy_decisions_table)
{
    struct policy *p = load();
    size_t i, k;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct dcase *t = &cases[i];
        const char *want[3] = { 0 };
        struct claims *c = mk("https://idp", t->sub, t->email, t->verified,
            t->g1, t->g2);
        struct policy_request rq = { 0 };
        struct policy_decision *d = NULL;
        size_t nw = 0;
        int r;

        for (k = 0; k < 3 && t->want[k] != NULL; k++)
            want[nw++] = t->want[k];
        rq.claims = c;
        rq.principals = want;
        rq.nprincipals = nw;
        rq.ttl = t->ttl;
        rq.reason = t->reason;
        rq.role = t->role;
        r = policy_decide(p, &rq, &d);
        if (t->granted) {
            char joined[256] = "";

            if (r != 0)
                unit_fail(__FILE__, __LINE__, "case \"%s\": denied: %s",
                    t->name, d && d->denial ? d->denial : "?");
            for (k = 0; k < d->nprincipals; k++) {
                if (k)
                    strcat(joined, ",");
                strcat(joined, d->principals[k]);
            }
            if (strcmp(d->role, t->erole) != 0 ||
                strcmp(joined, t->eprincipals) != 0 || d->ttl != t->ettl)
                unit_fail(__FILE__, __LINE__, "case \"%s\": got role %s "
                    "principals %s ttl %lld", t->name, d->role, joined,
                    (long long)d->ttl);
        } else {
            if (r != MESHCA_ERR_POLICY_DENIED || d == NULL ||
                strstr(d->denial, t->denial_part) == NULL)
                unit_fail(__FILE__, __LINE__, "case \"%s\": r=%d denial "
                    "\"%s\"", t->name, r, d && d->denial ? d->denial : "");
        }
        policy_decision_free(d);
        claims_free(c);
    }
    policy_unref(p);
}

TEST(test_policy_options_come_from_the_chosen_role)
{
    struct policy *p = load();
    struct claims *c = mk("https://idp", "s1", NULL, 0, "payments-oncall",
        NULL);
    struct policy_request rq = { 0 };
    struct policy_decision *d = NULL;

    rq.claims = c;
    ASSERT_OK(policy_decide(p, &rq, &d));
    ASSERT_STR_EQ(d->source_address, "10.0.0.0/8");
    ASSERT(d->force_command == NULL);
    ASSERT_INT_EQ(d->nextensions, 2);
    ASSERT_STR_EQ(d->extensions[1], "permit-port-forwarding");
    policy_decision_free(d);
    claims_free(c);
    /* The debug role: force-command, default extensions (permit-pty only). */
    c = mk("https://idp", "s2", NULL, 0, "payments-dev", NULL);
    rq.claims = c;
    rq.reason = "INC-9";
    ASSERT_OK(policy_decide(p, &rq, &d));
    ASSERT_STR_EQ(d->force_command, "/usr/local/bin/debug-shell");
    ASSERT(d->source_address == NULL);
    ASSERT_INT_EQ(d->nextensions, 1);
    ASSERT_STR_EQ(d->extensions[0], "permit-pty");
    policy_decision_free(d);
    claims_free(c);
    policy_unref(p);
}

TEST(test_policy_issuer_must_match_when_named)
{
    struct policy *p = load();
    struct claims *c = mk("https://other-idp", "s1", NULL, 0,
        "payments-oncall", NULL);
    struct policy_request rq = { 0 };
    struct policy_decision *d = NULL;

    rq.claims = c;
    ASSERT_ERR(policy_decide(p, &rq, &d), MESHCA_ERR_POLICY_DENIED);
    ASSERT(strstr(d->denial, "no role matches you") != NULL);
    policy_decision_free(d);
    claims_free(c);
    policy_unref(p);
}

TEST(test_policy_admins)
{
    struct policy *p = load();
    struct claims *a = mk("https://idp", "c", NULL, 0, "meshca-admins", NULL);
    struct claims *b = mk("https://idp", "b", NULL, 0, "payments-dev", NULL);

    ASSERT(policy_is_admin(p, a));
    ASSERT(!policy_is_admin(p, b));
    claims_free(a);
    claims_free(b);
    policy_unref(p);
}

TEST(test_policy_explain_says_why_per_role)
{
    struct policy *p = load();
    struct claims *c = mk("https://idp", "s2", NULL, 0, "payments-dev", NULL);
    struct policy_request rq = { 0 };
    const char *want[] = { "payments/api" };
    json_t *ex, *roles;

    rq.claims = c;
    rq.principals = want;
    rq.nprincipals = 1;
    rq.ttl = 3600;
    rq.reason = "INC-2";
    ex = policy_explain(p, &rq);
    ASSERT(ex != NULL);
    ASSERT_STR_EQ(json_string_value(json_object_get(ex, "decision")),
        "granted");
    ASSERT_STR_EQ(json_string_value(json_object_get(ex, "role")),
        "payments-debug");
    ASSERT(strstr(json_string_value(json_object_get(ex, "ttl_note")),
        "capped by max_ttl 10m") != NULL);
    roles = json_object_get(ex, "roles");
    ASSERT_INT_EQ(json_array_size(roles), 3);
    ASSERT(json_is_false(json_object_get(json_array_get(roles, 0),
        "matched")));
    ASSERT(strstr(json_string_value(json_object_get(json_array_get(roles, 0),
        "why")), "issuer") != NULL || strstr(json_string_value(
        json_object_get(json_array_get(roles, 0), "why")), "groups") != NULL);
    ASSERT(json_is_true(json_object_get(json_array_get(roles, 1),
        "matched")));
    json_decref(ex);
    claims_free(c);
    policy_unref(p);
}

TEST(test_policy_version_is_sha256_of_bytes_and_refcount_works)
{
    struct policy *p = load();

    ASSERT_INT_EQ(strlen(policy_version(p)), 64);
    ASSERT_STR_EQ(policy_text(p), policy_json);
    ASSERT_INT_EQ(policy_nroles(p), 3);
    policy_ref(p);
    policy_unref(p);
    ASSERT_INT_EQ(strlen(policy_version(p)), 64); /* still alive */
    policy_unref(p);
}

struct lcase {
    const char *json;
    const char *msg;
};

static const struct lcase load_cases[] = {
    { "{\"roles\": [}", "policy.json:1:12: " },
    { "{\"roles\": [], \"rolez\": 1}", "policy.json: rolez: unknown key" },
    { "{}", "policy.json: roles: missing" },
    { "{\"roles\": [{\"name\": \"a\", \"match\": {\"groups\": [\"g\"]}, "
      "\"principals\": [\"p\"], \"max_ttl\": \"20h\"}]}",
      "policy.json: roles[0].max_ttl: 20h exceeds the ceiling 1h" },
    { "{\"roles\": [{\"name\": \"a\", \"match\": {\"groups\": [\"g\"]}, "
      "\"principals\": [\"p\"], \"max_ttl\": \"10m\", \"default_ttl\": \"15m\"}]}",
      "roles[0].default_ttl: 15m exceeds max_ttl 10m" },
    { "{\"roles\": [{\"name\": \"a\", \"match\": {\"groups\": [\"g\"]}, "
      "\"principals\": [\"p\"], \"max_ttl\": \"ten\"}]}",
      "roles[0].max_ttl: \"ten\" is not a duration" },
    { "{\"roles\": [{\"name\": \"a\", \"match\": {\"groups\": [\"g\"]}, "
      "\"principals\": [\"a b\"]}]}",
      "roles[0].principals[0]: \"a b\": not a valid principal" },
    { "{\"roles\": [{\"name\": \"a\", \"match\": {\"groups\": [\"g\"]}, "
      "\"principals\": [\"{nope}\"]}]}", "unknown template {nope}" },
    { "{\"roles\": [{\"name\": \"a\", \"match\": {\"groups\": [\"g\"]}, "
      "\"principals\": [\"p\"], \"extensions\": [\"permit-everything\"]}]}",
      "roles[0].extensions[0]: \"permit-everything\" is not an OpenSSH extension" },
    { "{\"roles\": [{\"name\": \"a\", \"match\": {\"groups\": [\"g\"]}, "
      "\"principals\": [\"p\"], \"critical_options\": {\"source-address\": \"10.0.0.0/99\"}}]}",
      "roles[0].critical_options.source-address: \"10.0.0.0/99\" is not a list" },
    { "{\"roles\": [{\"name\": \"a\", \"match\": {}, \"principals\": [\"p\"]}]}",
      "roles[0].match: an empty match would match everyone" },
    { "{\"roles\": [{\"name\": \"a\", \"match\": {\"groups\": [\"g\"]}, \"principals\": [\"p\"]},"
      "{\"name\": \"a\", \"match\": {\"groups\": [\"g\"]}, \"principals\": [\"p\"]}]}",
      "roles[1].name: \"a\" is already the name of roles[0]" },
    { "{\"roles\": [{\"name\": \"a\", \"match\": {\"groups\": \"g\"}, \"principals\": [\"p\"]}]}",
      "roles[0].match.groups: must be an array of strings, not a string" },
    { "{\"roles\": [{\"name\": \"a\", \"match\": {\"group\": [\"g\"]}, \"principals\": [\"p\"]}]}",
      "roles[0].match.group: unknown key" },
};

TEST(test_policy_load_errors_are_precise)
{
    struct policy *p;
    struct diags d = { 0 };
    size_t i, k;
    int found;

    for (i = 0; i < sizeof(load_cases) / sizeof(load_cases[0]); i++) {
        p = NULL;
        if (policy_load_buf(load_cases[i].json, strlen(load_cases[i].json),
            "policy.json", 3600, &p, &d) != MESHCA_ERR_POLICY_INVALID)
            unit_fail(__FILE__, __LINE__, "case %zu accepted", i);
        ASSERT(p == NULL);
        for (k = 0, found = 0; k < d.n; k++)
            found |= strstr(d.msgs[k], load_cases[i].msg) != NULL;
        if (!found)
            unit_fail(__FILE__, __LINE__, "case %zu: \"%s\" not among %zu "
                "messages (first: %s)", i, load_cases[i].msg, d.n,
                d.n ? d.msgs[0] : "none");
        diags_clear(&d);
    }
}

UNIT_MAIN(T(test_policy_decisions_table),
    T(test_policy_options_come_from_the_chosen_role),
    T(test_policy_issuer_must_match_when_named), T(test_policy_admins),
    T(test_policy_explain_says_why_per_role),
    T(test_policy_version_is_sha256_of_bytes_and_refcount_works),
    T(test_policy_load_errors_are_precise))
