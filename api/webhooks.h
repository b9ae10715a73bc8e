/*
 * Webhook delivery (#17): one thread per meshcad works through the
 * webhook_deliveries queue in PostgreSQL (rows locked with SKIP LOCKED, so
 * replicas share it without sending twice), POSTs each body with
 *   Content-Type: application/json
 *   X-Meshca-Event: EVENT
 *   X-Meshca-Delivery: QUEUE-ID            (the same on every retry)
 *   X-Meshca-Signature: sha256=HEX         (HMAC-SHA256 of the body under the
 *                                           webhook's secret)
 * and marks it delivered on a 2xx answer.  Otherwise it retries with
 * exponential backoff (2 s doubling, at most WEBHOOK_BACKOFF_MAX) and gives
 * up after WEBHOOK_MAX_ATTEMPTS.  A started meshcad first retries every
 * pending delivery at once, so a restart flushes what waited.  It also runs
 * the notification sweep (notify_sweep.h) at start and every
 * WEBHOOK_SWEEP_INTERVAL seconds, which queues the events the immediate
 * path (notify.h) missed, from the ledger.  No redirects
 * are followed; https only, except loopback http (checked at config load).
 */
#ifndef MESHCAD_WEBHOOKS_H
#define MESHCAD_WEBHOOKS_H

#include <stddef.h>

#include "meshca/buf.h"
#include "meshca/err.h"

#define WEBHOOK_MAX_ATTEMPTS 15
#define WEBHOOK_BACKOFF_MAX 300
#define WEBHOOK_TIMEOUT 10
#define WEBHOOK_SWEEP_INTERVAL 5

/* A sweep run on the thread's connection conn (a PGconn *): returns the
 * number of events it queued, or -1. */
typedef int (*webhooks_sweep_fn)(void *arg, void *conn);

struct config;
struct webhooks;

/* Starts the delivery thread when cfg has webhooks (otherwise *wp only
 * counts, for the metrics).  Returns 0 or MESHCA_ERR_ALLOC /
 * MESHCA_ERR_SYSTEM. */
int webhooks_start(const struct config *cfg, struct webhooks **wp)
    MESHCA_WUR;

/* Stops the thread (a delivery in flight finishes or times out) and frees
 * w.  Accepts NULL. */
void webhooks_stop(struct webhooks *w);

/* Wakes the thread: something was queued.  Accepts NULL. */
void webhooks_kick(struct webhooks *w);

/* Makes the thread run fn(arg, conn) at start and every
 * WEBHOOK_SWEEP_INTERVAL seconds (once the server can render events).
 * Accepts NULL. */
void webhooks_set_sweep(struct webhooks *w, webhooks_sweep_fn fn, void *arg);

/* Counts n notifications that could not be queued.  Accepts NULL. */
void webhooks_count_lost(struct webhooks *w, size_t n);

/* Appends meshca_webhook_deliveries_total{result="delivered|failed|lost"},
 * meshca_webhook_attempt_failures_total, meshca_webhook_recovered_total (the
 * sweep's) and meshca_webhook_pending. */
int webhooks_write_metrics(const struct webhooks *w, struct meshca_buf *out)
    MESHCA_WUR;

#endif
