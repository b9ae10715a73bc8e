/* CA keys in a PKCS#11 token: the signer, its session pool and
 * reconnection.  See pkcs11.h. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "meshca/clock.h"
#include "meshca/key.h"
#include "pkcs11.h"
#include "pkcs11_int.h"

/* How long a key that cannot reconnect waits before trying again. */
#define RETRY_MS 1000

struct p11key {
    struct p11mod *m;
    struct pkcs11_config *cfg;
    char *pin;                  /* kept to log in again after a reconnect */
    struct meshca_key *expect;  /* the public key seen at load */
    CK_MECHANISM_TYPE mech;
    size_t maxsess;
    pthread_mutex_t lock;       /* guards everything below */
    pthread_cond_t cond;        /* a session came back, or the key went down */
    int up;
    unsigned epoch;             /* sessions of an older epoch are dropped */
    unsigned modgen;            /* m->gen when connected */
    CK_SLOT_ID slot;
    CK_OBJECT_HANDLE priv;
    CK_SESSION_HANDLE *idle;
    size_t nidle, nopen;
    int64_t next_try;           /* monotonic ms */
    char why[256];
};

/* Monotonic milliseconds, the clock of next_try. */
static int64_t
now_ms(void)
{
    return meshca_mono_us() / 1000;
}

/* Closes a session unless the module was re-initialised since it was
 * opened (then its handle is void and may name someone else's session). */
static void
close_session(struct p11key *k, CK_SESSION_HANDLE s, unsigned modgen)
{
    pthread_rwlock_rdlock(&k->m->rw);
    if (k->m->gen == modgen)
        k->m->f->C_CloseSession(s);
    pthread_rwlock_unlock(&k->m->rw);
}

/* Marks k down with the reason; drops its idle sessions.  Holds k->lock. */
static void
mark_down(struct p11key *k, const char *what, CK_RV rv)
{
    char rb[48];

    while (k->nidle > 0)
        close_session(k, k->idle[--k->nidle], k->modgen);
    if (k->up)
        k->next_try = 0; /* the next request tries to reconnect at once */
    k->up = 0;
    k->epoch++;
    k->nopen = 0;
    snprintf(k->why, sizeof(k->why), "PKCS#11 token \"%s\", key \"%s\": "
        "%s: %s", k->cfg->token, k->cfg->label, what,
        p11_rv_name(rv, rb, sizeof(rb)));
    pthread_cond_broadcast(&k->cond);
}

/* Finds the token, logs in, finds the key pair; checks it is k->expect (or
 * sets k->expect on the first connection).  Holds k->lock; takes m->rw. */
static int
connect_key(struct p11key *k, CK_KEY_TYPE *ktp)
{
    struct p11mod *m = k->m;
    struct meshca_key *pub = NULL;
    CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
    CK_OBJECT_HANDLE pobj;
    unsigned gen;
    const char *what = "finding the token";
    char why[200];
    int n = 0, r = -1, down = 0;
    CK_RV rv;

    pthread_rwlock_rdlock(&m->rw);
    gen = m->gen;
    if ((rv = p11_find_token(m, k->cfg->token, &k->slot)) != CKR_OK) {
        /* The module may only see tokens again after C_Initialize. */
        pthread_rwlock_unlock(&m->rw);
        rv = p11mod_reinit(m, gen);
        pthread_rwlock_rdlock(&m->rw);
        gen = m->gen;
        if (rv != CKR_OK)
            what = "re-initialising the PKCS#11 module (C_Initialize)";
        else
            rv = p11_find_token(m, k->cfg->token, &k->slot);
    }
    if (rv != CKR_OK)
        goto out;
    what = "logging in";
    if ((rv = p11_open_login(m, k->slot, k->pin, 0, &s)) != CKR_OK)
        goto out;
    what = "finding the private key";
    if ((rv = p11_find_object(m, s, CKO_PRIVATE_KEY, k->cfg->label,
        &k->priv, &n)) != CKR_OK)
        goto out;
    what = "finding the public key";
    if ((rv = p11_find_object(m, s, CKO_PUBLIC_KEY, k->cfg->label, &pobj,
        &n)) != CKR_OK)
        goto out;
    if (p11_public_key(m, s, pobj, &pub, ktp, why, sizeof(why)) != 0) {
        snprintf(k->why, sizeof(k->why), "PKCS#11 key \"%s\": %s",
            k->cfg->label, why);
        goto done;
    }
    if (k->expect != NULL && !meshca_key_equal(k->expect, pub)) {
        snprintf(k->why, sizeof(k->why), "PKCS#11 token \"%s\" now holds "
            "another key labelled \"%s\" than the one loaded; refusing to "
            "sign with it", k->cfg->token, k->cfg->label);
        goto done;
    }
    if (k->expect == NULL) {
        k->expect = pub;
        pub = NULL;
    }
    k->idle[k->nidle++] = s;
    s = CK_INVALID_HANDLE;
    k->nopen = 1;
    k->modgen = gen;
    k->up = 1;
    k->why[0] = '\0';
    r = 0;
    goto done;
out:
    down = 1;
done:
    if (s != CK_INVALID_HANDLE)
        m->f->C_CloseSession(s);
    pthread_rwlock_unlock(&m->rw);
    meshca_key_free(pub);
    if (down) { /* after the unlock: mark_down takes m->rw itself */
        mark_down(k, what, rv);
        if (n > 1 && rv == CKR_GENERAL_ERROR)
            snprintf(k->why, sizeof(k->why), "PKCS#11 token \"%s\" holds "
                "more than one key labelled \"%s\"", k->cfg->token,
                k->cfg->label);
    }
    if (r != 0) {
        k->up = 0;
        k->next_try = now_ms() + RETRY_MS;
    }
    return r;
}

/* Takes a session for signing: 0 with *sp, *epochp, *genp and the key's
 * handle *privp, or MESHCA_ERR_CAKEY_UNAVAILABLE.  Holds k->lock. */
static int
checkout(struct p11key *k, CK_SESSION_HANDLE *sp, unsigned *epochp,
    unsigned *genp, CK_OBJECT_HANDLE *privp)
{
    CK_KEY_TYPE kt;
    CK_RV rv;

    for (;;) {
        if (!k->up && (now_ms() < k->next_try || connect_key(k, &kt) != 0))
            return MESHCA_ERR_CAKEY_UNAVAILABLE;
        if (k->nidle > 0) {
            *sp = k->idle[--k->nidle];
            break;
        }
        if (k->nopen < k->maxsess) {
            pthread_rwlock_rdlock(&k->m->rw);
            rv = k->m->gen != k->modgen ? CKR_SESSION_HANDLE_INVALID :
                k->m->f->C_OpenSession(k->slot, CKF_SERIAL_SESSION, NULL,
                    NULL, sp);
            pthread_rwlock_unlock(&k->m->rw);
            if (rv != CKR_OK) {
                mark_down(k, "opening a session", rv);
                continue;
            }
            k->nopen++;
            break;
        }
        pthread_cond_wait(&k->cond, &k->lock);
    }
    *epochp = k->epoch;
    *genp = k->modgen;
    *privp = k->priv;
    return 0;
}

/* One C_SignInit + C_Sign on session s. */
static CK_RV
sign_once(struct p11key *k, CK_SESSION_HANDLE s, unsigned gen,
    CK_OBJECT_HANDLE priv, const uint8_t *tbs, size_t tbslen, uint8_t *sig,
    size_t *siglenp)
{
    CK_MECHANISM mech = { k->mech, NULL, 0 };
    CK_ULONG sl = (CK_ULONG)*siglenp;
    CK_RV rv;

    pthread_rwlock_rdlock(&k->m->rw);
    if (k->m->gen != gen)
        rv = CKR_CRYPTOKI_NOT_INITIALIZED; /* re-initialised meanwhile */
    else if ((rv = k->m->f->C_SignInit(s, &mech, priv)) == CKR_OK)
        rv = k->m->f->C_Sign(s, (CK_BYTE_PTR)tbs, (CK_ULONG)tbslen, sig, &sl);
    pthread_rwlock_unlock(&k->m->rw);
    *siglenp = (size_t)sl;
    return rv;
}

/* struct cakey_signer.sign: one retry after a reconnection, so a session
 * lost while the token stayed present costs no request. */
static int
p11_sign(void *ctx, const uint8_t *tbs, size_t tbslen, uint8_t *sig,
    size_t *siglenp)
{
    struct p11key *k = ctx;
    CK_SESSION_HANDLE s;
    CK_OBJECT_HANDLE priv;
    size_t cap = *siglenp;
    unsigned epoch, gen;
    int attempt, r = MESHCA_ERR_CAKEY_UNAVAILABLE;
    CK_RV rv;

    for (attempt = 0; attempt < 2; attempt++) {
        pthread_mutex_lock(&k->lock);
        if (checkout(k, &s, &epoch, &gen, &priv) != 0) {
            pthread_mutex_unlock(&k->lock);
            return MESHCA_ERR_CAKEY_UNAVAILABLE;
        }
        pthread_mutex_unlock(&k->lock);
        *siglenp = cap;
        rv = sign_once(k, s, gen, priv, tbs, tbslen, sig, siglenp);
        pthread_mutex_lock(&k->lock);
        if (epoch != k->epoch)
            close_session(k, s, gen); /* from before a reconnection */
        else if (rv == CKR_OK)
            k->idle[k->nidle++] = s;
        else {
            close_session(k, s, gen);
            mark_down(k, "signing", rv);
        }
        pthread_cond_signal(&k->cond);
        pthread_mutex_unlock(&k->lock);
        if (rv == CKR_OK) {
            r = 0;
            break;
        }
    }
    return r;
}

/* struct cakey_signer.status: probes the token (a cheap C_GetTokenInfo)
 * and reconnects a key that is down (at most once a RETRY_MS). */
static int
p11_status(void *ctx, char *why, size_t whylen)
{
    struct p11key *k = ctx;
    CK_TOKEN_INFO ti;
    CK_KEY_TYPE kt;
    CK_RV rv = CKR_OK;
    int r = 0;

    pthread_mutex_lock(&k->lock);
    if (k->up) {
        pthread_rwlock_rdlock(&k->m->rw);
        if (k->m->gen != k->modgen)
            rv = CKR_CRYPTOKI_NOT_INITIALIZED;
        else
            rv = k->m->f->C_GetTokenInfo(k->slot, &ti);
        pthread_rwlock_unlock(&k->m->rw);
        if (rv != CKR_OK)
            mark_down(k, "checking the token", rv);
    }
    if (!k->up && (now_ms() < k->next_try || connect_key(k, &kt) != 0)) {
        snprintf(why, whylen, "%s", k->why);
        r = MESHCA_ERR_CAKEY_UNAVAILABLE;
    }
    pthread_mutex_unlock(&k->lock);
    return r;
}

static void
p11key_free(void *ctx)
{
    struct p11key *k = ctx;

    if (k == NULL)
        return;
    if (k->m != NULL) {
        while (k->nidle > 0)
            close_session(k, k->idle[--k->nidle], k->modgen);
        p11mod_put(k->m);
    }
    pthread_mutex_destroy(&k->lock);
    pthread_cond_destroy(&k->cond);
    pkcs11conf_pin_free(k->pin);
    pkcs11conf_free(k->cfg);
    meshca_key_free(k->expect);
    free(k->idle);
    free(k);
}

static CK_MECHANISM_TYPE
mechanism_for(CK_KEY_TYPE kt)
{
    return kt == CKK_EC_EDWARDS ? CKM_EDDSA : kt == CKK_EC ? CKM_ECDSA :
        CKM_RSA_PKCS;
}

/* Signs and verifies a fixed text: the token's private and public keys
 * belong together, and the mechanism works. */
static int
self_test(const struct cakey *ck, char *why, size_t whylen)
{
    static const char msg[] = "meshca PKCS#11 self-test";
    struct meshca_buf *b = meshca_buf_new(4096);
    int r;

    if (b == NULL)
        return -1;
    if ((r = cakey_sign(ck, msg, sizeof(msg) - 1, b)) != 0 ||
        (r = cakey_verify(cakey_public(ck), meshca_buf_ptr(b),
            meshca_buf_len(b), msg, sizeof(msg) - 1)) != 0)
        snprintf(why, whylen, "the token's key does not sign verifiably "
            "with its public key: %s", meshca_strerror(r));
    meshca_buf_free(b);
    return r == 0 ? 0 : -1;
}

int
pkcs11_key_load(const struct pkcs11_config *c, size_t nsessions,
    struct cakey **keyp, char *why, size_t whylen)
{
    struct cakey_signer sg;
    struct p11key *k = NULL;
    struct meshca_key *pub = NULL;
    CK_KEY_TYPE kt = 0;
    int r = -1;

    *keyp = NULL;
    if ((k = calloc(1, sizeof(*k))) == NULL ||
        (k->cfg = pkcs11conf_dup(c)) == NULL ||
        (k->idle = calloc(nsessions + 1, sizeof(*k->idle))) == NULL) {
        snprintf(why, whylen, "out of memory");
        goto out;
    }
    pthread_mutex_init(&k->lock, NULL);
    pthread_cond_init(&k->cond, NULL);
    k->maxsess = nsessions + 1;
    if (pkcs11conf_read_pin(c, &k->pin, why, whylen) != 0 ||
        p11mod_get(c->module, &k->m, why, whylen) != 0)
        goto out;
    pthread_mutex_lock(&k->lock);
    r = connect_key(k, &kt);
    if (r != 0)
        snprintf(why, whylen, "%s", k->why);
    pthread_mutex_unlock(&k->lock);
    if (r == 0) {
        const uint8_t *blob;
        size_t bloblen;

        blob = meshca_key_blob(k->expect, &bloblen);
        if (meshca_key_from_blob(blob, bloblen, &pub) != 0) {
            snprintf(why, whylen, "out of memory");
            r = -1;
        }
    }
    if (r != 0)
        goto out;
    k->mech = mechanism_for(kt);
    memset(&sg, 0, sizeof(sg));
    sg.sign = p11_sign;
    sg.status = p11_status;
    sg.free = p11key_free;
    sg.ctx = k;
    if (cakey_from_signer(pub, &sg, keyp) != 0) {
        snprintf(why, whylen, "unsupported key in the token");
        r = -1;
        goto out;
    }
    pub = NULL;
    k = NULL; /* owned by *keyp */
    if ((r = self_test(*keyp, why, whylen)) != 0) {
        cakey_free(*keyp);
        *keyp = NULL;
    }
out:
    meshca_key_free(pub);
    p11key_free(k);
    return r;
}
