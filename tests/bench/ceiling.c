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

int
main(int argc, char **argv)
{
    double secs = 3, t0, el;
    EVP_PKEY *rsa, *ed;
    unsigned char msg[NMSG][256], sig[NMSG][256], edsig[64];
    size_t siglen[NMSG], el64;
    uint64_t n_pair = 0, n_ver = 0, n_sign = 0;
    EVP_MD_CTX *ctx;
    int i;

    if (argc == 3 && strcmp(argv[1], "--seconds") == 0)
        secs = atof(argv[2]);
    if ((rsa = EVP_RSA_gen(2048)) == NULL ||
        (ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL)
        bench_die("keygen");
    for (i = 0; i < NMSG; i++) {
        memset(msg[i], 'a' + i % 26, sizeof(msg[i]));
        msg[i][0] = (unsigned char)i;
        siglen[i] = sizeof(sig[i]);
        ctx = EVP_MD_CTX_new();
        if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, rsa) != 1 ||
            EVP_DigestSign(ctx, sig[i], &siglen[i], msg[i], sizeof(msg[i])) != 1)
            bench_die("rsa sign");
        EVP_MD_CTX_free(ctx);
    }
#define VERIFY(k)                                                              \
    do {                                                                       \
        ctx = EVP_MD_CTX_new();                                                \
        if (EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, rsa) != 1 ||   \
            EVP_DigestVerify(ctx, sig[k], siglen[k], msg[k],                   \
                sizeof(msg[k])) != 1)                                          \
            bench_die("verify");                                               \
        EVP_MD_CTX_free(ctx);                                                  \
    } while (0)
#define SIGN(k)                                                                \
    do {                                                                       \
        el64 = sizeof(edsig);                                                  \
        ctx = EVP_MD_CTX_new();                                                \
        if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, ed) != 1 ||              \
            EVP_DigestSign(ctx, edsig, &el64, msg[k], sizeof(msg[k])) != 1)    \
            bench_die("ed25519 sign");                                         \
        EVP_MD_CTX_free(ctx);                                                  \
    } while (0)
    t0 = bench_now_s();
    do {
        VERIFY(n_pair % NMSG);
        SIGN(n_pair % NMSG);
        n_pair++;
    } while ((el = bench_now_s() - t0) < secs);
    double pair_rate = (double)n_pair / el;
    t0 = bench_now_s();
    do {
        VERIFY(n_ver % NMSG);
        n_ver++;
    } while ((el = bench_now_s() - t0) < secs / 2);
    double ver_rate = (double)n_ver / el;
    t0 = bench_now_s();
    do {
        SIGN(n_sign % NMSG);
        n_sign++;
    } while ((el = bench_now_s() - t0) < secs / 2);
    double sign_rate = (double)n_sign / el;
    printf("{\"rs256_verify_ed25519_sign_per_core\":%.0f,"
        "\"rs256_verify_per_core\":%.0f,\"ed25519_sign_per_core\":%.0f}\n",
        pair_rate, ver_rate, sign_rate);
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ed);
    return 0;
}
