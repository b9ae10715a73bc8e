/*
 * meshcad's PKCS#11 plumbing shared by the signer (pkcs11.c) and key
 * generation (pkcs11gen.c): modules loaded with dlopen and shared by every
 * key that names them, token lookup by label, login, objects by label and
 * the SSH public key of a key pair.  Not for other modules: use pkcs11.h.
 *
 * Every call into a module holds its rwlock for reading; re-initialising a
 * module (C_Finalize + C_Initialize, after its token went away) holds it for
 * writing, so no call is ever in flight across a re-initialisation.
 */
#ifndef MESHCAD_PKCS11_INT_H
#define MESHCAD_PKCS11_INT_H

#include <pthread.h>
#include <stddef.h>

#include <p11-kit/pkcs11.h>

#include "meshca/key.h"

struct p11mod {
    char *path;
    void *dl;
    CK_FUNCTION_LIST_PTR f;
    unsigned refs;          /* guarded by the registry lock */
    unsigned gen;           /* bumped by each re-initialisation (under rw) */
    pthread_rwlock_t rw;
};

/* The module at path, loaded and initialised once per process and shared.
 * Returns 0 and *mp (release with p11mod_put), or -1 with why. */
int p11mod_get(const char *path, struct p11mod **mp, char *why, size_t whylen);

/* Drops a reference; the last one finalises and unloads the module. */
void p11mod_put(struct p11mod *m);

/* Re-initialises m unless another thread did since gen seen_gen was read
 * (C_Finalize, C_Initialize: the module re-reads its tokens).  Returns 0 or
 * the CK_RV of C_Initialize. */
CK_RV p11mod_reinit(struct p11mod *m, unsigned seen_gen);

/* PKCS#11 return value name ("CKR_DEVICE_REMOVED", or "CKR_0x..."). */
const char *p11_rv_name(CK_RV rv, char *buf, size_t len);

/* Finds the slot whose token has this label.  Returns CKR_OK and *slotp,
 * CKR_TOKEN_NOT_PRESENT when none has, or another CK_RV.  Caller holds
 * m->rw. */
CK_RV p11_find_token(struct p11mod *m, const char *label, CK_SLOT_ID *slotp);

/* Opens a read/write (rw != 0) or read-only session on slot and logs the
 * user in with pin (already logged in is fine).  Caller holds m->rw. */
CK_RV p11_open_login(struct p11mod *m, CK_SLOT_ID slot, const char *pin,
    int rw, CK_SESSION_HANDLE *sp);

/* The one object of class cls labelled label: CKR_OK and *objp,
 * CKR_KEY_HANDLE_INVALID when there is none, CKR_GENERAL_ERROR (and *nump
 * = 2) when there are several.  nump (may be NULL) gets how many were
 * found (0, 1 or 2 for "more").  Caller holds m->rw. */
CK_RV p11_find_object(struct p11mod *m, CK_SESSION_HANDLE s,
    CK_OBJECT_CLASS cls, const char *label, CK_OBJECT_HANDLE *objp,
    int *nump);

/* The SSH public key of the public key object pub (Ed25519, ECDSA
 * P-256/384, RSA) and its key type.  Returns 0 and *keyp (caller frees), or
 * -1 with why.  Caller holds m->rw. */
int p11_public_key(struct p11mod *m, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE pub,
    struct meshca_key **keyp, CK_KEY_TYPE *ktp, char *why, size_t whylen);

#endif
