/*
 * bench_identity: distinct-token ID-token verifications per second through
 * api/identity.c for RS256 and ES256, beside the raw OpenSSL verify rate of
 * the same key type measured in the same run.  A benchmark: it prints
 * figures and asserts nothing.
 *
 *   bench_identity [SECONDS]     (default 2 per measurement)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "meshca/buf.h"
#include "../../api/config.h"
#include "../../api/identity.h"

#define NTOK 2000

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *m)
{
    fprintf(stderr, "bench_identity: %s\n", m);
    exit(1);
}

static char *
b64u(const void *d, size_t n)
{
    char *s = NULL;

    if (meshca_b64_encode(d, n, 1, &s) != 0)
        die("b64");
    return s;
}

static char *
bn_param(EVP_PKEY *k, const char *name)
{
    BIGNUM *bn = NULL;
    unsigned char b[600];
    int n;
    char *s;

    if (EVP_PKEY_get_bn_param(k, name, &bn) != 1)
        die("param");
    n = BN_bn2bin(bn, b);
    s = b64u(b, (size_t)n);
    BN_free(bn);
    return s;
}

/* Signs input with key for alg; raw JWS signature into sig. */
static size_t
jws_sign(EVP_PKEY *key, int ec, const char *input, unsigned char *sig)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char der[600];
    size_t dl = sizeof(der);

    if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSign(md, der, &dl, (const unsigned char *)input,
            strlen(input)) != 1)
        die("sign");
    EVP_MD_CTX_free(md);
    if (!ec) {
        memcpy(sig, der, dl);
        return dl;
    } else {
        const unsigned char *p = der;
        ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)dl);
        const BIGNUM *r, *s;

        ECDSA_SIG_get0(es, &r, &s);
        BN_bn2binpad(r, sig, 32);
        BN_bn2binpad(s, sig + 32, 32);
        ECDSA_SIG_free(es);
        return 64;
    }
}

static void
run(const char *alg, EVP_PKEY *key, int ec, double secs, const char *dir)
{
    char path[512], *conf, *jwks, **toks, *hdr, hjson[128];
    unsigned char sig[600];
    size_t i, slen;
    struct config *cfg = NULL;
    struct diags d = { 0 };
    struct identity *id = NULL;
    long now = (long)time(NULL), n = 0, raw = 0;
    double t0, el, rate, rawrate;
    FILE *f;

    if (ec) {
        unsigned char pt[65];
        size_t pl = sizeof(pt);
        char *x, *y;

        EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, pt,
            sizeof(pt), &pl);
        x = b64u(pt + 1, 32);
        y = b64u(pt + 33, 32);
        if (asprintf(&jwks, "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\","
            "\"kid\":\"k\",\"x\":\"%s\",\"y\":\"%s\"}]}", x, y) < 0)
            die("alloc");
        free(x);
        free(y);
    } else {
        char *nn = bn_param(key, OSSL_PKEY_PARAM_RSA_N);
        char *e = bn_param(key, OSSL_PKEY_PARAM_RSA_E);

        if (asprintf(&jwks, "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k\","
            "\"n\":\"%s\",\"e\":\"%s\"}]}", nn, e) < 0)
            die("alloc");
        free(nn);
        free(e);
    }
    snprintf(path, sizeof(path), "%s/jwks-%s.json", dir, alg);
    if ((f = fopen(path, "w")) == NULL)
        die("write");
    fputs(jwks, f);
    fclose(f);
    if (asprintf(&conf, "{\"listen\":\"127.0.0.1:1\",\"database\":\"x\","
        "\"ca_keys\":[{\"path\":\"ca\"}],\"policy\":\"p\",\"issuers\":[{"
        "\"issuer\":\"https://idp\",\"audiences\":[\"meshca\"],"
        "\"jwks_file\":\"jwks-%s.json\"}]}", alg) < 0)
        die("alloc");
    snprintf(path, sizeof(path), "%s/c-%s.json", dir, alg);
    f = fopen(path, "w");
    fputs(conf, f);
    fclose(f);
    if (config_load(path, &cfg, &d) != 0 || identity_new(cfg, &id) != 0)
        die("setup");
    snprintf(hjson, sizeof(hjson), "{\"alg\":\"%s\",\"kid\":\"k\"}", alg);
    hdr = b64u(hjson, strlen(hjson));
    if ((toks = calloc(NTOK, sizeof(*toks))) == NULL)
        die("alloc");
    for (i = 0; i < NTOK; i++) {
        char claims[512], *body, *in, *sb;

        snprintf(claims, sizeof(claims), "{\"iss\":\"https://idp\","
            "\"aud\":\"meshca\",\"sub\":\"user-%zu\",\"groups\":[\"g\"],"
            "\"iat\":%ld,\"exp\":%ld,\"jti\":\"j%zu\"}", i, now, now + 3600, i);
        body = b64u(claims, strlen(claims));
        if (asprintf(&in, "%s.%s", hdr, body) < 0)
            die("alloc");
        slen = jws_sign(key, ec, in, sig);
        sb = b64u(sig, slen);
        if (asprintf(&toks[i], "%s.%s", in, sb) < 0)
            die("alloc");
        free(in);
        free(sb);
        free(body);
    }
    /* Distinct tokens through identity_verify. */
    t0 = now_s();
    do {
        struct claims *c = NULL;
        char why[256];
        const char *t = toks[n % NTOK];

        if (identity_verify(id, t, strlen(t), now, &c, why, sizeof(why)) != 0)
            die(why);
        claims_free(c);
        n++;
    } while ((el = now_s() - t0) < secs);
    rate = (double)n / el;
    /* Raw: OpenSSL verifies with the same key, round robin. */
    {
        /* Pre-sign 16 messages, then verify them round robin. */
        unsigned char sigs[16][600];
        size_t sl[16];
        char msgs[16][32];
        int j;

        for (j = 0; j < 16; j++) {
            EVP_MD_CTX *md = EVP_MD_CTX_new();

            snprintf(msgs[j], sizeof(msgs[j]), "message-%d", j);
            sl[j] = sizeof(sigs[j]);
            EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key);
            EVP_DigestSign(md, sigs[j], &sl[j], (unsigned char *)msgs[j],
                strlen(msgs[j]));
            EVP_MD_CTX_free(md);
        }
        raw = 0;
        t0 = now_s();
        do {
            EVP_MD_CTX *md = EVP_MD_CTX_new();

            j = (int)(raw % 16);
            if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
                EVP_DigestVerify(md, sigs[j], sl[j], (unsigned char *)msgs[j],
                    strlen(msgs[j])) != 1)
                die("raw verify");
            EVP_MD_CTX_free(md);
            raw++;
        } while ((el = now_s() - t0) < secs);
        rawrate = (double)raw / el;
    }
    printf("{\"alg\":\"%s\",\"tokens_per_second\":%.0f,"
        "\"raw_openssl_verifies_per_second\":%.0f,\"ratio\":%.2f}\n", alg,
        rate, rawrate, rate / rawrate);
    for (i = 0; i < NTOK; i++)
        free(toks[i]);
    free(toks);
    free(hdr);
    free(jwks);
    free(conf);
    identity_free(id);
    config_free(cfg);
}

int
main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 2;
    char dir[] = "/tmp/meshca-bench-id.XXXXXX";
    EVP_PKEY *rsa = EVP_RSA_gen(2048);
    EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    char cmd[64];

    if (rsa == NULL || ec == NULL || mkdtemp(dir) == NULL)
        die("setup");
    run("RS256", rsa, 0, secs, dir);
    run("ES256", ec, 1, secs, dir);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_identity: could not remove %s\n", dir);
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ec);
    return 0;
}
