/*
 * Secret files meshcad reads: CA and log keys, the ledger's MAC key, a
 * PKCS#11 PIN, webhook signing secrets.  One reader, so that each is held
 * to the same rules: a regular file (never a FIFO or a device, which could
 * block or stream), that only its owner may read, of a bounded size.
 */
#ifndef MESHCAD_SECRETFILE_H
#define MESHCAD_SECRETFILE_H

#include <stddef.h>
#include <stdint.h>

#include "meshcad_err.h"

/*
 * Reads the whole file at path into buf (cap bytes); the file must hold
 * fewer than cap bytes, so give one byte more than the largest secret
 * accepted.  Returns 0 with *lenp set, or with why saying what to fix (the
 * caller puts the path or its config key in front):
 *   MESHCA_ERR_SYSTEM               cannot open or read it (errno kept);
 *   MESHCA_ERR_INVALID_FORMAT       not a regular file;
 *   MESHCA_ERR_KEY_FILE_PERMISSIONS group or others may read it;
 *   MESHCA_ERR_STRING_TOO_LARGE     it holds cap bytes or more.
 * On failure buf may hold part of the file: the caller wipes buf, as it
 * does after use.
 */
int secretfile_read(const char *path, uint8_t *buf, size_t cap,
    size_t *lenp, char *why, size_t whylen) MESHCA_WUR;

#endif
