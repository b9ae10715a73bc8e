/* Unit tests for api/revstate.c */
#include "../../../api/revstate.h"
#include "../../../api/ledger.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meshca/err.h"
#include "../../../api/meshcad_err.h"
#include "../../lib/unit.h"

#define FP_A "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define FP_B "SHA256:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
#define ISS_1 "https://idp-one.example"
#define ISS_2 "https://idp-two.example"

/* A snapshot of n entries (owned strings, as the ledger makes them). */
static struct ledger_snapshot *
snap_new(size_t n)
{
    struct ledger_snapshot *s = calloc(1, sizeof(*s));

    ASSERT(s != NULL);
    ASSERT((s->entries = calloc(n + 1, sizeof(*s->entries))) != NULL);
    return s;
}

static void
snap_add(struct ledger_snapshot *s, const char *kind, const char *value,
    const char *issuer, int64_t until)
{
    struct ledger_revoked *e = &s->entries[s->n++];

    e->kind = kind ? strdup(kind) : NULL;
    e->value = value ? strdup(value) : NULL;
    e->issuer = issuer ? strdup(issuer) : NULL;
    e->until = until;
}

TEST(test_revstate_refuses_everything_before_it_is_loaded)
{
    char why[256];

    /* The old check let everyone through until the first rebuild. */
    ASSERT_INT_EQ(revset_refuse(NULL, FP_A, ISS_1, "alice", 1000, why,
        sizeof(why)), MESHCA_ERR_UNAVAILABLE);
    ASSERT(strstr(why, "not been loaded") != NULL);
    ASSERT_INT_EQ(revset_refuse(NULL, NULL, ISS_1, "nobody", 1000, why,
        sizeof(why)), MESHCA_ERR_UNAVAILABLE);
}

TEST(test_revstate_refuses_revoked_keys_only)
{
    struct ledger_snapshot *snap = snap_new(3);
    struct revset *set = NULL;
    char why[256];

    snap_add(snap, "key_fingerprint", FP_B, NULL, 0);
    snap_add(snap, "serial", "12", NULL, 0);
    snap_add(snap, "key_id", "alice/x/1", NULL, 0);
    ASSERT_INT_EQ(revset_build(snap, &set), 0);
    ASSERT_INT_EQ(revset_nkeys(set), 1);
    ASSERT_INT_EQ(revset_refuse(set, FP_B, ISS_1, "alice", 1000, why,
        sizeof(why)), 1);
    ASSERT(strstr(why, "has been revoked") != NULL);
    ASSERT_INT_EQ(revset_refuse(set, FP_A, ISS_1, "alice", 1000, why,
        sizeof(why)), 0);
    revset_free(set);
    ledger_snapshot_free(snap);
}

TEST(test_revstate_blocks_by_issuer_and_subject)
{
    static const struct {
        const char *issuer, *subject;
        int64_t at;
        int refused;
    } cases[] = {
        { ISS_1, "alice", 1000, 1 },
        { ISS_2, "alice", 1000, 1 },
        /* alice at issuer 2 only until 1500; at a third issuer never. */
        { ISS_2, "alice", 1600, 0 },
        { "https://other", "alice", 1000, 0 },
        { "https://other", "bob", 1000, 1 },
        { ISS_2, "carol", 1000, 0 },
        { ISS_1, "dave", 1000, 0 },
    };
    struct ledger_snapshot *snap = snap_new(4);
    struct revset *set = NULL;
    char why[256];
    size_t i;
    int r;

    snap_add(snap, "block", "alice", ISS_1, 2000);
    snap_add(snap, "block", "bob", NULL, 2000);       /* any issuer */
    snap_add(snap, "block", "carol", ISS_2, 500);     /* over */
    snap_add(snap, "block", "alice", ISS_2, 1500);
    ASSERT_INT_EQ(revset_build(snap, &set), 0);
    ASSERT_INT_EQ(revset_nblocks(set), 4);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        r = revset_refuse(set, NULL, cases[i].issuer, cases[i].subject,
            cases[i].at, why, sizeof(why));
        if (r != cases[i].refused)
            unit_fail(__FILE__, __LINE__, "%s at %s, time %lld: %d, want %d",
                cases[i].subject, cases[i].issuer, (long long)cases[i].at, r,
                cases[i].refused);
        if (r == 1 && strstr(why, "blocked until") == NULL)
            unit_fail(__FILE__, __LINE__, "%s at %s: reason \"%s\"",
                cases[i].subject, cases[i].issuer, why);
    }
    revset_free(set);
    ledger_snapshot_free(snap);
}

TEST(test_revstate_keeps_every_entry_of_a_large_snapshot)
{
    struct ledger_snapshot *snap = snap_new(20000);
    struct revset *set = NULL;
    char sub[32], why[256];
    int i;

    for (i = 0; i < 20000; i++) {
        snprintf(sub, sizeof(sub), "user%05d", i);
        snap_add(snap, "block", sub, ISS_1, 5000);
    }
    ASSERT_INT_EQ(revset_build(snap, &set), 0);
    ASSERT_INT_EQ(revset_nblocks(set), 20000);
    for (i = 0; i < 20000; i += 997) {
        snprintf(sub, sizeof(sub), "user%05d", i);
        ASSERT_INT_EQ(revset_refuse(set, NULL, ISS_1, sub, 1000, why,
            sizeof(why)), 1);
    }
    revset_free(set);
    ledger_snapshot_free(snap);
}

TEST(test_revstate_a_broken_entry_fails_the_whole_build)
{
    struct ledger_snapshot *snap = snap_new(3);
    struct revset *set = (struct revset *)&set;

    snap_add(snap, "block", "alice", ISS_1, 2000);
    snap_add(snap, "key_fingerprint", NULL, NULL, 0);
    snap_add(snap, "block", "bob", ISS_1, 2000);
    /* Nothing half-built: no set at all, never one missing an entry. */
    ASSERT(revset_build(snap, &set) != 0);
    ASSERT(set == NULL);
    ledger_snapshot_free(snap);
}

UNIT_MAIN(T(test_revstate_refuses_everything_before_it_is_loaded),
    T(test_revstate_refuses_revoked_keys_only),
    T(test_revstate_blocks_by_issuer_and_subject),
    T(test_revstate_keeps_every_entry_of_a_large_snapshot),
    T(test_revstate_a_broken_entry_fails_the_whole_build))
