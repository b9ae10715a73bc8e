/*
 * SSH public keys: parsing (authorized_keys lines and wire blobs), strict
 * validation, SHA256 fingerprints and serialization.
 *
 * Accepted types: ssh-ed25519 (canonical, on the curve, not one of the 8
 * small-order points: MESHCA_ERR_KEY_INVALID_EC_POINT,
 * MESHCA_ERR_KEY_SMALL_ORDER), ecdsa-sha2-nistp256/384/521 (the point on its
 * curve), ssh-rsa (2048 to 8192 bits, e odd with 65537 <= e < 2^32),
 * sk-ssh-ed25519@openssh.com and sk-ecdsa-sha2-nistp256@openssh.com
 * (security-key types, points checked likewise; they carry an application
 * string, non-empty printable ASCII, and have no EVP_PKEY).  ssh-dss is refused
 * (MESHCA_ERR_KEY_TYPE_REFUSED); certificates given as keys are refused
 * (MESHCA_ERR_KEY_IS_CERT).
 *
 * A struct meshca_key is immutable once made, so one may be read from many threads
 * at once.  Its blob is the canonical wire encoding (string type, fields).
 */
#ifndef MESHCA_KEY_H
#define MESHCA_KEY_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "meshca/buf.h"
#include "meshca/err.h"

/* Largest key blob accepted (an RSA-8192 key is about 1 KiB). */
#define KEY_BLOB_MAX 8192
/* Length of a raw SHA256 fingerprint. */
#define KEY_FP_RAW_LEN 32

enum key_type {
    KEY_ED25519 = 1,
    KEY_ECDSA_P256,
    KEY_ECDSA_P384,
    KEY_ECDSA_P521,
    KEY_RSA,
    KEY_SK_ED25519,
    KEY_SK_ECDSA_P256,
};

struct meshca_key;

/* Parses "TYPE BASE64 [COMMENT]" (leading/trailing whitespace, including a
 * final newline, is ignored; fields are separated by spaces or tabs).  The
 * blob's own type must equal TYPE (MESHCA_ERR_KEY_TYPE_MISMATCH).  Returns 0
 * and a new key in *keyp (caller frees with key_free), or a negative
 * MESHCA_ERR_* (*keyp NULL).  The comment, if any, is kept. */
int meshca_key_from_line(const char *line, struct meshca_key **keyp) MESHCA_WUR;

/* Parses a wire blob (string type, then the type's fields, nothing after:
 * MESHCA_ERR_TRAILING_DATA).  Returns 0 and a new key in *keyp (caller
 * frees), or a negative MESHCA_ERR_* (*keyp NULL). */
int meshca_key_from_blob(const uint8_t *blob, size_t len, struct meshca_key **keyp) MESHCA_WUR;

/* Parses the fields of a plain key of type plain_type (e.g. "ssh-ed25519")
 * from b, as they appear inside a certificate, consuming them; the key's
 * blob is rebuilt as string plain_type + fields.  Returns 0 and a new key in
 * *keyp, or a negative MESHCA_ERR_* (*keyp NULL; b's position is then
 * unspecified). */
int meshca_key_from_fields(const char *plain_type, struct meshca_buf *b,
    struct meshca_key **keyp) MESHCA_WUR;

/* Builds a public key from an OpenSSL key (private or public) of a
 * supported type (Ed25519, EC P-256/384/521, RSA >= 2048).  The new key has
 * its own public-only EVP_PKEY; pkey is not kept.  Returns 0 and *keyp
 * (caller frees), or a negative MESHCA_ERR_*. */
int meshca_key_from_evp(EVP_PKEY *pkey, struct meshca_key **keyp) MESHCA_WUR;

/* A new reference-sharing copy of k (the EVP_PKEY is up-ref'd, the blob
 * copied), without comment.  Returns 0 and *keyp, or MESHCA_ERR_ALLOC. */
int meshca_key_dup(const struct meshca_key *k, struct meshca_key **keyp) MESHCA_WUR;

/* Frees k.  Accepts NULL. */
void meshca_key_free(struct meshca_key *k);

/* Accessors; none fails for a valid key. */
enum key_type meshca_key_type(const struct meshca_key *k);
/* Wire type name, e.g. "ssh-ed25519" (static string). */
const char *meshca_key_type_name(const struct meshca_key *k);
/* The type name of a certificate for this key, e.g.
 * "ssh-rsa-cert-v01@openssh.com" (static string). */
const char *meshca_key_cert_type_name(const struct meshca_key *k);
/* Canonical blob, owned by k. */
const uint8_t *meshca_key_blob(const struct meshca_key *k, size_t *lenp);
/* OpenSSL public key for verification, owned by k; NULL for sk types. */
EVP_PKEY *meshca_key_evp(const struct meshca_key *k);
/* Size in bits (256 for Ed25519, the curve size for ECDSA, |n| for RSA). */
unsigned meshca_key_bits(const struct meshca_key *k);
/* The sk application string ("ssh:..."), or NULL for other types. */
const char *meshca_key_application(const struct meshca_key *k);
/* The comment of a parsed line, or NULL. */
const char *meshca_key_comment(const struct meshca_key *k);
/* 1 for sk-* types, 0 otherwise. */
int meshca_key_is_sk(const struct meshca_key *k);

/* 1 when a and b have identical blobs, 0 otherwise. */
int meshca_key_equal(const struct meshca_key *a, const struct meshca_key *b);

/* SHA256 of the blob (KEY_FP_RAW_LEN bytes, owned by k), as used by KRLs. */
const uint8_t *meshca_key_fingerprint_raw(const struct meshca_key *k);

/* "SHA256:<base64 without padding>" as printed by ssh-keygen -l.  Returns 0
 * and a new string in *fpp (caller frees), or MESHCA_ERR_ALLOC. */
int meshca_key_fingerprint(const struct meshca_key *k, char **fpp) MESHCA_WUR;

/* "TYPE BASE64" plus " COMMENT" when comment is non-NULL and non-empty (no
 * newline).  Returns 0 and a new string in *linep (caller frees), or a
 * negative MESHCA_ERR_*. */
int meshca_key_to_line(const struct meshca_key *k, const char *comment,
    char **linep) MESHCA_WUR;

/* Appends the key's fields (its blob without the leading type string), as a
 * certificate embeds them.  Returns 0 or a negative MESHCA_ERR_* (b
 * unchanged on error). */
int meshca_key_put_fields(const struct meshca_key *k, struct meshca_buf *b) MESHCA_WUR;

/* Consumes from b the fields of k exactly as key_put_fields writes them
 * (a cheap alternative to key_from_fields when the key is already known).
 * Returns 0, or MESHCA_ERR_INVALID_FORMAT when b does not start with them
 * (b unchanged). */
int meshca_key_skip_fields(const struct meshca_key *k, struct meshca_buf *b) MESHCA_WUR;

/* Maps a plain key type name to its enum.  Returns 0, or
 * MESHCA_ERR_KEY_TYPE_REFUSED (ssh-dss), MESHCA_ERR_KEY_IS_CERT (a
 * certificate type) or MESHCA_ERR_KEY_TYPE_UNKNOWN. */
int meshca_key_type_from_name(const char *name, size_t len,
    enum key_type *typep) MESHCA_WUR;

/* Maps a certificate type name ("...-cert-v01@openssh.com") to the plain
 * type name it certifies (static string), or NULL when it is not one. */
const char *meshca_key_plain_name_for_cert(const char *cert_name, size_t len);

#endif
