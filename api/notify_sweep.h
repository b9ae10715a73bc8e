/*
 * The notification sweep (#17): the ledger as the outbox.  Run by the
 * webhook delivery thread (webhooks.h) at start and every
 * WEBHOOK_SWEEP_INTERVAL seconds, it reads the event-producing ledger
 * records (access_requests of kind approval: request.created; approve and
 * deny decisions: request.approved, request.denied; certificates of a
 * break-glass request: break_glass.used; revocations: revocation.created)
 * after each webhook's cursor (webhook_sweep) and queues, for the webhooks
 * that want it, every event the immediate path (notify.h) did not queue,
 * rendered as that path renders it.
 *
 * Order: seq is taken before commit, so seq order is not commit order.  As
 * the log integrator does, the sweep only looks at records whose
 * transaction id is below its snapshot's xmin (every such transaction has
 * ended) and keeps its cursor on (xid, seq).  Records younger than
 * SWEEP_GRACE are left for the next round (the immediate path is still on
 * them).  One replica sweeps at a time (a transaction advisory lock); two
 * would be harmless anyway, as the queue's unique key makes each event
 * queued once.  request.approved is queued only for the approval that
 * completed the request (access_completed_by, as access.c decides).
 */
#ifndef MESHCAD_NOTIFY_SWEEP_H
#define MESHCAD_NOTIFY_SWEEP_H

#include "meshca/err.h"

/* One sweep over conn (the delivery thread's PGconn *), for the server
 * srv (a struct server *).  Returns the number of events it queued, or -1
 * (logged; the cursor did not move). */
int notify_sweep(void *srv, void *conn) MESHCA_WUR;

#endif
