/*
 * Paths in meshcad's configuration: a relative path names a file next to
 * the configuration file, so it is resolved against that file's directory.
 * Shared by config.c, pkcs11conf.c and notify_config.c.
 */
#ifndef MESHCAD_CONFPATH_H
#define MESHCAD_CONFPATH_H

#include "meshca/diag.h"

/* Replaces *pathp, when it is relative and dir is not NULL, by a new
 * string "dir/path" (the old one is freed).  Leaves *pathp as it was when
 * it is NULL or absolute, and on allocation failure, which it reports in d
 * ("out of memory"), so that the configuration is refused. */
void confpath_resolve(char **pathp, const char *dir, struct diags *d);

#endif
