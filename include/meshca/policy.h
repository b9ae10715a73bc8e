/*
 * The policy: who may get a certificate for which mesh principals, for how
 * long, with which options.  A JSON file reviewed like code (see README.md
 * "Policy").  Deny by default.  A loaded policy is immutable and
 * reference-counted, so the service swaps it on SIGHUP while requests in
 * flight finish under the one they started with.
 *
 * Role choice (deterministic): a named role is used when the request names
 * one (it must match the caller); otherwise the first role in file order that
 * matches the caller and grants every requested principal (or, when none are
 * requested, the first matching role that grants any).  A certificate's
 * options and extensions come from exactly that role.
 */
#ifndef MESHCA_POLICY_H
#define MESHCA_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "meshca/claims.h"
#include "meshca/diag.h"
#include "meshca/err.h"

#define POLICY_DEFAULT_TTL 300      /* default_ttl when a role gives none (capped by max_ttl) */
#define POLICY_DEFAULT_MAX_TTL 900  /* max_ttl when a role gives none (capped by the ceiling) */

struct policy;

/* What a request asks for. */
struct policy_request {
    const struct claims *claims;     /* verified */
    const char *const *principals;   /* wanted; NULL/0: all the role grants */
    size_t nprincipals;
    int64_t ttl;                     /* wanted seconds; 0: the role's default */
    const char *reason;              /* NULL when none */
    const char *role;                /* NULL: choose */
};

/* A grant (denial == NULL) or a denial (denial set, the rest empty). */
struct policy_decision {
    char *role;
    char **principals;
    size_t nprincipals;
    int64_t ttl;
    char *ttl_note;                  /* what decided the TTL */
    char *force_command;             /* NULL when none */
    char *source_address;            /* NULL when none */
    char **extensions;
    size_t nextensions;
    char *denial;                    /* for a person: what is refused and what to do */
};

/*
 * Loads a policy from a file (or a buffer; name is used in messages).
 * ttl_ceiling is the service's global maximum lifetime in seconds.
 * Returns 0 and a policy holding one reference in *pp, or
 * MESHCA_ERR_POLICY_INVALID with every problem added to d (syntax errors as
 * "FILE:LINE:COL: msg", meaning errors as "FILE: json.path: msg").
 */
int policy_load_file(const char *path, int64_t ttl_ceiling, struct policy **pp,
    struct diags *d) MESHCA_WUR;
int policy_load_buf(const char *data, size_t len, const char *name,
    int64_t ttl_ceiling, struct policy **pp, struct diags *d) MESHCA_WUR;

/* Reference counting (atomic; any thread).  policy_unref accepts NULL. */
void policy_ref(struct policy *p);
void policy_unref(struct policy *p);

/* Hex SHA-256 of the file's bytes; the file's text; the number of roles. */
const char *policy_version(const struct policy *p);
const char *policy_text(const struct policy *p);
size_t policy_nroles(const struct policy *p);

/*
 * Decides a request.  Returns 0 with a grant in *decp, or
 * MESHCA_ERR_POLICY_DENIED with a decision whose denial says why, or another
 * negative error (allocation).  Caller frees *decp with policy_decision_free.
 * Thread-safe; no I/O.
 */
int policy_decide(const struct policy *p, const struct policy_request *req,
    struct policy_decision **decp) MESHCA_WUR;
void policy_decision_free(struct policy_decision *d);

/* The same decision explained rule by rule, as a new JSON object:
 * {"decision": "granted"|"denied", "role", "principals", "ttl_seconds",
 *  "ttl_note", "denial", "policy_version",
 *  "roles": [{"name", "matched", "why", "grants", "skipped_templates"}]} */
json_t *policy_explain(const struct policy *p, const struct policy_request *req);

/* 1 when the claims match the policy's "admins" rule. */
int policy_is_admin(const struct policy *p, const struct claims *c);

#endif
