/*
 * Notifications (#17): events rendered for each webhook that wants them
 * (notify_config.h) and queued in PostgreSQL (webhook_deliveries), from
 * where the delivery thread (webhooks.h) sends them.  Queueing is one INSERT
 * after the event's ledger record committed; sending never happens on a
 * request's thread, so a slow or dead receiver never holds up issuance.
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

struct server;

/* Queues event about obj (a request object, or a revocation for
 * revocation.created) for every webhook that wants it.  Failures are logged
 * and counted (the event is then lost: XXX an outbox in the record's own
 * transaction would close that window). */
void notify_event(struct server *srv, const char *event, const json_t *obj);

/* The body of event about obj for a webhook of the given format (slack: 1).
 * Returns a new string, or NULL (memory). */
char *notify_render(const char *event, const json_t *obj, int slack);

#endif
