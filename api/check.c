/* XXX placeholder until the owning module lands; replaced, not extended. */
#include <stdio.h>

#include "meshcad.h"

int
cmd_check(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "meshcad check: not built yet\n");
    return 2;
}
