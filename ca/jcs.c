/* RFC 8785 canonical JSON, see meshca/jcs.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meshca/jcs.h"

/* Deeper values are refused: recursion stays bounded, and a value made into
 * a cycle through the jansson API cannot loop forever. */
#define JCS_DEPTH_MAX 128
/* 2^53 - 1: the largest integer an IEEE 754 double holds exactly. */
#define JCS_INT_MAX 9007199254740991LL

struct member {
    const char *key;
    size_t len;
    json_t *val;
};

/* A cursor over the UTF-16 code units of a valid UTF-8 string. */
struct u16_iter {
    const unsigned char *s;
    size_t len, pos;
    unsigned low; /* pending low surrogate, or 0 */
};

static int encode_value(const json_t *v, struct meshca_buf *out, int depth);

/*
 * Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0 if there is none.
 * *cpp gets the code point.
 */
static size_t
utf8_seq(const unsigned char *s, size_t avail, unsigned *cpp)
{
    unsigned c = s[0], cp, min, i, n;

    if (c < 0x80) {
        *cpp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, min = 0x80, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, min = 0x800, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, min = 0x10000, cp = c & 0x07;
    else
        return 0;
    if (avail < n)
        return 0;
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    *cpp = cp;
    return n;
}

static int
utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, n;
    unsigned cp;

    while (i < len) {
        if ((n = utf8_seq(p + i, len - i, &cp)) == 0)
            return 0;
        i += n;
    }
    return 1;
}

/* The next UTF-16 code unit, or -1 at the end.  The string is valid. */
static long
u16_next(struct u16_iter *it)
{
    unsigned cp, u;

    if (it->low != 0) {
        u = it->low;
        it->low = 0;
        return u;
    }
    if (it->pos >= it->len)
        return -1;
    it->pos += utf8_seq(it->s + it->pos, it->len - it->pos, &cp);
    if (cp < 0x10000)
        return cp;
    cp -= 0x10000;
    it->low = 0xdc00 | (cp & 0x3ff);
    return 0xd800 | cp >> 10;
}

/* RFC 8785 3.2.3: names compare as arrays of UTF-16 code units.  That
 * differs from UTF-8 byte order where U+E000..U+FFFF meets a character
 * beyond the BMP: its surrogates sort first. */
static int
member_cmp(const void *a, const void *b)
{
    const struct member *ma = a, *mb = b;
    struct u16_iter ia = {(const unsigned char *)ma->key, ma->len, 0, 0};
    struct u16_iter ib = {(const unsigned char *)mb->key, mb->len, 0, 0};
    long ua, ub;

    do {
        ua = u16_next(&ia);
        ub = u16_next(&ib);
    } while (ua == ub && ua != -1);
    return ua < ub ? -1 : ua > ub;
}

/* The escape for byte c as JSON.stringify writes it, or NULL for none. */
static const char *
escape_for(unsigned char c, char tmp[7])
{
    switch (c) {
    case '"':
        return "\\\"";
    case '\\':
        return "\\\\";
    case '\b':
        return "\\b";
    case '\f':
        return "\\f";
    case '\n':
        return "\\n";
    case '\r':
        return "\\r";
    case '\t':
        return "\\t";
    }
    if (c >= 0x20)
        return NULL;
    snprintf(tmp, 7, "\\u%04x", c);
    return tmp;
}

static int
encode_string(const char *s, size_t len, struct meshca_buf *out)
{
    const char *esc;
    char tmp[7];
    size_t i, run = 0;
    int r;

    if (!utf8_valid(s, len))
        return MESHCA_ERR_JCS;
    if ((r = meshca_buf_put_u8(out, '"')) != 0)
        return r;
    for (i = 0; i < len; i++) {
        if ((esc = escape_for((unsigned char)s[i], tmp)) == NULL)
            continue;
        if ((r = meshca_buf_put(out, s + run, i - run)) != 0 ||
            (r = meshca_buf_put(out, esc, strlen(esc))) != 0)
            return r;
        run = i + 1;
    }
    if ((r = meshca_buf_put(out, s + run, len - run)) != 0)
        return r;
    return meshca_buf_put_u8(out, '"');
}

static int
encode_integer(json_int_t n, struct meshca_buf *out)
{
    char tmp[32];
    int w;

    if (n > JCS_INT_MAX || n < -JCS_INT_MAX)
        return MESHCA_ERR_JCS;
    w = snprintf(tmp, sizeof(tmp), "%lld", (long long)n);
    if (w < 0 || (size_t)w >= sizeof(tmp))
        return MESHCA_ERR_INTERNAL;
    return meshca_buf_put(out, tmp, (size_t)w);
}

static int
encode_array(const json_t *v, struct meshca_buf *out, int depth)
{
    size_t i, n = json_array_size(v);
    int r;

    if ((r = meshca_buf_put_u8(out, '[')) != 0)
        return r;
    for (i = 0; i < n; i++) {
        if ((i > 0 && (r = meshca_buf_put_u8(out, ',')) != 0) ||
            (r = encode_value(json_array_get(v, i), out, depth + 1)) != 0)
            return r;
    }
    return meshca_buf_put_u8(out, ']');
}

/* The object's members with validated names, sorted.  Caller frees *mp. */
static int
sorted_members(const json_t *v, struct member **mp, size_t *np)
{
    struct member *m;
    const char *key;
    size_t n = 0, klen;
    json_t *val;

    *mp = NULL;
    *np = 0;
    if ((m = calloc(json_object_size(v) + 1, sizeof(*m))) == NULL)
        return MESHCA_ERR_ALLOC;
    json_object_keylen_foreach((json_t *)v, key, klen, val)
    {
        if (!utf8_valid(key, klen)) {
            free(m);
            return MESHCA_ERR_JCS;
        }
        m[n].key = key;
        m[n].len = klen;
        m[n++].val = val;
    }
    qsort(m, n, sizeof(*m), member_cmp);
    *mp = m;
    *np = n;
    return 0;
}

static int
encode_object(const json_t *v, struct meshca_buf *out, int depth)
{
    struct member *m = NULL;
    size_t i, n;
    int r;

    if ((r = sorted_members(v, &m, &n)) != 0)
        return r;
    if ((r = meshca_buf_put_u8(out, '{')) != 0)
        goto out;
    for (i = 0; i < n; i++) {
        if ((i > 0 && (r = meshca_buf_put_u8(out, ',')) != 0) ||
            (r = encode_string(m[i].key, m[i].len, out)) != 0 ||
            (r = meshca_buf_put_u8(out, ':')) != 0 ||
            (r = encode_value(m[i].val, out, depth + 1)) != 0)
            goto out;
    }
    r = meshca_buf_put_u8(out, '}');
out:
    free(m);
    return r;
}

static int
encode_value(const json_t *v, struct meshca_buf *out, int depth)
{
    if (v == NULL || depth > JCS_DEPTH_MAX)
        return MESHCA_ERR_JCS;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return encode_object(v, out, depth);
    case JSON_ARRAY:
        return encode_array(v, out, depth);
    case JSON_STRING:
        return encode_string(json_string_value(v), json_string_length(v), out);
    case JSON_INTEGER:
        return encode_integer(json_integer_value(v), out);
    case JSON_TRUE:
        return meshca_buf_put(out, "true", 4);
    case JSON_FALSE:
        return meshca_buf_put(out, "false", 5);
    case JSON_NULL:
        return meshca_buf_put(out, "null", 4);
    case JSON_REAL:
        break;
    }
    return MESHCA_ERR_JCS;
}

int
jcs_encode(const json_t *v, struct meshca_buf *out)
{
    if (out == NULL)
        return MESHCA_ERR_INVALID_ARGUMENT;
    return encode_value(v, out, 0);
}
