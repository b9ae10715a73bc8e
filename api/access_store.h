/*
 * Just-in-time access requests as the ledger holds them (#17): one request
 * with its derived state, the requests a person may see, and the report's
 * section.  A request's state is never stored: it is derived, at read time,
 * from the append-only access_requests / access_decisions rows and the
 * certificates whose key id names the request ("/ar-ID"):
 *
 *   kind "approval":    pending -> approved -> collected
 *                       pending -> denied | expired;  approved -> expired
 *   kind "break_glass": needs_review -> acknowledged
 *
 * A request object (JSON) has: id, kind, status, subject, issuer, email,
 * role, principals, ttl_seconds, reason, key_fingerprint, min_approvals,
 * created_at, expires_at, approvals [{subject, email, reason, at}],
 * approved_at, collect_by, denial {subject, email, reason, at},
 * acknowledgement {subject, email, reason, at}, certificate {serial,
 * key_id, at}, time_to_approval_seconds.  Absent facts are null.
 */
#ifndef MESHCAD_ACCESS_STORE_H
#define MESHCAD_ACCESS_STORE_H

#include <stdint.h>

#include <jansson.h>

#include "meshca/err.h"

/* How long an approved request may be collected, from its last approval. */
#define ACCESS_COLLECT_WINDOW 600

struct ledger;

/* The request with this id (32 hex digits) into *objp (caller decrefs), or
 * NULL when there is none.  Returns 0, or MESHCA_ERR_UNAVAILABLE when the
 * ledger cannot be read (*objp NULL). */
int access_store_get(struct ledger *l, const char *id, json_t **objp)
    MESHCA_WUR;

/* The requests (newest first, at most 500, of the last 30 days) that
 * (issuer, subject) made, that ask for one of roles (the roles the caller
 * approves, NULL-ended), and break-glass uses when see_break_glass; only
 * open ones (pending, approved, needs_review) unless all.  Returns a new
 * array, or NULL when the ledger cannot be read. */
json_t *access_store_list(struct ledger *l, const char *issuer,
    const char *subject, const char *const *roles, int see_break_glass,
    int all);

/* Every request created in [since, until] (epoch seconds), oldest first, at
 * most 5000, for the report.  NULL when the ledger cannot be read. */
json_t *access_store_report(struct ledger *l, int64_t since, int64_t until);

#endif
