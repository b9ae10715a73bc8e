/*
 * A fresh Ed25519 key per login, made by libssh, and the raw parts the
 * ssh-agent protocol needs, read from libssh's own OpenSSH-format export
 * (openssh-key-v1, unencrypted) through the wire buffer.
 */
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

/* Extracts pub and seed||pub from an unencrypted openssh-key-v1 text. */
static int
parse_openssh_private(const char *pem, struct login_key *k)
{
    static const char begin[] = "-----BEGIN OPENSSH PRIVATE KEY-----";
    static const char end[] = "-----END OPENSSH PRIVATE KEY-----";
    const char *b = strstr(pem, begin), *e = strstr(pem, end), *p;
    char *b64 = NULL, *o;
    struct buf *d = NULL, *priv = NULL;
    const uint8_t *v;
    size_t vl;
    uint32_t c1, c2, n;
    int r = -1;

    if (b == NULL || e == NULL || e < b)
        return -1;
    if ((b64 = calloc(1, (size_t)(e - b) + 1)) == NULL)
        return -1;
    for (p = b + sizeof(begin) - 1, o = b64; p < e; p++)
        if (*p != '\n' && *p != '\r')
            *o++ = *p;
    if ((d = buf_new(8192)) == NULL || buf_b64tod(d, b64, strlen(b64)) != 0)
        goto out;
    if (buf_len(d) < 15 || memcmp(buf_ptr(d), "openssh-key-v1", 15) != 0 ||
        buf_consume(d, 15) != 0 ||
        buf_get_string_direct(d, &v, &vl) != 0 || vl != 4 ||
        memcmp(v, "none", 4) != 0 ||
        buf_get_string_direct(d, NULL, NULL) != 0 ||
        buf_get_string_direct(d, NULL, NULL) != 0 ||
        buf_get_u32(d, &n) != 0 || n != 1 ||
        buf_get_string_direct(d, &v, &vl) != 0)
        goto out;
    if ((k->blob = malloc(vl)) == NULL)
        goto out;
    memcpy(k->blob, v, vl);
    k->blob_len = vl;
    if (buf_get_stringb(d, &priv) != 0 || buf_get_u32(priv, &c1) != 0 ||
        buf_get_u32(priv, &c2) != 0 || c1 != c2 ||
        buf_get_string_direct(priv, &v, &vl) != 0 || vl != 11 ||
        memcmp(v, "ssh-ed25519", 11) != 0 ||
        buf_get_string_direct(priv, &v, &vl) != 0 || vl != 32)
        goto out;
    memcpy(k->pub32, v, 32);
    if (buf_get_string_direct(priv, &v, &vl) != 0 || vl != 64)
        goto out;
    memcpy(k->priv64, v, 64);
    r = 0;
out:
    if (b64 != NULL) {
        OPENSSL_cleanse(b64, strlen(b64));
        free(b64);
    }
    buf_free(d);
    buf_free(priv);
    return r;
}

int
login_key_generate(const char *comment, struct login_key **kp)
{
    ssh_key key = NULL;
    struct login_key *k = NULL;
    char *pub = NULL;
    int r = -1;

    *kp = NULL;
    if ((k = calloc(1, sizeof(*k))) == NULL)
        return -1;
    if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK ||
        ssh_pki_export_pubkey_base64(key, &pub) != SSH_OK ||
        ssh_pki_export_privkey_base64(key, NULL, NULL, NULL,
            &k->private_pem) != SSH_OK)
        goto out;
    if (asprintf(&k->public_line, "ssh-ed25519 %s %s", pub,
        comment ? comment : "meshca") < 0) {
        k->public_line = NULL;
        goto out;
    }
    if (parse_openssh_private(k->private_pem, k) != 0)
        goto out;
    *kp = k;
    k = NULL;
    r = 0;
out:
    ssh_string_free_char(pub);
    ssh_key_free(key);
    login_key_free(k);
    return r;
}
