/*
 * The login key (libssh) and the ssh-agent protocol client
 * (draft-miller-ssh-agent, openssh PROTOCOL.agent).
 */
#ifndef MESHCA_CLI_KEYS_H
#define MESHCA_CLI_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "meshca/err.h"

struct meshca_buf;

/* An Ed25519 key pair.  Secrets are wiped by login_key_free. */
struct login_key {
    char *public_line;      /* "ssh-ed25519 AAAA... comment" */
    uint8_t *blob;          /* public key blob */
    size_t blob_len;
    uint8_t pub32[32];
    uint8_t priv64[64];     /* seed || public, as the agent protocol wants */
    char *private_pem;      /* OpenSSH private key file text */
};

/* A fresh Ed25519 key (libssh's ssh_pki_generate).  Returns 0 and *kp
 * (caller frees with login_key_free), or a negative MESHCA_ERR_*. */
int login_key_generate(const char *comment, struct login_key **kp) MESHCA_WUR;

/* The key in an unencrypted OpenSSH-format Ed25519 private key file's text
 * (as ssh-keygen or libssh write it).  Returns 0 and *kp (caller frees), or
 * MESHCA_ERR_INVALID_FORMAT / MESHCA_ERR_KEY_TYPE_REFUSED (not Ed25519,
 * encrypted) / allocation errors. */
int login_key_from_openssh(const char *pem, const char *comment,
    struct login_key **kp) MESHCA_WUR;

/* Wipes and frees.  Accepts NULL. */
void login_key_free(struct login_key *k);

/* Agent protocol numbers used here. */
#define AGENT_FAILURE 5
#define AGENT_SUCCESS 6
#define AGENTC_REQUEST_IDENTITIES 11
#define AGENT_IDENTITIES_ANSWER 12
#define AGENTC_REMOVE_IDENTITY 18
#define AGENTC_ADD_ID_CONSTRAINED 25
#define AGENT_CONSTRAIN_LIFETIME 1

/* Appends the body (without the length prefix) of an
 * SSH2_AGENTC_ADD_ID_CONSTRAINED message for key k with its certificate:
 * byte 25, string "ssh-ed25519-cert-v01@openssh.com", string cert blob,
 * string ENC(A) (32), string k||ENC(A) (64), string comment, byte 1
 * (lifetime), uint32 lifetime.  Returns 0 or a buffer error (m then holds
 * a partial message: discard it). */
int agent_msg_add_cert(struct meshca_buf *m, const struct login_key *k,
    const uint8_t *cert, size_t cert_len, uint32_t lifetime,
    const char *comment) MESHCA_WUR;

/* Appends SSH2_AGENTC_REMOVE_IDENTITY for a public key or certificate
 * blob.  Returns 0 or a buffer error. */
int agent_msg_remove(struct meshca_buf *m, const uint8_t *blob,
    size_t len) MESHCA_WUR;

/* Whether an SSH2_AGENT_IDENTITIES_ANSWER body lists blob.  Returns 1
 * found, 0 not found, or MESHCA_ERR_INVALID_FORMAT for a malformed
 * answer. */
int agent_answer_has(struct meshca_buf *answer, const uint8_t *blob, size_t len);

/*
 * Over the agent's Unix socket (sock: $SSH_AUTH_SOCK).  agent_add_cert adds
 * key k with its certificate, constrained to live lifetime seconds: the
 * private key travels only over the socket.  agent_remove removes the
 * identity whose blob (for a certificate, the certificate blob) is given.
 * Return 0, or MESHCA_ERR_CLI_AGENT with why filled.
 */
int agent_add_cert(const char *sock, const struct login_key *k,
    const uint8_t *cert, size_t cert_len, uint32_t lifetime,
    const char *comment, char *why, size_t whylen) MESHCA_WUR;
int agent_remove(const char *sock, const uint8_t *blob, size_t len,
    char *why, size_t whylen) MESHCA_WUR;

/* 1 when the agent holds the identity, 0 when not, MESHCA_ERR_CLI_AGENT
 * when the agent cannot be asked. */
int agent_has(const char *sock, const uint8_t *blob, size_t len);

#endif
