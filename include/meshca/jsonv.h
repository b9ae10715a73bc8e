/*
 * Strict reading of JSON documents that people write (config, policy): every
 * key must be known, every value of the right type, and each problem becomes a
 * diagnostic naming its JSON path ("roles[2].max_ttl: ...").
 *
 * Getters return 1 when the key is present and valid (value stored), 0 when it
 * is absent (a "missing" diagnostic is added if required), -1 when present
 * but invalid (diagnostic added).  Strings returned are new allocations the
 * caller frees.
 */
#ifndef MESHCA_JSONV_H
#define MESHCA_JSONV_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "meshca/diag.h"
#include "meshca/err.h"

/* Adds one diagnostic per key of obj not listed in allowed (NULL-ended).
 * Returns the number of unknown keys. */
int jsonv_known_keys(const json_t *obj, const char *path,
    const char *const *allowed, struct diags *d);

/* Checks that obj (at path) is an object and its keys are all in allowed
 * (NULL-ended), with a diagnostic for each key that is not.  Returns 1 when
 * obj is an object, 0 when it is not ("PATH: must be an object" added; the
 * caller reads nothing from it). */
int jsonv_object(const json_t *obj, const char *path,
    const char *const *allowed, struct diags *d) MESHCA_WUR;

int jsonv_string(const json_t *obj, const char *key, const char *path,
    int required, char **outp, struct diags *d);
int jsonv_bool(const json_t *obj, const char *key, const char *path,
    int required, int *outp, struct diags *d);
int jsonv_uint(const json_t *obj, const char *key, const char *path,
    int required, uint64_t max, uint64_t *outp, struct diags *d);
/* A duration string ("5m"); *outp in seconds. */
int jsonv_duration(const json_t *obj, const char *key, const char *path,
    int required, int64_t *outp, struct diags *d);
/* An array of non-empty strings (a single string is refused: write ["x"]).
 * *outp is a new array of new strings; free with jsonv_strv_free. */
int jsonv_strings(const json_t *obj, const char *key, const char *path,
    int required, char ***outp, size_t *np, struct diags *d);
void jsonv_strv_free(char **v, size_t n);

/* For JSON a program wrote (an answer, a ledger record), read leniently:
 * obj's member key when it is a string, else dflt (absent, null, another
 * type, or obj not an object).  The result is borrowed from obj or is
 * dflt. */
const char *jsonv_str_or(const json_t *obj, const char *key,
    const char *dflt);

/* Parses a file; on a syntax error adds "FILE:LINE:COL: message" and returns
 * NULL.  The caller decrefs the result. */
json_t *jsonv_load_file(const char *path, struct diags *d);

#endif
