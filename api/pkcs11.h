/*
 * CA keys in a PKCS#11 token (an HSM, a YubiHSM, a cloud HSM's PKCS#11
 * library, SoftHSM in the tests).  The module is loaded with dlopen and
 * driven through the standard interface (p11-kit's pkcs11.h).  The private
 * key never leaves the token: libmeshca's struct cakey gets a signer
 * (struct cakey_signer) that runs CKM_EDDSA, CKM_ECDSA or CKM_RSA_PKCS in it.
 *
 * Signing scales with threads: each key keeps a pool of up to nsessions
 * sessions (one per worker thread), all logged in.  When the token goes
 * away, signing answers MESHCA_ERR_CAKEY_UNAVAILABLE at once (nothing is
 * signed) and cakey_status() says why; the next signature or status check
 * (at most once a second while it stays away) reconnects: finds the token
 * by label, logs in again and checks that the key is the same one it loaded
 * (never signs with another).
 */
#ifndef MESHCAD_PKCS11_H
#define MESHCAD_PKCS11_H

#include <stddef.h>

#include "meshca/cakey.h"
#include "pkcs11conf.h"

/* Loads the key pair c names (the private key and the public key object of
 * the same label, exactly one of each) and checks with one signature that
 * they belong together.  Returns 0 and *keyp (caller frees with
 * cakey_free), or -1 with what to fix in why (never the PIN). */
int pkcs11_key_load(const struct pkcs11_config *c, size_t nsessions,
    struct cakey **keyp, char *why, size_t whylen) MESHCA_WUR;

/* Generates a key pair of kind inside the token c names, labelled c->label:
 * private key CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE, not CKA_EXTRACTABLE,
 * CKA_SIGN only; refuses a label already in use.  Returns 0 and the SSH
 * public key in *pubp (caller frees), or -1 with why. */
int pkcs11_key_generate(const struct pkcs11_config *c, enum cakey_kind kind,
    struct meshca_key **pubp, char *why, size_t whylen) MESHCA_WUR;

#endif
