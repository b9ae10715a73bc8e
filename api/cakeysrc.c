/* Loading configured CA keys from files and tokens.  See cakeysrc.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cakeyfile.h"
#include "cakeysrc.h"
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

int
cakeysrc_load_set(const struct config *cfg, enum ca_key_use use,
    size_t nsessions, struct cakey_set **setp, char *why, size_t whylen)
{
    struct cakeyfile_keys kl = { 0 };
    char one[768];
    size_t i;
    int r = -1;

    *setp = NULL;
    if (cakeyfile_keys_init(&kl, cfg->nca_keys + 1) != 0) {
        snprintf(why, whylen, "out of memory");
        goto out;
    }
    for (i = 0; i < cfg->nca_keys; i++) {
        if (cfg->ca_keys[i].use != use)
            continue;
        kl.states[kl.n] = state_of(cfg->ca_keys[i].state);
        if (cakeysrc_load(&cfg->ca_keys[i], nsessions, &kl.keys[kl.n], one,
            sizeof(one)) != 0) {
            snprintf(why, whylen, "ca_keys[%zu]: %s", i, one);
            goto out;
        }
        kl.n++;
    }
    if (kl.n == 0 && use == CA_KEY_USE_HOST) {
        r = 0;      /* no host CA: *setp stays NULL */
        goto out;
    }
    if ((r = cakeyfile_keys_to_set(&kl, setp)) != 0) {
        snprintf(why, whylen, "ca_keys%s: %s", use == CA_KEY_USE_HOST ?
            " (\"use\": \"host\")" : "", meshcad_strerror(r));
        r = -1;
        goto out;
    }
    r = 0;
out:
    cakeyfile_keys_clear(&kl);
    return r;
}
