/*
 * Admin ledger queries (api/query.c): GET /v1/certificates and GET
 * /v1/report, and the parsers for their query parameters and the CSV cell
 * writer, exported for the unit tests.
 */
#ifndef MESHCAD_QUERY_H
#define MESHCAD_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "meshca/buf.h"
#include "meshca/err.h"

/* Latest time a query accepts: 9999-12-31T23:59:59Z. */
#define QUERY_TIME_MAX 253402300799LL

/* Parses a time parameter: epoch seconds (digits only), RFC 3339 UTC
 * ("2026-11-22T00:00:00Z") or a duration meaning that long before now.
 * Returns 0 and *tp within 0..QUERY_TIME_MAX, or MESHCA_ERR_INVALID_FORMAT
 * (overflow, out of range, anything else; *tp untouched). */
int query_parse_time(const char *s, int64_t now, int64_t *tp) MESHCA_WUR;

/* Parses an unsigned decimal (digits only, no sign, no spaces) of at most
 * max.  Returns 0 and *vp, or MESHCA_ERR_INVALID_FORMAT (*vp untouched). */
int query_parse_u64(const char *s, uint64_t max, uint64_t *vp) MESHCA_WUR;

struct request;

/* GET /v1/certificates (admins): filtered, paginated, JSON or CSV. */
void handle_list_certs(struct request *req);

/* GET /v1/report (admins): the compliance report's data. */
void handle_report(struct request *req);

#endif
