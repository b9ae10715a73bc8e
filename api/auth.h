/*
 * Who is asking: authentication (the bearer ID token) and authorisation (the
 * policy's "admins" rule) of an HTTP request.  Both answer the request
 * themselves when they refuse it, so a handler only checks for NULL.
 */
#ifndef MESHCAD_AUTH_H
#define MESHCAD_AUTH_H

struct claims;
struct request;

/* Verifies the "Authorization: Bearer" ID token and sets req->subject.
 * Returns the claims (caller frees with claims_free), or NULL with a 401
 * (no token, a refused token) or a 503 (the issuer's keys are not
 * available yet) queued and the denial counted. */
struct claims *req_authenticate(struct request *req);

/* req_authenticate, then the policy's admins rule.  Returns the claims
 * (caller frees), or NULL with 401/403/503 queued. */
struct claims *req_admin(struct request *req);

/* The workload identity of the request (issue #16): the SPIFFE ID of its
 * X.509-SVID (TLS client certificate, svid.c) or, with mesh.xfcc on a
 * loopback listener, of the X-Forwarded-Client-Cert header its sidecar
 * set.  Returns the ID (caller frees) and sets req->subject, or NULL with
 * 400 (an XFCC header that is not trusted here), 401 (no identity or an
 * invalid one) or 404 (no mesh section) queued. */
char *req_workload(struct request *req);

#endif
