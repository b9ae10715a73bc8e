/* Generating a CA key pair inside a PKCS#11 token.  See pkcs11.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "pkcs11.h"
#include "pkcs11_int.h"

/* CKA_EC_PARAMS: PrintableString "edwards25519" (PKCS#11 3.0 section
 * 2.3.10), the OIDs of P-256 and P-384. */
static const uint8_t params_ed25519[] = { 0x13, 0x0c, 'e', 'd', 'w', 'a',
    'r', 'd', 's', '2', '5', '5', '1', '9' };
static const uint8_t params_p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
    0x3d, 0x03, 0x01, 0x07 };
static const uint8_t params_p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00,
    0x22 };

static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
static CK_BYTE f4[] = { 0x01, 0x00, 0x01 };

/* The mechanism and the key-type attribute of kind (into pubt[*np]). */
static int
kind_template(enum cakey_kind kind, CK_MECHANISM *mech, CK_ATTRIBUTE *pubt,
    size_t *np, CK_ULONG *bits)
{
    memset(mech, 0, sizeof(*mech));
    switch (kind) {
    case CAKEY_ED25519:
        mech->mechanism = CKM_EC_EDWARDS_KEY_PAIR_GEN;
        pubt[(*np)++] = (CK_ATTRIBUTE){ CKA_EC_PARAMS, (void *)params_ed25519,
            sizeof(params_ed25519) };
        return 0;
    case CAKEY_ECDSA_P256:
    case CAKEY_ECDSA_P384:
        mech->mechanism = CKM_EC_KEY_PAIR_GEN;
        pubt[(*np)++] = kind == CAKEY_ECDSA_P256 ?
            (CK_ATTRIBUTE){ CKA_EC_PARAMS, (void *)params_p256,
                sizeof(params_p256) } :
            (CK_ATTRIBUTE){ CKA_EC_PARAMS, (void *)params_p384,
                sizeof(params_p384) };
        return 0;
    case CAKEY_RSA_3072:
    case CAKEY_RSA_4096:
        mech->mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
        *bits = kind == CAKEY_RSA_3072 ? 3072 : 4096;
        pubt[(*np)++] = (CK_ATTRIBUTE){ CKA_MODULUS_BITS, bits,
            sizeof(*bits) };
        pubt[(*np)++] = (CK_ATTRIBUTE){ CKA_PUBLIC_EXPONENT, f4,
            sizeof(f4) };
        return 0;
    }
    return -1;
}

/* Generates the pair on an open read/write session s. */
static int
generate_pair(struct p11mod *m, CK_SESSION_HANDLE s, const char *label,
    enum cakey_kind kind, struct meshca_key **pubp, char *why, size_t whylen)
{
    CK_BYTE id[16];
    CK_ULONG bits = 0, ll = (CK_ULONG)strlen(label);
    CK_MECHANISM mech;
    CK_ATTRIBUTE pubt[10] = {
        { CKA_TOKEN, &yes, sizeof(yes) },
        { CKA_PRIVATE, &no, sizeof(no) },
        { CKA_VERIFY, &yes, sizeof(yes) },
        { CKA_ENCRYPT, &no, sizeof(no) },
        { CKA_WRAP, &no, sizeof(no) },
        { CKA_LABEL, (void *)label, ll },
        { CKA_ID, id, sizeof(id) },
    };
    CK_ATTRIBUTE privt[] = {
        { CKA_TOKEN, &yes, sizeof(yes) },
        { CKA_PRIVATE, &yes, sizeof(yes) },
        { CKA_SENSITIVE, &yes, sizeof(yes) },
        { CKA_EXTRACTABLE, &no, sizeof(no) },
        { CKA_SIGN, &yes, sizeof(yes) },
        { CKA_DECRYPT, &no, sizeof(no) },
        { CKA_UNWRAP, &no, sizeof(no) },
        { CKA_DERIVE, &no, sizeof(no) },
        { CKA_LABEL, (void *)label, ll },
        { CKA_ID, id, sizeof(id) },
    };
    CK_OBJECT_HANDLE pub, priv;
    CK_KEY_TYPE kt;
    size_t n = 7;
    char rb[48];
    CK_RV rv;

    if (kind_template(kind, &mech, pubt, &n, &bits) != 0) {
        snprintf(why, whylen, "unsupported key type");
        return -1;
    }
    if (RAND_bytes(id, sizeof(id)) != 1) {
        snprintf(why, whylen, "no random bytes for the key id");
        return -1;
    }
    if ((rv = m->f->C_GenerateKeyPair(s, &mech, pubt, (CK_ULONG)n, privt,
        sizeof(privt) / sizeof(privt[0]), &pub, &priv)) != CKR_OK) {
        snprintf(why, whylen, "the token cannot generate this key type: "
            "C_GenerateKeyPair: %s", p11_rv_name(rv, rb, sizeof(rb)));
        return -1;
    }
    if (p11_public_key(m, s, pub, pubp, &kt, why, whylen) != 0) {
        m->f->C_DestroyObject(s, priv);
        m->f->C_DestroyObject(s, pub);
        return -1;
    }
    return 0;
}

int
pkcs11_key_generate(const struct pkcs11_config *c, enum cakey_kind kind,
    struct meshca_key **pubp, char *why, size_t whylen)
{
    struct p11mod *m = NULL;
    CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
    CK_OBJECT_HANDLE o;
    CK_SLOT_ID slot;
    char *pin = NULL, rb[48];
    int n1 = 0, n2 = 0, r = -1;
    CK_RV rv;

    *pubp = NULL;
    if (pkcs11conf_read_pin(c, &pin, why, whylen) != 0 ||
        p11mod_get(c->module, &m, why, whylen) != 0)
        goto out;
    pthread_rwlock_rdlock(&m->rw);
    if ((rv = p11_find_token(m, c->token, &slot)) != CKR_OK) {
        snprintf(why, whylen, "no token labelled \"%s\" in %s (%s); "
            "initialise one first (softhsm2-util --init-token)", c->token,
            c->module, p11_rv_name(rv, rb, sizeof(rb)));
    } else if ((rv = p11_open_login(m, slot, pin, 1, &s)) != CKR_OK) {
        snprintf(why, whylen, "cannot log in to token \"%s\": %s", c->token,
            p11_rv_name(rv, rb, sizeof(rb)));
    } else if (p11_find_object(m, s, CKO_PRIVATE_KEY, c->label, &o,
        &n1) != CKR_KEY_HANDLE_INVALID ||
        p11_find_object(m, s, CKO_PUBLIC_KEY, c->label, &o, &n2) !=
        CKR_KEY_HANDLE_INVALID || n1 != 0 || n2 != 0) {
        snprintf(why, whylen, "token \"%s\" already holds a key labelled "
            "\"%s\"; refusing to add another", c->token, c->label);
    } else
        r = generate_pair(m, s, c->label, kind, pubp, why, whylen);
    if (s != CK_INVALID_HANDLE)
        m->f->C_CloseSession(s);
    pthread_rwlock_unlock(&m->rw);
out:
    p11mod_put(m);
    pkcs11conf_pin_free(pin);
    return r;
}
