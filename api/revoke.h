/* Revocation over HTTP (api/revoke.c). */
#ifndef MESHCAD_REVOKE_H
#define MESHCAD_REVOKE_H

struct request;

/* POST /v1/revocations (admins): records a revocation in the ledger and
 * wakes the KRL refresher. */
void handle_revoke(struct request *req);

/* GET /v1/krl: the current KRL, with a weak ETag and If-None-Match. */
void handle_krl(struct request *req);

#endif
