/*
 * SPIFFE IDs (spiffe://TRUST-DOMAIN/PATH, as the SPIFFE ID standard
 * defines them) and the patterns policies match them with.
 *
 * An ID is accepted only in its normal form: the scheme in lower case, a
 * trust domain of [a-z0-9._-] (1..255), a path of one or more segments of
 * [A-Za-z0-9._-], none empty, "." or "..", no trailing '/', no query,
 * fragment, port or user info, and at most SPIFFE_ID_MAX bytes in all.
 *
 * A pattern is an ID whose path segments may be "*": exactly one segment,
 * never several and never part of a segment.
 */
#ifndef MESHCA_SPIFFE_H
#define MESHCA_SPIFFE_H

#include <stddef.h>

#include "meshca/err.h"

#define SPIFFE_ID_MAX 2048

/* 0 when id is a SPIFFE ID as above and, when trust_domain is not NULL, in
 * that trust domain; otherwise MESHCA_ERR_INVALID_FORMAT with the reason
 * for a person in why (why may be NULL). */
int spiffe_id_check(const char *id, const char *trust_domain, char *why,
    size_t whylen) MESHCA_WUR;

/* 0 when pattern is a valid pattern (see above), else
 * MESHCA_ERR_INVALID_FORMAT with the reason in why. */
int spiffe_pattern_check(const char *pattern, char *why,
    size_t whylen) MESHCA_WUR;

/* 1 when the valid ID id matches the valid pattern pattern, 0 when not. */
int spiffe_match(const char *pattern, const char *id);

/* Segment n (0-based) of a valid ID's path: *segp points into id, *lenp its
 * length.  Returns 0, or MESHCA_ERR_NOT_FOUND when the path has no segment
 * n. */
int spiffe_segment(const char *id, size_t n, const char **segp,
    size_t *lenp) MESHCA_WUR;

/* The path of a valid ID without its leading '/' (points into id). */
const char *spiffe_path(const char *id);

#endif
