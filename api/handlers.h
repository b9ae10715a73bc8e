/* The small endpoints (api/handlers.c). */
#ifndef MESHCAD_HANDLERS_H
#define MESHCAD_HANDLERS_H

struct request;

/* GET /healthz: always 200 while the process serves. */
void handle_healthz(struct request *req);
/* GET /readyz: 200 when the database, a CA key, the policy and every
 * issuer's keys are usable; otherwise 503 naming the failed checks. */
void handle_readyz(struct request *req);
/* GET /metrics: Prometheus text. */
void handle_metrics(struct request *req);
/* GET /v1/ca-keys: the CA public keys hosts should trust. */
void handle_ca_keys(struct request *req);
/* GET /v1/config: what meshca login needs to know. */
void handle_config(struct request *req);
/* GET /v1/host-ca-keys: the host CA public keys, for @cert-authority lines
 * (404 when no ca_keys entry has "use": "host"). */
void handle_host_ca_keys(struct request *req);

#endif
