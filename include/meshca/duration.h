/*
 * Durations as people write them in config and policy files: a sequence of
 * number+unit pairs, units s, m, h, d ("90s", "5m", "1h30m").  A bare number
 * is refused so that "5" never silently means five seconds.
 */
#ifndef MESHCA_DURATION_H
#define MESHCA_DURATION_H

#include <stddef.h>
#include <stdint.h>

#include "meshca/err.h"

/* Parses s into whole seconds in *secondsp (0 <= value <= 10 years).
 * Returns 0 or MESHCA_ERR_DURATION; *secondsp is untouched on error. */
int duration_parse(const char *s, int64_t *secondsp) MESHCA_WUR;

/* Writes the shortest exact form ("15m", "1h30m", "45s", "0s") into out.
 * Returns out. */
char *duration_format(int64_t seconds, char *out, size_t outlen);

#endif
