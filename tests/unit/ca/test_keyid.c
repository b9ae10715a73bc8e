/* Unit tests for ca/keyid.c */
#include <stdlib.h>
#include <string.h>

#include "meshca/cert.h"
#include "../../lib/unit.h"

TEST(test_key_id_build_keeps_a_short_id_whole)
{
    char *id = NULL;

    ASSERT_INT_EQ(cert_key_id_build("host:", "spiffe://m.test/ns/a/sa/b",
        "/0123456789abcdef", &id), 0);
    ASSERT_STR_EQ(id, "host:spiffe://m.test/ns/a/sa/b/0123456789abcdef");
    free(id);
    ASSERT_INT_EQ(cert_key_id_build("", "alice@example.com", "/ops/ab", &id),
        0);
    ASSERT_STR_EQ(id, "alice@example.com/ops/ab");
    free(id);
}

/* A SPIFFE ID may be 2,048 bytes and a sub 1,024: cut to fit, the key id
 * is one cert_sign takes and the suffix (the request) stays whole. */
TEST(test_key_id_build_cuts_who_to_fit)
{
    char who[2049], *id = NULL;

    memset(who, 'w', sizeof(who) - 1);
    who[sizeof(who) - 1] = '\0';
    ASSERT_INT_EQ(cert_key_id_build("host:", who, "/0123456789abcdef", &id),
        0);
    ASSERT_INT_EQ((int)strlen(id), CERT_KEY_ID_BUILT_MAX);
    ASSERT(strncmp(id, "host:www", 8) == 0);
    ASSERT_STR_EQ(id + strlen(id) - 17, "/0123456789abcdef");
    free(id);
}

/* sshd logs a byte past ASCII as \ooo: "é" (2 bytes) counts 8, and a
 * character is never cut in two. */
TEST(test_key_id_build_counts_as_sshd_logs)
{
    char who[600], *id = NULL;
    size_t i;

    for (i = 0; i + 2 < sizeof(who); i += 2)
        memcpy(who + i, "\xc3\xa9", 2);
    who[i] = '\0';
    ASSERT_INT_EQ(cert_key_id_build("", who, "/r/x", &id), 0);
    /* (511 - 4) / 8 = 63 characters of 2 bytes. */
    ASSERT_INT_EQ((int)strlen(id), 63 * 2 + 4);
    ASSERT_STR_EQ(id + 126, "/r/x");
    free(id);
}

TEST(test_key_id_build_refuses_a_suffix_that_leaves_no_room)
{
    char suffix[300], *id = (char *)1;

    memset(suffix, 's', sizeof(suffix) - 1);
    suffix[sizeof(suffix) - 1] = '\0';
    ASSERT_INT_EQ(cert_key_id_build("", "who", suffix, &id),
        MESHCA_ERR_CERT_KEY_ID);
    ASSERT(id == NULL);
}

UNIT_MAIN(T(test_key_id_build_keeps_a_short_id_whole),
    T(test_key_id_build_cuts_who_to_fit),
    T(test_key_id_build_counts_as_sshd_logs),
    T(test_key_id_build_refuses_a_suffix_that_leaves_no_room))
