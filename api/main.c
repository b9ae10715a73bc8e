/* meshcad: the certificate authority service.  Dispatches subcommands. */
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "meshcad.h"

static void
usage(FILE *f)
{
    fprintf(f,
        "usage: meshcad [serve] --config FILE     run the service\n"
        "       meshcad migrate --config FILE     apply database migrations\n"
        "       meshcad check --config FILE       validate config and policy\n"
        "       meshcad keygen [--type T] --out FILE  create a CA key\n"
        "       meshcad keygen [--type T] --pkcs11 URI [--pin-file FILE]\n"
        "                                     create a CA key in a PKCS#11 token\n"
        "       meshcad ledger verify --config FILE   verify the transparency log\n"
        "       meshcad log vkey --config FILE    print the checkpoint verifier key\n"
        "       meshcad --version\n");
}

int
main(int argc, char **argv)
{
    struct rlimit rl = { 0, 0 };
    const char *cmd;

    /* CA keys and ID tokens live in this process: no core dumps. */
    (void)setrlimit(RLIMIT_CORE, &rl);
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    cmd = argv[1];
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("meshcad %s\n", MESHCA_VERSION);
        return 0;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
        strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (cmd[0] == '-')
        return cmd_serve(argc, argv);
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(argc - 1, argv + 1);
    if (strcmp(cmd, "migrate") == 0)
        return cmd_migrate(argc - 1, argv + 1);
    if (strcmp(cmd, "check") == 0)
        return cmd_check(argc - 1, argv + 1);
    if (strcmp(cmd, "keygen") == 0)
        return cmd_keygen(argc - 1, argv + 1);
    if (strcmp(cmd, "ledger") == 0)
        return cmd_ledger(argc - 1, argv + 1);
    if (strcmp(cmd, "log") == 0)
        return cmd_log(argc - 1, argv + 1);
    fprintf(stderr, "meshcad: unknown command \"%s\"\n", cmd);
    usage(stderr);
    return 2;
}
