/* Unit tests for api/ratelimit.c */
#include "../../../api/ratelimit.h"
#include <stdio.h>

#include "meshca/err.h"
#include "../../lib/unit.h"

TEST(test_ratelimit_allows_burst_then_refuses_with_retry_after)
{
    struct ratelimit *rl = ratelimit_new(3);
    int i;

    ASSERT(rl != NULL);
    for (i = 0; i < 3; i++)
        ASSERT_INT_EQ(ratelimit_take(rl, "iss", "alice", 1000), 0);
    /* 3 per minute: the next token arrives after 20 s. */
    ASSERT_INT_EQ(ratelimit_take(rl, "iss", "alice", 1000), 21);
    /* Other subjects and issuers are independent. */
    ASSERT_INT_EQ(ratelimit_take(rl, "iss", "bob", 1000), 0);
    ASSERT_INT_EQ(ratelimit_take(rl, "other", "alice", 1000), 0);
    /* After 20 s one more is allowed. */
    ASSERT_INT_EQ(ratelimit_take(rl, "iss", "alice", 21000), 0);
    ASSERT(ratelimit_take(rl, "iss", "alice", 21000) > 0);
    ratelimit_free(rl);
}

TEST(test_ratelimit_zero_disables)
{
    struct ratelimit *rl = ratelimit_new(0);
    int i;

    for (i = 0; i < 1000; i++)
        ASSERT_INT_EQ(ratelimit_take(rl, "iss", "alice", 0), 0);
    ratelimit_free(rl);
}

TEST(test_ratelimit_survives_many_subjects)
{
    struct ratelimit *rl = ratelimit_new(1);
    char sub[32];
    int i;

    for (i = 0; i < 200000; i++) {
        snprintf(sub, sizeof(sub), "user%d", i);
        ASSERT_INT_EQ(ratelimit_take(rl, "iss", sub, 5), 0);
    }
    /* A recent subject is still remembered (most are, bounded memory). */
    ASSERT(ratelimit_take(rl, "iss", "user199999", 5) > 0);
    ratelimit_free(rl);
}

UNIT_MAIN(T(test_ratelimit_allows_burst_then_refuses_with_retry_after),
    T(test_ratelimit_zero_disables), T(test_ratelimit_survives_many_subjects))
