/* Unit tests for ca/principal.c */
#include "meshca/principal.h"
#include "../../lib/unit.h"

TEST(test_principal_accepts_mesh_names)
{
    ASSERT(principal_valid("payments/api"));
    ASSERT(principal_valid("payments/api:admin"));
    ASSERT(principal_valid("alice"));
    ASSERT(principal_valid("alice@example.com"));
}

TEST(test_principal_rejects_bad_characters)
{
    char longp[300];

    ASSERT(!principal_valid(""));
    ASSERT(!principal_valid(NULL));
    ASSERT(!principal_valid("a b"));
    ASSERT(!principal_valid("a,b"));
    ASSERT(!principal_valid("team#1"));
    ASSERT(!principal_valid("#"));
    ASSERT(!principal_valid("a\tb"));
    ASSERT(!principal_valid("a\nb"));
    ASSERT(!principal_valid("a\x7f"));
    memset(longp, 'a', sizeof(longp) - 1);
    longp[sizeof(longp) - 1] = '\0';
    ASSERT(!principal_valid(longp));
    longp[255] = '\0';
    ASSERT(principal_valid(longp));
}

UNIT_MAIN(T(test_principal_accepts_mesh_names),
    T(test_principal_rejects_bad_characters))
