/* struct claims lifetime, see meshca/claims.h. */
#include <stdlib.h>

#include "meshca/claims.h"
#include "meshca/jsonv.h"

void
claims_free(struct claims *c)
{
    if (c == NULL)
        return;
    free(c->iss);
    free(c->sub);
    free(c->email);
    jsonv_strv_free(c->groups, c->ngroups);
    free(c->name);
    free(c->jti);
    free(c->nonce);
    free(c->azp);
    free(c->spiffe_id);
    json_decref(c->raw);
    free(c);
}
