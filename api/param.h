/*
 * The numbers and times in request parameters and bodies, parsed one way
 * wherever they occur: admin queries (?since=, ?until=, ?at=, ?limit=,
 * ?after=), log proofs (?serial=, ?from=, ?to=) and revocation serials.
 * Digits only: no sign, no spaces, no base prefix (strtoull would take
 * " 5", "+5" and "-18446744073709551615", which wraps to 1).
 */
#ifndef MESHCAD_PARAM_H
#define MESHCAD_PARAM_H

#include <stdint.h>

#include "meshca/err.h"

/* Latest time a parameter accepts: 9999-12-31T23:59:59Z. */
#define PARAM_TIME_MAX 253402300799LL

/* Parses a time: epoch seconds (digits only), RFC 3339 UTC
 * ("2026-11-22T00:00:00Z") or a duration meaning that long before now.
 * Returns 0 and *tp within 0..PARAM_TIME_MAX, or MESHCA_ERR_INVALID_FORMAT
 * (overflow, out of range, anything else; *tp untouched). */
int param_parse_time(const char *s, int64_t now, int64_t *tp) MESHCA_WUR;

/* Parses an unsigned decimal (digits only, no sign, no spaces) of at most
 * max.  Returns 0 and *vp, or MESHCA_ERR_INVALID_FORMAT (*vp untouched). */
int param_parse_u64(const char *s, uint64_t max, uint64_t *vp) MESHCA_WUR;

#endif
