/* struct claims lifetime, see meshca/claims.h. */
#include <stdlib.h>

#include "meshca/claims.h"

void
claims_free(struct claims *c)
{
    size_t i;

    if (c == NULL)
        return;
    free(c->iss);
    free(c->sub);
    free(c->email);
    for (i = 0; i < c->ngroups; i++)
        free(c->groups[i]);
    free(c->groups);
    free(c->name);
    free(c->jti);
    free(c->nonce);
    free(c->azp);
    json_decref(c->raw);
    free(c);
}
