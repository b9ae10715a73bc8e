/* Unit tests for ca/mem.c: growing arrays. */
#include <stdint.h>
#include <stdlib.h>

#include "meshca/mem.h"
#include "../../lib/unit.h"

TEST(test_mem_grow_starts_at_first_then_doubles)
{
    int *a = NULL, *n;
    size_t cap = 0, i;

    ASSERT((a = meshca_grow(a, &cap, 1, sizeof(*a), 4)) != NULL);
    ASSERT_INT_EQ(cap, 4);
    for (i = 0; i < 4; i++)
        a[i] = (int)i;
    n = meshca_grow(a, &cap, 4, sizeof(*a), 4);
    ASSERT(n == a);
    ASSERT_INT_EQ(cap, 4);
    ASSERT((a = meshca_grow(a, &cap, 5, sizeof(*a), 4)) != NULL);
    ASSERT_INT_EQ(cap, 8);
    ASSERT((a = meshca_grow(a, &cap, 33, sizeof(*a), 4)) != NULL);
    ASSERT_INT_EQ(cap, 64);
    for (i = 0; i < 4; i++)
        ASSERT_INT_EQ(a[i], (int)i);
    a[63] = 63;
    free(a);
}

TEST(test_mem_grow_refuses_overflow_and_keeps_the_array)
{
    char *a = NULL;
    size_t cap = 0;

    ASSERT((a = meshca_grow(a, &cap, 10, 1, 0)) != NULL);
    ASSERT_INT_EQ(cap, 16);
    ASSERT(meshca_grow(a, &cap, SIZE_MAX / 2 + 2, 1, 16) == NULL);
    ASSERT(meshca_grow(a, &cap, SIZE_MAX / 8, 16, 16) == NULL);
    ASSERT(meshca_grow(a, &cap, 17, 0, 16) == NULL);
    ASSERT_INT_EQ(cap, 16);
    a[15] = 'x';
    free(a);
}

UNIT_MAIN(T(test_mem_grow_starts_at_first_then_doubles),
    T(test_mem_grow_refuses_overflow_and_keeps_the_array))
