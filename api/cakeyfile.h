/*
 * meshcad's CA key files: the file side of libmeshca's CA keys (as
 * OpenSSH keeps authfile.c apart from sshkey.c).  Files are opened, checked
 * and read here; the bytes are parsed by cakey_from_pem.
 */
#ifndef MESHCAD_CAKEYFILE_H
#define MESHCAD_CAKEYFILE_H

#include <stddef.h>

#include "meshca/cakey.h"
#include "meshca/err.h"

/* Generates a new CA key of the given kind (cakey_new) and writes it to
 * path as an unencrypted PKCS#8 PEM file created with O_CREAT|O_EXCL and
 * mode 0600, then fsyncs the file and its directory.  An existing path is
 * never overwritten (MESHCA_ERR_SYSTEM with errno EEXIST).  On failure a
 * partly written file is removed.  When keyp is non-NULL the key is
 * returned in *keyp (caller frees with cakey_free).  Returns 0 or a
 * negative MESHCA_ERR_* (MESHCA_ERR_SYSTEM: see errno). */
int cakeyfile_generate(enum cakey_kind kind, const char *path,
    struct cakey **keyp) MESHCA_WUR;

/* Loads a PEM private key from path.  Refuses a file that group or others
 * may access (MESHCA_ERR_KEY_FILE_PERMISSIONS), what is not a regular file
 * or is CAKEY_PEM_MAX bytes or larger (MESHCA_ERR_KEY_NOT_PRIVATE), and
 * whatever cakey_from_pem refuses.  The bytes read are wiped.  Returns 0
 * and *keyp (caller frees), or a negative MESHCA_ERR_* (MESHCA_ERR_SYSTEM:
 * see errno; *keyp NULL). */
int cakeyfile_load(const char *path, struct cakey **keyp) MESHCA_WUR;

/* Keys being gathered into a set, for cakeyfile_load_set and
 * cakeysrc_load_sets: cakeyfile_keys_init makes room for cap keys, the caller
 * loads keys[n] with states[n] and counts n up, cakeyfile_keys_to_set hands
 * them to a new set, and cakeyfile_keys_clear frees what the set did not
 * take. */
struct cakeyfile_keys {
    struct cakey **keys;
    enum cakey_state *states;
    size_t n;
};

/* Allocates room for cap keys (cap > 0) in *kl, n 0.  Returns 0 or
 * MESHCA_ERR_ALLOC (*kl then holds nothing; cakeyfile_keys_clear is still
 * safe). */
int cakeyfile_keys_init(struct cakeyfile_keys *kl, size_t cap) MESHCA_WUR;

/* Builds *setp from the n keys with cakey_set_from_keys.  On success the
 * set owns the keys and kl holds none; on failure (*setp NULL) kl still owns
 * them.  Returns 0 or a negative MESHCA_ERR_*. */
int cakeyfile_keys_to_set(struct cakeyfile_keys *kl, struct cakey_set **setp)
    MESHCA_WUR;

/* Frees the keys kl still owns and its arrays; leaves *kl empty. */
void cakeyfile_keys_clear(struct cakeyfile_keys *kl);

/* One entry of a key set to load. */
struct cakeyfile_spec {
    const char *path;
    enum cakey_state state;
};

/* Loads every key with cakeyfile_load, then builds the set with
 * cakey_set_from_keys (exactly one CAKEY_ACTIVE: MESHCA_ERR_CAKEY_SET; no
 * key twice: MESHCA_ERR_CAKEY_DUPLICATE).  Returns 0 and *setp (caller
 * frees), or the first error (*setp NULL). */
int cakeyfile_load_set(const struct cakeyfile_spec *specs, size_t n,
    struct cakey_set **setp) MESHCA_WUR;

#endif
