/* Arrays that grow by doubling, see meshca/mem.h. */
#include <stdint.h>
#include <stdlib.h>

#include "meshca/mem.h"

void *
meshca_grow(void *arr, size_t *capp, size_t need, size_t size,
    size_t first)
{
    size_t cap = *capp;
    void *n;

    if (need <= cap)
        return arr;
    if (cap == 0)
        cap = first > 0 ? first : 1;
    while (cap < need) {
        if (cap > SIZE_MAX / 2)
            return NULL;
        cap *= 2;
    }
    if (size == 0 || cap > SIZE_MAX / size)
        return NULL;
    if ((n = realloc(arr, cap * size)) == NULL)
        return NULL;
    *capp = cap;
    return n;
}
