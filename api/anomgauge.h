/*
 * meshca_anomalies_flagged{rule} (issue #18): the number of anomalies of
 * every rule over the last 24 hours, as GET /v1/anomalies counts them,
 * recomputed by one background thread every logins.anomaly_refresh
 * (default 60 s) on a database connection of its own, so that an alert can
 * fire on the rules judged over a whole period (unusual_hour,
 * denial_spike, rare_role, host_spread) as well as the per-login ones.
 */
#ifndef MESHCAD_ANOMGAUGE_H
#define MESHCAD_ANOMGAUGE_H

#include "meshca/err.h"

struct server;
struct anomgauge;
struct meshca_buf;

/* Starts the refresher for srv (srv->cfg->logins.anomaly_refresh seconds
 * apart, the first at once) and returns it in *gp.  Returns 0,
 * MESHCA_ERR_ALLOC or MESHCA_ERR_SYSTEM (nothing started, *gp NULL). */
int anomgauge_start(struct server *srv, struct anomgauge **gp) MESHCA_WUR;

/* Stops the refresher and frees g.  Accepts NULL. */
void anomgauge_stop(struct anomgauge *g);

/* Appends meshca_anomalies_flagged: HELP and TYPE always, one sample per
 * rule once a computation has succeeded (the last good values after a
 * failure), none before.  g may be NULL (nothing appended).  Returns 0 or
 * a negative MESHCA_ERR_*. */
int anomgauge_write_metrics(struct anomgauge *g,
    struct meshca_buf *out) MESHCA_WUR;

#endif
