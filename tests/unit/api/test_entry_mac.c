/* Unit tests for api/entry.c's MAC: HMAC-SHA256 against RFC 4231, and one
 * key set up once giving the same MACs from several threads at once. */
#include <pthread.h>
#include <string.h>

#include "../../../api/entry.h"
#include "../../lib/unit.h"

/* RFC 4231 test case 2 */
static const uint8_t rfc_key[] = "Jefe";
static const uint8_t rfc_data[] = "what do ya want for nothing?";
static const uint8_t rfc_mac[ENTRY_MAC_LEN] = {
    0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24, 0x26,
    0x08, 0x95, 0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83,
    0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43 };

TEST(test_entry_mac_rfc4231)
{
    struct entry_mac_key *k = NULL;
    uint8_t mac[ENTRY_MAC_LEN];

    ASSERT_OK(entry_mac_key_new(rfc_key, 4, &k));
    memset(mac, 0, sizeof(mac));
    ASSERT_OK(entry_mac_with(k, rfc_data, 28, mac));
    ASSERT_MEM_EQ(mac, rfc_mac, ENTRY_MAC_LEN);
    /* the same key again: the set-up state is not consumed */
    memset(mac, 0, sizeof(mac));
    ASSERT_OK(entry_mac_with(k, rfc_data, 28, mac));
    ASSERT_MEM_EQ(mac, rfc_mac, ENTRY_MAC_LEN);
    entry_mac_key_free(k);
}

#define MAC_ROUNDS 200

struct mac_job {
    const struct entry_mac_key *k;
    const uint8_t (*want)[ENTRY_MAC_LEN];  /* MAC_ROUNDS MACs, one thread's */
    int bad;
};

static void *
mac_many(void *arg)
{
    struct mac_job *j = arg;
    uint8_t entry[MAC_ROUNDS], mac[ENTRY_MAC_LEN];
    int i;

    for (i = 0; i < MAC_ROUNDS; i++) {
        memset(entry, i, sizeof(entry));
        if (entry_mac_with(j->k, entry, (size_t)i, mac) != 0 ||
            memcmp(mac, j->want[i], sizeof(mac)) != 0)
            j->bad++;
    }
    return NULL;
}

TEST(test_entry_mac_key_shared_by_threads)
{
    struct entry_mac_key *k = NULL, *alone = NULL;
    static uint8_t want[MAC_ROUNDS][ENTRY_MAC_LEN];
    uint8_t entry[MAC_ROUNDS];
    struct mac_job jobs[4];
    size_t i;

    /* What each thread must get: the same MACs from a key of its own,
     * computed before any thread runs. */
    ASSERT_OK(entry_mac_key_new((const uint8_t *)
        "a key of 32 bytes for the ledger", 32, &alone));
    for (i = 0; i < MAC_ROUNDS; i++) {
        memset(entry, (int)i, sizeof(entry));
        ASSERT_OK(entry_mac_with(alone, entry, i, want[i]));
    }
    entry_mac_key_free(alone);
    ASSERT_OK(entry_mac_key_new((const uint8_t *)
        "a key of 32 bytes for the ledger", 32, &k));
    for (i = 0; i < 4; i++) {
        jobs[i].k = k;
        jobs[i].want = (const uint8_t (*)[ENTRY_MAC_LEN])want;
        jobs[i].bad = 0;
    }
    unit_run_threads(mac_many, jobs, sizeof(jobs[0]), 4);
    for (i = 0; i < 4; i++)
        ASSERT_INT_EQ(jobs[i].bad, 0);
    entry_mac_key_free(k);
}

UNIT_MAIN(T(test_entry_mac_rfc4231),
    T(test_entry_mac_key_shared_by_threads))
