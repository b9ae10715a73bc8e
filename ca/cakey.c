/* CA keys: generate, PEM in and out, sign, verify; the rotation set.  See
 * meshca/cakey.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "meshca/cakey.h"

/* Largest signature produced. */
#define SIG_MAX 1024

struct cakey {
    EVP_PKEY *pkey;      /* the private key; never exported; NULL if external */
    struct meshca_key *pub;
    EVP_MD *md;          /* NULL for Ed25519 */
    const char *sig_alg;
    struct cakey_signer ext; /* ext.sign != NULL: signs outside the process */
};

struct cakey_set {
    struct cakey **keys;
    enum cakey_state *states;
    size_t n;
    size_t active;
};

static const struct {
    const char *name;
    enum cakey_kind kind;
} kinds[] = {
    { "ed25519", CAKEY_ED25519 },
    { "ecdsa-p256", CAKEY_ECDSA_P256 },
    { "ecdsa-p384", CAKEY_ECDSA_P384 },
    { "rsa-3072", CAKEY_RSA_3072 },
    { "rsa-4096", CAKEY_RSA_4096 },
};

int
cakey_kind_from_name(const char *name, enum cakey_kind *kindp)
{
    size_t i;

    for (i = 0; name != NULL && i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (strcmp(name, kinds[i].name) == 0) {
            *kindp = kinds[i].kind;
            return 0;
        }
    }
    return MESHCA_ERR_KEY_TYPE_UNKNOWN;
}

void
cakey_free(struct cakey *k)
{
    if (k == NULL)
        return;
    EVP_PKEY_free(k->pkey);
    meshca_key_free(k->pub);
    EVP_MD_free(k->md);
    if (k->ext.free != NULL)
        k->ext.free(k->ext.ctx);
    free(k);
}

/* Sets k's signature algorithm and digest from its public key k->pub. */
static int
cakey_set_alg(struct cakey *k)
{
    const char *mdname = NULL;

    switch (meshca_key_type(k->pub)) {
    case KEY_ED25519:
        k->sig_alg = "ssh-ed25519";
        break;
    case KEY_ECDSA_P256:
        k->sig_alg = "ecdsa-sha2-nistp256";
        mdname = "SHA256";
        break;
    case KEY_ECDSA_P384:
        k->sig_alg = "ecdsa-sha2-nistp384";
        mdname = "SHA384";
        break;
    case KEY_ECDSA_P521:
        k->sig_alg = "ecdsa-sha2-nistp521";
        mdname = "SHA512";
        break;
    case KEY_RSA:
        if (meshca_key_evp(k->pub) == NULL ||
            EVP_PKEY_get_size(meshca_key_evp(k->pub)) > SIG_MAX)
            return MESHCA_ERR_KEY_LENGTH;
        k->sig_alg = "rsa-sha2-512";
        mdname = "SHA512";
        break;
    default:
        return MESHCA_ERR_KEY_TYPE_UNKNOWN;
    }
    /* Fetched once here rather than implicitly on every signature. */
    if (mdname != NULL && (k->md = EVP_MD_fetch(NULL, mdname, NULL)) == NULL)
        return MESHCA_ERR_LIBCRYPTO;
    return 0;
}

int
cakey_from_signer(struct meshca_key *pub, const struct cakey_signer *s,
    struct cakey **keyp)
{
    struct cakey *k = NULL;
    int r;

    *keyp = NULL;
    if (pub == NULL || s == NULL || s->sign == NULL)
        return MESHCA_ERR_INVALID_ARGUMENT;
    if ((k = calloc(1, sizeof(*k))) == NULL)
        return MESHCA_ERR_ALLOC;
    k->pub = pub;
    if ((r = cakey_set_alg(k)) != 0) {
        k->pub = NULL; /* still the caller's */
        cakey_free(k);
        ERR_clear_error();
        return r;
    }
    k->ext = *s;
    *keyp = k;
    return 0;
}

int
cakey_status(const struct cakey *k, char *why, size_t whylen)
{
    if (k->ext.status == NULL)
        return 0;
    return k->ext.status(k->ext.ctx, why, whylen);
}

int
cakey_is_external(const struct cakey *k)
{
    return k->ext.sign != NULL;
}

/* Wraps a private key; takes ownership of pkey on success only. */
static int
cakey_from_pkey(EVP_PKEY *pkey, struct cakey **keyp)
{
    struct cakey *k = NULL;
    int r;

    *keyp = NULL;
    if ((k = calloc(1, sizeof(*k))) == NULL) {
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    if ((r = meshca_key_from_evp(pkey, &k->pub)) != 0 ||
        (r = cakey_set_alg(k)) != 0)
        goto out;
    k->pkey = pkey;
    *keyp = k;
    k = NULL;
    r = 0;
out:
    cakey_free(k);
    return r;
}

int
cakey_new(enum cakey_kind kind, struct cakey **keyp)
{
    EVP_PKEY *pkey = NULL;
    int r;

    *keyp = NULL;
    switch (kind) {
    case CAKEY_ED25519:
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        break;
    case CAKEY_ECDSA_P256:
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        break;
    case CAKEY_ECDSA_P384:
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
        break;
    case CAKEY_RSA_3072:
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
        break;
    case CAKEY_RSA_4096:
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096);
        break;
    default:
        r = MESHCA_ERR_INVALID_ARGUMENT;
        goto out;
    }
    if (pkey == NULL) {
        r = MESHCA_ERR_LIBCRYPTO;
        goto out;
    }
    if ((r = cakey_from_pkey(pkey, keyp)) != 0)
        goto out;
    pkey = NULL; /* owned by *keyp */
    r = 0;
out:
    EVP_PKEY_free(pkey);
    ERR_clear_error();
    return r;
}

int
cakey_write_pem(const struct cakey *k, BIO *out)
{
    int r;

    if (k->pkey == NULL)
        return MESHCA_ERR_INVALID_ARGUMENT; /* in a token: never exported */
    errno = 0;
    if (PEM_write_bio_PrivateKey(out, k->pkey, NULL, NULL, 0, NULL,
        NULL) != 1 || BIO_flush(out) != 1)
        r = errno != 0 ? MESHCA_ERR_SYSTEM : MESHCA_ERR_LIBCRYPTO;
    else
        r = 0;
    if (r != 0) {
        int saved = errno;

        ERR_clear_error();
        errno = saved;
    }
    return r;
}

/* Never prompts: an encrypted key simply fails to load. */
static int
no_passphrase(char *pwbuf, int size, int rwflag, void *u)
{
    (void)pwbuf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

int
cakey_from_pem(const char *pem, size_t len, struct cakey **keyp)
{
    EVP_PKEY *pkey = NULL;
    BIO *bio = NULL;
    int r;

    *keyp = NULL;
    if (len >= CAKEY_PEM_MAX) {
        r = MESHCA_ERR_KEY_NOT_PRIVATE;
        goto out;
    }
    if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    if ((pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase,
        NULL)) == NULL) {
        r = MESHCA_ERR_KEY_NOT_PRIVATE;
        goto out;
    }
    if ((r = cakey_from_pkey(pkey, keyp)) != 0)
        goto out;
    pkey = NULL;
    r = 0;
out:
    BIO_free(bio);
    EVP_PKEY_free(pkey);
    ERR_clear_error();
    return r;
}

const struct meshca_key *
cakey_public(const struct cakey *k)
{
    return k->pub;
}

const char *
cakey_sig_alg(const struct cakey *k)
{
    return k->sig_alg;
}

EVP_PKEY *
cakey_evp(const struct cakey *k)
{
    return k->pkey;
}

/* DER ECDSA signature -> string(mpint r, mpint s) appended to out. */
static int
put_ecdsa_sig(const uint8_t *der, size_t derlen, struct meshca_buf *out)
{
    ECDSA_SIG *esig = NULL;
    const BIGNUM *br = NULL, *bs = NULL;
    const unsigned char *p = der;
    struct meshca_buf *inner = NULL;
    uint8_t rb[80], sb[80];
    int rl, sl, r = MESHCA_ERR_LIBCRYPTO;

    if ((esig = d2i_ECDSA_SIG(NULL, &p, (long)derlen)) == NULL)
        goto out;
    ECDSA_SIG_get0(esig, &br, &bs);
    if (BN_num_bytes(br) > (int)sizeof(rb) || BN_num_bytes(bs) >
        (int)sizeof(sb))
        goto out;
    rl = BN_bn2bin(br, rb);
    sl = BN_bn2bin(bs, sb);
    if ((inner = meshca_buf_new(256)) == NULL) {
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    if ((r = meshca_buf_put_bignum2_bytes(inner, rb, (size_t)rl)) != 0 ||
        (r = meshca_buf_put_bignum2_bytes(inner, sb, (size_t)sl)) != 0 ||
        (r = meshca_buf_put_stringb(out, inner)) != 0)
        goto out;
    r = 0;
out:
    ECDSA_SIG_free(esig);
    meshca_buf_free(inner);
    return r;
}

/* r || s (two halves of equal length, from a token's CKM_ECDSA) ->
 * string(mpint r, mpint s) appended to out. */
static int
put_ecdsa_raw(const uint8_t *rs, size_t len, struct meshca_buf *out)
{
    struct meshca_buf *inner = NULL;
    int r;

    if (len == 0 || len % 2 != 0 || len > 2 * 66)
        return MESHCA_ERR_LIBCRYPTO;
    if ((inner = meshca_buf_new(256)) == NULL)
        return MESHCA_ERR_ALLOC;
    if ((r = meshca_buf_put_bignum2_bytes(inner, rs, len / 2)) == 0 &&
        (r = meshca_buf_put_bignum2_bytes(inner, rs + len / 2, len / 2)) == 0)
        r = meshca_buf_put_stringb(out, inner);
    meshca_buf_free(inner);
    return r;
}

/* DER DigestInfo prefix for SHA-512 (RFC 8017 section 9.2, note 1). */
static const uint8_t sha512_digestinfo[] = {
    0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
    0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40,
};

/* Runs k's external signer over data (hashing first where the primitive
 * wants a digest, see struct cakey_signer) into sig (room and length in *siglenp). */
static int
ext_sign(const struct cakey *k, const void *data, size_t len, uint8_t *sig,
    size_t *siglenp)
{
    uint8_t tbs[sizeof(sha512_digestinfo) + EVP_MAX_MD_SIZE];
    size_t off = 0;
    unsigned int dl = 0;
    int r;

    if (k->md == NULL) /* Ed25519 signs the message itself */
        return k->ext.sign(k->ext.ctx, data, len, sig, siglenp);
    if (meshca_key_type(k->pub) == KEY_RSA) {
        memcpy(tbs, sha512_digestinfo, sizeof(sha512_digestinfo));
        off = sizeof(sha512_digestinfo);
    }
    if (EVP_Digest(data, len, tbs + off, &dl, k->md, NULL) != 1)
        return MESHCA_ERR_LIBCRYPTO;
    r = k->ext.sign(k->ext.ctx, tbs, off + dl, sig, siglenp);
    OPENSSL_cleanse(tbs, sizeof(tbs));
    return r;
}

int
cakey_sign(const struct cakey *k, const void *data, size_t len,
    struct meshca_buf *out)
{
    EVP_MD_CTX *ctx = NULL;
    struct meshca_buf *b = NULL;
    uint8_t sig[SIG_MAX];
    size_t siglen = sizeof(sig);
    int r;

    if ((ctx = EVP_MD_CTX_new()) == NULL ||
        (b = meshca_buf_new(SIG_MAX + 256)) == NULL) {
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    if (k->ext.sign != NULL) {
        if ((r = ext_sign(k, data, len, sig, &siglen)) != 0)
            goto out;
    } else if (EVP_DigestSignInit(ctx, NULL, k->md, NULL, k->pkey) != 1 ||
        EVP_DigestSign(ctx, sig, &siglen, data, len) != 1) {
        r = MESHCA_ERR_LIBCRYPTO;
        goto out;
    }
    if ((r = meshca_buf_put_cstring(b, k->sig_alg)) != 0)
        goto out;
    switch (meshca_key_type(k->pub)) {
    case KEY_ECDSA_P256:
    case KEY_ECDSA_P384:
    case KEY_ECDSA_P521:
        r = k->ext.sign != NULL ? put_ecdsa_raw(sig, siglen, b)
                                : put_ecdsa_sig(sig, siglen, b);
        break;
    default:
        r = meshca_buf_put_string(b, sig, siglen);
        break;
    }
    if (r != 0)
        goto out;
    r = meshca_buf_putb(out, b);
out:
    EVP_MD_CTX_free(ctx);
    meshca_buf_free(b);
    if (r == MESHCA_ERR_LIBCRYPTO)
        ERR_clear_error();
    return r;
}

static int
str_is(const uint8_t *s, size_t len, const char *want)
{
    return strlen(want) == len && memcmp(s, want, len) == 0;
}

/* string(mpint r, mpint s) -> DER, in a new allocation. */
static int
ecdsa_der_from_ssh(const uint8_t *s, size_t slen, uint8_t **derp,
    size_t *derlenp)
{
    struct meshca_buf *b = NULL;
    const uint8_t *rp = NULL, *sp = NULL;
    size_t rl, sl;
    BIGNUM *br = NULL, *bs = NULL;
    ECDSA_SIG *esig = NULL;
    unsigned char *der = NULL;
    int dl, r = MESHCA_ERR_SIGNATURE_INVALID;

    *derp = NULL;
    if ((b = meshca_buf_from(s, slen)) == NULL) {
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    if (meshca_buf_get_bignum2_bytes_direct(b, &rp, &rl) != 0 ||
        meshca_buf_get_bignum2_bytes_direct(b, &sp, &sl) != 0 || meshca_buf_len(b) != 0 ||
        rl == 0 || sl == 0 || rl > 66 || sl > 66)
        goto out;
    if ((br = BN_bin2bn(rp, (int)rl, NULL)) == NULL ||
        (bs = BN_bin2bn(sp, (int)sl, NULL)) == NULL ||
        (esig = ECDSA_SIG_new()) == NULL) {
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    if (ECDSA_SIG_set0(esig, br, bs) != 1) {
        r = MESHCA_ERR_LIBCRYPTO;
        goto out;
    }
    br = bs = NULL;
    if ((dl = i2d_ECDSA_SIG(esig, &der)) <= 0) {
        r = MESHCA_ERR_LIBCRYPTO;
        goto out;
    }
    *derp = der;
    *derlenp = (size_t)dl;
    der = NULL;
    r = 0;
out:
    OPENSSL_free(der);
    ECDSA_SIG_free(esig);
    BN_free(br);
    BN_free(bs);
    meshca_buf_free(b);
    return r;
}

int
cakey_verify(const struct meshca_key *pub, const uint8_t *sig, size_t siglen,
    const void *data, size_t len)
{
    struct meshca_buf *b = NULL;
    EVP_MD_CTX *ctx = NULL;
    const uint8_t *alg = NULL, *s = NULL;
    size_t alen, slen, modlen;
    uint8_t *der = NULL, *padded = NULL;
    const char *mdname = NULL;
    EVP_PKEY *pkey = meshca_key_evp(pub);
    int r = MESHCA_ERR_SIGNATURE_INVALID;

    if (pkey == NULL || sig == NULL)
        goto out;
    if ((b = meshca_buf_from(sig, siglen)) == NULL) {
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    if (meshca_buf_get_string_direct(b, &alg, &alen) != 0 ||
        meshca_buf_get_string_direct(b, &s, &slen) != 0 || meshca_buf_len(b) != 0)
        goto out;
    switch (meshca_key_type(pub)) {
    case KEY_ED25519:
        if (!str_is(alg, alen, "ssh-ed25519") || slen != 64)
            goto out;
        break;
    case KEY_ECDSA_P256:
    case KEY_ECDSA_P384:
    case KEY_ECDSA_P521:
        if (!str_is(alg, alen, meshca_key_type_name(pub)))
            goto out;
        mdname = meshca_key_type(pub) == KEY_ECDSA_P256 ? "SHA256" :
            meshca_key_type(pub) == KEY_ECDSA_P384 ? "SHA384" : "SHA512";
        if ((r = ecdsa_der_from_ssh(s, slen, &der, &slen)) != 0)
            goto out;
        s = der;
        break;
    case KEY_RSA:
        if (str_is(alg, alen, "rsa-sha2-256"))
            mdname = "SHA256";
        else if (str_is(alg, alen, "rsa-sha2-512"))
            mdname = "SHA512";
        else
            goto out;
        modlen = (size_t)EVP_PKEY_get_size(pkey);
        if (slen == 0 || slen > modlen)
            goto out;
        if (slen < modlen) {
            /* OpenSSH accepts signatures shorter than the modulus and
             * left-pads them with zeros, and so do we. */
            if ((padded = calloc(1, modlen)) == NULL) {
                r = MESHCA_ERR_ALLOC;
                goto out;
            }
            memcpy(padded + (modlen - slen), s, slen);
            s = padded;
            slen = modlen;
        }
        break;
    default:
        goto out;
    }
    if ((ctx = EVP_MD_CTX_new()) == NULL) {
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    if (EVP_DigestVerifyInit_ex(ctx, NULL, mdname, NULL, NULL, pkey,
        NULL) != 1) {
        r = MESHCA_ERR_LIBCRYPTO;
        goto out;
    }
    r = EVP_DigestVerify(ctx, s, slen, data, len) == 1 ? 0 :
        MESHCA_ERR_SIGNATURE_INVALID;
out:
    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    free(padded);
    meshca_buf_free(b);
    if (r != 0)
        ERR_clear_error();
    return r;
}

/* Key sets */

const char *
cakey_state_name(enum cakey_state state)
{
    switch (state) {
    case CAKEY_ACTIVE:
        return "active";
    case CAKEY_NEXT:
        return "next";
    case CAKEY_RETIRED:
        return "retired";
    }
    return NULL;
}

int
cakey_state_from_name(const char *name, enum cakey_state *statep)
{
    enum cakey_state s;

    if (name == NULL)
        return MESHCA_ERR_INVALID_ARGUMENT;
    /* The names are cakey_state_name's, so the two cannot drift apart. */
    for (s = CAKEY_ACTIVE; s <= CAKEY_RETIRED; s++) {
        if (strcmp(name, cakey_state_name(s)) == 0) {
            *statep = s;
            return 0;
        }
    }
    return MESHCA_ERR_INVALID_ARGUMENT;
}

void
cakey_set_free(struct cakey_set *set)
{
    size_t i;

    if (set == NULL)
        return;
    for (i = 0; set->keys != NULL && i < set->n; i++)
        cakey_free(set->keys[i]);
    free(set->keys);
    free(set->states);
    free(set);
}

int
cakey_set_from_keys(struct cakey **keys, const enum cakey_state *states,
    size_t n, struct cakey_set **setp)
{
    struct cakey_set *set = NULL;
    size_t i, j, nactive = 0, active = 0;
    int r;

    *setp = NULL;
    for (i = 0; i < n; i++) {
        if (cakey_state_name(states[i]) == NULL || keys[i] == NULL) {
            r = MESHCA_ERR_INVALID_ARGUMENT;
            goto out;
        }
        if (states[i] == CAKEY_ACTIVE) {
            nactive++;
            active = i;
        }
        for (j = 0; j < i; j++) {
            if (meshca_key_equal(keys[i]->pub, keys[j]->pub)) {
                r = MESHCA_ERR_CAKEY_DUPLICATE;
                goto out;
            }
        }
    }
    if (nactive != 1) {
        r = MESHCA_ERR_CAKEY_SET;
        goto out;
    }
    if ((set = calloc(1, sizeof(*set))) == NULL ||
        (set->keys = calloc(n, sizeof(*set->keys))) == NULL ||
        (set->states = calloc(n, sizeof(*set->states))) == NULL) {
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    for (i = 0; i < n; i++) {
        set->keys[i] = keys[i];
        set->states[i] = states[i];
    }
    set->n = n;
    set->active = active;
    *setp = set;
    set = NULL;
    r = 0;
out:
    if (set != NULL) {
        /* The keys are still the caller's. */
        set->n = 0;
        cakey_set_free(set);
    }
    return r;
}

const struct cakey *
cakey_set_active(const struct cakey_set *set)
{
    return set->keys[set->active];
}

size_t
cakey_set_count(const struct cakey_set *set)
{
    return set->n;
}

const struct cakey *
cakey_set_get(const struct cakey_set *set, size_t i, enum cakey_state *statep)
{
    if (i >= set->n)
        return NULL;
    if (statep != NULL)
        *statep = set->states[i];
    return set->keys[i];
}

int
cakey_set_contains(const struct cakey_set *set, const struct meshca_key *pub)
{
    size_t i;

    for (i = 0; i < set->n; i++) {
        if (meshca_key_equal(set->keys[i]->pub, pub))
            return 1;
    }
    return 0;
}

const struct cakey *
cakey_set_find(const struct cakey_set *set, const uint8_t *blob, size_t len)
{
    const uint8_t *kb = NULL;
    size_t i, kl;

    for (i = 0; i < set->n; i++) {
        kb = meshca_key_blob(set->keys[i]->pub, &kl);
        if (kl == len && memcmp(kb, blob, len) == 0)
            return set->keys[i];
    }
    return NULL;
}

int
cakey_set_trusted_text(const struct cakey_set *set, char **textp)
{
    static const enum cakey_state order[] = { CAKEY_ACTIVE, CAKEY_NEXT,
        CAKEY_RETIRED };
    struct meshca_buf *b = NULL;
    char *line = NULL, *text = NULL;
    char comment[32];
    size_t i, o;
    int r;

    *textp = NULL;
    if ((b = meshca_buf_new(BUF_SIZE_MAX)) == NULL) {
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    for (o = 0; o < sizeof(order) / sizeof(order[0]); o++) {
        for (i = 0; i < set->n; i++) {
            if (set->states[i] != order[o])
                continue;
            snprintf(comment, sizeof(comment), "meshca-ca:%s",
                cakey_state_name(order[o]));
            if ((r = meshca_key_to_line(set->keys[i]->pub, comment, &line)) != 0)
                goto out;
            if ((r = meshca_buf_put(b, line, strlen(line))) != 0 ||
                (r = meshca_buf_put_u8(b, '\n')) != 0)
                goto out;
            free(line);
            line = NULL;
        }
    }
    if ((text = malloc(meshca_buf_len(b) + 1)) == NULL) {
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    memcpy(text, meshca_buf_ptr(b), meshca_buf_len(b));
    text[meshca_buf_len(b)] = '\0';
    *textp = text;
    r = 0;
out:
    free(line);
    meshca_buf_free(b);
    return r;
}
