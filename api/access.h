/*
 * Just-in-time access over HTTP (#17): the issuance flow's hooks for roles
 * that need approval (POST /v1/certificates answers 202 with a request; the
 * approved request is collected with "request_id") and break-glass roles,
 * and the approvers' endpoints:
 *   GET  /v1/access-requests[?all=true]        the caller's queue and own
 *   GET  /v1/access-requests/{id}              one request (requester, approvers)
 *   POST /v1/access-requests/{id}/approve      {"reason": ...}
 *   POST /v1/access-requests/{id}/deny         {"reason": ...}
 *   POST /v1/access-requests/{id}/acknowledge  {"reason": ...} (break-glass)
 * Every request and decision is a ledger record (access_store.h derives the
 * state); notifications are queued with notify.h.
 */
#ifndef MESHCAD_ACCESS_H
#define MESHCAD_ACCESS_H

#include <stdint.h>

#include <jansson.h>

#include "meshca/err.h"

struct request;
struct claims;
struct issue_request;
struct policy;
struct policy_decision;

#define ACCESS_ID_LEN 32

/*
 * Before the policy decides: when cr names an access request
 * ("request_id"), checks that it is the caller's, for this key
 * fingerprint, approved and not yet collected, and makes cr ask for what
 * the request asked (role, principals, ttl, reason).  Returns 0 to go on
 * (also when cr names none), -1 with the answer queued (403, 404, 409 or
 * 410 saying what happened, 503).
 */
int access_collect_prepare(struct request *req, const struct claims *c,
    struct issue_request *cr, const char *keyfp);

/*
 * After the policy granted dec: a collection goes on (idp = its id); a
 * break-glass role's use is recorded (idp = its new id, *break_glassp 1)
 * and goes on; a role that needs approval gets a new pending request,
 * recorded and answered 202 (returns 1).  Otherwise 0 with idp "".
 * Returns 0 to go on, 1 when answered, -1 with an error queued.
 */
int access_after_decision(struct request *req, const struct claims *c,
    const struct issue_request *cr, const struct policy *pol,
    const struct policy_decision *dec, const char *keyfp,
    char idp[ACCESS_ID_LEN + 1], int *break_glassp);

/* After the certificate of access request id committed (serial): the
 * break-glass notification. */
void access_issued(struct request *req, const char *id, int break_glass);

/* The request.created object of request o (access_store.h) with id: o,
 * "request_id", status "pending", a message, and who can approve it under
 * pol (the 202's body and the notification's).  NULL: memory. */
json_t *access_created_json(const struct policy *pol, const char *id,
    const json_t *o) MESHCA_WUR;

/* Whether the approval by (iss, sub) is the one that completed o's
 * approvals (the min_approvals-th, by ledger order): exactly one decision
 * is, so request.approved fires once even when approvals commit together,
 * and the notification sweep (notify_sweep.h) decides the same. */
int access_completed_by(const json_t *o, const char *iss, const char *sub)
    MESHCA_WUR;

void handle_access_list(struct request *req);
void handle_access_get(struct request *req);
void handle_access_action(struct request *req);

#endif
