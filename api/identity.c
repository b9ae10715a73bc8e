/* OpenID Connect ID-token verification.  See identity.h. */
#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include "meshca/url.h"
#include "identity.h"
#include "log.h"
#include "metrics.h"

#define FETCH_MAX_BYTES (1024 * 1024)
#define FETCH_TIMEOUT_S 5L

enum key_family { FAM_RSA = 1, FAM_EC256, FAM_EC384 };

struct jwk {
    char *kid;             /* NULL when the key has none */
    char *alg;             /* NULL when the key does not pin one */
    enum key_family fam;
    EVP_PKEY *pkey;
};

/* An immutable, reference-counted set of parsed keys. */
struct keyset {
    atomic_int refs;
    struct jwk *keys;
    size_t n;
    int64_t fetched_at;    /* epoch seconds */
};

struct issuer {
    const struct issuer_config *cfg;
    pthread_mutex_t lock;        /* guards keys, jwks_uri, times */
    pthread_mutex_t fetch_lock;  /* one fetch at a time */
    struct keyset *keys;
    char *jwks_uri;              /* resolved (config or discovery) */
    int64_t refresh_after;       /* epoch: scheduled refresh */
    int64_t last_attempt;        /* epoch: last fetch attempt */
    char last_error[256];
    _Atomic uint64_t refreshes, failures;
};

struct identity {
    struct issuer *issuers;
    size_t n;
};

static void
keyset_unref(struct keyset *ks)
{
    size_t i;

    if (ks == NULL || atomic_fetch_sub(&ks->refs, 1) != 1)
        return;
    for (i = 0; i < ks->n; i++) {
        free(ks->keys[i].kid);
        free(ks->keys[i].alg);
        EVP_PKEY_free(ks->keys[i].pkey);
    }
    free(ks->keys);
    free(ks);
}

/* JWK parsing */

static BIGNUM *
b64url_bn(const json_t *v)
{
    uint8_t *d = NULL;
    size_t len = 0;
    BIGNUM *bn;

    if (!json_is_string(v) ||
        meshca_b64_decode(json_string_value(v), json_string_length(v), 1, &d,
            &len) != 0 || len == 0)
        return NULL;
    bn = BN_bin2bn(d, (int)len, NULL);
    free(d);
    return bn;
}

static EVP_PKEY *
rsa_from_jwk(const json_t *k)
{
    BIGNUM *n = b64url_bn(json_object_get(k, "n"));
    BIGNUM *e = b64url_bn(json_object_get(k, "e"));
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *pkey = NULL;

    if (n == NULL || e == NULL || BN_num_bits(n) < 2048 ||
        BN_num_bits(n) > 16384 || !BN_is_odd(e) || BN_get_word(e) < 3)
        goto out;
    if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
        (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
        (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
        EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
        pkey = NULL;
out:
    BN_free(n);
    BN_free(e);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

static EVP_PKEY *
ec_from_jwk(const json_t *k, enum key_family *famp)
{
    const char *crv = json_string_value(json_object_get(k, "crv"));
    const json_t *xv = json_object_get(k, "x"), *yv = json_object_get(k, "y");
    uint8_t *x = NULL, *y = NULL, point[1 + 2 * 48];
    size_t xl = 0, yl = 0, fl;
    const char *group;
    OSSL_PARAM params[3];
    EVP_PKEY_CTX *ctx = NULL, *chk = NULL;
    EVP_PKEY *pkey = NULL;

    if (crv == NULL)
        return NULL;
    if (strcmp(crv, "P-256") == 0) {
        group = "P-256";
        fl = 32;
        *famp = FAM_EC256;
    } else if (strcmp(crv, "P-384") == 0) {
        group = "P-384";
        fl = 48;
        *famp = FAM_EC384;
    } else
        return NULL;
    if (!json_is_string(xv) || !json_is_string(yv) ||
        meshca_b64_decode(json_string_value(xv), json_string_length(xv), 1,
            &x, &xl) != 0 ||
        meshca_b64_decode(json_string_value(yv), json_string_length(yv), 1,
            &y, &yl) != 0 || xl != fl || yl != fl)
        goto out;
    point[0] = 0x04;
    memcpy(point + 1, x, fl);
    memcpy(point + 1 + fl, y, fl);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
        (char *)group, 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
        point, 1 + 2 * fl);
    params[2] = OSSL_PARAM_construct_end();
    if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
        EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        pkey = NULL;
        goto out;
    }
    /* The point must be on the curve. */
    if ((chk = EVP_PKEY_CTX_new(pkey, NULL)) == NULL ||
        EVP_PKEY_public_check(chk) != 1) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
out:
    free(x);
    free(y);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_CTX_free(chk);
    return pkey;
}

/* Parses a JWKS document.  Unusable keys (oct, use != sig, weak, malformed)
 * are skipped and logged.  Returns NULL when the document is not a JWKS. */
static struct keyset *
keyset_parse(const char *issuer, const char *data, size_t len, int64_t now)
{
    json_t *doc, *keys, *k;
    struct keyset *ks = NULL;
    size_t i;

    if ((doc = json_loadb(data, len, 0, NULL)) == NULL ||
        !json_is_array(keys = json_object_get(doc, "keys")))
        goto out;
    if ((ks = calloc(1, sizeof(*ks))) == NULL ||
        (ks->keys = calloc(json_array_size(keys) + 1, sizeof(*ks->keys))) ==
        NULL) {
        free(ks);
        ks = NULL;
        goto out;
    }
    atomic_init(&ks->refs, 1);
    ks->fetched_at = now;
    json_array_foreach(keys, i, k) {
        const char *kty = json_string_value(json_object_get(k, "kty"));
        const char *use = json_string_value(json_object_get(k, "use"));
        const char *kid = json_string_value(json_object_get(k, "kid"));
        const char *alg = json_string_value(json_object_get(k, "alg"));
        struct jwk *j = &ks->keys[ks->n];
        const char *skip = NULL;

        if (kty == NULL)
            skip = "no kty";
        else if (strcmp(kty, "oct") == 0)
            skip = "symmetric (oct) keys are never accepted";
        else if (json_object_get(k, "use") != NULL &&
            (use == NULL || strcmp(use, "sig") != 0))
            skip = "use is not \"sig\"";
        else if (strcmp(kty, "RSA") == 0) {
            j->fam = FAM_RSA;
            if ((j->pkey = rsa_from_jwk(k)) == NULL)
                skip = "invalid or weak RSA key (at least 2048 bits)";
        } else if (strcmp(kty, "EC") == 0) {
            if ((j->pkey = ec_from_jwk(k, &j->fam)) == NULL)
                skip = "invalid EC key (P-256 or P-384 point on the curve)";
        } else
            skip = "unsupported kty";
        if (skip != NULL) {
            log_json(LOG_LEVEL_WARN, "ignoring a key in the issuer's key set",
                json_pack("{s:s, s:s?, s:s}", "issuer", issuer, "kid", kid,
                    "why", skip));
            continue;
        }
        j->kid = kid ? strdup(kid) : NULL;
        j->alg = alg ? strdup(alg) : NULL;
        ks->n++;
    }
out:
    json_decref(doc);
    return ks;
}

/* Fetching */

struct fetch {
    struct buf *body;
    int64_t max_age;       /* from Cache-Control, -1 when absent */
    int too_big;
};

static size_t
fetch_write(char *p, size_t sz, size_t n, void *arg)
{
    struct fetch *f = arg;

    if (buf_put(f->body, p, sz * n) != 0) {
        f->too_big = 1;
        return 0;
    }
    return sz * n;
}

static size_t
fetch_header(char *p, size_t sz, size_t n, void *arg)
{
    struct fetch *f = arg;
    size_t len = sz * n;
    char line[512], *ma;

    if (len < sizeof(line) && strncasecmp(p, "cache-control:", 14) == 0) {
        memcpy(line, p, len);
        line[len] = '\0';
        if ((ma = strstr(line, "max-age=")) != NULL)
            f->max_age = strtoll(ma + 8, NULL, 10);
    }
    return len;
}

static int
fetch_url(const struct issuer *is, const char *url, struct fetch *f,
    char *why, size_t whylen)
{
    CURL *c;
    CURLcode cr;
    long status = 0;

    f->max_age = -1;
    f->too_big = 0;
    if (strncmp(url, "https://", 8) != 0 && !url_is_loopback_http(url)) {
        snprintf(why, whylen, "refusing to fetch %s: https required", url);
        return -1;
    }
    if ((f->body = buf_new(FETCH_MAX_BYTES)) == NULL ||
        (c = curl_easy_init()) == NULL) {
        snprintf(why, whylen, "out of memory");
        buf_free(f->body);
        f->body = NULL;
        return -1;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, FETCH_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 3L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE, (long)FETCH_MAX_BYTES);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fetch_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, fetch_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, f);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "meshcad");
    if (is->cfg->ca_file != NULL)
        curl_easy_setopt(c, CURLOPT_CAINFO, is->cfg->ca_file);
    cr = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    if (cr != CURLE_OK || status != 200) {
        snprintf(why, whylen, "fetching %s failed: %s", url,
            f->too_big ? "response larger than 1 MiB" :
            cr != CURLE_OK ? curl_easy_strerror(cr) : "HTTP status not 200");
        buf_free(f->body);
        f->body = NULL;
        return -1;
    }
    return 0;
}

/* Fetches the issuer's key set (discovering jwks_uri first when needed) and
 * installs it.  Called with fetch_lock held. */
static int
refresh_keys(struct issuer *is, int64_t now)
{
    struct fetch f;
    struct keyset *ks, *old;
    char why[256], *uri = NULL;
    json_t *doc = NULL;
    int64_t ttl;

    pthread_mutex_lock(&is->lock);
    is->last_attempt = now;
    if (is->jwks_uri != NULL)
        uri = strdup(is->jwks_uri);
    pthread_mutex_unlock(&is->lock);
    if (uri == NULL) {
        char disc[1024];
        const char *iss, *ju;

        snprintf(disc, sizeof(disc), "%s%s.well-known/openid-configuration",
            is->cfg->issuer,
            is->cfg->issuer[strlen(is->cfg->issuer) - 1] == '/' ? "" : "/");
        if (fetch_url(is, disc, &f, why, sizeof(why)) != 0)
            goto fail;
        doc = json_loadb((const char *)buf_ptr(f.body), buf_len(f.body), 0,
            NULL);
        buf_free(f.body);
        iss = json_string_value(json_object_get(doc, "issuer"));
        ju = json_string_value(json_object_get(doc, "jwks_uri"));
        if (iss == NULL || strcmp(iss, is->cfg->issuer) != 0 || ju == NULL) {
            snprintf(why, sizeof(why), "the discovery document at %.150s does "
                "not name this issuer and a jwks_uri", disc);
            json_decref(doc);
            goto fail;
        }
        uri = strdup(ju);
        json_decref(doc);
        pthread_mutex_lock(&is->lock);
        if (is->jwks_uri == NULL)
            is->jwks_uri = strdup(uri);
        pthread_mutex_unlock(&is->lock);
    }
    if (fetch_url(is, uri, &f, why, sizeof(why)) != 0)
        goto fail;
    ks = keyset_parse(is->cfg->issuer, (const char *)buf_ptr(f.body),
        buf_len(f.body), now);
    buf_free(f.body);
    if (ks == NULL) {
        snprintf(why, sizeof(why), "%s is not a JWKS document", uri);
        goto fail;
    }
    ttl = f.max_age < 0 ? 3600 : f.max_age < 300 ? 300 :
        f.max_age > 86400 ? 86400 : f.max_age;
    pthread_mutex_lock(&is->lock);
    old = is->keys;
    is->keys = ks;
    is->refresh_after = now + ttl;
    is->last_error[0] = '\0';
    pthread_mutex_unlock(&is->lock);
    keyset_unref(old);
    atomic_fetch_add(&is->refreshes, 1);
    log_json(LOG_LEVEL_INFO, "issuer keys refreshed", json_pack("{s:s, s:i}",
        "issuer", is->cfg->issuer, "keys", (int)ks->n));
    free(uri);
    return 0;
fail:
    atomic_fetch_add(&is->failures, 1);
    pthread_mutex_lock(&is->lock);
    snprintf(is->last_error, sizeof(is->last_error), "%s", why);
    pthread_mutex_unlock(&is->lock);
    log_json(LOG_LEVEL_WARN, "issuer keys not refreshed", json_pack(
        "{s:s, s:s}", "issuer", is->cfg->issuer, "error", why));
    free(uri);
    return -1;
}

static struct keyset *
current_keys(struct issuer *is, int64_t now)
{
    struct keyset *ks;

    pthread_mutex_lock(&is->lock);
    ks = is->keys;
    if (ks != NULL && is->cfg->jwks_file == NULL &&
        now - ks->fetched_at > is->cfg->max_key_staleness)
        ks = NULL; /* too stale to trust */
    if (ks != NULL)
        atomic_fetch_add(&ks->refs, 1);
    pthread_mutex_unlock(&is->lock);
    return ks;
}

int
identity_new(const struct config *cfg, struct identity **idp)
{
    struct identity *id;
    size_t i;
    int64_t now = (int64_t)time(NULL);

    *idp = NULL;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if ((id = calloc(1, sizeof(*id))) == NULL ||
        (id->issuers = calloc(cfg->nissuers, sizeof(*id->issuers))) == NULL) {
        free(id);
        return MESHCA_ERR_ALLOC;
    }
    id->n = cfg->nissuers;
    for (i = 0; i < id->n; i++) {
        struct issuer *is = &id->issuers[i];

        is->cfg = &cfg->issuers[i];
        pthread_mutex_init(&is->lock, NULL);
        pthread_mutex_init(&is->fetch_lock, NULL);
        if (is->cfg->jwks_uri != NULL)
            is->jwks_uri = strdup(is->cfg->jwks_uri);
        if (is->cfg->jwks_file != NULL) {
            FILE *f = fopen(is->cfg->jwks_file, "rb");
            char *data = NULL;
            size_t len = 0;

            if (f != NULL) {
                data = calloc(1, FETCH_MAX_BYTES + 1);
                len = data ? fread(data, 1, FETCH_MAX_BYTES, f) : 0;
                fclose(f);
            }
            if (data != NULL)
                is->keys = keyset_parse(is->cfg->issuer, data, len, now);
            free(data);
            if (is->keys == NULL || is->keys->n == 0) {
                log_json(LOG_LEVEL_ERROR, "cannot use the issuer's jwks_file",
                    json_pack("{s:s, s:s}", "issuer", is->cfg->issuer,
                        "path", is->cfg->jwks_file));
                identity_free(id);
                return MESHCA_ERR_TOKEN_KEYS_UNAVAILABLE;
            }
            is->refresh_after = INT64_MAX;
        } else {
            pthread_mutex_lock(&is->fetch_lock);
            (void)refresh_keys(is, now);
            pthread_mutex_unlock(&is->fetch_lock);
        }
    }
    *idp = id;
    return 0;
}

void
identity_free(struct identity *id)
{
    size_t i;

    if (id == NULL)
        return;
    for (i = 0; i < id->n; i++) {
        keyset_unref(id->issuers[i].keys);
        free(id->issuers[i].jwks_uri);
        pthread_mutex_destroy(&id->issuers[i].lock);
        pthread_mutex_destroy(&id->issuers[i].fetch_lock);
    }
    free(id->issuers);
    free(id);
}

/* Verification */

static json_t *
decode_part(const char *s, size_t len)
{
    uint8_t *d = NULL;
    size_t dl = 0;
    json_t *j;

    if (meshca_b64_decode(s, len, 1, &d, &dl) != 0)
        return NULL;
    j = json_loadb((const char *)d, dl, JSON_REJECT_DUPLICATES, NULL);
    free(d);
    if (j != NULL && !json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

static int
alg_allowed(const struct issuer_config *ic, const char *alg)
{
    size_t i;

    for (i = 0; i < ic->nalgorithms; i++)
        if (strcmp(ic->algorithms[i], alg) == 0)
            return 1;
    return 0;
}

/* The key family and digest an algorithm needs; 0 for unsupported. */
static enum key_family
alg_family(const char *alg, const EVP_MD **mdp, int *pssp)
{
    *pssp = 0;
    if (strcmp(alg, "RS256") == 0 || strcmp(alg, "PS256") == 0) {
        *mdp = EVP_sha256();
        *pssp = alg[0] == 'P';
        return FAM_RSA;
    }
    if (strcmp(alg, "RS384") == 0 || strcmp(alg, "PS384") == 0) {
        *mdp = EVP_sha384();
        *pssp = alg[0] == 'P';
        return FAM_RSA;
    }
    if (strcmp(alg, "RS512") == 0 || strcmp(alg, "PS512") == 0) {
        *mdp = EVP_sha512();
        *pssp = alg[0] == 'P';
        return FAM_RSA;
    }
    if (strcmp(alg, "ES256") == 0) {
        *mdp = EVP_sha256();
        return FAM_EC256;
    }
    if (strcmp(alg, "ES384") == 0) {
        *mdp = EVP_sha384();
        return FAM_EC384;
    }
    return 0;
}

static int
verify_sig(const struct jwk *k, const EVP_MD *md, int pss,
    const char *input, size_t inlen, const uint8_t *sig, size_t siglen)
{
    EVP_MD_CTX *ctx = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    ECDSA_SIG *es = NULL;
    BIGNUM *r = NULL, *s = NULL;
    unsigned char *der = NULL;
    const unsigned char *vs = sig;
    size_t vlen = siglen, fl;
    int ok = 0, dl;

    if (k->fam == FAM_EC256 || k->fam == FAM_EC384) {
        /* JWS carries r||s; OpenSSL wants DER. */
        fl = k->fam == FAM_EC256 ? 32 : 48;
        if (siglen != 2 * fl || (es = ECDSA_SIG_new()) == NULL ||
            (r = BN_bin2bn(sig, (int)fl, NULL)) == NULL ||
            (s = BN_bin2bn(sig + fl, (int)fl, NULL)) == NULL ||
            ECDSA_SIG_set0(es, r, s) != 1)
            goto out;
        r = s = NULL;
        if ((dl = i2d_ECDSA_SIG(es, &der)) <= 0)
            goto out;
        vs = der;
        vlen = (size_t)dl;
    }
    if ((ctx = EVP_MD_CTX_new()) == NULL ||
        EVP_DigestVerifyInit(ctx, &pctx, md, NULL, k->pkey) != 1)
        goto out;
    if (pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) !=
        1 || EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) !=
        1))
        goto out;
    ok = EVP_DigestVerify(ctx, vs, vlen, (const unsigned char *)input,
        inlen) == 1;
out:
    EVP_MD_CTX_free(ctx);
    ECDSA_SIG_free(es);
    BN_free(r);
    BN_free(s);
    OPENSSL_free(der);
    return ok;
}

/* A JSON number (integer or real) as whole seconds; -1 if not a number. */
static int
num_claim(const json_t *o, const char *name, int64_t *vp)
{
    const json_t *v = json_object_get(o, name);

    if (v == NULL)
        return 0;
    if (json_is_integer(v))
        *vp = json_integer_value(v);
    else if (json_is_real(v) && json_real_value(v) > -1e15 &&
        json_real_value(v) < 1e15)
        *vp = (int64_t)json_real_value(v);
    else
        return -1;
    return 1;
}

static int
str_claim(const json_t *o, const char *name, char **outp)
{
    const json_t *v = json_object_get(o, name);

    *outp = NULL;
    if (v == NULL)
        return 0;
    if (!json_is_string(v) || strlen(json_string_value(v)) !=
        json_string_length(v))
        return -1;
    if ((*outp = strdup(json_string_value(v))) == NULL)
        return -1;
    return 1;
}

#define FAIL(...)                                                              \
    do {                                                                       \
        snprintf(why, whylen, __VA_ARGS__);                                    \
        r = MESHCA_ERR_TOKEN_INVALID;                                          \
        goto out;                                                              \
    } while (0)

int
identity_verify(struct identity *id, const char *token, size_t len,
    int64_t now, struct claims **cp, char *why, size_t whylen)
{
    const char *dot1, *dot2, *alg, *kid;
    json_t *hdr = NULL, *pl = NULL, *aud, *v;
    struct issuer *is = NULL;
    struct keyset *ks = NULL;
    const struct jwk *key = NULL;
    struct claims *c = NULL;
    uint8_t *sig = NULL;
    size_t siglen = 0, i, k;
    const EVP_MD *md = NULL;
    enum key_family fam;
    int64_t exp = 0, nbf = 0, iat = 0, lw;
    int pss, r = MESHCA_ERR_TOKEN_INVALID, found, tries;

    *cp = NULL;
    snprintf(why, whylen, "invalid token");
    if (len > IDENTITY_TOKEN_MAX)
        FAIL("token larger than %d bytes", IDENTITY_TOKEN_MAX);
    if (len == 0 || memchr(token, '\0', len) != NULL)
        FAIL("empty or malformed token");
    if ((dot1 = memchr(token, '.', len)) == NULL ||
        (dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token))) ==
        NULL)
        FAIL("not a compact JWS (three dot-separated parts)");
    if (memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) != NULL)
        FAIL("not a compact JWS: more than three parts (an encrypted JWE?)");
    if ((hdr = decode_part(token, (size_t)(dot1 - token))) == NULL)
        FAIL("header is not base64url-encoded JSON object");
    if ((alg = json_string_value(json_object_get(hdr, "alg"))) == NULL)
        FAIL("header has no alg");
    if (json_object_get(hdr, "enc") != NULL)
        FAIL("encrypted tokens (JWE) are not accepted");
    if (json_object_get(hdr, "crit") != NULL)
        FAIL("header has crit, which is not supported");
    {
        static const char *const untrusted[] = { "jku", "jwk", "x5u", "x5c",
            "x5t", "x5t#S256", NULL };

        for (i = 0; untrusted[i] != NULL; i++)
            if (json_object_get(hdr, untrusted[i]) != NULL)
                FAIL("header %s is not accepted (keys come only from the "
                    "issuer's configured key set)", untrusted[i]);
    }
    if ((v = json_object_get(hdr, "cty")) != NULL)
        FAIL("header cty is not accepted (nested tokens are refused)");
    if ((pl = decode_part(dot1 + 1, (size_t)(dot2 - dot1 - 1))) == NULL)
        FAIL("payload is not a base64url-encoded JSON object");
    {
        const char *iss = json_string_value(json_object_get(pl, "iss"));

        if (iss == NULL)
            FAIL("no iss claim");
        for (i = 0; i < id->n && is == NULL; i++)
            if (strcmp(id->issuers[i].cfg->issuer, iss) == 0)
                is = &id->issuers[i];
        if (is == NULL)
            FAIL("issuer %.200s is not trusted", iss);
    }
    if (!alg_allowed(is->cfg, alg))
        FAIL("alg %.20s is not allowed for this issuer", alg);
    if ((fam = alg_family(alg, &md, &pss)) == 0)
        FAIL("alg %.20s is not supported", alg);
    kid = json_string_value(json_object_get(hdr, "kid"));
    if (json_object_get(hdr, "kid") != NULL && kid == NULL)
        FAIL("kid must be a string");

    /* Pick the key; on an unknown kid refresh (rate-limited) once. */
    for (tries = 0; tries < 2 && key == NULL; tries++) {
        if (tries == 1) {
            int64_t last;

            if (is->cfg->jwks_file != NULL)
                break;
            pthread_mutex_lock(&is->fetch_lock);
            pthread_mutex_lock(&is->lock);
            last = is->last_attempt;
            pthread_mutex_unlock(&is->lock);
            if (now - last >= is->cfg->key_refresh_interval ||
                now < last)
                (void)refresh_keys(is, now);
            pthread_mutex_unlock(&is->fetch_lock);
        }
        keyset_unref(ks);
        if ((ks = current_keys(is, now)) == NULL)
            continue;
        if (kid == NULL) {
            if (ks->n == 1)
                key = &ks->keys[0];
            else if (ks->n > 1) {
                FAIL("the token has no kid and the issuer has %zu keys",
                    ks->n);
            }
        } else
            for (k = 0; k < ks->n && key == NULL; k++)
                if (ks->keys[k].kid != NULL &&
                    strcmp(ks->keys[k].kid, kid) == 0)
                    key = &ks->keys[k];
    }
    if (ks == NULL) {
        pthread_mutex_lock(&is->lock);
        snprintf(why, whylen, "no keys for issuer %s: %s", is->cfg->issuer,
            is->last_error[0] ? is->last_error : "not fetched yet");
        pthread_mutex_unlock(&is->lock);
        r = MESHCA_ERR_TOKEN_KEYS_UNAVAILABLE;
        goto out;
    }
    if (key == NULL)
        FAIL("unknown key id (kid) for issuer %s", is->cfg->issuer);
    if (key->fam != fam)
        FAIL("key %s cannot verify alg %s", key->kid ? key->kid : "(no kid)",
            alg);
    if (key->alg != NULL && strcmp(key->alg, alg) != 0)
        FAIL("key %s is for alg %s, not %s", key->kid ? key->kid : "(no kid)",
            key->alg, alg);
    if (meshca_b64_decode(dot2 + 1, len - (size_t)(dot2 + 1 - token), 1, &sig,
        &siglen) != 0 || siglen == 0)
        FAIL("signature missing or not base64url");
    if (!verify_sig(key, md, pss, token, (size_t)(dot2 - token), sig, siglen))
        FAIL("signature verification failed");

    /* Claims, now that they are authentic. */
    lw = is->cfg->leeway;
    if (num_claim(pl, "exp", &exp) != 1)
        FAIL("exp is missing or not a number");
    if (now > exp + lw)
        FAIL("token expired %lld s ago", (long long)(now - exp));
    if ((r = num_claim(pl, "nbf", &nbf)) < 0)
        FAIL("nbf is not a number");
    if (r == 1 && now + lw < nbf)
        FAIL("token not valid yet (nbf in %lld s)", (long long)(nbf - now));
    if (num_claim(pl, "iat", &iat) != 1)
        FAIL("iat is missing or not a number");
    if (iat > now + lw)
        FAIL("token issued in the future (iat %lld s ahead)",
            (long long)(iat - now));
    if (now - iat > is->cfg->max_token_age + lw)
        FAIL("token too old: issued %lld s ago, at most %lld allowed",
            (long long)(now - iat), (long long)is->cfg->max_token_age);
    aud = json_object_get(pl, "aud");
    found = 0;
    if (json_is_string(aud)) {
        for (k = 0; k < is->cfg->naudiences; k++)
            found |= strcmp(json_string_value(aud), is->cfg->audiences[k]) ==
                0;
    } else if (json_is_array(aud) && json_array_size(aud) > 0) {
        json_t *e;
        const char *azp = json_string_value(json_object_get(pl, "azp"));

        json_array_foreach(aud, i, e) {
            if (!json_is_string(e))
                FAIL("aud must be a string or an array of strings");
            for (k = 0; k < is->cfg->naudiences; k++)
                found |= strcmp(json_string_value(e),
                    is->cfg->audiences[k]) == 0;
        }
        if (found && json_array_size(aud) > 1) {
            int azp_ok = 0;

            for (k = 0; azp != NULL && k < is->cfg->naudiences; k++)
                azp_ok |= strcmp(azp, is->cfg->audiences[k]) == 0;
            if (!azp_ok)
                FAIL("several audiences and azp is %s: it must be this "
                    "service's audience", azp ? "not ours" : "missing");
        }
    } else
        FAIL("aud is missing or not a string or array");
    if (!found)
        FAIL("audience is not this service's");

    if ((c = calloc(1, sizeof(*c))) == NULL) {
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    if (str_claim(pl, "sub", &c->sub) != 1 || c->sub[0] == '\0')
        FAIL("sub is missing or not a non-empty string");
    if ((c->iss = strdup(is->cfg->issuer)) == NULL ||
        str_claim(pl, "email", &c->email) < 0 ||
        str_claim(pl, "name", &c->name) < 0 ||
        str_claim(pl, "jti", &c->jti) < 0 ||
        str_claim(pl, "nonce", &c->nonce) < 0 ||
        str_claim(pl, "azp", &c->azp) < 0)
        FAIL("a string claim (email, name, jti, nonce, azp) has the wrong "
            "type");
    if ((v = json_object_get(pl, "email_verified")) != NULL) {
        if (!json_is_boolean(v))
            FAIL("email_verified must be a boolean");
        c->email_verified = json_is_true(v);
    }
    if ((v = json_object_get(pl, "groups")) != NULL) {
        json_t *e;

        if (!json_is_array(v) || json_array_size(v) > 1024)
            FAIL("groups must be an array of strings");
        if ((c->groups = calloc(json_array_size(v) + 1, sizeof(char *))) ==
            NULL) {
            r = MESHCA_ERR_ALLOC;
            goto out;
        }
        json_array_foreach(v, i, e) {
            if (!json_is_string(e))
                FAIL("groups must be an array of strings");
            if ((c->groups[c->ngroups] = strdup(json_string_value(e))) ==
                NULL) {
                r = MESHCA_ERR_ALLOC;
                goto out;
            }
            c->ngroups++;
        }
    }
    if (num_claim(pl, "auth_time", &c->auth_time) < 0)
        FAIL("auth_time is not a number");
    c->iat = iat;
    c->exp = exp;
    c->nbf = nbf;
    if (c->jti != NULL && strlen(c->jti) < sizeof(c->replay_id))
        snprintf(c->replay_id, sizeof(c->replay_id), "%s", c->jti);
    else {
        unsigned char h[SHA256_DIGEST_LENGTH];

        if (c->jti != NULL)
            SHA256((const unsigned char *)c->jti, strlen(c->jti), h);
        else
            SHA256((const unsigned char *)token, len, h);
        for (i = 0; i < sizeof(h); i++)
            snprintf(c->replay_id + 2 * i, 3, "%02x", h[i]);
    }
    c->raw = pl;
    pl = NULL;
    *cp = c;
    c = NULL;
    r = 0;
    why[0] = '\0';

    /* A scheduled refresh, by whoever gets here first; others go on. */
    if (is->cfg->jwks_file == NULL && now >= is->refresh_after &&
        pthread_mutex_trylock(&is->fetch_lock) == 0) {
        if (now >= is->refresh_after)
            (void)refresh_keys(is, now);
        pthread_mutex_unlock(&is->fetch_lock);
    }
out:
    claims_free(c);
    free(sig);
    keyset_unref(ks);
    json_decref(hdr);
    json_decref(pl);
    return r;
}

#undef FAIL

int
identity_check_key_binding(const struct claims *c, const uint8_t *blob,
    size_t len)
{
    unsigned char h[SHA256_DIGEST_LENGTH];
    char *want = NULL;
    int r = MESHCA_ERR_TOKEN_INVALID;

    if (c->nonce == NULL)
        return r;
    SHA256(blob, len, h);
    if (meshca_b64_encode(h, sizeof(h), 1, &want) != 0)
        return MESHCA_ERR_ALLOC;
    if (strlen(c->nonce) == strlen(want) &&
        CRYPTO_memcmp(c->nonce, want, strlen(want)) == 0)
        r = 0;
    free(want);
    return r;
}

int
identity_ready(struct identity *id, char *why, size_t whylen)
{
    int64_t now = (int64_t)time(NULL);
    size_t i;

    for (i = 0; i < id->n; i++) {
        struct keyset *ks = current_keys(&id->issuers[i], now);

        if (ks == NULL) {
            struct issuer *is = &id->issuers[i];

            /* Try now, so readiness recovers without traffic. */
            if (pthread_mutex_trylock(&is->fetch_lock) == 0) {
                (void)refresh_keys(is, now);
                pthread_mutex_unlock(&is->fetch_lock);
            }
            if ((ks = current_keys(is, now)) == NULL) {
                pthread_mutex_lock(&is->lock);
                snprintf(why, whylen, "no keys for issuer %s: %s",
                    is->cfg->issuer, is->last_error);
                pthread_mutex_unlock(&is->lock);
                return MESHCA_ERR_TOKEN_KEYS_UNAVAILABLE;
            }
        }
        keyset_unref(ks);
    }
    return 0;
}

int
identity_write_metrics(struct identity *id, struct buf *out)
{
    size_t i;
    int r;

    if ((r = metrics_printf(out, "# HELP meshca_key_refreshes_total Issuer "
        "key-set fetches that succeeded.\n# TYPE meshca_key_refreshes_total "
        "counter\n")) != 0)
        return r;
    for (i = 0; i < id->n; i++)
        if ((r = metrics_printf(out, "meshca_key_refreshes_total{issuer=\"%s\"}"
            " %llu\n", id->issuers[i].cfg->issuer, (unsigned long long)
            atomic_load(&id->issuers[i].refreshes))) != 0)
            return r;
    if ((r = metrics_printf(out, "# HELP meshca_key_refresh_failures_total "
        "Issuer key-set fetches that failed.\n# TYPE "
        "meshca_key_refresh_failures_total counter\n")) != 0)
        return r;
    for (i = 0; i < id->n; i++)
        if ((r = metrics_printf(out, "meshca_key_refresh_failures_total{"
            "issuer=\"%s\"} %llu\n", id->issuers[i].cfg->issuer,
            (unsigned long long)atomic_load(&id->issuers[i].failures))) != 0)
            return r;
    return 0;
}
