/*
 * A fresh Ed25519 key per login, made by libssh, and the raw parts the
 * ssh-agent protocol needs, read from libssh's own OpenSSH-format export
 * (openssh-key-v1, unencrypted) through the wire buffer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libssh/libssh.h>
#include <openssl/crypto.h>

#include "meshca/buf.h"
#include "cli_keys.h"

void
login_key_free(struct login_key *k)
{
    if (k == NULL)
        return;
    OPENSSL_cleanse(k->priv64, sizeof(k->priv64));
    if (k->private_pem != NULL) {
        OPENSSL_cleanse(k->private_pem, strlen(k->private_pem));
        free(k->private_pem);
    }
    free(k->public_line);
    free(k->blob);
    free(k);
}

/* Extracts the public blob, pub and seed||pub from an unencrypted
 * openssh-key-v1 text into k. */
static int
parse_openssh_private(const char *pem, struct login_key *k)
{
    static const char begin[] = "-----BEGIN OPENSSH PRIVATE KEY-----";
    static const char end[] = "-----END OPENSSH PRIVATE KEY-----";
    const char *b = strstr(pem, begin), *e = strstr(pem, end), *p;
    char *b64 = NULL, *o;
    struct meshca_buf *d = NULL, *priv = NULL;
    const uint8_t *v;
    size_t vl;
    uint32_t c1, c2, n;
    int r = MESHCA_ERR_INVALID_FORMAT;

    if (b == NULL || e == NULL || e < b)
        return MESHCA_ERR_INVALID_FORMAT;
    if ((b64 = calloc(1, (size_t)(e - b) + 1)) == NULL)
        return MESHCA_ERR_ALLOC;
    for (p = b + sizeof(begin) - 1, o = b64; p < e; p++)
        if (*p != '\n' && *p != '\r')
            *o++ = *p;
    if ((d = meshca_buf_new(8192)) == NULL || meshca_buf_b64tod(d, b64, strlen(b64)) != 0)
        goto out;
    if (meshca_buf_len(d) < 15 || memcmp(meshca_buf_ptr(d), "openssh-key-v1", 15) != 0 ||
        meshca_buf_consume(d, 15) != 0 ||
        meshca_buf_get_string_direct(d, &v, &vl) != 0)
        goto out;
    if (vl != 4 || memcmp(v, "none", 4) != 0) {
        r = MESHCA_ERR_KEY_TYPE_REFUSED; /* encrypted */
        goto out;
    }
    if (meshca_buf_get_string_direct(d, NULL, NULL) != 0 ||
        meshca_buf_get_string_direct(d, NULL, NULL) != 0 ||
        meshca_buf_get_u32(d, &n) != 0 || n != 1 ||
        meshca_buf_get_string_direct(d, &v, &vl) != 0)
        goto out;
    if ((k->blob = malloc(vl)) == NULL) {
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    memcpy(k->blob, v, vl);
    k->blob_len = vl;
    if (meshca_buf_get_stringb(d, &priv) != 0 || meshca_buf_get_u32(priv, &c1) != 0 ||
        meshca_buf_get_u32(priv, &c2) != 0 || c1 != c2 ||
        meshca_buf_get_string_direct(priv, &v, &vl) != 0)
        goto out;
    if (vl != 11 || memcmp(v, "ssh-ed25519", 11) != 0) {
        r = MESHCA_ERR_KEY_TYPE_REFUSED;
        goto out;
    }
    if (meshca_buf_get_string_direct(priv, &v, &vl) != 0 || vl != 32)
        goto out;
    memcpy(k->pub32, v, 32);
    if (meshca_buf_get_string_direct(priv, &v, &vl) != 0 || vl != 64 ||
        memcmp(v + 32, k->pub32, 32) != 0)
        goto out;
    memcpy(k->priv64, v, 64);
    r = 0;
out:
    if (b64 != NULL) {
        OPENSSL_cleanse(b64, strlen(b64));
        free(b64);
    }
    meshca_buf_free(d);
    meshca_buf_free(priv);
    return r;
}

static int
public_line(struct login_key *k, const char *comment)
{
    char *b64 = NULL;
    int r;

    if ((r = meshca_b64_encode(k->blob, k->blob_len, 0, &b64)) != 0)
        return r;
    if (asprintf(&k->public_line, "ssh-ed25519 %s %s", b64,
        comment ? comment : "meshca") < 0) {
        k->public_line = NULL;
        r = MESHCA_ERR_ALLOC;
    }
    free(b64);
    return r;
}

int
login_key_from_openssh(const char *pem, const char *comment,
    struct login_key **kp)
{
    struct login_key *k = NULL;
    int r;

    *kp = NULL;
    if ((k = calloc(1, sizeof(*k))) == NULL)
        return MESHCA_ERR_ALLOC;
    if ((k->private_pem = strdup(pem)) == NULL) {
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    if ((r = parse_openssh_private(pem, k)) != 0 ||
        (r = public_line(k, comment)) != 0)
        goto out;
    *kp = k;
    k = NULL;
out:
    login_key_free(k);
    return r;
}

int
login_key_generate(const char *comment, struct login_key **kp)
{
    ssh_key key = NULL;
    char *pem = NULL;
    int r = MESHCA_ERR_LIBCRYPTO;

    *kp = NULL;
    if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK ||
        ssh_pki_export_privkey_base64(key, NULL, NULL, NULL, &pem) != SSH_OK)
        goto out;
    /* The raw parts come from libssh's own export, read through the wire
     * buffer: libssh has no accessor for them. */
    r = login_key_from_openssh(pem, comment, kp);
out:
    if (pem != NULL) {
        OPENSSL_cleanse(pem, strlen(pem));
        ssh_string_free_char(pem);
    }
    ssh_key_free(key);
    return r;
}
