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

/* The subcommands: "meshcad NAME ARGS..." runs fn with NAME as argv[0]. */
static const struct {
    const char *name;
    int (*fn)(int, char **);
} commands[] = {
    { "serve", cmd_serve },
    { "migrate", cmd_migrate },
    { "check", cmd_check },
    { "keygen", cmd_keygen },
    { "ledger", cmd_ledger },
    { "log", cmd_log },
};

int
main(int argc, char **argv)
{
    struct rlimit rl = { 0, 0 };
    const char *cmd;
    size_t i;

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
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "meshcad: unknown command \"%s\"\n", cmd);
    usage(stderr);
    return 2;
}
