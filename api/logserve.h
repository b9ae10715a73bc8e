/* The transparency log over HTTP (api/logserve.c). */
#ifndef MESHCAD_LOGSERVE_H
#define MESHCAD_LOGSERVE_H

#include <jansson.h>

struct request;
struct server;

/* GET /v1/log/checkpoint, /v1/log/tile/..., /v1/log/proof. */
void handle_log_checkpoint(struct request *req);
void handle_log_tile(struct request *req);
void handle_log_proof(struct request *req);

/* The report's integrity object: the latest checkpoint, its signature
 * checked with the log key ({"verified", "log_size", "root", "origin",
 * "message"}).  Never NULL. */
json_t *log_integrity(struct server *srv);

#endif
