/*
 * Verified identity claims: what api/identity.c produces from a verified ID
 * token and what the policy (ca/policy.c) reads.  Every string is owned by
 * the struct; claims_free() releases it all.
 */
#ifndef MESHCA_CLAIMS_H
#define MESHCA_CLAIMS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct claims {
    char *iss;            /* exactly the configured issuer */
    char *sub;            /* required */
    char *email;          /* NULL when absent */
    int email_verified;   /* 1 only when the claim is boolean true */
    char **groups;        /* groups claim (array of strings), may be empty */
    size_t ngroups;
    char *name;           /* NULL when absent */
    char *jti;            /* NULL when absent */
    char *nonce;          /* NULL when absent */
    char *azp;            /* NULL when absent */
    int64_t iat, exp, nbf, auth_time; /* 0 when absent (nbf, auth_time) */
    char replay_id[65];   /* jti, or hex SHA-256 of the token without one */
    json_t *raw;          /* the whole verified claim set (owned reference) */
    char *spiffe_id;      /* a workload's SPIFFE ID (JWT-SVID, X.509-SVID);
                             NULL for people */
};

/* Frees c and everything it owns.  Accepts NULL. */
void claims_free(struct claims *c);

#endif
