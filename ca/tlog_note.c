/* C2SP tlog-checkpoint texts and signed-note signatures.  See tlog.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "meshca/buf.h"
#include "meshca/tlog.h"

#define NOTE_ALG_ED25519 0x01
#define NOTE_SIG_PREFIX "\xe2\x80\x94 " /* U+2014 EM DASH, space */

int
tlog_checkpoint_format(const char *origin, uint64_t size,
    const uint8_t root[TLOG_HASH_LEN], char **textp)
{
    char *b64 = NULL, *text = NULL;
    int r;

    *textp = NULL;
    if (origin[0] == '\0' || strchr(origin, '\n') != NULL)
        return MESHCA_ERR_INVALID_ARGUMENT;
    if ((r = meshca_b64_encode(root, TLOG_HASH_LEN, 0, &b64)) != 0)
        return r;
    if (asprintf(&text, "%s\n%llu\n%s\n", origin, (unsigned long long)size,
        b64) < 0)
        r = MESHCA_ERR_ALLOC;
    else
        *textp = text;
    free(b64);
    return r;
}

int
tlog_checkpoint_parse(const char *text, size_t len, const char *origin,
    uint64_t *sizep, uint8_t root[TLOG_HASH_LEN])
{
    const char *l1, *l2, *l3, *end = text + len, *p;
    uint8_t *raw = NULL;
    uint64_t size = 0;
    size_t rawlen = 0;

    if (len == 0 || text[len - 1] != '\n' || memchr(text, '\0', len))
        return MESHCA_ERR_TLOG_CHECKPOINT;
    l1 = text;
    if ((l2 = memchr(l1, '\n', (size_t)(end - l1))) == NULL || l2 == l1)
        return MESHCA_ERR_TLOG_CHECKPOINT;
    l2++;
    if ((l3 = memchr(l2, '\n', (size_t)(end - l2))) == NULL)
        return MESHCA_ERR_TLOG_CHECKPOINT;
    l3++;
    if (origin != NULL && ((size_t)(l2 - 1 - l1) != strlen(origin) ||
        memcmp(l1, origin, strlen(origin)) != 0))
        return MESHCA_ERR_TLOG_CHECKPOINT;
    if (l3 - l2 < 2 || (l2[0] == '0' && l3 - l2 != 2) || l3 - l2 > 21)
        return MESHCA_ERR_TLOG_CHECKPOINT;
    for (p = l2; p < l3 - 1; p++) {
        if (*p < '0' || *p > '9' || size > (UINT64_MAX - 9) / 10)
            return MESHCA_ERR_TLOG_CHECKPOINT;
        size = size * 10 + (uint64_t)(*p - '0');
    }
    if ((p = memchr(l3, '\n', (size_t)(end - l3))) == NULL ||
        meshca_b64_decode(l3, (size_t)(p - l3), 0, &raw, &rawlen) != 0)
        return MESHCA_ERR_TLOG_CHECKPOINT;
    if (rawlen != TLOG_HASH_LEN) {
        free(raw);
        return MESHCA_ERR_TLOG_CHECKPOINT;
    }
    /* Extension lines, if any, are non-empty (C2SP tlog-checkpoint). */
    for (p = p + 1; p < end; p = (const char *)memchr(p, '\n',
        (size_t)(end - p)) + 1)
        if (*p == '\n') {
            free(raw);
            return MESHCA_ERR_TLOG_CHECKPOINT;
        }
    *sizep = size;
    memcpy(root, raw, TLOG_HASH_LEN);
    free(raw);
    return 0;
}

/* The signed-note key hash: the first four bytes of SHA-256(name "\n"
 * alg || public key), big-endian. */
static uint32_t
key_hash(const char *name, const uint8_t pub[32])
{
    uint8_t d[SHA256_DIGEST_LENGTH], in[256 + 2 + 32];
    size_t n = strlen(name);

    if (n > 256)
        return 0;
    memcpy(in, name, n);
    in[n] = '\n';
    in[n + 1] = NOTE_ALG_ED25519;
    memcpy(in + n + 2, pub, 32);
    SHA256(in, n + 2 + 32, d);
    return (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 |
        d[3];
}

/* A key name: non-empty, no whitespace, no '+'. */
static int
name_ok(const char *name, size_t len)
{
    size_t i;

    if (len == 0)
        return 0;
    for (i = 0; i < len; i++)
        if ((unsigned char)name[i] <= ' ' || name[i] == '+' ||
            name[i] == 0x7f)
            return 0;
    return 1;
}

static int
ed25519_pub(EVP_PKEY *key, uint8_t pub[32])
{
    size_t len = 32;

    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_ED25519 ||
        EVP_PKEY_get_raw_public_key(key, pub, &len) != 1 || len != 32)
        return MESHCA_ERR_KEY_TYPE_REFUSED;
    return 0;
}

int
tlog_vkey_format(const char *name, EVP_PKEY *key, char **vkeyp)
{
    uint8_t blob[33];
    char *b64 = NULL;
    int r;

    *vkeyp = NULL;
    if (!name_ok(name, strlen(name)))
        return MESHCA_ERR_INVALID_ARGUMENT;
    blob[0] = NOTE_ALG_ED25519;
    if ((r = ed25519_pub(key, blob + 1)) != 0 ||
        (r = meshca_b64_encode(blob, sizeof(blob), 0, &b64)) != 0)
        return r;
    if (asprintf(vkeyp, "%s+%08x+%s", name, key_hash(name, blob + 1), b64) < 0) {
        *vkeyp = NULL;
        r = MESHCA_ERR_ALLOC;
    }
    free(b64);
    return r;
}

int
tlog_note_sign(const char *text, const char *name, EVP_PKEY *key,
    char **notep)
{
    uint8_t pub[32], sig[4 + 64];
    size_t siglen = 64, tlen = strlen(text);
    uint32_t h;
    EVP_MD_CTX *md = NULL;
    char *b64 = NULL;
    int r;

    *notep = NULL;
    if (tlen == 0 || text[tlen - 1] != '\n' || strstr(text, "\n\n") != NULL ||
        !name_ok(name, strlen(name)))
        return MESHCA_ERR_INVALID_ARGUMENT;
    if ((r = ed25519_pub(key, pub)) != 0)
        return r;
    h = key_hash(name, pub);
    sig[0] = (uint8_t)(h >> 24);
    sig[1] = (uint8_t)(h >> 16);
    sig[2] = (uint8_t)(h >> 8);
    sig[3] = (uint8_t)h;
    r = MESHCA_ERR_LIBCRYPTO;
    if ((md = EVP_MD_CTX_new()) == NULL ||
        EVP_DigestSignInit(md, NULL, NULL, NULL, key) != 1 ||
        EVP_DigestSign(md, sig + 4, &siglen, (const uint8_t *)text, tlen) != 1 ||
        siglen != 64)
        goto out;
    if ((r = meshca_b64_encode(sig, sizeof(sig), 0, &b64)) != 0)
        goto out;
    if (asprintf(notep, "%s\n" NOTE_SIG_PREFIX "%s %s\n", text, name, b64) < 0) {
        *notep = NULL;
        r = MESHCA_ERR_ALLOC;
    }
out:
    EVP_MD_CTX_free(md);
    free(b64);
    return r;
}

/* A parsed verifier key. */
struct vkey {
    char name[256];
    uint32_t hash;
    uint8_t pub[32];
};

static int
vkey_parse(const char *s, struct vkey *vk)
{
    const char *p1, *p2;
    uint8_t *raw = NULL;
    size_t rawlen = 0;
    char *end;
    unsigned long h;

    if ((p1 = strchr(s, '+')) == NULL || (p2 = strchr(p1 + 1, '+')) == NULL ||
        p2 - p1 != 9 || (size_t)(p1 - s) >= sizeof(vk->name) ||
        !name_ok(s, (size_t)(p1 - s)))
        return MESHCA_ERR_TLOG_NOTE;
    h = strtoul(p1 + 1, &end, 16);
    if (end != p2)
        return MESHCA_ERR_TLOG_NOTE;
    if (meshca_b64_decode(p2 + 1, strlen(p2 + 1), 0, &raw, &rawlen) != 0)
        return MESHCA_ERR_TLOG_NOTE;
    if (rawlen != 33 || raw[0] != NOTE_ALG_ED25519) {
        free(raw);
        return MESHCA_ERR_TLOG_NOTE;
    }
    memcpy(vk->name, s, (size_t)(p1 - s));
    vk->name[p1 - s] = '\0';
    memcpy(vk->pub, raw + 1, 32);
    free(raw);
    vk->hash = (uint32_t)h;
    if (key_hash(vk->name, vk->pub) != vk->hash)
        return MESHCA_ERR_TLOG_NOTE;
    return 0;
}

static int
ed25519_verify(const uint8_t pub[32], const char *text, size_t tlen,
    const uint8_t sig[64])
{
    EVP_PKEY *k;
    EVP_MD_CTX *md = NULL;
    int ok = 0;

    if ((k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub,
        32)) == NULL)
        return 0;
    if ((md = EVP_MD_CTX_new()) != NULL &&
        EVP_DigestVerifyInit(md, NULL, NULL, NULL, k) == 1)
        ok = EVP_DigestVerify(md, sig, 64, (const uint8_t *)text, tlen) == 1;
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(k);
    return ok;
}

/* Checks one signature line (without its newline) against vk: 1 valid by
 * vk, 0 another key's, -1 malformed or invalid. */
static int
note_check_line(const char *line, size_t len, const struct vkey *vk,
    const char *text, size_t tlen)
{
    const size_t plen = sizeof(NOTE_SIG_PREFIX) - 1;
    const char *name, *sp;
    uint8_t *raw = NULL;
    size_t rawlen = 0, nlen;
    uint32_t h;
    int ok;

    if (len < plen || memcmp(line, NOTE_SIG_PREFIX, plen) != 0)
        return -1;
    name = line + plen;
    if ((sp = memchr(name, ' ', len - plen)) == NULL)
        return -1;
    nlen = (size_t)(sp - name);
    if (!name_ok(name, nlen) ||
        meshca_b64_decode(sp + 1, len - plen - nlen - 1, 0, &raw,
            &rawlen) != 0)
        return -1;
    if (rawlen < 5) {
        free(raw);
        return -1;
    }
    h = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 |
        (uint32_t)raw[2] << 8 | raw[3];
    if (nlen != strlen(vk->name) || memcmp(name, vk->name, nlen) != 0 ||
        h != vk->hash) {
        free(raw);
        return 0;
    }
    ok = rawlen == 4 + 64 && ed25519_verify(vk->pub, text, tlen, raw + 4);
    free(raw);
    return ok ? 1 : -1;
}

int
tlog_note_open(const char *note, size_t len, const char *vkey, char **textp)
{
    struct vkey vk;
    const char *sep = NULL, *p, *nl, *end = note + len;
    size_t tlen;
    int found = 0, c;

    *textp = NULL;
    if (vkey_parse(vkey, &vk) != 0 || len == 0 || note[len - 1] != '\n' ||
        memchr(note, '\0', len) != NULL)
        return MESHCA_ERR_TLOG_NOTE;
    /* The signatures follow the last blank line. */
    for (p = note; (p = memmem(p, (size_t)(end - p), "\n\n", 2)) != NULL; p++)
        sep = p;
    if (sep == NULL)
        return MESHCA_ERR_TLOG_NOTE;
    tlen = (size_t)(sep - note) + 1;
    for (p = sep + 2; p < end; p = nl + 1) {
        nl = memchr(p, '\n', (size_t)(end - p));
        if ((c = note_check_line(p, (size_t)(nl - p), &vk, note, tlen)) < 0)
            return MESHCA_ERR_TLOG_NOTE;
        found |= c;
    }
    if (!found)
        return MESHCA_ERR_TLOG_NOTE;
    if ((*textp = strndup(note, tlen)) == NULL)
        return MESHCA_ERR_ALLOC;
    return 0;
}
