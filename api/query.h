/*
 * Admin ledger queries (api/query.c): GET /v1/certificates and GET
 * /v1/report.  Their query parameters are parsed by api/param.c.
 */
#ifndef MESHCAD_QUERY_H
#define MESHCAD_QUERY_H

struct request;

/* GET /v1/certificates (admins): filtered, paginated, JSON or CSV. */
void handle_list_certs(struct request *req);

/* GET /v1/report (admins): the compliance report's data. */
void handle_report(struct request *req);

#endif
