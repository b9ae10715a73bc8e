/* OpenSSH user certificates: build, sign, parse, verify.  See meshca/cert.h. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "meshca/cert.h"
#include "meshca/principal.h"

#include "keyline.h"

#define CIDR_LIST_MAX 4096
/* sshd refuses entries longer than INET6_ADDRSTRLEN - 1. */
#define CIDR_ENTRY_MAX 45
#define LINE_MAX_LEN (CERT_BLOB_MAX / 3 * 4 + 4096)

static const char *const known_extensions[] = {
    "no-touch-required",
    "permit-X11-forwarding",
    "permit-agent-forwarding",
    "permit-port-forwarding",
    "permit-pty",
    "permit-user-rc",
};

static const char *const sig_algs[] = {
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "rsa-sha2-256",
    "rsa-sha2-512",
};

/* Validation of request fields */

static int
printable(const char *s, size_t max)
{
    size_t i;

    for (i = 0; s[i] != '\0'; i++) {
        if (i >= max || (unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    }
    return i > 0;
}

int
cert_check_force_command(const char *cmd)
{
    if (cmd == NULL || !printable(cmd, CERT_FORCE_COMMAND_MAX))
        return MESHCA_ERR_CERT_OPTION;
    return 0;
}

int
cert_check_extension(const char *name)
{
    size_t i;

    if (name == NULL)
        return MESHCA_ERR_CERT_OPTION;
    for (i = 0; i < sizeof(known_extensions) / sizeof(known_extensions[0]);
        i++) {
        if (strcmp(name, known_extensions[i]) == 0)
            return 0;
    }
    if (strchr(name, '@') == NULL || name[0] == '@')
        return MESHCA_ERR_CERT_OPTION;
    for (i = 0; name[i] != '\0'; i++) {
        if (i >= 255 || (unsigned char)name[i] <= 0x20 ||
            (unsigned char)name[i] >= 0x7f || name[i] == ',')
            return MESHCA_ERR_CERT_OPTION;
    }
    return 0;
}

/* One "addr[/len]" entry of a source-address list. */
static int
check_cidr_entry(const char *e, size_t len)
{
    char addr[CIDR_ENTRY_MAX + 1];
    unsigned char bin[16];
    const char *slash = NULL;
    size_t alen, i, nbytes;
    unsigned long masklen;
    int family, maxlen;

    if (len == 0 || len > CIDR_ENTRY_MAX)
        return MESHCA_ERR_CERT_CIDR;
    for (i = 0; i < len; i++) {
        if (strchr("0123456789abcdefABCDEF.:/", e[i]) == NULL)
            return MESHCA_ERR_CERT_CIDR;
    }
    slash = memchr(e, '/', len);
    alen = slash != NULL ? (size_t)(slash - e) : len;
    memcpy(addr, e, alen);
    addr[alen] = '\0';
    if (memchr(addr, ':', alen) != NULL) {
        family = AF_INET6;
        maxlen = 128;
        nbytes = 16;
    } else {
        family = AF_INET;
        maxlen = 32;
        nbytes = 4;
    }
    if (inet_pton(family, addr, bin) != 1)
        return MESHCA_ERR_CERT_CIDR;
    masklen = (unsigned long)maxlen;
    if (slash != NULL) {
        const char *m = slash + 1;
        size_t mlen = len - alen - 1;

        if (mlen == 0 || mlen > 3)
            return MESHCA_ERR_CERT_CIDR;
        masklen = 0;
        for (i = 0; i < mlen; i++) {
            if (m[i] < '0' || m[i] > '9')
                return MESHCA_ERR_CERT_CIDR;
            masklen = masklen * 10 + (unsigned long)(m[i] - '0');
        }
        if (masklen > (unsigned long)maxlen)
            return MESHCA_ERR_CERT_CIDR;
    }
    /* Like sshd: no address bits may be set beyond the prefix. */
    for (i = 0; i < nbytes; i++) {
        unsigned long bit0 = (unsigned long)i * 8;
        unsigned char hostmask;

        if (bit0 + 8 <= masklen)
            continue;
        hostmask = (unsigned char)(bit0 >= masklen ? 0xffu :
            (0xffu >> (masklen - bit0)));
        if ((bin[i] & hostmask) != 0)
            return MESHCA_ERR_CERT_CIDR;
    }
    return 0;
}

int
cert_check_source_address(const char *list)
{
    const char *p = NULL, *comma = NULL;
    size_t len;
    int r;

    if (list == NULL || *list == '\0' ||
        strnlen(list, CIDR_LIST_MAX + 1) > CIDR_LIST_MAX)
        return MESHCA_ERR_CERT_CIDR;
    for (p = list;; p = comma + 1) {
        comma = strchr(p, ',');
        len = comma != NULL ? (size_t)(comma - p) : strlen(p);
        if ((r = check_cidr_entry(p, len)) != 0)
            return r;
        if (comma == NULL)
            break;
    }
    return 0;
}

static int
check_key_id(const char *id)
{
    if (id == NULL || !printable(id, CERT_KEY_ID_MAX))
        return MESHCA_ERR_CERT_KEY_ID;
    return 0;
}

static int
key_blob_is(const struct meshca_key *k, const uint8_t *blob, size_t len)
{
    size_t klen;
    const uint8_t *kb = meshca_key_blob(k, &klen);

    return klen == len && memcmp(kb, blob, len) == 0;
}

static int
strptr_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Freeing */

static void
free_options(struct cert_option *o, size_t n)
{
    size_t i;

    for (i = 0; o != NULL && i < n; i++) {
        free(o[i].name);
        free(o[i].data);
        free(o[i].value);
    }
    free(o);
}

void
cert_free(struct cert *c)
{
    size_t i;

    if (c == NULL)
        return;
    meshca_key_free(c->key);
    meshca_key_free(c->ca_key);
    free(c->key_id);
    for (i = 0; c->principals != NULL && i < c->nprincipals; i++)
        free(c->principals[i]);
    free(c->principals);
    free_options(c->options, c->noptions);
    free_options(c->extensions, c->nextensions);
    free(c->blob);
    free(c);
}

/* Parsing */

/* Options or extensions: name/data pairs, strictly increasing names. */
static int
parse_options(struct meshca_buf *b, int critical, struct cert_option **optsp,
    size_t *np)
{
    struct meshca_buf *list = NULL, *inner = NULL;
    struct cert_option *opts = NULL, *o, *tmp;
    size_t n = 0, cap = 0;
    const uint8_t *data = NULL;
    size_t dlen;
    int r;

    *optsp = NULL;
    *np = 0;
    if ((r = meshca_buf_get_stringb(b, &list)) != 0)
        goto out;
    while (meshca_buf_len(list) > 0) {
        if (n == cap) {
            cap = cap == 0 ? 4 : cap * 2;
            if (cap > 1024) {
                r = MESHCA_ERR_CERT_OPTION;
                goto out;
            }
            if ((tmp = calloc(cap, sizeof(*tmp))) == NULL) {
                r = MESHCA_ERR_ALLOC;
                goto out;
            }
            if (n > 0)
                memcpy(tmp, opts, n * sizeof(*tmp));
            free(opts);
            opts = tmp;
        }
        o = &opts[n];
        if ((r = meshca_buf_get_cstring(list, &o->name, NULL)) != 0)
            goto out;
        n++;
        if ((r = meshca_buf_get_string_direct(list, &data, &dlen)) != 0)
            goto out;
        if ((o->data = malloc(dlen == 0 ? 1 : dlen)) == NULL) {
            r = MESHCA_ERR_ALLOC;
            goto out;
        }
        if (dlen > 0)
            memcpy(o->data, data, dlen);
        o->len = dlen;
        if (n > 1 && strcmp(opts[n - 2].name, o->name) >= 0) {
            r = MESHCA_ERR_CERT_NOT_SORTED;
            goto out;
        }
        if (dlen > 0) {
            /* A value is data holding exactly one string without NULs. */
            if ((inner = meshca_buf_from(data, dlen)) == NULL) {
                r = MESHCA_ERR_ALLOC;
                goto out;
            }
            if (meshca_buf_get_cstring(inner, &o->value, NULL) != 0 ||
                meshca_buf_len(inner) != 0) {
                free(o->value);
                o->value = NULL;
            }
            meshca_buf_free(inner);
            inner = NULL;
        }
        if (critical && strcmp(o->name, "force-command") == 0 &&
            o->value == NULL) {
            r = MESHCA_ERR_CERT_OPTION;
            goto out;
        }
        if (critical && strcmp(o->name, "source-address") == 0) {
            if (o->value == NULL) {
                r = MESHCA_ERR_CERT_OPTION;
                goto out;
            }
            if ((r = cert_check_source_address(o->value)) != 0)
                goto out;
        }
    }
    *optsp = opts;
    *np = n;
    opts = NULL;
    n = 0;
    r = 0;
out:
    free_options(opts, n);
    meshca_buf_free(list);
    meshca_buf_free(inner);
    return r;
}

static int
parse_principals(struct meshca_buf *b, struct cert *c)
{
    struct meshca_buf *list = NULL;
    char **tmp, *p = NULL;
    size_t cap = 0;
    int r;

    if ((r = meshca_buf_get_stringb(b, &list)) != 0)
        goto out;
    while (meshca_buf_len(list) > 0) {
        if (c->nprincipals == PRINCIPALS_MAX) {
            r = MESHCA_ERR_CERT_TOO_MANY_PRINCIPALS;
            goto out;
        }
        if ((r = meshca_buf_get_cstring(list, &p, NULL)) != 0) {
            if (r == MESHCA_ERR_INVALID_FORMAT)
                r = MESHCA_ERR_CERT_PRINCIPAL;
            goto out;
        }
        if (!principal_valid(p)) {
            r = MESHCA_ERR_CERT_PRINCIPAL;
            goto out;
        }
        if (c->nprincipals == cap) {
            cap = cap == 0 ? 4 : cap * 2;
            if ((tmp = calloc(cap, sizeof(*tmp))) == NULL) {
                r = MESHCA_ERR_ALLOC;
                goto out;
            }
            if (c->nprincipals > 0)
                memcpy(tmp, c->principals, c->nprincipals * sizeof(*tmp));
            free(c->principals);
            c->principals = tmp;
        }
        c->principals[c->nprincipals++] = p;
        p = NULL;
    }
    if (c->nprincipals == 0) {
        r = MESHCA_ERR_CERT_NO_PRINCIPALS;
        goto out;
    }
    r = 0;
out:
    free(p);
    meshca_buf_free(list);
    return r;
}

static const char *
static_sig_alg(const uint8_t *sig, size_t siglen)
{
    struct meshca_buf *b = NULL;
    const uint8_t *name = NULL;
    size_t nlen, i;
    const char *found = NULL;

    if ((b = meshca_buf_from(sig, siglen)) == NULL)
        return NULL;
    if (meshca_buf_get_string_direct(b, &name, &nlen) == 0) {
        for (i = 0; i < sizeof(sig_algs) / sizeof(sig_algs[0]); i++) {
            if (strlen(sig_algs[i]) == nlen &&
                memcmp(sig_algs[i], name, nlen) == 0)
                found = sig_algs[i];
        }
    }
    meshca_buf_free(b);
    return found;
}

/*
 * Parses blob; checks the signature when verify is set.  For a certificate
 * we just signed ourselves, verify is 0 and the subject and CA keys are
 * passed in, so they are copied rather than decoded and validated again.
 */
static int
parse_cert(const uint8_t *blob, size_t len, int verify,
    const struct meshca_key *subject, const struct meshca_key *signer,
    uint32_t want_type, struct cert **certp)
{
    struct cert *c = NULL;
    struct meshca_buf *b = NULL;
    const uint8_t *type = NULL, *nonce = NULL, *cakey = NULL, *sig = NULL;
    size_t tlen, nlen, calen, siglen;
    const char *plain = NULL;
    int r;

    *certp = NULL;
    if (blob == NULL || len == 0) {
        r = MESHCA_ERR_MESSAGE_INCOMPLETE;
        goto out;
    }
    if (len > CERT_BLOB_MAX) {
        r = MESHCA_ERR_INVALID_FORMAT;
        goto out;
    }
    if ((c = calloc(1, sizeof(*c))) == NULL ||
        (c->blob = malloc(len)) == NULL ||
        (b = meshca_buf_from(blob, len)) == NULL) {
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    memcpy(c->blob, blob, len);
    c->blob_len = len;
    if ((r = meshca_buf_get_string_direct(b, &type, &tlen)) != 0)
        goto out;
    if ((plain = meshca_key_plain_name_for_cert((const char *)type, tlen)) == NULL) {
        r = MESHCA_ERR_CERT_TYPE;
        goto out;
    }
    if ((r = meshca_buf_get_string_direct(b, &nonce, &nlen)) != 0)
        goto out;
    if (nlen > CERT_NONCE_MAX) {
        r = MESHCA_ERR_INVALID_FORMAT;
        goto out;
    }
    memcpy(c->nonce, nonce, nlen);
    c->nonce_len = nlen;
    if (subject != NULL) {
        if ((r = meshca_key_skip_fields(subject, b)) != 0 ||
            (r = meshca_key_dup(subject, &c->key)) != 0)
            goto out;
    } else if ((r = meshca_key_from_fields(plain, b, &c->key)) != 0)
        goto out;
    c->type_name = meshca_key_cert_type_name(c->key);
    if ((r = meshca_buf_get_u64(b, &c->serial)) != 0 ||
        (r = meshca_buf_get_u32(b, &c->type)) != 0)
        goto out;
    if (c->type != want_type) {
        r = MESHCA_ERR_CERT_TYPE;
        goto out;
    }
    if ((r = meshca_buf_get_cstring(b, &c->key_id, NULL)) != 0) {
        if (r == MESHCA_ERR_INVALID_FORMAT)
            r = MESHCA_ERR_CERT_KEY_ID;
        goto out;
    }
    if ((r = parse_principals(b, c)) != 0)
        goto out;
    if ((r = meshca_buf_get_u64(b, &c->valid_after)) != 0 ||
        (r = meshca_buf_get_u64(b, &c->valid_before)) != 0)
        goto out;
    if (c->valid_after >= c->valid_before) {
        r = MESHCA_ERR_CERT_VALIDITY;
        goto out;
    }
    if ((r = parse_options(b, 1, &c->options, &c->noptions)) != 0 ||
        (r = parse_options(b, 0, &c->extensions, &c->nextensions)) != 0)
        goto out;
    /* reserved: ignored, as PROTOCOL.certkeys says */
    if ((r = meshca_buf_get_string_direct(b, NULL, NULL)) != 0)
        goto out;
    if ((r = meshca_buf_get_string_direct(b, &cakey, &calen)) != 0)
        goto out;
    c->signed_len = len - meshca_buf_len(b);
    if (signer != NULL) {
        if (!key_blob_is(signer, cakey, calen)) {
            r = MESHCA_ERR_INTERNAL;
            goto out;
        }
        if ((r = meshca_key_dup(signer, &c->ca_key)) != 0)
            goto out;
    } else if ((r = meshca_key_from_blob(cakey, calen, &c->ca_key)) != 0)
        goto out;
    if ((r = meshca_buf_get_string_direct(b, &sig, &siglen)) != 0)
        goto out;
    if (meshca_buf_len(b) != 0) {
        r = MESHCA_ERR_TRAILING_DATA;
        goto out;
    }
    if ((c->sig_alg = static_sig_alg(sig, siglen)) == NULL) {
        r = MESHCA_ERR_CERT_SIGNATURE;
        goto out;
    }
    if (verify) {
        r = cakey_verify(c->ca_key, sig, siglen, c->blob, c->signed_len);
        if (r == MESHCA_ERR_SIGNATURE_INVALID)
            r = MESHCA_ERR_CERT_SIGNATURE;
        if (r != 0)
            goto out;
    }
    *certp = c;
    c = NULL;
    r = 0;
out:
    meshca_buf_free(b);
    cert_free(c);
    return r;
}

int
cert_from_blob(const uint8_t *blob, size_t len, struct cert **certp)
{
    return parse_cert(blob, len, 1, NULL, NULL, CERT_TYPE_USER, certp);
}

/* cert_from_line for a certificate of type want_type. */
static int
cert_line_parse(const char *line, uint32_t want_type, struct cert **certp)
{
    struct keyline kl;
    struct cert *c = NULL;
    uint8_t *blob = NULL;
    size_t bloblen = 0;
    int r;

    *certp = NULL;
    if ((r = keyline_split(line, LINE_MAX_LEN, &kl)) != 0)
        goto out;
    /* Unlike a key line, a line without a blob is a format error before
     * its type is looked at. */
    if (kl.b64_len == 0) {
        r = MESHCA_ERR_INVALID_FORMAT;
        goto out;
    }
    if (meshca_key_plain_name_for_cert(kl.type, kl.type_len) == NULL) {
        r = MESHCA_ERR_CERT_TYPE;
        goto out;
    }
    if ((r = keyline_decode(&kl, &blob, &bloblen)) != 0)
        goto out;
    if ((r = parse_cert(blob, bloblen, 1, NULL, NULL, want_type, &c)) != 0)
        goto out;
    if (!keyline_type_is(&kl, c->type_name)) {
        r = MESHCA_ERR_KEY_TYPE_MISMATCH;
        goto out;
    }
    *certp = c;
    c = NULL;
    r = 0;
out:
    free(blob);
    cert_free(c);
    return r;
}

int
cert_from_line(const char *line, struct cert **certp)
{
    return cert_line_parse(line, CERT_TYPE_USER, certp);
}

int
cert_host_from_line(const char *line, struct cert **certp)
{
    return cert_line_parse(line, CERT_TYPE_HOST, certp);
}

int
cert_to_line(const struct cert *c, const char *comment, char **linep)
{
    return keyline_join(c->type_name, c->blob, c->blob_len, comment, linep);
}

void
cert_krl_ids(const struct cert *c, const uint8_t **ca_blobp, size_t *ca_lenp,
    uint64_t *serialp, const char **key_idp)
{
    size_t len;
    const uint8_t *blob = meshca_key_blob(c->ca_key, &len);

    if (ca_blobp != NULL)
        *ca_blobp = blob;
    if (ca_lenp != NULL)
        *ca_lenp = len;
    if (serialp != NULL)
        *serialp = c->serial;
    if (key_idp != NULL)
        *key_idp = c->key_id;
}

static const struct cert_option *
find_in(const struct cert_option *o, size_t n, const char *name)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (strcmp(o[i].name, name) == 0)
            return &o[i];
    }
    return NULL;
}

const struct cert_option *
cert_find_option(const struct cert *c, const char *name)
{
    return find_in(c->options, c->noptions, name);
}

const struct cert_option *
cert_find_extension(const struct cert *c, const char *name)
{
    return find_in(c->extensions, c->nextensions, name);
}

/* Building */

static int
check_request(const struct cert_request *req, const struct cakey *ca)
{
    size_t i;
    int r;

    if (req == NULL || req->key == NULL || ca == NULL)
        return MESHCA_ERR_INVALID_ARGUMENT;
    if (meshca_key_equal(req->key, cakey_public(ca)))
        return MESHCA_ERR_CERT_CERTIFY_CA;
    if (req->nprincipals == 0)
        return MESHCA_ERR_CERT_NO_PRINCIPALS;
    if (req->nprincipals > PRINCIPALS_MAX)
        return MESHCA_ERR_CERT_TOO_MANY_PRINCIPALS;
    if (req->principals == NULL)
        return MESHCA_ERR_INVALID_ARGUMENT;
    for (i = 0; i < req->nprincipals; i++) {
        if (!principal_valid(req->principals[i]))
            return MESHCA_ERR_CERT_PRINCIPAL;
    }
    if ((r = check_key_id(req->key_id)) != 0)
        return r;
    if (req->valid_after >= req->valid_before)
        return MESHCA_ERR_CERT_VALIDITY;
    if (req->serial > (uint64_t)INT64_MAX)
        return MESHCA_ERR_CERT_SERIAL;
    if (req->force_command != NULL &&
        (r = cert_check_force_command(req->force_command)) != 0)
        return r;
    if (req->source_address != NULL &&
        (r = cert_check_source_address(req->source_address)) != 0)
        return r;
    if (req->nextensions > CERT_EXTENSIONS_MAX ||
        (req->nextensions > 0 && req->extensions == NULL))
        return MESHCA_ERR_CERT_OPTION;
    for (i = 0; i < req->nextensions; i++) {
        if ((r = cert_check_extension(req->extensions[i])) != 0)
            return r;
    }
    return 0;
}

/* Appends name + string(string(value)) to opts. */
static int
put_valued_option(struct meshca_buf *opts, struct meshca_buf *inner, const char *name,
    const char *value)
{
    int r;

    meshca_buf_reset(inner);
    if ((r = meshca_buf_put_cstring(inner, value)) != 0 ||
        (r = meshca_buf_put_cstring(opts, name)) != 0 ||
        (r = meshca_buf_put_stringb(opts, inner)) != 0)
        return r;
    return 0;
}

static int
build_cert(const struct cert_request *req, const struct cakey *ca,
    struct cert **certp)
{
    struct meshca_buf *b = NULL, *tmp = NULL, *inner = NULL;
    const char **exts = NULL;
    uint8_t rnd[CERT_NONCE_LEN + 8];
    uint64_t serial, valid_after;
    const uint8_t *cablob = NULL;
    size_t calen, i;
    int r;

    *certp = NULL;
    if ((r = check_request(req, ca)) != 0)
        goto out;
    if (req->nextensions > 0) {
        if ((exts = calloc(req->nextensions, sizeof(*exts))) == NULL) {
            r = MESHCA_ERR_ALLOC;
            goto out;
        }
        memcpy(exts, req->extensions, req->nextensions * sizeof(*exts));
        /* OpenSSH requires extensions sorted by name, without repeats. */
        qsort(exts, req->nextensions, sizeof(*exts), strptr_cmp);
        for (i = 1; i < req->nextensions; i++) {
            if (strcmp(exts[i - 1], exts[i]) == 0) {
                r = MESHCA_ERR_CERT_OPTION;
                goto out;
            }
        }
    }
    serial = req->serial;
    do {
        if (RAND_bytes(rnd, (int)sizeof(rnd)) != 1) {
            r = MESHCA_ERR_RANDOM;
            goto out;
        }
        if (req->serial == 0) {
            serial = 0;
            for (i = 0; i < 8; i++)
                serial = serial << 8 | rnd[CERT_NONCE_LEN + i];
            serial &= (uint64_t)INT64_MAX;
        }
    } while (serial == 0);
    valid_after = req->valid_after > req->backdate ?
        req->valid_after - req->backdate : 0;
    if ((b = meshca_buf_new(CERT_BLOB_MAX)) == NULL ||
        (tmp = meshca_buf_new(CERT_BLOB_MAX)) == NULL ||
        (inner = meshca_buf_new(CERT_FORCE_COMMAND_MAX + CIDR_LIST_MAX + 64)) ==
        NULL) {
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    if ((r = meshca_buf_put_cstring(b, meshca_key_cert_type_name(req->key))) != 0 ||
        (r = meshca_buf_put_string(b, rnd, CERT_NONCE_LEN)) != 0 ||
        (r = meshca_key_put_fields(req->key, b)) != 0 ||
        (r = meshca_buf_put_u64(b, serial)) != 0 ||
        (r = meshca_buf_put_u32(b, req->type == CERT_TYPE_HOST ?
            CERT_TYPE_HOST : CERT_TYPE_USER)) != 0 ||
        (r = meshca_buf_put_cstring(b, req->key_id)) != 0)
        goto out;
    for (i = 0; i < req->nprincipals; i++) {
        if ((r = meshca_buf_put_cstring(tmp, req->principals[i])) != 0)
            goto out;
    }
    if ((r = meshca_buf_put_stringb(b, tmp)) != 0 ||
        (r = meshca_buf_put_u64(b, valid_after)) != 0 ||
        (r = meshca_buf_put_u64(b, req->valid_before)) != 0)
        goto out;
    /* Critical options, sorted by name: force-command < source-address. */
    meshca_buf_reset(tmp);
    if (req->force_command != NULL && (r = put_valued_option(tmp, inner,
        "force-command", req->force_command)) != 0)
        goto out;
    if (req->source_address != NULL && (r = put_valued_option(tmp, inner,
        "source-address", req->source_address)) != 0)
        goto out;
    if ((r = meshca_buf_put_stringb(b, tmp)) != 0)
        goto out;
    meshca_buf_reset(tmp);
    for (i = 0; i < req->nextensions; i++) {
        if ((r = meshca_buf_put_cstring(tmp, exts[i])) != 0 ||
            (r = meshca_buf_put_string(tmp, NULL, 0)) != 0)
            goto out;
    }
    cablob = meshca_key_blob(cakey_public(ca), &calen);
    if ((r = meshca_buf_put_stringb(b, tmp)) != 0 ||
        (r = meshca_buf_put_string(b, NULL, 0)) != 0 || /* reserved */
        (r = meshca_buf_put_string(b, cablob, calen)) != 0)
        goto out;
    meshca_buf_reset(tmp);
    if ((r = cakey_sign(ca, meshca_buf_ptr(b), meshca_buf_len(b), tmp)) != 0 ||
        (r = meshca_buf_put_stringb(b, tmp)) != 0)
        goto out;
    r = parse_cert(meshca_buf_ptr(b), meshca_buf_len(b), 0, req->key, cakey_public(ca),
        req->type == CERT_TYPE_HOST ? CERT_TYPE_HOST : CERT_TYPE_USER, certp);
out:
    OPENSSL_cleanse(rnd, sizeof(rnd));
    free(exts);
    meshca_buf_free(b);
    meshca_buf_free(tmp);
    meshca_buf_free(inner);
    return r;
}

int
cert_sign_with(const struct cert_request *req, const struct cakey *ca,
    struct cert **certp)
{
    return build_cert(req, ca, certp);
}

int
cert_sign(const struct cert_request *req, const struct cakey_set *cas,
    struct cert **certp)
{
    *certp = NULL;
    if (req == NULL || req->key == NULL || cas == NULL)
        return MESHCA_ERR_INVALID_ARGUMENT;
    if (cakey_set_contains(cas, req->key))
        return MESHCA_ERR_CERT_CERTIFY_CA;
    return build_cert(req, cakey_set_active(cas), certp);
}
