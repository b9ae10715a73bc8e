/* Unit tests for ca/jcs.c: RFC 8785 canonical JSON. */
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "meshca/buf.h"
#include "meshca/jcs.h"
#include "../../lib/unit.h"

/* Encodes v (which it takes) and returns the result as a new C string, or
 * NULL with *errp set when jcs_encode fails. */
static char *
jcs_str(json_t *v, int *errp)
{
    struct meshca_buf *b = meshca_buf_new(BUF_SIZE_MAX);
    char *s = NULL;
    int r;

    ASSERT(b != NULL);
    r = jcs_encode(v, b);
    json_decref(v);
    if (errp != NULL)
        *errp = r;
    if (r == 0) {
        ASSERT((s = malloc(meshca_buf_len(b) + 1)) != NULL);
        memcpy(s, meshca_buf_ptr(b), meshca_buf_len(b));
        s[meshca_buf_len(b)] = '\0';
    }
    meshca_buf_free(b);
    return s;
}

static json_t *
load(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_ALLOW_NUL | JSON_DECODE_ANY, &e);

    if (v == NULL)
        unit_fail(__FILE__, __LINE__, "json_loads: %s", e.text);
    return v;
}

static void
check_canon(const char *in, const char *want)
{
    char *got = jcs_str(load(in), NULL);

    ASSERT_STR_EQ(got, want);
    free(got);
}

static void
check_refused(json_t *v)
{
    int r = 0;
    char *got = jcs_str(v, &r);

    if (got != NULL)
        unit_fail(__FILE__, __LINE__, "encoded as %s, expected refusal", got);
    ASSERT_ERR(r, MESHCA_ERR_JCS);
}

/* RFC 8785 section 3.2.3, the sorting example (all values are strings). */
TEST(test_jcs_rfc8785_sorting_example)
{
    check_canon("{\"\\u20ac\": \"Euro Sign\", \"\\r\": \"Carriage Return\","
                " \"\\ufb33\": \"Hebrew Letter Dalet With Dagesh\","
                " \"1\": \"One\", \"\\ud83d\\ude00\": \"Emoji: Grinning Face\","
                " \"\\u0080\": \"Control\","
                " \"\\u00f6\": \"Latin Small Letter O With Diaeresis\"}",
        "{\"\\r\":\"Carriage Return\",\"1\":\"One\","
        "\"\xc2\x80\":\"Control\","
        "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\","
        "\"\xe2\x82\xac\":\"Euro Sign\","
        "\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
        "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

/* RFC 8785 section 3.2.2's example without its "numbers" member (reals,
 * refused below). */
TEST(test_jcs_rfc8785_string_and_literals_example)
{
    check_canon("{\n  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042"
                "\\u0022\\u005c\\\\\\\"\\/\",\n"
                "  \"literals\": [null, true, false]\n}",
        "{\"literals\":[null,true,false],"
        "\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
}

TEST(test_jcs_rfc8785_numbers_example_is_refused)
{
    check_refused(load("{\"numbers\": [333333333.33333329, 1E30, 4.50,"
                       " 2e-3, 0.000000000000000000000000001]}"));
    check_refused(load("[1.0]"));
    check_refused(load("{\"a\": [0.5]}"));
}

/* U+FB33 sorts before U+1F600 in UTF-8 (EF < F0) but after it in UTF-16
 * (FB33 > D83D); U+0080 and U+20AC stay below both either way. */
TEST(test_jcs_sorts_non_bmp_names_by_utf16_units)
{
    json_t *o;
    char *got;

    check_canon("{\"\\ufb33\":1,\"\\ud83d\\ude00\":2,\"\\u20ac\":3,"
                "\"\\u0080\":4,\"\\uffff\":5,\"\\ud800\\udc00\":6,"
                "\"\\ue000\":7,\"\\ud7ff\":8}",
        "{\"\xc2\x80\":4,\"\xe2\x82\xac\":3,\"\xed\x9f\xbf\":8,"
        "\"\xf0\x90\x80\x80\":6,\"\xf0\x9f\x98\x80\":2,"
        "\"\xee\x80\x80\":7,\"\xef\xac\xb3\":1,\"\xef\xbf\xbf\":5}");
    /* A prefix sorts first; ASCII by byte; a NUL in a name (which jansson
     * will not parse but lets a caller set) is a code unit like others. */
    o = load("{\"ab\":1,\"a\":2,\"\":3,\"B\":4}");
    ASSERT_INT_EQ(json_object_setn_new(o, "a\0", 2, json_integer(5)), 0);
    got = jcs_str(o, NULL);
    ASSERT_STR_EQ(got, "{\"\":3,\"B\":4,\"a\":2,\"a\\u0000\":5,\"ab\":1}");
    free(got);
}

TEST(test_jcs_escapes_every_control_char)
{
    static const char *const want[32] = {"\\u0000", "\\u0001", "\\u0002",
        "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007", "\\b", "\\t",
        "\\n", "\\u000b", "\\f", "\\r", "\\u000e", "\\u000f", "\\u0010",
        "\\u0011", "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016",
        "\\u0017", "\\u0018", "\\u0019", "\\u001a", "\\u001b", "\\u001c",
        "\\u001d", "\\u001e", "\\u001f"};
    char in[3], exp[16], *got;
    int c;

    for (c = 0; c < 32; c++) {
        in[0] = 'x';
        in[1] = (char)c;
        in[2] = 'y';
        got = jcs_str(json_stringn(in, 3), NULL);
        snprintf(exp, sizeof(exp), "\"x%sy\"", want[c]);
        ASSERT_STR_EQ(got, exp);
        free(got);
    }
    /* Not escaped: DEL, '/', U+2028, U+2029, non-ASCII. */
    check_canon("\"\\u007f/\\u2028\\u2029\\u00e9\"",
        "\"\x7f/\xe2\x80\xa8\xe2\x80\xa9\xc3\xa9\"");
    check_canon("\"\\\"\\\\\"", "\"\\\"\\\\\"");
}

TEST(test_jcs_encodes_nested_structures)
{
    check_canon("{\"z\": [1, {\"b\": [], \"a\": {}}, [[null]]],"
                " \"a\": {\"y\": true, \"x\": {\"q\": \"s\", \"p\": -7}}}",
        "{\"a\":{\"x\":{\"p\":-7,\"q\":\"s\"},\"y\":true},"
        "\"z\":[1,{\"a\":{},\"b\":[]},[[null]]]}");
    check_canon("[]", "[]");
    check_canon("{}", "{}");
    check_canon("\"\"", "\"\"");
    check_canon("0", "0");
    check_canon("false", "false");
}

TEST(test_jcs_integer_range)
{
    check_canon("[9007199254740991, -9007199254740991, 0, -1, 42]",
        "[9007199254740991,-9007199254740991,0,-1,42]");
    check_refused(json_integer(9007199254740992LL));
    check_refused(json_integer(-9007199254740992LL));
    check_refused(load("[9223372036854775807]"));
    check_refused(load("{\"a\": {\"b\": [-9223372036854775807]}}"));
}

TEST(test_jcs_refuses_invalid_utf8)
{
    static const char *const bad[] = {
        "\xc0\x80",         /* overlong NUL */
        "\xe0\x80\xaf",     /* overlong '/' */
        "\xed\xa0\x80",     /* surrogate U+D800 */
        "\xf4\x90\x80\x80", /* U+110000 */
        "\xf5\x80\x80\x80", /* F5 lead */
        "\xe2\x82",         /* truncated */
        "\x80",             /* stray continuation */
        "\xc3\x28",         /* bad continuation */
        "\xff",
    };
    json_t *o;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        check_refused(json_stringn_nocheck(bad[i], strlen(bad[i])));
        o = json_object();
        ASSERT(o != NULL);
        ASSERT_INT_EQ(json_object_setn_new_nocheck(
                          o, bad[i], strlen(bad[i]), json_null()),
            0);
        check_refused(o);
        /* Deep inside valid values too. */
        check_refused(json_pack("[s, {s: [o]}]", "ok", "k",
            json_stringn_nocheck(bad[i], strlen(bad[i]))));
    }
}

TEST(test_jcs_refuses_deep_nesting_and_null)
{
    json_t *v = json_array(), *inner;
    int i, r = 0;
    char *s;

    for (i = 0; i < 100; i++) {
        ASSERT((inner = json_array()) != NULL);
        ASSERT_INT_EQ(json_array_append_new(inner, v), 0);
        v = inner;
    }
    s = jcs_str(json_incref(v), &r);
    ASSERT_OK(r);
    ASSERT_INT_EQ(strlen(s), 202);
    free(s);
    for (i = 0; i < 100; i++) {
        ASSERT((inner = json_array()) != NULL);
        ASSERT_INT_EQ(json_array_append_new(inner, v), 0);
        v = inner;
    }
    check_refused(v);
    check_refused(NULL);
}

/* --- the round-trip property over pseudo-random values --- */

static uint64_t rng_state;

static uint32_t
rng(uint32_t bound)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % bound);
}

static size_t
put_utf8(char *p, uint32_t cp)
{
    if (cp < 0x80) {
        p[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        p[0] = (char)(0xc0 | cp >> 6);
        p[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        p[0] = (char)(0xe0 | cp >> 12);
        p[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        p[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    p[0] = (char)(0xf0 | cp >> 18);
    p[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    p[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    p[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* A code point from one of the ranges where encoders go wrong. */
static uint32_t
rand_cp(int allow_nul)
{
    uint32_t cp;

    switch (rng(7)) {
    case 0:
        cp = rng(0x20);
        return cp == 0 && !allow_nul ? 1 : cp;
    case 1:
        return "\"\\/a1 \x7f"[rng(7)];
    case 2:
        return 0x20 + rng(0x5f);
    case 3:
        return 0x80 + rng(0x780);
    case 4:
        cp = 0x800 + rng(0xf800);
        return cp >= 0xd800 && cp < 0xe000 ? cp + 0x800 : cp;
    case 5:
        return 0xe000 + rng(0x2000);
    default:
        return 0x10000 + rng(0x100000);
    }
}

static size_t
rand_str(char *out, size_t max_cps, int allow_nul)
{
    size_t i, n = rng((uint32_t)max_cps + 1), len = 0;

    for (i = 0; i < n; i++)
        len += put_utf8(out + len, rand_cp(allow_nul));
    return len;
}

static json_t *
rand_value(int depth)
{
    char s[64];
    json_t *v;
    uint32_t i, n;

    switch (depth > 3 ? rng(5) : rng(7)) {
    case 0:
        return json_integer((json_int_t)rng(2000000) - 1000000);
    case 1:
        return rng(2) ? json_true() : (rng(2) ? json_false() : json_null());
    case 2:
        return json_integer(rng(2) ? 9007199254740991LL : -9007199254740991LL);
    case 3:
    case 4:
        return json_stringn(s, rand_str(s, 12, 1));
    case 5:
        v = json_array();
        for (i = 0, n = rng(5); v != NULL && i < n; i++)
            json_array_append_new(v, rand_value(depth + 1));
        return v;
    default:
        v = json_object();
        for (i = 0, n = rng(6); v != NULL && i < n; i++)
            json_object_setn_new(
                v, s, rand_str(s, 4, 0), rand_value(depth + 1));
        return v;
    }
}

TEST(test_jcs_reparse_reencode_is_identical)
{
    json_error_t e;
    json_t *v, *again;
    char *a, *b;
    int i;

    rng_state = 0x9e3779b97f4a7c15ULL;
    for (i = 0; i < 2000; i++) {
        ASSERT((v = rand_value(0)) != NULL);
        a = jcs_str(json_incref(v), NULL);
        ASSERT(a != NULL);
        again = json_loads(a, JSON_ALLOW_NUL | JSON_DECODE_ANY, &e);
        if (again == NULL)
            unit_fail(__FILE__, __LINE__, "case %d: %s: %s", i, e.text, a);
        ASSERT(json_equal(v, again));
        b = jcs_str(again, NULL);
        ASSERT_STR_EQ(b, a);
        json_decref(v);
        free(a);
        free(b);
    }
}

/* Keys in UTF-16BE compare as byte strings exactly as their code units do:
 * an oracle for the ordering that shares no code with ca/jcs.c. */
struct keyref {
    char utf8[32];
    size_t len;
    char u16[64];
    size_t u16len;
    int idx;
};

static int
keyref_cmp(const void *a, const void *b)
{
    const struct keyref *x = a, *y = b;
    size_t n = x->u16len < y->u16len ? x->u16len : y->u16len;
    int c = memcmp(x->u16, y->u16, n);

    if (c != 0)
        return c;
    return x->u16len < y->u16len ? -1 : x->u16len > y->u16len;
}

static void
to_utf16be(iconv_t cd, struct keyref *k)
{
    char *in = k->utf8, *out = k->u16;
    size_t inleft = k->len, outleft = sizeof(k->u16);

    ASSERT(iconv(cd, &in, &inleft, &out, &outleft) != (size_t)-1);
    ASSERT_INT_EQ(inleft, 0);
    k->u16len = sizeof(k->u16) - outleft;
}

/* Random names without characters that need escaping. */
static void
rand_plain_key(struct keyref *k)
{
    size_t i, n = 1 + rng(3);
    uint32_t cp;

    k->len = 0;
    for (i = 0; i < n; i++) {
        do
            cp = rand_cp(0);
        while (cp < 0x20 || cp == '"' || cp == '\\');
        k->len += put_utf8(k->utf8 + k->len, cp);
    }
}

TEST(test_jcs_member_order_matches_utf16be_oracle)
{
    struct keyref keys[12];
    iconv_t cd = iconv_open("UTF-16BE", "UTF-8");
    char want[1024], *got;
    size_t off, n, i;
    json_t *o;
    int round;

    ASSERT(cd != (iconv_t)-1);
    rng_state = 0x243f6a8885a308d3ULL;
    for (round = 0; round < 300; round++) {
        ASSERT((o = json_object()) != NULL);
        for (n = 0; n < 12; n++) {
            do
                rand_plain_key(&keys[n]);
            while (json_object_getn(o, keys[n].utf8, keys[n].len) != NULL);
            keys[n].idx = (int)n;
            to_utf16be(cd, &keys[n]);
            ASSERT_INT_EQ(json_object_setn_new(o, keys[n].utf8, keys[n].len,
                              json_integer((json_int_t)n)),
                0);
        }
        qsort(keys, n, sizeof(keys[0]), keyref_cmp);
        off = (size_t)snprintf(want, sizeof(want), "{");
        for (i = 0; i < n; i++)
            off += (size_t)snprintf(want + off, sizeof(want) - off,
                "%s\"%.*s\":%d", i ? "," : "", (int)keys[i].len, keys[i].utf8,
                keys[i].idx);
        snprintf(want + off, sizeof(want) - off, "}");
        got = jcs_str(o, NULL);
        ASSERT_STR_EQ(got, want);
        free(got);
    }
    iconv_close(cd);
}

UNIT_MAIN(T(test_jcs_rfc8785_sorting_example),
    T(test_jcs_rfc8785_string_and_literals_example),
    T(test_jcs_rfc8785_numbers_example_is_refused),
    T(test_jcs_sorts_non_bmp_names_by_utf16_units),
    T(test_jcs_escapes_every_control_char),
    T(test_jcs_encodes_nested_structures), T(test_jcs_integer_range),
    T(test_jcs_refuses_invalid_utf8), T(test_jcs_refuses_deep_nesting_and_null),
    T(test_jcs_reparse_reencode_is_identical),
    T(test_jcs_member_order_matches_utf16be_oracle))
