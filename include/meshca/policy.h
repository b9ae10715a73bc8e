/*
 * The policy: who may get a certificate for which mesh principals, for how
 * long, with which options.  A JSON file reviewed like code; deny by default.
 * A loaded policy is immutable and reference-counted, so the service swaps it
 * on SIGHUP while requests in flight finish under the one they started with.
 *
 * Format (every key outside these is an error, so a typo never widens
 * access):
 *   { "description": "...",                         (optional)
 *     "admins": MATCH,                    (optional; without it, no admins)
 *     "roles": [ { "name": "payments-oncall",   (1-64 of A-Za-z0-9-_.; unique)
 *                  "description": "...",             (optional)
 *                  "match": MATCH,
 *                  "principals": ["payments/api", "home/{email_local}"],
 *                  "default_ttl": "5m", "max_ttl": "15m",
 *                  "extensions": ["permit-pty"],
 *                  "critical_options": { "force-command": "...",
 *                                        "source-address": "10.0.0.0/8" },
 *                  "require_reason": false,
 *                  "approval": { "approvers": MATCH,          (optional)
 *                                "min_approvals": 1, "request_ttl": "30m" },
 *                  "break_glass": false }, ... ] }
 *   MATCH: { "issuer": URL, "groups": [...], "emails": [...],
 *            "email_domains": [...], "subjects": [...] }  or
 *          { "any_authenticated": true } (optionally with "issuer").
 *   All given keys must hold; within a list any entry matches.  Groups and
 *   subjects compare exactly; emails and domains ignore case.  An empty match,
 *   an empty list, or issuer alone is refused (it would admit everyone);
 *   any_authenticated is refused in "admins".
 *
 * Emails: "emails" and "email_domains" use the token's email only when
 * email_verified is true; an unverified email never matches (and the
 * {email}, {email_local} templates are not filled from it).  A domain matches
 * the part after the last '@' exactly: example.com does not admit
 * eu.example.com.
 *
 * Principals are literals or templates filled from verified claims: {sub},
 * {email}, {email_local} (the verified email before '@'),
 * {preferred_username} (from the raw claims; OIDC does not promise it is
 * unique or stable - prefer {sub} or {email_local} where the provider lets
 * people choose it).  A filled value that is empty or holds '/' or ':' (which
 * would reach into another namespace or service) is refused, and so is a
 * result that is not a valid principal (meshca/principal.h): that principal
 * is not granted, with the reason in the explanation; nothing is ever escaped
 * or rewritten into something else.
 *
 * TTLs: max_ttl defaults to 15m, default_ttl to min(5m, max_ttl); max_ttl
 * may not exceed the caller's ceiling (the config's ttl_ceiling), default_ttl
 * may not exceed max_ttl.  Extensions default to ["permit-pty"] only; only
 * OpenSSH's six names are accepted.
 *
 * Role choice (deterministic): when the request names a role, that role (it
 * must match the caller and grant every requested principal); otherwise the
 * first role in file order that matches the caller and grants every
 * requested principal (or, when none are requested, the first matching role
 * that grants any, and the certificate carries all it grants).  A
 * certificate's principals, TTL limits, options and extensions come from
 * exactly that role; roles are never merged.  require_reason is checked on
 * the chosen role (order roles accordingly).
 *
 * Just-in-time access: a role with "approval" grants nothing at once; its
 * decision says approval is needed (min_approvals distinct approvers
 * matching approvers, never the requester, within request_ttl: default 30m,
 * at most 7 days).  A role with "break_glass": true grants at once and is
 * marked as such; its max_ttl must be given and be at most
 * POLICY_BREAK_GLASS_MAX_TTL.  Both always require a reason; a role cannot
 * be both.
 */
#ifndef MESHCA_POLICY_H
#define MESHCA_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "meshca/claims.h"
#include "meshca/diag.h"
#include "meshca/err.h"

/* default_ttl when a role gives none (capped by its max_ttl); max_ttl when a
 * role gives none (capped by the ceiling). */
#define POLICY_DEFAULT_TTL 300
#define POLICY_DEFAULT_MAX_TTL 900
/* Just-in-time access: request_ttl default and limit, min_approvals limit,
 * the longest break-glass certificate. */
#define POLICY_DEFAULT_REQUEST_TTL 1800
#define POLICY_MAX_REQUEST_TTL (7 * 86400)
#define POLICY_MAX_APPROVALS 10
#define POLICY_BREAK_GLASS_MAX_TTL 3600

struct policy;

/* What a request asks for.  Nothing here is copied or kept. */
struct policy_request {
    const struct claims *claims;     /* verified */
    const char *const *principals;   /* wanted; NULL/0: all the role grants */
    size_t nprincipals;              /* at most PRINCIPALS_MAX */
    int64_t ttl;                     /* wanted seconds; <= 0: role's default */
    const char *reason;              /* NULL or "" when none */
    const char *role;                /* NULL: choose */
};

/* A grant (denial == NULL) or a denial (denial set, the rest empty).
 * One allocation: free only with policy_decision_free, never field by field. */
struct policy_decision {
    char *role;
    char **principals;               /* NULL-terminated too; no duplicates */
    size_t nprincipals;
    int64_t ttl;                     /* seconds, <= the role's max_ttl */
    char *ttl_note;                  /* what decided the TTL */
    char *force_command;             /* NULL when none */
    char *source_address;            /* NULL when none */
    char **extensions;               /* NULL-terminated too */
    size_t nextensions;
    char *denial;                    /* for a person: what and what to do */
    int min_approvals;               /* > 0: the role needs approvals */
    int64_t request_ttl;             /* how long such a request may wait */
    int break_glass;                 /* the role is a break-glass role */
};

/*
 * Loads a policy from len bytes at data (reading the file is the caller's:
 * meshcad's api/policyfile.c); name is used in messages.  ttl_ceiling (> 0)
 * is the service's global maximum lifetime in seconds.  Returns 0 and a
 * policy holding one reference in *pp, or MESHCA_ERR_POLICY_INVALID with
 * every problem appended to d (syntax errors as "NAME:LINE:COL: msg",
 * meaning errors as "NAME: json.path: msg"), MESHCA_ERR_ALLOC, or
 * MESHCA_ERR_INVALID_ARGUMENT.  *pp is NULL on failure.  The version is the
 * hex SHA-256 of exactly these bytes.
 */
int policy_load_buf(const char *data, size_t len, const char *name,
    int64_t ttl_ceiling, struct policy **pp, struct diags *d) MESHCA_WUR;

/* Reference counting (atomic; any thread).  policy_unref frees the policy
 * when the last reference goes.  Both accept NULL. */
void policy_ref(struct policy *p);
void policy_unref(struct policy *p);

/* Hex SHA-256 of the file's bytes; the file's text; the number of roles; the
 * name of role i in file order (NULL past the end).  Valid while a reference
 * is held. */
const char *policy_version(const struct policy *p);
const char *policy_text(const struct policy *p);
size_t policy_nroles(const struct policy *p);
const char *policy_role_name(const struct policy *p, size_t i);

/*
 * Decides a request.  Returns 0 with a grant in *decp,
 * MESHCA_ERR_POLICY_DENIED with a decision whose denial says why (and what to
 * do), MESHCA_ERR_INVALID_ARGUMENT (no claims, or claims without iss/sub),
 * or MESHCA_ERR_ALLOC (then *decp is NULL).  Caller frees *decp with
 * policy_decision_free.  Thread-safe; no I/O; one allocation.
 */
int policy_decide(const struct policy *p, const struct policy_request *req,
    struct policy_decision **decp) MESHCA_WUR;
/* Accepts NULL. */
void policy_decision_free(struct policy_decision *d);

/*
 * The same decision explained rule by rule, as a new JSON object (NULL on
 * allocation failure or invalid arguments; caller decrefs):
 *   "decision": "granted"|"denied", "denial" (when denied), "role",
 *   "principals", "ttl_seconds", "ttl_note", "extensions",
 *   "critical_options" (when granted), "policy_version",
 *   "approval": {"min_approvals", "request_ttl_seconds", "approvers"} and
 *   "break_glass": true (when the granted role needs approval / is one),
 *   "identity": {"issuer", "subject", "email" (verified only), "groups"},
 *   "request": {"principals", "ttl_seconds", "role", "reason_given"},
 *   "choice": how the role was chosen,
 *   "roles": [{"name", "matched", "why", "failed_key" (when not matched:
 *              issuer|groups|emails|email_domains|subjects), "grants"
 *              (when matched: principals after templates), "skipped"
 *              (templates not granted, with reasons), "missing" (requested
 *              principals it does not grant), "chosen"}],
 *   "requested": [{"principal", "granted", "granted_by"
 *                  (matching roles that grant it)}]
 * The decision fields agree with policy_decide for the same request.
 */
json_t *policy_explain(const struct policy *p,
    const struct policy_request *req);

/* 1 when the claims match the policy's "admins" rule; 0 otherwise (also
 * without an admins rule, or with NULL arguments). */
int policy_is_admin(const struct policy *p, const struct claims *c);


/*
 * Host certificates: the "hosts" section.
 *   "hosts": [ { "match": { "spiffe_ids": ["spiffe://mesh.example/ns/payments/sa/ANY"] },
 *                "principals": ["{spiffe_segment[3]}.payments.svc.cluster.local",
 *                               "payments-db.example.com"],
 *                "default_ttl": "24h", "max_ttl": "72h" }, ... ]
 * (ANY standing for a "*" segment.)  Patterns are meshca/spiffe.h patterns ('*' = exactly one path segment).
 * Principals are host names ([A-Za-z0-9._-], not starting with '.' or '-';
 * granted and listed in lower case, as ssh compares them)
 * or templates: {spiffe_segment[N]} (path segment N, from 0) and
 * {spiffe_path} (the path without its leading '/'); a filled value that
 * is missing, empty, starts with '.' or '-', or holds '/' is refused (that
 * name is not granted, with the reason).  TTLs: from 1h; default_ttl
 * defaults to 24h, max_ttl to 72h, and both are at most
 * POLICY_HOST_TTL_LIMIT here; the service's own ceiling (default 7 days)
 * is checked with policy_hosts_check_ceiling.  The first entry in file
 * order whose patterns match the ID decides; entries are never merged.
 */
#define POLICY_HOST_DEFAULT_TTL (24 * 3600)
#define POLICY_HOST_DEFAULT_MAX_TTL (72 * 3600)
#define POLICY_HOST_TTL_MIN 3600
#define POLICY_HOST_TTL_LIMIT (30 * 24 * 3600)

/* A host grant (denial NULL) or denial (denial set, nothing granted). */
struct policy_host_decision {
    size_t entry;                    /* the hosts[] entry that decided */
    char **principals;               /* NULL-terminated too */
    size_t nprincipals;
    int64_t ttl;                     /* seconds */
    char *denial;                    /* for a person: what and what to do */
};

/* Decides a host certificate for the workload spiffe_id (already verified)
 * wanting ttl seconds (<= 0: the entry's default).  Returns 0 with a grant,
 * MESHCA_ERR_POLICY_DENIED with a decision whose denial says why,
 * MESHCA_ERR_INVALID_ARGUMENT or MESHCA_ERR_ALLOC (*decp NULL).  Caller
 * frees with policy_host_decision_free (accepts NULL).  Thread-safe. */
int policy_decide_host(const struct policy *p, const char *spiffe_id,
    int64_t ttl, struct policy_host_decision **decp) MESHCA_WUR;
void policy_host_decision_free(struct policy_host_decision *d);

/* Adds to d every hosts entry whose max_ttl or default_ttl exceeds ceiling
 * (seconds), as "hosts[N].max_ttl: ...".  Returns the number added. */
size_t policy_hosts_check_ceiling(const struct policy *p, int64_t ceiling,
    struct diags *d);

/* The known_hosts patterns the hosts section can grant (each template
 * becomes '*'), without repeats, as a new JSON array (NULL: out of memory). */
json_t *policy_host_patterns(const struct policy *p);

/* The host decision for spiffe_id explained entry by entry: {"spiffe_id",
 * "decision": "granted"|"denied", "principals", "ttl_seconds", "entry",
 * "denial", "entries": [{"index", "matches", "why", "principals"}]}.
 * NULL when out of memory.  Caller decrefs. */
json_t *policy_explain_host(const struct policy *p, const char *spiffe_id);

/* 1 when the claims match the "approval.approvers" rule of the role named
 * role; 0 otherwise (no such role, no approval, NULL arguments).  Whether
 * the approver is the requester is the caller's check. */
int policy_is_approver(const struct policy *p, const char *role,
    const struct claims *c);

/* The approvers rule of the role named role as a new JSON object (the
 * policy's MATCH keys), or NULL when the role has no approval.  For telling
 * a requester who can approve. */
json_t *policy_approvers_json(const struct policy *p, const char *role);

#endif
