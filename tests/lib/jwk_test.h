/*
 * JWKs for test keys: the public half of an OpenSSL key as the JSON object an
 * IdP publishes in its jwks_uri document.  Shared by the identity unit tests
 * and bench_identity, which write these into jwks_files for api/jwks.c.
 */
#ifndef MESHCA_TESTS_JWK_TEST_H
#define MESHCA_TESTS_JWK_TEST_H

#include <openssl/evp.h>

/* The JWK of RSA key k: {"kty":"RSA","kid":kid,"n":..,"e":..} with extra
 * (raw JSON members, e.g. "\"use\":\"sig\"") appended when not NULL.
 * Returns a new string the caller frees, or NULL on failure. */
char *jwk_test_rsa(EVP_PKEY *k, const char *kid, const char *extra);

/* The JWK of P-256 key k: {"kty":"EC","crv":"P-256","use":"sig","kid":kid,
 * "x":..,"y":..}; off_curve flips a bit of y so the point is not on the
 * curve.  Returns a new string the caller frees, or NULL on failure. */
char *jwk_test_ec(EVP_PKEY *k, const char *kid, int off_curve);

#endif
