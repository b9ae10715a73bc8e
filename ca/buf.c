/* The SSH wire buffer: bounds-checked get/put, see meshca/buf.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "meshca/buf.h"

struct meshca_buf {
    uint8_t *d;
    size_t off;   /* first unconsumed byte */
    size_t size;  /* end of data */
    size_t alloc; /* bytes allocated at d */
    size_t max;   /* limit on size - off + growth */
};

static struct meshca_buf *
new_limited(size_t max_size, size_t ceiling)
{
    struct meshca_buf *b;

    if (max_size == 0 || max_size > ceiling)
        return NULL;
    if ((b = calloc(1, sizeof(*b))) == NULL)
        return NULL;
    b->alloc = max_size < 256 ? max_size : 256;
    if ((b->d = malloc(b->alloc)) == NULL) {
        free(b);
        return NULL;
    }
    b->max = max_size;
    return b;
}

struct meshca_buf *
meshca_buf_new(size_t max_size)
{
    return new_limited(max_size, BUF_SIZE_MAX);
}

struct meshca_buf *
meshca_buf_new_large(size_t max_size)
{
    return new_limited(max_size, BUF_LARGE_MAX);
}

struct meshca_buf *
meshca_buf_from(const void *data, size_t len)
{
    struct meshca_buf *b;

    if ((b = meshca_buf_new(len == 0 ? 1 : len)) == NULL)
        return NULL;
    if (meshca_buf_put(b, data, len) != 0) {
        meshca_buf_free(b);
        return NULL;
    }
    return b;
}

void
meshca_buf_free(struct meshca_buf *b)
{
    if (b == NULL)
        return;
    if (b->d != NULL) {
        OPENSSL_cleanse(b->d, b->alloc);
        free(b->d);
    }
    free(b);
}

void
meshca_buf_reset(struct meshca_buf *b)
{
    OPENSSL_cleanse(b->d, b->alloc);
    b->off = b->size = 0;
}

size_t
meshca_buf_len(const struct meshca_buf *b)
{
    return b->size - b->off;
}

const uint8_t *
meshca_buf_ptr(const struct meshca_buf *b)
{
    return b->d + b->off;
}

size_t
meshca_buf_max_size(const struct meshca_buf *b)
{
    return b->max;
}

int
meshca_buf_consume(struct meshca_buf *b, size_t len)
{
    if (len > meshca_buf_len(b))
        return MESHCA_ERR_MESSAGE_INCOMPLETE;
    b->off += len;
    if (b->off == b->size)
        b->off = b->size = 0;
    return 0;
}

/*
 * Makes room for len more bytes and returns where they go.  Consumed bytes
 * are reclaimed before growing.  Never reallocs in place: the old allocation
 * is wiped first, since a buffer may hold secrets.
 */
static int
reserve(struct meshca_buf *b, size_t len, uint8_t **dstp)
{
    size_t need, nalloc;
    uint8_t *nd;

    *dstp = NULL;
    if (len > b->max || meshca_buf_len(b) > b->max - len)
        return MESHCA_ERR_NO_BUFFER_SPACE;
    if (b->off > 0 && b->size + len > b->alloc) {
        memmove(b->d, b->d + b->off, b->size - b->off);
        b->size -= b->off;
        OPENSSL_cleanse(b->d + b->size, b->alloc - b->size);
        b->off = 0;
    }
    need = b->size + len;
    if (need > b->alloc) {
        nalloc = b->alloc;
        while (nalloc < need)
            nalloc = nalloc > b->max / 2 ? b->max : nalloc * 2;
        if ((nd = malloc(nalloc)) == NULL)
            return MESHCA_ERR_ALLOC;
        memcpy(nd, b->d, b->size);
        OPENSSL_cleanse(b->d, b->alloc);
        free(b->d);
        b->d = nd;
        b->alloc = nalloc;
    }
    *dstp = b->d + b->size;
    b->size += len;
    return 0;
}

int
meshca_buf_put(struct meshca_buf *b, const void *data, size_t len)
{
    uint8_t *p;
    int r;

    if (len == 0)
        return 0;
    if ((r = reserve(b, len, &p)) != 0)
        return r;
    memcpy(p, data, len);
    return 0;
}

int
meshca_buf_vputf(struct meshca_buf *b, const char *fmt, va_list ap)
{
    char small[256], *big = NULL;
    va_list ap2;
    size_t len;
    int n, r;

    va_copy(ap2, ap);
    n = vsnprintf(small, sizeof(small), fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return MESHCA_ERR_INTERNAL;
    len = (size_t)n;
    if (len < sizeof(small)) {
        r = meshca_buf_put(b, small, len);
        OPENSSL_cleanse(small, len);
        return r;
    }
    /* Too long for the stack: refuse before allocating what cannot fit. */
    if (len > b->max || meshca_buf_len(b) > b->max - len)
        return MESHCA_ERR_NO_BUFFER_SPACE;
    if ((big = malloc(len + 1)) == NULL)
        return MESHCA_ERR_ALLOC;
    if (vsnprintf(big, len + 1, fmt, ap) != n)
        r = MESHCA_ERR_INTERNAL;
    else
        r = meshca_buf_put(b, big, len);
    OPENSSL_cleanse(big, len + 1);
    free(big);
    return r;
}

int
meshca_buf_putf(struct meshca_buf *b, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = meshca_buf_vputf(b, fmt, ap);
    va_end(ap);
    return r;
}

int
meshca_buf_take_cstring(struct meshca_buf **bp, char **strp, size_t *lenp)
{
    struct meshca_buf *b = *bp;
    size_t n = meshca_buf_len(b);
    uint8_t *nd;

    *strp = NULL;
    if (lenp != NULL)
        *lenp = 0;
    if (n + 1 > b->alloc) {
        if ((nd = malloc(n + 1)) == NULL)
            return MESHCA_ERR_ALLOC;
        memcpy(nd, b->d + b->off, n);
        OPENSSL_cleanse(b->d, b->alloc);
        free(b->d);
        b->d = nd;
        b->alloc = n + 1;
    } else {
        if (b->off > 0)
            memmove(b->d, b->d + b->off, n);
        /* Nothing consumed may leave with the string. */
        OPENSSL_cleanse(b->d + n, b->alloc - n);
    }
    b->d[n] = '\0';
    *strp = (char *)b->d;
    if (lenp != NULL)
        *lenp = n;
    b->d = NULL;
    free(b);
    *bp = NULL;
    return 0;
}

int
meshca_buf_put_u8(struct meshca_buf *b, uint8_t val)
{
    return meshca_buf_put(b, &val, 1);
}

int
meshca_buf_put_u32(struct meshca_buf *b, uint32_t val)
{
    uint8_t v[4];

    v[0] = (uint8_t)(val >> 24);
    v[1] = (uint8_t)(val >> 16);
    v[2] = (uint8_t)(val >> 8);
    v[3] = (uint8_t)val;
    return meshca_buf_put(b, v, sizeof(v));
}

int
meshca_buf_put_u64(struct meshca_buf *b, uint64_t val)
{
    uint8_t v[8];
    int i;

    for (i = 0; i < 8; i++)
        v[i] = (uint8_t)(val >> (56 - 8 * i));
    return meshca_buf_put(b, v, sizeof(v));
}

int
meshca_buf_put_string(struct meshca_buf *b, const void *data, size_t len)
{
    uint8_t *p;
    int r;

    if (len > BUF_STRING_MAX)
        return MESHCA_ERR_STRING_TOO_LARGE;
    if ((r = reserve(b, 4 + len, &p)) != 0)
        return r;
    p[0] = (uint8_t)(len >> 24);
    p[1] = (uint8_t)(len >> 16);
    p[2] = (uint8_t)(len >> 8);
    p[3] = (uint8_t)len;
    if (len > 0)
        memcpy(p + 4, data, len);
    return 0;
}

int
meshca_buf_put_cstring(struct meshca_buf *b, const char *s)
{
    return meshca_buf_put_string(b, s, s == NULL ? 0 : strlen(s));
}

int
meshca_buf_put_stringb(struct meshca_buf *b, const struct meshca_buf *v)
{
    return meshca_buf_put_string(b, meshca_buf_ptr(v), meshca_buf_len(v));
}

int
meshca_buf_putb(struct meshca_buf *b, const struct meshca_buf *v)
{
    return meshca_buf_put(b, meshca_buf_ptr(v), meshca_buf_len(v));
}

int
meshca_buf_put_bignum2_bytes(struct meshca_buf *b, const void *mag, size_t len)
{
    const uint8_t *s = mag;
    uint8_t *p;
    size_t prepend;
    int r;

    while (len > 0 && *s == 0) {
        s++;
        len--;
    }
    prepend = (len > 0 && (s[0] & 0x80) != 0) ? 1 : 0;
    if (len + prepend > BUF_STRING_MAX)
        return MESHCA_ERR_STRING_TOO_LARGE;
    if ((r = reserve(b, 4 + prepend + len, &p)) != 0)
        return r;
    len += prepend;
    p[0] = (uint8_t)(len >> 24);
    p[1] = (uint8_t)(len >> 16);
    p[2] = (uint8_t)(len >> 8);
    p[3] = (uint8_t)len;
    if (prepend)
        p[4] = 0;
    if (len > prepend)
        memcpy(p + 4 + prepend, s, len - prepend);
    return 0;
}

int
meshca_buf_get(struct meshca_buf *b, void *out, size_t len)
{
    if (len > meshca_buf_len(b))
        return MESHCA_ERR_MESSAGE_INCOMPLETE;
    if (out != NULL && len > 0)
        memcpy(out, meshca_buf_ptr(b), len);
    return meshca_buf_consume(b, len);
}

int
meshca_buf_get_u8(struct meshca_buf *b, uint8_t *valp)
{
    return meshca_buf_get(b, valp, 1);
}

int
meshca_buf_get_u32(struct meshca_buf *b, uint32_t *valp)
{
    const uint8_t *p = meshca_buf_ptr(b);
    int r;

    if (meshca_buf_len(b) < 4)
        return MESHCA_ERR_MESSAGE_INCOMPLETE;
    if (valp != NULL)
        *valp = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
            (uint32_t)p[2] << 8 | (uint32_t)p[3];
    r = meshca_buf_consume(b, 4);
    return r;
}

int
meshca_buf_get_u64(struct meshca_buf *b, uint64_t *valp)
{
    const uint8_t *p = meshca_buf_ptr(b);
    uint64_t v = 0;
    int i;

    if (meshca_buf_len(b) < 8)
        return MESHCA_ERR_MESSAGE_INCOMPLETE;
    for (i = 0; i < 8; i++)
        v = v << 8 | p[i];
    if (valp != NULL)
        *valp = v;
    return meshca_buf_consume(b, 8);
}

int
meshca_buf_peek_string_direct(const struct meshca_buf *b, const uint8_t **valp,
    size_t *lenp)
{
    const uint8_t *p = meshca_buf_ptr(b);
    size_t len;

    if (valp != NULL)
        *valp = NULL;
    if (lenp != NULL)
        *lenp = 0;
    if (meshca_buf_len(b) < 4)
        return MESHCA_ERR_MESSAGE_INCOMPLETE;
    len = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
    if (len > BUF_STRING_MAX)
        return MESHCA_ERR_STRING_TOO_LARGE;
    if (meshca_buf_len(b) - 4 < len)
        return MESHCA_ERR_MESSAGE_INCOMPLETE;
    if (valp != NULL)
        *valp = p + 4;
    if (lenp != NULL)
        *lenp = len;
    return 0;
}

int
meshca_buf_get_string_direct(struct meshca_buf *b, const uint8_t **valp, size_t *lenp)
{
    const uint8_t *p;
    size_t len;
    int r;

    if (valp != NULL)
        *valp = NULL;
    if (lenp != NULL)
        *lenp = 0;
    if ((r = meshca_buf_peek_string_direct(b, &p, &len)) != 0)
        return r;
    /*
     * Consuming may reset offsets to zero when the buffer empties, but it
     * never moves or frees the bytes, so p stays valid.
     */
    if ((r = meshca_buf_consume(b, 4 + len)) != 0)
        return r;
    if (valp != NULL)
        *valp = p;
    if (lenp != NULL)
        *lenp = len;
    return 0;
}

int
meshca_buf_get_string(struct meshca_buf *b, uint8_t **valp, size_t *lenp)
{
    const uint8_t *p;
    uint8_t *v;
    size_t len;
    int r;

    if (valp != NULL)
        *valp = NULL;
    if (lenp != NULL)
        *lenp = 0;
    if ((r = meshca_buf_peek_string_direct(b, &p, &len)) != 0)
        return r;
    if (valp != NULL) {
        if ((v = malloc(len + 1)) == NULL)
            return MESHCA_ERR_ALLOC;
        memcpy(v, p, len);
        v[len] = '\0';
    } else
        v = NULL;
    if ((r = meshca_buf_get_string_direct(b, NULL, lenp)) != 0) {
        free(v);
        return r;
    }
    if (valp != NULL)
        *valp = v;
    return 0;
}

int
meshca_buf_get_cstring(struct meshca_buf *b, char **valp, size_t *lenp)
{
    const uint8_t *p;
    size_t len;
    int r;

    if (valp != NULL)
        *valp = NULL;
    if (lenp != NULL)
        *lenp = 0;
    if ((r = meshca_buf_peek_string_direct(b, &p, &len)) != 0)
        return r;
    if (len > 0 && memchr(p, '\0', len) != NULL)
        return MESHCA_ERR_INVALID_FORMAT;
    return meshca_buf_get_string(b, (uint8_t **)valp, lenp);
}

int
meshca_buf_get_stringb(struct meshca_buf *b, struct meshca_buf **subp)
{
    const uint8_t *p;
    size_t len;
    struct meshca_buf *sub;
    int r;

    *subp = NULL;
    if ((r = meshca_buf_peek_string_direct(b, &p, &len)) != 0)
        return r;
    if ((sub = meshca_buf_from(p, len)) == NULL)
        return MESHCA_ERR_ALLOC;
    if ((r = meshca_buf_get_string_direct(b, NULL, NULL)) != 0) {
        meshca_buf_free(sub);
        return r;
    }
    *subp = sub;
    return 0;
}

int
meshca_buf_get_bignum2_bytes_direct(struct meshca_buf *b, const uint8_t **valp,
    size_t *lenp)
{
    const uint8_t *p;
    size_t len;
    int r;

    if (valp != NULL)
        *valp = NULL;
    if (lenp != NULL)
        *lenp = 0;
    if ((r = meshca_buf_peek_string_direct(b, &p, &len)) != 0)
        return r;
    if (len > 16384 / 8 + 1)
        return MESHCA_ERR_BIGNUM_TOO_LARGE;
    if (len > 0 && (p[0] & 0x80) != 0)
        return MESHCA_ERR_BIGNUM_NEGATIVE;
    /* Minimal encoding: a leading zero only to clear the sign bit. */
    if (len > 0 && p[0] == 0 && (len == 1 || (p[1] & 0x80) == 0))
        return MESHCA_ERR_INVALID_FORMAT;
    if (len == 16384 / 8 + 1 && p[0] != 0)
        return MESHCA_ERR_BIGNUM_TOO_LARGE;
    if ((r = meshca_buf_get_string_direct(b, NULL, NULL)) != 0)
        return r;
    if (len > 0 && p[0] == 0) {
        p++;
        len--;
    }
    if (valp != NULL)
        *valp = p;
    if (lenp != NULL)
        *lenp = len;
    return 0;
}

/* Base64 */

static const char b64_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int
meshca_b64_encode(const void *data, size_t len, int url, char **outp)
{
    const uint8_t *s = data;
    const char *alpha = url ? b64_url : b64_std;
    size_t i, o = 0, olen;
    uint32_t v;
    char *out;

    *outp = NULL;
    if (len > BUF_SIZE_MAX)
        return MESHCA_ERR_STRING_TOO_LARGE;
    olen = (len + 2) / 3 * 4 + 1;
    if ((out = malloc(olen)) == NULL)
        return MESHCA_ERR_ALLOC;
    for (i = 0; i + 2 < len; i += 3) {
        v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        out[o++] = alpha[v >> 18];
        out[o++] = alpha[(v >> 12) & 63];
        out[o++] = alpha[(v >> 6) & 63];
        out[o++] = alpha[v & 63];
    }
    if (i < len) {
        v = (uint32_t)s[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)s[i + 1] << 8;
        out[o++] = alpha[v >> 18];
        out[o++] = alpha[(v >> 12) & 63];
        if (i + 1 < len)
            out[o++] = alpha[(v >> 6) & 63];
        else if (!url)
            out[o++] = '=';
        if (!url)
            out[o++] = '=';
    }
    out[o] = '\0';
    *outp = out;
    return 0;
}

static int
b64_val(char c, int url)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == (url ? '-' : '+'))
        return 62;
    if (c == (url ? '_' : '/'))
        return 63;
    return -1;
}

int
meshca_b64_decode(const char *s, size_t slen, int url, uint8_t **outp,
    size_t *lenp)
{
    uint8_t *out = NULL;
    size_t i, o = 0, n, pad = 0, rem;
    uint32_t acc = 0;
    int v, r = MESHCA_ERR_BAD_BASE64;

    *outp = NULL;
    if (lenp != NULL)
        *lenp = 0;
    if (slen > BUF_SIZE_MAX)
        return MESHCA_ERR_STRING_TOO_LARGE;
    n = slen;
    if (!url) {
        if (slen % 4 != 0)
            return MESHCA_ERR_BAD_BASE64;
        while (n > 0 && pad < 2 && s[n - 1] == '=') {
            n--;
            pad++;
        }
    }
    rem = n % 4;
    if (rem == 1)
        return MESHCA_ERR_BAD_BASE64;
    if ((out = malloc(n / 4 * 3 + 3 + 1)) == NULL)
        return MESHCA_ERR_ALLOC;
    for (i = 0; i < n; i++) {
        if ((v = b64_val(s[i], url)) < 0)
            goto out;
        acc = acc << 6 | (uint32_t)v;
        if (i % 4 == 3) {
            out[o++] = (uint8_t)(acc >> 16);
            out[o++] = (uint8_t)(acc >> 8);
            out[o++] = (uint8_t)acc;
            acc = 0;
        }
    }
    if (rem == 2) {
        if ((acc & 0xf) != 0) /* non-canonical trailing bits */
            goto out;
        out[o++] = (uint8_t)(acc >> 4);
    } else if (rem == 3) {
        if ((acc & 0x3) != 0)
            goto out;
        out[o++] = (uint8_t)(acc >> 10);
        out[o++] = (uint8_t)(acc >> 2);
    }
    out[o] = '\0';
    *outp = out;
    out = NULL;
    if (lenp != NULL)
        *lenp = o;
    r = 0;
out:
    if (out != NULL) {
        OPENSSL_cleanse(out, n / 4 * 3 + 3 + 1);
        free(out);
    }
    return r;
}

int
meshca_buf_dtob64(const struct meshca_buf *b, char **strp)
{
    return meshca_b64_encode(meshca_buf_ptr(b), meshca_buf_len(b), 0, strp);
}

int
meshca_buf_b64tod(struct meshca_buf *b, const char *s, size_t len)
{
    uint8_t *d = NULL;
    size_t dlen = 0;
    int r;

    if ((r = meshca_b64_decode(s, len, 0, &d, &dlen)) != 0)
        return r;
    r = meshca_buf_put(b, d, dlen);
    OPENSSL_cleanse(d, dlen);
    free(d);
    return r;
}
