/*
 * bench_identity: distinct-token ID-token verifications per second through
 * api/identity.c (every check, cjose's signature verification, claims
 * extraction), for RS256 and ES256, beside raw OpenSSL verifying the very
 * same signing inputs and signatures in the same run:
 *   raw_openssl_verifies_per_second   EVP_DigestVerifyInit + EVP_DigestVerify
 *                                     (the OpenSSL 3 API), one context each;
 *   raw_legacy_verifies_per_second    SHA-256 + RSA_verify / ECDSA_do_verify,
 *                                     the primitives cjose calls.
 * Each is measured with one thread and with one thread per core, so a lock
 * that serialised verifiers would show.  The three are measured in turns of
 * a quarter second, interleaved, so that load from other processes on a
 * shared machine falls on all three alike.  A benchmark: it prints one JSON
 * line per algorithm and thread count and asserts nothing.
 *
 *   bench_identity [SECONDS]     (default 2 per measurement)
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include "meshca/buf.h"
#include "../../api/config.h"
#include "../../api/identity.h"
#include "../lib/jwk_test.h"
#include "common.h"

#define NTOK 1000

enum mode { MODE_IDENTITY, MODE_EVP, MODE_LEGACY };

struct tok {
    char *token;
    size_t input_len;          /* header.payload */
    unsigned char sig[512];    /* RSA: raw; EC: DER */
    size_t siglen;
    ECDSA_SIG *es;             /* EC, for ECDSA_do_verify */
};

struct bench {
    EVP_PKEY *key;
    int ec;
    struct identity *id;
    struct tok toks[NTOK];
    int64_t now;
    double secs;
};

struct thr {
    struct bench *b;
    enum mode mode;
    size_t start;
    long n;
    double elapsed;
};

/* Signs token t's input; keeps the raw-verify form of the signature and
 * returns the JWS form (base64url). */
static char *
jws_sign(struct bench *b, struct tok *t, const char *input)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char der[600], raw[64];
    size_t dl = sizeof(der);

    if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, b->key) != 1 ||
        EVP_DigestSign(md, der, &dl, (const unsigned char *)input,
            strlen(input)) != 1)
        bench_die("sign");
    EVP_MD_CTX_free(md);
    memcpy(t->sig, der, dl);
    t->siglen = dl;
    if (!b->ec)
        return bench_b64url(der, dl);
    {
        const unsigned char *p = der;
        const BIGNUM *r, *s;

        if ((t->es = d2i_ECDSA_SIG(NULL, &p, (long)dl)) == NULL)
            bench_die("der");
        ECDSA_SIG_get0(t->es, &r, &s);
        BN_bn2binpad(r, raw, 32);
        BN_bn2binpad(s, raw + 32, 32);
        return bench_b64url(raw, 64);
    }
}

static void
setup(struct bench *b, const char *alg, const char *dir)
{
    char path[512], *conf = NULL, *jwks = NULL, *key, *hdr, hjson[128];
    struct config *cfg = NULL;
    struct diags d = { 0 };
    size_t i;
    FILE *f;

    key = b->ec ? jwk_test_ec(b->key, "k", 0) :
        jwk_test_rsa(b->key, "k", NULL);
    if (key == NULL || asprintf(&jwks, "{\"keys\":[%s]}", key) < 0)
        bench_die("jwk");
    free(key);
    snprintf(path, sizeof(path), "%s/jwks-%s.json", dir, alg);
    if ((f = fopen(path, "w")) == NULL)
        bench_die("write");
    fputs(jwks, f);
    fclose(f);
    if (asprintf(&conf, "{\"listen\":\"127.0.0.1:1\",\"database\":\"x\","
        "\"ca_keys\":[{\"path\":\"ca\"}],\"policy\":\"p\",\"issuers\":[{"
        "\"issuer\":\"https://idp\",\"audiences\":[\"meshca\"],"
        "\"jwks_file\":\"jwks-%s.json\"}]}", alg) < 0)
        bench_die("alloc");
    snprintf(path, sizeof(path), "%s/c-%s.json", dir, alg);
    if ((f = fopen(path, "w")) == NULL)
        bench_die("write");
    fputs(conf, f);
    fclose(f);
    /* The config must outlive the identity: leaked for the run. */
    if (config_load(path, &cfg, &d) != 0 || identity_new(cfg, &b->id) != 0)
        bench_die("setup");
    snprintf(hjson, sizeof(hjson), "{\"alg\":\"%s\",\"kid\":\"k\","
        "\"typ\":\"JWT\"}", alg);
    hdr = bench_b64url(hjson, strlen(hjson));
    for (i = 0; i < NTOK; i++) {
        char claims[512], *body, *in, *sb;

        snprintf(claims, sizeof(claims), "{\"iss\":\"https://idp\","
            "\"aud\":\"meshca\",\"sub\":\"user-%zu\",\"email\":"
            "\"user-%zu@example.com\",\"email_verified\":true,"
            "\"groups\":[\"payments-oncall\",\"ledger-ro\"],\"iat\":%lld,"
            "\"exp\":%lld,\"jti\":\"j%zu\"}", i, i, (long long)b->now,
            (long long)b->now + 3600, i);
        body = bench_b64url(claims, strlen(claims));
        if (asprintf(&in, "%s.%s", hdr, body) < 0)
            bench_die("alloc");
        sb = jws_sign(b, &b->toks[i], in);
        b->toks[i].input_len = strlen(in);
        if (asprintf(&b->toks[i].token, "%s.%s", in, sb) < 0)
            bench_die("alloc");
        free(in);
        free(sb);
        free(body);
    }
    free(hdr);
    free(jwks);
    free(conf);
}

static void *
worker(void *arg)
{
    struct thr *th = arg;
    struct bench *b = th->b;
    const RSA *rsa = b->ec ? NULL : EVP_PKEY_get0_RSA(b->key);
    const EC_KEY *eck = b->ec ? EVP_PKEY_get0_EC_KEY(b->key) : NULL;
    double t0 = bench_now_s();
    long n = 0;

    do {
        struct tok *t = &b->toks[(th->start + (size_t)n) % NTOK];

        if (th->mode == MODE_IDENTITY) {
            struct claims *c = NULL;
            char why[256];

            if (identity_verify(b->id, t->token, strlen(t->token), b->now, &c,
                why, sizeof(why)) != 0)
                bench_die(why);
            claims_free(c);
        } else if (th->mode == MODE_EVP) {
            EVP_MD_CTX *md = EVP_MD_CTX_new();

            if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, b->key) !=
                1 || EVP_DigestVerify(md, t->sig, t->siglen,
                (const unsigned char *)t->token, t->input_len) != 1)
                bench_die("raw verify");
            EVP_MD_CTX_free(md);
        } else {
            unsigned char h[32];

            SHA256((const unsigned char *)t->token, t->input_len, h);
            if (b->ec ? ECDSA_do_verify(h, 32, t->es, (EC_KEY *)eck) != 1 :
                RSA_verify(NID_sha256, h, 32, t->sig, (unsigned)t->siglen,
                (RSA *)rsa) != 1)
                bench_die("legacy verify");
        }
        n++;
    } while ((n & 15) != 0 || bench_now_s() - t0 < b->secs);
    th->n = n;
    th->elapsed = bench_now_s() - t0;
    return NULL;
}

/* Verifications done in one turn of b->secs by threads threads; adds the
 * thread-seconds spent to *spentp. */
static double
measure(struct bench *b, enum mode mode, int threads, double *spentp)
{
    pthread_t tid[64];
    struct thr th[64];
    double done = 0;
    int i;

    for (i = 0; i < threads; i++) {
        th[i].b = b;
        th[i].mode = mode;
        th[i].start = (size_t)i * (NTOK / (size_t)threads);
        if (pthread_create(&tid[i], NULL, worker, &th[i]) != 0)
            bench_die("thread");
    }
    for (i = 0; i < threads; i++) {
        pthread_join(tid[i], NULL);
        done += (double)th[i].n;
        *spentp += th[i].elapsed;
    }
    return done;
}

static void
run(const char *alg, EVP_PKEY *key, int ec, double secs, const char *dir,
    int cores)
{
    static struct bench b;
    int threads, pass;
    size_t i;

    memset(&b, 0, sizeof(b));
    b.key = key;
    b.ec = ec;
    b.secs = 0.25;
    b.now = (int64_t)time(NULL);
    setup(&b, alg, dir);
    for (pass = 0; pass < 2; pass++) {
        double n[3] = { 0, 0, 0 }, t[3] = { 0, 0, 0 }, id, evp, legacy;
        int turn, m;

        threads = pass == 0 ? 1 : cores;
        if (pass == 1 && cores == 1)
            break;
        for (turn = 0; turn < (int)(secs / b.secs + 0.5) || turn == 0; turn++)
            for (m = 0; m < 3; m++)
                n[m] += measure(&b, (enum mode)m, threads, &t[m]);
        /* rate = verifications per thread-second, times the threads */
        id = n[MODE_IDENTITY] / t[MODE_IDENTITY] * threads;
        evp = n[MODE_EVP] / t[MODE_EVP] * threads;
        legacy = n[MODE_LEGACY] / t[MODE_LEGACY] * threads;
        printf("{\"alg\":\"%s\",\"threads\":%d,\"tokens_per_second\":%.0f,"
            "\"raw_openssl_verifies_per_second\":%.0f,\"ratio\":%.2f,"
            "\"raw_legacy_verifies_per_second\":%.0f,"
            "\"ratio_to_legacy\":%.2f}\n", alg, threads, id, evp, id / evp,
            legacy, id / legacy);
        fflush(stdout);
    }
    for (i = 0; i < NTOK; i++) {
        free(b.toks[i].token);
        ECDSA_SIG_free(b.toks[i].es);
    }
    identity_free(b.id);
}

int
main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 2;
    char dir[] = "/tmp/meshca-bench-id.XXXXXX";
    EVP_PKEY *rsa = EVP_RSA_gen(2048);
    EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    char cmd[64];

    if (rsa == NULL || ec == NULL || mkdtemp(dir) == NULL)
        bench_die("setup");
    if (cores < 1)
        cores = 1;
    if (cores > 64)
        cores = 64;
    run("RS256", rsa, 0, secs, dir, (int)cores);
    run("ES256", ec, 1, secs, dir, (int)cores);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_identity: could not remove %s\n", dir);
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ec);
    return 0;
}
