/*
 * Files meshcad's config names.  One way to open them (regfile_open): a
 * regular file, never a FIFO or a device, which could block or stream.
 * One reader for the secret ones (CA and log keys, the ledger's MAC key, a
 * PKCS#11 PIN, webhook signing secrets, the TLS key), which only their owner
 * may read, of a bounded size.
 */
#ifndef MESHCAD_SECRETFILE_H
#define MESHCAD_SECRETFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "meshcad_err.h"

/*
 * Opens path for reading without waiting (a FIFO is not waited on, it is
 * refused) and checks it is a regular file; with owner_only, also that
 * group and others cannot read it.  Returns the open descriptor (>= 0,
 * the caller closes it) with *st filled, or a negative error with why
 * filled, as secretfile_read's: MESHCA_ERR_SYSTEM (errno kept),
 * MESHCA_ERR_INVALID_FORMAT, MESHCA_ERR_KEY_FILE_PERMISSIONS.
 */
int regfile_open(const char *path, int owner_only, struct stat *st,
    char *why, size_t whylen) MESHCA_WUR;

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
