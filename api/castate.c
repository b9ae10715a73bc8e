/* The served CA key set and its swap.  See castate.h. */
#include <stdlib.h>

#include "castate.h"
#include "meshca/key.h"
#include "server.h"

int
castate_new(struct cakey_set *set, char *config_body, struct castate **csp)
{
    struct castate *cs;
    const struct meshca_key *pub = cakey_public(cakey_set_active(set));

    *csp = NULL;
    if ((cs = calloc(1, sizeof(*cs))) == NULL)
        return MESHCA_ERR_ALLOC;
    if (cakey_set_trusted_text(set, &cs->trusted_text) != 0 ||
        meshca_key_to_line(pub, NULL, &cs->active_line) != 0 ||
        meshca_key_fingerprint(pub, &cs->active_fp) != 0) {
        free(cs->trusted_text);
        free(cs->active_line);
        free(cs->active_fp);
        free(cs);
        return MESHCA_ERR_ALLOC;
    }
    atomic_init(&cs->refs, 1);
    cs->set = set;
    cs->config_body = config_body;
    *csp = cs;
    return 0;
}

int
castate_set_host(struct castate *cs, struct cakey_set *host)
{
    size_t i;

    for (i = 0; i < cakey_set_count(host); i++)
        if (cakey_set_contains(cs->set,
            cakey_public(cakey_set_get(host, i, NULL))))
            return MESHCA_ERR_CAKEY_DUPLICATE;
    if (cakey_set_trusted_text(host, &cs->host_trusted_text) != 0)
        return MESHCA_ERR_ALLOC;
    cs->host_set = host;
    return 0;
}

void
castate_unref(struct castate *cs)
{
    if (cs == NULL || atomic_fetch_sub(&cs->refs, 1) != 1)
        return;
    cakey_set_free(cs->set);
    cakey_set_free(cs->host_set);
    free(cs->host_trusted_text);
    free(cs->trusted_text);
    free(cs->active_line);
    free(cs->active_fp);
    free(cs->config_body);
    free(cs);
}

struct castate *
server_ca(struct server *srv)
{
    struct castate *cs;

    pthread_mutex_lock(&srv->ca_lock);
    if ((cs = srv->ca) != NULL)
        atomic_fetch_add(&cs->refs, 1);
    pthread_mutex_unlock(&srv->ca_lock);
    return cs;
}

void
server_set_ca(struct server *srv, struct castate *cs)
{
    struct castate *old;

    pthread_mutex_lock(&srv->ca_lock);
    old = srv->ca;
    srv->ca = cs;
    pthread_mutex_unlock(&srv->ca_lock);
    castate_unref(old);
}
