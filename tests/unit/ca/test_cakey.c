/* Unit tests for ca/cakey.c: generation, PEM text, signatures, key sets;
 * and, as the CA key tests always did, the files meshcad keeps them in
 * (api/cakeyfile.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "meshca/buf.h"
#include "meshca/cakey.h"
#include "../../../api/cakeyfile.h"
#include "../../../api/meshcad_err.h"
#include "../../lib/unit.h"

static const char *
path_in(const char *name)
{
    static char paths[8][512];
    static int next;
    char *p = paths[next++ % 8];

    snprintf(p, sizeof(paths[0]), "%s/%s", unit_tmpdir(), name);
    return p;
}

static struct cakey *
gen(enum cakey_kind kind, const char *name)
{
    struct cakey *k = NULL;

    ASSERT_OK(cakeyfile_generate(kind, path_in(name), &k));
    ASSERT(k != NULL);
    return k;
}

/* Splits an SSH signature blob into algorithm name and signature bytes. */
static void
split_sig(struct meshca_buf *sig, char **algp, uint8_t **sp, size_t *slenp)
{
    struct meshca_buf *copy = meshca_buf_from(meshca_buf_ptr(sig), meshca_buf_len(sig));

    ASSERT(copy != NULL);
    ASSERT_OK(meshca_buf_get_cstring(copy, algp, NULL));
    ASSERT_OK(meshca_buf_get_string(copy, sp, slenp));
    ASSERT_INT_EQ(meshca_buf_len(copy), 0);
    meshca_buf_free(copy);
}

TEST(test_cakey_generate_writes_0600_pkcs8_and_loads_back)
{
    static const struct {
        enum cakey_kind kind;
        const char *name;
        enum key_type type;
    } cases[] = {
        { CAKEY_ED25519, "ed25519", KEY_ED25519 },
        { CAKEY_ECDSA_P256, "ecdsa-p256", KEY_ECDSA_P256 },
        { CAKEY_ECDSA_P384, "ecdsa-p384", KEY_ECDSA_P384 },
        { CAKEY_RSA_3072, "rsa-3072", KEY_RSA },
    };
    struct cakey *k, *k2;
    enum cakey_kind kind;
    struct stat st;
    const char *p;
    char *pem;
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ASSERT_OK(cakey_kind_from_name(cases[i].name, &kind));
        ASSERT_INT_EQ(kind, cases[i].kind);
        p = path_in(cases[i].name);
        ASSERT_OK(cakeyfile_generate(kind, p, &k));
        ASSERT_INT_EQ(stat(p, &st), 0);
        ASSERT_INT_EQ(st.st_mode & 0777, 0600);
        pem = unit_read_file(p, NULL);
        ASSERT(strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
        free(pem);
        ASSERT_INT_EQ(meshca_key_type(cakey_public(k)), cases[i].type);
        ASSERT_OK(cakeyfile_load(p, &k2));
        ASSERT(meshca_key_equal(cakey_public(k), cakey_public(k2)));
        /* openssl itself reads it as an unencrypted PKCS#8 key. */
        ASSERT_INT_EQ(unit_sh("openssl pkey -in %s -noout 2>/dev/null", p), 0);
        cakey_free(k);
        cakey_free(k2);
    }
    ASSERT_ERR(cakey_kind_from_name("rsa-2048", &kind),
        MESHCA_ERR_KEY_TYPE_UNKNOWN);
    ASSERT_ERR(cakey_kind_from_name("dsa", &kind), MESHCA_ERR_KEY_TYPE_UNKNOWN);
}

TEST(test_cakey_pem_text_roundtrips_without_files)
{
    struct cakey *k = NULL, *k2 = NULL;
    BIO *mem = BIO_new(BIO_s_mem());
    char *pem, *big;
    long len;

    ASSERT(mem != NULL);
    ASSERT_OK(cakey_new(CAKEY_ECDSA_P256, &k));
    ASSERT_OK(cakey_write_pem(k, mem));
    len = BIO_get_mem_data(mem, &pem);
    ASSERT(len > 28 && strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
    ASSERT_OK(cakey_from_pem(pem, (size_t)len, &k2));
    ASSERT(meshca_key_equal(cakey_public(k), cakey_public(k2)));
    cakey_free(k2);
    k2 = NULL;
    ASSERT_ERR(cakey_from_pem("not a key\n", 10, &k2),
        MESHCA_ERR_KEY_NOT_PRIVATE);
    ASSERT_ERR(cakey_from_pem("", 0, &k2), MESHCA_ERR_KEY_NOT_PRIVATE);
    big = calloc(1, CAKEY_PEM_MAX);
    ASSERT(big != NULL);
    memcpy(big, pem, (size_t)len);
    ASSERT_ERR(cakey_from_pem(big, CAKEY_PEM_MAX, &k2),
        MESHCA_ERR_KEY_NOT_PRIVATE);
    ASSERT(k2 == NULL);
    ASSERT_ERR(cakey_new((enum cakey_kind)99, &k2),
        MESHCA_ERR_INVALID_ARGUMENT);
    free(big);
    BIO_free(mem);
    cakey_free(k);
}

TEST(test_cakey_generate_refuses_to_overwrite)
{
    const char *p = path_in("ca.pem");
    char *before, *after;

    cakey_free(gen(CAKEY_ED25519, "ca.pem"));
    before = unit_read_file(p, NULL);
    errno = 0;
    ASSERT_ERR(cakeyfile_generate(CAKEY_ED25519, p, NULL), MESHCA_ERR_SYSTEM);
    ASSERT_INT_EQ(errno, EEXIST);
    after = unit_read_file(p, NULL);
    ASSERT_STR_EQ(after, before);
    free(before);
    free(after);
}

TEST(test_cakey_load_refuses_group_or_world_access)
{
    const char *p = path_in("ca.pem");
    struct cakey *k = NULL;

    cakey_free(gen(CAKEY_ED25519, "ca.pem"));
    ASSERT_INT_EQ(chmod(p, 0640), 0);
    ASSERT_ERR(cakeyfile_load(p, &k), MESHCA_ERR_KEY_FILE_PERMISSIONS);
    ASSERT(k == NULL);
    ASSERT_INT_EQ(chmod(p, 0604), 0);
    ASSERT_ERR(cakeyfile_load(p, &k), MESHCA_ERR_KEY_FILE_PERMISSIONS);
    ASSERT_INT_EQ(chmod(p, 0400), 0);
    ASSERT_OK(cakeyfile_load(p, &k));
    cakey_free(k);
    errno = 0;
    ASSERT_ERR(cakeyfile_load(path_in("missing.pem"), &k), MESHCA_ERR_SYSTEM);
    ASSERT_INT_EQ(errno, ENOENT);
}

/* Makes NAME in the test directory with "openssl genpkey ARGS", mode 0600;
 * its path in p. */
static void
genpkey_file(char *p, size_t plen, const char *name, const char *args)
{
    snprintf(p, plen, "%s/%s", unit_tmpdir(), name);
    ASSERT_INT_EQ(unit_sh("openssl genpkey %s -out %s 2>/dev/null && chmod "
                          "600 %s", args, p, p), 0);
}

TEST(test_cakey_load_refuses_what_is_not_a_private_key)
{
    const char *dir = unit_tmpdir();
    struct cakey *k = NULL;
    char p[512];

    /* A public key PEM. */
    ASSERT_INT_EQ(unit_sh("openssl genpkey -algorithm ed25519 -out %s/priv.pem "
                          "2>/dev/null && openssl pkey -in %s/priv.pem -pubout "
                          "-out %s/pub.pem && chmod 600 %s/pub.pem",
                      dir, dir, dir, dir), 0);
    snprintf(p, sizeof(p), "%s/pub.pem", dir);
    ASSERT_ERR(cakeyfile_load(p, &k), MESHCA_ERR_KEY_NOT_PRIVATE);
    /* An OpenSSH-format private key (OpenSSL cannot read it). */
    ASSERT_INT_EQ(unit_sh("ssh-keygen -q -t ed25519 -N '' -f %s/ossh "
                          ">/dev/null 2>&1", dir), 0);
    snprintf(p, sizeof(p), "%s/ossh", dir);
    ASSERT_ERR(cakeyfile_load(p, &k), MESHCA_ERR_KEY_NOT_PRIVATE);
    /* An encrypted key: refused without prompting. */
    genpkey_file(p, sizeof(p), "enc.pem",
        "-algorithm ed25519 -aes256 -pass pass:secret");
    ASSERT_ERR(cakeyfile_load(p, &k), MESHCA_ERR_KEY_NOT_PRIVATE);
    /* Garbage, and an empty file. */
    snprintf(p, sizeof(p), "%s/junk.pem", dir);
    unit_write_file(p, "not a key\n", 10);
    ASSERT_INT_EQ(chmod(p, 0600), 0);
    ASSERT_ERR(cakeyfile_load(p, &k), MESHCA_ERR_KEY_NOT_PRIVATE);
    unit_write_file(p, "", 0);
    ASSERT_ERR(cakeyfile_load(p, &k), MESHCA_ERR_KEY_NOT_PRIVATE);
    /* A directory. */
    ASSERT_ERR(cakeyfile_load(dir, &k), MESHCA_ERR_KEY_NOT_PRIVATE);
    ASSERT(k == NULL);
}

TEST(test_cakey_load_refuses_weak_key_types)
{
    struct cakey *k = NULL;
    char p[512];

    genpkey_file(p, sizeof(p), "rsa1024.pem",
        "-algorithm RSA -pkeyopt rsa_keygen_bits:1024");
    ASSERT_ERR(cakeyfile_load(p, &k), MESHCA_ERR_KEY_TOO_SMALL);
    genpkey_file(p, sizeof(p), "ed448.pem", "-algorithm ed448");
    ASSERT_ERR(cakeyfile_load(p, &k), MESHCA_ERR_KEY_TYPE_UNKNOWN);
    ASSERT(k == NULL);
}

TEST(test_cakey_sign_formats_and_verifies_for_every_kind)
{
    static const struct {
        enum cakey_kind kind;
        const char *alg;
    } cases[] = {
        { CAKEY_ED25519, "ssh-ed25519" },
        { CAKEY_ECDSA_P256, "ecdsa-sha2-nistp256" },
        { CAKEY_ECDSA_P384, "ecdsa-sha2-nistp384" },
        { CAKEY_RSA_3072, "rsa-sha2-512" },
    };
    const char msg[] = "data to be signed";
    struct cakey *k, *other;
    struct meshca_buf *sig, *inner;
    char name[32], *alg;
    uint8_t *s, *tampered;
    size_t slen, i;

    other = gen(CAKEY_ED25519, "other.pem");
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(name, sizeof(name), "k%zu.pem", i);
        k = gen(cases[i].kind, name);
        ASSERT_STR_EQ(cakey_sig_alg(k), cases[i].alg);
        ASSERT((sig = meshca_buf_new(4096)) != NULL);
        ASSERT_OK(cakey_sign(k, msg, sizeof(msg), sig));
        split_sig(sig, &alg, &s, &slen);
        ASSERT_STR_EQ(alg, cases[i].alg);
        if (cases[i].kind == CAKEY_ED25519)
            ASSERT_INT_EQ(slen, 64);
        else if (cases[i].kind == CAKEY_RSA_3072)
            ASSERT_INT_EQ(slen, 384);
        else {
            /* string(mpint r, mpint s), nothing else. */
            ASSERT((inner = meshca_buf_from(s, slen)) != NULL);
            ASSERT_OK(meshca_buf_get_bignum2_bytes_direct(inner, NULL, NULL));
            ASSERT_OK(meshca_buf_get_bignum2_bytes_direct(inner, NULL, NULL));
            ASSERT_INT_EQ(meshca_buf_len(inner), 0);
            meshca_buf_free(inner);
        }
        ASSERT_OK(cakey_verify(cakey_public(k), meshca_buf_ptr(sig), meshca_buf_len(sig),
            msg, sizeof(msg)));
        /* Other data, another key, a changed byte, a trailing byte. */
        ASSERT_ERR(cakey_verify(cakey_public(k), meshca_buf_ptr(sig), meshca_buf_len(sig),
            msg, sizeof(msg) - 1), MESHCA_ERR_SIGNATURE_INVALID);
        ASSERT_ERR(cakey_verify(cakey_public(other), meshca_buf_ptr(sig),
            meshca_buf_len(sig), msg, sizeof(msg)), MESHCA_ERR_SIGNATURE_INVALID);
        ASSERT((tampered = malloc(meshca_buf_len(sig) + 1)) != NULL);
        memcpy(tampered, meshca_buf_ptr(sig), meshca_buf_len(sig));
        tampered[meshca_buf_len(sig) - 5] ^= 0x10;
        ASSERT_ERR(cakey_verify(cakey_public(k), tampered, meshca_buf_len(sig), msg,
            sizeof(msg)), MESHCA_ERR_SIGNATURE_INVALID);
        memcpy(tampered, meshca_buf_ptr(sig), meshca_buf_len(sig));
        tampered[meshca_buf_len(sig)] = 0;
        ASSERT_ERR(cakey_verify(cakey_public(k), tampered, meshca_buf_len(sig) + 1,
            msg, sizeof(msg)), MESHCA_ERR_SIGNATURE_INVALID);
        free(tampered);
        free(alg);
        free(s);
        meshca_buf_free(sig);
        cakey_free(k);
    }
    cakey_free(other);
}

/* An RSA signature blob over msg with the given SSH name and digest. */
static struct meshca_buf *
rsa_sig(const char *pem, const char *sshname, const EVP_MD *md,
    const void *msg, size_t len)
{
    FILE *f = fopen(pem, "r");
    EVP_PKEY *pkey;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    uint8_t s[1024];
    size_t slen = sizeof(s);
    struct meshca_buf *b = meshca_buf_new(2048);

    ASSERT(f != NULL && ctx != NULL && b != NULL);
    ASSERT((pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL)) != NULL);
    fclose(f);
    ASSERT(EVP_DigestSignInit(ctx, NULL, md, NULL, pkey) == 1);
    ASSERT(EVP_DigestSign(ctx, s, &slen, msg, len) == 1);
    ASSERT_OK(meshca_buf_put_cstring(b, sshname));
    ASSERT_OK(meshca_buf_put_string(b, s, slen));
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pkey);
    return b;
}

TEST(test_cakey_verify_rsa_accepts_sha2_refuses_sha1_and_mislabels)
{
    const char msg[] = "hello";
    const char *p = path_in("rsa.pem");
    struct cakey *k = gen(CAKEY_RSA_3072, "rsa.pem");
    struct meshca_buf *s;

    s = rsa_sig(p, "rsa-sha2-256", EVP_sha256(), msg, sizeof(msg));
    ASSERT_OK(cakey_verify(cakey_public(k), meshca_buf_ptr(s), meshca_buf_len(s), msg,
        sizeof(msg)));
    meshca_buf_free(s);
    s = rsa_sig(p, "ssh-rsa", EVP_sha1(), msg, sizeof(msg));
    ASSERT_ERR(cakey_verify(cakey_public(k), meshca_buf_ptr(s), meshca_buf_len(s), msg,
        sizeof(msg)), MESHCA_ERR_SIGNATURE_INVALID);
    meshca_buf_free(s);
    /* A SHA-256 signature labelled rsa-sha2-512. */
    s = rsa_sig(p, "rsa-sha2-512", EVP_sha256(), msg, sizeof(msg));
    ASSERT_ERR(cakey_verify(cakey_public(k), meshca_buf_ptr(s), meshca_buf_len(s), msg,
        sizeof(msg)), MESHCA_ERR_SIGNATURE_INVALID);
    meshca_buf_free(s);
    cakey_free(k);
}

TEST(test_cakey_verify_refuses_algorithm_of_another_key_type)
{
    const char msg[] = "m";
    struct cakey *ed = gen(CAKEY_ED25519, "ed.pem");
    struct cakey *ec = gen(CAKEY_ECDSA_P384, "ec.pem");
    struct meshca_buf *sig = meshca_buf_new(4096), *relabel = meshca_buf_new(4096);
    char *alg;
    uint8_t *s;
    size_t slen;

    ASSERT(sig != NULL && relabel != NULL);
    ASSERT_OK(cakey_sign(ec, msg, sizeof(msg), sig));
    split_sig(sig, &alg, &s, &slen);
    /* A P-384 signature presented as P-256. */
    ASSERT_OK(meshca_buf_put_cstring(relabel, "ecdsa-sha2-nistp256"));
    ASSERT_OK(meshca_buf_put_string(relabel, s, slen));
    ASSERT_ERR(cakey_verify(cakey_public(ec), meshca_buf_ptr(relabel),
        meshca_buf_len(relabel), msg, sizeof(msg)), MESHCA_ERR_SIGNATURE_INVALID);
    /* Ed25519 key, ECDSA signature. */
    ASSERT_ERR(cakey_verify(cakey_public(ed), meshca_buf_ptr(sig), meshca_buf_len(sig), msg,
        sizeof(msg)), MESHCA_ERR_SIGNATURE_INVALID);
    free(alg);
    free(s);
    meshca_buf_free(sig);
    meshca_buf_free(relabel);
    cakey_free(ed);
    cakey_free(ec);
}

TEST(test_cakey_set_loads_rotation_states_and_publishes_all)
{
    struct cakeyfile_spec specs[3];
    struct cakey_set *set = NULL;
    struct cakey *a, *n, *r;
    enum cakey_state st;
    char *text, *line, *save = NULL, tpath[512];
    struct meshca_key *k;
    int lines = 0;

    a = gen(CAKEY_ED25519, "a.pem");
    n = gen(CAKEY_ECDSA_P256, "n.pem");
    r = gen(CAKEY_ED25519, "r.pem");
    /* Given out of order on purpose. */
    specs[0].path = path_in("r.pem");
    specs[0].state = CAKEY_RETIRED;
    specs[1].path = path_in("n.pem");
    specs[1].state = CAKEY_NEXT;
    specs[2].path = path_in("a.pem");
    specs[2].state = CAKEY_ACTIVE;
    ASSERT_OK(cakeyfile_load_set(specs, 3, &set));
    ASSERT_INT_EQ(cakey_set_count(set), 3);
    ASSERT(meshca_key_equal(cakey_public(cakey_set_active(set)), cakey_public(a)));
    ASSERT(cakey_set_get(set, 1, &st) != NULL);
    ASSERT_INT_EQ(st, CAKEY_NEXT);
    ASSERT(cakey_set_contains(set, cakey_public(n)));
    ASSERT(cakey_set_contains(set, cakey_public(r)));
    ASSERT_OK(cakey_set_trusted_text(set, &text));
    for (line = strtok_r(text, "\n", &save); line != NULL;
        line = strtok_r(NULL, "\n", &save)) {
        ASSERT_OK(meshca_key_from_line(line, &k));
        /* Active first, then next, then retired. */
        ASSERT(meshca_key_equal(k, cakey_public(lines == 0 ? a : lines == 1 ? n : r)));
        ASSERT_STR_EQ(meshca_key_comment(k), lines == 0 ? "meshca-ca:active" :
            lines == 1 ? "meshca-ca:next" : "meshca-ca:retired");
        meshca_key_free(k);
        lines++;
    }
    ASSERT_INT_EQ(lines, 3);
    free(text);
    /* ssh-keygen reads the whole file. */
    ASSERT_OK(cakey_set_trusted_text(set, &text));
    snprintf(tpath, sizeof(tpath), "%s/trusted", unit_tmpdir());
    unit_write_file(tpath, text, strlen(text));
    ASSERT_INT_EQ(unit_sh("test $(ssh-keygen -l -f %s | wc -l) = 3", tpath), 0);
    free(text);
    cakey_set_free(set);
    cakey_free(a);
    cakey_free(n);
    cakey_free(r);
}

TEST(test_cakey_set_needs_exactly_one_active_and_no_duplicates)
{
    struct cakeyfile_spec specs[2];
    struct cakey_set *set = NULL;

    cakey_free(gen(CAKEY_ED25519, "a.pem"));
    cakey_free(gen(CAKEY_ED25519, "b.pem"));
    specs[0].path = path_in("a.pem");
    specs[1].path = path_in("b.pem");
    specs[0].state = specs[1].state = CAKEY_ACTIVE;
    ASSERT_ERR(cakeyfile_load_set(specs, 2, &set), MESHCA_ERR_CAKEY_SET);
    specs[0].state = specs[1].state = CAKEY_NEXT;
    ASSERT_ERR(cakeyfile_load_set(specs, 2, &set), MESHCA_ERR_CAKEY_SET);
    ASSERT_ERR(cakeyfile_load_set(specs, 0, &set), MESHCA_ERR_CAKEY_SET);
    specs[0].state = CAKEY_ACTIVE;
    specs[1].path = specs[0].path;
    ASSERT_ERR(cakeyfile_load_set(specs, 2, &set), MESHCA_ERR_CAKEY_DUPLICATE);
    ASSERT(set == NULL);
    /* A bad file fails the whole set. */
    ASSERT_INT_EQ(chmod(path_in("b.pem"), 0644), 0);
    specs[1].path = path_in("b.pem");
    ASSERT_ERR(cakeyfile_load_set(specs, 2, &set), MESHCA_ERR_KEY_FILE_PERMISSIONS);
    ASSERT(set == NULL);
}

struct sign_job {
    const struct cakey *key;
    int failures;
};

static void *
sign_many(void *arg)
{
    struct sign_job *job = arg;
    struct meshca_buf *sig = meshca_buf_new(4096);
    uint8_t msg[64];
    int i;

    for (i = 0; i < 200 && sig != NULL; i++) {
        memset(msg, i, sizeof(msg));
        meshca_buf_reset(sig);
        if (cakey_sign(job->key, msg, sizeof(msg), sig) != 0 ||
            cakey_verify(cakey_public(job->key), meshca_buf_ptr(sig), meshca_buf_len(sig),
                msg, sizeof(msg)) != 0)
            job->failures++;
    }
    if (sig == NULL)
        job->failures++;
    meshca_buf_free(sig);
    return NULL;
}

TEST(test_cakey_sign_is_thread_safe_on_a_shared_key)
{
    struct cakey *keys[2];
    struct sign_job jobs[8];
    int i;

    keys[0] = gen(CAKEY_ED25519, "ed.pem");
    keys[1] = gen(CAKEY_ECDSA_P256, "ec.pem");
    for (i = 0; i < 8; i++) {
        jobs[i].key = keys[i % 2];
        jobs[i].failures = 0;
    }
    unit_run_threads(sign_many, jobs, sizeof(jobs[0]), 8);
    for (i = 0; i < 8; i++)
        ASSERT_INT_EQ(jobs[i].failures, 0);
    cakey_free(keys[0]);
    cakey_free(keys[1]);
}

TEST(test_cakey_state_names_roundtrip)
{
    static const enum cakey_state all[] = { CAKEY_ACTIVE, CAKEY_NEXT,
        CAKEY_RETIRED };
    enum cakey_state s = CAKEY_RETIRED;
    size_t i;

    ASSERT_STR_EQ(cakey_state_name(CAKEY_ACTIVE), "active");
    ASSERT_STR_EQ(cakey_state_name(CAKEY_NEXT), "next");
    ASSERT_STR_EQ(cakey_state_name(CAKEY_RETIRED), "retired");
    for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        ASSERT_OK(cakey_state_from_name(cakey_state_name(all[i]), &s));
        ASSERT_INT_EQ(s, all[i]);
    }
    ASSERT_ERR(cakey_state_from_name("Active", &s),
        MESHCA_ERR_INVALID_ARGUMENT);
    ASSERT_ERR(cakey_state_from_name("", &s), MESHCA_ERR_INVALID_ARGUMENT);
    ASSERT_ERR(cakey_state_from_name(NULL, &s), MESHCA_ERR_INVALID_ARGUMENT);
    ASSERT_INT_EQ(s, CAKEY_RETIRED);
}

UNIT_MAIN(T(test_cakey_generate_writes_0600_pkcs8_and_loads_back),
    T(test_cakey_pem_text_roundtrips_without_files),
    T(test_cakey_generate_refuses_to_overwrite),
    T(test_cakey_load_refuses_group_or_world_access),
    T(test_cakey_load_refuses_what_is_not_a_private_key),
    T(test_cakey_load_refuses_weak_key_types),
    T(test_cakey_sign_formats_and_verifies_for_every_kind),
    T(test_cakey_verify_rsa_accepts_sha2_refuses_sha1_and_mislabels),
    T(test_cakey_verify_refuses_algorithm_of_another_key_type),
    T(test_cakey_set_loads_rotation_states_and_publishes_all),
    T(test_cakey_set_needs_exactly_one_active_and_no_duplicates),
    T(test_cakey_sign_is_thread_safe_on_a_shared_key),
    T(test_cakey_state_names_roundtrip))
