/* The revocation state: the refresher thread, the KRL and the refusal set
 * it swaps in, and the issuance check.  See revocations.h. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/sha.h>

#include "meshca/buf.h"
#include "meshca/clock.h"
#include "meshca/hex.h"
#include "meshca/cakey.h"
#include "castate.h"
#include "meshca/key.h"
#include "meshca/krl.h"
#include "ledger.h"
#include "log.h"
#include "meshcad_err.h"
#include "metrics.h"
#include "revocations.h"
#include "revstate.h"
#include "server.h"
#include "threads.h"

#define REFRESH_MS 500
#define REBUILD_EVERY_S 30

struct revocations {
    struct server *srv;
    pthread_rwlock_t lock;      /* guards everything below it */
    uint8_t *krl;
    size_t krl_len;
    char etag[REVOCATIONS_ETAG_SIZE];
    uint64_t version;
    struct revset *set;         /* NULL until the first rebuild */
    int ready;
    pthread_mutex_t wake_lock;
    pthread_cond_t wake;
    int stop, kick;
    pthread_t thread;
    /* metrics (issue #20): built_at and entries under lock, the rest atomic */
    int64_t built_at;           /* wall clock of the last good rebuild */
    size_t entries;             /* revocation records it holds */
    _Atomic uint64_t rebuilds, rebuild_failures;
    atomic_int db_up;           /* the last ledger read succeeded */
};

int
revocations_parse_fingerprint(const char *fp, uint8_t out[32])
{
    char b64[64];
    uint8_t *d = NULL;
    size_t len = 0;

    if (strncmp(fp, "SHA256:", 7) != 0 || strlen(fp + 7) != 43)
        return -1;
    snprintf(b64, sizeof(b64), "%s=", fp + 7);
    if (meshca_b64_decode(b64, strlen(b64), 0, &d, &len) != 0 || len != 32) {
        free(d);
        return -1;
    }
    memcpy(out, d, 32);
    free(d);
    return 0;
}

/* Builds a KRL and the refusal set from a snapshot; on success swaps both
 * in.  On any failure nothing changes: the previous KRL and set stay. */
static int
rebuild(struct revocations *rs, uint64_t version, struct ledger_snapshot *snap)
{
    struct castate *ca = server_ca(rs->srv);
    const struct cakey_set *cas = ca->set;
    struct krl_builder *b = NULL;
    struct krl *check = NULL;
    struct revset *set = NULL;
    uint8_t *blob = NULL, fp[32], md[SHA256_DIGEST_LENGTH];
    char hex[2 * 12 + 1];
    size_t len = 0, i, k, nca = cakey_set_count(cas);
    int r;

    if ((r = revset_build(snap, &set)) != 0 ||
        (r = krl_builder_new(&b)) != 0)
        goto out;
    for (i = 0; i < snap->n; i++) {
        const struct ledger_revoked *e = &snap->entries[i];

        r = 0;
        if (strcmp(e->kind, "serial") == 0 || strcmp(e->kind, "key_id") == 0) {
            uint64_t serial = strtoull(e->value, NULL, 10);

            for (k = 0; k < nca && r == 0; k++) {
                const struct meshca_key *pub = cakey_public(cakey_set_get(cas, k,
                    NULL));
                const uint8_t *cb;
                size_t cl;
                char *cafp = NULL;

                /* A serial is listed under the CA that signed it, when the
                 * ledger knows it; otherwise under every CA we have. */
                if (e->ca_fingerprint != NULL && meshca_key_fingerprint(pub,
                    &cafp) == 0 && strcmp(cafp, e->ca_fingerprint) != 0) {
                    free(cafp);
                    continue;
                }
                free(cafp);
                cb = meshca_key_blob(pub, &cl);
                if (strcmp(e->kind, "serial") == 0)
                    r = serial == 0 ? 0 : krl_revoke_serial(b, cb, cl, serial);
                else
                    r = krl_revoke_key_id(b, cb, cl, e->value);
            }
        } else if (strcmp(e->kind, "key_fingerprint") == 0) {
            if (revocations_parse_fingerprint(e->value, fp) == 0)
                r = krl_revoke_key_sha256(b, fp);
        }
        if (r != 0)
            goto out;
    }
    if ((r = krl_build(b, version, (uint64_t)time(NULL), "meshca", &blob,
        &len)) != 0)
        goto out;
    /* Never serve a KRL that does not parse back. */
    if ((r = krl_parse(blob, len, &check)) != 0) {
        log_json(LOG_LEVEL_ERROR, "built a KRL that does not parse; keeping "
            "the previous one", json_pack("{s:s}", "error",
                meshcad_strerror(r)));
        goto out;
    }
    /* The ETag names what the KRL says, not when this replica built it:
     * every replica serving the same contents serves the same ETag. */
    if ((r = krl_content_hash(blob, len, md)) != 0)
        goto out;
    pthread_rwlock_wrlock(&rs->lock);
    free(rs->krl);
    rs->krl = blob;
    rs->krl_len = len;
    blob = NULL;
    /* Weak (W/): the bytes differ in generated_date between replicas. */
    snprintf(rs->etag, sizeof(rs->etag), "W/\"%llu-%s\"",
        (unsigned long long)version, meshca_hex_encode(md, 12, hex,
        sizeof(hex)));
    rs->version = version;
    rs->built_at = (int64_t)time(NULL);
    rs->entries = snap->n;
    revset_free(rs->set);
    rs->set = set;
    set = NULL;
    rs->ready = 1;
    pthread_rwlock_unlock(&rs->lock);
    r = 0;
out:
    revset_free(set);
    free(blob);
    krl_free(check);
    krl_builder_free(b);
    castate_unref(ca);
    return r;
}

static void *
refresher_main(void *arg)
{
    struct revocations *rs = arg;
    struct ledger_snapshot *snap;
    uint64_t version, last = UINT64_MAX;
    time_t last_build = 0;
    struct timespec ts;
    int r, failing = 0;

    for (;;) {
        pthread_mutex_lock(&rs->wake_lock);
        if (!rs->stop && !rs->kick) {
            meshca_deadline_ms(&ts, REFRESH_MS);
            pthread_cond_timedwait(&rs->wake, &rs->wake_lock, &ts);
        }
        rs->kick = 0;
        if (rs->stop) {
            pthread_mutex_unlock(&rs->wake_lock);
            return NULL;
        }
        pthread_mutex_unlock(&rs->wake_lock);
        if (ledger_revocation_snapshot(rs->srv->ledger, &version, &snap) != 0) {
            atomic_store(&rs->db_up, 0);
            continue; /* database away: keep serving the last KRL */
        }
        atomic_store(&rs->db_up, 1);
        /* Rebuild on a new revocation, and now and then for expiries. */
        if (version != last || time(NULL) - last_build >= REBUILD_EVERY_S) {
            if ((r = rebuild(rs, version, snap)) == 0) {
                atomic_fetch_add(&rs->rebuilds, 1);
                if (version != last)
                    log_json(LOG_LEVEL_INFO, "KRL rebuilt", json_pack(
                        "{s:I, s:i}", "version", (json_int_t)version,
                        "entries", (int)snap->n));
                last = version;
                last_build = time(NULL);
            } else
                atomic_fetch_add(&rs->rebuild_failures, 1);
            if (r != 0 && !failing)
                log_json(LOG_LEVEL_ERROR, "cannot rebuild the KRL and the "
                    "refusal lists; keeping the previous ones", json_pack(
                    "{s:s}", "error", meshcad_strerror(r)));
            failing = r != 0;
        }
        ledger_snapshot_free(snap);
    }
}

int
revocations_start(struct server *srv)
{
    struct revocations *rs;

    if ((rs = calloc(1, sizeof(*rs))) == NULL)
        return MESHCA_ERR_ALLOC;
    rs->srv = srv;
    pthread_rwlock_init(&rs->lock, NULL);
    pthread_mutex_init(&rs->wake_lock, NULL);
    pthread_cond_init(&rs->wake, NULL);
    rs->kick = 1;
    if (pthread_create(&rs->thread, NULL, refresher_main, rs) != 0) {
        free(rs);
        return MESHCA_ERR_SYSTEM;
    }
    srv->rev = rs;
    return 0;
}

void
revocations_stop(struct server *srv)
{
    struct revocations *rs = srv->rev;

    if (rs == NULL)
        return;
    /* One waiter (the refresher): the broadcast wakes just it. */
    threads_stop(&rs->wake_lock, &rs->wake, &rs->stop, &rs->thread, 1);
    free(rs->krl);
    revset_free(rs->set);
    pthread_rwlock_destroy(&rs->lock);
    pthread_mutex_destroy(&rs->wake_lock);
    pthread_cond_destroy(&rs->wake);
    free(rs);
    srv->rev = NULL;
}

void
revocations_kick(struct server *srv)
{
    struct revocations *rs = srv->rev;

    pthread_mutex_lock(&rs->wake_lock);
    rs->kick = 1;
    pthread_cond_signal(&rs->wake);
    pthread_mutex_unlock(&rs->wake_lock);
}

int
revocations_refuse(struct server *srv, const char *keyfp, const char *issuer,
    const char *subject, char *why, size_t whylen)
{
    struct revocations *rs = srv->rev;
    int r;

    if (rs == NULL)
        return revset_refuse(NULL, keyfp, issuer, subject, 0, why, whylen);
    pthread_rwlock_rdlock(&rs->lock);
    r = revset_refuse(rs->set, keyfp, issuer, subject, (int64_t)time(NULL),
        why, whylen);
    pthread_rwlock_unlock(&rs->lock);
    return r;
}

int
revocations_krl(struct server *srv, char etag[REVOCATIONS_ETAG_SIZE],
    uint8_t **krlp, size_t *lenp)
{
    struct revocations *rs = srv->rev;
    int r = 0;

    *krlp = NULL;
    *lenp = 0;
    pthread_rwlock_rdlock(&rs->lock);
    if (!rs->ready) {
        pthread_rwlock_unlock(&rs->lock);
        return MESHCA_ERR_UNAVAILABLE;
    }
    memcpy(etag, rs->etag, REVOCATIONS_ETAG_SIZE);
    if ((*krlp = malloc(rs->krl_len)) != NULL) {
        memcpy(*krlp, rs->krl, rs->krl_len);
        *lenp = rs->krl_len;
    } else
        r = MESHCA_ERR_ALLOC;
    pthread_rwlock_unlock(&rs->lock);
    return r;
}

int
revocations_write_metrics(struct server *srv, struct meshca_buf *out)
{
    struct revocations *rs = srv->rev;
    unsigned long long version = 0, entries = 0;
    long long age = 0;
    int ready = 0, r;

    if (rs != NULL) {
        pthread_rwlock_rdlock(&rs->lock);
        ready = rs->ready;
        version = (unsigned long long)rs->version;
        entries = (unsigned long long)rs->entries;
        age = (long long)time(NULL) - rs->built_at;
        pthread_rwlock_unlock(&rs->lock);
    }
    {
        const struct metric_value v[] = {
            { "meshca_database_up", "gauge", "1 when this replica's last "
                "read of the ledger (every 0.5 s) succeeded.",
                rs != NULL ? atomic_load(&rs->db_up) : 0 },
            { "meshca_krl_loaded", "gauge", "1 once this replica has built "
                "its KRL and refusal lists from the ledger (it issues nothing "
                "before).", ready },
            { "meshca_krl_version", "gauge", "The served KRL's version (the "
                "newest revocation record's number).", (long long)version },
            { "meshca_krl_entries", "gauge", "Revocation records in the "
                "served KRL and refusal lists.", (long long)entries },
            { "meshca_krl_rebuilds_total", "counter",
                "KRL rebuilds that succeeded.",
                rs != NULL ? (long long)atomic_load(&rs->rebuilds) : 0 },
            { "meshca_krl_rebuild_failures_total", "counter", "KRL rebuilds "
                "that failed (the previous KRL kept serving).",
                rs != NULL ? (long long)atomic_load(&rs->rebuild_failures) :
                0 },
        };

        if ((r = metrics_write_values(out, v, sizeof(v) / sizeof(v[0]))) !=
            0)
            return r;
    }
    /* No age before the first build: "no KRL" is meshca_krl_loaded 0, not
     * a made-up age. */
    if (!ready)
        return 0;
    return metrics_printf(out, "# HELP meshca_krl_age_seconds Seconds since "
        "the served KRL was built (rebuilt on every revocation and every "
        "%d s).\n# TYPE meshca_krl_age_seconds gauge\n"
        "meshca_krl_age_seconds %lld\n", REBUILD_EVERY_S, age < 0 ? 0 : age);
}
