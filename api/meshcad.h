/* meshcad's subcommands; each lives in its own file and returns an exit
 * status (0 ok, 1 failure that was reported, 2 usage error). */
#ifndef MESHCAD_H
#define MESHCAD_H

#include "meshca/version.h"

int cmd_serve(int argc, char **argv);   /* serve.c */
int cmd_migrate(int argc, char **argv); /* migrate.c */
int cmd_check(int argc, char **argv);   /* check.c */
int cmd_keygen(int argc, char **argv);  /* keygen.c */
int cmd_ledger(int argc, char **argv);  /* migrate.c */
int cmd_log(int argc, char **argv);     /* migrate.c */

#include <stddef.h>

/* check.c, also used by serve: loads the CA key at path as serve would.
 * Returns 0, or a negative MESHCA_ERR_* with "PATH: why" (the system's
 * reason for a file that cannot be opened) in why. */
int check_ca_key_file(const char *path, char *why, size_t whylen);

#endif
