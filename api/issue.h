/* Issuance over HTTP (api/issue.c). */
#ifndef MESHCAD_ISSUE_H
#define MESHCAD_ISSUE_H

struct request;

/* POST /v1/certificates: token -> rate limit -> key -> revocations ->
 * policy -> sign -> ledger -> 201 with the certificate. */
void handle_issue(struct request *req);

/* POST /v1/explain: the policy's reasoning for a request, nothing signed. */
void handle_explain(struct request *req);

#endif
