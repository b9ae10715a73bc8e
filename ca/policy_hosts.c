/*
 * The policy's "hosts" section: loading, host certificate decisions, their
 * explanation and the known_hosts patterns they can grant.  See
 * meshca/policy.h ("Host certificates").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meshca/duration.h"
#include "meshca/jsonv.h"
#include "meshca/policy.h"
#include "meshca/principal.h"
#include "meshca/spiffe.h"
#include "policy_int.h"

#define SEGMENT_VAR "spiffe_segment["
#define SEGMENT_MAX 63

static int
host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

/* 1 when s[0..n) may stand in a host name (a literal part or a value). */
static int
host_text_ok(const char *s, size_t n, int first)
{
    size_t i;

    if (first && n > 0 && (s[0] == '.' || s[0] == '-'))
        return 0;
    for (i = 0; i < n; i++)
        if (!host_char(s[i]))
            return 0;
    return 1;
}

/*
 * Parses the template variable at p (just after '{', vlen bytes): 1 for
 * {spiffe_path}, 2 for {spiffe_segment[N]} with N in *np, 0 for anything
 * else.
 */
int
policy_spiffe_var(const char *p, size_t vlen, size_t *np)
{
    size_t k, n = 0, sl = strlen(SEGMENT_VAR);

    if (vlen == 11 && strncmp(p, "spiffe_path", 11) == 0)
        return 1;
    if (vlen < sl + 2 || strncmp(p, SEGMENT_VAR, sl) != 0 ||
        p[vlen - 1] != ']')
        return 0;
    for (k = sl; k < vlen - 1; k++) {
        if (p[k] < '0' || p[k] > '9' || k - sl >= 2)
            return 0;
        n = n * 10 + (size_t)(p[k] - '0');
    }
    if (n > SEGMENT_MAX)
        return 0;
    *np = n;
    return 2;
}

int
policy_spiffe_value(int var, size_t n, const char *id, const char **valp,
    size_t *lenp, char *why, size_t whylen)
{
    *valp = NULL;
    *lenp = 0;
    if (id == NULL) {
        snprintf(why, whylen, "no SPIFFE ID (only workloads have one)");
        return -1;
    }
    if (var == 1) {
        *valp = spiffe_path(id);
        *lenp = strlen(*valp);
        return 0;
    }
    if (spiffe_segment(id, n, valp, lenp) != 0) {
        snprintf(why, whylen, "%s has no path segment %zu", id, n);
        return -1;
    }
    return 0;
}

/* Checks a host principal pattern.  0, or -1 with the reason in why. */
static int
check_host_pattern(const char *pat, char *why, size_t whylen)
{
    const char *p = pat, *close;
    size_t n, lit;

    if (*pat == '\0' || strlen(pat) > PRINCIPAL_MAX_LEN) {
        snprintf(why, whylen, "must be 1 to %d characters", PRINCIPAL_MAX_LEN);
        return -1;
    }
    while (*p != '\0') {
        if (*p == '{') {
            if ((close = strchr(p, '}')) == NULL) {
                snprintf(why, whylen, "unclosed '{'");
                return -1;
            }
            if (policy_spiffe_var(p + 1, (size_t)(close - p - 1), &n) == 0) {
                snprintf(why, whylen, "unknown template {%.*s} (known: "
                    "{spiffe_path}, {spiffe_segment[N]} with N 0-63)",
                    (int)((size_t)(close - p - 1) > 64 ? 64 :
                    (size_t)(close - p - 1)), p + 1);
                return -1;
            }
            p = close + 1;
            continue;
        }
        lit = strcspn(p, "{");
        if (!host_text_ok(p, lit, p == pat)) {
            snprintf(why, whylen, "not a host name (letters, digits, '.', "
                "'-' and '_'; not starting with '.' or '-')");
            return -1;
        }
        p += lit;
    }
    return 0;
}

static void
parse_host_ttls(const json_t *j, const char *path, struct policy_host *h,
    struct diags *d)
{
    char b1[32], b2[32];

    h->default_ttl = POLICY_HOST_DEFAULT_TTL;
    h->max_ttl = POLICY_HOST_DEFAULT_MAX_TTL;
    jsonv_duration(j, "max_ttl", path, 0, &h->max_ttl, d);
    if (jsonv_duration(j, "default_ttl", path, 0, &h->default_ttl, d) == 0 &&
        h->default_ttl > h->max_ttl)
        h->default_ttl = h->max_ttl;
    if (h->max_ttl < POLICY_HOST_TTL_MIN || h->max_ttl > POLICY_HOST_TTL_LIMIT)
        diags_add(d, "%s.max_ttl: %s is outside 1h to 30d (host "
            "certificates last hours to days)", path,
            duration_format(h->max_ttl, b1, sizeof(b1)));
    if (h->default_ttl < POLICY_HOST_TTL_MIN)
        diags_add(d, "%s.default_ttl: %s is less than 1h", path,
            duration_format(h->default_ttl, b1, sizeof(b1)));
    else if (h->default_ttl > h->max_ttl)
        diags_add(d, "%s.default_ttl: %s exceeds max_ttl %s", path,
            duration_format(h->default_ttl, b1, sizeof(b1)),
            duration_format(h->max_ttl, b2, sizeof(b2)));
}

static void
parse_host_match(const json_t *m, const char *path, struct policy_host *h,
    struct diags *d)
{
    static const char *const keys[] = { "spiffe_ids", NULL };
    char p[80], why[160];
    size_t i;

    snprintf(p, sizeof(p), "%s.match", path);
    if (m == NULL || !json_is_object(m)) {
        diags_add(d, "%s: required, an object with \"spiffe_ids\"", p);
        return;
    }
    jsonv_known_keys(m, p, keys, d);
    if (jsonv_strings(m, "spiffe_ids", p, 1, &h->spiffe_ids, &h->nspiffe_ids,
        d) != 1)
        return;
    if (h->nspiffe_ids == 0)
        diags_add(d, "%s.spiffe_ids: an empty list matches no workload", p);
    for (i = 0; i < h->nspiffe_ids; i++)
        if (spiffe_pattern_check(h->spiffe_ids[i], why, sizeof(why)) != 0)
            diags_add(d, "%s.spiffe_ids[%zu]: \"%.300s\": %s", p, i,
                h->spiffe_ids[i], why);
}

static void
parse_host(const json_t *j, const char *path, struct policy_host *h,
    struct diags *d)
{
    static const char *const keys[] = { "match", "principals",
        "default_ttl", "max_ttl", "description", NULL };
    char why[160], *desc = NULL;
    size_t i;

    if (!jsonv_object(j, path, keys, d))
        return;
    if (jsonv_string(j, "description", path, 0, &desc, d) == 1)
        free(desc);
    parse_host_match(json_object_get(j, "match"), path, h, d);
    if (jsonv_strings(j, "principals", path, 1, &h->principals,
        &h->nprincipals, d) == 1 && (h->nprincipals == 0 ||
        h->nprincipals > PRINCIPALS_MAX))
        diags_add(d, "%s.principals: 1 to %d host names", path,
            PRINCIPALS_MAX);
    for (i = 0; i < h->nprincipals; i++)
        if (check_host_pattern(h->principals[i], why, sizeof(why)) != 0)
            diags_add(d, "%s.principals[%zu]: \"%.300s\": %s", path, i,
                h->principals[i], why);
    parse_host_ttls(j, path, h, d);
}

int
policy_hosts_parse(const json_t *j, struct policy *p, struct diags *d)
{
    const json_t *e;
    char path[64];
    size_t i;

    if (j == NULL)
        return 0;
    if (!json_is_array(j)) {
        diags_add(d, "hosts: must be an array of host entries");
        return 0;
    }
    if ((p->hosts = calloc(json_array_size(j) + 1, sizeof(*p->hosts))) ==
        NULL)
        return MESHCA_ERR_ALLOC;
    p->nhosts = json_array_size(j);
    json_array_foreach(j, i, e) {
        snprintf(path, sizeof(path), "hosts[%zu]", i);
        parse_host(e, path, &p->hosts[i], d);
    }
    return 0;
}

void
policy_hosts_free(struct policy *p)
{
    size_t i;

    for (i = 0; i < p->nhosts; i++) {
        jsonv_strv_free(p->hosts[i].spiffe_ids, p->hosts[i].nspiffe_ids);
        jsonv_strv_free(p->hosts[i].principals, p->hosts[i].nprincipals);
    }
    free(p->hosts);
    p->hosts = NULL;
    p->nhosts = 0;
}

size_t
policy_hosts_check_ceiling(const struct policy *p, int64_t ceiling,
    struct diags *d)
{
    char b1[32], b2[32];
    size_t i, n = 0;

    for (i = 0; p != NULL && i < p->nhosts; i++) {
        if (p->hosts[i].max_ttl <= ceiling)
            continue;
        diags_add(d, "hosts[%zu].max_ttl: %s exceeds the host certificate "
            "ceiling %s (mesh.host_ttl_ceiling)", i,
            duration_format(p->hosts[i].max_ttl, b1, sizeof(b1)),
            duration_format(ceiling, b2, sizeof(b2)));
        n++;
    }
    return n;
}

/* The first entry matching id, or p->nhosts. */
static size_t
host_entry(const struct policy *p, const char *id)
{
    size_t i, k;

    for (i = 0; i < p->nhosts; i++)
        for (k = 0; k < p->hosts[i].nspiffe_ids; k++)
            if (spiffe_match(p->hosts[i].spiffe_ids[k], id))
                return i;
    return p->nhosts;
}

/* Host names are certified in lower case: ssh lowercases the name it
 * connects to (and HostKeyAlias) before it compares it, byte for byte, with
 * a host certificate's principals, so "API.example.com" in a certificate
 * matches no connection at all.  DNS names are case-insensitive, so this
 * is the same name. */
static void
host_lower(char *s)
{
    for (; *s != '\0'; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
}

/*
 * Fills host principal pattern pat for id into buf (PRINCIPAL_MAX_LEN + 1),
 * in lower case (host_lower).
 * Returns buf, or NULL with the reason in why.
 */
static const char *
fill_host(const char *pat, const char *id, char *buf, char *why,
    size_t whylen)
{
    const char *p = pat, *close, *val;
    size_t o = 0, n = 0, seg = 0;
    int var;

    while (*p != '\0') {
        if (*p != '{') {
            if (o + 1 > PRINCIPAL_MAX_LEN)
                goto toolong;
            buf[o++] = *p++;
            continue;
        }
        close = strchr(p, '}');
        var = policy_spiffe_var(p + 1, (size_t)(close - p - 1), &seg);
        if (policy_spiffe_value(var, seg, id, &val, &n, why, whylen) != 0)
            return NULL;
        if (n == 0 || !host_text_ok(val, n, 1)) {
            snprintf(why, whylen, "%s: {%.*s} of %s is \"%.*s\", which is "
                "empty, starts with '.' or '-', or holds '/': not a safe "
                "part of a host name", pat, (int)(close - p - 1), p + 1, id,
                (int)(n > 64 ? 64 : n), val != NULL ? val : "");
            return NULL;
        }
        if (o + n > PRINCIPAL_MAX_LEN)
            goto toolong;
        memcpy(buf + o, val, n);
        o += n;
        p = close + 1;
    }
    buf[o] = '\0';
    if (!principal_valid(buf) || !host_text_ok(buf, o, 1)) {
        snprintf(why, whylen, "%s: filled in as \"%.64s\", which is not a "
            "host name", pat, buf);
        return NULL;
    }
    host_lower(buf);
    return buf;
toolong:
    snprintf(why, whylen, "%s: filled in, it is longer than %d characters",
        pat, PRINCIPAL_MAX_LEN);
    return NULL;
}

static int
in_strv(char *const *v, size_t n, const char *s)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0)
            return 1;
    return 0;
}

/* The names entry h grants id: into dec (principals), with the refusals
 * appended to why (may be NULL).  0 or MESHCA_ERR_ALLOC. */
static int
host_grants(const struct policy_host *h, const char *id,
    struct policy_host_decision *dec, json_t *why)
{
    char buf[PRINCIPAL_MAX_LEN + 1], reason[512];
    const char *name;
    size_t i;

    if ((dec->principals = calloc(h->nprincipals + 1, sizeof(char *))) ==
        NULL)
        return MESHCA_ERR_ALLOC;
    for (i = 0; i < h->nprincipals; i++) {
        if ((name = fill_host(h->principals[i], id, buf, reason,
            sizeof(reason))) == NULL) {
            if (why != NULL)
                json_array_append_new(why, json_string(reason));
            continue;
        }
        if (in_strv(dec->principals, dec->nprincipals, name))
            continue;
        if ((dec->principals[dec->nprincipals] = strdup(name)) == NULL)
            return MESHCA_ERR_ALLOC;
        dec->nprincipals++;
    }
    return 0;
}

static int
deny_host(struct policy_host_decision *dec, const char *msg)
{
    return (dec->denial = strdup(msg)) == NULL ? MESHCA_ERR_ALLOC
                                               : MESHCA_ERR_POLICY_DENIED;
}

/* policy_decide_host's decision, with refusals of single names in why
 * (may be NULL). */
static int
decide_host(const struct policy *p, const char *id, int64_t ttl,
    struct policy_host_decision *dec, json_t *why)
{
    const struct policy_host *h;
    char msg[1024];
    int r;

    if ((dec->entry = host_entry(p, id)) == p->nhosts) {
        snprintf(msg, sizeof(msg), "no entry of the policy's \"hosts\" "
            "matches %s%s: ask the CA's administrators to add its SPIFFE ID "
            "to hosts[].match.spiffe_ids", id, p->nhosts == 0 ?
            " (the policy has no \"hosts\" section)" : "");
        return deny_host(dec, msg);
    }
    h = &p->hosts[dec->entry];
    if ((r = host_grants(h, id, dec, why)) != 0)
        return r;
    if (dec->nprincipals == 0) {
        snprintf(msg, sizeof(msg), "hosts[%zu] matches %s but grants it no "
            "host name (%s)", dec->entry, id, why != NULL &&
            json_array_size(why) > 0 ?
            json_string_value(json_array_get(why, 0)) : "see /v1/explain");
        return deny_host(dec, msg);
    }
    dec->ttl = ttl > 0 ? ttl : h->default_ttl;
    if (dec->ttl > h->max_ttl)
        dec->ttl = h->max_ttl;
    return 0;
}

void
policy_host_decision_free(struct policy_host_decision *d)
{
    size_t i;

    if (d == NULL)
        return;
    for (i = 0; i < d->nprincipals; i++)
        free(d->principals[i]);
    free(d->principals);
    free(d->denial);
    free(d);
}

int
policy_decide_host(const struct policy *p, const char *spiffe_id,
    int64_t ttl, struct policy_host_decision **decp)
{
    struct policy_host_decision *dec;
    json_t *why = NULL;
    size_t i;
    int r;

    *decp = NULL;
    if (p == NULL || spiffe_id == NULL)
        return MESHCA_ERR_INVALID_ARGUMENT;
    if ((dec = calloc(1, sizeof(*dec))) == NULL ||
        (why = json_array()) == NULL) {
        free(dec);
        return MESHCA_ERR_ALLOC;
    }
    r = decide_host(p, spiffe_id, ttl, dec, why);
    json_decref(why);
    if (r == MESHCA_ERR_ALLOC) {
        policy_host_decision_free(dec);
        return r;
    }
    if (r != 0) {
        /* A denial grants nothing. */
        for (i = 0; i < dec->nprincipals; i++)
            free(dec->principals[i]);
        dec->nprincipals = 0;
        dec->ttl = 0;
    }
    *decp = dec;
    return r;
}

/* Pattern pat with each {template} replaced by '*' (PRINCIPAL_MAX_LEN + 1),
 * in lower case as the names it stands for. */
static void
as_known_hosts(const char *pat, char *buf)
{
    const char *p = pat, *close;
    size_t o = 0;

    while (*p != '\0' && o < PRINCIPAL_MAX_LEN) {
        if (*p == '{' && (close = strchr(p, '}')) != NULL) {
            buf[o++] = '*';
            p = close + 1;
        } else
            buf[o++] = *p++;
    }
    buf[o] = '\0';
    host_lower(buf);
}

json_t *
policy_host_patterns(const struct policy *p)
{
    char buf[PRINCIPAL_MAX_LEN + 1];
    json_t *a = json_array(), *v;
    size_t i, k, n;
    int seen;

    for (i = 0; a != NULL && p != NULL && i < p->nhosts; i++)
        for (k = 0; k < p->hosts[i].nprincipals; k++) {
            as_known_hosts(p->hosts[i].principals[k], buf);
            seen = 0;
            json_array_foreach(a, n, v)
                if (strcmp(json_string_value(v), buf) == 0)
                    seen = 1;
            if (!seen && json_array_append_new(a, json_string(buf)) != 0) {
                json_decref(a);
                return NULL;
            }
        }
    return a;
}

/* One entry's account for id. */
static json_t *
explain_entry(const struct policy *p, size_t i, const char *id)
{
    const struct policy_host *h = &p->hosts[i];
    struct policy_host_decision one;
    json_t *why = json_array(), *o;
    size_t k;
    int m = 0;

    for (k = 0; k < h->nspiffe_ids; k++)
        m |= spiffe_match(h->spiffe_ids[k], id);
    memset(&one, 0, sizeof(one));
    if (m && host_grants(h, id, &one, why) != 0) {
        json_decref(why);
        why = NULL;
    }
    o = json_pack("{s:I, s:b, s:o, s:o, s:o}", "index", (json_int_t)i,
        "matches", m, "spiffe_ids",
        policy_json_strv(h->spiffe_ids, h->nspiffe_ids),
        "principals", policy_json_strv(one.principals, one.nprincipals),
        "why", why != NULL ? why : json_null());
    for (k = 0; k < one.nprincipals; k++)
        free(one.principals[k]);
    free(one.principals);
    return o;
}

json_t *
policy_explain_host(const struct policy *p, const char *spiffe_id)
{
    struct policy_host_decision *dec = NULL;
    json_t *o = NULL, *entries;
    size_t i;
    int r;

    if ((r = policy_decide_host(p, spiffe_id, 0, &dec)) ==
        MESHCA_ERR_ALLOC || dec == NULL)
        return NULL;
    if ((entries = json_array()) == NULL)
        goto out;
    for (i = 0; i < p->nhosts; i++)
        json_array_append_new(entries, explain_entry(p, i, spiffe_id));
    o = json_pack("{s:s, s:s, s:o, s:I, s:o, s:o}", "spiffe_id", spiffe_id,
        "decision", r == 0 ? "granted" : "denied", "principals",
        policy_json_strv(dec->principals, dec->nprincipals), "ttl_seconds",
        (json_int_t)dec->ttl, "denial", dec->denial != NULL ?
        json_string(dec->denial) : json_null(), "entries", entries);
    if (o != NULL && r == 0)
        json_object_set_new(o, "entry", json_integer((json_int_t)dec->entry));
out:
    policy_host_decision_free(dec);
    return o;
}
