/* Per-subject token buckets, see ratelimit.h. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ratelimit.h"

#define SHARDS 64
#define SLOTS 1024 /* per shard, open addressing */

struct bucket {
    uint64_t key;    /* 0 = empty */
    double tokens;
    int64_t last_ms;
};

struct shard {
    pthread_mutex_t lock;
    struct bucket b[SLOTS];
};

struct ratelimit {
    double capacity;
    double per_ms;
    struct shard shards[SHARDS];
};

struct ratelimit *
ratelimit_new(uint64_t rate_per_minute)
{
    struct ratelimit *rl;
    size_t i;

    if ((rl = calloc(1, sizeof(*rl))) == NULL)
        return NULL;
    rl->capacity = (double)rate_per_minute;
    rl->per_ms = (double)rate_per_minute / 60000.0;
    for (i = 0; i < SHARDS; i++)
        pthread_mutex_init(&rl->shards[i].lock, NULL);
    return rl;
}

void
ratelimit_free(struct ratelimit *rl)
{
    size_t i;

    if (rl == NULL)
        return;
    for (i = 0; i < SHARDS; i++)
        pthread_mutex_destroy(&rl->shards[i].lock);
    free(rl);
}

/* FNV-1a over issuer, a separator, subject; never 0. */
static uint64_t
key_hash(const char *issuer, const char *subject)
{
    uint64_t h = 1469598103934665603ULL;
    const unsigned char *p;

    for (p = (const unsigned char *)issuer; *p != '\0'; p++)
        h = (h ^ *p) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL;
    for (p = (const unsigned char *)subject; *p != '\0'; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h == 0 ? 1 : h;
}

int64_t
ratelimit_take(struct ratelimit *rl, const char *issuer, const char *subject,
    int64_t now_ms)
{
    uint64_t key;
    struct shard *s;
    struct bucket *b = NULL, *victim = NULL;
    size_t i, idx;
    double oldest_full = 0;
    int64_t wait = 0;

    if (rl == NULL || rl->capacity <= 0)
        return 0;
    key = key_hash(issuer ? issuer : "", subject ? subject : "");
    s = &rl->shards[key % SHARDS];
    pthread_mutex_lock(&s->lock);
    /* Linear probe a short window; reuse empty or refilled slots. */
    for (i = 0; i < 16; i++) {
        idx = (size_t)((key / SHARDS + i) % SLOTS);
        if (s->b[idx].key == key) {
            b = &s->b[idx];
            break;
        }
        if (victim == NULL && s->b[idx].key == 0)
            victim = &s->b[idx];
    }
    if (b == NULL) {
        if (victim == NULL) {
            /* Evict the slot whose bucket has refilled the most. */
            for (i = 0; i < 16; i++) {
                struct bucket *c =
                    &s->b[(size_t)((key / SHARDS + i) % SLOTS)];
                double t = c->tokens + (double)(now_ms - c->last_ms) * rl->per_ms;

                if (victim == NULL || t > oldest_full) {
                    victim = c;
                    oldest_full = t;
                }
            }
        }
        b = victim;
        b->key = key;
        b->tokens = rl->capacity;
        b->last_ms = now_ms;
    }
    if (now_ms > b->last_ms) {
        b->tokens += (double)(now_ms - b->last_ms) * rl->per_ms;
        if (b->tokens > rl->capacity)
            b->tokens = rl->capacity;
        b->last_ms = now_ms;
    }
    if (b->tokens >= 1.0)
        b->tokens -= 1.0;
    else {
        wait = (int64_t)((1.0 - b->tokens) / rl->per_ms / 1000.0) + 1;
        if (wait < 1)
            wait = 1;
    }
    pthread_mutex_unlock(&s->lock);
    return wait;
}
