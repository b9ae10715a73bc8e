/*
 * Memory: arrays that grow by doubling, with the size arithmetic checked
 * (OpenSSH's recallocarray does the same job for its callers).
 */
#ifndef MESHCA_MEM_H
#define MESHCA_MEM_H

#include <stddef.h>

#include "meshca/err.h"

/*
 * Makes room for need (>= 1) elements of size bytes in arr, which holds
 * *capp: when need > *capp, reallocates to first elements (when *capp is 0)
 * or doubles until need fits, and sets *capp.  Returns the array to use
 * (arr itself when it already had room), or NULL when memory ran out or the
 * size would overflow; arr and *capp are then untouched and arr is still
 * the caller's to free.
 */
void *meshca_grow(void *arr, size_t *capp, size_t need, size_t size,
    size_t first) MESHCA_WUR;

#endif
