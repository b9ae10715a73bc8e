/*
 * The ledger's two secrets, read from the files the config names: the MAC
 * key that seals every record's entry, and the log key (Ed25519) that signs
 * checkpoints.  Neither ever enters the database.
 */
#ifndef MESHCAD_LOGKEYS_H
#define MESHCAD_LOGKEYS_H

#include <stddef.h>
#include <stdint.h>

#include "meshca/cakey.h"
#include "meshca/err.h"

/* Reads the MAC key: a regular file of 32..128 bytes that group and others
 * cannot read.  Fills key (room for 128) and *lenp; on failure why says
 * what to fix.  Returns 0 or an error. */
int logkeys_load_mac(const char *path, uint8_t *key, size_t *lenp, char *why,
    size_t whylen) MESHCA_WUR;

/* Loads the log key (an Ed25519 PEM as `meshcad keygen --type ed25519`
 * makes).  Returns 0 and *keyp (caller frees with cakey_free) or an error
 * with why filled. */
int logkeys_load_signer(const char *path, struct cakey **keyp, char *why,
    size_t whylen) MESHCA_WUR;

#endif
