/*
 * The body of POST /v1/certificates and POST /v1/explain:
 *   {"public_key": "ssh-ed25519 AAAA... [comment]",   (required for issuance)
 *    "principals": ["payments/api", ...],            (optional: all the role grants)
 *    "ttl": "10m",                                   (optional: the role's default)
 *    "reason": "INC-1234 debugging",                 (optional unless the role requires one)
 *    "role": "payments-oncall",                      (optional: pick a role)
 *    "request_id": "0f3c..."}         (optional: collect an approved access request)
 * Parsed strictly: unknown keys, wrong types, oversized fields, bad principals
 * and durations are refused with a message naming the field.
 */
#ifndef MESHCAD_REQUEST_H
#define MESHCAD_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "meshca/err.h"

#define REQUEST_REASON_MAX 512
#define REQUEST_KEY_MAX 16384

struct issue_request {
    char *public_key;       /* the authorized_keys line; NULL when absent */
    char **principals;      /* NULL-terminated; NULL when absent */
    size_t nprincipals;
    int64_t ttl;            /* seconds; 0 when absent */
    char *reason;           /* NULL when absent */
    char *role;             /* NULL when absent */
    char *access_request;   /* "request_id": 32 hex digits; NULL when absent */
};

/* Parses body.  Returns 0 and a new request in *reqp, or
 * MESHCA_ERR_INVALID_FORMAT with a message for the client in msg. */
int request_parse(const char *body, size_t len, int require_key,
    struct issue_request **reqp, char *msg, size_t msglen) MESHCA_WUR;

void request_free(struct issue_request *r);

#endif
