/* meshca: the client.  Dispatches subcommands. */
#include <stdio.h>
#include <string.h>

#define MESHCA_VERSION "0.1.0"

static void
usage(FILE *f)
{
    fprintf(f, "usage: meshca COMMAND [options]   (meshca --help)\n");
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("meshca %s\n", MESHCA_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "meshca: unknown command \"%s\"\n", argv[1]);
    usage(stderr);
    return 2;
}
