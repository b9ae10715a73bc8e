/*
 * Admin ledger queries (api/query.c): GET /v1/certificates and GET
 * /v1/report, and the period every admin query reads (GET /v1/anomalies
 * too).  Their query parameters are parsed by api/param.c.
 */
#ifndef MESHCAD_QUERY_H
#define MESHCAD_QUERY_H

#include <stdint.h>

struct request;

/* The period of an admin query from its since and until arguments (epoch
 * seconds, RFC 3339 UTC or a duration ago, as param_parse_time reads
 * them): until defaults to a minute from now, since to dflt seconds before
 * now.  Returns 0 with *sincep and *untilp, or -1 having answered 400
 * naming the argument. */
int query_period(struct request *req, int64_t *sincep, int64_t *untilp,
    int64_t dflt);

/* GET /v1/certificates (admins): filtered, paginated, JSON or CSV. */
void handle_list_certs(struct request *req);

/* GET /v1/report (admins): the compliance report's data. */
void handle_report(struct request *req);

#endif
