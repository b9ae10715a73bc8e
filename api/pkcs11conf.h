/*
 * Where a PKCS#11 CA key lives, as a ca_keys entry names it: the object form
 * {"module", "token", "label", "pin_file" | "pin_env"} or an RFC 7512
 * "pkcs11:token=...;object=...?module-path=...&pin-source=FILE" URI.  Also
 * reads the PIN (from a file that only its owner may read, or from an
 * environment variable: never from the command line or the config itself).
 */
#ifndef MESHCAD_PKCS11CONF_H
#define MESHCAD_PKCS11CONF_H

#include <stddef.h>

#include <jansson.h>

#include "meshca/diag.h"
#include "meshca/err.h"

struct pkcs11_config {
    char *module;           /* the module (shared object) to load */
    char *token;            /* token label (CK_TOKEN_INFO.label) */
    char *label;            /* key label (CKA_LABEL of the key pair) */
    char *pin_file;         /* absolute path, or NULL */
    char *pin_env;          /* environment variable name, or NULL */
};

/* Parses v (an object or a "pkcs11:" URI string) found at path; a relative
 * pin_file is resolved against dir (may be NULL).  Adds every problem to d.
 * Returns 0 and *cp (caller frees with pkcs11conf_free) when v is usable,
 * or -1 (*cp NULL). */
int pkcs11conf_parse(const json_t *v, const char *path, const char *dir,
    struct pkcs11_config **cp, struct diags *d) MESHCA_WUR;

/* Parses an RFC 7512 URI (module-path and pin-source in its query; a
 * pin-value is refused).  Returns 0 and *cp, or -1 with the reason in why. */
int pkcs11conf_from_uri(const char *uri, struct pkcs11_config **cp,
    char *why, size_t whylen) MESHCA_WUR;

/* Reads the PIN: pin_file must be a regular file that group and others
 * cannot access (one trailing newline is dropped); pin_env names a set,
 * non-empty variable.  Returns 0 and *pinp (caller wipes and frees with
 * pkcs11conf_pin_free), or -1 with the reason (never the PIN) in why. */
int pkcs11conf_read_pin(const struct pkcs11_config *c, char **pinp,
    char *why, size_t whylen) MESHCA_WUR;

/* Wipes and frees a PIN.  Accepts NULL. */
void pkcs11conf_pin_free(char *pin);

/* A copy of c.  Returns NULL when out of memory. */
struct pkcs11_config *pkcs11conf_dup(const struct pkcs11_config *c);

/* Frees c.  Accepts NULL. */
void pkcs11conf_free(struct pkcs11_config *c);

#endif
