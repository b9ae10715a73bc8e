/* The webhook delivery thread.  See webhooks.h. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "meshca/clock.h"
#include "meshca/hex.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "metrics.h"
#include "threads.h"
#include "webhooks.h"

#define BATCH "20"

struct webhooks {
    const struct config *cfg;
    pthread_t thread;
    int running;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stopping, kicked;
    PGconn *c;
    char *hooks;                    /* text[] literal of the hook URLs */
    _Atomic uint64_t delivered, failed, lost, attempt_failures, recovered;
    webhooks_sweep_fn sweep;        /* under lock */
    void *sweep_arg;
    _Atomic int64_t pending;        /* -1: not known yet */
};

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n;
}

/* POSTs body to hook w.  Returns 0 on a 2xx answer, else -1 with why. */
static int
post(const struct webhook_config *w, const char *id, const char *event,
    const char *body, char *why, size_t whylen)
{
    uint8_t mac[32];
    unsigned int maclen = sizeof(mac);
    char hex[65], h1[128], h2[128], h3[128];
    struct curl_slist *hdr = NULL;
    CURL *e;
    CURLcode cc;
    long code = 0;

    if (HMAC(EVP_sha256(), w->secret, (int)w->secretlen,
        (const uint8_t *)body, strlen(body), mac, &maclen) == NULL ||
        meshca_hex_encode(mac, sizeof(mac), hex, sizeof(hex)) == NULL ||
        (e = curl_easy_init()) == NULL) {
        snprintf(why, whylen, "cannot sign or set up the request");
        return -1;
    }
    snprintf(h1, sizeof(h1), "X-Meshca-Signature: sha256=%s", hex);
    snprintf(h2, sizeof(h2), "X-Meshca-Event: %s", event);
    snprintf(h3, sizeof(h3), "X-Meshca-Delivery: %s", id);
    hdr = curl_slist_append(hdr, "Content-Type: application/json");
    hdr = curl_slist_append(hdr, h1);
    hdr = curl_slist_append(hdr, h2);
    hdr = curl_slist_append(hdr, h3);
    curl_easy_setopt(e, CURLOPT_URL, w->url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)WEBHOOK_TIMEOUT);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    cc = curl_easy_perform(e);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(e);
    if (cc != CURLE_OK) {
        snprintf(why, whylen, "%s", curl_easy_strerror(cc));
        return -1;
    }
    if (code < 200 || code > 299) {
        snprintf(why, whylen, "the receiver answered HTTP %ld", code);
        return -1;
    }
    return 0;
}

static const struct webhook_config *
hook_of(const struct webhooks *w, const char *url)
{
    const struct notify_config *nc = &w->cfg->notify;
    size_t i;

    for (i = 0; i < nc->nwebhooks; i++)
        if (strcmp(nc->webhooks[i].url, url) == 0)
            return &nc->webhooks[i];
    return NULL;
}

/* Records one attempt at row id (attempts so far: attempts). */
static int
record_attempt(struct webhooks *w, const char *id, int attempts, int ok,
    const char *why)
{
    char delay[24];
    int64_t d = 2;
    const char *p[4] = { id, ok ? "t" : "f", delay, why };
    int i, giveup = !ok && attempts + 1 >= WEBHOOK_MAX_ATTEMPTS;

    for (i = 0; i < attempts && d < WEBHOOK_BACKOFF_MAX; i++)
        d *= 2;
    snprintf(delay, sizeof(delay), "%lld", (long long)(d <
        WEBHOOK_BACKOFF_MAX ? d : WEBHOOK_BACKOFF_MAX));
    if (ok)
        atomic_fetch_add(&w->delivered, 1);
    else {
        atomic_fetch_add(&w->attempt_failures, 1);
        if (giveup)
            atomic_fetch_add(&w->failed, 1);
    }
    if (giveup) {
        const char *g[2] = { id, why };

        return db_exec(w->c, "webhooks", "UPDATE webhook_deliveries SET "
            "attempts = attempts + 1, failed_at = now(), last_error = $2 "
            "WHERE id = $1::bigint", 2, g);
    }
    return db_exec(w->c, "webhooks", "UPDATE webhook_deliveries SET "
        "attempts = attempts + 1, "
        "delivered_at = CASE WHEN $2::boolean THEN now() END, "
        "next_at = now() + make_interval(secs => $3::integer), "
        "last_error = CASE WHEN $2::boolean THEN NULL ELSE $4 END "
        "WHERE id = $1::bigint", 4, p);
}

/* One pass: the due rows (all pending ones when first), each sent once. */
static int
deliver_due(struct webhooks *w, int first)
{
    const char *p[2] = { w->hooks, first ? "t" : "f" };
    const struct webhook_config *h;
    PGresult *res;
    char why[256];
    int i, n, ok, r = -1;

    if (db_exec(w->c, "webhooks", "BEGIN", 0, NULL) != 0)
        return -1;
    res = PQexecParams(w->c, "SELECT id::text, hook, event, body, attempts "
        "FROM webhook_deliveries WHERE delivered_at IS NULL AND failed_at IS "
        "NULL AND (next_at <= now() OR $2::boolean) AND hook = ANY "
        "($1::text[]) ORDER BY id LIMIT " BATCH " FOR UPDATE SKIP LOCKED", 2,
        NULL, p, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        goto out;
    n = PQntuples(res);
    for (i = 0; i < n; i++) {
        if ((h = hook_of(w, PQgetvalue(res, i, 1))) == NULL)
            continue;
        why[0] = '\0';
        ok = post(h, PQgetvalue(res, i, 0), PQgetvalue(res, i, 2),
            PQgetvalue(res, i, 3), why, sizeof(why)) == 0;
        if (!ok)
            log_msg(LOG_LEVEL_WARN, "webhooks: delivery %s of %s to %s "
                "failed: %s; will retry", PQgetvalue(res, i, 0),
                PQgetvalue(res, i, 2), h->url, why);
        if (record_attempt(w, PQgetvalue(res, i, 0),
            atoi(PQgetvalue(res, i, 4)), ok, why) != 0)
            goto out;
    }
    r = n;
out:
    PQclear(res);
    if (db_exec(w->c, "webhooks", r >= 0 ? "COMMIT" : "ROLLBACK", 0,
        NULL) != 0)
        r = -1;
    return r;
}

static void
count_pending(struct webhooks *w)
{
    const char *p[1] = { w->hooks };
    PGresult *res = PQexecParams(w->c, "SELECT count(*) FROM "
        "webhook_deliveries WHERE delivered_at IS NULL AND failed_at IS NULL "
        "AND hook = ANY ($1::text[])", 1, NULL, p, NULL, NULL, 0);

    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
        atomic_store(&w->pending, strtoll(PQgetvalue(res, 0, 0), NULL, 10));
    PQclear(res);
}

static int
connected(struct webhooks *w)
{
    char why[256];

    if (w->c != NULL && PQstatus(w->c) == CONNECTION_OK)
        return 1;
    PQfinish(w->c);
    /* The ledger notices and logs an outage; this thread retries. */
    w->c = db_connect(w->cfg->database, "meshcad-webhooks",
        DB_STATEMENT_TIMEOUT_S, why, sizeof(why));
    return w->c != NULL;
}

/* The sweep, when it is due (at start, then every WEBHOOK_SWEEP_INTERVAL
 * seconds, sooner after a failure than never).  Returns the number of
 * events it queued. */
static int
sweep_due(struct webhooks *w, time_t *next)
{
    webhooks_sweep_fn fn;
    void *arg;
    time_t now = time(NULL);
    int n;

    pthread_mutex_lock(&w->lock);
    fn = w->sweep;
    arg = w->sweep_arg;
    pthread_mutex_unlock(&w->lock);
    if (fn == NULL || now < *next)
        return 0;
    *next = now + WEBHOOK_SWEEP_INTERVAL;
    if ((n = fn(arg, w->c)) <= 0)
        return 0;
    atomic_fetch_add(&w->recovered, (uint64_t)n);
    return n;
}

static void *
webhooks_main(void *arg)
{
    struct webhooks *w = arg;
    struct timespec ts;
    time_t next_sweep = 0;
    int first = 1, n, swept;

    pthread_mutex_lock(&w->lock);
    while (!w->stopping) {
        w->kicked = 0;
        pthread_mutex_unlock(&w->lock);
        n = swept = 0;
        if (connected(w)) {
            swept = sweep_due(w, &next_sweep);
            if ((n = deliver_due(w, first)) >= 0)
                first = 0;
            count_pending(w);
        }
        pthread_mutex_lock(&w->lock);
        if (n == atoi(BATCH) || swept > 0 || w->kicked || w->stopping)
            continue;
        meshca_deadline_ms(&ts, 1000);
        pthread_cond_timedwait(&w->cond, &w->lock, &ts);
    }
    pthread_mutex_unlock(&w->lock);
    PQfinish(w->c);
    return NULL;
}

/* A text[] literal of the hook URLs (double-quoted, \ and " escaped). */
static char *
hooks_array(const struct notify_config *nc)
{
    size_t i, len = 3;
    char *s, *o;
    const char *u;

    for (i = 0; i < nc->nwebhooks; i++)
        len += 2 * strlen(nc->webhooks[i].url) + 3;
    if ((s = o = malloc(len)) == NULL)
        return NULL;
    *o++ = '{';
    for (i = 0; i < nc->nwebhooks; i++) {
        if (i > 0)
            *o++ = ',';
        *o++ = '"';
        for (u = nc->webhooks[i].url; *u != '\0'; u++) {
            if (*u == '"' || *u == '\\')
                *o++ = '\\';
            *o++ = *u;
        }
        *o++ = '"';
    }
    *o++ = '}';
    *o = '\0';
    return s;
}

int
webhooks_start(const struct config *cfg, struct webhooks **wp)
{
    struct webhooks *w;

    *wp = NULL;
    if ((w = calloc(1, sizeof(*w))) == NULL)
        return MESHCA_ERR_ALLOC;
    w->cfg = cfg;
    atomic_store(&w->pending, cfg->notify.nwebhooks > 0 ? -1 : 0);
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    if (cfg->notify.nwebhooks > 0) {
        if ((w->hooks = hooks_array(&cfg->notify)) == NULL ||
            curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            webhooks_stop(w);
            return MESHCA_ERR_ALLOC;
        }
        if (pthread_create(&w->thread, NULL, webhooks_main, w) != 0) {
            webhooks_stop(w);
            return MESHCA_ERR_SYSTEM;
        }
        w->running = 1;
    }
    *wp = w;
    return 0;
}

void
webhooks_stop(struct webhooks *w)
{
    if (w == NULL)
        return;
    if (w->running)
        threads_stop(&w->lock, &w->cond, &w->stopping, &w->thread, 1);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w->hooks);
    free(w);
}

void
webhooks_kick(struct webhooks *w)
{
    if (w == NULL || !w->running)
        return;
    pthread_mutex_lock(&w->lock);
    w->kicked = 1;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

void
webhooks_set_sweep(struct webhooks *w, webhooks_sweep_fn fn, void *arg)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->lock);
    w->sweep = fn;
    w->sweep_arg = arg;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

void
webhooks_count_lost(struct webhooks *w, size_t n)
{
    if (w != NULL)
        atomic_fetch_add(&w->lost, n);
}

int
webhooks_write_metrics(const struct webhooks *w, struct meshca_buf *out)
{
    int r;

    if (w == NULL)
        return 0;
    {
        const struct metric_value v[] = {
            { "meshca_webhook_attempt_failures_total", "counter", "Webhook "
                "delivery attempts that failed (each is retried with "
                "backoff).", (long long)atomic_load(&w->attempt_failures) },
            { "meshca_webhook_recovered_total", "counter", "Webhook "
                "notifications the ledger sweep queued because the "
                "immediate path missed them.",
                (long long)atomic_load(&w->recovered) },
            { "meshca_webhook_pending", "gauge", "Webhook notifications "
                "queued and not yet delivered or given up (-1: not known "
                "yet).", (long long)atomic_load(&w->pending) },
        };

        if ((r = metrics_printf(out, "# HELP meshca_webhook_deliveries_total "
            "Webhook notifications by outcome: delivered, failed (gave up "
            "after every retry), lost (could not be queued).\n"
            "# TYPE meshca_webhook_deliveries_total counter\n"
            "meshca_webhook_deliveries_total{result=\"delivered\"} %llu\n"
            "meshca_webhook_deliveries_total{result=\"failed\"} %llu\n"
            "meshca_webhook_deliveries_total{result=\"lost\"} %llu\n",
            (unsigned long long)atomic_load(&w->delivered),
            (unsigned long long)atomic_load(&w->failed),
            (unsigned long long)atomic_load(&w->lost))) != 0)
            return r;
        return metrics_write_values(out, v, sizeof(v) / sizeof(v[0]));
    }
}
