/*
 * The records the ledger writes, as their writers fill them in: issuances,
 * denials and revocations.  Shared by the ledger (ledger.c, which inserts
 * them) and the entries (entry.c, which encode them); every string is
 * borrowed from the caller.
 */
#ifndef MESHCAD_LEDGER_RECORDS_H
#define MESHCAD_LEDGER_RECORDS_H

#include <stddef.h>
#include <stdint.h>

struct ledger_issuance {
    uint64_t serial;
    const char *key_id, *subject, *issuer, *email; /* email may be NULL */
    const char *role;
    const char *const *principals;
    size_t nprincipals;
    const char *key_type, *key_fingerprint;
    int64_t valid_after, valid_before;             /* epoch seconds */
    const char *critical_options_json;             /* a JSON object */
    const char *const *extensions;
    size_t nextensions;
    const char *ca_fingerprint, *client_address, *request_id;
    const char *reason;                            /* may be NULL */
    const char *policy_version;
    const char *token_id;                          /* replay id */
    uint64_t max_uses;                             /* per token */
    const char *certificate;                       /* the one-line form */
    const char *spiffe_id;                         /* a workload's; NULL for people */
};

struct ledger_denial {
    const char *subject, *issuer, *email, *role;   /* may be NULL */
    const char *const *requested_principals;
    size_t nrequested;
    const char *reason;
    const char *key_fingerprint;                   /* may be NULL */
    const char *client_address, *request_id;
    const char *policy_version;                    /* may be NULL */
};

struct ledger_revocation {
    const char *kind;          /* serial, key_id, subject, key_fingerprint */
    const char *value;
    const char *issuer;        /* subject only: the subject's issuer */
    const char *reason, *revoked_by, *request_id;
    int64_t block_until;       /* subject only: refuse new ones until; 0: no */
};

/* A host certificate granted to a workload (issue #16). */
struct ledger_host_certificate {
    uint64_t serial;
    const char *key_id, *spiffe_id;
    const char *const *principals;
    size_t nprincipals;
    const char *key_type, *key_fingerprint;
    int64_t valid_after, valid_before;             /* epoch seconds */
    const char *ca_fingerprint, *client_address, *request_id;
    const char *policy_version;
    const char *certificate;                       /* the one-line form */
};

/* Just-in-time access (#17): a request for a role that needs approval, or a
 * break-glass use (kind "approval" or "break_glass"). */
struct ledger_access_request {
    const char *id;                                /* 32 hex digits */
    const char *kind;
    const char *subject, *issuer, *email;          /* email may be NULL */
    const char *role;
    const char *const *principals;
    size_t nprincipals;
    int64_t ttl_seconds;
    const char *reason;
    const char *public_key, *key_fingerprint;
    int min_approvals;                             /* 0 for break-glass */
    int64_t expires_at;                            /* epoch seconds */
    const char *client_address, *request_id, *policy_version;
};

/* An approver's "approve" or "deny" of a request, or the "acknowledge" of a
 * break-glass use. */
struct ledger_access_decision {
    const char *access_request;                    /* its id */
    const char *decision;
    const char *subject, *issuer, *email;          /* who; email may be NULL */
    const char *reason;                            /* may be NULL */
    const char *client_address, *request_id, *policy_version;
};

/* One sshd login or refusal a host reported (issue #18). */
struct ledger_login {
    const char *host;          /* from the host's credential, not its word */
    const char *line_id;       /* the host's id of the log line */
    int64_t at_us;             /* when sshd logged it, epoch microseconds */
    const char *account;
    const char *source_address;        /* may be NULL */
    int source_port;                   /* 0: unknown */
    const char *result;  /* accepted, revoked, wrong_principal, expired, refused */
    const char *serial;                /* decimal; may be NULL */
    const char *key_id, *key_fingerprint, *ca_fingerprint; /* may be NULL */
    int has_krl;                       /* the host's KRL is known */
    uint64_t krl_version;
    int64_t krl_generated_at;          /* epoch seconds; 0: unknown */
};

#endif
