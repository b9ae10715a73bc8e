/*
 * libFuzzer target: ID-token parsing and verification (api/identity.c,
 * api/jwks.c) on arbitrary input, in two modes chosen by the first byte:
 *
 *   even: the rest is a token, verified as is.  Nothing fuzzed can carry a
 *         valid signature, so acceptance is a bug (abort).
 *   odd:  the rest is "HEADER\nPAYLOAD" (JSON text, or anything); the
 *         target signs base64url(HEADER).base64url(PAYLOAD) with the
 *         issuer's ES256 key made at start, so the claim checks behind the
 *         signature are reached too.  An accepted token must satisfy the
 *         invariants the service relies on (abort otherwise).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include "meshca/buf.h"
#include "../../api/config.h"
#include "../../api/identity.h"
#include "../../api/meshcad_err.h"

#define NOW 1700000000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct identity *id;
static struct config *cfg;
static EVP_PKEY *key;

static char *
b64u(const void *d, size_t n)
{
    char *s = NULL;

    if (meshca_b64_encode(d, n, 1, &s) != 0)
        abort();
    return s;
}

static void
init(void)
{
    char dir[] = "/tmp/meshca-fuzz-token.XXXXXX", path[256];
    struct diags d = { 0 };
    unsigned char pt[65];
    size_t pl = sizeof(pt);
    char *x, *y;
    FILE *f;

    if (mkdtemp(dir) == NULL ||
        (key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL ||
        EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, pt,
            sizeof(pt), &pl) != 1 || pl != 65)
        abort();
    x = b64u(pt + 1, 32);
    y = b64u(pt + 33, 32);
    snprintf(path, sizeof(path), "%s/jwks.json", dir);
    if ((f = fopen(path, "w")) == NULL)
        abort();
    fprintf(f, "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"k1\","
        "\"x\":\"%s\",\"y\":\"%s\"},{\"kty\":\"oct\",\"kid\":\"h1\","
        "\"k\":\"c2VjcmV0\"}]}", x, y);
    fclose(f);
    free(x);
    free(y);
    snprintf(path, sizeof(path), "%s/c.json", dir);
    if ((f = fopen(path, "w")) == NULL)
        abort();
    fputs("{\"listen\":\"127.0.0.1:1\",\"database\":\"x\",\"ca_keys\":"
        "[{\"path\":\"ca\"}],\"policy\":\"p\",\"issuers\":[{\"issuer\":"
        "\"https://idp\",\"audiences\":[\"meshca\",\"web\"],\"jwks_file\":"
        "\"jwks.json\",\"algorithms\":[\"ES256\",\"RS256\"]}]}", f);
    fclose(f);
    if (config_load(path, &cfg, &d) != 0 || identity_new(cfg, &id) != 0)
        abort();
    unlink(path);
    snprintf(path, sizeof(path), "%s/jwks.json", dir);
    unlink(path);
    rmdir(dir);
}

/* header.payload signed with the issuer's key (ES256, r||s). */
static char *
sign(const uint8_t *h, size_t hl, const uint8_t *p, size_t pl)
{
    char *hb = b64u(h, hl), *pb = b64u(p, pl), *in = NULL, *sb, *tok = NULL;
    unsigned char der[128], raw[64];
    size_t dl = sizeof(der);
    const unsigned char *dp = der;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    ECDSA_SIG *es;
    const BIGNUM *r, *s;

    if (md == NULL || asprintf(&in, "%s.%s", hb, pb) < 0 ||
        EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSign(md, der, &dl, (unsigned char *)in, strlen(in)) != 1 ||
        (es = d2i_ECDSA_SIG(NULL, &dp, (long)dl)) == NULL)
        abort();
    ECDSA_SIG_get0(es, &r, &s);
    BN_bn2binpad(r, raw, 32);
    BN_bn2binpad(s, raw + 32, 32);
    ECDSA_SIG_free(es);
    sb = b64u(raw, 64);
    if (asprintf(&tok, "%s.%s", in, sb) < 0)
        abort();
    EVP_MD_CTX_free(md);
    free(hb);
    free(pb);
    free(in);
    free(sb);
    return tok;
}

/* What the service relies on for every accepted token. */
static void
check_invariants(const struct claims *c)
{
    size_t i;

    if (c == NULL || c->iss == NULL || strcmp(c->iss, "https://idp") != 0 ||
        c->sub == NULL || c->sub[0] == '\0' || c->raw == NULL ||
        !json_is_object(c->raw) || c->replay_id[0] == '\0' ||
        strlen(c->replay_id) > 64 || c->exp <= NOW - 60 ||
        c->iat > NOW + 60 || (c->ngroups > 0 && c->groups == NULL))
        abort();
    for (i = 0; i < c->ngroups; i++)
        if (c->groups[i] == NULL)
            abort();
    if (c->azp != NULL && strcmp(c->azp, "meshca") != 0 &&
        strcmp(c->azp, "web") != 0)
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct claims *c = NULL;
    char why[256], *tok = NULL;
    const uint8_t *nl;
    int r;

    if (id == NULL)
        init();
    if (size == 0)
        return 0;
    if ((data[0] & 1) == 0) {
        r = identity_verify(id, (const char *)data + 1, size - 1, NOW, &c,
            why, sizeof(why));
        if (r == 0 || c != NULL)
            abort(); /* nothing fuzzed can carry a valid signature */
        if (r != MESHCA_ERR_TOKEN_INVALID || why[0] == '\0')
            abort(); /* a jwks_file issuer always has keys */
        return 0;
    }
    data++;
    size--;
    if (size > 20000 || (nl = memchr(data, '\n', size)) == NULL)
        return 0;
    tok = sign(data, (size_t)(nl - data), nl + 1, size - (size_t)(nl - data) -
        1);
    r = identity_verify(id, tok, strlen(tok), NOW, &c, why, sizeof(why));
    if (r == 0)
        check_invariants(c);
    else if (c != NULL || (r != MESHCA_ERR_TOKEN_INVALID &&
        r != MESHCA_ERR_ALLOC) || why[0] == '\0')
        abort();
    claims_free(c);
    free(tok);
    return 0;
}
