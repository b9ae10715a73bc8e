/* The policy: loading, validation, decisions, explanations.  See policy.h. */
#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/sha.h>

#include "meshca/cert.h"
#include "meshca/duration.h"
#include "meshca/jsonv.h"
#include "meshca/policy.h"
#include "meshca/principal.h"

struct match {
    char *issuer;
    char **groups, **emails, **domains, **subjects;
    size_t ngroups, nemails, ndomains, nsubjects;
    int any;        /* "any_authenticated": true */
    int present;    /* the rule exists */
};

struct role {
    char *name;
    char *description;
    struct match match;
    char **principals;      /* may hold {templates} */
    size_t nprincipals;
    int64_t default_ttl, max_ttl;
    char **extensions;
    size_t nextensions;
    char *force_command, *source_address;
    int require_reason;
};

struct policy {
    atomic_int refs;
    char version[65];
    char *text;
    struct match admins;
    struct role *roles;
    size_t nroles;
};

static const char *const template_vars[] = { "sub", "email", "email_local",
    "preferred_username", NULL };

/* Loading */

static void
match_free(struct match *m)
{
    free(m->issuer);
    jsonv_strv_free(m->groups, m->ngroups);
    jsonv_strv_free(m->emails, m->nemails);
    jsonv_strv_free(m->domains, m->ndomains);
    jsonv_strv_free(m->subjects, m->nsubjects);
    memset(m, 0, sizeof(*m));
}

static void
parse_match(const json_t *j, const char *path, struct match *m,
    struct diags *d)
{
    static const char *const keys[] = { "issuer", "groups", "emails",
        "email_domains", "subjects", "any_authenticated", NULL };
    size_t before = d->n;

    m->present = 1;
    if (!json_is_object(j)) {
        diags_add(d, "%s: must be an object", path);
        return;
    }
    jsonv_known_keys(j, path, keys, d);
    jsonv_string(j, "issuer", path, 0, &m->issuer, d);
    jsonv_strings(j, "groups", path, 0, &m->groups, &m->ngroups, d);
    jsonv_strings(j, "emails", path, 0, &m->emails, &m->nemails, d);
    jsonv_strings(j, "email_domains", path, 0, &m->domains, &m->ndomains, d);
    jsonv_strings(j, "subjects", path, 0, &m->subjects, &m->nsubjects, d);
    jsonv_bool(j, "any_authenticated", path, 0, &m->any, d);
    if (d->n != before)
        return;
    if (m->any && (m->ngroups || m->nemails || m->ndomains || m->nsubjects)) {
        diags_add(d, "%s: any_authenticated cannot be combined with groups, "
            "emails, email_domains or subjects", path);
        return;
    }
    if (!m->any && m->issuer == NULL && json_object_size(j) == 0)
        diags_add(d, "%s: an empty match would match everyone; name issuer, "
            "groups, emails, email_domains or subjects (or say "
            "\"any_authenticated\": true if that is really meant)", path);
    else if (!m->any && m->ngroups + m->nemails + m->ndomains +
        m->nsubjects == 0 && m->issuer != NULL)
        diags_add(d, "%s: matching on issuer alone admits everyone that "
            "issuer knows; add groups, emails, email_domains or subjects, or "
            "\"any_authenticated\": true", path);
}

/* Checks a principal pattern: its {vars} are known, and with the vars
 * filled in by a sample value it is a valid principal. */
static int
check_pattern(const char *pat, char *why, size_t whylen)
{
    char sample[512];
    const char *p = pat, *close;
    size_t o = 0, i, vlen;
    int known;

    while (*p != '\0' && o + 2 < sizeof(sample)) {
        if (*p == '{') {
            if ((close = strchr(p, '}')) == NULL) {
                snprintf(why, whylen, "unclosed '{'");
                return -1;
            }
            vlen = (size_t)(close - p - 1);
            for (i = 0, known = 0; template_vars[i] != NULL; i++)
                if (strlen(template_vars[i]) == vlen &&
                    strncmp(p + 1, template_vars[i], vlen) == 0)
                    known = 1;
            if (!known) {
                snprintf(why, whylen, "unknown template {%.*s} (known: "
                    "{sub}, {email}, {email_local}, {preferred_username})",
                    (int)vlen, p + 1);
                return -1;
            }
            sample[o++] = 'x';
            p = close + 1;
        } else if (*p == '}') {
            snprintf(why, whylen, "unmatched '}'");
            return -1;
        } else
            sample[o++] = *p++;
    }
    sample[o] = '\0';
    if (!principal_valid(sample)) {
        snprintf(why, whylen, "not a valid principal (1-255 characters, no "
            "spaces, commas or control characters)");
        return -1;
    }
    return 0;
}

static void
parse_role(const json_t *j, const char *path, int64_t ceiling,
    struct role *r, struct diags *d)
{
    static const char *const keys[] = { "name", "description", "match",
        "principals", "default_ttl", "max_ttl", "extensions",
        "critical_options", "require_reason", NULL };
    static const char *const opt_keys[] = { "force-command",
        "source-address", NULL };
    const json_t *m, *co;
    char p[128], why[256], b1[32], b2[32];
    size_t i;
    int has_default, has_max;

    if (!json_is_object(j)) {
        diags_add(d, "%s: must be an object", path);
        return;
    }
    jsonv_known_keys(j, path, keys, d);
    if (jsonv_string(j, "name", path, 1, &r->name, d) == 1) {
        for (i = 0; r->name[i] != '\0'; i++)
            if (!isalnum((unsigned char)r->name[i]) &&
                strchr("-_.", r->name[i]) == NULL) {
                diags_add(d, "%s.name: \"%s\" may hold only letters, digits "
                    "and - _ .", path, r->name);
                break;
            }
    }
    jsonv_string(j, "description", path, 0, &r->description, d);
    snprintf(p, sizeof(p), "%s.match", path);
    if ((m = json_object_get(j, "match")) == NULL)
        diags_add(d, "%s: missing (required: who this role is for)", p);
    else
        parse_match(m, p, &r->match, d);
    if (jsonv_strings(j, "principals", path, 1, &r->principals,
        &r->nprincipals, d) == 1) {
        if (r->nprincipals == 0)
            diags_add(d, "%s.principals: must grant at least one principal",
                path);
        for (i = 0; i < r->nprincipals; i++)
            if (check_pattern(r->principals[i], why, sizeof(why)) != 0)
                diags_add(d, "%s.principals[%zu]: \"%s\": %s", path, i,
                    r->principals[i], why);
    }
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
        else if (has_max >= 0 && r->default_ttl > r->max_ttl)
            diags_add(d, "%s.default_ttl: %s exceeds max_ttl %s", path,
                duration_format(r->default_ttl, b1, sizeof(b1)),
                duration_format(r->max_ttl, b2, sizeof(b2)));
    } else if (has_default == 0)
        r->default_ttl = POLICY_DEFAULT_TTL < r->max_ttl ? POLICY_DEFAULT_TTL
                                                         : r->max_ttl;
    if (jsonv_strings(j, "extensions", path, 0, &r->extensions,
        &r->nextensions, d) == 1) {
        for (i = 0; i < r->nextensions; i++) {
            size_t k;

            if (cert_check_extension(r->extensions[i]) != 0)
                diags_add(d, "%s.extensions[%zu]: \"%s\" is not an OpenSSH "
                    "extension (permit-pty, permit-port-forwarding, "
                    "permit-agent-forwarding, permit-X11-forwarding, "
                    "permit-user-rc, no-touch-required)", path, i,
                    r->extensions[i]);
            for (k = 0; k < i; k++)
                if (strcmp(r->extensions[k], r->extensions[i]) == 0)
                    diags_add(d, "%s.extensions[%zu]: \"%s\" is listed "
                        "twice", path, i, r->extensions[i]);
        }
    } else if (!json_object_get(j, "extensions")) {
        if ((r->extensions = calloc(2, sizeof(char *))) != NULL &&
            (r->extensions[0] = strdup("permit-pty")) != NULL)
            r->nextensions = 1;
    }
    if ((co = json_object_get(j, "critical_options")) != NULL) {
        snprintf(p, sizeof(p), "%s.critical_options", path);
        if (!json_is_object(co))
            diags_add(d, "%s: must be an object", p);
        else {
            jsonv_known_keys(co, p, opt_keys, d);
            if (jsonv_string(co, "force-command", p, 0, &r->force_command,
                d) == 1 && cert_check_force_command(r->force_command) != 0)
                diags_add(d, "%s.force-command: not an acceptable command",
                    p);
            if (jsonv_string(co, "source-address", p, 0, &r->source_address,
                d) == 1 && cert_check_source_address(r->source_address) != 0)
                diags_add(d, "%s.source-address: \"%s\" is not a list of "
                    "addresses or CIDR blocks (e.g. \"10.0.0.0/8,192.0.2.7\")",
                    p, r->source_address);
        }
    }
    jsonv_bool(j, "require_reason", path, 0, &r->require_reason, d);
}

static void
role_free(struct role *r)
{
    free(r->name);
    free(r->description);
    match_free(&r->match);
    jsonv_strv_free(r->principals, r->nprincipals);
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
    match_free(&p->admins);
    free(p->text);
    free(p);
}

int
policy_load_buf(const char *data, size_t len, const char *name,
    int64_t ttl_ceiling, struct policy **pp, struct diags *d)
{
    static const char *const keys[] = { "admins", "roles", "description",
        NULL };
    struct policy *p = NULL;
    json_t *j = NULL, *roles, *e, *a;
    json_error_t je;
    unsigned char md[SHA256_DIGEST_LENGTH];
    size_t before = d->n, i, k;
    char path[64];
    int r = MESHCA_ERR_POLICY_INVALID;

    *pp = NULL;
    if ((p = calloc(1, sizeof(*p))) == NULL ||
        (p->text = malloc(len + 1)) == NULL) {
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    memcpy(p->text, data, len);
    p->text[len] = '\0';
    atomic_init(&p->refs, 1);
    SHA256((const unsigned char *)data, len, md);
    for (i = 0; i < sizeof(md); i++)
        snprintf(p->version + 2 * i, 3, "%02x", md[i]);
    if ((j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je)) == NULL) {
        diags_add(d, "%s:%d:%d: %s", name, je.line, je.column, je.text);
        goto out;
    }
    if (!json_is_object(j)) {
        diags_add(d, "%s:1:1: the policy must be a JSON object with "
            "\"roles\"", name);
        goto out;
    }
#define PDIAG(...) diags_add(d, __VA_ARGS__)
    {
        struct diags local = { 0 };

        jsonv_known_keys(j, "", keys, &local);
        if ((a = json_object_get(j, "admins")) != NULL)
            parse_match(a, "admins", &p->admins, &local);
        if ((roles = json_object_get(j, "roles")) == NULL)
            diags_add(&local, "roles: missing (required: a list of roles; "
                "with none, everyone is denied)");
        else if (!json_is_array(roles))
            diags_add(&local, "roles: must be an array");
        else {
            p->nroles = json_array_size(roles);
            if ((p->roles = calloc(p->nroles + 1, sizeof(*p->roles))) ==
                NULL) {
                r = MESHCA_ERR_ALLOC;
                goto out;
            }
            json_array_foreach(roles, i, e) {
                snprintf(path, sizeof(path), "roles[%zu]", i);
                parse_role(e, path, ttl_ceiling, &p->roles[i], &local);
                for (k = 0; k < i && p->roles[i].name != NULL; k++)
                    if (p->roles[k].name != NULL &&
                        strcmp(p->roles[k].name, p->roles[i].name) == 0)
                        diags_add(&local, "%s.name: \"%s\" is already the "
                            "name of roles[%zu]", path, p->roles[i].name, k);
            }
        }
        /* Meaning errors carry the file name and the JSON path. */
        for (i = 0; i < local.n; i++)
            PDIAG("%s: %s", name, local.msgs[i]);
        diags_clear(&local);
    }
#undef PDIAG
    if (d->n == before) {
        *pp = p;
        p = NULL;
        r = 0;
    }
out:
    json_decref(j);
    policy_free(p);
    return r;
}

int
policy_load_file(const char *path, int64_t ttl_ceiling, struct policy **pp,
    struct diags *d)
{
    FILE *f;
    char *data = NULL;
    long sz;
    int r;

    *pp = NULL;
    if ((f = fopen(path, "rb")) == NULL) {
        diags_add(d, "%s: cannot open: %m", path);
        return MESHCA_ERR_POLICY_INVALID;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 ||
        sz > 16 * 1024 * 1024 || fseek(f, 0, SEEK_SET) != 0 ||
        (data = malloc((size_t)sz + 1)) == NULL ||
        fread(data, 1, (size_t)sz, f) != (size_t)sz) {
        fclose(f);
        free(data);
        diags_add(d, "%s: cannot read (or larger than 16 MiB)", path);
        return MESHCA_ERR_POLICY_INVALID;
    }
    fclose(f);
    r = policy_load_buf(data, (size_t)sz, path, ttl_ceiling, pp, d);
    free(data);
    return r;
}

void
policy_ref(struct policy *p)
{
    atomic_fetch_add(&p->refs, 1);
}

void
policy_unref(struct policy *p)
{
    if (p != NULL && atomic_fetch_sub(&p->refs, 1) == 1)
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

/* Matching */

static int
in_list(char *const *list, size_t n, const char *s, int icase)
{
    size_t i;

    for (i = 0; s != NULL && i < n; i++)
        if ((icase ? strcasecmp(list[i], s) : strcmp(list[i], s)) == 0)
            return 1;
    return 0;
}

static const char *
verified_email(const struct claims *c)
{
    return c->email != NULL && c->email_verified ? c->email : NULL;
}

/* 1 when c matches m; otherwise 0 with the reason in why. */
static int
match_claims(const struct match *m, const struct claims *c, char *why,
    size_t whylen)
{
    const char *email = verified_email(c), *at;
    size_t i;
    int any = 0;

    if (!m->present) {
        snprintf(why, whylen, "no rule");
        return 0;
    }
    if (m->issuer != NULL && strcmp(m->issuer, c->iss) != 0) {
        snprintf(why, whylen, "issuer %s is not %s", c->iss, m->issuer);
        return 0;
    }
    if (m->ngroups > 0) {
        for (i = 0; i < c->ngroups && !any; i++)
            any = in_list(m->groups, m->ngroups, c->groups[i], 0);
        if (!any) {
            snprintf(why, whylen, "none of your groups is one of its groups");
            return 0;
        }
    }
    if (m->nemails > 0 && !in_list(m->emails, m->nemails, email, 1)) {
        snprintf(why, whylen, email ? "your email is not listed" :
            "it needs a verified email and your token has none");
        return 0;
    }
    if (m->ndomains > 0) {
        at = email ? strrchr(email, '@') : NULL;
        if (at == NULL || !in_list(m->domains, m->ndomains, at + 1, 1)) {
            snprintf(why, whylen, email ? "your email domain is not listed" :
                "it needs a verified email and your token has none");
            return 0;
        }
    }
    if (m->nsubjects > 0 && !in_list(m->subjects, m->nsubjects, c->sub, 0)) {
        snprintf(why, whylen, "your subject is not listed");
        return 0;
    }
    snprintf(why, whylen, "matched");
    return 1;
}

int
policy_is_admin(const struct policy *p, const struct claims *c)
{
    char why[128];

    return p->admins.present && match_claims(&p->admins, c, why, sizeof(why));
}

/* Fills a principal pattern from the claims into out.  Returns 0, or -1 with
 * the reason (a missing claim, or a result that is not a valid principal). */
static int
fill_pattern(const char *pat, const struct claims *c, char *out,
    size_t outlen, char *why, size_t whylen)
{
    const char *p = pat, *close, *val;
    const char *email = verified_email(c);
    char local[256];
    size_t o = 0, vlen, n;
    json_t *pu;

    while (*p != '\0') {
        if (*p != '{') {
            if (o + 1 >= outlen)
                goto toolong;
            out[o++] = *p++;
            continue;
        }
        close = strchr(p, '}');
        vlen = (size_t)(close - p - 1);
        val = NULL;
        if (vlen == 3 && strncmp(p + 1, "sub", 3) == 0)
            val = c->sub;
        else if (vlen == 5 && strncmp(p + 1, "email", 5) == 0)
            val = email;
        else if (vlen == 11 && strncmp(p + 1, "email_local", 11) == 0) {
            if (email != NULL && (n = strcspn(email, "@")) < sizeof(local)) {
                memcpy(local, email, n);
                local[n] = '\0';
                val = local;
            }
        } else if (c->raw != NULL &&
            (pu = json_object_get(c->raw, "preferred_username")) != NULL &&
            json_is_string(pu))
            val = json_string_value(pu);
        if (val == NULL) {
            snprintf(why, whylen, "%s: your token has no %s{%.*s}", pat,
                vlen == 5 || vlen == 11 ? "verified " : "", (int)vlen, p + 1);
            return -1;
        }
        n = strlen(val);
        if (o + n >= outlen)
            goto toolong;
        memcpy(out + o, val, n);
        o += n;
        p = close + 1;
    }
    out[o] = '\0';
    if (!principal_valid(out)) {
        snprintf(why, whylen, "%s: filled in as \"%.64s\", which is not a "
            "valid principal", pat, out);
        return -1;
    }
    return 0;
toolong:
    snprintf(why, whylen, "%s: the filled-in principal is too long", pat);
    return -1;
}

/* The principals a role grants to c; skipped templates go to skipped. */
static json_t *
role_grants(const struct role *r, const struct claims *c, json_t *skipped)
{
    json_t *g = json_array();
    char buf[PRINCIPAL_MAX_LEN + 1], why[384];
    size_t i, k;
    int dup;

    for (i = 0; i < r->nprincipals; i++) {
        if (fill_pattern(r->principals[i], c, buf, sizeof(buf), why,
            sizeof(why)) != 0) {
            if (skipped != NULL)
                json_array_append_new(skipped, json_string(why));
            continue;
        }
        for (k = 0, dup = 0; k < json_array_size(g); k++)
            if (strcmp(json_string_value(json_array_get(g, k)), buf) == 0)
                dup = 1;
        if (!dup)
            json_array_append_new(g, json_string(buf));
    }
    return g;
}

static int
grants_all(const json_t *g, const char *const *want, size_t nwant,
    const char **missingp)
{
    size_t i, k;
    int found;

    *missingp = NULL;
    for (i = 0; i < nwant; i++) {
        for (k = 0, found = 0; k < json_array_size(g) && !found; k++)
            found = strcmp(json_string_value(json_array_get(g, k)), want[i])
                == 0;
        if (!found) {
            *missingp = want[i];
            return 0;
        }
    }
    return 1;
}

static void
append_list(char *out, size_t outlen, const json_t *arr)
{
    size_t i, o = strlen(out);

    o += (size_t)snprintf(out + o, o < outlen ? outlen - o : 0, "[");
    for (i = 0; i < json_array_size(arr) && o < outlen; i++)
        o += (size_t)snprintf(out + o, outlen - o, "%s%s", i ? ", " : "",
            json_string_value(json_array_get(arr, i)));
    if (o < outlen)
        snprintf(out + o, outlen - o, "]");
}

static void
claims_groups_text(const struct claims *c, char *out, size_t outlen)
{
    size_t i, o;

    o = (size_t)snprintf(out, outlen, "[");
    for (i = 0; i < c->ngroups && o < outlen; i++)
        o += (size_t)snprintf(out + o, outlen - o, "%s%s", i ? ", " : "",
            c->groups[i]);
    if (o < outlen)
        snprintf(out + o, outlen - o, "]");
}

/*
 * The decision and its explanation in one pass.  Returns the explanation;
 * the decision fields are in it ("decision", "role", ...).
 */
static json_t *
evaluate(const struct policy *p, const struct policy_request *rq)
{
    const struct claims *c = rq->claims;
    json_t *ex, *roles, *chosen_grants = NULL, *matched = json_array();
    const struct role *chosen = NULL;
    char why[256], denial[1024] = "", groups[512], note[256] = "";
    const char *missing = NULL;
    size_t i;
    int64_t ttl = 0;

    ex = json_object();
    roles = json_array();
    json_object_set_new(ex, "policy_version", json_string(p->version));
    claims_groups_text(c, groups, sizeof(groups));
    for (i = 0; i < p->nroles; i++) {
        const struct role *r = &p->roles[i];
        json_t *skipped = json_array(), *g = NULL, *o;
        int m = match_claims(&r->match, c, why, sizeof(why));

        if (rq->role != NULL && strcmp(rq->role, r->name) != 0 && m) {
            snprintf(why, sizeof(why), "matched, but the request names role "
                "%s", rq->role);
        }
        if (m)
            g = role_grants(r, c, skipped);
        o = json_pack("{s:s, s:b, s:s}", "name", r->name, "matched", m,
            "why", why);
        if (g != NULL)
            json_object_set(o, "grants", g);
        if (json_array_size(skipped) > 0)
            json_object_set(o, "skipped_templates", skipped);
        json_decref(skipped);
        json_array_append_new(roles, o);
        if (!m)
            goto next;
        if (rq->role != NULL && strcmp(rq->role, r->name) != 0)
            goto next;
        json_array_append_new(matched, json_pack("{s:s, s:O}", "name",
            r->name, "grants", g));
        if (chosen == NULL && json_array_size(g) > 0 &&
            (rq->nprincipals == 0 ||
                grants_all(g, rq->principals, rq->nprincipals, &missing))) {
            chosen = r;
            chosen_grants = json_incref(g);
        }
next:
        json_decref(g);
    }
    json_object_set_new(ex, "roles", roles);

    if (rq->role != NULL && json_array_size(matched) == 0) {
        for (i = 0; i < p->nroles; i++)
            if (strcmp(p->roles[i].name, rq->role) == 0)
                break;
        if (i == p->nroles)
            snprintf(denial, sizeof(denial), "there is no role named %s",
                rq->role);
        else {
            (void)match_claims(&p->roles[i].match, c, why, sizeof(why));
            snprintf(denial, sizeof(denial), "role %s does not match you: %s "
                "(issuer %s, groups %s)", rq->role, why, c->iss, groups);
        }
    } else if (json_array_size(matched) == 0) {
        snprintf(denial, sizeof(denial), "no role matches you (issuer %s, "
            "subject %s, groups %s); ask for a role in the policy", c->iss,
            c->sub, groups);
    } else if (chosen == NULL) {
        /* Name the first wanted principal no matching role grants. */
        const char *bad = NULL;

        for (i = 0; i < rq->nprincipals && bad == NULL; i++) {
            size_t k;
            int any = 0;

            for (k = 0; k < json_array_size(matched) && !any; k++) {
                const char *mm;

                any = grants_all(json_object_get(json_array_get(matched, k),
                    "grants"), &rq->principals[i], 1, &mm);
            }
            if (!any)
                bad = rq->principals[i];
        }
        if (bad != NULL)
            snprintf(denial, sizeof(denial), "principal %s is not granted: "
                "your groups %s match ", bad, groups);
        else if (rq->nprincipals > 0)
            snprintf(denial, sizeof(denial), "no single role grants all of "
                "the requested principals together (a certificate's powers "
                "come from one role); ask for fewer: your groups %s match ",
                groups);
        else
            snprintf(denial, sizeof(denial), "the roles you match grant no "
                "principal for your identity (their templates could not be "
                "filled): your groups %s match ", groups);
        for (i = 0; i < json_array_size(matched); i++) {
            json_t *mr = json_array_get(matched, i);
            size_t o = strlen(denial);

            snprintf(denial + o, sizeof(denial) - o, "%srole %s, which grants ",
                i ? "; " : "", json_string_value(json_object_get(mr, "name")));
            append_list(denial, sizeof(denial), json_object_get(mr, "grants"));
        }
    } else if (chosen->require_reason &&
        (rq->reason == NULL || rq->reason[0] == '\0')) {
        snprintf(denial, sizeof(denial), "role %s requires a reason: say why "
            "you need access (meshca login --reason \"...\")", chosen->name);
    }
    json_decref(matched);

    if (denial[0] != '\0') {
        json_object_set_new(ex, "decision", json_string("denied"));
        json_object_set_new(ex, "denial", json_string(denial));
        json_decref(chosen_grants);
        return ex;
    }
    if (rq->ttl <= 0) {
        ttl = chosen->default_ttl;
        snprintf(note, sizeof(note), "default_ttl of role %s", chosen->name);
    } else if (rq->ttl > chosen->max_ttl) {
        char b1[32], b2[32];

        ttl = chosen->max_ttl;
        snprintf(note, sizeof(note), "asked %s, capped by max_ttl %s of role "
            "%s", duration_format(rq->ttl, b1, sizeof(b1)),
            duration_format(chosen->max_ttl, b2, sizeof(b2)), chosen->name);
    } else {
        ttl = rq->ttl;
        snprintf(note, sizeof(note), "as asked (max_ttl of role %s allows "
            "it)", chosen->name);
    }
    json_object_set_new(ex, "decision", json_string("granted"));
    json_object_set_new(ex, "role", json_string(chosen->name));
    if (rq->nprincipals > 0) {
        json_t *w = json_array();

        for (i = 0; i < rq->nprincipals; i++)
            json_array_append_new(w, json_string(rq->principals[i]));
        json_object_set_new(ex, "principals", w);
        json_decref(chosen_grants);
    } else
        json_object_set_new(ex, "principals", chosen_grants);
    json_object_set_new(ex, "ttl_seconds", json_integer(ttl));
    json_object_set_new(ex, "ttl_note", json_string(note));
    {
        json_t *exts = json_array(), *opts = json_object();

        for (i = 0; i < chosen->nextensions; i++)
            json_array_append_new(exts, json_string(chosen->extensions[i]));
        json_object_set_new(ex, "extensions", exts);
        if (chosen->force_command != NULL)
            json_object_set_new(opts, "force-command",
                json_string(chosen->force_command));
        if (chosen->source_address != NULL)
            json_object_set_new(opts, "source-address",
                json_string(chosen->source_address));
        json_object_set_new(ex, "critical_options", opts);
    }
    return ex;
}

json_t *
policy_explain(const struct policy *p, const struct policy_request *req)
{
    return evaluate(p, req);
}

void
policy_decision_free(struct policy_decision *d)
{
    if (d == NULL)
        return;
    free(d->role);
    jsonv_strv_free(d->principals, d->nprincipals);
    free(d->ttl_note);
    free(d->force_command);
    free(d->source_address);
    jsonv_strv_free(d->extensions, d->nextensions);
    free(d->denial);
    free(d);
}

static char **
strv_from_json(const json_t *a, size_t *np)
{
    char **v;
    size_t i;

    *np = 0;
    if ((v = calloc(json_array_size(a) + 1, sizeof(char *))) == NULL)
        return NULL;
    for (i = 0; i < json_array_size(a); i++)
        if ((v[i] = strdup(json_string_value(json_array_get(a, i)))) ==
            NULL) {
            jsonv_strv_free(v, i);
            return NULL;
        }
    *np = json_array_size(a);
    return v;
}

int
policy_decide(const struct policy *p, const struct policy_request *req,
    struct policy_decision **decp)
{
    struct policy_decision *d = NULL;
    json_t *ex = NULL, *v;
    int r = MESHCA_ERR_ALLOC;

    *decp = NULL;
    if ((d = calloc(1, sizeof(*d))) == NULL ||
        (ex = evaluate(p, req)) == NULL)
        goto out;
    if (strcmp(json_string_value(json_object_get(ex, "decision")),
        "denied") == 0) {
        if ((d->denial = strdup(json_string_value(json_object_get(ex,
            "denial")))) == NULL)
            goto out;
        r = MESHCA_ERR_POLICY_DENIED;
        *decp = d;
        d = NULL;
        goto out;
    }
    if ((d->role = strdup(json_string_value(json_object_get(ex, "role")))) ==
        NULL ||
        (d->principals = strv_from_json(json_object_get(ex, "principals"),
            &d->nprincipals)) == NULL ||
        (d->extensions = strv_from_json(json_object_get(ex, "extensions"),
            &d->nextensions)) == NULL ||
        (d->ttl_note = strdup(json_string_value(json_object_get(ex,
            "ttl_note")))) == NULL)
        goto out;
    d->ttl = json_integer_value(json_object_get(ex, "ttl_seconds"));
    v = json_object_get(ex, "critical_options");
    if (json_object_get(v, "force-command") != NULL &&
        (d->force_command = strdup(json_string_value(json_object_get(v,
            "force-command")))) == NULL)
        goto out;
    if (json_object_get(v, "source-address") != NULL &&
        (d->source_address = strdup(json_string_value(json_object_get(v,
            "source-address")))) == NULL)
        goto out;
    *decp = d;
    d = NULL;
    r = 0;
out:
    json_decref(ex);
    policy_decision_free(d);
    return r;
}
