/*
 * RFC 8785 JSON Canonicalization Scheme for the values meshca's ledger
 * entries hold: objects (members sorted by the UTF-16 code units of their
 * names), arrays, strings, true, false, null and integers in the IEEE 754
 * safe range (|n| <= 2^53 - 1).  Reals are refused: entries never hold them.
 * No insignificant whitespace; strings escaped as ECMAScript's
 * JSON.stringify does (\" \\ \b \f \n \r \t, other controls as \u00xx with
 * lowercase hex, everything else as UTF-8).
 */
#ifndef MESHCA_JCS_H
#define MESHCA_JCS_H

#include <jansson.h>

#include "meshca/buf.h"
#include "meshca/err.h"

/* Appends the canonical form of v to out.  MESHCA_ERR_JCS for a value
 * without one (a real, an integer outside the safe range, invalid UTF-8);
 * on error out may hold a partial write (callers reset it). */
int jcs_encode(const json_t *v, struct meshca_buf *out) MESHCA_WUR;

#endif
