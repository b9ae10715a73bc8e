/* Unit tests for ca/cert.c: building, signing, parsing and verifying
 * OpenSSH user certificates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "meshca/buf.h"
#include "meshca/cakey.h"
#include "meshca/cert.h"
#include "meshca/key.h"
#include "../../lib/unit.h"

enum { CA_ED25519, CA_P256, CA_P384, CA_RSA3072, NCA };
enum { SUB_ED25519, SUB_P256, SUB_P384, SUB_P521, SUB_RSA2048, SUB_SK_ED25519,
    SUB_SK_ECDSA, NSUB };

/* Made once, reused by every test (generation is the slow part). */
static struct cakey *g_ca[NCA];
static struct meshca_key *g_sub[NSUB];

static const struct cakey *
ca(int i)
{
    static const enum cakey_kind kinds[NCA] = { CAKEY_ED25519,
        CAKEY_ECDSA_P256, CAKEY_ECDSA_P384, CAKEY_RSA_3072 };

    if (g_ca[i] == NULL)
        ASSERT_OK(cakey_new(kinds[i], &g_ca[i]));
    return g_ca[i];
}

static struct meshca_key *
key_from_pkey(EVP_PKEY *pkey)
{
    struct meshca_key *k = NULL;

    ASSERT(pkey != NULL);
    ASSERT_OK(meshca_key_from_evp(pkey, &k));
    EVP_PKEY_free(pkey);
    return k;
}

static const struct meshca_key *
sub(int i)
{
    struct meshca_buf *b;
    uint8_t q[133];
    size_t qlen = 0;
    EVP_PKEY *pkey;

    if (g_sub[i] != NULL)
        return g_sub[i];
    switch (i) {
    case SUB_ED25519:
        g_sub[i] = key_from_pkey(EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"));
        break;
    case SUB_P256:
        g_sub[i] = key_from_pkey(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
        break;
    case SUB_P384:
        g_sub[i] = key_from_pkey(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384"));
        break;
    case SUB_P521:
        g_sub[i] = key_from_pkey(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521"));
        break;
    case SUB_RSA2048:
        g_sub[i] = key_from_pkey(EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
            (size_t)2048));
        break;
    case SUB_SK_ED25519:
    case SUB_SK_ECDSA:
        /* No security key here: craft the public blob as a token would
         * report it (PROTOCOL.u2f). */
        ASSERT((b = meshca_buf_new(1024)) != NULL);
        if (i == SUB_SK_ED25519) {
            /* A real point: random bytes are off the curve half the time. */
            pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
            qlen = 32;
            ASSERT(pkey != NULL &&
                EVP_PKEY_get_raw_public_key(pkey, q, &qlen) == 1);
            EVP_PKEY_free(pkey);
            ASSERT_OK(meshca_buf_put_cstring(b, "sk-ssh-ed25519@openssh.com"));
            ASSERT_OK(meshca_buf_put_string(b, q, 32));
        } else {
            pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
            ASSERT(pkey != NULL);
            ASSERT(EVP_PKEY_get_octet_string_param(pkey,
                OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, q, sizeof(q), &qlen) == 1);
            EVP_PKEY_free(pkey);
            ASSERT_OK(meshca_buf_put_cstring(b, "sk-ecdsa-sha2-nistp256@openssh.com"));
            ASSERT_OK(meshca_buf_put_cstring(b, "nistp256"));
            ASSERT_OK(meshca_buf_put_string(b, q, qlen));
        }
        ASSERT_OK(meshca_buf_put_cstring(b, "ssh:"));
        ASSERT_OK(meshca_key_from_blob(meshca_buf_ptr(b), meshca_buf_len(b), &g_sub[i]));
        meshca_buf_free(b);
        break;
    }
    return g_sub[i];
}

static const char *const default_principals[] = { "payments/api",
    "payments/worker:admin" };

static void
default_request(struct cert_request *req, const struct meshca_key *k)
{
    uint64_t now = (uint64_t)time(NULL);

    memset(req, 0, sizeof(*req));
    req->key = k;
    req->key_id = "alice@example.com";
    req->principals = default_principals;
    req->nprincipals = 2;
    req->valid_after = now;
    req->valid_before = now + 300;
}

static struct cert *
sign_ok(const struct cert_request *req, const struct cakey *k)
{
    struct cert *c = NULL;

    ASSERT_OK(cert_sign_with(req, k, &c));
    ASSERT(c != NULL);
    return c;
}

/* The Ed25519 test CA refuses *reqp with err and hands out no certificate. */
#define ASSERT_SIGN_ERR(reqp, err)                                             \
    do {                                                                       \
        struct cert *c_ = NULL;                                                \
        ASSERT_ERR(cert_sign_with((reqp), ca(CA_ED25519), &c_), (err));        \
        ASSERT(c_ == NULL);                                                    \
    } while (0)

static struct cert *
reparse(const struct cert *c)
{
    struct cert *p = NULL;

    ASSERT_OK(cert_from_blob(c->blob, c->blob_len, &p));
    return p;
}

TEST(test_cert_roundtrip_every_ca_and_subject_type)
{
    static const char *const exts[] = { "permit-pty", "permit-X11-forwarding",
        "meshca-audit@example.com", "permit-agent-forwarding" };
    static const char *const sorted[] = { "meshca-audit@example.com",
        "permit-X11-forwarding", "permit-agent-forwarding", "permit-pty" };
    struct cert_request req;
    struct cert *c, *p;
    char *line;
    size_t i;
    int ci, si;

    for (ci = 0; ci < NCA; ci++) {
        for (si = 0; si < NSUB; si++) {
            default_request(&req, sub(si));
            req.backdate = 60;
            req.force_command = "/usr/local/bin/debug-shell --ro";
            req.source_address = "10.0.0.0/8,127.0.0.1,2001:db8::/32";
            req.extensions = exts;
            req.nextensions = 4;
            c = sign_ok(&req, ca(ci));
            p = reparse(c);
            ASSERT_STR_EQ(p->type_name, meshca_key_cert_type_name(sub(si)));
            ASSERT_STR_EQ(p->type_name, c->type_name);
            ASSERT_INT_EQ(p->nonce_len, CERT_NONCE_LEN);
            ASSERT(meshca_key_equal(p->key, sub(si)));
            ASSERT(meshca_key_equal(p->ca_key, cakey_public(ca(ci))));
            ASSERT_STR_EQ(p->sig_alg, cakey_sig_alg(ca(ci)));
            ASSERT_U64_EQ(p->serial, c->serial);
            ASSERT_INT_EQ(p->type, CERT_TYPE_USER);
            ASSERT_STR_EQ(p->key_id, "alice@example.com");
            ASSERT_INT_EQ(p->nprincipals, 2);
            ASSERT_STR_EQ(p->principals[0], "payments/api");
            ASSERT_STR_EQ(p->principals[1], "payments/worker:admin");
            ASSERT_U64_EQ(p->valid_after, req.valid_after - 60);
            ASSERT_U64_EQ(p->valid_before, req.valid_before);
            ASSERT_INT_EQ(p->noptions, 2);
            ASSERT_STR_EQ(p->options[0].name, "force-command");
            ASSERT_STR_EQ(p->options[0].value,
                "/usr/local/bin/debug-shell --ro");
            ASSERT_STR_EQ(p->options[1].name, "source-address");
            ASSERT_STR_EQ(p->options[1].value,
                "10.0.0.0/8,127.0.0.1,2001:db8::/32");
            ASSERT_INT_EQ(p->nextensions, 4);
            for (i = 0; i < 4; i++) {
                ASSERT_STR_EQ(p->extensions[i].name, sorted[i]);
                ASSERT_INT_EQ(p->extensions[i].len, 0);
                ASSERT(p->extensions[i].value == NULL);
            }
            ASSERT_INT_EQ(p->blob_len, c->blob_len);
            ASSERT_MEM_EQ(p->blob, c->blob, c->blob_len);
            /* The line form parses back to the same blob. */
            cert_free(p);
            ASSERT_OK(cert_to_line(c, "alice", &line));
            ASSERT_OK(cert_from_line(line, &p));
            ASSERT_MEM_EQ(p->blob, c->blob, c->blob_len);
            free(line);
            cert_free(p);
            cert_free(c);
        }
    }
}

TEST(test_cert_serial_random_nonzero_below_2_63_and_nonce_32_bytes)
{
    struct cert_request req;
    uint64_t serials[200];
    uint8_t nonces[200][CERT_NONCE_LEN];
    struct cert *c;
    int i, j, top_bit_seen = 0;

    default_request(&req, sub(SUB_ED25519));
    for (i = 0; i < 200; i++) {
        c = sign_ok(&req, ca(CA_ED25519));
        ASSERT(c->serial != 0);
        ASSERT(c->serial < (UINT64_C(1) << 63));
        ASSERT_INT_EQ(c->nonce_len, CERT_NONCE_LEN);
        serials[i] = c->serial;
        memcpy(nonces[i], c->nonce, CERT_NONCE_LEN);
        if (c->serial >= (UINT64_C(1) << 62))
            top_bit_seen = 1;
        for (j = 0; j < i; j++) {
            ASSERT(serials[j] != serials[i]);
            ASSERT(memcmp(nonces[j], nonces[i], CERT_NONCE_LEN) != 0);
        }
        cert_free(c);
    }
    /* 63 random bits: bit 62 is set about half the time. */
    ASSERT(top_bit_seen);
}

TEST(test_cert_given_serial_kept_and_out_of_range_refused)
{
    struct cert_request req;
    struct cert *c = NULL;

    default_request(&req, sub(SUB_ED25519));
    req.serial = 42;
    c = sign_ok(&req, ca(CA_ED25519));
    ASSERT_U64_EQ(c->serial, 42);
    cert_free(c);
    req.serial = (UINT64_C(1) << 63) - 1;
    c = sign_ok(&req, ca(CA_ED25519));
    ASSERT_U64_EQ(c->serial, (UINT64_C(1) << 63) - 1);
    cert_free(c);
    c = NULL;
    req.serial = UINT64_C(1) << 63;
    ASSERT_SIGN_ERR(&req, MESHCA_ERR_CERT_SERIAL);
}

TEST(test_cert_extensions_sorted_and_duplicates_refused)
{
    static const char *const dup[] = { "permit-pty", "permit-user-rc",
        "permit-pty" };
    static const char *const rev[] = { "permit-user-rc", "permit-pty",
        "permit-port-forwarding", "permit-agent-forwarding",
        "permit-X11-forwarding", "no-touch-required" };
    struct cert_request req;
    struct cert *c = NULL;
    size_t i;

    default_request(&req, sub(SUB_ED25519));
    req.extensions = rev;
    req.nextensions = 6;
    c = sign_ok(&req, ca(CA_ED25519));
    ASSERT_INT_EQ(c->nextensions, 6);
    for (i = 1; i < c->nextensions; i++)
        ASSERT(strcmp(c->extensions[i - 1].name, c->extensions[i].name) < 0);
    ASSERT_STR_EQ(c->extensions[0].name, "no-touch-required");
    ASSERT_STR_EQ(c->extensions[1].name, "permit-X11-forwarding");
    ASSERT(cert_find_extension(c, "permit-pty") != NULL);
    ASSERT(cert_find_extension(c, "permit-foo") == NULL);
    cert_free(c);
    c = NULL;
    req.extensions = dup;
    req.nextensions = 3;
    ASSERT_SIGN_ERR(&req, MESHCA_ERR_CERT_OPTION);
}

TEST(test_cert_rejects_unknown_extension_allows_vendor)
{
    static const char *bad[] = { "permit-everything" };
    static const char *vendor[] = { "login@github.com" };
    struct cert_request req;
    struct cert *c = NULL;

    default_request(&req, sub(SUB_ED25519));
    req.extensions = bad;
    req.nextensions = 1;
    ASSERT_SIGN_ERR(&req, MESHCA_ERR_CERT_OPTION);
    req.extensions = vendor;
    c = sign_ok(&req, ca(CA_ED25519));
    ASSERT_STR_EQ(c->extensions[0].name, "login@github.com");
    cert_free(c);
    ASSERT_OK(cert_check_extension("permit-port-forwarding"));
    ASSERT_ERR(cert_check_extension("PERMIT-PTY"), MESHCA_ERR_CERT_OPTION);
    ASSERT_ERR(cert_check_extension("x@y z"), MESHCA_ERR_CERT_OPTION);
    ASSERT_ERR(cert_check_extension("@x"), MESHCA_ERR_CERT_OPTION);
    ASSERT_ERR(cert_check_extension(""), MESHCA_ERR_CERT_OPTION);
}

TEST(test_cert_rejects_empty_principals)
{
    struct cert_request req;

    default_request(&req, sub(SUB_ED25519));
    req.nprincipals = 0;
    ASSERT_SIGN_ERR(&req, MESHCA_ERR_CERT_NO_PRINCIPALS);
}

TEST(test_cert_principal_count_limit_and_syntax)
{
    static const char *bad_names[] = { "", "a b", "a,b", "tab\there",
        "nl\n" };
    const char *many[257], *one[1];
    char names[257][8];
    struct cert_request req;
    struct cert *c = NULL;
    size_t i;

    for (i = 0; i < 257; i++) {
        snprintf(names[i], sizeof(names[i]), "p%zu", i);
        many[i] = names[i];
    }
    default_request(&req, sub(SUB_ED25519));
    req.principals = many;
    req.nprincipals = 257;
    ASSERT_SIGN_ERR(&req, MESHCA_ERR_CERT_TOO_MANY_PRINCIPALS);
    req.nprincipals = 256;
    c = sign_ok(&req, ca(CA_ED25519));
    ASSERT_INT_EQ(c->nprincipals, 256);
    ASSERT_STR_EQ(c->principals[255], "p255");
    cert_free(c);
    c = NULL;
    req.principals = one;
    req.nprincipals = 1;
    for (i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
        one[0] = bad_names[i];
        ASSERT_SIGN_ERR(&req, MESHCA_ERR_CERT_PRINCIPAL);
    }
}

TEST(test_cert_rejects_bad_validity_and_applies_backdate)
{
    struct cert_request req;
    struct cert *c = NULL;

    default_request(&req, sub(SUB_ED25519));
    req.valid_before = req.valid_after;
    ASSERT_SIGN_ERR(&req, MESHCA_ERR_CERT_VALIDITY);
    req.valid_before = req.valid_after - 1;
    ASSERT_SIGN_ERR(&req, MESHCA_ERR_CERT_VALIDITY);
    req.valid_after = 100;
    req.valid_before = 200;
    req.backdate = 30;
    c = sign_ok(&req, ca(CA_ED25519));
    ASSERT_U64_EQ(c->valid_after, 70);
    cert_free(c);
    /* Backdating saturates at 0 rather than wrapping. */
    req.backdate = 1000;
    c = sign_ok(&req, ca(CA_ED25519));
    ASSERT_U64_EQ(c->valid_after, 0);
    cert_free(c);
    req.valid_before = CERT_VALID_FOREVER;
    c = sign_ok(&req, ca(CA_ED25519));
    ASSERT_U64_EQ(c->valid_before, UINT64_MAX);
    cert_free(c);
}

TEST(test_cert_rejects_bad_key_id)
{
    struct cert_request req;
    struct cert *c = NULL;
    char *longid;

    default_request(&req, sub(SUB_ED25519));
    req.key_id = "";
    ASSERT_SIGN_ERR(&req, MESHCA_ERR_CERT_KEY_ID);
    req.key_id = NULL;
    ASSERT_SIGN_ERR(&req, MESHCA_ERR_CERT_KEY_ID);
    req.key_id = "alice\nbob";
    ASSERT_SIGN_ERR(&req, MESHCA_ERR_CERT_KEY_ID);
    ASSERT((longid = malloc(CERT_KEY_ID_MAX + 2)) != NULL);
    memset(longid, 'a', CERT_KEY_ID_MAX + 1);
    longid[CERT_KEY_ID_MAX + 1] = '\0';
    req.key_id = longid;
    ASSERT_SIGN_ERR(&req, MESHCA_ERR_CERT_KEY_ID);
    longid[CERT_KEY_ID_MAX] = '\0';
    c = sign_ok(&req, ca(CA_ED25519));
    ASSERT_INT_EQ(strlen(c->key_id), CERT_KEY_ID_MAX);
    cert_free(c);
    free(longid);
}

TEST(test_cert_source_address_follows_sshd_cidr_rules)
{
    static const char *const good[] = { "127.0.0.1", "10.0.0.0/8",
        "0.0.0.0/0", "192.168.1.0/24,10.0.0.0/8", "::1", "2001:db8::/32",
        "::/0", "::ffff:10.0.0.1", "10.1.2.3/32", "FE80::/10" };
    static const char *const bad[] = { "", ",", "10.0.0.0/8,", ",10.0.0.0/8",
        "10.0.0.1/8", "10.0.0.0/33", "::/129", "2001:db8::1/32",
        "10.0.0.0 /8", "10.0.0.0/8, 127.0.0.1", "abc", "10.0.0", "10.0.0.0/",
        "10.0.0.0/8/8", "1.2.3.4/1234", "localhost", "10.0.0.0/-1",
        "1.2.3.4.5", "fe80::1%eth0", "::1::2" };
    struct cert_request req;
    size_t i;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (cert_check_source_address(good[i]) != 0)
            unit_fail(__FILE__, __LINE__, "refused \"%s\"", good[i]);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (cert_check_source_address(bad[i]) != MESHCA_ERR_CERT_CIDR)
            unit_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
    }
    ASSERT_ERR(cert_check_source_address(NULL), MESHCA_ERR_CERT_CIDR);
    default_request(&req, sub(SUB_ED25519));
    req.source_address = "10.0.0.1/8";
    ASSERT_SIGN_ERR(&req, MESHCA_ERR_CERT_CIDR);
}

TEST(test_cert_rejects_bad_force_command)
{
    struct cert_request req;

    default_request(&req, sub(SUB_ED25519));
    req.force_command = "";
    ASSERT_SIGN_ERR(&req, MESHCA_ERR_CERT_OPTION);
    req.force_command = "ls\nrm -rf /";
    ASSERT_SIGN_ERR(&req, MESHCA_ERR_CERT_OPTION);
}

/* A set of two new Ed25519 keys: active, next. */
static struct cakey_set *
make_set(void)
{
    struct cakey *keys[2] = { NULL, NULL };
    enum cakey_state states[2] = { CAKEY_ACTIVE, CAKEY_NEXT };
    struct cakey_set *set = NULL;
    int i;

    for (i = 0; i < 2; i++)
        ASSERT_OK(cakey_new(CAKEY_ED25519, &keys[i]));
    ASSERT_OK(cakey_set_from_keys(keys, states, 2, &set));
    return set;
}

TEST(test_cert_refuses_to_certify_ca_keys)
{
    struct cakey_set *set = make_set();
    const struct cakey *next = cakey_set_get(set, 1, NULL);
    struct cert_request req;
    struct cert *c = NULL;

    default_request(&req, cakey_public(cakey_set_active(set)));
    ASSERT_ERR(cert_sign(&req, set, &c), MESHCA_ERR_CERT_CERTIFY_CA);
    req.key = cakey_public(next);
    ASSERT_ERR(cert_sign(&req, set, &c), MESHCA_ERR_CERT_CERTIFY_CA);
    req.key = cakey_public(ca(CA_P256));
    ASSERT_ERR(cert_sign_with(&req, ca(CA_P256), &c),
        MESHCA_ERR_CERT_CERTIFY_CA);
    ASSERT(c == NULL);
    /* Another CA's key is just a key to this one. */
    c = sign_ok(&req, ca(CA_ED25519));
    cert_free(c);
    cakey_set_free(set);
}

TEST(test_cert_sign_uses_active_key_of_set)
{
    struct cakey_set *set = make_set();
    struct cert_request req;
    struct cert *c = NULL, *p;
    const uint8_t *cablob;
    size_t calen;

    default_request(&req, sub(SUB_P256));
    ASSERT_OK(cert_sign(&req, set, &c));
    ASSERT(meshca_key_equal(c->ca_key, cakey_public(cakey_set_active(set))));
    p = reparse(c);
    cablob = meshca_key_blob(p->ca_key, &calen);
    ASSERT(cakey_set_find(set, cablob, calen) == cakey_set_active(set));
    cert_free(p);
    cert_free(c);
    cakey_set_free(set);
}

TEST(test_cert_parse_rejects_tampering_and_trailing_data)
{
    struct cert_request req;
    struct cert *c, *p = NULL;
    uint8_t *copy;
    size_t len, pos;

    default_request(&req, sub(SUB_ED25519));
    c = sign_ok(&req, ca(CA_P256));
    len = c->blob_len;
    ASSERT((copy = malloc(len + 1)) != NULL);
    /* A byte of the signature, of the key id, of the nonce. */
    memcpy(copy, c->blob, len);
    copy[len - 3] ^= 0x01;
    ASSERT_ERR(cert_from_blob(copy, len, &p), MESHCA_ERR_CERT_SIGNATURE);
    memcpy(copy, c->blob, len);
    pos = (size_t)((const uint8_t *)memmem(c->blob, len, "alice", 5) -
        c->blob);
    copy[pos] = 'A';
    ASSERT_ERR(cert_from_blob(copy, len, &p), MESHCA_ERR_CERT_SIGNATURE);
    memcpy(copy, c->blob, len);
    copy[40] ^= 0x80;
    ASSERT_ERR(cert_from_blob(copy, len, &p), MESHCA_ERR_CERT_SIGNATURE);
    /* One byte more, one byte less. */
    memcpy(copy, c->blob, len);
    copy[len] = 0;
    ASSERT_ERR(cert_from_blob(copy, len + 1, &p), MESHCA_ERR_TRAILING_DATA);
    ASSERT_ERR(cert_from_blob(copy, len - 1, &p),
        MESHCA_ERR_MESSAGE_INCOMPLETE);
    ASSERT(p == NULL);
    free(copy);
    cert_free(c);
}

/* Re-encodes base with pieces replaced, signed by k: for certificates
 * meshca would never make. */
struct mods {
    const char *type_name;
    uint32_t type;
    uint64_t after, before;
    struct meshca_buf *principals, *options, *extensions;
};

static void
put_pairs(struct meshca_buf *b, const struct cert_option *o, size_t n)
{
    struct meshca_buf *list = meshca_buf_new(65536);
    size_t i;

    ASSERT(list != NULL);
    for (i = 0; i < n; i++) {
        ASSERT_OK(meshca_buf_put_cstring(list, o[i].name));
        ASSERT_OK(meshca_buf_put_string(list, o[i].data, o[i].len));
    }
    ASSERT_OK(meshca_buf_put_stringb(b, list));
    meshca_buf_free(list);
}

static struct meshca_buf *
craft(const struct cakey *k, const struct cert *base, const struct mods *m)
{
    struct meshca_buf *b = meshca_buf_new(CERT_BLOB_MAX), *list = meshca_buf_new(65536);
    struct meshca_buf *sig = meshca_buf_new(4096);
    const uint8_t *cablob;
    size_t calen, i;

    ASSERT(b != NULL && list != NULL && sig != NULL);
    ASSERT_OK(meshca_buf_put_cstring(b, m->type_name ? m->type_name :
        base->type_name));
    ASSERT_OK(meshca_buf_put_string(b, base->nonce, base->nonce_len));
    ASSERT_OK(meshca_key_put_fields(base->key, b));
    ASSERT_OK(meshca_buf_put_u64(b, base->serial));
    ASSERT_OK(meshca_buf_put_u32(b, m->type ? m->type : base->type));
    ASSERT_OK(meshca_buf_put_cstring(b, base->key_id));
    if (m->principals != NULL)
        ASSERT_OK(meshca_buf_put_stringb(b, m->principals));
    else {
        for (i = 0; i < base->nprincipals; i++)
            ASSERT_OK(meshca_buf_put_cstring(list, base->principals[i]));
        ASSERT_OK(meshca_buf_put_stringb(b, list));
    }
    ASSERT_OK(meshca_buf_put_u64(b, m->after ? m->after : base->valid_after));
    ASSERT_OK(meshca_buf_put_u64(b, m->before ? m->before : base->valid_before));
    if (m->options != NULL)
        ASSERT_OK(meshca_buf_put_stringb(b, m->options));
    else
        put_pairs(b, base->options, base->noptions);
    if (m->extensions != NULL)
        ASSERT_OK(meshca_buf_put_stringb(b, m->extensions));
    else
        put_pairs(b, base->extensions, base->nextensions);
    ASSERT_OK(meshca_buf_put_string(b, NULL, 0));
    cablob = meshca_key_blob(cakey_public(k), &calen);
    ASSERT_OK(meshca_buf_put_string(b, cablob, calen));
    ASSERT_OK(cakey_sign(k, meshca_buf_ptr(b), meshca_buf_len(b), sig));
    ASSERT_OK(meshca_buf_put_stringb(b, sig));
    meshca_buf_free(list);
    meshca_buf_free(sig);
    return b;
}

static int
parse_err(struct meshca_buf *b)
{
    struct cert *c = NULL;
    int r = cert_from_blob(meshca_buf_ptr(b), meshca_buf_len(b), &c);

    if (r == 0)
        cert_free(c);
    else
        ASSERT(c == NULL);
    meshca_buf_free(b);
    return r;
}

static struct meshca_buf *
pairs(const char *n1, const char *n2)
{
    struct meshca_buf *b = meshca_buf_new(1024);

    ASSERT(b != NULL);
    ASSERT_OK(meshca_buf_put_cstring(b, n1));
    ASSERT_OK(meshca_buf_put_string(b, NULL, 0));
    ASSERT_OK(meshca_buf_put_cstring(b, n2));
    ASSERT_OK(meshca_buf_put_string(b, NULL, 0));
    return b;
}

TEST(test_cert_parse_rejects_unsorted_or_repeated_options)
{
    static const struct {
        int extensions; /* the pair is the extensions, else the options */
        const char *n1, *n2;
        int want;
    } cases[] = {
        { 1, "permit-pty", "permit-agent-forwarding",
            MESHCA_ERR_CERT_NOT_SORTED },
        { 1, "permit-pty", "permit-pty", MESHCA_ERR_CERT_NOT_SORTED },
        { 0, "verify-required", "force-command", MESHCA_ERR_CERT_NOT_SORTED },
        /* force-command without a string value. */
        { 0, "force-command", "source-addressx", MESHCA_ERR_CERT_OPTION },
    };
    struct cert_request req;
    struct mods m;
    struct cert *base;
    struct meshca_buf *l;
    size_t i;
    int r;

    default_request(&req, sub(SUB_ED25519));
    base = sign_ok(&req, ca(CA_ED25519));
    /* Control: a faithful re-encoding parses. */
    memset(&m, 0, sizeof(m));
    ASSERT_OK(parse_err(craft(ca(CA_ED25519), base, &m)));
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&m, 0, sizeof(m));
        l = pairs(cases[i].n1, cases[i].n2);
        if (cases[i].extensions)
            m.extensions = l;
        else
            m.options = l;
        if ((r = parse_err(craft(ca(CA_ED25519), base, &m))) != cases[i].want)
            unit_fail(__FILE__, __LINE__, "%s \"%s\", \"%s\": %d, expected %d",
                cases[i].extensions ? "extensions" : "options", cases[i].n1,
                cases[i].n2, r, cases[i].want);
        meshca_buf_free(l);
    }
    cert_free(base);
}

TEST(test_cert_parse_rejects_host_type_no_principals_and_bad_window)
{
    struct cert_request req;
    struct mods m;
    struct cert *base;
    struct meshca_buf *empty = meshca_buf_new(16), *badp = meshca_buf_new(64);

    ASSERT(empty != NULL && badp != NULL);
    default_request(&req, sub(SUB_P384));
    base = sign_ok(&req, ca(CA_RSA3072));
    memset(&m, 0, sizeof(m));
    m.type = 2;
    ASSERT_ERR(parse_err(craft(ca(CA_RSA3072), base, &m)),
        MESHCA_ERR_CERT_TYPE);
    memset(&m, 0, sizeof(m));
    m.principals = empty;
    ASSERT_ERR(parse_err(craft(ca(CA_RSA3072), base, &m)),
        MESHCA_ERR_CERT_NO_PRINCIPALS);
    ASSERT_OK(meshca_buf_put_cstring(badp, "has space"));
    m.principals = badp;
    ASSERT_ERR(parse_err(craft(ca(CA_RSA3072), base, &m)),
        MESHCA_ERR_CERT_PRINCIPAL);
    memset(&m, 0, sizeof(m));
    m.after = 500;
    m.before = 400;
    ASSERT_ERR(parse_err(craft(ca(CA_RSA3072), base, &m)),
        MESHCA_ERR_CERT_VALIDITY);
    memset(&m, 0, sizeof(m));
    m.type_name = "ssh-ed25519-cert-v01@openssh.com"; /* P-384 fields */
    ASSERT(parse_err(craft(ca(CA_RSA3072), base, &m)) != 0);
    m.type_name = "ssh-dss-cert-v01@openssh.com";
    ASSERT_ERR(parse_err(craft(ca(CA_RSA3072), base, &m)),
        MESHCA_ERR_CERT_TYPE);
    meshca_buf_free(empty);
    meshca_buf_free(badp);
    cert_free(base);
}

/* Runs ssh-keygen; returns the first line of FILE. */
static char *
read_line(const char *dir, const char *name)
{
    char path[512];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return unit_read_file(path, NULL);
}

TEST(test_cert_parse_reads_ssh_keygen_certificates)
{
    const char *dir = unit_tmpdir();
    struct cert *c = NULL;
    struct meshca_key *ca_pub = NULL;
    char *line, *capub;

    ASSERT_INT_EQ(unit_sh("cd %s && ssh-keygen -q -t ed25519 -N '' -f ca && "
                          "ssh-keygen -q -t rsa -b 3072 -N '' -f rca && "
                          "ssh-keygen -q -t ecdsa -N '' -f user && "
                          "ssh-keygen -q -s ca -I 'bob key' -z 77 -n a,b/c "
                          "-V 20300101:20300102 -O clear -O permit-pty "
                          "-O force-command=/bin/date "
                          "-O source-address=10.0.0.0/8 user.pub", dir), 0);
    line = read_line(dir, "user-cert.pub");
    ASSERT_OK(cert_from_line(line, &c));
    ASSERT_STR_EQ(c->type_name, "ecdsa-sha2-nistp256-cert-v01@openssh.com");
    ASSERT_STR_EQ(c->key_id, "bob key");
    ASSERT_U64_EQ(c->serial, 77);
    ASSERT_INT_EQ(c->nprincipals, 2);
    ASSERT_STR_EQ(c->principals[1], "b/c");
    ASSERT(c->valid_before - c->valid_after == 86400);
    ASSERT_STR_EQ(cert_find_option(c, "force-command")->value, "/bin/date");
    ASSERT_STR_EQ(cert_find_option(c, "source-address")->value, "10.0.0.0/8");
    ASSERT_INT_EQ(c->nextensions, 1);
    ASSERT_STR_EQ(c->extensions[0].name, "permit-pty");
    capub = read_line(dir, "ca.pub");
    ASSERT_OK(meshca_key_from_line(capub, &ca_pub));
    ASSERT(meshca_key_equal(c->ca_key, ca_pub));
    free(line);
    free(capub);
    meshca_key_free(ca_pub);
    cert_free(c);
    c = NULL;
    /* RSA CA with SHA-2 signatures: accepted; with SHA-1: refused. */
    ASSERT_INT_EQ(unit_sh("cd %s && ssh-keygen -q -s rca -t rsa-sha2-256 -I x "
                          "-n a user.pub", dir), 0);
    line = read_line(dir, "user-cert.pub");
    ASSERT_OK(cert_from_line(line, &c));
    ASSERT_STR_EQ(c->sig_alg, "rsa-sha2-256");
    cert_free(c);
    c = NULL;
    free(line);
    ASSERT_INT_EQ(unit_sh("cd %s && ssh-keygen -q -s rca -t ssh-rsa -I x "
                          "-n a user.pub", dir), 0);
    line = read_line(dir, "user-cert.pub");
    ASSERT_ERR(cert_from_line(line, &c), MESHCA_ERR_CERT_SIGNATURE);
    free(line);
    /* Host certificates are not user certificates. */
    ASSERT_INT_EQ(unit_sh("cd %s && ssh-keygen -q -s ca -h -I host -n h "
                          "user.pub", dir), 0);
    line = read_line(dir, "user-cert.pub");
    ASSERT_ERR(cert_from_line(line, &c), MESHCA_ERR_CERT_TYPE);
    free(line);
    ASSERT(c == NULL);
}

TEST(test_cert_line_type_must_match_blob)
{
    struct cert_request req;
    struct cert *c, *p = NULL;
    char *line, *b64, bad[4096];
    struct meshca_key *k;

    default_request(&req, sub(SUB_ED25519));
    c = sign_ok(&req, ca(CA_ED25519));
    ASSERT_OK(cert_to_line(c, NULL, &line));
    b64 = strchr(line, ' ') + 1;
    snprintf(bad, sizeof(bad), "ssh-rsa-cert-v01@openssh.com %s", b64);
    ASSERT_ERR(cert_from_line(bad, &p), MESHCA_ERR_KEY_TYPE_MISMATCH);
    snprintf(bad, sizeof(bad), "ssh-ed25519 %s", b64);
    ASSERT_ERR(cert_from_line(bad, &p), MESHCA_ERR_CERT_TYPE);
    ASSERT_ERR(cert_from_line("", &p), MESHCA_ERR_INVALID_FORMAT);
    ASSERT(p == NULL);
    free(line);
    /* A plain key blob is not a certificate. */
    ASSERT_OK(meshca_key_to_line(sub(SUB_ED25519), NULL, &line));
    ASSERT_ERR(cert_from_line(line, &p), MESHCA_ERR_CERT_TYPE);
    ASSERT_OK(meshca_key_from_line(line, &k));
    meshca_key_free(k);
    free(line);
    cert_free(c);
}

TEST(test_cert_line_comment_checked_like_a_key_comment)
{
    struct cert_request req;
    struct cert *c, *p = NULL;
    struct meshca_key *k = NULL;
    char *line, *kline, bad[4096];

    default_request(&req, sub(SUB_ED25519));
    c = sign_ok(&req, ca(CA_ED25519));
    ASSERT_OK(cert_to_line(c, NULL, &line));
    ASSERT_OK(meshca_key_to_line(sub(SUB_ED25519), NULL, &kline));
    /* A tab is allowed, other control characters are not: the same rule
     * for both kinds of line. */
    snprintf(bad, sizeof(bad), "%s alice\tlaptop", line);
    ASSERT_OK(cert_from_line(bad, &p));
    cert_free(p);
    p = NULL;
    snprintf(bad, sizeof(bad), "%s alice\tlaptop", kline);
    ASSERT_OK(meshca_key_from_line(bad, &k));
    meshca_key_free(k);
    k = NULL;
    snprintf(bad, sizeof(bad), "%s alice\001", line);
    ASSERT_ERR(cert_from_line(bad, &p), MESHCA_ERR_INVALID_FORMAT);
    snprintf(bad, sizeof(bad), "%s alice\001", kline);
    ASSERT_ERR(meshca_key_from_line(bad, &k), MESHCA_ERR_INVALID_FORMAT);
    ASSERT(p == NULL && k == NULL);
    free(kline);
    free(line);
    cert_free(c);
}

TEST(test_cert_sk_certificates_read_by_ssh_keygen)
{
    const char *dir = unit_tmpdir();
    struct cert_request req;
    struct cert *c, *p;
    char path[512], *line;
    int si;

    for (si = SUB_SK_ED25519; si <= SUB_SK_ECDSA; si++) {
        default_request(&req, sub(si));
        c = sign_ok(&req, ca(CA_ED25519));
        ASSERT_STR_EQ(c->type_name, si == SUB_SK_ED25519 ?
            "sk-ssh-ed25519-cert-v01@openssh.com" :
            "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com");
        p = reparse(c);
        ASSERT_STR_EQ(meshca_key_application(p->key), "ssh:");
        cert_free(p);
        ASSERT_OK(cert_to_line(c, NULL, &line));
        snprintf(path, sizeof(path), "%s/sk%d-cert.pub", dir, si);
        unit_write_file(path, line, strlen(line));
        ASSERT_INT_EQ(unit_sh("ssh-keygen -L -f %s | grep -q 'Type: %s user "
                              "certificate'", path, c->type_name), 0);
        ASSERT_INT_EQ(unit_sh("ssh-keygen -L -f %s | grep -q 'Key ID: "
                              "\"alice@example.com\"'", path), 0);
        free(line);
        cert_free(c);
    }
}

TEST(test_cert_krl_ids_name_ca_serial_and_key_id)
{
    struct cert_request req;
    struct cert *c;
    const uint8_t *blob;
    const char *id;
    size_t len, calen;
    uint64_t serial;

    default_request(&req, sub(SUB_RSA2048));
    req.serial = 9001;
    c = sign_ok(&req, ca(CA_P384));
    cert_krl_ids(c, &blob, &len, &serial, &id);
    ASSERT_U64_EQ(serial, 9001);
    ASSERT_STR_EQ(id, "alice@example.com");
    ASSERT_INT_EQ(len, (meshca_key_blob(cakey_public(ca(CA_P384)), &calen), calen));
    ASSERT_MEM_EQ(blob, meshca_key_blob(cakey_public(ca(CA_P384)), NULL), len);
    cert_krl_ids(c, NULL, NULL, NULL, NULL);
    cert_free(c);
}

struct sign_job {
    const struct cakey_set *set;
    const struct meshca_key *key;
    int failures;
};

static void *
sign_many(void *arg)
{
    struct sign_job *job = arg;
    struct cert_request req;
    struct cert *c, *p;
    uint64_t now = (uint64_t)time(NULL);
    int i;

    memset(&req, 0, sizeof(req));
    req.key = job->key;
    req.key_id = "thread";
    req.principals = default_principals;
    req.nprincipals = 1;
    req.valid_after = now;
    req.valid_before = now + 60;
    for (i = 0; i < 100; i++) {
        c = p = NULL;
        if (cert_sign(&req, job->set, &c) != 0 ||
            cert_from_blob(c->blob, c->blob_len, &p) != 0)
            job->failures++;
        cert_free(c);
        cert_free(p);
    }
    return NULL;
}

TEST(test_cert_sign_is_thread_safe_on_a_shared_set)
{
    struct cakey_set *set = make_set();
    struct sign_job jobs[4];
    int i;

    for (i = 0; i < 4; i++) {
        jobs[i].set = set;
        jobs[i].key = sub(i % 2 ? SUB_ED25519 : SUB_P256);
        jobs[i].failures = 0;
    }
    unit_run_threads(sign_many, jobs, sizeof(jobs[0]), 4);
    for (i = 0; i < 4; i++)
        ASSERT_INT_EQ(jobs[i].failures, 0);
    cakey_set_free(set);
}

UNIT_MAIN(T(test_cert_roundtrip_every_ca_and_subject_type),
    T(test_cert_serial_random_nonzero_below_2_63_and_nonce_32_bytes),
    T(test_cert_given_serial_kept_and_out_of_range_refused),
    T(test_cert_extensions_sorted_and_duplicates_refused),
    T(test_cert_rejects_unknown_extension_allows_vendor),
    T(test_cert_rejects_empty_principals),
    T(test_cert_principal_count_limit_and_syntax),
    T(test_cert_rejects_bad_validity_and_applies_backdate),
    T(test_cert_rejects_bad_key_id),
    T(test_cert_source_address_follows_sshd_cidr_rules),
    T(test_cert_rejects_bad_force_command),
    T(test_cert_refuses_to_certify_ca_keys),
    T(test_cert_sign_uses_active_key_of_set),
    T(test_cert_parse_rejects_tampering_and_trailing_data),
    T(test_cert_parse_rejects_unsorted_or_repeated_options),
    T(test_cert_parse_rejects_host_type_no_principals_and_bad_window),
    T(test_cert_parse_reads_ssh_keygen_certificates),
    T(test_cert_line_type_must_match_blob),
    T(test_cert_line_comment_checked_like_a_key_comment),
    T(test_cert_sk_certificates_read_by_ssh_keygen),
    T(test_cert_krl_ids_name_ca_serial_and_key_id),
    T(test_cert_sign_is_thread_safe_on_a_shared_set))
