/*
 * Unit tests for api/identity.c and api/jwks.c: genuine RS256/ES256 tokens
 * verify with every claim extracted, and the attack suite — every forged,
 * stale, misdirected or malformed token is refused, each with its own
 * reason.  Keys are made here with OpenSSL; the issuers' keys come from
 * jwks_files written to a temp dir (no network).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include "meshca/buf.h"
#include "../../../api/config.h"
#include "../../../api/identity.h"
#include "../../../api/jwks.h"
#include "../../../api/meshcad_err.h"
#include "../../lib/jwk_test.h"
#include "../../lib/unit.h"

#define ISS "https://idp.test"
#define ISS2 "https://other-idp.test"

static EVP_PKEY *rsa_key, *ec_key, *rsa_other, *attacker, *ec_attacker,
    *weak_rsa, *enc_rsa;
static struct config *cfg;
static struct identity *id;
static int64_t now;

static char *
b64u(const void *d, size_t n)
{
    char *s = NULL;

    if (meshca_b64_encode(d, n, 1, &s) != 0)
        unit_fail(__FILE__, __LINE__, "b64");
    return s;
}

/* r||s of an ECDSA P-256 signature over input. */
static void
es256_sign(EVP_PKEY *key, const char *input, unsigned char raw[64])
{
    unsigned char der[128];
    size_t dl = sizeof(der);
    const unsigned char *dp = der;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    ECDSA_SIG *es;
    const BIGNUM *r, *s;

    if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSign(md, der, &dl, (const unsigned char *)input,
            strlen(input)) != 1 ||
        (es = d2i_ECDSA_SIG(NULL, &dp, (long)dl)) == NULL)
        unit_fail(__FILE__, __LINE__, "es256 sign");
    ECDSA_SIG_get0(es, &r, &s);
    BN_bn2binpad(r, raw, 32);
    BN_bn2binpad(s, raw + 32, 32);
    ECDSA_SIG_free(es);
    EVP_MD_CTX_free(md);
}

/* The signing input: header and payload (JSON text), each base64url. */
static char *
signing_input(const char *header, const char *payload)
{
    char *h = b64u(header, strlen(header)), *p = b64u(payload, strlen(payload));
    char *input = NULL;

    if (asprintf(&input, "%s.%s", h, p) < 0)
        unit_fail(__FILE__, __LINE__, "alloc");
    free(h);
    free(p);
    return input;
}

/* input.signature, the signature base64url; a new token. */
static char *
with_signature(const char *input, const void *sig, size_t len)
{
    char *s = b64u(sig, len), *tok = NULL;

    if (asprintf(&tok, "%s.%s", input, s) < 0)
        tok = NULL;
    free(s);
    return tok;
}

/* header.payload (given as JSON text) signed with key for alg: RS256,
 * PS256, ES256, or "none" (empty signature).  Returns a new token. */
static char *
sign_token(const char *header, const char *payload, EVP_PKEY *key,
    const char *alg)
{
    char *input = signing_input(header, payload), *tok;
    unsigned char raw[1024];
    size_t rl = sizeof(raw);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;

    if (strcmp(alg, "ES256") == 0) {
        es256_sign(key, input, raw);
        rl = 64;
    } else if (strcmp(alg, "RS256") == 0 || strcmp(alg, "PS256") == 0) {
        if (EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL, key) != 1 ||
            (alg[0] == 'P' && (EVP_PKEY_CTX_set_rsa_padding(pctx,
            RSA_PKCS1_PSS_PADDING) != 1 ||
            EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) !=
            1)) ||
            EVP_DigestSign(md, raw, &rl, (unsigned char *)input,
                strlen(input)) != 1)
            unit_fail(__FILE__, __LINE__, "rsa sign");
    } else
        rl = 0;
    tok = with_signature(input, raw, rl);
    EVP_MD_CTX_free(md);
    free(input);
    return tok;
}

/* header.payload MACed with HS256 under secret. */
static char *
sign_hs256(const char *header, const char *payload, const void *secret,
    size_t slen)
{
    char *input = signing_input(header, payload), *tok;
    unsigned char mac[32];
    unsigned int ml = sizeof(mac);

    if (HMAC(EVP_sha256(), secret, (int)slen, (unsigned char *)input,
        strlen(input), mac, &ml) == NULL)
        unit_fail(__FILE__, __LINE__, "hmac");
    tok = with_signature(input, mac, ml);
    free(input);
    return tok;
}

/*
 * A valid claim set for ISS with patch applied: patch is a JSON object
 * whose members replace the defaults (a null member removes the claim).
 * Defaults: aud "meshca", sub alice, email, email_verified, two groups,
 * iat now, exp now + 300, jti "j-1".
 */
static char *
payload(const char *patch)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:[s,s], s:I, s:I, s:s}",
        "iss", ISS, "aud", "meshca", "sub", "alice", "email",
        "alice@example.com", "email_verified", 1, "groups", "payments-oncall",
        "ledger-ro", "iat", (json_int_t)now, "exp", (json_int_t)now + 300,
        "jti", "j-1");
    json_t *p = patch ? json_loads(patch, 0, NULL) : NULL, *v;
    const char *k;
    char *s;
    void *tmp;

    if (o == NULL || (patch != NULL && p == NULL))
        unit_fail(__FILE__, __LINE__, "payload patch %s", patch);
    json_object_foreach_safe(p, tmp, k, v) {
        if (json_is_null(v))
            json_object_del(o, k);
        else
            json_object_set(o, k, v);
    }
    s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    json_decref(p);
    return s;
}

/* payload() with iat and exp given. */
static char *
payload_at(int64_t iat, int64_t exp, const char *patch)
{
    char base[128], *merged = NULL, *s;

    snprintf(base, sizeof(base), "{\"iat\":%lld,\"exp\":%lld", (long long)iat,
        (long long)exp);
    if (asprintf(&merged, "%s%s%s", base, patch ? "," : "}", patch ? patch + 1 :
        "") < 0)
        unit_fail(__FILE__, __LINE__, "alloc");
    s = payload(merged);
    free(merged);
    return s;
}

static void
write_config(const char *dir, const char *issuers, const char *name)
{
    char path[512], *conf = NULL;

    if (asprintf(&conf, "{\"listen\":\"127.0.0.1:1\",\"database\":\"x\","
        "\"ca_keys\":[{\"path\":\"ca.pem\"}],\"policy\":\"p.json\","
        "\"issuers\":[%s]}", issuers) < 0)
        unit_fail(__FILE__, __LINE__, "alloc");
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    unit_write_file(path, conf, strlen(conf));
    free(conf);
}

static int
load_config(const char *name, struct config **cfgp)
{
    char path[512];
    struct diags d = { 0 };
    int r;

    snprintf(path, sizeof(path), "%s/%s", unit_tmpdir(), name);
    r = config_load(path, cfgp, &d);
    diags_clear(&d);
    return r;
}

static void
setup(void)
{
    const char *dir = unit_tmpdir();
    char path[512], *j[8], *jwks = NULL;
    size_t i;

    now = (int64_t)time(NULL);
    if (rsa_key == NULL) {
        rsa_key = EVP_RSA_gen(2048);
        rsa_other = EVP_RSA_gen(2048);
        attacker = EVP_RSA_gen(2048);
        weak_rsa = EVP_RSA_gen(1024);
        enc_rsa = EVP_RSA_gen(2048);
        ec_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        ec_attacker = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        if (rsa_key == NULL || rsa_other == NULL || attacker == NULL ||
            weak_rsa == NULL || enc_rsa == NULL || ec_key == NULL ||
            ec_attacker == NULL)
            unit_fail(__FILE__, __LINE__, "keygen");
    }
    /* Issuer 1: two usable keys, and five that must never be used: an oct
     * key, an encryption key, a 1024-bit key, an EC point off the curve and
     * a key published with its private exponent. */
    j[0] = jwk_test_rsa(rsa_key, "rsa-1", "\"use\":\"sig\",\"alg\":\"RS256\"");
    j[1] = jwk_test_ec(ec_key, "ec-1", 0);
    j[2] = strdup("{\"kty\":\"oct\",\"kid\":\"hmac-1\",\"alg\":\"HS256\","
        "\"k\":\"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA\"}");
    j[3] = jwk_test_rsa(enc_rsa, "enc-1", "\"use\":\"enc\"");
    j[4] = jwk_test_rsa(weak_rsa, "weak-1", NULL);
    j[5] = jwk_test_ec(ec_attacker, "bad-ec", 1);
    j[6] = jwk_test_rsa(attacker, "priv-1", "\"d\":\"AQAB\"");
    for (i = 0; i < 7; i++)
        if (j[i] == NULL)
            unit_fail(__FILE__, __LINE__, "jwk");
    if (asprintf(&jwks, "{\"keys\":[%s,%s,%s,%s,%s,%s,%s]}", j[0], j[1], j[2],
        j[3], j[4], j[5], j[6]) < 0)
        unit_fail(__FILE__, __LINE__, "alloc");
    snprintf(path, sizeof(path), "%s/jwks.json", dir);
    unit_write_file(path, jwks, strlen(jwks));
    free(jwks);
    for (i = 0; i < 7; i++)
        free(j[i]);
    /* Issuer 2: one key. */
    if ((j[0] = jwk_test_rsa(rsa_other, "other-1", NULL)) == NULL)
        unit_fail(__FILE__, __LINE__, "jwk");
    if (asprintf(&jwks, "{\"keys\":[%s]}", j[0]) < 0)
        unit_fail(__FILE__, __LINE__, "alloc");
    snprintf(path, sizeof(path), "%s/jwks2.json", dir);
    unit_write_file(path, jwks, strlen(jwks));
    free(jwks);
    free(j[0]);
    write_config(dir, "{\"issuer\":\"" ISS "\",\"audiences\":[\"meshca\","
        "\"meshca-web\"],\"jwks_file\":\"jwks.json\"},{\"issuer\":\"" ISS2 "\","
        "\"audiences\":[\"meshca\"],\"jwks_file\":\"jwks2.json\","
        "\"algorithms\":[\"RS256\",\"PS256\"],\"email_verified_string\":true}",
        "meshcad.json");
    if (load_config("meshcad.json", &cfg) != 0)
        unit_fail(__FILE__, __LINE__, "config");
    ASSERT_OK(identity_new(cfg, &id));
}

static void
teardown(void)
{
    identity_free(id);
    config_free(cfg);
    id = NULL;
    cfg = NULL;
}

static void
check_reason_clean(const char *name, const char *tok, const char *why)
{
    const char *dot = strchr(tok, '.'), *p;
    char piece[17];

    for (p = why; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            unit_fail(__FILE__, __LINE__, "%s: control byte in reason", name);
    /* The reason never quotes the token: neither its signature nor its
     * payload. */
    if (strlen(tok) > 40 && strstr(why, tok + strlen(tok) - 16) != NULL)
        unit_fail(__FILE__, __LINE__, "%s: reason quotes the token", name);
    if (dot != NULL && strlen(dot + 1) > 16) {
        memcpy(piece, dot + 1, 16);
        piece[16] = '\0';
        if (strstr(why, piece) != NULL)
            unit_fail(__FILE__, __LINE__, "%s: reason quotes the payload",
                name);
    }
}

/* Verifies tok (len bytes) and expects code with why containing part. */
static void
expect_len(const char *name, const char *tok, size_t len, int code,
    const char *part)
{
    struct claims *c = NULL;
    char why[512];
    int r = identity_verify(id, tok, len, now, &c, why, sizeof(why));

    if (r != code || c != NULL)
        unit_fail(__FILE__, __LINE__, "%s: r=%d, want %d (%s)", name, r, code,
            r == 0 ? "accepted" : why);
    if (strstr(why, part) == NULL)
        unit_fail(__FILE__, __LINE__, "%s: reason \"%s\" lacks \"%s\"", name,
            why, part);
    check_reason_clean(name, tok, why);
}

static void
expect_refused(const char *name, const char *tok, const char *part)
{
    expect_len(name, tok, strlen(tok), MESHCA_ERR_TOKEN_INVALID, part);
}

/* Signs and expects a refusal; frees the claim text. */
static void
refuse(const char *name, const char *header, char *claims, EVP_PKEY *key,
    const char *alg, const char *part)
{
    char *t = sign_token(header, claims, key, alg);

    expect_refused(name, t, part);
    free(t);
    free(claims);
}

/* refuse() for a header: the default claims, signed RS256 with rsa_key. */
static void
refuse_header(const char *name, const char *header, const char *part)
{
    refuse(name, header, payload(NULL), rsa_key, "RS256", part);
}

static struct claims *
accept(const char *tok)
{
    struct claims *c = NULL;
    char why[512];
    int r = identity_verify(id, tok, strlen(tok), now, &c, why, sizeof(why));

    if (r != 0)
        unit_fail(__FILE__, __LINE__, "refused: %s", why);
    return c;
}

/* Signs and expects acceptance; frees the claim text.  The caller frees the
 * claims returned. */
static struct claims *
accept_signed(const char *header, char *claims, EVP_PKEY *key,
    const char *alg)
{
    char *t = sign_token(header, claims, key, alg);
    struct claims *c = accept(t);

    free(t);
    free(claims);
    return c;
}

#define HDR_RS "{\"alg\":\"RS256\",\"kid\":\"rsa-1\"}"
#define HDR_ES "{\"alg\":\"ES256\",\"kid\":\"ec-1\"}"

TEST(test_identity_accepts_genuine_tokens_with_every_claim)
{
    struct claims *c;
    char *cl, *t;

    setup();
    {
        char patch[256];

        snprintf(patch, sizeof(patch), "{\"nonce\":\"n1\",\"name\":\"Alice\","
            "\"aud\":[\"meshca\",\"other\"],\"azp\":\"meshca\",\"nbf\":%lld,"
            "\"auth_time\":%lld,\"custom\":{\"x\":1}}", (long long)now - 10,
            (long long)now - 20);
        cl = payload_at(now - 5, now + 300, patch);
    }
    t = sign_token(HDR_RS, cl, rsa_key, "RS256");
    c = accept(t);
    ASSERT_STR_EQ(c->iss, ISS);
    ASSERT_STR_EQ(c->sub, "alice");
    ASSERT_STR_EQ(c->email, "alice@example.com");
    ASSERT(c->email_verified);
    ASSERT_INT_EQ(c->ngroups, 2);
    ASSERT_STR_EQ(c->groups[0], "payments-oncall");
    ASSERT_STR_EQ(c->groups[1], "ledger-ro");
    ASSERT_STR_EQ(c->name, "Alice");
    ASSERT_STR_EQ(c->nonce, "n1");
    ASSERT_STR_EQ(c->azp, "meshca");
    ASSERT_STR_EQ(c->jti, "j-1");
    ASSERT_STR_EQ(c->replay_id, "j-1");
    ASSERT_INT_EQ(c->iat, now - 5);
    ASSERT_INT_EQ(c->exp, now + 300);
    ASSERT_INT_EQ(c->nbf, now - 10);
    ASSERT_INT_EQ(c->auth_time, now - 20);
    ASSERT(json_integer_value(json_object_get(json_object_get(c->raw,
        "custom"), "x")) == 1);
    claims_free(c);
    free(t);
    /* ES256 with the same claims. */
    t = sign_token(HDR_ES, cl, ec_key, "ES256");
    c = accept(t);
    ASSERT_STR_EQ(c->sub, "alice");
    claims_free(c);
    free(t);
    free(cl);
    /* Headers real providers send: typ JWT, x5t (a thumbprint, ignored). */
    claims_free(accept_signed("{\"alg\":\"RS256\",\"kid\":\"rsa-1\","
        "\"typ\":\"JWT\",\"x5t\":\"bm90LXVzZWQ\"}", payload(NULL), rsa_key,
        "RS256"));
    /* The second audience of the issuer is accepted too. */
    claims_free(accept_signed(HDR_RS, payload("{\"aud\":\"meshca-web\"}"),
        rsa_key, "RS256"));
    /* Expired 30 s ago, within the 60 s leeway. */
    claims_free(accept_signed(HDR_RS, payload_at(now - 200, now - 30, NULL),
        rsa_key, "RS256"));
    teardown();
}

TEST(test_identity_accepts_kidless_token_when_the_set_has_one_key)
{
    struct claims *c;
    char *cl, *t;

    setup();
    cl = payload("{\"iss\":\"" ISS2 "\"}");
    t = sign_token("{\"alg\":\"RS256\"}", cl, rsa_other, "RS256");
    c = accept(t);
    ASSERT_STR_EQ(c->iss, ISS2);
    claims_free(c);
    free(t);
    /* PS256, allowed for this issuer. */
    t = sign_token("{\"alg\":\"PS256\",\"kid\":\"other-1\"}", cl, rsa_other,
        "PS256");
    claims_free(accept(t));
    free(t);
    free(cl);
    teardown();
}

/* Without a jti the replay id covers the signed part only: the same token
 * with its ECDSA signature re-encoded as (r, n - s) still verifies, and
 * still has the same replay id, so it cannot pass as a new token. */
TEST(test_identity_replay_id_survives_signature_malleability)
{
    static const char order[] = "FFFFFFFF00000000FFFFFFFFFFFFFFFF"
        "BCE6FAADA7179E84F3B9CAC2FC632551";
    struct claims *c1, *c2;
    char *cl, *t, *t2 = NULL, *sig2, *dot, *input = NULL;
    uint8_t *raw = NULL;
    size_t rl = 0;
    BIGNUM *n = NULL, *s = NULL;
    unsigned char h[32], ns[64];
    char want[65];
    size_t i;

    setup();
    cl = payload("{\"jti\":null}");
    t = sign_token(HDR_ES, cl, ec_key, "ES256");
    dot = strrchr(t, '.');
    ASSERT_OK(meshca_b64_decode(dot + 1, strlen(dot + 1), 1, &raw, &rl));
    ASSERT_INT_EQ(rl, 64);
    ASSERT(BN_hex2bn(&n, order) > 0);
    ASSERT((s = BN_bin2bn(raw + 32, 32, NULL)) != NULL);
    ASSERT(BN_sub(s, n, s) == 1);
    memcpy(ns, raw, 32);
    ASSERT(BN_bn2binpad(s, ns + 32, 32) == 32);
    sig2 = b64u(ns, 64);
    ASSERT(asprintf(&t2, "%.*s.%s", (int)(dot - t), t, sig2) > 0);
    ASSERT(strcmp(t, t2) != 0);
    c1 = accept(t);
    c2 = accept(t2);
    ASSERT(c1->jti == NULL);
    ASSERT_STR_EQ(c1->replay_id, c2->replay_id);
    ASSERT(asprintf(&input, "%.*s", (int)(dot - t), t) > 0);
    SHA256((const unsigned char *)input, strlen(input), h);
    for (i = 0; i < 32; i++)
        snprintf(want + 2 * i, 3, "%02x", h[i]);
    ASSERT_STR_EQ(c1->replay_id, want);
    claims_free(c1);
    claims_free(c2);
    /* A jti longer than 64 bytes is hashed. */
    free(cl);
    free(t);
    cl = payload("{\"jti\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}");
    t = sign_token(HDR_RS, cl, rsa_key, "RS256");
    c1 = accept(t);
    ASSERT_INT_EQ(strlen(c1->replay_id), 64);
    ASSERT(strcmp(c1->replay_id, c1->jti) != 0);
    claims_free(c1);
    BN_free(n);
    BN_free(s);
    free(raw);
    free(sig2);
    free(input);
    free(t2);
    free(t);
    free(cl);
    teardown();
}

TEST(test_identity_refuses_stale_and_misdirected_tokens)
{
    setup();
    refuse("expired", HDR_RS, payload_at(now - 600, now - 120, NULL), rsa_key,
        "RS256", "token expired 120 s ago");
    refuse("not yet valid", HDR_RS, payload("{\"nbf\":99999999999}"), rsa_key,
        "RS256", "token not valid yet");
    refuse("issued in the future", HDR_RS, payload_at(now + 3600, now + 7200,
        NULL), rsa_key, "RS256", "token issued in the future");
    refuse("too old", HDR_RS, payload_at(now - 3600, now + 600, NULL), rsa_key,
        "RS256", "token too old: issued 3600 s ago, at most 600 s");
    {
        char patch[64];

        snprintf(patch, sizeof(patch), "{\"auth_time\":%lld}",
            (long long)now - 7200);
        refuse("authentication too old (auth_time)", HDR_RS, payload(patch),
            rsa_key, "RS256", "the person authenticated 7200 s ago");
        snprintf(patch, sizeof(patch), "{\"auth_time\":%lld}",
            (long long)now + 7200);
        refuse("auth_time in the future", HDR_RS, payload(patch), rsa_key,
            "RS256", "auth_time is in the future");
    }
    refuse("wrong issuer", HDR_RS, payload("{\"iss\":\"https://evil.test\"}"),
        rsa_key, "RS256", "issuer https://evil.test is not trusted");
    refuse("issuer differing by a trailing slash", HDR_RS,
        payload("{\"iss\":\"" ISS "/\"}"), rsa_key, "RS256", "is not trusted");
    refuse("no issuer", HDR_RS, payload("{\"iss\":null}"), rsa_key, "RS256",
        "iss is missing");
    refuse("wrong audience", HDR_RS, payload("{\"aud\":\"other-app\"}"),
        rsa_key, "RS256", "audience is not this service's");
    refuse("no audience", HDR_RS, payload("{\"aud\":null}"), rsa_key, "RS256",
        "aud is missing");
    refuse("audience array of numbers", HDR_RS, payload("{\"aud\":[1]}"),
        rsa_key, "RS256", "aud must be a string or an array of strings");
    refuse("several audiences, azp missing", HDR_RS,
        payload("{\"aud\":[\"meshca\",\"other\"]}"), rsa_key, "RS256",
        "several audiences and azp is missing");
    refuse("several audiences, azp someone else", HDR_RS,
        payload("{\"aud\":[\"meshca\",\"other\"],\"azp\":\"other\"}"), rsa_key,
        "RS256", "azp is not this service's audience");
    refuse("one audience, azp someone else", HDR_RS,
        payload("{\"azp\":\"other\"}"), rsa_key, "RS256",
        "azp is not this service's audience");
    /* A token of issuer 1 signed with a key from issuer 2's set. */
    refuse("kid from another issuer's set", "{\"alg\":\"RS256\","
        "\"kid\":\"other-1\"}", payload(NULL), rsa_other, "RS256",
        "unknown key id (kid) other-1");
    refuse("another issuer's key under our kid", HDR_RS, payload(NULL),
        rsa_other, "RS256", "signature verification failed");
    refuse("issuer 2's token under issuer 1's kid", HDR_RS,
        payload("{\"iss\":\"" ISS2 "\"}"), rsa_key, "RS256",
        "unknown key id (kid) rsa-1");
    teardown();
}

TEST(test_identity_refuses_forged_algorithms_and_keys)
{
    char *cl, *t, *pem = NULL;
    long pl;
    BIO *bio;

    setup();
    refuse("alg none", "{\"alg\":\"none\"}", payload(NULL), NULL, "none",
        "alg none is not allowed for this issuer");
    refuse("alg none with a kid", "{\"alg\":\"none\",\"kid\":\"rsa-1\"}",
        payload(NULL), NULL, "none", "alg none is not allowed");
    refuse("alg NONE", "{\"alg\":\"NONE\"}", payload(NULL), NULL, "none",
        "alg NONE is not allowed");
    /* HS256 keyed with the RSA public key (PEM), the classic confusion. */
    bio = BIO_new(BIO_s_mem());
    ASSERT(PEM_write_bio_PUBKEY(bio, rsa_key) == 1);
    pl = BIO_get_mem_data(bio, &pem);
    cl = payload(NULL);
    t = sign_hs256("{\"alg\":\"HS256\",\"kid\":\"rsa-1\"}", cl, pem,
        (size_t)pl);
    expect_refused("HS256 with the RSA public key as secret", t,
        "alg HS256 is not allowed for this issuer");
    free(t);
    BIO_free(bio);
    /* The set's oct key, with its own secret and kid. */
    t = sign_hs256("{\"alg\":\"HS256\",\"kid\":\"hmac-1\"}", cl,
        "secret-secret-secret-secret-secret", 34);
    expect_refused("HS256 with the oct key of the set", t,
        "alg HS256 is not allowed");
    free(t);
    /* Even signed with an allowed alg, the oct key's kid names no key. */
    refuse_header("RS256 naming the oct key's kid",
        "{\"alg\":\"RS256\",\"kid\":\"hmac-1\"}",
        "unknown key id (kid) hmac-1");
    refuse("a key whose use is enc", "{\"alg\":\"RS256\",\"kid\":\"enc-1\"}",
        payload(NULL), enc_rsa, "RS256", "unknown key id (kid) enc-1");
    refuse("a 1024-bit key", "{\"alg\":\"RS256\",\"kid\":\"weak-1\"}",
        payload(NULL), weak_rsa, "RS256", "unknown key id (kid) weak-1");
    refuse("an EC key off the curve", "{\"alg\":\"ES256\",\"kid\":\"bad-ec\"}",
        payload(NULL), ec_attacker, "ES256", "unknown key id (kid) bad-ec");
    refuse("a key published with its private part",
        "{\"alg\":\"RS256\",\"kid\":\"priv-1\"}", payload(NULL), attacker,
        "RS256", "unknown key id (kid) priv-1");
    refuse("PS256 where only RS256 and ES256 are allowed",
        "{\"alg\":\"PS256\",\"kid\":\"rsa-1\"}", payload(NULL), rsa_key, "PS256",
        "alg PS256 is not allowed");
    refuse_header("RS256 naming the EC key",
        "{\"alg\":\"RS256\",\"kid\":\"ec-1\"}",
        "key ec-1 cannot verify alg RS256");
    refuse("ES256 naming the RSA key", "{\"alg\":\"ES256\",\"kid\":\"rsa-1\"}",
        payload(NULL), ec_key, "ES256", "key rsa-1 cannot verify alg ES256");
    refuse_header("unknown kid", "{\"alg\":\"RS256\",\"kid\":\"nope\"}",
        "unknown key id (kid) nope");
    refuse_header("kid with path junk",
        "{\"alg\":\"RS256\",\"kid\":\"../../../../etc/passwd\"}",
        "unknown key id (kid) ../../../../etc/passwd");
    refuse_header("kid with SQL junk",
        "{\"alg\":\"RS256\",\"kid\":\"rsa-1' OR '1'='1\"}",
        "unknown key id (kid) rsa-1' OR '1'='1");
    refuse_header("kid with control bytes",
        "{\"alg\":\"RS256\",\"kid\":\"rsa-1\\n\\u001b[31m\"}",
        "unknown key id (kid) rsa-1??[31m");
    refuse_header("kid a number", "{\"alg\":\"RS256\",\"kid\":1}",
        "kid must be a string");
    refuse_header("no kid with two keys in the set", "{\"alg\":\"RS256\"}",
        "the token has no kid and the issuer has 2 keys");
    /* Headers that point at or carry the attacker's key. */
    refuse("jku to an attacker key set", "{\"alg\":\"RS256\",\"kid\":\"rsa-1\","
        "\"jku\":\"https://evil.test/jwks\"}", payload(NULL), attacker, "RS256",
        "header jku is not accepted");
    refuse("x5u to an attacker certificate", "{\"alg\":\"RS256\","
        "\"kid\":\"rsa-1\",\"x5u\":\"https://evil.test/c.pem\"}", payload(NULL),
        attacker, "RS256", "header x5u is not accepted");
    refuse("x5c with an attacker certificate", "{\"alg\":\"RS256\","
        "\"kid\":\"rsa-1\",\"x5c\":[\"MIIB\"]}", payload(NULL), attacker,
        "RS256", "header x5c is not accepted");
    {
        char *j = jwk_test_rsa(attacker, "rsa-1", NULL), *h = NULL;

        ASSERT(j != NULL);
        ASSERT(asprintf(&h, "{\"alg\":\"RS256\",\"jwk\":%s}", j) > 0);
        refuse("embedded jwk of an attacker", h, payload(NULL), attacker,
            "RS256", "header jwk is not accepted");
        free(h);
        free(j);
        j = jwk_test_rsa(attacker, "att", NULL);
        ASSERT(j != NULL);
        ASSERT(asprintf(&h, "{\"alg\":\"RS256\",\"kid\":\"att\",\"jwk\":%s}",
            j) > 0);
        refuse("embedded jwk with its own kid", h, payload(NULL), attacker,
            "RS256", "header jwk is not accepted");
        free(h);
        free(j);
    }
    free(cl);
    teardown();
}

TEST(test_identity_refuses_tampered_and_malformed_tokens)
{
    static char big[(1 << 20) + 64];
    char *cl, *t, *t2, *t3 = NULL, *evil, *pe, *dot;

    setup();
    cl = payload(NULL);
    t = sign_token(HDR_RS, cl, rsa_key, "RS256");
    dot = strchr(t, '.');
    /* payload swapped, signature kept */
    evil = payload("{\"groups\":[\"meshca-admins\"]}");
    pe = b64u(evil, strlen(evil));
    ASSERT(asprintf(&t3, "%.*s.%s%s", (int)(dot - t), t, pe, strrchr(t, '.')) >
        0);
    expect_refused("payload tampered", t3, "signature verification failed");
    free(t3);
    /* signature of another token */
    t2 = sign_token(HDR_RS, evil, rsa_key, "RS256");
    t3 = NULL;
    ASSERT(asprintf(&t3, "%.*s%s", (int)(strrchr(t, '.') - t), t,
        strrchr(t2, '.')) > 0);
    expect_refused("signature of another token", t3,
        "signature verification failed");
    free(t3);
    free(t2);
    /* signature stripped */
    t2 = strdup(t);
    *(strrchr(t2, '.') + 1) = '\0';
    expect_refused("signature stripped", t2, "signature missing");
    /* a signature with non-canonical base64url (unused bits set) */
    free(t2);
    t2 = strdup(t);
    t2[strlen(t2) - 1] = 'B'; /* a 256-byte signature ends in A, Q, g or w */
    expect_refused("non-canonical base64url signature", t2,
        "signature missing or not base64url");
    free(t2);
    /* a signature one byte short */
    {
        const char *sp = strrchr(t, '.') + 1;
        uint8_t *raw = NULL;
        size_t rl = 0;
        char *s2;

        ASSERT_OK(meshca_b64_decode(sp, strlen(sp), 1, &raw, &rl));
        s2 = b64u(raw, rl - 1);
        t2 = NULL;
        ASSERT(asprintf(&t2, "%.*s%s", (int)(sp - t), t, s2) > 0);
        expect_refused("RSA signature one byte short", t2,
            "signature has the wrong length for the key");
        free(t2);
        free(s2);
        free(raw);
    }
    /* the token with a NUL inside and with padding */
    t2 = strdup(t);
    t2[10] = '\0';
    expect_len("NUL byte", t2, strlen(t), MESHCA_ERR_TOKEN_INVALID, "NUL");
    free(t2);
    ASSERT(asprintf(&t2, "%.*s=%s", (int)(dot - t), t, dot) > 0);
    expect_refused("padded header", t2, "header is not a base64url");
    free(t2);
    free(t);
    free(pe);
    free(evil);
    /* ES256: an all-zero signature, and one of the wrong length */
    {
        char *input = signing_input(HDR_ES, cl);
        unsigned char zero[64] = { 0 };

        ASSERT((t = with_signature(input, zero, 64)) != NULL);
        expect_refused("ES256 all-zero signature", t,
            "signature verification failed");
        free(t);
        ASSERT((t = with_signature(input, zero, 63)) != NULL);
        expect_refused("ES256 63-byte signature", t, "wrong length");
        free(t);
        free(input);
    }
    /* A JWE (five parts) and a three-part one claiming encryption. */
    expect_refused("a JWE (five parts)", "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEy"
        "NTZHQ00ifQ.a.b.c.d", "more than three parts (an encrypted JWE?)");
    refuse_header("enc in a JWS header",
        "{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"enc\":\"A256GCM\"}",
        "encrypted tokens (JWE) are not accepted");
    refuse_header("nested JWT",
        "{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"cty\":\"JWT\"}",
        "nested JWTs (cty JWT) are not");
    refuse_header("other cty",
        "{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"cty\":\"text/plain\"}",
        "header cty is not accepted");
    refuse_header("unknown crit",
        "{\"alg\":\"RS256\",\"kid\":\"rsa-1\","
        "\"crit\":[\"http://evil/ext\"],\"http://evil/ext\":1}",
        "header has crit");
    refuse_header("b64 false (crit)",
        "{\"alg\":\"RS256\",\"kid\":\"rsa-1\","
        "\"b64\":false,\"crit\":[\"b64\"]}", "header has crit");
    refuse_header("an access token (typ at+jwt)",
        "{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"typ\":\"at+jwt\"}",
        "header typ is not JWT");
    refuse_header("duplicate alg in the header",
        "{\"alg\":\"none\",\"alg\":\"RS256\",\"kid\":\"rsa-1\"}",
        "header is not a base64url-encoded JSON object");
    refuse_header("header without alg", "{\"kid\":\"rsa-1\"}",
        "header has no alg string");
    refuse_header("header an array", "[\"RS256\"]", "header is not");
    refuse("non-JSON payload", HDR_RS, strdup("not json"), rsa_key, "RS256",
        "payload is not a base64url-encoded JSON object");
    refuse("payload an array", HDR_RS, strdup("[1,2]"), rsa_key, "RS256",
        "payload is not");
    {
        char *s = NULL;

        ASSERT(asprintf(&s, "{\"iss\":\"%s\",\"aud\":\"meshca\",\"sub\":"
            "\"alice\",\"sub\":\"admin\",\"iat\":%lld,\"exp\":%lld}", ISS,
            (long long)now, (long long)now + 300) > 0);
        refuse("duplicate sub in the payload", HDR_RS, s, rsa_key, "RS256",
            "payload is not a base64url-encoded JSON object (without "
            "duplicate members)");
    }
    expect_refused("two parts", "eyJhbGciOiJSUzI1NiJ9.e30",
        "not a compact JWS (three dot-separated parts)");
    expect_refused("empty", "", "empty token");
    memset(big, 'A', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    big[100] = '.';
    big[200] = '.';
    expect_refused("a 1 MiB token", big, "token larger than 16384 bytes");
    free(cl);
    teardown();
}

TEST(test_identity_refuses_claims_of_the_wrong_type)
{
    /* Each is payload() patched with patch, signed RS256 with rsa_key. */
    static const struct {
        const char *name, *patch, *part;
    } cases[] = {
        { "exp as a string", "{\"exp\":\"99999999999\"}",
            "exp is missing or not a number" },
        { "exp missing", "{\"exp\":null}", "exp is missing or not a number" },
        { "exp beyond year 9999", "{\"exp\":9223372036854775807}",
            "exp is out of range" },
        { "exp 1e300", "{\"exp\":1e300}", "exp is out of range" },
        { "exp negative", "{\"exp\":-1}", "exp is out of range" },
        { "iat missing", "{\"iat\":null}", "iat is missing or not a number" },
        { "iat far in the past (overflow)", "{\"iat\":-9223372036854775807}",
            "iat is out of range" },
        { "nbf as a string", "{\"nbf\":\"0\"}", "nbf is not a number" },
        { "auth_time as a boolean", "{\"auth_time\":true}",
            "auth_time is not a number" },
        { "groups a string", "{\"groups\":\"admins\"}",
            "groups must be an array of strings" },
        { "groups holding a number", "{\"groups\":[\"a\",7]}",
            "groups must be an array of strings" },
        { "email a number", "{\"email\":7}", "email is not a string" },
        { "email with a newline", "{\"email\":\"a@b.c\\nx\"}",
            "email holds control characters" },
        { "email_verified a word", "{\"email_verified\":\"yes\"}",
            "email_verified must be a boolean" },
        /* A string is not a boolean (issue #13): "true" was taken as
         * verified. */
        { "email_verified the string true", "{\"email_verified\":\"true\"}",
            "email_verified must be a boolean" },
        { "email_verified the string false", "{\"email_verified\":\"false\"}",
            "email_verified_string" },
        { "nonce an object", "{\"nonce\":{}}", "nonce is not a string" },
        { "azp a number", "{\"azp\":1}", "azp is not a string" },
        { "sub missing", "{\"sub\":null}",
            "sub is missing or not a non-empty string" },
        { "sub empty", "{\"sub\":\"\"}",
            "sub is missing or not a non-empty string" },
        { "sub a number", "{\"sub\":42}",
            "sub is missing or not a non-empty string" },
        { "sub with control characters", "{\"sub\":\"alice\\r\\nadmin\"}",
            "control characters" },
    };
    size_t i;

    setup();
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        refuse(cases[i].name, HDR_RS, payload(cases[i].patch), rsa_key,
            "RS256", cases[i].part);
    teardown();
}

/* Issuer 2 is configured with email_verified_string: "true" / "false" are
 * read there, and nothing else is. */
TEST(test_identity_email_verified_string_only_where_configured)
{
    static const char *const hdr = "{\"alg\":\"RS256\",\"kid\":\"other-1\"}";
    struct claims *c;

    setup();
    c = accept_signed(hdr, payload("{\"iss\":\"" ISS2 "\","
        "\"email_verified\":\"true\"}"), rsa_other, "RS256");
    ASSERT(c->email_verified == 1);
    claims_free(c);
    c = accept_signed(hdr, payload("{\"iss\":\"" ISS2 "\","
        "\"email_verified\":\"false\",\"jti\":\"j-2\"}"), rsa_other, "RS256");
    ASSERT(c->email_verified == 0);
    claims_free(c);
    refuse("email_verified \"yes\" even with email_verified_string", hdr,
        payload("{\"iss\":\"" ISS2 "\",\"email_verified\":\"yes\"}"),
        rsa_other, "RS256", "email_verified must be a boolean");
    refuse("email_verified 1", hdr,
        payload("{\"iss\":\"" ISS2 "\",\"email_verified\":1}"),
        rsa_other, "RS256", "email_verified must be a boolean");
    teardown();
}

TEST(test_identity_config_never_allows_symmetric_algorithms)
{
    struct config *c = NULL;

    write_config(unit_tmpdir(), "{\"issuer\":\"" ISS "\",\"audiences\":"
        "[\"meshca\"],\"jwks_file\":\"jwks.json\",\"algorithms\":[\"HS256\"]}",
        "hs.json");
    ASSERT(load_config("hs.json", &c) != 0);
    ASSERT(c == NULL);
    write_config(unit_tmpdir(), "{\"issuer\":\"" ISS "\",\"audiences\":"
        "[\"meshca\"],\"jwks_file\":\"jwks.json\",\"algorithms\":[\"none\"]}",
        "none.json");
    ASSERT(load_config("none.json", &c) != 0);
}

/* A config (written as conf) whose one issuer reads its keys from
 * jwks_file loads, and identity_new refuses it: JWKS_INVALID. */
static void
jwks_file_refused(const char *jwks_file, const char *conf)
{
    struct config *c = NULL;
    struct identity *i2 = NULL;
    char *issuer = NULL;

    ASSERT(asprintf(&issuer, "{\"issuer\":\"" ISS "\",\"audiences\":"
        "[\"meshca\"],\"jwks_file\":\"%s\"}", jwks_file) > 0);
    write_config(unit_tmpdir(), issuer, conf);
    free(issuer);
    ASSERT_OK(load_config(conf, &c));
    ASSERT_ERR(identity_new(c, &i2), MESHCA_ERR_JWKS_INVALID);
    ASSERT(i2 == NULL);
    config_free(c);
}

TEST(test_identity_refuses_a_key_file_without_usable_keys)
{
    char path[512];
    const char *only_oct = "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"h\","
        "\"k\":\"c2VjcmV0\"}]}";

    snprintf(path, sizeof(path), "%s/oct.json", unit_tmpdir());
    unit_write_file(path, only_oct, strlen(only_oct));
    jwks_file_refused("oct.json", "oct-conf.json");
    jwks_file_refused("missing.json", "missing.json.conf");
}

/* A provider that cannot be reached at start does not stop the service:
 * tokens answer KEYS_UNAVAILABLE (503), never INVALID (401). */
TEST(test_identity_unreachable_provider_means_keys_unavailable)
{
    struct config *c = NULL;
    struct identity *i2 = NULL;
    struct claims *cl = NULL;
    char why[512], *p, *t;
    int64_t t0;

    now = (int64_t)time(NULL);
    if (rsa_key == NULL)
        setup(), teardown();
    /* Port 1 on loopback refuses at once; the second issuer is plain http
     * to a public name, which is never fetched. */
    write_config(unit_tmpdir(), "{\"issuer\":\"http://127.0.0.1:1\","
        "\"audiences\":[\"meshca\"],\"jwks_uri\":\"http://127.0.0.1:1/jwks\"},"
        "{\"issuer\":\"https://down.test\",\"audiences\":[\"meshca\"],"
        "\"jwks_uri\":\"http://example.com/jwks\"}", "down.json");
    ASSERT_OK(load_config("down.json", &c));
    t0 = (int64_t)time(NULL);
    ASSERT_OK(identity_new(c, &i2));
    ASSERT((int64_t)time(NULL) - t0 < 5);
    p = payload("{\"iss\":\"http://127.0.0.1:1\"}");
    t = sign_token(HDR_RS, p, rsa_key, "RS256");
    ASSERT_ERR(identity_verify(i2, t, strlen(t), now, &cl, why, sizeof(why)),
        MESHCA_ERR_TOKEN_KEYS_UNAVAILABLE);
    ASSERT(cl == NULL);
    ASSERT(strstr(why, "no keys for issuer http://127.0.0.1:1: fetching "
        "http://127.0.0.1:1/jwks failed") != NULL);
    free(t);
    free(p);
    p = payload("{\"iss\":\"https://down.test\"}");
    t = sign_token(HDR_RS, p, rsa_key, "RS256");
    ASSERT_ERR(identity_verify(i2, t, strlen(t), now, &cl, why, sizeof(why)),
        MESHCA_ERR_TOKEN_KEYS_UNAVAILABLE);
    ASSERT(strstr(why, "refusing to fetch http://example.com/jwks: plain "
        "http is allowed only to a loopback address") != NULL);
    /* A forged alg is still refused as invalid before any key is needed. */
    free(t);
    t = sign_token("{\"alg\":\"none\"}", p, NULL, "none");
    ASSERT_ERR(identity_verify(i2, t, strlen(t), now, &cl, why, sizeof(why)),
        MESHCA_ERR_TOKEN_INVALID);
    ASSERT_ERR(identity_ready(i2, why, sizeof(why)),
        MESHCA_ERR_TOKEN_KEYS_UNAVAILABLE);
    ASSERT(strstr(why, "no keys for issuer http://127.0.0.1:1") != NULL);
    free(t);
    free(p);
    identity_free(i2);
    config_free(c);
}

struct worker {
    char **toks;
    size_t n;
    int failures;
};

static void *
verify_many(void *arg)
{
    struct worker *w = arg;
    struct claims *c;
    char why[256];
    size_t i, round;

    for (round = 0; round < 4; round++)
        for (i = 0; i < w->n; i++) {
            c = NULL;
            if (identity_verify(id, w->toks[i], strlen(w->toks[i]), now, &c,
                why, sizeof(why)) != 0 || strcmp(c->sub, "alice") != 0)
                w->failures++;
            claims_free(c);
        }
    return NULL;
}

/* Many threads verifying at once all get the right answer. */
TEST(test_identity_concurrent_verification)
{
    pthread_t th[4];
    struct worker w[4];
    char *toks[24], *cl, jti[32], patch[64];
    size_t i;

    setup();
    for (i = 0; i < 24; i++) {
        snprintf(jti, sizeof(jti), "j-%zu", i);
        snprintf(patch, sizeof(patch), "{\"jti\":\"%s\"}", jti);
        cl = payload(patch);
        toks[i] = i % 2 ? sign_token(HDR_ES, cl, ec_key, "ES256") :
            sign_token(HDR_RS, cl, rsa_key, "RS256");
        free(cl);
    }
    for (i = 0; i < 4; i++) {
        w[i].toks = toks;
        w[i].n = 24;
        w[i].failures = 0;
        ASSERT(pthread_create(&th[i], NULL, verify_many, &w[i]) == 0);
    }
    for (i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        ASSERT_INT_EQ(w[i].failures, 0);
    }
    for (i = 0; i < 24; i++)
        free(toks[i]);
    teardown();
}

TEST(test_identity_key_binding)
{
    struct claims c;
    const unsigned char blob[] = "key-blob";
    unsigned char h[32];
    char *n = NULL;

    memset(&c, 0, sizeof(c));
    ASSERT_ERR(identity_check_key_binding(&c, blob, sizeof(blob)),
        MESHCA_ERR_TOKEN_INVALID);
    EVP_Digest(blob, sizeof(blob), h, NULL, EVP_sha256(), NULL);
    ASSERT_OK(meshca_b64_encode(h, 32, 1, &n));
    c.nonce = n;
    ASSERT_OK(identity_check_key_binding(&c, blob, sizeof(blob)));
    ASSERT_ERR(identity_check_key_binding(&c, blob, sizeof(blob) - 1),
        MESHCA_ERR_TOKEN_INVALID);
    n[0] ^= 1;
    ASSERT_ERR(identity_check_key_binding(&c, blob, sizeof(blob)),
        MESHCA_ERR_TOKEN_INVALID);
    free(n);
}

static void
free_keys(void)
{
    EVP_PKEY_free(rsa_key);
    EVP_PKEY_free(ec_key);
    EVP_PKEY_free(rsa_other);
    EVP_PKEY_free(attacker);
    EVP_PKEY_free(ec_attacker);
    EVP_PKEY_free(weak_rsa);
    EVP_PKEY_free(enc_rsa);
}

TEST(test_identity_zz_cleanup)
{
    free_keys();
    rsa_key = NULL;
}

UNIT_MAIN(T(test_identity_accepts_genuine_tokens_with_every_claim),
    T(test_identity_accepts_kidless_token_when_the_set_has_one_key),
    T(test_identity_replay_id_survives_signature_malleability),
    T(test_identity_refuses_stale_and_misdirected_tokens),
    T(test_identity_refuses_forged_algorithms_and_keys),
    T(test_identity_refuses_tampered_and_malformed_tokens),
    T(test_identity_refuses_claims_of_the_wrong_type),
    T(test_identity_email_verified_string_only_where_configured),
    T(test_identity_config_never_allows_symmetric_algorithms),
    T(test_identity_refuses_a_key_file_without_usable_keys),
    T(test_identity_unreachable_provider_means_keys_unavailable),
    T(test_identity_concurrent_verification),
    T(test_identity_key_binding),
    T(test_identity_zz_cleanup))
