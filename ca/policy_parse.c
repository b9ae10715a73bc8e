/*
 * The policy: loading and validation (every problem collected, syntax with
 * FILE:LINE:COL, meaning with FILE: json.path), reference counting and
 * accessors.  Decisions are in policy.c.  See meshca/policy.h.
 */
#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "meshca/cert.h"
#include "meshca/duration.h"
#include "meshca/hex.h"
#include "meshca/jsonv.h"
#include "meshca/policy.h"
#include "meshca/principal.h"
#include "meshca/spiffe.h"
#include "policy_int.h"

const char *const policy_template_vars[] = { "sub", "email", "email_local",
    "preferred_username", NULL };

/* OpenSSH's certificate extensions (PROTOCOL.certkeys); nothing else. */
static const char *const ssh_extensions[] = { "permit-X11-forwarding",
    "permit-agent-forwarding", "permit-port-forwarding", "permit-pty",
    "permit-user-rc", "no-touch-required", NULL };

#define ROLE_NAME_MAX 64

static void
match_free(struct policy_match *m)
{
    free(m->issuer);
    jsonv_strv_free(m->groups, m->ngroups);
    jsonv_strv_free(m->emails, m->nemails);
    jsonv_strv_free(m->domains, m->ndomains);
    jsonv_strv_free(m->subjects, m->nsubjects);
    jsonv_strv_free(m->spiffe_ids, m->nspiffe_ids);
    memset(m, 0, sizeof(*m));
}

/* A list key of a match: present lists must name at least one entry (an
 * empty list would silently drop the condition or match no one). */
static void
match_list(const json_t *j, const char *key, const char *path, char ***vp,
    size_t *np, struct diags *d)
{
    if (jsonv_strings(j, key, path, 0, vp, np, d) == 1 && *np == 0)
        diags_add(d, "%s.%s: an empty list matches no one; name at least "
            "one entry or remove the key", path, key);
}

static void
parse_match(const json_t *j, const char *path, int admins,
    struct policy_match *m, struct diags *d)
{
    static const char *const keys[] = { "issuer", "groups", "emails",
        "email_domains", "subjects", "any_authenticated", "spiffe_ids",
        NULL };
    size_t before = d->n, i, nlists;
    char why[160];

    m->present = 1;
    if (!jsonv_object(j, path, keys, d))
        return;
    jsonv_string(j, "issuer", path, 0, &m->issuer, d);
    match_list(j, "groups", path, &m->groups, &m->ngroups, d);
    match_list(j, "emails", path, &m->emails, &m->nemails, d);
    match_list(j, "email_domains", path, &m->domains, &m->ndomains, d);
    match_list(j, "subjects", path, &m->subjects, &m->nsubjects, d);
    match_list(j, "spiffe_ids", path, &m->spiffe_ids, &m->nspiffe_ids, d);
    for (i = 0; i < m->nspiffe_ids; i++)
        if (spiffe_pattern_check(m->spiffe_ids[i], why, sizeof(why)) != 0)
            diags_add(d, "%s.spiffe_ids[%zu]: \"%.300s\": %s", path, i,
                m->spiffe_ids[i], why);
    jsonv_bool(j, "any_authenticated", path, 0, &m->any, d);
    for (i = 0; i < m->nemails; i++)
        if (m->emails[i] != NULL && strchr(m->emails[i], '@') == NULL)
            diags_add(d, "%s.emails[%zu]: \"%s\" is not an email address",
                path, i, m->emails[i]);
    for (i = 0; i < m->ndomains; i++)
        if (m->domains[i] != NULL && (strchr(m->domains[i], '@') != NULL ||
            strpbrk(m->domains[i], " \t\r\n") != NULL))
            diags_add(d, "%s.email_domains[%zu]: \"%s\" is not a domain "
                "(write example.com, without @)", path, i, m->domains[i]);
    if (d->n != before)
        return;
    nlists = m->ngroups + m->nemails + m->ndomains + m->nsubjects +
        m->nspiffe_ids;
    if (m->any && admins)
        diags_add(d, "%s.any_authenticated: would make everyone %s; "
            "name groups, emails or subjects", path,
            admins == 2 ? "an approver" : "an admin");
    else if (m->any && nlists > 0)
        diags_add(d, "%s: any_authenticated cannot be combined with groups, "
            "emails, email_domains or subjects", path);
    else if (!m->any && nlists == 0 && m->issuer == NULL)
        diags_add(d, "%s: an empty match would match everyone; name issuer, "
            "groups, emails, email_domains or subjects (or say "
            "\"any_authenticated\": true if that is really meant)", path);
    else if (!m->any && nlists == 0)
        diags_add(d, "%s: matching on issuer alone admits everyone that "
            "issuer knows; add groups, emails, email_domains or subjects, or "
            "\"any_authenticated\": true", path);
}

/* Checks a principal pattern: its {vars} are known and, filled with a
 * sample value, it is a valid principal.  Returns 1 when it holds a
 * template, 0 for a literal, -1 with the reason in why. */
static int
check_pattern(const char *pat, char *why, size_t whylen)
{
    char sample[PRINCIPAL_MAX_LEN + 2];
    const char *p = pat, *close;
    size_t o = 0, i, vlen;
    int known, templated = 0;

    while (*p != '\0') {
        if (o + 2 >= sizeof(sample)) {
            snprintf(why, whylen, "longer than %d characters",
                PRINCIPAL_MAX_LEN);
            return -1;
        }
        if (*p == '{') {
            if ((close = strchr(p, '}')) == NULL) {
                snprintf(why, whylen, "unclosed '{'");
                return -1;
            }
            vlen = (size_t)(close - p - 1);
            known = policy_spiffe_var(p + 1, vlen, &i) != 0;
            for (i = 0; !known && policy_template_vars[i] != NULL; i++)
                if (strlen(policy_template_vars[i]) == vlen &&
                    strncmp(p + 1, policy_template_vars[i], vlen) == 0)
                    known = 1;
            if (!known) {
                snprintf(why, whylen, "unknown template {%.*s} (known: "
                    "{sub}, {email}, {email_local}, {preferred_username}, "
                    "{spiffe_path}, {spiffe_segment[N]})",
                    (int)(vlen > 64 ? 64 : vlen), p + 1);
                return -1;
            }
            sample[o++] = 'x';
            templated = 1;
            p = close + 1;
        } else if (*p == '}') {
            snprintf(why, whylen, "unmatched '}'");
            return -1;
        } else
            sample[o++] = *p++;
    }
    sample[o] = '\0';
    if (!principal_valid(sample)) {
        snprintf(why, whylen, "not a valid principal (" PRINCIPAL_RULE ")");
        return -1;
    }
    return templated;
}

static int
is_ssh_extension(const char *s)
{
    size_t i;

    for (i = 0; ssh_extensions[i] != NULL; i++)
        if (strcmp(ssh_extensions[i], s) == 0)
            return 1;
    return 0;
}

/* Reports v[i] when an earlier entry of v is the same string. */
static void
check_repeat(char *const *v, size_t i, const char *path, const char *field,
    struct diags *d)
{
    size_t k;

    for (k = 0; k < i; k++)
        if (strcmp(v[k], v[i]) == 0) {
            diags_add(d, "%s.%s[%zu]: \"%s\" is listed twice", path, field,
                i, v[i]);
            break;
        }
}

static void
parse_principals(const json_t *j, const char *path, struct policy_role *r,
    struct diags *d)
{
    char why[256];
    size_t i;
    int t;

    if (jsonv_strings(j, "principals", path, 1, &r->principals,
        &r->nprincipals, d) != 1)
        return;
    if (r->nprincipals == 0)
        diags_add(d, "%s.principals: must grant at least one principal",
            path);
    else if (r->nprincipals > PRINCIPALS_MAX)
        diags_add(d, "%s.principals: at most %d (a certificate holds no "
            "more)", path, PRINCIPALS_MAX);
    if ((r->templated = calloc(r->nprincipals + 1, 1)) == NULL) {
        diags_add(d, "%s.principals: out of memory", path);
        return;
    }
    for (i = 0; i < r->nprincipals; i++) {
        if ((t = check_pattern(r->principals[i], why, sizeof(why))) < 0) {
            diags_add(d, "%s.principals[%zu]: \"%.300s\": %s", path, i,
                r->principals[i], why);
            continue;
        }
        r->templated[i] = (unsigned char)t;
        check_repeat(r->principals, i, path, "principals", d);
    }
}

static void
parse_ttls(const json_t *j, const char *path, int64_t ceiling,
    struct policy_role *r, struct diags *d)
{
    char b1[32], b2[32];
    int has_default, has_max;

    has_max = jsonv_duration(j, "max_ttl", path, 0, &r->max_ttl, d);
    has_default = jsonv_duration(j, "default_ttl", path, 0, &r->default_ttl,
        d);
    if (has_max == 1) {
        if (r->max_ttl <= 0)
            diags_add(d, "%s.max_ttl: must be positive", path);
        else if (r->max_ttl > ceiling)
            diags_add(d, "%s.max_ttl: %s exceeds the ceiling %s", path,
                duration_format(r->max_ttl, b1, sizeof(b1)),
                duration_format(ceiling, b2, sizeof(b2)));
    } else if (has_max == 0)
        r->max_ttl = POLICY_DEFAULT_MAX_TTL < ceiling ? POLICY_DEFAULT_MAX_TTL
                                                      : ceiling;
    if (has_default == 1) {
        if (r->default_ttl <= 0)
            diags_add(d, "%s.default_ttl: must be positive", path);
        else if (has_max == 1 && r->default_ttl > r->max_ttl)
            diags_add(d, "%s.default_ttl: %s exceeds max_ttl %s", path,
                duration_format(r->default_ttl, b1, sizeof(b1)),
                duration_format(r->max_ttl, b2, sizeof(b2)));
        else if (has_max == 0 && r->default_ttl > r->max_ttl)
            diags_add(d, "%s.default_ttl: %s exceeds max_ttl %s (the "
                "default; set max_ttl)", path,
                duration_format(r->default_ttl, b1, sizeof(b1)),
                duration_format(r->max_ttl, b2, sizeof(b2)));
    } else if (has_default == 0)
        r->default_ttl = POLICY_DEFAULT_TTL < r->max_ttl ? POLICY_DEFAULT_TTL
                                                         : r->max_ttl;
}

static void
parse_extensions(const json_t *j, const char *path, struct policy_role *r,
    struct diags *d)
{
    size_t i;
    int got;

    got = jsonv_strings(j, "extensions", path, 0, &r->extensions,
        &r->nextensions, d);
    if (got == 0) {
        /* Least privilege: a terminal, nothing else. */
        if ((r->extensions = calloc(2, sizeof(char *))) == NULL ||
            (r->extensions[0] = strdup("permit-pty")) == NULL) {
            diags_add(d, "%s.extensions: out of memory", path);
            return;
        }
        r->nextensions = 1;
        return;
    }
    if (got != 1)
        return;
    for (i = 0; i < r->nextensions; i++) {
        if (!is_ssh_extension(r->extensions[i])) {
            diags_add(d, "%s.extensions[%zu]: \"%.100s\" is not an OpenSSH "
                "extension (permit-pty, permit-port-forwarding, "
                "permit-agent-forwarding, permit-X11-forwarding, "
                "permit-user-rc, no-touch-required)", path, i,
                r->extensions[i]);
            continue;
        }
        check_repeat(r->extensions, i, path, "extensions", d);
    }
}

static void
parse_options(const json_t *j, const char *path, struct policy_role *r,
    struct diags *d)
{
    static const char *const keys[] = { "force-command", "source-address",
        NULL };
    const json_t *co;
    char p[128];

    if ((co = json_object_get(j, "critical_options")) == NULL)
        return;
    snprintf(p, sizeof(p), "%s.critical_options", path);
    if (!jsonv_object(co, p, keys, d))
        return;
    if (jsonv_string(co, "force-command", p, 0, &r->force_command, d) == 1 &&
        cert_check_force_command(r->force_command) != 0)
        diags_add(d, "%s.force-command: not an acceptable command (no "
            "control characters, at most %d bytes)", p,
            CERT_FORCE_COMMAND_MAX);
    if (jsonv_string(co, "source-address", p, 0, &r->source_address, d) ==
        1 && cert_check_source_address(r->source_address) != 0)
        diags_add(d, "%s.source-address: \"%.200s\" is not a list of "
            "addresses or CIDR blocks (e.g. \"10.0.0.0/8,192.0.2.7\")", p,
            r->source_address);
}

/* "approval" and "break_glass" (#17); run after parse_ttls. */
static void
parse_access(const json_t *j, const char *path, struct policy_role *r,
    struct diags *d)
{
    static const char *const keys[] = { "approvers", "min_approvals",
        "request_ttl", NULL };
    const json_t *a, *m;
    char p[128], p2[160], b1[32];
    uint64_t n = 1;

    jsonv_bool(j, "break_glass", path, 0, &r->break_glass, d);
    if (r->break_glass) {
        r->require_reason = 1;
        if (json_object_get(j, "max_ttl") == NULL)
            diags_add(d, "%s.max_ttl: required with break_glass (a short "
                "lifetime, at most %s)", path, duration_format(
                POLICY_BREAK_GLASS_MAX_TTL, b1, sizeof(b1)));
        else if (r->max_ttl > POLICY_BREAK_GLASS_MAX_TTL)
            diags_add(d, "%s.max_ttl: a break_glass role may grant at most "
                "%s", path, duration_format(POLICY_BREAK_GLASS_MAX_TTL, b1,
                sizeof(b1)));
    }
    if ((a = json_object_get(j, "approval")) == NULL)
        return;
    snprintf(p, sizeof(p), "%s.approval", path);
    if (!json_is_object(a)) {
        diags_add(d, "%s: must be an object", p);
        return;
    }
    if (r->break_glass)
        diags_add(d, "%s: a role is either break_glass (issued at once) or "
            "needs approval, not both", path);
    jsonv_known_keys(a, p, keys, d);
    r->require_reason = 1;
    snprintf(p2, sizeof(p2), "%s.approvers", p);
    if ((m = json_object_get(a, "approvers")) == NULL)
        diags_add(d, "%s: missing (required: who may approve requests)", p2);
    else
        parse_match(m, p2, 2, &r->approvers, d);
    if (jsonv_uint(a, "min_approvals", p, 0, POLICY_MAX_APPROVALS, &n, d) ==
        1 && n == 0)
        diags_add(d, "%s.min_approvals: must be at least 1", p);
    r->min_approvals = n > 0 ? (int)n : 1;
    r->request_ttl = POLICY_DEFAULT_REQUEST_TTL;
    if (jsonv_duration(a, "request_ttl", p, 0, &r->request_ttl, d) == 1 &&
        (r->request_ttl <= 0 || r->request_ttl > POLICY_MAX_REQUEST_TTL))
        diags_add(d, "%s.request_ttl: must be positive and at most %s", p,
            duration_format(POLICY_MAX_REQUEST_TTL, b1, sizeof(b1)));
}

static void
parse_role(const json_t *j, const char *path, int64_t ceiling,
    struct policy_role *r, struct diags *d)
{
    static const char *const keys[] = { "name", "description", "match",
        "principals", "default_ttl", "max_ttl", "extensions",
        "critical_options", "require_reason", "approval", "break_glass",
        NULL };
    const json_t *m;
    char p[128];
    size_t i;

    if (!jsonv_object(j, path, keys, d))
        return;
    if (jsonv_string(j, "name", path, 1, &r->name, d) == 1) {
        for (i = 0; r->name[i] != '\0'; i++)
            if (!isalnum((unsigned char)r->name[i]) &&
                strchr("-_.", r->name[i]) == NULL)
                break;
        if (r->name[i] != '\0' || i > ROLE_NAME_MAX)
            diags_add(d, "%s.name: \"%.100s\" must be 1-%d letters, digits "
                "and - _ .", path, r->name, ROLE_NAME_MAX);
    }
    jsonv_string(j, "description", path, 0, &r->description, d);
    snprintf(p, sizeof(p), "%s.match", path);
    if ((m = json_object_get(j, "match")) == NULL)
        diags_add(d, "%s: missing (required: who this role is for)", p);
    else
        parse_match(m, p, 0, &r->match, d);
    parse_principals(j, path, r, d);
    parse_ttls(j, path, ceiling, r, d);
    parse_extensions(j, path, r, d);
    parse_options(j, path, r, d);
    jsonv_bool(j, "require_reason", path, 0, &r->require_reason, d);
    parse_access(j, path, r, d);
}

static void
role_free(struct policy_role *r)
{
    free(r->name);
    free(r->description);
    match_free(&r->match);
    match_free(&r->approvers);
    jsonv_strv_free(r->principals, r->nprincipals);
    free(r->templated);
    jsonv_strv_free(r->extensions, r->nextensions);
    free(r->force_command);
    free(r->source_address);
}

static void
policy_free(struct policy *p)
{
    size_t i;

    if (p == NULL)
        return;
    for (i = 0; i < p->nroles; i++)
        role_free(&p->roles[i]);
    free(p->roles);
    policy_hosts_free(p);
    match_free(&p->admins);
    free(p->text);
    free(p);
}

/* The document's meaning; problems go to d as "json.path: message". */
static int
parse_policy(const json_t *j, int64_t ceiling, struct policy *p,
    struct diags *d)
{
    static const char *const keys[] = { "admins", "roles", "description",
        "hosts", NULL };
    const json_t *roles, *e, *a;
    char path[64], *desc = NULL;
    size_t i, k;

    jsonv_known_keys(j, "", keys, d);
    if (jsonv_string(j, "description", "", 0, &desc, d) == 1)
        free(desc);
    if ((a = json_object_get(j, "admins")) != NULL)
        parse_match(a, "admins", 1, &p->admins, d);
    if (policy_hosts_parse(json_object_get(j, "hosts"), p, d) != 0)
        return MESHCA_ERR_ALLOC;
    if ((roles = json_object_get(j, "roles")) == NULL) {
        diags_add(d, "roles: missing (required: a list of roles; with none, "
            "everyone is denied)");
        return 0;
    }
    if (!json_is_array(roles)) {
        diags_add(d, "roles: must be an array of roles");
        return 0;
    }
    if ((p->roles = calloc(json_array_size(roles) + 1,
        sizeof(*p->roles))) == NULL)
        return MESHCA_ERR_ALLOC;
    p->nroles = json_array_size(roles);
    json_array_foreach(roles, i, e) {
        snprintf(path, sizeof(path), "roles[%zu]", i);
        parse_role(e, path, ceiling, &p->roles[i], d);
        for (k = 0; k < i && p->roles[i].name != NULL; k++)
            if (p->roles[k].name != NULL &&
                strcmp(p->roles[k].name, p->roles[i].name) == 0) {
                diags_add(d, "%s.name: \"%s\" is already the name of "
                    "roles[%zu]", path, p->roles[i].name, k);
                break;
            }
    }
    return 0;
}

int
policy_load_buf(const char *data, size_t len, const char *name,
    int64_t ttl_ceiling, struct policy **pp, struct diags *d)
{
    struct policy *p = NULL;
    struct diags local = { 0 };
    json_t *j = NULL;
    json_error_t je;
    unsigned char md[SHA256_DIGEST_LENGTH];
    size_t before, i;
    int r = MESHCA_ERR_INVALID_ARGUMENT;

    if (pp == NULL || d == NULL || (data == NULL && len > 0) ||
        ttl_ceiling <= 0)
        return r;
    *pp = NULL;
    before = d->n;
    r = MESHCA_ERR_POLICY_INVALID;
    if (name == NULL)
        name = "policy";
    if ((p = calloc(1, sizeof(*p))) == NULL ||
        (p->text = malloc(len + 1)) == NULL) {
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    if (len > 0)
        memcpy(p->text, data, len);
    p->text[len] = '\0';
    atomic_init(&p->refs, 1);
    SHA256((const unsigned char *)p->text, len, md);
    (void)meshca_hex_encode(md, sizeof(md), p->version, sizeof(p->version));
    if ((j = json_loadb(p->text, len, JSON_REJECT_DUPLICATES, &je)) ==
        NULL) {
        diags_add(d, "%s:%d:%d: %s", name, je.line, je.column, je.text);
        goto out;
    }
    if (!json_is_object(j)) {
        diags_add(d, "%s:1:1: the policy must be a JSON object with "
            "\"roles\"", name);
        goto out;
    }
    if ((r = parse_policy(j, ttl_ceiling, p, &local)) != 0)
        goto out;
    r = MESHCA_ERR_POLICY_INVALID;
    /* Meaning errors carry the file name and the JSON path. */
    for (i = 0; i < local.n; i++)
        diags_add(d, "%s: %s", name, local.msgs[i]);
    if (local.n == 0 && d->n == before) {
        *pp = p;
        p = NULL;
        r = 0;
    }
out:
    diags_clear(&local);
    json_decref(j);
    policy_free(p);
    return r;
}

void
policy_ref(struct policy *p)
{
    if (p != NULL)
        atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
}

void
policy_unref(struct policy *p)
{
    if (p != NULL &&
        atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) == 1)
        policy_free(p);
}

const char *
policy_version(const struct policy *p)
{
    return p->version;
}

const char *
policy_text(const struct policy *p)
{
    return p->text;
}

size_t
policy_nroles(const struct policy *p)
{
    return p->nroles;
}

const char *
policy_role_name(const struct policy *p, size_t i)
{
    return i < p->nroles ? p->roles[i].name : NULL;
}
