/* Loading configured CA keys from files and tokens.  See cakeysrc.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cakeyfile.h"
#include "cakeysrc.h"
#include "meshca/key.h"
#include "meshcad_err.h"
#include "pkcs11.h"

int
cakeysrc_load(const struct ca_key_config *e, size_t nsessions,
    struct cakey **keyp, char *why, size_t whylen)
{
    struct cakey *k = NULL;
    char *fp = NULL;
    int r;

    *keyp = NULL;
    if (e->pkcs11 != NULL) {
        if (pkcs11_key_load(e->pkcs11, nsessions, &k, why, whylen) != 0)
            return -1;
    } else {
        errno = 0;
        if ((r = cakeyfile_load(e->path, &k)) != 0) {
            snprintf(why, whylen, "%s: %s", e->path, r == MESHCA_ERR_SYSTEM ?
                strerror(errno) : meshcad_strerror(r));
            return -1;
        }
    }
    if (e->fingerprint != NULL) {
        if (meshca_key_fingerprint(cakey_public(k), &fp) != 0) {
            snprintf(why, whylen, "out of memory");
            cakey_free(k);
            return -1;
        }
        if (strcmp(fp, e->fingerprint) != 0) {
            snprintf(why, whylen, "the key found is %s, not the expected %s "
                "(a different key in the token or file?)", fp,
                e->fingerprint);
            free(fp);
            cakey_free(k);
            return -1;
        }
        free(fp);
    }
    *keyp = k;
    return 0;
}

static enum cakey_state
state_of(enum ca_key_state s)
{
    return s == CA_KEY_ACTIVE ? CAKEY_ACTIVE : s == CA_KEY_NEXT ? CAKEY_NEXT
                                                                : CAKEY_RETIRED;
}

/* Builds use's set from the loaded keys[] of its entries, taking them
 * over (the entries taken are set NULL).  Returns 0 and *setp (NULL for
 * no host key), or -1 with the reason in why. */
static int
build_set(const struct config *cfg, struct cakey **keys, enum ca_key_use use,
    struct cakey_set **setp, char *why, size_t whylen)
{
    struct cakeyfile_keys kl = { 0 };
    size_t i;
    int r;

    *setp = NULL;
    if (cakeyfile_keys_init(&kl, cfg->nca_keys + 1) != 0) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    for (i = 0; i < cfg->nca_keys; i++) {
        if (cfg->ca_keys[i].use != use)
            continue;
        kl.states[kl.n] = state_of(cfg->ca_keys[i].state);
        kl.keys[kl.n++] = keys[i];
        keys[i] = NULL;
    }
    r = 0;
    if ((kl.n > 0 || use == CA_KEY_USE_USER) &&
        (r = cakeyfile_keys_to_set(&kl, setp)) != 0)
        snprintf(why, whylen, "ca_keys%s: %s", use == CA_KEY_USE_HOST ?
            " (\"use\": \"host\")" : "", meshcad_strerror(r));
    cakeyfile_keys_clear(&kl);
    return r == 0 ? 0 : -1;
}

/* No key may be named twice: not twice in a set, not in both sets (a user
 * CA key that also signs host certificates, issue #16).  Returns 0, or -1
 * with the two entries in why. */
static int
refuse_repeats(const struct config *cfg, struct cakey *const *keys,
    char *why, size_t whylen)
{
    size_t i, j;

    for (i = 0; i < cfg->nca_keys; i++)
        for (j = 0; j < i; j++) {
            if (!meshca_key_equal(cakey_public(keys[i]),
                cakey_public(keys[j])))
                continue;
            if (cfg->ca_keys[i].use == cfg->ca_keys[j].use)
                snprintf(why, whylen, "ca_keys[%zu]: the key of ca_keys[%zu] "
                    "is listed twice: name each key once", i, j);
            else
                snprintf(why, whylen, "ca_keys[%zu]: the key of ca_keys[%zu] "
                    "is configured for both \"use\": \"user\" and \"use\": "
                    "\"host\": give hosts their own key (meshcad keygen)", i,
                    j);
            return -1;
        }
    return 0;
}

int
cakeysrc_load_sets(const struct config *cfg, size_t nsessions,
    struct cakey_set **userp, struct cakey_set **hostp, char *why,
    size_t whylen)
{
    struct cakey **keys = NULL;
    char one[768];
    size_t i;
    int r = -1;

    *userp = *hostp = NULL;
    if ((keys = calloc(cfg->nca_keys + 1, sizeof(*keys))) == NULL) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    for (i = 0; i < cfg->nca_keys; i++)
        if (cakeysrc_load(&cfg->ca_keys[i], nsessions, &keys[i], one,
            sizeof(one)) != 0) {
            snprintf(why, whylen, "ca_keys[%zu]: %s", i, one);
            goto out;
        }
    if (refuse_repeats(cfg, keys, why, whylen) != 0 ||
        build_set(cfg, keys, CA_KEY_USE_USER, userp, why, whylen) != 0 ||
        build_set(cfg, keys, CA_KEY_USE_HOST, hostp, why, whylen) != 0)
        goto out;
    r = 0;
out:
    if (r != 0) {
        cakey_set_free(*userp);
        *userp = NULL;
    }
    for (i = 0; i < cfg->nca_keys; i++)
        cakey_free(keys[i]);
    free(keys);
    return r;
}
