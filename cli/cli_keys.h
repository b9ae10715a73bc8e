/* Keys, the ssh-agent client and safe files for meshca login/status/logout. */
#ifndef MESHCA_CLI_KEYS_H
#define MESHCA_CLI_KEYS_H

#include <stddef.h>
#include <stdint.h>

struct login_key {
    char *public_line;      /* "ssh-ed25519 AAAA... comment" */
    uint8_t *blob;          /* public key blob */
    size_t blob_len;
    uint8_t pub32[32];
    uint8_t priv64[64];     /* seed || public, as the agent protocol wants */
    char *private_pem;      /* OpenSSH private key file text */
};

/* A fresh Ed25519 key (libssh).  Returns 0 or -1. */
int login_key_generate(const char *comment, struct login_key **kp);
/* Wipes and frees.  Accepts NULL. */
void login_key_free(struct login_key *k);

/*
 * ssh-agent (the agent protocol over $SSH_AUTH_SOCK).  agent_add_cert adds
 * the key with its certificate, constrained to live lifetime seconds.
 * agent_remove removes the identity whose public blob (for a certificate,
 * the certificate blob) is given.  agent_has says whether the agent holds
 * it.  Return 0 on success, -1 with why filled.
 */
int agent_add_cert(const char *sock, const struct login_key *k,
    const uint8_t *cert, size_t cert_len, uint32_t lifetime,
    const char *comment, char *why, size_t whylen);
int agent_remove(const char *sock, const uint8_t *blob, size_t len,
    char *why, size_t whylen);
int agent_has(const char *sock, const uint8_t *blob, size_t len);

/* Writes data to path atomically (temp file in the same directory, fsync,
 * rename) with the given mode.  Returns 0 or -1 (errno set). */
int write_file_atomic(const char *path, const void *data, size_t len,
    unsigned mode);

#endif
