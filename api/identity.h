/*
 * Identity: strict OpenID Connect ID-token verification.
 *
 * Trusted issuers come from the config.  Each issuer's keys (RSA and EC
 * JWKs with use "sig" or no use; symmetric "oct" keys are never accepted)
 * are parsed once into OpenSSL keys and cached by kid.  Keys come from a
 * local jwks_file, an explicit jwks_uri, or the issuer's discovery document;
 * fetched sets are refreshed on a schedule within the server's Cache-Control
 * max-age (clamped to 5 min .. 24 h), and on an unknown kid at most once per
 * key_refresh_interval.  While the provider is unreachable the cached keys
 * keep working for max_key_staleness.
 *
 * The checks, in order: size (16 KiB); compact JWS with three parts (no JWE,
 * no nested JWT); header is a JSON object with "alg"; "crit", "jku", "jwk",
 * "x5u", "x5c" refused; payload a JSON object; "iss" a configured issuer
 * exactly; "alg" on that issuer's allow-list; the key chosen by "kid"
 * (required when the set holds more than one key) and of the alg's type;
 * signature; "exp" required, "nbf", "iat" (required) with leeway; token age
 * (from iat) at most max_token_age; "aud" contains a configured audience and,
 * when it holds several, "azp" equals one; "sub" a non-empty string; claim
 * types (email string, email_verified boolean, groups array of strings...).
 * Safe to call from many threads at once.
 */
#ifndef MESHCAD_IDENTITY_H
#define MESHCAD_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include "meshca/buf.h"
#include "meshca/claims.h"
#include "meshca/err.h"

#include "config.h"

#define IDENTITY_TOKEN_MAX 16384

struct identity;

/* Sets up every configured issuer.  A jwks_file that cannot be read is an
 * error; an unreachable jwks_uri or discovery is not (keys are fetched when
 * needed; until then verification answers KEYS_UNAVAILABLE).  cfg must
 * outlive the result. */
int identity_new(const struct config *cfg, struct identity **idp) MESHCA_WUR;
void identity_free(struct identity *id);

/*
 * Verifies token at time now (epoch seconds).  Returns 0 with new claims in
 * *cp (free with claims_free); MESHCA_ERR_TOKEN_INVALID with the reason in
 * why (never the token itself); or MESHCA_ERR_TOKEN_KEYS_UNAVAILABLE when
 * the issuer's keys cannot be had (the caller answers 503).
 */
int identity_verify(struct identity *id, const char *token, size_t len,
    int64_t now, struct claims **cp, char *why, size_t whylen) MESHCA_WUR;

/* Key binding: 0 when the token's nonce equals base64url(SHA-256(blob)),
 * MESHCA_ERR_TOKEN_INVALID otherwise. */
int identity_check_key_binding(const struct claims *c, const uint8_t *blob,
    size_t len) MESHCA_WUR;

/* 0 when every issuer has usable keys; otherwise the first problem in why. */
int identity_ready(struct identity *id, char *why, size_t whylen) MESHCA_WUR;

/* Appends Prometheus text: key-set refreshes and failures per issuer. */
int identity_write_metrics(struct identity *id, struct buf *out) MESHCA_WUR;

#endif
