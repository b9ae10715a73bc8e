/* meshcad's subcommands; each lives in its own file and returns an exit
 * status (0 ok, 1 failure that was reported, 2 usage error). */
#ifndef MESHCAD_H
#define MESHCAD_H

#define MESHCA_VERSION "0.1.0"

int cmd_serve(int argc, char **argv);   /* serve.c */
int cmd_migrate(int argc, char **argv); /* migrate.c */
int cmd_check(int argc, char **argv);   /* check.c */
int cmd_keygen(int argc, char **argv);  /* keygen.c */
int cmd_ledger(int argc, char **argv);  /* migrate.c */

#endif
