/*
 * CA keys: generation, PKCS#8 PEM text in and out, SSH signatures, and the
 * set of CA keys (active / next / retired) used for rotation.
 *
 * The private key lives only inside an OpenSSL EVP_PKEY and is never
 * exported raw.
 *
 * Threads: a loaded struct cakey and struct cakey_set are read-only; any
 * number of threads may call cakey_sign() / cert_sign() on the same key or
 * set at once (each signature uses its own fresh EVP_MD_CTX, and OpenSSL
 * allows concurrent read-only use of one EVP_PKEY).  Freeing must wait until
 * no thread uses them.
 */
#ifndef MESHCA_CAKEY_H
#define MESHCA_CAKEY_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/bio.h>
#include <openssl/evp.h>

#include "meshca/buf.h"

#include "meshca/err.h"
#include "meshca/key.h"

enum cakey_kind {
    CAKEY_ED25519 = 1,
    CAKEY_ECDSA_P256,
    CAKEY_ECDSA_P384,
    CAKEY_RSA_3072,
    CAKEY_RSA_4096,
};

enum cakey_state {
    CAKEY_ACTIVE = 1, /* signs new certificates; exactly one per set */
    CAKEY_NEXT,       /* published ahead of a rotation */
    CAKEY_RETIRED,    /* published until its certificates expire */
};

struct cakey;
struct cakey_set;

/* Maps "ed25519", "ecdsa-p256", "ecdsa-p384", "rsa-3072", "rsa-4096" to a
 * kind.  Returns 0 or MESHCA_ERR_KEY_TYPE_UNKNOWN. */
int cakey_kind_from_name(const char *name, enum cakey_kind *kindp) MESHCA_WUR;

/* Largest PEM text cakey_from_pem accepts (exclusive). */
#define CAKEY_PEM_MAX (64 * 1024)

/* Generates a new CA key of the given kind in memory (reading and writing
 * key files is the caller's: meshcad's api/cakeyfile.c).  Returns 0 and
 * *keyp (caller frees with cakey_free), or MESHCA_ERR_INVALID_ARGUMENT (no
 * such kind), MESHCA_ERR_LIBCRYPTO or MESHCA_ERR_ALLOC (*keyp NULL). */
int cakey_new(enum cakey_kind kind, struct cakey **keyp) MESHCA_WUR;

/* Writes k as an unencrypted PKCS#8 PEM private key to out and flushes it,
 * so a BIO on a file descriptor gets the key without another copy in
 * memory.  Returns 0, or MESHCA_ERR_SYSTEM (see errno) or
 * MESHCA_ERR_LIBCRYPTO; what was written before a failure stays written. */
int cakey_write_pem(const struct cakey *k, BIO *out) MESHCA_WUR;

/* Parses len bytes of PEM holding a private key (PKCS#8 or traditional).
 * Refuses text of CAKEY_PEM_MAX bytes or more, text that holds no private
 * key, only a public key or an encrypted key (MESHCA_ERR_KEY_NOT_PRIVATE),
 * and key types other than Ed25519, ECDSA P-256/384/521 and RSA >= 2048
 * bits.  Does not keep pem (the caller wipes it).  Returns 0 and *keyp
 * (caller frees), or a negative MESHCA_ERR_* (*keyp NULL). */
int cakey_from_pem(const char *pem, size_t len,
    struct cakey **keyp) MESHCA_WUR;

/*
 * A signing backend for a CA key held outside the process (a PKCS#11 token:
 * meshcad's api/pkcs11.c).  libmeshca keeps the SSH formats and the
 * hashing; the backend only runs the raw primitive:
 *  - Ed25519: sig = the 64-byte EdDSA signature of tbs (the whole message);
 *  - ECDSA: tbs is the digest (SHA-256/384/512 for P-256/384/521) and sig
 *    is r || s, each as long as the curve's order (PKCS#11 CKM_ECDSA);
 *  - RSA: tbs is a DER DigestInfo for SHA-512 followed by the digest, and
 *    sig the PKCS#1 v1.5 signature, as long as the modulus (CKM_RSA_PKCS).
 * sign() gets sig with room for *siglenp bytes and sets *siglenp; it
 * returns 0, MESHCA_ERR_CAKEY_UNAVAILABLE when the device cannot sign now
 * (nothing was signed), or another negative MESHCA_ERR_*.  It must be
 * thread-safe.  status() returns 0 when the backend can sign, or
 * MESHCA_ERR_CAKEY_UNAVAILABLE with a reason for a person in why.  free()
 * releases ctx (may be NULL).
 */
struct cakey_signer {
    int (*sign)(void *ctx, const uint8_t *tbs, size_t tbslen, uint8_t *sig,
        size_t *siglenp);
    int (*status)(void *ctx, char *why, size_t whylen);
    void (*free)(void *ctx);
    void *ctx;
};

/* Wraps an external signer whose public key is pub.  Takes ownership of pub
 * and of s->ctx on success only.  Refuses key types it cannot sign with
 * (MESHCA_ERR_KEY_TYPE_UNKNOWN) and RSA keys over 8192 bits
 * (MESHCA_ERR_KEY_LENGTH).  Returns 0 and *keyp (caller frees), or a
 * negative MESHCA_ERR_* (*keyp NULL). */
int cakey_from_signer(struct meshca_key *pub, const struct cakey_signer *s,
    struct cakey **keyp) MESHCA_WUR;

/* 0 when k can sign now (always, for an in-memory key), or
 * MESHCA_ERR_CAKEY_UNAVAILABLE with the reason in why. */
int cakey_status(const struct cakey *k, char *why, size_t whylen) MESHCA_WUR;

/* 1 when k signs through an external signer, 0 for an in-memory key. */
int cakey_is_external(const struct cakey *k);

/* Frees k.  Accepts NULL. */
void cakey_free(struct cakey *k);

/* The CA's public key, owned by k. */
const struct meshca_key *cakey_public(const struct cakey *k);

/* The SSH signature algorithm this key signs with: "ssh-ed25519",
 * "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521" or
 * "rsa-sha2-512" (static string). */
const char *cakey_sig_alg(const struct cakey *k);

/* The key inside k, owned by k, for signing other formats than SSH
 * signatures (the transparency log's signed notes); NULL for a key with an
 * external signer. */
EVP_PKEY *cakey_evp(const struct cakey *k);

/* Signs len bytes at data and appends the SSH signature blob to out (not
 * wrapped in a string): Ed25519 string "ssh-ed25519", string sig(64);
 * ECDSA string "ecdsa-sha2-nistpNNN", string(mpint r, mpint s) with
 * SHA-256/384/512 for P-256/384/521; RSA string "rsa-sha2-512", string sig.
 * Thread-safe.  Returns 0 or a negative MESHCA_ERR_* (out unchanged);
 * MESHCA_ERR_CAKEY_UNAVAILABLE when an external signer's device is down. */
int cakey_sign(const struct cakey *k, const void *data, size_t len,
    struct meshca_buf *out) MESHCA_WUR;

/* Verifies an SSH signature blob made by pub over data.  Accepts
 * ssh-ed25519, ecdsa-sha2-nistp256/384/521 (matching the key's curve) and,
 * for RSA keys, rsa-sha2-256 and rsa-sha2-512 (never SHA-1 "ssh-rsa").
 * Trailing bytes after the signature are refused.  Returns 0 when valid,
 * MESHCA_ERR_SIGNATURE_INVALID when not (wrong algorithm, malformed, or not
 * verifying; sk keys cannot verify), or another negative MESHCA_ERR_*. */
int cakey_verify(const struct meshca_key *pub, const uint8_t *sig, size_t siglen,
    const void *data, size_t len) MESHCA_WUR;

/* Builds a set from keys already loaded, taking ownership of keys[0..n-1]
 * on success only (the array itself stays the caller's).  Exactly one key
 * must be CAKEY_ACTIVE (MESHCA_ERR_CAKEY_SET, also for n == 0) and no key
 * may appear twice (MESHCA_ERR_CAKEY_DUPLICATE).  Returns 0 and *setp
 * (caller frees), or a negative MESHCA_ERR_* (*setp NULL). */
int cakey_set_from_keys(struct cakey **keys, const enum cakey_state *states,
    size_t n, struct cakey_set **setp) MESHCA_WUR;

/* Frees set and its keys.  Accepts NULL. */
void cakey_set_free(struct cakey_set *set);

/* The key that signs; never NULL for a loaded set. */
const struct cakey *cakey_set_active(const struct cakey_set *set);

/* Number of keys, and the i-th (i < count) with its state in *statep (may
 * be NULL).  Keys keep the order they were given in. */
size_t cakey_set_count(const struct cakey_set *set);
const struct cakey *cakey_set_get(const struct cakey_set *set, size_t i,
    enum cakey_state *statep);

/* 1 when pub is one of the set's public keys, 0 otherwise. */
int cakey_set_contains(const struct cakey_set *set, const struct meshca_key *pub);

/* The CA public key whose blob is blob, or NULL. */
const struct cakey *cakey_set_find(const struct cakey_set *set,
    const uint8_t *blob, size_t len);

/* The TrustedUserCAKeys text: one "TYPE BASE64 meshca-ca:STATE" line per
 * key (active first, then next, then retired), each ending in "\n".
 * Returns 0 and a new string in *textp (caller frees), or a negative
 * MESHCA_ERR_*. */
int cakey_set_trusted_text(const struct cakey_set *set,
    char **textp) MESHCA_WUR;

/* "active", "next" or "retired"; NULL for an invalid state. */
const char *cakey_state_name(enum cakey_state state);

/* Parses a state name.  Returns 0 or MESHCA_ERR_INVALID_ARGUMENT. */
int cakey_state_from_name(const char *name,
    enum cakey_state *statep) MESHCA_WUR;

#endif
