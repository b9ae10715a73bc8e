/*
 * Issuer key sets (JWKS, RFC 7517): parsed once into immutable,
 * reference-counted sets of verification keys (cjose JWKs), and fetched over
 * HTTPS (libcurl: certificate verification, a timeout, a size cap, no
 * redirects; plain http only to a loopback host).
 *
 * What a set keeps: RSA keys of 2048..8192 bits and EC keys on P-256 or
 * P-384 whose point is on the curve, with "use" absent or "sig", "key_ops"
 * absent or containing "verify", and no private members.  Everything else
 * (symmetric "oct" keys above all, encryption keys, weak or malformed keys,
 * a second key with the same kid) is skipped and logged, never used: one bad
 * key does not make the provider's whole set unusable.
 */
#ifndef MESHCAD_JWKS_H
#define MESHCAD_JWKS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <cjose/jwk.h>

#include "meshca/buf.h"
#include "meshca/err.h"

#define JWKS_MAX_KEYS 64
#define JWKS_FETCH_MAX_BYTES (512 * 1024)

enum jwk_family {
    JWK_FAMILY_NONE = 0,
    JWK_FAMILY_RSA = 1,
    JWK_FAMILY_P256 = 2,
    JWK_FAMILY_P384 = 3,
};

struct jwk {
    char *kid;              /* NULL when the key has none */
    char *alg;              /* NULL when the key pins no algorithm */
    enum jwk_family family;
    int bits;               /* RSA modulus or EC field size */
    cjose_jwk_t *key;       /* public verification key (read-only, shared) */
};

/* Immutable once built; shared between threads by reference count. */
struct jwks {
    atomic_uint refs;
    struct jwk *keys;
    size_t n;
    size_t nskipped;        /* keys of the document that were not usable */
};

/*
 * Parses a JWKS document (JSON text, not NUL-terminated) published by issuer
 * (used in log lines only).  Returns 0 and a new set (one reference) in
 * *setp, or MESHCA_ERR_JWKS_INVALID with the reason in why when the document
 * is not a JWKS or holds no usable key (*setp stays NULL).
 */
int jwks_parse(const char *issuer, const char *data, size_t len,
    struct jwks **setp, char *why, size_t whylen) MESHCA_WUR;

/* Takes a reference; returns set.  Accepts NULL. */
struct jwks *jwks_ref(struct jwks *set);

/* Drops a reference, freeing the set with the last.  Accepts NULL. */
void jwks_unref(struct jwks *set);

/* The family an algorithm's key must belong to: JWK_FAMILY_NONE for every
 * algorithm this module does not verify (none, HS*, EdDSA...). */
enum jwk_family jwks_alg_family(const char *alg);

/*
 * Fetches url (https, or http to a loopback host) into a new buffer of at
 * most JWKS_FETCH_MAX_BYTES.  ca_file (may be NULL: system roots) names the
 * trusted roots.  Returns 0 with *bodyp (free with buf_free) and *max_agep
 * (the response's Cache-Control max-age in seconds, -1 without one), or
 * MESHCA_ERR_JWKS_FETCH with the reason in why (outputs untouched).
 */
int jwks_fetch(const char *url, const char *ca_file, struct meshca_buf **bodyp,
    int64_t *max_agep, char *why, size_t whylen) MESHCA_WUR;


#endif
