/*
 * The policy's internal form, shared by ca/policy_parse.c (loading and
 * validation) and ca/policy.c (decisions and explanations).  Private to ca/.
 */
#ifndef MESHCA_POLICY_INT_H
#define MESHCA_POLICY_INT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "meshca/diag.h"
#include "meshca/policy.h"

/* Who a role (or the admins rule) is for.  All given keys must hold; within
 * a list any entry matches.  Lists are never empty once loaded. */
struct policy_match {
    char *issuer;               /* NULL: any configured issuer */
    char **groups;              /* exact, case-sensitive */
    char **emails;              /* verified email, case-insensitive */
    char **domains;             /* verified email's domain, case-insensitive */
    char **subjects;            /* exact */
    char **spiffe_ids;          /* SPIFFE ID patterns (meshca/spiffe.h) */
    size_t ngroups, nemails, ndomains, nsubjects, nspiffe_ids;
    int any;                    /* "any_authenticated": true */
    int present;                /* the rule exists (admins may be absent) */
};

struct policy_role {
    char *name;
    char *description;
    struct policy_match match;
    char **principals;          /* literals or templates ({sub}, ...) */
    unsigned char *templated;   /* per principal: 1 when it holds a {var} */
    size_t nprincipals;
    int64_t default_ttl, max_ttl;   /* seconds; default <= max <= ceiling */
    char **extensions;          /* OpenSSH names, no duplicates */
    size_t nextensions;
    char *force_command;        /* NULL when none */
    char *source_address;       /* NULL when none */
    int require_reason;         /* also set by approval and break_glass */
    /* Just-in-time access (#17): approval.approvers, min_approvals,
     * request_ttl; approval.present says the role needs approvals. */
    struct policy_match approvers;
    int min_approvals;          /* >= 1 with approval, 0 without */
    int64_t request_ttl;        /* seconds a request may wait */
    int break_glass;
};

/* A "hosts" entry: which workloads (by SPIFFE ID pattern) get host
 * certificates for which names (policy_hosts.c). */
struct policy_host {
    char **spiffe_ids;          /* patterns, meshca/spiffe.h */
    size_t nspiffe_ids;
    char **principals;          /* names or {spiffe_...} templates */
    size_t nprincipals;
    int64_t default_ttl, max_ttl;   /* seconds */
};

struct policy {
    atomic_int refs;
    char version[65];           /* hex SHA-256 of the file's bytes */
    char *text;                 /* the file's bytes, NUL-terminated */
    struct policy_match admins;
    struct policy_role *roles;
    size_t nroles;
    struct policy_host *hosts;
    size_t nhosts;
};

/* The SPIFFE template variable at p (vlen bytes, without the braces): 1
 * for spiffe_path, 2 for spiffe_segment[N] (N 0-63 in *np), 0 otherwise. */
int policy_spiffe_var(const char *p, size_t vlen, size_t *np);

/* The value of SPIFFE template variable var for the workload ID id: into
 * (*valp, *lenp), pointing into id.  0, or -1 with the reason in why. */
int policy_spiffe_value(int var, size_t n, const char *id, const char **valp,
    size_t *lenp, char *why, size_t whylen);

/* The "hosts" section (j may be NULL: none): parsed into p, problems added
 * to d.  Returns 0 or MESHCA_ERR_ALLOC.  policy_hosts_free frees them. */
int policy_hosts_parse(const json_t *j, struct policy *p, struct diags *d);
void policy_hosts_free(struct policy *p);

/* A new JSON array of the n strings of v (the caller owns it), or NULL when
 * out of memory. */
json_t *policy_json_strv(char *const *v, size_t n);

/* The template variables principals may use, NULL-ended. */
extern const char *const policy_template_vars[];

#endif
