/* Unit tests for ca/policy.c and ca/policy_parse.c: loading, decisions,
 * explanations (table-driven). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "meshca/policy.h"
#include "meshca/principal.h"
#include "../../../api/policyfile.h"
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
    "  { \"name\": \"dba\", \"match\": { \"groups\": [\"dba\"] },\n"
    "    \"principals\": [\"payments/db\", \"payments/api\"], \"max_ttl\": \"30m\",\n"
    "    \"extensions\": [] },\n"
    "  { \"name\": \"personal\",\n"
    "    \"match\": { \"email_domains\": [\"example.com\"] },\n"
    "    \"principals\": [\"home/{email_local}\", \"{email_local}\", \"u/{sub}\"],\n"
    "    \"max_ttl\": \"1h\" },\n"
    "  { \"name\": \"sso-names\", \"match\": { \"subjects\": [\"u-pu\"] },\n"
    "    \"principals\": [\"{preferred_username}\"] },\n"
    "  { \"name\": \"by-email\", \"match\": { \"emails\": [\"Dana@Corp.io\"] },\n"
    "    \"principals\": [\"dana/box\"] }\n"
    "] }\n";

static struct policy *
load_text(const char *text, int64_t ceiling)
{
    struct policy *p = NULL;
    struct diags d = { 0 };
    int r = policy_load_buf(text, strlen(text), "policy.json", ceiling, &p,
        &d);

    if (r != 0)
        unit_fail(__FILE__, __LINE__, "load: %s", d.n ? d.msgs[0] : "?");
    diags_clear(&d);
    return p;
}

static struct policy *
load(void)
{
    return load_text(policy_json, 3600);
}

#define NOGROUPS "#none"   /* groups claim absent: groups == NULL */
#define PU_NUMBER "#num"   /* preferred_username present but a number */

/* Claims as api/identity.c makes them. */
static struct claims *
mk(const char *iss, const char *sub, const char *email, int verified,
    const char *g1, const char *g2, const char *pu)
{
    struct claims *c = calloc(1, sizeof(*c));

    ASSERT(c != NULL);
    c->iss = strdup(iss);
    c->sub = strdup(sub);
    c->email = email ? strdup(email) : NULL;
    c->email_verified = verified;
    if (g1 == NULL || strcmp(g1, NOGROUPS) != 0) {
        c->groups = calloc(3, sizeof(char *));
        if (g1 != NULL)
            c->groups[c->ngroups++] = strdup(g1);
        if (g2 != NULL)
            c->groups[c->ngroups++] = strdup(g2);
    }
    c->raw = json_pack("{s:s, s:s}", "iss", iss, "sub", sub);
    if (pu != NULL && strcmp(pu, PU_NUMBER) == 0)
        json_object_set_new(c->raw, "preferred_username", json_integer(7));
    else if (pu != NULL)
        json_object_set_new(c->raw, "preferred_username", json_string(pu));
    return c;
}

struct dcase {
    const char *name;
    const char *iss, *sub, *email;
    int verified;
    const char *g1, *g2, *pu;
    const char *want[3];
    int64_t ttl;
    const char *reason, *role;
    /* expected: a grant (erole != NULL) or the exact denial */
    const char *erole;
    const char *eprincipals;  /* comma-joined, in order */
    int64_t ettl;
    const char *enote;
    const char *denial;
};

#define IDP "https://idp"

static const struct dcase cases[] = {
    { "grant: nothing requested gets all the role grants", IDP, "s1",
        "alice@corp.io", 1, "payments-oncall", NULL, NULL, { NULL }, 0, NULL,
        NULL, "payments-oncall", "payments/api,payments/worker", 300,
        "default_ttl 5m of role payments-oncall", NULL },
    { "subset: asking one principal gets just that", IDP, "s1",
        "alice@corp.io", 1, "payments-oncall", NULL, NULL,
        { "payments/worker" }, 0, NULL, NULL, "payments-oncall",
        "payments/worker", 300, NULL, NULL },
    { "duplicates in the request are granted once", IDP, "s1", NULL, 0,
        "payments-oncall", NULL, NULL, { "payments/api", "payments/api" }, 0,
        NULL, NULL, "payments-oncall", "payments/api", 300, NULL, NULL },
    { "ttl capped by the role's max_ttl, with the note", IDP, "s1", NULL, 0,
        "payments-oncall", NULL, NULL, { NULL }, 7200, NULL, NULL,
        "payments-oncall", "payments/api,payments/worker", 900,
        "asked 2h, capped by max_ttl 15m of role payments-oncall", NULL },
    { "ttl as asked under the max", IDP, "s1", NULL, 0, "payments-oncall",
        NULL, NULL, { NULL }, 600, NULL, NULL, "payments-oncall",
        "payments/api,payments/worker", 600,
        "as asked (max_ttl 15m of role payments-oncall allows it)", NULL },
    { "ttl default when the role gives none: min(5m, max_ttl)", IDP, "s2",
        NULL, 0, "payments-dev", NULL, NULL, { NULL }, 0, "INC-1", NULL,
        "payments-debug", "payments/api", 300,
        "default_ttl 5m of role payments-debug", NULL },
    { "deny: principal not granted names the role and its grants", IDP, "s2",
        "bob@corp.io", 1, "payments-dev", NULL, NULL, { "payments/db" }, 0,
        "why", NULL, NULL, NULL, 0, NULL,
        "principal payments/db is not granted: your groups [payments-dev] "
        "match role payments-debug, which grants [payments/api]" },
    { "deny: reason required", IDP, "s2", NULL, 0, "payments-dev", NULL,
        NULL, { "payments/api" }, 0, NULL, NULL, NULL, NULL, 0, NULL,
        "role payments-debug requires a reason: say why you need access "
        "(meshca login --reason \"...\")" },
    { "deny: a blank reason is no reason", IDP, "s2", NULL, 0,
        "payments-dev", NULL, NULL, { NULL }, 0, " \t ", NULL, NULL, NULL, 0,
        NULL, "role payments-debug requires a reason: say why you need "
        "access (meshca login --reason \"...\")" },
    /* Issue #13: "\u00a0" passed for a reason. */
    { "deny: Unicode spaces and zero-width characters are no reason", IDP,
        "s2", NULL, 0, "payments-dev", NULL, NULL, { NULL }, 0,
        "\xc2\xa0 \xe2\x80\x80\xe2\x80\x8b\xe3\x80\x80\xef\xbb\xbf\xc2\x85",
        NULL, NULL, NULL, 0, NULL, "role payments-debug requires a reason: "
        "say why you need access (meshca login --reason \"...\")" },
    { "a reason of one visible non-ASCII character is a reason", IDP, "s2",
        NULL, 0, "payments-dev", NULL, NULL, { NULL }, 0,
        "\xc2\xa0\xe2\x9c\x93", NULL, "payments-debug", "payments/api", 300,
        NULL, NULL },
    { "several roles match: the first in file order that grants all", IDP,
        "s3", NULL, 0, "payments-dev", "payments-oncall", NULL,
        { "payments/api" }, 0, NULL, NULL, "payments-oncall", "payments/api",
        300, NULL, NULL },
    { "several roles match: a later one when the first lacks a principal",
        IDP, "s3", NULL, 0, "payments-dev", "dba", NULL, { "payments/db" },
        0, NULL, NULL, "dba", "payments/db", 300, NULL, NULL },
    { "several roles match, nothing requested: the first that grants any",
        IDP, "s3", NULL, 0, "dba", "payments-oncall", NULL, { NULL }, 0,
        NULL, NULL, "payments-oncall", "payments/api,payments/worker", 300,
        NULL, NULL },
    { "deny: no matching role grants it, all matching roles listed", IDP,
        "s3", NULL, 0, "payments-dev", "dba", NULL,
        { "payments/api", "payments/worker" }, 0, "x", NULL, NULL, NULL, 0,
        NULL, "principal payments/worker is not granted: your groups "
        "[payments-dev, dba] match role payments-debug, which grants "
        "[payments/api]; role dba, which grants [payments/db, payments/api]" },
    { "deny: no single role grants both (roles are never merged)", IDP, "s3",
        NULL, 0, "payments-oncall", "dba", NULL,
        { "payments/worker", "payments/db" }, 0, NULL, NULL, NULL, NULL, 0,
        NULL, "no single role grants all of the requested principals "
        "together (a certificate's powers come from one role); ask for "
        "fewer: your groups [payments-oncall, dba] match role "
        "payments-oncall, which grants [payments/api, payments/worker]; role "
        "dba, which grants [payments/db, payments/api]" },
    { "named role wins over file order", IDP, "s3", NULL, 0, "payments-dev",
        "payments-oncall", NULL, { "payments/api" }, 0, "x", "payments-debug",
        "payments-debug", "payments/api", 300, NULL, NULL },
    { "named role that does not match says which key failed", IDP, "s1",
        NULL, 0, "payments-oncall", NULL, NULL, { NULL }, 0, "x",
        "payments-debug", NULL, NULL, 0, NULL,
        "role payments-debug does not match you: none of your groups "
        "[payments-oncall] is in [payments-dev]" },
    { "named role that does not exist", IDP, "s1", NULL, 0,
        "payments-oncall", NULL, NULL, { NULL }, 0, NULL, "nope", NULL, NULL,
        0, NULL, "there is no role named nope" },
    { "named role that does not grant the principal", IDP, "s2", NULL, 0,
        "payments-dev", NULL, NULL, { "payments/db" }, 0, "x",
        "payments-debug", NULL, NULL, 0, NULL, "principal payments/db is not "
        "granted: role payments-debug grants [payments/api]" },
    { "deny: no role matches an empty group list", IDP, "s4", NULL, 0, NULL,
        NULL, NULL, { NULL }, 0, NULL, NULL, NULL, NULL, 0, NULL,
        "no role matches you (issuer https://idp, subject s4, groups []); "
        "ask for a role in the policy" },
    { "deny: no groups claim at all is no group", IDP, "s4", NULL, 0,
        NOGROUPS, NULL, NULL, { "payments/api" }, 0, NULL, NULL, NULL, NULL,
        0, NULL, "no role matches you (issuer https://idp, subject s4, "
        "groups []); ask for a role in the policy" },
    { "deny: the issuer is part of the match", "https://other", "s1", NULL,
        0, "payments-oncall", NULL, NULL, { NULL }, 0, NULL, NULL, NULL, NULL,
        0, NULL, "no role matches you (issuer https://other, subject s1, "
        "groups [payments-oncall]); ask for a role in the policy" },
    { "templates filled from the verified email and sub", IDP, "u-77",
        "erin@example.com", 1, NULL, NULL, NULL, { NULL }, 0, NULL, NULL,
        "personal", "home/erin,erin,u/u-77", 300, NULL, NULL },
    { "email domains compare without case", IDP, "u-77", "Erin@EXAMPLE.com",
        1, NULL, NULL, NULL, { "home/Erin" }, 0, NULL, NULL, "personal",
        "home/Erin", 300, NULL, NULL },
    { "an unverified email never matches email_domains", IDP, "u-78",
        "erin@example.com", 0, NULL, NULL, NULL, { NULL }, 0, NULL, NULL,
        NULL, NULL, 0, NULL, "no role matches you (issuer https://idp, "
        "subject u-78, groups []); ask for a role in the policy" },
    { "a subdomain is not the domain", IDP, "u-78", "erin@eu.example.com", 1,
        NULL, NULL, NULL, { NULL }, 0, NULL, NULL, NULL, NULL, 0, NULL,
        "no role matches you (issuer https://idp, subject u-78, groups []); "
        "ask for a role in the policy" },
    { "an illegal filled-in principal is skipped, not mangled", IDP,
        "has space", "frank@example.com", 1, NULL, NULL, NULL,
        { "u/has space" }, 0, NULL, NULL, NULL, NULL, 0, NULL,
        "principal u/has space is not granted: you match role "
        "personal, which grants [home/frank, frank]" },
    { "the other templates still work when one is illegal", IDP,
        "has space", "frank@example.com", 1, NULL, NULL, NULL, { NULL }, 0,
        NULL, NULL, "personal", "home/frank,frank", 300, NULL, NULL },
    { "a claim holding '/' cannot reach into another namespace", IDP, "u-9",
        "payments/api@example.com", 1, NULL, NULL, NULL, { "payments/api" },
        0, NULL, NULL, NULL, NULL, 0, NULL, "principal payments/api is not "
        "granted: you match role personal, which grants [u/u-9]" },
    { "a claim holding ':' cannot name a service role", IDP, "a:admin",
        "gus@example.com", 1, NULL, NULL, NULL, { NULL }, 0, NULL, NULL,
        "personal", "home/gus,gus", 300, NULL, NULL },
    /* Issue #13: {email_local} split at the last '@' made a verified
     * root@evil.com@example.com the principal root@evil.com. */
    { "an email with two '@' is no email for templates", IDP, "u-10",
        "root@evil.com@example.com", 1, NULL, NULL, NULL, { "root@evil.com" },
        0, NULL, NULL, NULL, NULL, 0, NULL, "principal root@evil.com is not "
        "granted: you match role personal, which grants [u/u-10]" },
    { "an email with two '@': only the other templates are granted", IDP,
        "u-10", "root@evil.com@example.com", 1, NULL, NULL, NULL, { NULL }, 0,
        NULL, NULL, "personal", "u/u-10", 300, NULL, NULL },
    { "quotes and '+' in a claim are not filled in", IDP, "u\"x",
        "o'neil+ops@example.com", 1, NULL, NULL, NULL, { NULL }, 0, NULL,
        NULL, NULL, NULL, 0, NULL, "the roles you match grant no principal "
        "for your identity: you match role personal, which grants [] "
        "(home/{email_local}: your {email_local} \"o'neil+ops\" holds a "
        "character other than letters, digits, '.', '_' and '-'; "
        "{email_local}: your {email_local} \"o'neil+ops\" holds a character "
        "other than letters, digits, '.', '_' and '-'; u/{sub}: your {sub} "
        "\"u\"x\" holds a character other than letters, digits, '.', '_' "
        "and '-')" },
    { "'@' in sub is not filled in", IDP, "svc@corp", "hal@example.com", 1,
        NULL, NULL, NULL, { NULL }, 0, NULL, NULL, "personal",
        "home/hal,hal", 300, NULL, NULL },
    { "a value may not start with '.' or '-'", IDP, "..", "-rf@example.com",
        1, NULL, NULL, NULL, { NULL }, 0, NULL, NULL, NULL, NULL, 0, NULL,
        "the roles you match grant no principal for your identity: you match "
        "role personal, which grants [] (home/{email_local}: your "
        "{email_local} \"-rf\" may not start with '-'; {email_local}: your "
        "{email_local} \"-rf\" may not start with '-'; u/{sub}: your {sub} "
        "\"..\" may not start with '.')" },
    { "letters, digits, '.', '_' and '-' are filled in", IDP, "a.b_c-9",
        "j.doe_2-x@example.com", 1, NULL, NULL, NULL, { NULL }, 0, NULL, NULL,
        "personal", "home/j.doe_2-x,j.doe_2-x,u/a.b_c-9", 300, NULL, NULL },
    { "preferred_username from the raw claims", IDP, "u-pu", NULL, 0, NULL,
        NULL, "pat", { NULL }, 0, NULL, NULL, "sso-names", "pat", 300, NULL,
        NULL },
    { "deny: a template without its claim grants nothing, and says why", IDP,
        "u-pu", NULL, 0, NULL, NULL, NULL, { NULL }, 0, NULL, NULL, NULL,
        NULL, 0, NULL, "the roles you match grant no principal for your "
        "identity: you match role sso-names, which grants [] "
        "({preferred_username}: your token has no {preferred_username})" },
    { "deny: a preferred_username of the wrong type is no claim", IDP,
        "u-pu", NULL, 0, NULL, NULL, PU_NUMBER, { NULL }, 0, NULL, NULL,
        NULL, NULL, 0, NULL, "the roles you match grant no principal for "
        "your identity: you match role sso-names, which grants [] "
        "({preferred_username}: your token has no {preferred_username})" },
    { "emails compare without case", IDP, "d1", "dana@corp.IO", 1, NULL,
        NULL, NULL, { NULL }, 0, NULL, NULL, "by-email", "dana/box", 300,
        NULL, NULL },
    { "an unverified email never matches emails", IDP, "d1", "dana@corp.io",
        0, NULL, NULL, NULL, { NULL }, 0, NULL, NULL, NULL, NULL, 0, NULL,
        "no role matches you (issuer https://idp, subject d1, groups []); "
        "ask for a role in the policy" },
    { "control characters from a token are not echoed", IDP, "evil\nline",
        NULL, 0, NULL, NULL, NULL, { NULL }, 0, NULL, NULL, NULL, NULL, 0,
        NULL, "no role matches you (issuer https://idp, subject evil?line, "
        "groups []); ask for a role in the policy" },
};

/* The case's claims (the caller frees them) and its request in *rq. */
static struct claims *
case_request(const struct dcase *t, const char **want,
    struct policy_request *rq)
{
    struct claims *c = mk(t->iss, t->sub, t->email, t->verified, t->g1,
        t->g2, t->pu);
    size_t k, nw = 0;

    for (k = 0; k < 3 && t->want[k] != NULL; k++)
        want[nw++] = t->want[k];
    memset(rq, 0, sizeof(*rq));
    rq->claims = c;
    rq->principals = want;
    rq->nprincipals = nw;
    rq->ttl = t->ttl;
    rq->reason = t->reason;
    rq->role = t->role;
    return c;
}

TEST(test_policy_decisions_table)
{
    struct policy *p = load();
    size_t i, k;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct dcase *t = &cases[i];
        const char *want[3] = { 0 };
        struct policy_request rq;
        struct claims *c = case_request(t, want, &rq);
        struct policy_decision *d = NULL;
        char joined[512] = "";
        int r;

        r = policy_decide(p, &rq, &d);
        if (t->erole != NULL) {
            if (r != 0)
                unit_fail(__FILE__, __LINE__, "case \"%s\": denied: %s",
                    t->name, d && d->denial ? d->denial : "?");
            for (k = 0; k < d->nprincipals; k++) {
                if (k)
                    strcat(joined, ",");
                strcat(joined, d->principals[k]);
                if (!principal_valid(d->principals[k]))
                    unit_fail(__FILE__, __LINE__, "case \"%s\": invalid "
                        "principal granted", t->name);
            }
            if (d->principals[d->nprincipals] != NULL ||
                d->extensions[d->nextensions] != NULL || d->denial != NULL)
                unit_fail(__FILE__, __LINE__, "case \"%s\": lists not "
                    "NULL-terminated or denial set", t->name);
            if (strcmp(d->role, t->erole) != 0 ||
                strcmp(joined, t->eprincipals) != 0 || d->ttl != t->ettl)
                unit_fail(__FILE__, __LINE__, "case \"%s\": got role %s "
                    "principals %s ttl %lld", t->name, d->role, joined,
                    (long long)d->ttl);
            if (t->enote != NULL && strcmp(d->ttl_note, t->enote) != 0)
                unit_fail(__FILE__, __LINE__, "case \"%s\": ttl note \"%s\"",
                    t->name, d->ttl_note);
        } else {
            if (r != MESHCA_ERR_POLICY_DENIED || d == NULL ||
                d->denial == NULL || strcmp(d->denial, t->denial) != 0)
                unit_fail(__FILE__, __LINE__, "case \"%s\": r=%d denial "
                    "\"%s\"", t->name, r, d && d->denial ? d->denial : "");
            if (d->role != NULL || d->nprincipals != 0)
                unit_fail(__FILE__, __LINE__, "case \"%s\": a denial with "
                    "a grant in it", t->name);
        }
        policy_decision_free(d);
        claims_free(c);
    }
    policy_unref(p);
}

/* policy_explain reaches the same decision as policy_decide, every case. */
TEST(test_policy_explain_agrees_with_decide_on_every_case)
{
    struct policy *p = load();
    size_t i, k;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct dcase *t = &cases[i];
        const char *want[3] = { 0 };
        struct policy_request rq;
        struct claims *c = case_request(t, want, &rq);
        struct policy_decision *d = NULL;
        json_t *ex, *pr;
        int r;

        r = policy_decide(p, &rq, &d);
        ex = policy_explain(p, &rq);
        ASSERT(ex != NULL);
        ASSERT_STR_EQ(json_string_value(json_object_get(ex, "decision")),
            r == 0 ? "granted" : "denied");
        if (r == 0) {
            ASSERT_STR_EQ(json_string_value(json_object_get(ex, "role")),
                d->role);
            pr = json_object_get(ex, "principals");
            ASSERT_INT_EQ(json_array_size(pr), d->nprincipals);
            for (k = 0; k < d->nprincipals; k++)
                ASSERT_STR_EQ(json_string_value(json_array_get(pr, k)),
                    d->principals[k]);
            ASSERT_INT_EQ(json_integer_value(json_object_get(ex,
                "ttl_seconds")), d->ttl);
        } else
            ASSERT_STR_EQ(json_string_value(json_object_get(ex, "denial")),
                d->denial);
        ASSERT_INT_EQ(json_array_size(json_object_get(ex, "roles")),
            policy_nroles(p));
        json_decref(ex);
        policy_decision_free(d);
        claims_free(c);
    }
    policy_unref(p);
}

TEST(test_policy_options_and_extensions_come_from_exactly_one_role)
{
    struct policy *p = load();
    struct claims *c = mk(IDP, "s1", NULL, 0, "payments-oncall", NULL, NULL);
    struct policy_request rq = { 0 };
    struct policy_decision *d = NULL;

    rq.claims = c;
    ASSERT_OK(policy_decide(p, &rq, &d));
    ASSERT_STR_EQ(d->source_address, "10.0.0.0/8");
    ASSERT(d->force_command == NULL);
    ASSERT_INT_EQ(d->nextensions, 2);
    ASSERT_STR_EQ(d->extensions[0], "permit-pty");
    ASSERT_STR_EQ(d->extensions[1], "permit-port-forwarding");
    policy_decision_free(d);
    claims_free(c);

    /* The debug role: its force-command, default extensions (pty only). */
    c = mk(IDP, "s2", NULL, 0, "payments-dev", NULL, NULL);
    rq.claims = c;
    rq.reason = "INC-9";
    ASSERT_OK(policy_decide(p, &rq, &d));
    ASSERT_STR_EQ(d->role, "payments-debug");
    ASSERT_STR_EQ(d->force_command, "/usr/local/bin/debug-shell");
    ASSERT(d->source_address == NULL);
    ASSERT_INT_EQ(d->nextensions, 1);
    ASSERT_STR_EQ(d->extensions[0], "permit-pty");
    policy_decision_free(d);
    claims_free(c);

    /* Matching both: the oncall role is chosen, and nothing of the debug
     * role (no force-command) leaks into the grant. */
    c = mk(IDP, "s3", NULL, 0, "payments-dev", "payments-oncall", NULL);
    rq.claims = c;
    ASSERT_OK(policy_decide(p, &rq, &d));
    ASSERT_STR_EQ(d->role, "payments-oncall");
    ASSERT(d->force_command == NULL);
    ASSERT_STR_EQ(d->source_address, "10.0.0.0/8");
    policy_decision_free(d);
    claims_free(c);

    /* "extensions": [] means none at all. */
    c = mk(IDP, "s5", NULL, 0, "dba", NULL, NULL);
    rq.claims = c;
    rq.reason = NULL;
    ASSERT_OK(policy_decide(p, &rq, &d));
    ASSERT_STR_EQ(d->role, "dba");
    ASSERT_INT_EQ(d->nextensions, 0);
    ASSERT(d->extensions != NULL && d->extensions[0] == NULL);
    ASSERT(d->force_command == NULL && d->source_address == NULL);
    policy_decision_free(d);
    claims_free(c);
    policy_unref(p);
}

TEST(test_policy_admins)
{
    static const char by_email[] = "{ \"admins\": { \"emails\": "
        "[\"root@corp.io\"] }, \"roles\": [] }";
    static const char none[] = "{ \"roles\": [ { \"name\": \"a\", \"match\": "
        "{ \"groups\": [\"meshca-admins\"] }, \"principals\": [\"p\"] } ] }";
    struct policy *p = load();
    struct claims *a = mk(IDP, "c", NULL, 0, "payments-dev",
        "meshca-admins", NULL);
    struct claims *b = mk(IDP, "b", NULL, 0, "payments-dev", NULL, NULL);
    struct claims *e = mk(IDP, "r", "ROOT@corp.io", 1, NULL, NULL, NULL);
    struct claims *u = mk(IDP, "r", "root@corp.io", 0, NULL, NULL, NULL);

    ASSERT_INT_EQ(policy_is_admin(p, a), 1);
    ASSERT_INT_EQ(policy_is_admin(p, b), 0);
    ASSERT_INT_EQ(policy_is_admin(NULL, a), 0);
    ASSERT_INT_EQ(policy_is_admin(p, NULL), 0);
    policy_unref(p);
    p = load_text(by_email, 3600);
    ASSERT_INT_EQ(policy_is_admin(p, e), 1);
    ASSERT_INT_EQ(policy_is_admin(p, u), 0);  /* unverified email */
    ASSERT_INT_EQ(policy_nroles(p), 0);
    policy_unref(p);
    p = load_text(none, 3600);  /* no admins rule: nobody is an admin */
    ASSERT_INT_EQ(policy_is_admin(p, a), 0);
    policy_unref(p);
    claims_free(a);
    claims_free(b);
    claims_free(e);
    claims_free(u);
}

/* Just-in-time access (#17): approval and break-glass roles. */
TEST(test_policy_approval_and_break_glass)
{
    static const char text[] = "{ \"roles\": [\n"
        " { \"name\": \"db\", \"match\": { \"groups\": [\"dev\"] },\n"
        "   \"principals\": [\"payments/db\"], \"max_ttl\": \"30m\",\n"
        "   \"approval\": { \"approvers\": { \"groups\": [\"leads\"] },\n"
        "                 \"min_approvals\": 2, \"request_ttl\": \"1h\" } },\n"
        " { \"name\": \"bg\", \"match\": { \"groups\": [\"dev\"] },\n"
        "   \"principals\": [\"payments/api\"], \"max_ttl\": \"10m\",\n"
        "   \"break_glass\": true },\n"
        " { \"name\": \"plain\", \"match\": { \"groups\": [\"dev\"] },\n"
        "   \"principals\": [\"x/y\"] } ] }";
    struct policy *p = load_text(text, 3600);
    struct claims *dev = mk(IDP, "d", NULL, 0, "dev", NULL, NULL);
    struct claims *lead = mk(IDP, "l", NULL, 0, "leads", NULL, NULL);
    struct policy_decision *d = NULL;
    struct policy_request rq;
    json_t *who, *want;

    memset(&rq, 0, sizeof(rq));
    rq.claims = dev;
    rq.role = "db";
    /* approval implies a reason */
    ASSERT_INT_EQ(policy_decide(p, &rq, &d), MESHCA_ERR_POLICY_DENIED);
    ASSERT(strstr(d->denial, "requires a reason") != NULL);
    policy_decision_free(d);
    rq.reason = "INC-1";
    ASSERT_INT_EQ(policy_decide(p, &rq, &d), 0);
    ASSERT_INT_EQ(d->min_approvals, 2);
    ASSERT_INT_EQ(d->request_ttl, 3600);
    ASSERT_INT_EQ(d->break_glass, 0);
    policy_decision_free(d);
    rq.role = "bg";
    rq.reason = NULL;
    ASSERT_INT_EQ(policy_decide(p, &rq, &d), MESHCA_ERR_POLICY_DENIED);
    policy_decision_free(d);
    rq.reason = "prod down";
    ASSERT_INT_EQ(policy_decide(p, &rq, &d), 0);
    ASSERT_INT_EQ(d->break_glass, 1);
    ASSERT_INT_EQ(d->min_approvals, 0);
    ASSERT_INT_EQ(d->ttl, 300);
    policy_decision_free(d);
    rq.role = "plain";
    rq.reason = NULL;
    ASSERT_INT_EQ(policy_decide(p, &rq, &d), 0);
    ASSERT_INT_EQ(d->min_approvals + d->break_glass, 0);
    policy_decision_free(d);
    ASSERT_INT_EQ(policy_is_approver(p, "db", lead), 1);
    ASSERT_INT_EQ(policy_is_approver(p, "db", dev), 0);
    ASSERT_INT_EQ(policy_is_approver(p, "plain", lead), 0);
    ASSERT_INT_EQ(policy_is_approver(p, "nope", lead), 0);
    ASSERT((who = policy_approvers_json(p, "db")) != NULL);
    want = json_pack("{s:[s]}", "groups", "leads");
    ASSERT(json_equal(who, want));
    json_decref(want);
    json_decref(who);
    ASSERT(policy_approvers_json(p, "bg") == NULL);
    rq.role = "db";
    rq.reason = "INC-1";
    ASSERT((who = policy_explain(p, &rq)) != NULL);
    ASSERT_INT_EQ(json_integer_value(json_object_get(json_object_get(who,
        "approval"), "min_approvals")), 2);
    json_decref(who);
    policy_unref(p);
    claims_free(dev);
    claims_free(lead);
}

TEST(test_policy_explain_says_why_per_role)
{
    struct policy *p = load();
    struct claims *c = mk(IDP, "s2", "bob@example.com", 1, "payments-dev",
        NULL, NULL);
    struct policy_request rq = { 0 };
    const char *want[] = { "payments/api", "home/bob" };
    json_t *ex, *roles, *r0, *r1, *r3, *req;

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
    ASSERT_STR_EQ(json_string_value(json_object_get(ex, "ttl_note")),
        "asked 1h, capped by max_ttl 10m of role payments-debug");
    ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(ex,
        "critical_options"), "force-command")), "/usr/local/bin/debug-shell");
    ASSERT_INT_EQ(strlen(json_string_value(json_object_get(ex,
        "policy_version"))), 64);
    roles = json_object_get(ex, "roles");
    ASSERT_INT_EQ(json_array_size(roles), 6);
    r0 = json_array_get(roles, 0);
    ASSERT(json_is_false(json_object_get(r0, "matched")));
    ASSERT_STR_EQ(json_string_value(json_object_get(r0, "failed_key")),
        "groups");
    ASSERT_STR_EQ(json_string_value(json_object_get(r0, "why")),
        "none of your groups [payments-dev] is in [payments-oncall]");
    r1 = json_array_get(roles, 1);
    ASSERT(json_is_true(json_object_get(r1, "matched")));
    ASSERT(json_is_true(json_object_get(r1, "chosen")));
    ASSERT_STR_EQ(json_string_value(json_object_get(r1, "why")), "matched");
    ASSERT_INT_EQ(json_array_size(json_object_get(r1, "missing")), 0);
    r3 = json_array_get(roles, 3);  /* personal: matched via the domain */
    ASSERT(json_is_true(json_object_get(r3, "matched")));
    ASSERT(json_is_false(json_object_get(r3, "chosen")));
    ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(r3,
        "grants"), 0)), "home/bob");
    ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(r3,
        "missing"), 0)), "payments/api");
    req = json_array_get(json_object_get(ex, "requested"), 0);
    ASSERT_STR_EQ(json_string_value(json_object_get(req, "principal")),
        "payments/api");
    ASSERT(json_is_true(json_object_get(req, "granted")));
    ASSERT_INT_EQ(json_array_size(json_object_get(req, "granted_by")), 1);
    ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(ex,
        "identity"), "email")), "bob@example.com");
    json_decref(ex);

    /* Denied: the explanation names the failing key of each role and the
     * skipped template with its reason. */
    claims_free(c);
    c = mk("https://other", "x/y", NULL, 0, "dba", NULL, NULL);
    rq.claims = c;
    rq.principals = want + 1;
    rq.nprincipals = 1;
    ex = policy_explain(p, &rq);
    ASSERT(ex != NULL);
    ASSERT_STR_EQ(json_string_value(json_object_get(ex, "decision")),
        "denied");
    roles = json_object_get(ex, "roles");
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(roles, 0),
        "why")), "your issuer https://other is not https://idp");
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(roles, 1),
        "failed_key")), "groups");
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(roles, 3),
        "why")), "email_domains needs a verified email and your token has "
        "none");
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(roles, 4),
        "failed_key")), "subjects");
    ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(
        json_array_get(roles, 3), "skipped"), 2)),
        "u/{sub}: your {sub} \"x/y\" holds '/', which would reach into "
        "another namespace or service");
    ASSERT(json_is_false(json_object_get(json_array_get(json_object_get(ex,
        "requested"), 0), "granted")));
    json_decref(ex);
    claims_free(c);
    policy_unref(p);
}

TEST(test_policy_version_is_sha256_of_bytes_and_refcount_works)
{
    struct policy *p = load(), *q = NULL;
    struct diags d = { 0 };
    unsigned char md[SHA256_DIGEST_LENGTH];
    char hex[65], path[512];
    size_t i;

    SHA256((const unsigned char *)policy_json, strlen(policy_json), md);
    for (i = 0; i < sizeof(md); i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    ASSERT_STR_EQ(policy_version(p), hex);
    ASSERT_STR_EQ(policy_text(p), policy_json);
    ASSERT_INT_EQ(policy_nroles(p), 6);
    ASSERT_STR_EQ(policy_role_name(p, 2), "dba");
    ASSERT(policy_role_name(p, 6) == NULL);
    /* The same bytes from a file: the same version. */
    snprintf(path, sizeof(path), "%s/policy.json", unit_tmpdir());
    unit_write_file(path, policy_json, strlen(policy_json));
    ASSERT_OK(policyfile_load(path, 3600, &q, &d));
    ASSERT_STR_EQ(policy_version(q), hex);
    policy_unref(q);
    policy_ref(p);
    policy_unref(p);
    ASSERT_STR_EQ(policy_version(p), hex); /* still alive */
    policy_unref(p);
    policy_unref(NULL);
    policy_ref(NULL);
    diags_clear(&d);
}

struct worker {
    struct policy *p;
    int granted;
};

static void *
worker_run(void *arg)
{
    struct worker *w = arg;
    const char *want[] = { "payments/api" };
    char *groups[] = { "payments-oncall" };
    struct claims c;
    struct policy_request rq;
    struct policy_decision *d;
    int i;

    memset(&c, 0, sizeof(c));
    c.iss = IDP;
    c.sub = "s1";
    c.groups = groups;
    c.ngroups = 1;
    memset(&rq, 0, sizeof(rq));
    rq.claims = &c;
    rq.principals = want;
    rq.nprincipals = 1;
    for (i = 0; i < 20000; i++) {
        d = NULL;
        if (policy_decide(w->p, &rq, &d) == 0 &&
            strcmp(d->principals[0], "payments/api") == 0)
            w->granted++;
        policy_decision_free(d);
    }
    policy_unref(w->p);  /* the last thread to finish frees it */
    return NULL;
}

/* Threads decide on one policy while its loader drops its reference (what
 * a SIGHUP swap does); the last unref frees it (ASan in SAN=1 builds would
 * see a use after free or a leak). */
TEST(test_policy_is_shared_by_threads_and_freed_by_the_last_ref)
{
    struct policy *p = load();
    struct worker w[4];
    pthread_t th[4];
    int i;

    for (i = 0; i < 4; i++) {
        policy_ref(p);
        w[i].p = p;
        w[i].granted = 0;
        ASSERT_INT_EQ(pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
    }
    policy_unref(p);
    for (i = 0; i < 4; i++) {
        ASSERT_INT_EQ(pthread_join(th[i], NULL), 0);
        ASSERT_INT_EQ(w[i].granted, 20000);
    }
}

TEST(test_policy_default_ttls_follow_max_and_ceiling)
{
    static const char text[] = "{ \"roles\": [ { \"name\": \"a\", \"match\": "
        "{ \"groups\": [\"g\"] }, \"principals\": [\"p\"] } ] }";
    struct policy *p = load_text(text, 120);
    struct claims *c = mk(IDP, "s", NULL, 0, "g", NULL, NULL);
    struct policy_request rq = { 0 };
    struct policy_decision *d = NULL;

    rq.claims = c;
    ASSERT_OK(policy_decide(p, &rq, &d));
    ASSERT_INT_EQ(d->ttl, 120);  /* default 5m capped by max = ceiling 2m */
    policy_decision_free(d);
    rq.ttl = 3600;
    ASSERT_OK(policy_decide(p, &rq, &d));
    ASSERT_INT_EQ(d->ttl, 120);
    ASSERT_STR_EQ(d->ttl_note, "asked 1h, capped by max_ttl 2m of role a");
    policy_decision_free(d);
    policy_unref(p);
    p = load_text(text, 3600);
    ASSERT_OK(policy_decide(p, &rq, &d));
    ASSERT_INT_EQ(d->ttl, POLICY_DEFAULT_MAX_TTL);
    policy_decision_free(d);
    rq.ttl = 0;
    ASSERT_OK(policy_decide(p, &rq, &d));
    ASSERT_INT_EQ(d->ttl, POLICY_DEFAULT_TTL);
    policy_decision_free(d);
    policy_unref(p);
    claims_free(c);
}

TEST(test_policy_refuses_bad_requests)
{
    struct policy *p = load();
    struct claims *c = mk(IDP, "s1", NULL, 0, "payments-oncall", NULL, NULL);
    struct policy_request rq = { 0 };
    struct policy_decision *d = NULL;
    const char *many[PRINCIPALS_MAX + 1];
    size_t i;

    ASSERT_ERR(policy_decide(p, &rq, &d), MESHCA_ERR_INVALID_ARGUMENT);
    ASSERT(d == NULL);
    ASSERT(policy_explain(p, &rq) == NULL);
    rq.claims = c;
    rq.nprincipals = 1;  /* but no array */
    ASSERT_ERR(policy_decide(p, &rq, &d), MESHCA_ERR_INVALID_ARGUMENT);
    for (i = 0; i < PRINCIPALS_MAX + 1; i++)
        many[i] = "payments/api";
    rq.principals = many;
    rq.nprincipals = PRINCIPALS_MAX + 1;
    ASSERT_ERR(policy_decide(p, &rq, &d), MESHCA_ERR_POLICY_DENIED);
    ASSERT_STR_EQ(d->denial, "too many principals requested (257; at most "
        "256)");
    policy_decision_free(d);
    d = NULL;
    rq.nprincipals = PRINCIPALS_MAX;
    ASSERT_OK(policy_decide(p, &rq, &d));
    ASSERT_INT_EQ(d->nprincipals, 1);
    policy_decision_free(d);
    policy_decision_free(NULL);
    claims_free(c);
    policy_unref(p);
}

/* Long multibyte claims are cut on a character boundary: the denial stays
 * valid UTF-8, so it still fits in JSON. */
TEST(test_policy_denials_stay_valid_utf8)
{
    struct policy *p = load();
    char sub[1200];
    struct claims *c;
    struct policy_request rq = { 0 };
    json_t *ex;
    size_t i;

    for (i = 0; i + 2 < sizeof(sub); i += 2)
        memcpy(sub + i, "\xc3\xa9", 2);  /* é */
    sub[i] = '\0';
    c = mk(IDP, sub, NULL, 0, NULL, NULL, NULL);
    rq.claims = c;
    ex = policy_explain(p, &rq);
    ASSERT(ex != NULL);
    ASSERT(json_is_string(json_object_get(ex, "denial")));
    ASSERT(strstr(json_string_value(json_object_get(ex, "denial")),
        "...") != NULL);
    json_decref(ex);
    claims_free(c);
    policy_unref(p);
}

/* The sample policy `make run` uses, with the test identity provider's
 * accounts. */
TEST(test_policy_example_serves_alice_bob_and_carol)
{
    const char *top = getenv("MESHCA_TOP");
    char path[1024];
    struct policy *p = NULL;
    struct diags dg = { 0 };
    struct claims *c;
    struct policy_request rq = { 0 };
    struct policy_decision *d = NULL;

    snprintf(path, sizeof(path), "%s/contrib/policy.example.json",
        top ? top : ".");
    ASSERT_OK(policyfile_load(path, 3600, &p, &dg));
    c = mk("http://127.0.0.1:9443", "alice", "alice@example.com", 1,
        "payments-oncall", NULL, NULL);
    rq.claims = c;
    ASSERT_OK(policy_decide(p, &rq, &d));
    ASSERT_STR_EQ(d->role, "payments-oncall");
    ASSERT_INT_EQ(d->nprincipals, 2);
    policy_decision_free(d);
    claims_free(c);
    c = mk("http://127.0.0.1:9443", "bob", "bob@example.com", 1,
        "payments-dev", NULL, NULL);
    rq.claims = c;
    ASSERT_ERR(policy_decide(p, &rq, &d), MESHCA_ERR_POLICY_DENIED);
    ASSERT(strstr(d->denial, "requires a reason") != NULL);
    policy_decision_free(d);
    rq.reason = "INC-1";
    ASSERT_OK(policy_decide(p, &rq, &d));
    ASSERT_STR_EQ(d->force_command, "/usr/local/bin/debug-shell");
    policy_decision_free(d);
    claims_free(c);
    c = mk("http://127.0.0.1:9443", "carol", "carol@example.com", 1,
        "meshca-admins", NULL, NULL);
    rq.claims = c;
    ASSERT_INT_EQ(policy_is_admin(p, c), 1);
    ASSERT_OK(policy_decide(p, &rq, &d));
    ASSERT_STR_EQ(d->principals[1], "carol");
    policy_decision_free(d);
    claims_free(c);
    policy_unref(p);
    diags_clear(&dg);
}

struct lcase {
    const char *json;
    const char *msg;   /* exactly one of the messages */
};

#define ROLE_HEAD "{\"roles\": [{\"name\": \"a\", \"match\": {\"groups\": [\"g\"]}, "

static const struct lcase load_cases[] = {
    { "{\"roles\": [}", "policy.json:1:12: unexpected token near '}'" },
    { "", "policy.json:1:0: '[' or '{' expected near end of file" },
    { "[]", "policy.json:1:1: the policy must be a JSON object with \"roles\"" },
    { "{\"roles\": [], \"rolez\": 1}", "policy.json: rolez: unknown key "
      "(expected one of: admins, roles, description, hosts)" },
    { "{}", "policy.json: roles: missing (required: a list of roles; with "
      "none, everyone is denied)" },
    { "{\"roles\": {}}", "policy.json: roles: must be an array of roles" },
    { ROLE_HEAD "\"principals\": [\"p\"], \"max_ttl\": \"20h\"}]}",
      "policy.json: roles[0].max_ttl: 20h exceeds the ceiling 1h" },
    { ROLE_HEAD "\"principals\": [\"p\"], \"max_ttl\": \"0s\"}]}",
      "policy.json: roles[0].max_ttl: must be positive" },
    { ROLE_HEAD "\"principals\": [\"p\"], \"max_ttl\": \"10m\", "
      "\"default_ttl\": \"15m\"}]}",
      "policy.json: roles[0].default_ttl: 15m exceeds max_ttl 10m" },
    { ROLE_HEAD "\"principals\": [\"p\"], \"default_ttl\": \"30m\"}]}",
      "policy.json: roles[0].default_ttl: 30m exceeds max_ttl 15m (the "
      "default; set max_ttl)" },
    { ROLE_HEAD "\"principals\": [\"p\"], \"max_ttl\": \"ten\"}]}",
      "policy.json: roles[0].max_ttl: \"ten\" is not a duration (use a "
      "number with a unit: 90s, 5m, 1h)" },
    { ROLE_HEAD "\"principals\": [\"p\"], \"max_ttl\": 600}]}",
      "policy.json: roles[0].max_ttl: must be a duration string such as "
      "\"5m\", not an integer" },
    { ROLE_HEAD "\"principals\": [\"a b\"]}]}",
      "policy.json: roles[0].principals[0]: \"a b\": not a valid principal "
      "(1-255 characters, no spaces, commas, '#' or control characters)" },
    { ROLE_HEAD "\"principals\": [\"p\", \"p\"]}]}",
      "policy.json: roles[0].principals[1]: \"p\" is listed twice" },
    { ROLE_HEAD "\"principals\": []}]}",
      "policy.json: roles[0].principals: must grant at least one principal" },
    { ROLE_HEAD "\"principals\": [\"{nope}\"]}]}",
      "policy.json: roles[0].principals[0]: \"{nope}\": unknown template "
      "{nope} (known: {sub}, {email}, {email_local}, {preferred_username}, "
      "{spiffe_path}, {spiffe_segment[N]})" },
    { ROLE_HEAD "\"principals\": [\"a}\"]}]}",
      "policy.json: roles[0].principals[0]: \"a}\": unmatched '}'" },
    { ROLE_HEAD "\"principals\": [\"p\"], \"extensions\": "
      "[\"permit-everything\"]}]}",
      "policy.json: roles[0].extensions[0]: \"permit-everything\" is not an "
      "OpenSSH extension (permit-pty, permit-port-forwarding, "
      "permit-agent-forwarding, permit-X11-forwarding, permit-user-rc, "
      "no-touch-required)" },
    { ROLE_HEAD "\"principals\": [\"p\"], \"extensions\": "
      "[\"login@example.com\"]}]}",
      "policy.json: roles[0].extensions[0]: \"login@example.com\" is not an "
      "OpenSSH extension (permit-pty, permit-port-forwarding, "
      "permit-agent-forwarding, permit-X11-forwarding, permit-user-rc, "
      "no-touch-required)" },
    { ROLE_HEAD "\"principals\": [\"p\"], \"critical_options\": "
      "{\"source-address\": \"10.0.0.0/99\"}}]}",
      "policy.json: roles[0].critical_options.source-address: \"10.0.0.0/99\" "
      "is not a list of addresses or CIDR blocks (e.g. "
      "\"10.0.0.0/8,192.0.2.7\")" },
    { ROLE_HEAD "\"principals\": [\"p\"], \"critical_options\": "
      "{\"verify-required\": \"\"}}]}",
      "policy.json: roles[0].critical_options.verify-required: unknown key "
      "(expected one of: force-command, source-address)" },
    { ROLE_HEAD "\"principals\": [\"p\"], \"critical_options\": "
      "{\"force-command\": \"a\\nb\"}}]}",
      "policy.json: roles[0].critical_options.force-command: not an "
      "acceptable command (no control characters, at most 4096 bytes)" },
    { ROLE_HEAD "\"principals\": [\"p\"], \"require_reason\": 1}]}",
      "policy.json: roles[0].require_reason: must be true or false, not an "
      "integer" },
    { "{\"roles\": [{\"name\": \"a\", \"match\": {}, \"principals\": [\"p\"]}]}",
      "policy.json: roles[0].match: an empty match would match everyone; name "
      "issuer, groups, emails, email_domains or subjects (or say "
      "\"any_authenticated\": true if that is really meant)" },
    { "{\"roles\": [{\"name\": \"a\", \"match\": {\"subjects\": []}, "
      "\"principals\": [\"p\"]}]}",
      "policy.json: roles[0].match.subjects: an empty list matches no one; "
      "name at least one entry or remove the key" },
    { "{\"roles\": [{\"name\": \"a\", \"match\": {\"any_authenticated\": "
      "true, \"groups\": [\"g\"]}, \"principals\": [\"p\"]}]}",
      "policy.json: roles[0].match: any_authenticated cannot be combined "
      "with groups, emails, email_domains or subjects" },
    { "{\"roles\": [{\"name\": \"a\", \"match\": {\"email_domains\": "
      "[\"@corp.io\"]}, \"principals\": [\"p\"]}]}",
      "policy.json: roles[0].match.email_domains[0]: \"@corp.io\" is not a "
      "domain (write example.com, without @)" },
    { "{\"roles\": [{\"name\": \"a\", \"match\": {\"emails\": "
      "[\"alice\"]}, \"principals\": [\"p\"]}]}",
      "policy.json: roles[0].match.emails[0]: \"alice\" is not an email "
      "address" },
    { "{\"roles\": [{\"name\": \"a\", \"match\": {\"groups\": [\"g\"]}, "
      "\"principals\": [\"p\"]}, {\"name\": \"a\", \"match\": {\"groups\": "
      "[\"g\"]}, \"principals\": [\"p\"]}]}",
      "policy.json: roles[1].name: \"a\" is already the name of roles[0]" },
    { "{\"roles\": [{\"name\": \"a b\", \"match\": {\"groups\": [\"g\"]}, "
      "\"principals\": [\"p\"]}]}",
      "policy.json: roles[0].name: \"a b\" must be 1-64 letters, digits and "
      "- _ ." },
    { "{\"roles\": [{\"name\": \"a\", \"match\": {\"groups\": \"g\"}, "
      "\"principals\": [\"p\"]}]}",
      "policy.json: roles[0].match.groups: must be an array of strings, not "
      "a string" },
    { "{\"roles\": [{\"name\": \"a\", \"match\": {\"groups\": [1]}, "
      "\"principals\": [\"p\"]}]}",
      "policy.json: roles[0].match.groups[0]: must be a non-empty string, "
      "not an integer" },
    { "{\"roles\": [{\"name\": \"a\", \"match\": {\"group\": [\"g\"]}, "
      "\"principals\": [\"p\"]}]}",
      "policy.json: roles[0].match.group: unknown key (expected one of: "
      "issuer, groups, emails, email_domains, subjects, any_authenticated, spiffe_ids)" },
    { "{\"admins\": {\"any_authenticated\": true}, \"roles\": []}",
      "policy.json: admins.any_authenticated: would make everyone an admin; "
      "name groups, emails or subjects" },
    { "{\"roles\": [{\"name\": \"a\", \"name\": \"b\"}]}",
      "policy.json:1:31: duplicate object key near '\"name\"'" },
    { ROLE_HEAD "\"principals\": [\"p\"], \"approval\": {\"min_approvals\": 0}}]}",
      "policy.json: roles[0].approval.min_approvals: must be at least 1" },
    { ROLE_HEAD "\"principals\": [\"p\"], \"approval\": {\"min_approvals\": 1}}]}",
      "policy.json: roles[0].approval.approvers: missing (required: who may "
      "approve requests)" },
    { ROLE_HEAD "\"principals\": [\"p\"], \"approval\": {\"approvers\": "
      "{\"any_authenticated\": true}}}]}",
      "policy.json: roles[0].approval.approvers.any_authenticated: would make "
      "everyone an approver; name groups, emails or subjects" },
    { ROLE_HEAD "\"principals\": [\"p\"], \"approval\": {\"approvers\": "
      "{\"groups\": [\"a\"]}, \"request_ttl\": \"30d\"}}]}",
      "policy.json: roles[0].approval.request_ttl: must be positive and at "
      "most 7d" },
    { ROLE_HEAD "\"principals\": [\"p\"], \"approval\": {\"approvers\": "
      "{\"groups\": [\"a\"]}, \"quorum\": 2}}]}",
      "policy.json: roles[0].approval.quorum: unknown key (expected one of: "
      "approvers, min_approvals, request_ttl)" },
    { ROLE_HEAD "\"principals\": [\"p\"], \"max_ttl\": \"10m\", "
      "\"break_glass\": true, \"approval\": {\"approvers\": "
      "{\"groups\": [\"a\"]}}}]}",
      "policy.json: roles[0]: a role is either break_glass (issued at once) "
      "or needs approval, not both" },
    { ROLE_HEAD "\"principals\": [\"p\"], \"break_glass\": true}]}",
      "policy.json: roles[0].max_ttl: required with break_glass (a short "
      "lifetime, at most 1h)" },
    { ROLE_HEAD "\"principals\": [\"p\"], \"max_ttl\": \"2h\", "
      "\"break_glass\": true}]}",
      "policy.json: roles[0].max_ttl: a break_glass role may grant at most 1h" },
    { "{\"roles\": [7]}", "policy.json: roles[0]: must be an object" },
};

TEST(test_policy_load_errors_are_exact)
{
    struct policy *p;
    struct diags d = { 0 };
    size_t i, k;
    int found;

    for (i = 0; i < sizeof(load_cases) / sizeof(load_cases[0]); i++) {
        p = (struct policy *)&d;  /* must be reset to NULL */
        if (policy_load_buf(load_cases[i].json, strlen(load_cases[i].json),
            "policy.json", 3600, &p, &d) != MESHCA_ERR_POLICY_INVALID)
            unit_fail(__FILE__, __LINE__, "case %zu accepted", i);
        ASSERT(p == NULL);
        for (k = 0, found = 0; k < d.n; k++)
            found |= strcmp(d.msgs[k], load_cases[i].msg) == 0;
        if (!found)
            unit_fail(__FILE__, __LINE__, "case %zu: \"%s\" not among %zu "
                "messages (first: %s)", i, load_cases[i].msg, d.n,
                d.n ? d.msgs[0] : "none");
        diags_clear(&d);
    }
}

/* Every problem of a file in one run, not just the first. */
TEST(test_policy_load_collects_every_error)
{
    static const char text[] = "{ \"admins\": {}, \"roles\": [\n"
        "{ \"name\": \"a\", \"match\": { \"groups\": [\"g\"] }, "
        "\"principals\": [\"x y\"], \"max_ttl\": \"2h\" },\n"
        "{ \"name\": \"b\", \"match\": {}, \"principals\": [\"p\"], "
        "\"extensions\": [\"nope\"] } ] }";
    struct policy *p = NULL;
    struct diags d = { 0 };

    ASSERT_ERR(policy_load_buf(text, strlen(text), "f.json", 3600, &p, &d),
        MESHCA_ERR_POLICY_INVALID);
    ASSERT_INT_EQ(d.n, 5);
    ASSERT(strncmp(d.msgs[0], "f.json: admins: an empty match", 30) == 0);
    ASSERT(strncmp(d.msgs[1], "f.json: roles[0].principals[0]", 30) == 0);
    ASSERT_STR_EQ(d.msgs[2], "f.json: roles[0].max_ttl: 2h exceeds the "
        "ceiling 1h");
    ASSERT(strncmp(d.msgs[3], "f.json: roles[1].match: an empty", 32) == 0);
    ASSERT(strncmp(d.msgs[4], "f.json: roles[1].extensions[0]", 30) == 0);
    diags_clear(&d);
    /* Invalid arguments are refused without touching d. */
    ASSERT_ERR(policy_load_buf(text, strlen(text), "f.json", 0, &p, &d),
        MESHCA_ERR_INVALID_ARGUMENT);
    ASSERT_INT_EQ(d.n, 0);
    ASSERT_ERR(policyfile_load("/nonexistent/policy.json", 3600, &p, &d),
        MESHCA_ERR_POLICY_INVALID);
    ASSERT_STR_EQ(d.msgs[0], "/nonexistent/policy.json: cannot open: No such "
        "file or directory");
    diags_clear(&d);
}

UNIT_MAIN(T(test_policy_decisions_table),
    T(test_policy_explain_agrees_with_decide_on_every_case),
    T(test_policy_options_and_extensions_come_from_exactly_one_role),
    T(test_policy_admins), T(test_policy_approval_and_break_glass), T(test_policy_explain_says_why_per_role),
    T(test_policy_version_is_sha256_of_bytes_and_refcount_works),
    T(test_policy_is_shared_by_threads_and_freed_by_the_last_ref),
    T(test_policy_default_ttls_follow_max_and_ceiling),
    T(test_policy_refuses_bad_requests),
    T(test_policy_denials_stay_valid_utf8),
    T(test_policy_example_serves_alice_bob_and_carol),
    T(test_policy_load_errors_are_exact),
    T(test_policy_load_collects_every_error))
