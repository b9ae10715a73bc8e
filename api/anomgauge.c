/* meshca_anomalies_flagged{rule}: the refresher thread, see anomgauge.h. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "meshca/clock.h"
#include "anomgauge.h"
#include "config.h"
#include "ledger.h"
#include "log.h"
#include "metrics.h"
#include "server.h"
#include "threads.h"
#include "usage.h"

#define WINDOW_S 86400

static const char *const rules[USAGE_ANOMALY_NRULES] = USAGE_ANOMALY_RULES;

struct anomgauge {
    struct server *srv;
    int64_t every;              /* seconds between computations */
    pthread_mutex_t lock;       /* guards everything below it */
    pthread_cond_t wake;
    int stop;
    int have;                   /* a computation has succeeded */
    int64_t counts[USAGE_ANOMALY_NRULES];
    struct pg_conn *conn;       /* its own; the refresher's alone */
    pthread_t thread;
};

/* One computation over the last 24 hours; 0, or -1 with nothing changed. */
static int
refresh(struct anomgauge *g)
{
    struct usage_params p;
    int64_t now = (int64_t)time(NULL), counts[USAGE_ANOMALY_NRULES];
    struct pg_conn *c;
    json_t *uar, *a = NULL, *r, *v;
    size_t i;

    memset(&p, 0, sizeof(p));
    p.since = now - WINDOW_S;
    p.until = now + 60;         /* as GET /v1/anomalies' default */
    p.krl_stale = 900;
    p.silent = 86400;
    /* As usage_anomalies, but on a connection of its own, so a long count
     * never holds the shared reader the KRL refresher needs. */
    if ((c = ledger_conn_reuse(g->srv->ledger, &g->conn)) == NULL)
        return -1;
    if ((uar = usage_use_after_revocation(c, &p)) != NULL)
        a = usage_anomalies_on(c, &p, uar);
    json_decref(uar);
    if (a == NULL)
        return -1;
    r = json_object_get(a, "rules");
    for (i = 0; i < USAGE_ANOMALY_NRULES; i++) {
        v = json_object_get(r, rules[i]);
        counts[i] = json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
    }
    json_decref(a);
    pthread_mutex_lock(&g->lock);
    memcpy(g->counts, counts, sizeof(counts));
    g->have = 1;
    pthread_mutex_unlock(&g->lock);
    return 0;
}

static void *
refresher_main(void *arg)
{
    struct anomgauge *g = arg;
    struct timespec ts;
    int failing = 0;

    for (;;) {
        if (refresh(g) != 0) {
            if (!failing)   /* once per run of failures */
                log_msg(LOG_LEVEL_WARN, "anomaly metrics: the ledger "
                    "cannot be read; keeping the last values");
            failing = 1;
        } else if (failing) {
            log_msg(LOG_LEVEL_INFO, "anomaly metrics: computed again");
            failing = 0;
        }
        pthread_mutex_lock(&g->lock);
        if (!g->stop) {
            meshca_deadline_ms(&ts, (int64_t)g->every * 1000);
            pthread_cond_timedwait(&g->wake, &g->lock, &ts);
        }
        if (g->stop) {
            pthread_mutex_unlock(&g->lock);
            return NULL;
        }
        pthread_mutex_unlock(&g->lock);
    }
}

int
anomgauge_start(struct server *srv, struct anomgauge **gp)
{
    struct anomgauge *g;

    *gp = NULL;
    if ((g = calloc(1, sizeof(*g))) == NULL)
        return MESHCA_ERR_ALLOC;
    g->srv = srv;
    g->every = srv->cfg->logins.anomaly_refresh > 0 ?
        srv->cfg->logins.anomaly_refresh : 60;
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->wake, NULL);
    if (pthread_create(&g->thread, NULL, refresher_main, g) != 0) {
        pthread_mutex_destroy(&g->lock);
        pthread_cond_destroy(&g->wake);
        free(g);
        log_msg(LOG_LEVEL_ERROR, "anomaly metrics: cannot start a thread");
        return MESHCA_ERR_SYSTEM;
    }
    *gp = g;
    return 0;
}

void
anomgauge_stop(struct anomgauge *g)
{
    if (g == NULL)
        return;
    threads_stop(&g->lock, &g->wake, &g->stop, &g->thread, 1);
    ledger_conn_close(g->conn);
    pthread_mutex_destroy(&g->lock);
    pthread_cond_destroy(&g->wake);
    free(g);
}

int
anomgauge_write_metrics(struct anomgauge *g, struct meshca_buf *out)
{
    int64_t counts[USAGE_ANOMALY_NRULES];
    int have, r;
    size_t i;

    if (g == NULL)
        return 0;
    pthread_mutex_lock(&g->lock);
    have = g->have;
    memcpy(counts, g->counts, sizeof(counts));
    pthread_mutex_unlock(&g->lock);
    if ((r = metrics_printf(out, "# HELP meshca_anomalies_flagged Anomalies "
        "flagged over the last 24 hours, by rule (as GET /v1/anomalies).\n"
        "# TYPE meshca_anomalies_flagged gauge\n")) != 0)
        return r;
    for (i = 0; have && i < USAGE_ANOMALY_NRULES; i++)
        if ((r = metrics_printf(out, "meshca_anomalies_flagged{rule=\"%s\"} "
            "%lld\n", rules[i], (long long)counts[i])) != 0)
            return r;
    return 0;
}
