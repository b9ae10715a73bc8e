/*
 * Identity: strict OpenID Connect ID-token verification.
 *
 * Trusted issuers come from the config.  Each issuer's keys are parsed once
 * (api/jwks.c: RSA >= 2048 bits and EC P-256/P-384 signature keys; "oct"
 * keys, encryption keys and keys with private members are skipped and
 * logged, never used) into an immutable, reference-counted set that
 * verifiers share without a global lock (a read lock held only while taking
 * a reference; a refresh swaps the pointer).  Keys come from a local
 * jwks_file (read once at start), an explicit jwks_uri, or the issuer's
 * discovery document.  Fetched sets are refreshed by a background thread on
 * a schedule within the server's Cache-Control max-age (clamped to
 * 5 min .. 24 h, and to half of max_key_staleness), retried with back-off
 * while the provider is down, and fetched at once on an unknown kid at most
 * once per key_refresh_interval.  Cached keys keep working while the
 * provider is unreachable, for max_key_staleness.  No verifier ever waits
 * on a scheduled fetch.
 *
 * The checks, in order, each failure with its own reason:
 *  - size at most IDENTITY_TOKEN_MAX; compact JWS: exactly three
 *    base64url parts (a JWE's five are refused), canonical base64url;
 *  - header: a JSON object without duplicate members; "alg" a string;
 *    "enc" (JWE), "crit" (no extension is understood), "jku", "jwk", "x5u",
 *    "x5c" (keys come only from the issuer's configured set) and "cty"
 *    (nested JWTs) refused; "typ" absent or JWT; "kid" a string when
 *    present ("x5t" is ignored, it names no key);
 *  - payload: a JSON object without duplicate members; "iss" names a
 *    configured issuer exactly (unverified at this point: it only picks whose
 *    keys are tried);
 *  - "alg" on that issuer's allow-list, before any cryptography (none, HS*
 *    and anything else are refused);
 *  - key: chosen by kid among that issuer's keys only (kid required when the
 *    set holds more than one key), of the algorithm's type and matching the
 *    key's own "alg" if it pins one; signature verified with cjose;
 *  - claims, now authentic: exp required, nbf honoured, iat required, all
 *    numbers in range, with leeway; iat not in the future; token age (from
 *    auth_time, else iat) at most max_token_age; aud a string or array of
 *    strings holding a configured audience; with several audiences azp
 *    required, and azp (when present) equal to a configured audience; sub a
 *    non-empty string without control characters; email, name, jti, nonce,
 *    azp strings; email_verified a boolean (Amazon Cognito's strings "true"
 *    / "false" only with the issuer's email_verified_string); groups an
 *    array of strings.
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

/*
 * Sets up every configured issuer of cfg (which must outlive the result).
 * A jwks_file is read now: one that cannot be read or holds no usable key
 * fails with MESHCA_ERR_JWKS_INVALID (logged).  A jwks_uri or discovery is
 * fetched now too, but a failure there is only logged: the keys are fetched
 * later, and until then identity_verify answers KEYS_UNAVAILABLE.  Starts
 * the background refresher when some issuer's keys come from the network.
 * Returns 0 and the new object in *idp (free with identity_free).
 */
int identity_new(const struct config *cfg, struct identity **idp) MESHCA_WUR;

/*
 * Reads and parses an issuer's jwks_file, the way identity_new does at
 * start and meshcad check does: a regular file (opened without waiting,
 * so a FIFO is refused, not waited on) of at most JWKS_FETCH_MAX_BYTES
 * that jwks_parse accepts for icfg->issuer.  Returns 0 and *setp (release
 * with jwks_unref), or a negative MESHCA_ERR_* (MESHCA_ERR_JWKS_INVALID
 * for an unreadable or unusable file) with the reason in why; *setp stays
 * NULL.
 */
struct jwks;
int identity_read_jwks_file(const struct issuer_config *icfg,
    struct jwks **setp, char *why, size_t whylen) MESHCA_WUR;

/* Stops the refresher and frees id.  Accepts NULL. */
void identity_free(struct identity *id);

/*
 * Verifies token (len bytes, not necessarily NUL-terminated) at time now
 * (epoch seconds).  Returns 0 with new claims in *cp (free with
 * claims_free); MESHCA_ERR_TOKEN_INVALID (HTTP 401) with the reason in why,
 * which never contains the token (text taken from the token is cut short and
 * limited to printable ASCII); MESHCA_ERR_TOKEN_KEYS_UNAVAILABLE (HTTP 503)
 * when the token's issuer has no usable keys (never fetched, or cached
 * longer than max_key_staleness); or MESHCA_ERR_ALLOC.  *cp is NULL on
 * failure.  replay_id is the jti (at most 64 printable bytes; a longer jti
 * is hashed), or without a jti the hex SHA-256 of the signed part of the
 * token (header.payload), so that re-encoding the signature (ECDSA's (r, s)
 * and (r, n - s) both verify) cannot make a "new" token.
 */
int identity_verify(struct identity *id, const char *token, size_t len,
    int64_t now, struct claims **cp, char *why, size_t whylen) MESHCA_WUR;

/* Key binding: 0 when the token's nonce equals base64url(SHA-256(blob)),
 * compared in constant time; MESHCA_ERR_TOKEN_INVALID otherwise (no nonce,
 * or another key's); MESHCA_ERR_ALLOC. */
int identity_check_key_binding(const struct claims *c, const uint8_t *blob,
    size_t len) MESHCA_WUR;

/* 0 when every issuer has usable keys; otherwise
 * MESHCA_ERR_TOKEN_KEYS_UNAVAILABLE with the first problem in why.  Never
 * waits on the network: it asks the refresher to retry at once (within
 * key_refresh_interval) and reports the last error. */
int identity_ready(struct identity *id, char *why, size_t whylen) MESHCA_WUR;

/* Appends Prometheus text: key-set fetches that succeeded and failed, keys
 * held and the key set's age, per issuer.  Returns 0 or a buf error. */
int identity_write_metrics(struct identity *id, struct meshca_buf *out) MESHCA_WUR;

#endif
