/* Unit tests for ca/cakey.c's external signers (struct cakey_signer): the
 * hashing, DigestInfo and SSH signature formats libmeshca wraps around a
 * token's raw primitive.  The "token" here is an in-memory OpenSSL key run
 * through the same raw operations a PKCS#11 token performs (CKM_EDDSA,
 * CKM_ECDSA giving r || s, CKM_RSA_PKCS over the caller's DigestInfo); the
 * real token is exercised by tests/integration/test_hsm_pkcs11.sh. */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "meshca/buf.h"
#include "meshca/cakey.h"
#include "meshca/key.h"
#include "../../lib/unit.h"

struct rawkey {
    EVP_PKEY *pkey;         /* borrowed from the in-memory cakey */
    int down;               /* answer MESHCA_ERR_CAKEY_UNAVAILABLE */
    int calls;
    size_t ec_half;         /* ECDSA: bytes of r and of s */
};

/* ECDSA DER -> r || s, each half bytes, left-padded. */
static int
der_to_rs(const uint8_t *der, size_t len, size_t half, uint8_t *out)
{
    const unsigned char *p = der;
    ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)len);
    const BIGNUM *r = NULL, *ss = NULL;
    int ok;

    if (s == NULL)
        return -1;
    ECDSA_SIG_get0(s, &r, &ss);
    ok = BN_bn2binpad(r, out, (int)half) == (int)half &&
        BN_bn2binpad(ss, out + half, (int)half) == (int)half;
    ECDSA_SIG_free(s);
    return ok ? 0 : -1;
}

static int
raw_sign(void *ctx, const uint8_t *tbs, size_t tbslen, uint8_t *sig,
    size_t *siglenp)
{
    struct rawkey *rk = ctx;
    EVP_PKEY_CTX *pc = NULL;
    EVP_MD_CTX *mc = NULL;
    uint8_t der[256];
    size_t dl = sizeof(der);
    int r = MESHCA_ERR_LIBCRYPTO;

    rk->calls++;
    if (rk->down)
        return MESHCA_ERR_CAKEY_UNAVAILABLE;
    switch (EVP_PKEY_get_base_id(rk->pkey)) {
    case EVP_PKEY_ED25519:
        if ((mc = EVP_MD_CTX_new()) != NULL &&
            EVP_DigestSignInit(mc, NULL, NULL, NULL, rk->pkey) == 1 &&
            EVP_DigestSign(mc, sig, siglenp, tbs, tbslen) == 1)
            r = 0;
        break;
    case EVP_PKEY_EC:
        if ((pc = EVP_PKEY_CTX_new(rk->pkey, NULL)) != NULL &&
            EVP_PKEY_sign_init(pc) == 1 &&
            EVP_PKEY_sign(pc, der, &dl, tbs, tbslen) == 1 &&
            *siglenp >= 2 * rk->ec_half &&
            der_to_rs(der, dl, rk->ec_half, sig) == 0) {
            *siglenp = 2 * rk->ec_half;
            r = 0;
        }
        break;
    case EVP_PKEY_RSA:
        /* No digest set: PKCS#1 v1.5 type 1 over tbs as given. */
        if ((pc = EVP_PKEY_CTX_new(rk->pkey, NULL)) != NULL &&
            EVP_PKEY_sign_init(pc) == 1 &&
            EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1 &&
            EVP_PKEY_sign(pc, sig, siglenp, tbs, tbslen) == 1)
            r = 0;
        break;
    }
    EVP_PKEY_CTX_free(pc);
    EVP_MD_CTX_free(mc);
    return r;
}

static int
raw_status(void *ctx, char *why, size_t whylen)
{
    struct rawkey *rk = ctx;

    if (!rk->down)
        return 0;
    snprintf(why, whylen, "token away");
    return MESHCA_ERR_CAKEY_UNAVAILABLE;
}

static int g_freed;

static void
raw_free(void *ctx)
{
    (void)ctx;
    g_freed++;
}

/* A signer-backed key for the in-memory key mem (which stays the caller's). */
static struct cakey *
wrap(const struct cakey *mem, struct rawkey *rk)
{
    struct cakey_signer sg = { raw_sign, raw_status, raw_free, rk };
    struct meshca_key *pub = NULL;
    struct cakey *k = NULL;
    const uint8_t *blob;
    size_t len;

    memset(rk, 0, sizeof(*rk));
    rk->pkey = cakey_evp(mem);
    rk->ec_half = (size_t)(EVP_PKEY_get_bits(rk->pkey) + 7) / 8;
    blob = meshca_key_blob(cakey_public(mem), &len);
    ASSERT_OK(meshca_key_from_blob(blob, len, &pub));
    ASSERT_OK(cakey_from_signer(pub, &sg, &k));
    return k;
}

TEST(test_cakey_signer_formats_verify_for_every_kind)
{
    static const enum cakey_kind kinds[] = { CAKEY_ED25519, CAKEY_ECDSA_P256,
        CAKEY_ECDSA_P384, CAKEY_RSA_3072 };
    static const char *const algs[] = { "ssh-ed25519", "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384", "rsa-sha2-512" };
    const char msg[] = "certificate bytes to sign";
    struct cakey *mem, *k;
    struct rawkey rk;
    struct meshca_buf *sig;
    size_t i, round;

    for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        ASSERT_OK(cakey_new(kinds[i], &mem));
        k = wrap(mem, &rk);
        ASSERT(cakey_is_external(k));
        ASSERT(!cakey_is_external(mem));
        ASSERT(cakey_evp(k) == NULL);
        ASSERT_STR_EQ(cakey_sig_alg(k), algs[i]);
        ASSERT(meshca_key_equal(cakey_public(k), cakey_public(mem)));
        /* ECDSA r or s with a leading zero byte must still come out as a
         * minimal mpint: sign enough times to meet one. */
        for (round = 0; round < 400; round++) {
            ASSERT((sig = meshca_buf_new(4096)) != NULL);
            ASSERT_OK(cakey_sign(k, msg, sizeof(msg) - 1, sig));
            ASSERT_OK(cakey_verify(cakey_public(k), meshca_buf_ptr(sig),
                meshca_buf_len(sig), msg, sizeof(msg) - 1));
            ASSERT_ERR(cakey_verify(cakey_public(k), meshca_buf_ptr(sig),
                meshca_buf_len(sig), "other", 5), MESHCA_ERR_SIGNATURE_INVALID);
            meshca_buf_free(sig);
            if (kinds[i] == CAKEY_ED25519 || kinds[i] == CAKEY_RSA_3072)
                break;
        }
        ASSERT(rk.calls >= 1);
        g_freed = 0;
        cakey_free(k);
        ASSERT_INT_EQ(g_freed, 1);
        cakey_free(mem);
    }
}

TEST(test_cakey_signer_unavailable_signs_nothing_and_reports_why)
{
    struct cakey *mem, *k;
    struct rawkey rk;
    struct meshca_buf *sig;
    char why[64] = "";
    BIO *bio;

    ASSERT_OK(cakey_new(CAKEY_ECDSA_P256, &mem));
    k = wrap(mem, &rk);
    ASSERT_OK(cakey_status(k, why, sizeof(why)));
    ASSERT_OK(cakey_status(mem, why, sizeof(why)));
    rk.down = 1;
    ASSERT((sig = meshca_buf_new(4096)) != NULL);
    ASSERT_OK(meshca_buf_put_u32(sig, 7));
    ASSERT_ERR(cakey_sign(k, "x", 1, sig), MESHCA_ERR_CAKEY_UNAVAILABLE);
    ASSERT_INT_EQ(meshca_buf_len(sig), 4); /* out unchanged */
    ASSERT_ERR(cakey_status(k, why, sizeof(why)), MESHCA_ERR_CAKEY_UNAVAILABLE);
    ASSERT_STR_EQ(why, "token away");
    /* A token key is never written out. */
    ASSERT((bio = BIO_new(BIO_s_mem())) != NULL);
    ASSERT_ERR(cakey_write_pem(k, bio), MESHCA_ERR_INVALID_ARGUMENT);
    ASSERT_INT_EQ(BIO_pending(bio), 0);
    BIO_free(bio);
    meshca_buf_free(sig);
    cakey_free(k);
    cakey_free(mem);
}

TEST(test_cakey_signer_keys_join_a_rotation_set)
{
    struct cakey *mem, *keys[2];
    struct rawkey rk;
    enum cakey_state states[2] = { CAKEY_NEXT, CAKEY_ACTIVE };
    struct cakey_set *set = NULL;
    char *text = NULL;

    ASSERT_OK(cakey_new(CAKEY_ED25519, &mem));
    ASSERT_OK(cakey_new(CAKEY_ECDSA_P384, &keys[1]));
    keys[0] = wrap(mem, &rk);
    ASSERT_OK(cakey_set_from_keys(keys, states, 2, &set));
    ASSERT_OK(cakey_set_trusted_text(set, &text));
    ASSERT(strstr(text, "ecdsa-sha2-nistp384 ") == text);
    ASSERT(strstr(text, "ssh-ed25519 ") != NULL);
    ASSERT(strstr(text, "meshca-ca:next") != NULL);
    free(text);
    g_freed = 0;
    cakey_set_free(set);
    ASSERT_INT_EQ(g_freed, 1);
    cakey_free(mem);
}

TEST(test_cakey_signer_refuses_missing_hook)
{
    struct cakey_signer sg = { NULL, NULL, NULL, NULL };
    struct cakey *mem, *k = (struct cakey *)1;
    struct meshca_key *pub = NULL;
    const uint8_t *blob;
    size_t len;

    ASSERT_OK(cakey_new(CAKEY_ED25519, &mem));
    blob = meshca_key_blob(cakey_public(mem), &len);
    ASSERT_OK(meshca_key_from_blob(blob, len, &pub));
    ASSERT_ERR(cakey_from_signer(pub, &sg, &k), MESHCA_ERR_INVALID_ARGUMENT);
    ASSERT(k == NULL);
    meshca_key_free(pub); /* still the caller's */
    cakey_free(mem);
}

UNIT_MAIN(T(test_cakey_signer_formats_verify_for_every_kind),
    T(test_cakey_signer_unavailable_signs_nothing_and_reports_why),
    T(test_cakey_signer_keys_join_a_rotation_set),
    T(test_cakey_signer_refuses_missing_hook))
