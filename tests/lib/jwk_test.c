/* JWKs for test keys (see jwk_test.h). */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>

#include "meshca/buf.h"
#include "jwk_test.h"

/* The big-endian bytes of k's parameter name, base64url; NULL on failure. */
static char *
bn_b64u(EVP_PKEY *k, const char *name)
{
    BIGNUM *bn = NULL;
    unsigned char buf[1024];
    char *s = NULL;
    int n;

    if (EVP_PKEY_get_bn_param(k, name, &bn) != 1)
        return NULL;
    if (BN_num_bytes(bn) <= (int)sizeof(buf)) {
        n = BN_bn2bin(bn, buf);
        if (meshca_b64_encode(buf, (size_t)n, 1, &s) != 0)
            s = NULL;
    }
    BN_free(bn);
    return s;
}

char *
jwk_test_rsa(EVP_PKEY *k, const char *kid, const char *extra)
{
    char *n = bn_b64u(k, OSSL_PKEY_PARAM_RSA_N);
    char *e = bn_b64u(k, OSSL_PKEY_PARAM_RSA_E);
    char *s = NULL;

    if (n != NULL && e != NULL &&
        asprintf(&s, "{\"kty\":\"RSA\",\"kid\":\"%s\",\"n\":\"%s\","
        "\"e\":\"%s\"%s%s}", kid, n, e, extra ? "," : "",
        extra ? extra : "") < 0)
        s = NULL;
    free(n);
    free(e);
    return s;
}

char *
jwk_test_ec(EVP_PKEY *k, const char *kid, int off_curve)
{
    unsigned char pt[65];
    size_t len = sizeof(pt);
    char *x = NULL, *y = NULL, *s = NULL;

    if (EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, pt,
        sizeof(pt), &len) != 1 || len != 65)
        return NULL;
    if (off_curve)
        pt[64] ^= 1;
    if (meshca_b64_encode(pt + 1, 32, 1, &x) == 0 &&
        meshca_b64_encode(pt + 33, 32, 1, &y) == 0 &&
        asprintf(&s, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"use\":\"sig\","
        "\"kid\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"}", kid, x, y) < 0)
        s = NULL;
    free(x);
    free(y);
    return s;
}
