/*
 * OpenSSH key revocation lists (PROTOCOL.krl, format version 1).
 *
 * The builder collects revocations — certificate serials and key ids per CA
 * key, SHA-256 fingerprints of keys (which revoke the key and every
 * certificate of it), explicit keys — and writes a KRL that is sorted,
 * de-duplicated and deterministic for the same input (so its hash can serve
 * as an ETag).  Serials are written as ranges where runs are long enough to
 * pay and as one list otherwise.  Serial 0 is refused: it makes the whole KRL
 * invalid, and sshd then refuses everyone.  The builder does not sign KRLs.
 *
 * The parser reads a KRL strictly (what OpenSSH rejects, it rejects; signed
 * KRLs are parsed but their signatures are not checked) and answers "is this
 * certificate / key revoked" with binary searches.
 */
#ifndef MESHCA_KRL_H
#define MESHCA_KRL_H

#include <stddef.h>
#include <stdint.h>

#include "meshca/err.h"

#define KRL_MAGIC "SSHKRL\n\0"
#define KRL_FORMAT_VERSION 1

/* The largest KRL krl_build writes and krl_parse reads (BUF_SIZE_MAX, 16
 * MiB).  Whoever fetches or reads a KRL for the parser (meshca krl,
 * meshca host-report --krl) takes up to this much: a smaller cap would
 * refuse a KRL meshcad serves, and the host would keep the older one. */
#define KRL_MAX_SIZE (16u * 1024 * 1024)

struct krl_builder;
struct krl;

/* A new, empty builder.  Returns 0 or MESHCA_ERR_ALLOC. */
int krl_builder_new(struct krl_builder **bp) MESHCA_WUR;
void krl_builder_free(struct krl_builder *b);

/* Revokes serial (or serials lo..hi) of certificates signed by the CA whose
 * public key blob is ca_blob.  MESHCA_ERR_KRL_SERIAL_ZERO for serial 0;
 * MESHCA_ERR_INVALID_ARGUMENT for lo > hi or an empty CA blob. */
int krl_revoke_serial(struct krl_builder *b, const uint8_t *ca_blob,
    size_t ca_len, uint64_t serial) MESHCA_WUR;
int krl_revoke_serial_range(struct krl_builder *b, const uint8_t *ca_blob,
    size_t ca_len, uint64_t lo, uint64_t hi) MESHCA_WUR;
/* Revokes every certificate with this key id from that CA. */
int krl_revoke_key_id(struct krl_builder *b, const uint8_t *ca_blob,
    size_t ca_len, const char *key_id) MESHCA_WUR;
/* Revokes a key by the SHA-256 of its public key blob (32 bytes). */
int krl_revoke_key_sha256(struct krl_builder *b,
    const uint8_t fp[32]) MESHCA_WUR;
/* Revokes a key by its whole public key blob. */
int krl_revoke_key(struct krl_builder *b, const uint8_t *blob,
    size_t len) MESHCA_WUR;

/* Writes the KRL.  Caller frees *blobp.  The builder is unchanged. */
int krl_build(const struct krl_builder *b, uint64_t krl_version,
    uint64_t generated_date, const char *comment, uint8_t **blobp,
    size_t *lenp) MESHCA_WUR;

/* The SHA-256 of a KRL blob with its generated_date read as zero: equal for
 * two KRLs that say the same thing (same version, comment and contents),
 * whenever they were built.  The blob must start with a KRL header
 * (MESHCA_ERR_KRL_INVALID otherwise); its sections are not checked.
 * Returns 0 and the digest in md, or a negative MESHCA_ERR_*. */
int krl_content_hash(const uint8_t *blob, size_t len,
    uint8_t md[32]) MESHCA_WUR;

/* Parses a KRL.  Returns 0 and a new struct in *krlp, or
 * MESHCA_ERR_KRL_INVALID / MESHCA_ERR_KRL_VERSION / MESHCA_ERR_KRL_SERIAL_ZERO. */
int krl_parse(const uint8_t *blob, size_t len, struct krl **krlp) MESHCA_WUR;
void krl_free(struct krl *k);

uint64_t krl_version(const struct krl *k);
uint64_t krl_generated_date(const struct krl *k);

/* 1 when the certificate (CA key blob, serial, key id, subject key blob) is
 * revoked, 0 when not.  key_id may be NULL. */
int krl_check_cert(const struct krl *k, const uint8_t *ca_blob, size_t ca_len,
    uint64_t serial, const char *key_id, const uint8_t *key_blob,
    size_t key_len);

/* 1 when the plain key is revoked, 0 when not. */
int krl_check_key(const struct krl *k, const uint8_t *key_blob, size_t len);

#endif
