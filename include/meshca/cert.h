/*
 * OpenSSH user certificates (PROTOCOL.certkeys): build and sign, parse and
 * verify.
 *
 * Wire layout after the type name: string nonce, the subject key's fields,
 * uint64 serial, uint32 type, string key_id, string principals, uint64
 * valid_after, uint64 valid_before, string critical_options, string
 * extensions, string reserved, string signature_key, string signature (over
 * every byte before it).
 *
 * Signing costs one CA signature, a random draw and a few dozen small
 * allocations; it is thread-safe on a shared CA key set.
 */
#ifndef MESHCA_CERT_H
#define MESHCA_CERT_H

#include <stddef.h>
#include <stdint.h>

#include "meshca/cakey.h"
#include "meshca/err.h"
#include "meshca/key.h"

#define CERT_TYPE_USER 1
#define CERT_TYPE_HOST 2
#define CERT_NONCE_LEN 32          /* nonces we make */
#define CERT_NONCE_MAX 64          /* longest nonce accepted when parsing */
#define CERT_BLOB_MAX (128 * 1024) /* largest certificate made or parsed */
#define CERT_EXTENSIONS_MAX 64
#define CERT_KEY_ID_MAX 1024
/* Longest key id meshcad builds, counted as sshd logs it (below). */
#define CERT_KEY_ID_BUILT_MAX 511
#define CERT_FORCE_COMMAND_MAX 4096
/* valid_before meaning "no expiry" (as ssh-keygen prints "forever"). */
#define CERT_VALID_FOREVER UINT64_MAX

/* What to certify.  Strings are borrowed for the duration of the call. */
struct cert_request {
    const struct meshca_key *key;          /* subject public key */
    uint64_t serial;                /* 0: random, non-zero, < 2^63 */
    const char *key_id;             /* 1..CERT_KEY_ID_MAX printable bytes */
    const char *const *principals;  /* 1..256, each principal_valid() */
    size_t nprincipals;
    uint64_t valid_after;           /* seconds since the epoch */
    uint64_t valid_before;          /* must be > valid_after */
    uint64_t backdate;              /* subtracted from valid_after (skew) */
    const char *force_command;      /* NULL: no force-command */
    const char *source_address;     /* NULL: none; else a CIDR list */
    const char *const *extensions;  /* names; any order, no repeats */
    size_t nextensions;
    uint32_t type;                  /* CERT_TYPE_HOST; anything else: user */
};

/* A critical option or extension.  data/len is a copy of the raw data
 * field (empty for flags, data then non-NULL); value is the decoded
 * string for options whose data is exactly one string (force-command,
 * source-address, vendor options with a value), NULL otherwise. */
struct cert_option {
    char *name;
    uint8_t *data;
    size_t len;
    char *value;
};

/* A certificate, built or parsed.  Read-only for callers; free it with
 * cert_free. */
struct cert {
    const char *type_name;          /* e.g. "ssh-ed25519-cert-v01@openssh.com" (static) */
    uint8_t nonce[CERT_NONCE_MAX];
    size_t nonce_len;
    struct meshca_key *key;                /* subject public key */
    uint64_t serial;
    uint32_t type;                  /* CERT_TYPE_USER */
    char *key_id;
    char **principals;
    size_t nprincipals;
    uint64_t valid_after;
    uint64_t valid_before;
    struct cert_option *options;    /* critical options, sorted by name */
    size_t noptions;
    struct cert_option *extensions; /* sorted by name */
    size_t nextensions;
    struct meshca_key *ca_key;             /* signature_key */
    const char *sig_alg;            /* "ssh-ed25519", "rsa-sha2-512", ... (static) */
    uint8_t *blob;                  /* the whole certificate */
    size_t blob_len;
    size_t signed_len;              /* bytes of blob the signature covers */
};

/* Builds and signs a user certificate with the set's active key.  Refuses a
 * subject key that is one of the set's keys (MESHCA_ERR_CERT_CERTIFY_CA).
 * Errors: MESHCA_ERR_CERT_NO_PRINCIPALS, _TOO_MANY_PRINCIPALS, _PRINCIPAL,
 * _KEY_ID, _VALIDITY, _SERIAL, _OPTION (bad force-command, unknown
 * extension without '@', repeated extension), _CIDR, MESHCA_ERR_RANDOM,
 * allocation and crypto errors.  Returns 0 and a new certificate in *certp
 * (caller frees with cert_free), or a negative MESHCA_ERR_* (*certp NULL).
 * Thread-safe. */
int cert_sign(const struct cert_request *req, const struct cakey_set *cas,
    struct cert **certp) MESHCA_WUR;

/* As cert_sign, with one CA key (refusing to certify that key itself). */
int cert_sign_with(const struct cert_request *req, const struct cakey *ca,
    struct cert **certp) MESHCA_WUR;

/* Parses a certificate blob and verifies its signature against its own
 * signature_key (the caller decides whether that CA is trusted: compare
 * cert->ca_key, e.g. with cakey_set_find).  Refuses: an unknown or non-cert
 * type (MESHCA_ERR_CERT_TYPE), a host certificate (MESHCA_ERR_CERT_TYPE),
 * no principals / over 256 / an invalid principal, valid_after >=
 * valid_before (MESHCA_ERR_CERT_VALIDITY), options or extensions unsorted
 * or repeated (MESHCA_ERR_CERT_NOT_SORTED), malformed force-command or
 * source-address (MESHCA_ERR_CERT_OPTION / _CIDR), a bad signature or an
 * unacceptable algorithm such as SHA-1 ssh-rsa (MESHCA_ERR_CERT_SIGNATURE),
 * bytes after the signature (MESHCA_ERR_TRAILING_DATA), and key errors from
 * key.h for the subject or CA key.  Returns 0 and *certp (caller frees), or
 * a negative MESHCA_ERR_* (*certp NULL). */
int cert_from_blob(const uint8_t *blob, size_t len,
    struct cert **certp) MESHCA_WUR;

/* Parses "TYPE BASE64 [COMMENT]" (as in a -cert.pub file) and then as
 * cert_from_blob; TYPE must name the blob's type
 * (MESHCA_ERR_KEY_TYPE_MISMATCH).  The line is split and its comment
 * checked exactly as key_from_line does (a comment with control characters
 * other than tab: MESHCA_ERR_INVALID_FORMAT); the comment is not kept. */
int cert_from_line(const char *line, struct cert **certp) MESHCA_WUR;

/* cert_from_line for a host certificate (type 2): a user certificate is
 * MESHCA_ERR_CERT_TYPE here, as a host certificate is there. */
int cert_host_from_line(const char *line, struct cert **certp) MESHCA_WUR;

/* Builds the key id prefix + who + suffix (meshcad's "host:ID/REQUEST",
 * "EMAIL/ROLE/REQUEST"), cutting who at a UTF-8 character boundary so that
 * the key id as sshd logs it -- bytes past ASCII as \ooo, a backslash
 * doubled -- is at most CERT_KEY_ID_BUILT_MAX bytes: sshd writes a
 * certificate login with its key id in one log line of under 1 KiB, and
 * meshca host-report ships key ids of up to that many bytes; a longer one
 * would leave the login unreported, and one over CERT_KEY_ID_MAX could not
 * be signed at all.  prefix and suffix are kept whole and must together
 * take at most half of that (else MESHCA_ERR_CERT_KEY_ID).  Returns 0 and
 * a new string in *idp (caller frees), or a negative MESHCA_ERR_* (*idp
 * NULL). */
int cert_key_id_build(const char *prefix, const char *who,
    const char *suffix, char **idp) MESHCA_WUR;

/* Frees c.  Accepts NULL. */
void cert_free(struct cert *c);

/* "TYPE BASE64" plus " COMMENT" when comment is non-NULL and non-empty.
 * Returns 0 and a new string in *linep (caller frees). */
int cert_to_line(const struct cert *c, const char *comment,
    char **linep) MESHCA_WUR;

/* What a KRL needs to revoke c: the CA key blob, the serial and the key
 * id, all borrowed from c.  Any output may be NULL. */
void cert_krl_ids(const struct cert *c, const uint8_t **ca_blobp,
    size_t *ca_lenp, uint64_t *serialp, const char **key_idp);

/* The critical option or extension named name, or NULL. */
const struct cert_option *cert_find_option(const struct cert *c,
    const char *name);
const struct cert_option *cert_find_extension(const struct cert *c,
    const char *name);

/* Checks a source-address list the way sshd's addr_match_cidr_list does:
 * comma-separated IPv4/IPv6 addresses, each with an optional /prefix within
 * the family's range and no bits set beyond it; no empty entries, no
 * spaces.  Returns 0 or MESHCA_ERR_CERT_CIDR. */
int cert_check_source_address(const char *list) MESHCA_WUR;

/* Checks an extension name: one of OpenSSH's (permit-X11-forwarding,
 * permit-agent-forwarding, permit-port-forwarding, permit-pty,
 * permit-user-rc, no-touch-required) or a vendor name containing '@';
 * printable ASCII without spaces.  Returns 0 or MESHCA_ERR_CERT_OPTION. */
int cert_check_extension(const char *name) MESHCA_WUR;

/* Checks a force-command value: 1..CERT_FORCE_COMMAND_MAX bytes without
 * control characters.  Returns 0 or MESHCA_ERR_CERT_OPTION. */
int cert_check_force_command(const char *cmd) MESHCA_WUR;

#endif
