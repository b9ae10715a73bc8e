/*
 * Per-subject rate limiting: a token bucket per (issuer, subject) holding
 * rate_per_minute tokens, refilled continuously.  Sharded with one mutex per
 * shard, bounded memory (full buckets are forgotten; a full shard evicts).
 */
#ifndef MESHCAD_RATELIMIT_H
#define MESHCAD_RATELIMIT_H

#include <stdint.h>

struct ratelimit;

/* A limiter allowing rate_per_minute requests per key (0 disables it).
 * Returns NULL on allocation failure. */
struct ratelimit *ratelimit_new(uint64_t rate_per_minute);
void ratelimit_free(struct ratelimit *rl);

/* Takes one token for (issuer, subject) at now_ms (a monotonic clock in
 * milliseconds).  Returns 0 when allowed, otherwise the whole seconds (>= 1)
 * after which a retry may succeed. */
int64_t ratelimit_take(struct ratelimit *rl, const char *issuer,
    const char *subject, int64_t now_ms);

#endif
