/* Issuance over HTTP (api/issue.c). */
#ifndef MESHCAD_ISSUE_H
#define MESHCAD_ISSUE_H

struct cakey_set;
struct cert;
struct cert_request;
struct request;

/* Signs cp with the active key of set into *certp and its one-line form
 * *linep, the step user and host issuance share.  On failure the answer
 * is queued: 503 with Retry-After when the key's token is away (nothing
 * signed; counted as ca_unavailable), 400 when the key to certify is a CA
 * key, else 500.  Returns 0 or -1. */
int issue_sign_answer(struct request *req, const struct cert_request *cp,
    const struct cakey_set *set, struct cert **certp, char **linep);

/* POST /v1/certificates: token -> rate limit -> key -> revocations ->
 * policy -> sign -> ledger -> 201 with the certificate. */
void handle_issue(struct request *req);

/* POST /v1/explain: the policy's reasoning for a request, nothing signed. */
void handle_explain(struct request *req);

#endif
