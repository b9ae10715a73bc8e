/* XXX placeholder until the owning module lands; replaced, not extended. */
#include <stdio.h>

#include "meshcad.h"

int
cmd_serve(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "meshcad serve: not built yet\n");
    return 2;
}
