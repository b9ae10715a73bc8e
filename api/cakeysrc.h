/*
 * Loading the CA keys a config's ca_keys entries name, wherever they are:
 * a PEM file (cakeyfile.h) or a PKCS#11 token (pkcs11.h).  The source of a
 * key is independent of its state (active / next / retired).
 */
#ifndef MESHCAD_CAKEYSRC_H
#define MESHCAD_CAKEYSRC_H

#include <stddef.h>

#include "meshca/cakey.h"
#include "config.h"

/* Loads the key e names (a token key gets a pool of nsessions sessions)
 * and, when e gives a fingerprint, refuses a key with another one (a
 * replica whose token holds a different key than expected).  Returns 0
 * and *keyp (caller frees), or -1 with what to fix in why. */
int cakeysrc_load(const struct ca_key_config *e, size_t nsessions,
    struct cakey **keyp, char *why, size_t whylen) MESHCA_WUR;

/* Loads every entry of cfg->ca_keys of the given use (ca_keys[].use, issue
 * #16) and builds that use's set (exactly one active, no key twice).
 * Returns 0 and *setp (caller frees; NULL when no entry has that use), or
 * -1 with the entry and the reason in why (*setp NULL). */
int cakeysrc_load_set(const struct config *cfg, enum ca_key_use use,
    size_t nsessions, struct cakey_set **setp, char *why,
    size_t whylen) MESHCA_WUR;

#endif
