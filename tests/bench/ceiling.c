/*
 * ceiling: the benchmark's reference rate (a): how many "one RS256 verify plus
 * one Ed25519 sign" pairs one core does through OpenSSL, measured for
 * --seconds (default 3).  Prints {"rs256_verify_ed25519_sign_per_core": N,
 * "rs256_verify_per_core": V, "ed25519_sign_per_core": S}.  Each verify is of a
 * distinct message and each sign of a distinct message, like the service's.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "common.h"

#define NMSG 256

struct work {
    EVP_PKEY *rsa, *ed;
    unsigned char msg[NMSG][256], sig[NMSG][256];
    size_t siglen[NMSG];
};

/* Verifies the RS256 signature of message k. */
static void
verify(struct work *w, size_t k)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();

    if (ctx == NULL ||
        EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, w->rsa) != 1 ||
        EVP_DigestVerify(ctx, w->sig[k], w->siglen[k], w->msg[k],
        sizeof(w->msg[k])) != 1)
        bench_die("verify");
    EVP_MD_CTX_free(ctx);
}

/* Signs message k with Ed25519. */
static void
sign(struct work *w, size_t k)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char sig[64];
    size_t len = sizeof(sig);

    if (ctx == NULL || EVP_DigestSignInit(ctx, NULL, NULL, NULL, w->ed) != 1 ||
        EVP_DigestSign(ctx, sig, &len, w->msg[k], sizeof(w->msg[k])) != 1)
        bench_die("ed25519 sign");
    EVP_MD_CTX_free(ctx);
}

static void
pair(struct work *w, size_t k)
{
    verify(w, k);
    sign(w, k);
}

/* Calls op on message after message for secs seconds; returns calls/s. */
static double
rate(void (*op)(struct work *, size_t), struct work *w, double secs)
{
    double t0 = bench_now_s(), el;
    uint64_t n = 0;

    do {
        op(w, (size_t)(n % NMSG));
        n++;
    } while ((el = bench_now_s() - t0) < secs);
    return (double)n / el;
}

/* Keys, and NMSG distinct messages with their RS256 signatures. */
static void
prepare(struct work *w)
{
    EVP_MD_CTX *ctx;
    size_t i;

    if ((w->rsa = EVP_RSA_gen(2048)) == NULL ||
        (w->ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL)
        bench_die("keygen");
    for (i = 0; i < NMSG; i++) {
        memset(w->msg[i], 'a' + (int)(i % 26), sizeof(w->msg[i]));
        w->msg[i][0] = (unsigned char)i;
        w->siglen[i] = sizeof(w->sig[i]);
        if ((ctx = EVP_MD_CTX_new()) == NULL ||
            EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, w->rsa) != 1 ||
            EVP_DigestSign(ctx, w->sig[i], &w->siglen[i], w->msg[i],
            sizeof(w->msg[i])) != 1)
            bench_die("rsa sign");
        EVP_MD_CTX_free(ctx);
    }
}

int
main(int argc, char **argv)
{
    static struct work w;
    double secs = 3, pair_rate, ver_rate, sign_rate;

    if (argc == 3 && strcmp(argv[1], "--seconds") == 0)
        secs = atof(argv[2]);
    prepare(&w);
    pair_rate = rate(pair, &w, secs);
    ver_rate = rate(verify, &w, secs / 2);
    sign_rate = rate(sign, &w, secs / 2);
    printf("{\"rs256_verify_ed25519_sign_per_core\":%.0f,"
        "\"rs256_verify_per_core\":%.0f,\"ed25519_sign_per_core\":%.0f}\n",
        pair_rate, ver_rate, sign_rate);
    EVP_PKEY_free(w.rsa);
    EVP_PKEY_free(w.ed);
    return 0;
}
