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

/* Loads every entry of cfg->ca_keys and builds the two sets serve signs
 * with: the user set and the host set (ca_keys[].use, issue #16), each with
 * exactly one active key, no key named twice in the config (within a set
 * or across the two).  serve, a SIGHUP reload and meshcad check all come
 * here, so check refuses what serve would.  Token keys get nsessions
 * sessions each.  Returns 0, *userp and *hostp (caller frees; *hostp NULL
 * when no entry has "use": "host"), or -1 with the entry and the reason in
 * why (both NULL). */
int cakeysrc_load_sets(const struct config *cfg, size_t nsessions,
    struct cakey_set **userp, struct cakey_set **hostp, char *why,
    size_t whylen) MESHCA_WUR;

#endif
