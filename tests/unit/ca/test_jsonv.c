/* Unit tests for ca/jsonv.c: strict reading with path-precise diagnostics. */
#include <string.h>

#include <jansson.h>

#include "meshca/diag.h"
#include "meshca/jsonv.h"
#include "../../lib/unit.h"

static const char *const keys[] = { "a", "b", NULL };

TEST(test_jsonv_object_accepts_known_keys)
{
    json_t *j = json_pack("{s:i, s:s}", "a", 1, "b", "x");
    struct diags d = { 0 };

    ASSERT(j != NULL);
    ASSERT_INT_EQ(jsonv_object(j, "roles[0]", keys, &d), 1);
    ASSERT_INT_EQ(d.n, 0);
    diags_clear(&d);
    json_decref(j);
}

TEST(test_jsonv_object_names_each_unknown_key)
{
    json_t *j = json_pack("{s:i, s:i}", "a", 1, "c", 2);
    struct diags d = { 0 };

    ASSERT(j != NULL);
    ASSERT_INT_EQ(jsonv_object(j, "roles[0]", keys, &d), 1);
    ASSERT_INT_EQ(d.n, 1);
    ASSERT_STR_EQ(d.msgs[0],
        "roles[0].c: unknown key (expected one of: a, b)");
    diags_clear(&d);
    json_decref(j);
}

TEST(test_jsonv_object_refuses_what_is_not_an_object)
{
    json_t *j = json_pack("[i]", 1);
    struct diags d = { 0 };

    ASSERT(j != NULL);
    ASSERT_INT_EQ(jsonv_object(j, "hosts[1]", keys, &d), 0);
    ASSERT_INT_EQ(d.n, 1);
    ASSERT_STR_EQ(d.msgs[0], "hosts[1]: must be an object");
    diags_clear(&d);
    json_decref(j);
}

TEST(test_jsonv_str_or_reads_strings_else_the_default)
{
    json_t *o = json_pack("{s:s, s:i, s:n, s:s}", "email", "a@x.test",
        "n", 3, "null", "subject", "");

    ASSERT(o != NULL);
    ASSERT_STR_EQ(jsonv_str_or(o, "email", "-"), "a@x.test");
    ASSERT_STR_EQ(jsonv_str_or(o, "subject", "-"), "");
    ASSERT_STR_EQ(jsonv_str_or(o, "n", "-"), "-");
    ASSERT_STR_EQ(jsonv_str_or(o, "null", "-"), "-");
    ASSERT_STR_EQ(jsonv_str_or(o, "absent", "?"), "?");
    ASSERT_STR_EQ(jsonv_str_or(json_object_get(o, "email"), "x", "-"), "-");
    ASSERT_STR_EQ(jsonv_str_or(NULL, "x", "-"), "-");
    ASSERT(jsonv_str_or(o, "absent", NULL) == NULL);
    json_decref(o);
}

UNIT_MAIN(T(test_jsonv_object_accepts_known_keys),
    T(test_jsonv_object_names_each_unknown_key),
    T(test_jsonv_object_refuses_what_is_not_an_object),
    T(test_jsonv_str_or_reads_strings_else_the_default))
