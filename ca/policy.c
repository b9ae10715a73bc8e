/*
 * The policy: decisions, explanations, admins.  Loading is in
 * policy_parse.c.  See meshca/policy.h for the rules.
 *
 * policy_decide is on the issuance hot path: it reads the immutable policy,
 * fills templates into stack buffers, writes messages only when denying, and
 * returns its decision in one allocation.  policy_explain reuses the same
 * decision and adds the role-by-role account in jansson objects.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "meshca/buf.h"
#include "meshca/duration.h"
#include "meshca/policy.h"
#include "meshca/principal.h"
#include "meshca/spiffe.h"
#include "policy_int.h"

/* Which match key failed. */
enum fail {
    FAIL_NONE = 0,
    FAIL_ISSUER,
    FAIL_GROUPS,
    FAIL_EMAILS,
    FAIL_DOMAINS,
    FAIL_SUBJECTS,
    FAIL_ABSENT,
    FAIL_SPIFFE_IDS,
};

static const char *const fail_keys[] = { NULL, "issuer", "groups", "emails",
    "email_domains", "subjects", NULL, "spiffe_ids" };

/*
 * Denials and explanations are built in a struct meshca_buf (NULL: nobody will
 * read them, nothing is written) and cut to their fields at the end
 * (text_cut).  Text past TEXT_CUT, the largest field, is never built.
 * XXX an append that fails (out of memory) is dropped: the text is for a
 * person, and the decision does not depend on it.
 */
#define TEXT_CUT 2048
#define DENIAL_MAX 2048         /* a decision's denial, NUL included */
#define WHY_MAX 1024            /* an explanation's "why", NUL included */

static void say(struct meshca_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The length of s[0..n) without an incomplete UTF-8 sequence at its end, so
 * a cut text stays valid for JSON. */
static size_t
utf8_whole(const char *s, size_t n)
{
    size_t i = n, back = 0, need;
    unsigned char ch;

    while (i > 0 && back < 4 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) {
        i--;
        back++;
    }
    if (i == 0 || (ch = (unsigned char)s[i - 1]) < 0xC0)
        return n;
    need = ch >= 0xF0 ? 3 : ch >= 0xE0 ? 2 : 1;
    return back < need ? i - 1 : n;
}

/* 1 when text should still be added to b. */
static int
wanted(const struct meshca_buf *b)
{
    return b != NULL && meshca_buf_len(b) < TEXT_CUT;
}

static void
say(struct meshca_buf *b, const char *fmt, ...)
{
    va_list ap;

    if (!wanted(b))
        return;
    va_start(ap, fmt);
    if (meshca_buf_vputf(b, fmt, ap) != 0) {
        /* dropped, see above */
    }
    va_end(ap);
}

/* Copies the text in b into dst (cap bytes), cut at a whole UTF-8
 * character when it is longer. */
static void
text_cut(const struct meshca_buf *b, char *dst, size_t cap)
{
    size_t n = meshca_buf_len(b);

    if (n > cap - 1)
        n = utf8_whole((const char *)meshca_buf_ptr(b), cap - 1);
    memcpy(dst, meshca_buf_ptr(b), n);
    dst[n] = '\0';
}

/* Appends n bytes of a claim value for a person to read: at most max,
 * control characters shown as '?', so a token cannot put line breaks in a
 * log. */
static void
say_valuen(struct meshca_buf *b, const char *s, size_t n, size_t max)
{
    size_t i, m;
    char ch;

    if (!wanted(b))
        return;
    if (s == NULL) {
        say(b, "(none)");
        return;
    }
    m = n < max ? n : max;
    if (m < n)
        m = utf8_whole(s, m);
    for (i = 0; i < m; i++) {
        ch = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
        if (meshca_buf_put(b, &ch, 1) != 0)
            return;
    }
    if (m < n)
        say(b, "...");
}

static void
say_value(struct meshca_buf *b, const char *s, size_t max)
{
    say_valuen(b, s, s != NULL ? strlen(s) : 0, max);
}

static void
say_strv(struct meshca_buf *b, char *const *v, size_t n)
{
    size_t i;

    say(b, "[");
    for (i = 0; i < n; i++) {
        if (i > 0)
            say(b, ", ");
        say_value(b, v[i], 128);
    }
    say(b, "]");
}

/* Matching */

static int
in_list(char *const *list, size_t n, const char *s, int icase)
{
    size_t i;

    if (s == NULL)
        return 0;
    for (i = 0; i < n; i++)
        if ((icase ? strcasecmp(list[i], s) : strcmp(list[i], s)) == 0)
            return 1;
    return 0;
}

static const char *
verified_email(const struct claims *c)
{
    return c->email != NULL && c->email_verified ? c->email : NULL;
}

/* FAIL_NONE when c matches m, otherwise the key that failed. */
static enum fail
match_test(const struct policy_match *m, const struct claims *c)
{
    const char *email = verified_email(c), *at;
    size_t i;

    if (!m->present)
        return FAIL_ABSENT;
    if (m->issuer != NULL && (c->iss == NULL || strcmp(m->issuer, c->iss)))
        return FAIL_ISSUER;
    if (m->ngroups > 0) {
        for (i = 0; i < c->ngroups; i++)
            if (in_list(m->groups, m->ngroups, c->groups[i], 0))
                break;
        if (i == c->ngroups)
            return FAIL_GROUPS;
    }
    if (m->nemails > 0 && !in_list(m->emails, m->nemails, email, 1))
        return FAIL_EMAILS;
    if (m->ndomains > 0) {
        at = email != NULL ? strrchr(email, '@') : NULL;
        if (at == NULL || !in_list(m->domains, m->ndomains, at + 1, 1))
            return FAIL_DOMAINS;
    }
    if (m->nsubjects > 0 && !in_list(m->subjects, m->nsubjects, c->sub, 0))
        return FAIL_SUBJECTS;
    if (m->nspiffe_ids > 0) {
        for (i = 0; c->spiffe_id != NULL && i < m->nspiffe_ids; i++)
            if (spiffe_match(m->spiffe_ids[i], c->spiffe_id))
                break;
        if (c->spiffe_id == NULL || i == m->nspiffe_ids)
            return FAIL_SPIFFE_IDS;
    }
    return FAIL_NONE;
}

/* Why m does not match c (fail from match_test), for a person. */
static void
match_why(const struct policy_match *m, const struct claims *c,
    enum fail fail, struct meshca_buf *b)
{
    const char *email = verified_email(c);

    switch (fail) {
    case FAIL_NONE:
        say(b, "matched");
        break;
    case FAIL_ABSENT:
        say(b, "no rule");
        break;
    case FAIL_ISSUER:
        say(b, "your issuer ");
        say_value(b, c->iss, 200);
        say(b, " is not %s", m->issuer);
        break;
    case FAIL_GROUPS:
        say(b, "none of your groups ");
        say_strv(b, c->groups, c->ngroups);
        say(b, " is in ");
        say_strv(b, m->groups, m->ngroups);
        break;
    case FAIL_EMAILS:
    case FAIL_DOMAINS:
        if (email == NULL) {
            say(b, "%s needs a verified email and your token has %s",
                fail_keys[fail], c->email != NULL ? "an unverified one" :
                "none");
            break;
        }
        say(b, "your verified email ");
        say_value(b, email, 200);
        say(b, " is not in %s ", fail_keys[fail]);
        if (fail == FAIL_EMAILS)
            say_strv(b, m->emails, m->nemails);
        else
            say_strv(b, m->domains, m->ndomains);
        break;
    case FAIL_SUBJECTS:
        say(b, "your subject ");
        say_value(b, c->sub, 200);
        say(b, " is not in subjects");
        break;
    case FAIL_SPIFFE_IDS:
        if (c->spiffe_id == NULL) {
            say(b, "spiffe_ids needs a workload identity (a JWT-SVID or an "
                "X.509-SVID) and you have none");
            break;
        }
        say(b, "your SPIFFE ID ");
        say_value(b, c->spiffe_id, 300);
        say(b, " matches none of spiffe_ids ");
        say_strv(b, m->spiffe_ids, m->nspiffe_ids);
        break;
    }
}

int
policy_is_admin(const struct policy *p, const struct claims *c)
{
    if (p == NULL || c == NULL)
        return 0;
    return p->admins.present && match_test(&p->admins, c) == FAIL_NONE;
}

/* Why no role matches c: who c is and, for a workload, why no spiffe_ids
 * pattern matches its SPIFFE ID. */
static void
say_no_role(const struct policy *p, const struct claims *c,
    struct meshca_buf *b)
{
    size_t i;

    say(b, "no role matches you (issuer ");
    say_value(b, c->iss, 200);
    say(b, ", subject ");
    say_value(b, c->sub, 200);
    if (c->spiffe_id == NULL) {
        say(b, ", groups ");
        say_strv(b, c->groups, c->ngroups);
        say(b, "); ask for a role in the policy");
        return;
    }
    say(b, "): your SPIFFE ID ");
    say_value(b, c->spiffe_id, 300);
    say(b, " matches none of spiffe_ids");
    for (i = 0; i < p->nroles; i++)
        if (p->roles[i].match.nspiffe_ids > 0) {
            say(b, " %s ", p->roles[i].name);
            say_strv(b, p->roles[i].match.spiffe_ids,
                p->roles[i].match.nspiffe_ids);
        }
    say(b, "; ask for a role in the policy");
}

static const struct policy_role *find_role(const struct policy *p,
    const char *name);

int
policy_is_approver(const struct policy *p, const char *role,
    const struct claims *c)
{
    const struct policy_role *r;

    if (p == NULL || role == NULL || c == NULL ||
        (r = find_role(p, role)) == NULL || r->min_approvals == 0)
        return 0;
    return r->approvers.present && match_test(&r->approvers, c) ==
        FAIL_NONE;
}

json_t *
policy_json_strv(char *const *v, size_t n)
{
    json_t *a = json_array();
    size_t i;

    for (i = 0; a != NULL && i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

/* Sets o[key] to the list v when it is not empty. */
static void
set_list(json_t *o, const char *key, char *const *v, size_t n)
{
    if (n > 0)
        json_object_set_new(o, key, policy_json_strv(v, n));
}

json_t *
policy_approvers_json(const struct policy *p, const char *role)
{
    const struct policy_role *r;
    const struct policy_match *m;
    json_t *o;

    if (p == NULL || role == NULL || (r = find_role(p, role)) == NULL ||
        r->min_approvals == 0 || (o = json_object()) == NULL)
        return NULL;
    m = &r->approvers;
    if (m->issuer != NULL)
        json_object_set_new(o, "issuer", json_string(m->issuer));
    set_list(o, "groups", m->groups, m->ngroups);
    set_list(o, "emails", m->emails, m->nemails);
    set_list(o, "email_domains", m->domains, m->ndomains);
    set_list(o, "subjects", m->subjects, m->nsubjects);
    return o;
}

/* Templates */

/* The value of template variable var (vlen bytes) for c, with its length;
 * NULL when the token does not have it. */
static const char *
template_value(const char *var, size_t vlen, const struct claims *c,
    size_t *lenp)
{
    const char *email = verified_email(c), *at, *s = NULL;
    const json_t *pu;

    if (vlen == 3 && memcmp(var, "sub", 3) == 0)
        s = c->sub;
    else if (vlen == 5 && memcmp(var, "email", 5) == 0)
        s = email;
    else if (vlen == 11 && memcmp(var, "email_local", 11) == 0) {
        /* Split at the only '@'.  With several ("root@evil.com"@example.com
         * quoted, or plain root@evil.com@example.com) the whole address is
         * the value, and template_bad() refuses its '@'. */
        if (email != NULL && (at = strchr(email, '@')) != NULL &&
            strchr(at + 1, '@') == NULL) {
            *lenp = (size_t)(at - email);
            return email;
        }
        s = email;
    } else if (vlen == 18 && memcmp(var, "preferred_username", 18) == 0 &&
        c->raw != NULL &&
        (pu = json_object_get(c->raw, "preferred_username")) != NULL &&
        json_is_string(pu) &&
        strlen(json_string_value(pu)) == json_string_length(pu))
        s = json_string_value(pu);
    if (s != NULL)
        *lenp = strlen(s);
    return s;
}

/*
 * Filled-in template values may hold only [A-Za-z0-9._-] and may not start
 * with '.' or '-'; {email} is checked as local@domain, each part so, with
 * exactly one '@'.  Claims are the provider's data, not ours: '@', quotes,
 * '/', ':', '+', spaces and anything non-ASCII stay out of principals.
 * Returns the index of the first byte refused, or n when val is fine.
 */
static size_t
template_bad(const char *val, size_t n, int is_email)
{
    size_t k, start = 0, ats = 0;
    char ch;

    for (k = 0; k < n; k++) {
        ch = val[k];
        if (is_email && ch == '@' && ats++ == 0 && k > start && k + 1 < n) {
            start = k + 1;
            continue;
        }
        if ((k == start && (ch == '.' || ch == '-')) ||
            !((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
            (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
            return k;
    }
    if (is_email && ats != 1)
        return n == 0 ? 0 : n - 1;
    return n;
}

/* Appends why value val of template var (both vlen/n bytes) cannot be used,
 * bad being the index template_bad() found. */
static void
say_template_refusal(struct meshca_buf *why, const char *pat, const char *var,
    size_t vlen, const char *val, size_t n, size_t bad)
{
    char ch = val[bad];

    say(why, "%s: your {%.*s} \"", pat, (int)vlen, var);
    say_valuen(why, val, n, 64);
    if (ch == '/' || ch == ':')
        say(why, "\" holds '%c', which would reach into another "
            "namespace or service", ch);
    else if (ch == '@' || (vlen == 5 && bad + 1 == n))
        say(why, "\" is not an email with exactly one '@'%s",
            vlen == 5 ? "" : " (only letters, digits, '.', '_' and '-' may "
            "be filled in)");
    else if (ch == '.' || ch == '-')
        say(why, "\" may not start with '%c'", ch);
    else
        say(why, "\" holds a character other than letters, digits, '.', "
            "'_' and '-'");
}

/*
 * The value of SPIFFE template var (vlen bytes) of pattern pat for c, with
 * its length; NULL with the reason appended to why.  Values come from a
 * verified SPIFFE ID, whose segments hold only [A-Za-z0-9._-]; a segment
 * still may not start with '.' or '-', and only {spiffe_path} may hold '/'
 * (between segments, as it does in the ID).
 */
static const char *
spiffe_value(const char *pat, const char *var, size_t vlen,
    const struct claims *c, size_t *lenp, struct meshca_buf *why)
{
    const char *val;
    char reason[160];
    size_t n = 0;
    int kind = policy_spiffe_var(var, vlen, &n);

    if (policy_spiffe_value(kind, n, c->spiffe_id, &val, lenp, reason,
        sizeof(reason)) != 0) {
        say(why, "%s: {%.*s}: %s", pat, (int)vlen, var, reason);
        return NULL;
    }
    if (*lenp > 0 && (val[0] == '.' || val[0] == '-')) {
        say(why, "%s: your {%.*s} \"", pat, (int)vlen, var);
        say_valuen(why, val, *lenp, 64);
        say(why, "\" may not start with '%c'", val[0]);
        return NULL;
    }
    return val;
}

/*
 * Principal i of role r for c: the literal itself, or the template filled
 * into buf (PRINCIPAL_MAX_LEN + 1 bytes).  NULL when it cannot be granted,
 * with the reason appended to why (when why != NULL).
 */
static const char *
role_principal(const struct policy_role *r, size_t i, const struct claims *c,
    char *buf, size_t buflen, struct meshca_buf *why)
{
    const char *pat = r->principals[i], *p = pat, *close, *val;
    size_t o = 0, vlen, n = 0, k;

    if (!r->templated[i])
        return pat;
    while (*p != '\0') {
        if (*p != '{') {
            if (o + 1 >= buflen)
                goto toolong;
            buf[o++] = *p++;
            continue;
        }
        /* The loader checked every '{' has its '}' and a known name. */
        close = strchr(p, '}');
        vlen = (size_t)(close - p - 1);
        if (policy_spiffe_var(p + 1, vlen, &k) != 0) {
            if ((val = spiffe_value(pat, p + 1, vlen, c, &n, why)) == NULL)
                return NULL;
        } else if ((val = template_value(p + 1, vlen, c, &n)) == NULL) {
            say(why, "%s: your token has no %s{%.*s}", pat,
                vlen == 5 || vlen == 11 ? "verified email for " : "",
                (int)vlen, p + 1);
            return NULL;
        }
        if (n == 0) {
            say(why, "%s: your {%.*s} is empty", pat, (int)vlen, p + 1);
            return NULL;
        }
        if (policy_spiffe_var(p + 1, vlen, &k) == 0 &&
            (k = template_bad(val, n, vlen == 5)) != n) {
            say_template_refusal(why, pat, p + 1, vlen, val, n, k);
            return NULL;
        }
        if (o + n >= buflen)
            goto toolong;
        memcpy(buf + o, val, n);
        o += n;
        p = close + 1;
    }
    buf[o] = '\0';
    if (!principal_valid(buf)) {
        say(why, "%s: filled in as \"", pat);
        say_value(why, buf, 64);
        say(why, "\", which is not a valid principal");
        return NULL;
    }
    return buf;
toolong:
    say(why, "%s: filled in, it is longer than %d characters", pat,
        PRINCIPAL_MAX_LEN);
    return NULL;
}

/* 1 when r grants principal want to c. */
static int
role_grants_one(const struct policy_role *r, const struct claims *c,
    const char *want)
{
    char buf[PRINCIPAL_MAX_LEN + 1];
    const char *g;
    size_t k;

    if (want == NULL)
        return 0;
    for (k = 0; k < r->nprincipals; k++)
        if ((g = role_principal(r, k, c, buf, sizeof(buf), NULL)) != NULL &&
            strcmp(g, want) == 0)
            return 1;
    return 0;
}

/* 1 when r grants c every wanted principal (none wanted: at least one);
 * otherwise 0 with the first missing one's index in *missingp. */
static int
role_covers(const struct policy_role *r, const struct claims *c,
    const struct policy_request *rq, size_t *missingp)
{
    char buf[PRINCIPAL_MAX_LEN + 1];
    size_t i;

    *missingp = 0;
    if (rq->nprincipals == 0) {
        for (i = 0; i < r->nprincipals; i++)
            if (role_principal(r, i, c, buf, sizeof(buf), NULL) != NULL)
                return 1;
        return 0;
    }
    for (i = 0; i < rq->nprincipals; i++)
        if (!role_grants_one(r, c, rq->principals[i])) {
            *missingp = i;
            return 0;
        }
    return 1;
}

/* "[a, b]": what r grants c. */
static void
say_grants(struct meshca_buf *b, const struct policy_role *r, const struct claims *c)
{
    char buf[PRINCIPAL_MAX_LEN + 1];
    const char *g;
    size_t i;
    int first = 1;

    say(b, "[");
    for (i = 0; i < r->nprincipals; i++)
        if ((g = role_principal(r, i, c, buf, sizeof(buf), NULL)) != NULL) {
            say(b, "%s%s", first ? "" : ", ", g);
            first = 0;
        }
    say(b, "]");
}

/* Decision */

struct outcome {
    const struct policy_role *role;  /* chosen; NULL when denied */
    int64_t ttl;
    char note[192];
};

/* 1 when code point cp is something a person can see: not a control, not
 * a space (ASCII or Unicode: U+00A0, U+1680, U+2000..U+200A, U+202F,
 * U+205F, U+3000) and not an invisible format character (soft hyphen,
 * zero-width and bidi marks, word joiners, U+FEFF, Hangul fillers). */
static int
visible_cp(uint32_t cp)
{
    if (cp <= 0x20 || (cp >= 0x7f && cp <= 0xa0) || cp == 0xad)
        return 0;
    if ((cp >= 0x2000 && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202f) ||
        (cp >= 0x205f && cp <= 0x206f))
        return 0;
    switch (cp) {
    case 0x034f: case 0x115f: case 0x1160: case 0x1680: case 0x180e:
    case 0x3000: case 0x3164: case 0xfeff: case 0xffa0:
        return 0;
    }
    return 1;
}

/* Decodes one UTF-8 character at s into *cpp; returns its length (>= 1).
 * A malformed sequence decodes as U+0000 (invisible), one byte long. */
static size_t
utf8_next(const unsigned char *s, uint32_t *cpp)
{
    size_t len, i;
    uint32_t cp;

    *cpp = 0;
    if (s[0] < 0x80) {
        *cpp = s[0];
        return 1;
    }
    if ((s[0] & 0xe0) == 0xc0) {
        len = 2;
        cp = s[0] & 0x1f;
    } else if ((s[0] & 0xf0) == 0xe0) {
        len = 3;
        cp = s[0] & 0x0f;
    } else if ((s[0] & 0xf8) == 0xf0) {
        len = 4;
        cp = s[0] & 0x07;
    } else
        return 1;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 1;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    *cpp = cp;
    return len;
}

/* A reason is given when it holds at least one visible character:
 * "\u00a0" or a run of zero-width spaces is no reason. */
static int
reason_given(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    uint32_t cp;

    while (p != NULL && *p != '\0') {
        p += utf8_next(p, &cp);
        if (visible_cp(cp))
            return 1;
    }
    return 0;
}

static const struct policy_role *
find_role(const struct policy *p, const char *name)
{
    size_t i;

    for (i = 0; i < p->nroles; i++)
        if (strcmp(p->roles[i].name, name) == 0)
            return &p->roles[i];
    return NULL;
}

/* The denial when roles match but none grants what was asked. */
static void
deny_not_granted(const struct policy *p, const struct policy_request *rq,
    struct meshca_buf *b)
{
    const struct claims *c = rq->claims;
    const struct policy_role *r;
    const char *bad = NULL;
    size_t i, k, n;

    for (i = 0; i < rq->nprincipals && bad == NULL; i++) {
        for (k = 0; k < p->nroles; k++) {
            r = &p->roles[k];
            if (match_test(&r->match, c) == FAIL_NONE &&
                role_grants_one(r, c, rq->principals[i]))
                break;
        }
        if (k == p->nroles)
            bad = rq->principals[i] != NULL ? rq->principals[i] : "(null)";
    }
    if (bad != NULL) {
        say(b, "principal ");
        say_value(b, bad, 256);
        say(b, " is not granted: ");
    } else if (rq->nprincipals > 0)
        say(b, "no single role grants all of the requested principals "
            "together (a certificate's powers come from one role); ask for "
            "fewer: ");
    else
        say(b, "the roles you match grant no principal for your "
            "identity: ");
    if (c->ngroups > 0) {
        say(b, "your groups ");
        say_strv(b, c->groups, c->ngroups);
        say(b, " match ");
    } else
        say(b, "you match ");
    for (k = 0, n = 0; k < p->nroles; k++) {
        r = &p->roles[k];
        if (match_test(&r->match, c) != FAIL_NONE)
            continue;
        say(b, "%srole %s, which grants ", n++ ? "; " : "", r->name);
        say_grants(b, r, c);
        if (rq->nprincipals == 0) {
            char buf[PRINCIPAL_MAX_LEN + 1];

            say(b, " (");
            for (i = 0; i < r->nprincipals; i++)
                if (role_principal(r, i, c, buf, sizeof(buf), b) == NULL &&
                    i + 1 < r->nprincipals)
                    say(b, "; ");
            say(b, ")");
        }
    }
}

/* Chooses the role and the TTL, or writes the denial to b (NULL: only
 * decides).  Returns 0 or MESHCA_ERR_POLICY_DENIED. */
static int
decide_core(const struct policy *p, const struct policy_request *rq,
    struct outcome *o, struct meshca_buf *b)
{
    const struct claims *c = rq->claims;
    const struct policy_role *r = NULL;
    char t1[32], t2[32];
    size_t i, missing, nmatched = 0;
    enum fail fail;

    o->role = NULL;
    o->ttl = 0;
    o->note[0] = '\0';
    if (rq->nprincipals > PRINCIPALS_MAX) {
        say(b, "too many principals requested (%zu; at most %d)",
            rq->nprincipals, PRINCIPALS_MAX);
        return MESHCA_ERR_POLICY_DENIED;
    }
    if (rq->role != NULL) {
        if ((r = find_role(p, rq->role)) == NULL) {
            say(b, "there is no role named ");
            say_value(b, rq->role, 64);
            return MESHCA_ERR_POLICY_DENIED;
        }
        if ((fail = match_test(&r->match, c)) != FAIL_NONE) {
            say(b, "role %s does not match you: ", r->name);
            match_why(&r->match, c, fail, b);
            return MESHCA_ERR_POLICY_DENIED;
        }
        if (!role_covers(r, c, rq, &missing)) {
            if (rq->nprincipals > 0) {
                say(b, "principal ");
                say_value(b, rq->principals[missing], 256);
                say(b, " is not granted: role %s grants ", r->name);
                say_grants(b, r, c);
            } else {
                say(b, "role %s grants no principal for your "
                    "identity: ", r->name);
                for (i = 0; i < r->nprincipals; i++) {
                    char buf[PRINCIPAL_MAX_LEN + 1];

                    if (role_principal(r, i, c, buf, sizeof(buf), b) ==
                        NULL && i + 1 < r->nprincipals)
                        say(b, "; ");
                }
            }
            return MESHCA_ERR_POLICY_DENIED;
        }
    } else {
        for (i = 0; i < p->nroles; i++) {
            if (match_test(&p->roles[i].match, c) != FAIL_NONE)
                continue;
            nmatched++;
            if (role_covers(&p->roles[i], c, rq, &missing)) {
                r = &p->roles[i];
                break;
            }
        }
        if (r == NULL && nmatched == 0) {
            say_no_role(p, c, b);
            return MESHCA_ERR_POLICY_DENIED;
        }
        if (r == NULL) {
            deny_not_granted(p, rq, b);
            return MESHCA_ERR_POLICY_DENIED;
        }
    }
    if (r->require_reason && !reason_given(rq->reason)) {
        say(b, "role %s requires a reason: say why you need access "
            "(meshca login --reason \"...\")", r->name);
        return MESHCA_ERR_POLICY_DENIED;
    }
    o->role = r;
    if (rq->ttl <= 0) {
        o->ttl = r->default_ttl;
        snprintf(o->note, sizeof(o->note), "default_ttl %s of role %s",
            duration_format(r->default_ttl, t1, sizeof(t1)), r->name);
    } else if (rq->ttl > r->max_ttl) {
        o->ttl = r->max_ttl;
        snprintf(o->note, sizeof(o->note), "asked %s, capped by max_ttl %s "
            "of role %s", duration_format(rq->ttl, t1, sizeof(t1)),
            duration_format(r->max_ttl, t2, sizeof(t2)), r->name);
    } else {
        o->ttl = rq->ttl;
        snprintf(o->note, sizeof(o->note), "as asked (max_ttl %s of role %s "
            "allows it)", duration_format(r->max_ttl, t1, sizeof(t1)),
            r->name);
    }
    return 0;
}

/* Copies s into the decision block at *offp (or only counts when base is
 * NULL).  Returns the copy. */
static char *
put(char *base, size_t *offp, const char *s)
{
    size_t n = strlen(s) + 1;
    char *dst = NULL;

    if (base != NULL) {
        dst = base + *offp;
        memcpy(dst, s, n);
    }
    *offp += n;
    return dst;
}

/*
 * Lays a grant out in one block: the struct, the two pointer arrays, then
 * the strings.  With base NULL it only measures (an upper bound: duplicates
 * are dropped when writing).  Returns the size.
 */
static size_t
layout_grant(char *base, const struct outcome *o,
    const struct policy_request *rq)
{
    const struct policy_role *r = o->role;
    const struct claims *c = rq->claims;
    struct policy_decision *d = (struct policy_decision *)(void *)base;
    char buf[PRINCIPAL_MAX_LEN + 1], **pv = NULL, **ev = NULL, *s;
    const char *g;
    size_t off = sizeof(*d), nmax, i, k, n = 0;

    nmax = rq->nprincipals > 0 ? rq->nprincipals : r->nprincipals;
    if (base != NULL) {
        memset(d, 0, sizeof(*d));
        pv = (char **)(void *)(base + off);
        ev = pv + nmax + 1;
    }
    off += (nmax + 1 + r->nextensions + 1) * sizeof(char *);
    for (i = 0; i < nmax; i++) {
        if (rq->nprincipals > 0)
            g = rq->principals[i];
        else if ((g = role_principal(r, i, c, buf, sizeof(buf), NULL)) ==
            NULL)
            continue;
        if (base != NULL) {
            for (k = 0; k < n && strcmp(pv[k], g) != 0; k++)
                ;
            if (k < n)
                continue;
        }
        s = put(base, &off, g);
        if (base != NULL)
            pv[n++] = s;
    }
    for (i = 0; i < r->nextensions; i++) {
        s = put(base, &off, r->extensions[i]);
        if (base != NULL)
            ev[i] = s;
    }
    s = put(base, &off, r->name);
    if (base != NULL)
        d->role = s;
    s = put(base, &off, o->note);
    if (base != NULL)
        d->ttl_note = s;
    if (r->force_command != NULL) {
        s = put(base, &off, r->force_command);
        if (base != NULL)
            d->force_command = s;
    }
    if (r->source_address != NULL) {
        s = put(base, &off, r->source_address);
        if (base != NULL)
            d->source_address = s;
    }
    if (base != NULL) {
        pv[n] = NULL;
        ev[r->nextensions] = NULL;
        d->principals = pv;
        d->nprincipals = n;
        d->extensions = ev;
        d->nextensions = r->nextensions;
        d->ttl = o->ttl;
        d->min_approvals = r->min_approvals;
        d->request_ttl = r->request_ttl;
        d->break_glass = r->break_glass;
    }
    return off;
}

static int
check_request(const struct policy *p, const struct policy_request *rq)
{
    const struct claims *c;

    if (p == NULL || rq == NULL || (c = rq->claims) == NULL ||
        c->iss == NULL || c->sub == NULL ||
        (rq->nprincipals > 0 && rq->principals == NULL) ||
        (c->ngroups > 0 && c->groups == NULL))
        return MESHCA_ERR_INVALID_ARGUMENT;
    return 0;
}

/* The decision for a denied request: the denial text in one block. */
static int
deny(const struct policy *p, const struct policy_request *req,
    struct policy_decision **decp)
{
    struct policy_decision *d = NULL;
    struct outcome o;
    struct meshca_buf *why = NULL;
    char text[DENIAL_MAX];
    size_t size;
    int r;

    if ((why = meshca_buf_new(BUF_SIZE_MAX)) == NULL)
        return MESHCA_ERR_ALLOC;
    r = decide_core(p, req, &o, why);
    text_cut(why, text, sizeof(text));
    meshca_buf_free(why);
    if (r != MESHCA_ERR_POLICY_DENIED)
        return MESHCA_ERR_INTERNAL;     /* decide_core is deterministic */
    size = sizeof(*d) + strlen(text) + 1;
    if ((d = calloc(1, size)) == NULL)
        return MESHCA_ERR_ALLOC;
    d->denial = (char *)(d + 1);
    memcpy(d->denial, text, size - sizeof(*d));
    *decp = d;
    return r;
}

int
policy_decide(const struct policy *p, const struct policy_request *req,
    struct policy_decision **decp)
{
    struct policy_decision *d = NULL;
    struct outcome o;
    size_t size;
    int r;

    if (decp == NULL)
        return MESHCA_ERR_INVALID_ARGUMENT;
    *decp = NULL;
    if ((r = check_request(p, req)) != 0)
        return r;
    /* Deciding writes no text; a denial is decided again to say why. */
    if ((r = decide_core(p, req, &o, NULL)) == MESHCA_ERR_POLICY_DENIED)
        return deny(p, req, decp);
    size = layout_grant(NULL, &o, req);
    if ((d = malloc(size)) == NULL)
        return MESHCA_ERR_ALLOC;
    (void)layout_grant((char *)d, &o, req);
    *decp = d;
    return 0;
}

void
policy_decision_free(struct policy_decision *d)
{
    free(d);
}

/* Explanations */

/* The account of one role: matched or why not, what it grants. */
static json_t *
explain_role(const struct policy_role *r, const struct policy_request *rq,
    const struct policy_role *chosen)
{
    const struct claims *c = rq->claims;
    json_t *o, *grants, *skipped, *missing;
    char text[WHY_MAX], buf[PRINCIPAL_MAX_LEN + 1];
    const char *g;
    struct meshca_buf *b = NULL;
    enum fail fail = match_test(&r->match, c);
    size_t i;

    if ((b = meshca_buf_new(BUF_SIZE_MAX)) == NULL)
        return NULL;
    match_why(&r->match, c, fail, b);
    if (fail == FAIL_NONE && rq->role != NULL && strcmp(rq->role, r->name))
        say(b, ", but the request names role %s", rq->role);
    text_cut(b, text, sizeof(text));
    if ((o = json_object()) == NULL) {
        meshca_buf_free(b);
        return NULL;
    }
    json_object_set_new(o, "name", json_string(r->name));
    json_object_set_new(o, "matched", json_boolean(fail == FAIL_NONE));
    json_object_set_new(o, "why", json_string(text));
    if (fail != FAIL_NONE && fail_keys[fail] != NULL)
        json_object_set_new(o, "failed_key", json_string(fail_keys[fail]));
    grants = json_array();
    skipped = json_array();
    for (i = 0; i < r->nprincipals; i++) {
        meshca_buf_reset(b);
        if ((g = role_principal(r, i, c, buf, sizeof(buf), b)) != NULL)
            json_array_append_new(grants, json_string(g));
        else {
            text_cut(b, text, sizeof(text));
            json_array_append_new(skipped, json_string(text));
        }
    }
    json_object_set_new(o, "grants", grants);
    if (json_array_size(skipped) > 0)
        json_object_set_new(o, "skipped", skipped);
    else
        json_decref(skipped);
    if (rq->nprincipals > 0) {
        missing = json_array();
        for (i = 0; i < rq->nprincipals; i++)
            if (!role_grants_one(r, c, rq->principals[i]))
                json_array_append_new(missing,
                    json_string(rq->principals[i]));
        json_object_set_new(o, "missing", missing);
    }
    json_object_set_new(o, "chosen", json_boolean(r == chosen));
    meshca_buf_free(b);
    return o;
}

/* What a granted decision's role asks beyond the grant (#17): approval
 * ("approval": {min_approvals, request_ttl_seconds, approvers}) or
 * break-glass. */
static void
explain_access(json_t *ex, const struct policy *p,
    const struct policy_decision *d)
{
    if (d->break_glass)
        json_object_set_new(ex, "break_glass", json_true());
    if (d->min_approvals > 0)
        json_object_set_new(ex, "approval", json_pack("{s:i, s:I, s:o*}",
            "min_approvals", d->min_approvals, "request_ttl_seconds",
            (json_int_t)d->request_ttl, "approvers",
            policy_approvers_json(p, d->role)));
}

json_t *
policy_explain(const struct policy *p, const struct policy_request *req)
{
    const struct claims *c;
    const struct policy_role *chosen = NULL;
    struct policy_decision *d = NULL;
    json_t *ex = NULL, *roles, *requested, *who, *asked, *by, *opts;
    const char *email;
    size_t i, k;
    int r, granted;

    if (check_request(p, req) != 0)
        return NULL;
    c = req->claims;
    r = policy_decide(p, req, &d);
    if (r != 0 && r != MESHCA_ERR_POLICY_DENIED)
        return NULL;
    if ((ex = json_object()) == NULL)
        goto out;
    json_object_set_new(ex, "policy_version", json_string(p->version));
    if (r == 0) {
        chosen = find_role(p, d->role);
        json_object_set_new(ex, "decision", json_string("granted"));
        json_object_set_new(ex, "role", json_string(d->role));
        json_object_set_new(ex, "principals",
            policy_json_strv(d->principals, d->nprincipals));
        json_object_set_new(ex, "ttl_seconds", json_integer(d->ttl));
        json_object_set_new(ex, "ttl_note", json_string(d->ttl_note));
        json_object_set_new(ex, "extensions",
            policy_json_strv(d->extensions, d->nextensions));
        opts = json_object();
        if (d->force_command != NULL)
            json_object_set_new(opts, "force-command",
                json_string(d->force_command));
        if (d->source_address != NULL)
            json_object_set_new(opts, "source-address",
                json_string(d->source_address));
        json_object_set_new(ex, "critical_options", opts);
        explain_access(ex, p, d);
    } else {
        json_object_set_new(ex, "decision", json_string("denied"));
        json_object_set_new(ex, "denial", json_string(d->denial));
    }
    who = json_object();
    email = verified_email(c);
    json_object_set_new(who, "issuer", json_string(c->iss));
    json_object_set_new(who, "subject", json_string(c->sub));
    json_object_set_new(who, "email", email ? json_string(email) :
        json_null());
    json_object_set_new(who, "groups",
        policy_json_strv(c->groups, c->ngroups));
    json_object_set_new(ex, "identity", who);
    asked = json_object();
    requested = json_array();
    for (i = 0; i < req->nprincipals; i++)
        json_array_append_new(requested, json_string(req->principals[i]));
    json_object_set_new(asked, "principals", requested);
    json_object_set_new(asked, "ttl_seconds", json_integer(req->ttl > 0 ?
        req->ttl : 0));
    json_object_set_new(asked, "role", req->role ? json_string(req->role) :
        json_null());
    json_object_set_new(asked, "reason_given",
        json_boolean(reason_given(req->reason)));
    json_object_set_new(ex, "request", asked);
    json_object_set_new(ex, "choice", json_string(req->role != NULL ?
        "the role the request names (it must match you and grant every "
        "requested principal)" : req->nprincipals > 0 ?
        "the first role in file order that matches you and grants every "
        "requested principal" :
        "the first role in file order that matches you and grants any "
        "principal; the certificate carries all it grants"));
    roles = json_array();
    for (i = 0; i < p->nroles; i++)
        json_array_append_new(roles, explain_role(&p->roles[i], req,
            chosen));
    json_object_set_new(ex, "roles", roles);
    requested = json_array();
    for (i = 0; i < req->nprincipals; i++) {
        by = json_array();
        for (k = 0; k < p->nroles; k++)
            if (match_test(&p->roles[k].match, c) == FAIL_NONE &&
                role_grants_one(&p->roles[k], c, req->principals[i]))
                json_array_append_new(by, json_string(p->roles[k].name));
        granted = 0;
        for (k = 0; r == 0 && k < d->nprincipals; k++)
            granted |= req->principals[i] != NULL &&
                strcmp(d->principals[k], req->principals[i]) == 0;
        json_array_append_new(requested, json_pack("{s:s?, s:b, s:o}",
            "principal", req->principals[i], "granted", granted,
            "granted_by", by));
    }
    json_object_set_new(ex, "requested", requested);
out:
    policy_decision_free(d);
    return ex;
}
