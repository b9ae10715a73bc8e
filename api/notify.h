/*
 * Notifications (#17): events rendered for each webhook that wants them
 * (notify_config.h) and queued in PostgreSQL (webhook_deliveries), from
 * where the delivery thread (webhooks.h) sends them.  Queueing is one INSERT
 * after the event's ledger record committed; sending never happens on a
 * request's thread, so a slow or dead receiver never holds up issuance.
 *
 * The ledger is the outbox: every event derives from one append-only ledger
 * record (the access request, the decision, the break-glass certificate,
 * the revocation), whose seq each queued row carries (record_seq, unique
 * per webhook and event).  When the immediate INSERT is missed (meshcad died
 * after the commit, the database was unreachable, the INSERT failed), the
 * delivery thread's sweep (notify_sweep.h) finds the record and queues the
 * event, rendered the same way; ON CONFLICT DO NOTHING makes each event
 * queued once whichever path comes first.
 *
 * Body, format "json" (the documented schema, README "Notifications"):
 *   {"event": "request.created", "occurred_at": RFC3339,
 *    "request": REQUEST}           (access_store.h's request object), or
 *    "revocation": {kind, value, issuer, reason, revoked_by} for
 *    revocation.created.
 * Format "slack": {"text": ...} naming who, what, why and the meshca
 * command to approve / deny / acknowledge.
 */
#ifndef MESHCAD_NOTIFY_H
#define MESHCAD_NOTIFY_H

#include <jansson.h>

#include "meshca/err.h"

struct server;

/* Queues event about obj (a request object, or a revocation for
 * revocation.created) for every webhook that wants it.  Failures are logged
 * and counted ("lost" to this path; the sweep queues the event later). */
void notify_event(struct server *srv, const char *event, const json_t *obj);

/* Queues body for hook as event of ledger record record_seq (decimal), on
 * conn (a PGconn *).  Returns 1 when queued, 0 when that (hook, event,
 * record) was queued already, -1 on a database error (logged). */
int notify_enqueue(void *conn, const char *hook, const char *event,
    const char *record_seq, const char *body) MESHCA_WUR;

/* The body of event about obj for a webhook of the given format (slack: 1).
 * Returns a new string, or NULL (memory). */
char *notify_render(const char *event, const json_t *obj, int slack);

#endif
