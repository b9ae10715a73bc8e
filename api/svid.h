/*
 * X.509-SVIDs: a workload's identity from its mTLS client certificate
 * (SPIFFE X.509-SVID profile), verified by meshcad itself against the
 * mesh's trust bundle (mesh.trust_bundle), as tls.client_ca is.
 *
 * An SVID is accepted when it chains to the bundle, is valid now (OpenSSL's
 * path validation, its purpose checked as a TLS client), carries exactly
 * one URI SAN, that URI is a SPIFFE ID (meshca/spiffe.h) in the configured
 * trust domain, and the leaf is not a CA certificate.
 */
#ifndef MESHCAD_SVID_H
#define MESHCAD_SVID_H

#include <stddef.h>

#include <openssl/x509.h>

#include "meshca/err.h"

struct request;

/* Reads the PEM certificates of path into a new store.  Returns 0 and
 * *storep (free with svid_store_free), or MESHCA_ERR_INVALID_FORMAT (no
 * certificate could be read). */
int svid_store_load(const char *path, X509_STORE **storep) MESHCA_WUR;

/* Accepts NULL. */
void svid_store_free(X509_STORE *store);

/* Verifies the chain der[0..n) (DER, leaf first; the rest untrusted
 * intermediates) as an X.509-SVID of trust_domain.  Returns 0 and the
 * SPIFFE ID in *idp (caller frees), or MESHCA_ERR_INVALID_FORMAT with the
 * reason for a person in why (*idp NULL). */
int svid_verify_der(X509_STORE *store, const char *trust_domain,
    const unsigned char *const *der, const size_t *lens, size_t n,
    char **idp, char *why, size_t whylen) MESHCA_WUR;

/* The X.509-SVID of req's TLS client.  Returns 0 and *idp (caller frees);
 * 1 when the client sent no certificate (or the connection is not TLS);
 * MESHCA_ERR_INVALID_FORMAT with the reason in why when it sent one that
 * is not a valid SVID. */
int svid_from_request(struct request *req, char **idp, char *why,
    size_t whylen) MESHCA_WUR;

/* 1 when req's TLS client sent a certificate, else 0. */
int svid_peer_present(struct request *req);

/* The SPIFFE ID in an Envoy X-Forwarded-Client-Cert header value (set by
 * the sidecar that verified the client's SVID): exactly one element (no
 * ',' outside quotes), with exactly one URI= field, a SPIFFE ID of
 * trust_domain.  Returns 0 and *idp (caller frees), or
 * MESHCA_ERR_INVALID_FORMAT with the reason in why. */
int svid_from_xfcc(const char *header, const char *trust_domain, char **idp,
    char *why, size_t whylen) MESHCA_WUR;

#endif
