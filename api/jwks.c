/* Issuer key sets: parsing and fetching.  See jwks.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjose/cjose.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "meshca/url.h"
#include "config.h"
#include "jwks.h"
#include "log.h"
#include "meshcad_err.h"

#define FETCH_TIMEOUT_S 5L
#define FETCH_CONNECT_TIMEOUT_S 3L
#define RSA_MIN_BITS 2048
#define RSA_MAX_BITS 8192
#define KID_MAX 256

/* Members that only a private key has: a set that publishes one is broken
 * (or leaking), and such a key is never used. */
static const char *const private_members[] = { "d", "p", "q", "dp", "dq",
    "qi", "oth", "k", NULL };

struct jwks *
jwks_ref(struct jwks *set)
{
    if (set != NULL)
        atomic_fetch_add(&set->refs, 1);
    return set;
}

void
jwks_unref(struct jwks *set)
{
    size_t i;

    if (set == NULL || atomic_fetch_sub(&set->refs, 1) != 1)
        return;
    for (i = 0; i < set->n; i++) {
        free(set->keys[i].kid);
        free(set->keys[i].alg);
        cjose_jwk_release(set->keys[i].key);
    }
    free(set->keys);
    free(set);
}

enum jwk_family
jwks_alg_family(const char *alg)
{
    if (strcmp(alg, "RS256") == 0 || strcmp(alg, "RS384") == 0 ||
        strcmp(alg, "RS512") == 0 || strcmp(alg, "PS256") == 0 ||
        strcmp(alg, "PS384") == 0 || strcmp(alg, "PS512") == 0)
        return JWK_FAMILY_RSA;
    if (strcmp(alg, "ES256") == 0)
        return JWK_FAMILY_P256;
    if (strcmp(alg, "ES384") == 0)
        return JWK_FAMILY_P384;
    return JWK_FAMILY_NONE;
}

/* A base64url JSON string member, decoded strictly.  NULL when absent or
 * malformed. */
static uint8_t *
member_b64u(const json_t *k, const char *name, size_t *lenp)
{
    const json_t *v = json_object_get(k, name);
    uint8_t *d = NULL;

    *lenp = 0;
    if (!json_is_string(v) || meshca_b64_decode(json_string_value(v),
        json_string_length(v), 1, &d, lenp) != 0)
        return NULL;
    return d;
}

/* Checks an RSA JWK's numbers; returns NULL (with *bitsp) or the problem. */
static const char *
check_rsa(const json_t *k, int *bitsp)
{
    uint8_t *nd = NULL, *ed = NULL;
    size_t nl = 0, el = 0;
    BIGNUM *n = NULL, *e = NULL;
    const char *why = NULL;

    if ((nd = member_b64u(k, "n", &nl)) == NULL || nl == 0 ||
        (ed = member_b64u(k, "e", &el)) == NULL || el == 0 || el > 8) {
        why = "RSA key without a valid n and e";
        goto out;
    }
    if ((n = BN_bin2bn(nd, (int)nl, NULL)) == NULL ||
        (e = BN_bin2bn(ed, (int)el, NULL)) == NULL) {
        why = "out of memory";
        goto out;
    }
    *bitsp = BN_num_bits(n);
    if (*bitsp < RSA_MIN_BITS || *bitsp > RSA_MAX_BITS)
        why = "RSA key size outside 2048..8192 bits";
    else if (!BN_is_odd(n))
        why = "RSA modulus is even";
    else if (!BN_is_odd(e) || BN_num_bits(e) < 2 || BN_num_bits(e) > 33)
        why = "RSA public exponent is not an odd number from 3 to 2^33";
out:
    free(nd);
    free(ed);
    BN_free(n);
    BN_free(e);
    return why;
}

/* Checks an EC JWK: a supported curve and a point on it. */
static const char *
check_ec(const json_t *k, enum jwk_family *famp, int *bitsp)
{
    const char *crv = json_string_value(json_object_get(k, "crv"));
    uint8_t *x = NULL, *y = NULL, point[1 + 2 * 48];
    size_t xl = 0, yl = 0, fl;
    OSSL_PARAM params[3];
    EVP_PKEY_CTX *ctx = NULL, *chk = NULL;
    EVP_PKEY *pkey = NULL;
    const char *why = NULL;

    if (crv != NULL && strcmp(crv, "P-256") == 0) {
        fl = 32;
        *famp = JWK_FAMILY_P256;
    } else if (crv != NULL && strcmp(crv, "P-384") == 0) {
        fl = 48;
        *famp = JWK_FAMILY_P384;
    } else
        return "EC key on an unsupported curve (P-256 and P-384 are)";
    *bitsp = (int)fl * 8;
    if ((x = member_b64u(k, "x", &xl)) == NULL ||
        (y = member_b64u(k, "y", &yl)) == NULL || xl != fl || yl != fl) {
        why = "EC key without valid x and y of the curve's size";
        goto out;
    }
    point[0] = 0x04;
    memcpy(point + 1, x, fl);
    memcpy(point + 1 + fl, y, fl);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
        (char *)crv, 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
        point, 1 + 2 * fl);
    params[2] = OSSL_PARAM_construct_end();
    if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
        EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1 ||
        (chk = EVP_PKEY_CTX_new(pkey, NULL)) == NULL ||
        EVP_PKEY_public_check(chk) != 1)
        why = "EC point is not on the curve";
out:
    free(x);
    free(y);
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_CTX_free(chk);
    return why;
}

/* Why key k cannot be used, or NULL when it can (then *j is filled in,
 * apart from kid/alg copies). */
static const char *
check_key(const json_t *k, const struct jwks *set, struct jwk *j)
{
    const char *kty, *use, *kid, *alg;
    const json_t *ops, *op;
    size_t i;
    int verify = 0;

    if (!json_is_object(k))
        return "not a JSON object";
    kty = json_string_value(json_object_get(k, "kty"));
    if (kty == NULL)
        return "no kty";
    if (strcmp(kty, "oct") == 0)
        return "symmetric (oct) keys are never accepted";
    for (i = 0; private_members[i] != NULL; i++)
        if (json_object_get(k, private_members[i]) != NULL)
            return "the key set publishes private key material";
    if (json_object_get(k, "use") != NULL &&
        ((use = json_string_value(json_object_get(k, "use"))) == NULL ||
        strcmp(use, "sig") != 0))
        return "use is not \"sig\"";
    if ((ops = json_object_get(k, "key_ops")) != NULL) {
        if (!json_is_array(ops))
            return "key_ops is not an array";
        json_array_foreach(ops, i, op)
            if (json_is_string(op) && strcmp(json_string_value(op),
                "verify") == 0)
                verify = 1;
        if (!verify)
            return "key_ops does not allow \"verify\"";
    }
    if (json_object_get(k, "kid") != NULL &&
        ((kid = json_string_value(json_object_get(k, "kid"))) == NULL ||
        strlen(kid) != json_string_length(json_object_get(k, "kid")) ||
        strlen(kid) > KID_MAX))
        return "kid is not a string of at most 256 bytes";
    if (json_object_get(k, "alg") != NULL &&
        ((alg = json_string_value(json_object_get(k, "alg"))) == NULL ||
        jwks_alg_family(alg) == JWK_FAMILY_NONE))
        return "alg is not an asymmetric signature algorithm";
    memset(j, 0, sizeof(*j));
    if (strcmp(kty, "RSA") == 0) {
        const char *why = check_rsa(k, &j->bits);

        if (why != NULL)
            return why;
        j->family = JWK_FAMILY_RSA;
    } else if (strcmp(kty, "EC") == 0) {
        const char *why = check_ec(k, &j->family, &j->bits);

        if (why != NULL)
            return why;
    } else
        return "unsupported kty (RSA and EC are)";
    alg = json_string_value(json_object_get(k, "alg"));
    if (alg != NULL && jwks_alg_family(alg) != j->family)
        return "alg does not match the key type";
    kid = json_string_value(json_object_get(k, "kid"));
    for (i = 0; kid != NULL && i < set->n; i++)
        if (set->keys[i].kid != NULL && strcmp(set->keys[i].kid, kid) == 0)
            return "a second key with the same kid";
    return NULL;
}

int
jwks_parse(const char *issuer, const char *data, size_t len,
    struct jwks **setp, char *why, size_t whylen)
{
    json_t *doc = NULL, *keys, *k;
    struct jwks *set = NULL;
    size_t i;
    int r = MESHCA_ERR_JWKS_INVALID;

    *setp = NULL;
    if ((doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
        !json_is_object(doc) ||
        !json_is_array(keys = json_object_get(doc, "keys"))) {
        snprintf(why, whylen, "not a JWKS document (a JSON object with a "
            "\"keys\" array)");
        goto out;
    }
    if ((set = calloc(1, sizeof(*set))) == NULL ||
        (set->keys = calloc(JWKS_MAX_KEYS, sizeof(*set->keys))) == NULL) {
        r = MESHCA_ERR_ALLOC;
        snprintf(why, whylen, "out of memory");
        goto out;
    }
    atomic_init(&set->refs, 1);
    json_array_foreach(keys, i, k) {
        struct jwk *j = &set->keys[set->n];
        const char *kid = json_string_value(json_object_get(k, "kid"));
        const char *alg = json_string_value(json_object_get(k, "alg"));
        const char *skip = NULL;
        cjose_err cerr;

        if (set->n == JWKS_MAX_KEYS)
            skip = "more than 64 keys in the set";
        else if ((skip = check_key(k, set, j)) == NULL) {
            /* cjose_header_t is jansson's json_t. */
            if ((j->key = cjose_jwk_import_json((cjose_header_t *)k,
                &cerr)) == NULL)
                skip = "cjose cannot import the key";
            else if ((kid != NULL && (j->kid = strdup(kid)) == NULL) ||
                (alg != NULL && (j->alg = strdup(alg)) == NULL)) {
                r = MESHCA_ERR_ALLOC;
                set->n++; /* freed with the set */
                snprintf(why, whylen, "out of memory");
                goto out;
            }
        }
        if (skip != NULL) {
            set->nskipped++;
            log_json(LOG_LEVEL_WARN, "ignoring a key in the issuer's key set",
                json_pack("{s:s, s:s?, s:s}", "issuer", issuer, "kid", kid,
                    "why", skip));
            continue;
        }
        set->n++;
    }
    if (set->n == 0) {
        snprintf(why, whylen, "the key set holds no usable key (%zu "
            "skipped: only RSA >= 2048 bits and EC P-256/P-384 signature "
            "keys are used)", set->nskipped);
        goto out;
    }
    *setp = set;
    set = NULL;
    r = 0;
out:
    jwks_unref(set);
    json_decref(doc);
    return r;
}

/* Fetching */

struct fetch {
    struct meshca_buf *body;
    int64_t max_age;
    int too_big;
};

static size_t
fetch_write(char *p, size_t sz, size_t n, void *arg)
{
    struct fetch *f = arg;

    if (meshca_buf_put(f->body, p, sz * n) != 0) {
        f->too_big = 1;
        return 0;
    }
    return sz * n;
}

/* Cache-Control: max-age=N (no-cache / no-store count as 0). */
static size_t
fetch_header(char *p, size_t sz, size_t n, void *arg)
{
    struct fetch *f = arg;
    size_t len = sz * n, i;
    char line[512];

    if (len >= sizeof(line) || len < 14 ||
        strncasecmp(p, "cache-control:", 14) != 0)
        return len;
    for (i = 0; i < len; i++)
        line[i] = (char)tolower((unsigned char)p[i]);
    line[len] = '\0';
    if (strstr(line, "no-store") != NULL || strstr(line, "no-cache") != NULL)
        f->max_age = 0;
    else {
        const char *ma = strstr(line, "max-age=");

        if (ma != NULL && isdigit((unsigned char)ma[8])) {
            long long v = strtoll(ma + 8, NULL, 10);

            f->max_age = v < 0 ? 0 : v > 10 * 365 * 86400LL ?
                10 * 365 * 86400LL : v;
        }
    }
    return len;
}

int
jwks_fetch(const char *url, const char *ca_file, struct meshca_buf **bodyp,
    int64_t *max_agep, char *why, size_t whylen)
{
    struct fetch f = { NULL, -1, 0 };
    CURL *c = NULL;
    CURLcode cr;
    long status = 0;
    char reason[320];
    int r = MESHCA_ERR_JWKS_FETCH;

    if (url_check(url, reason, sizeof(reason)) != 0) {
        snprintf(why, whylen, "refusing to fetch %s", reason);
        goto out;
    }
    if ((f.body = meshca_buf_new(JWKS_FETCH_MAX_BYTES)) == NULL ||
        (c = curl_easy_init()) == NULL) {
        snprintf(why, whylen, "out of memory");
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    if (curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_TIMEOUT, FETCH_TIMEOUT_S) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
            FETCH_CONNECT_TIMEOUT_S) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http") !=
        CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
            (curl_off_t)JWKS_FETCH_MAX_BYTES) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fetch_write) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &f) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, fetch_header) !=
        CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_HEADERDATA, &f) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_USERAGENT, "meshcad") != CURLE_OK ||
        (ca_file != NULL &&
        curl_easy_setopt(c, CURLOPT_CAINFO, ca_file) != CURLE_OK)) {
        snprintf(why, whylen, "cannot set up the HTTP client");
        goto out;
    }
    cr = curl_easy_perform(c);
    if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
        status = 0;
    if (cr != CURLE_OK || status != 200) {
        snprintf(why, whylen, "fetching %.200s failed: %s", url,
            f.too_big || cr == CURLE_FILESIZE_EXCEEDED ?
            "response larger than 512 KiB" : cr != CURLE_OK ?
            curl_easy_strerror(cr) : "HTTP status is not 200");
        goto out;
    }
    *bodyp = f.body;
    f.body = NULL;
    *max_agep = f.max_age;
    r = 0;
out:
    curl_easy_cleanup(c);
    meshca_buf_free(f.body);
    return r;
}
