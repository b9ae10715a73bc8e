/* Unit tests for api/request.c: the issuance request body. */
#include <stdio.h>
#include <string.h>

#include "../../../api/request.h"
#include "../../lib/unit.h"

static int
parse(const char *body, int require_key, struct issue_request **rp, char *msg)
{
    return request_parse(body, strlen(body), require_key, rp, msg, 256);
}

TEST(test_request_parses_all_fields)
{
    struct issue_request *r = NULL;
    char msg[256];

    ASSERT_OK(parse("{\"public_key\":\"ssh-ed25519 AAAA x\","
        "\"principals\":[\"payments/api\",\"payments/worker\"],"
        "\"ttl\":\"10m\",\"reason\":\"INC-1 fix it\",\"role\":\"oncall\"}",
        1, &r, msg));
    ASSERT_STR_EQ(r->public_key, "ssh-ed25519 AAAA x");
    ASSERT_INT_EQ(r->nprincipals, 2);
    ASSERT_STR_EQ(r->principals[1], "payments/worker");
    ASSERT(r->principals[2] == NULL);
    ASSERT_INT_EQ(r->ttl, 600);
    ASSERT_STR_EQ(r->reason, "INC-1 fix it");
    ASSERT_STR_EQ(r->role, "oncall");
    ASSERT(r->access_request == NULL);
    request_free(r);
}

TEST(test_request_minimal_has_defaults)
{
    struct issue_request *r = NULL;
    char msg[256];

    ASSERT_OK(parse("{\"public_key\":\"ssh-ed25519 AAAA\"}", 1, &r, msg));
    ASSERT_INT_EQ(r->nprincipals, 0);
    ASSERT(r->principals == NULL);
    ASSERT_INT_EQ(r->ttl, 0);
    ASSERT(r->reason == NULL && r->role == NULL);
    request_free(r);
    /* explain needs no key */
    ASSERT_OK(parse("{}", 0, &r, msg));
    request_free(r);
}

TEST(test_request_rejects_bad_bodies_naming_the_field)
{
    static const struct {
        const char *body;
        const char *msg_part;
    } cases[] = {
        { "", "must be a JSON object" },
        { "{", "not valid JSON" },
        { "[]", "must be a JSON object" },
        { "{}", "public_key: missing" },
        { "{\"public_key\":1}", "public_key: must be a string" },
        { "{\"public_key\":\"\"}", "public_key: must be 1 to" },
        { "{\"public_key\":\"k\",\"extra\":1}", "unknown field \"extra\"" },
        { "{\"public_key\":\"k\",\"principals\":\"a\"}", "principals: must be an array" },
        { "{\"public_key\":\"k\",\"principals\":[\"a b\"]}", "principals[0]: must be" },
        { "{\"public_key\":\"k\",\"principals\":[\"a\",\"team#1\"]}", "principals[1]: must be a principal name (1-255 characters, no spaces, commas, '#' or control characters)" },
        { "{\"public_key\":\"k\",\"principals\":[\"a\",7]}", "principals[1]: must be" },
        { "{\"public_key\":\"k\",\"principals\":[\"a\",\"a\"]}", "listed twice" },
        { "{\"public_key\":\"k\",\"ttl\":600}", "ttl: must be a string" },
        { "{\"public_key\":\"k\",\"ttl\":\"10\"}", "ttl: \"10\" is not a positive duration" },
        { "{\"public_key\":\"k\",\"ttl\":\"0s\"}", "is not a positive duration" },
        { "{\"public_key\":\"k\",\"reason\":\"a\\nb\"}", "reason: must not contain control" },
        { "{\"public_key\":\"k\",\"public_key\":\"k\"}", "duplicate" },
        { "{\"public_key\":\"k\",\"request_id\":\"abc\"}",
          "request_id: must be the 32 hex digits" },
        { "{\"public_key\":\"k\",\"request_id\":"
          "\"0123456789ABCDEF0123456789abcdef\"}",
          "request_id: must be the 32 hex digits" },
        { "{\"public_key\":\"k\",\"request_id\":7}",
          "request_id: must be a string" },
    };
    struct issue_request *r;
    char msg[256];
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        r = (struct issue_request *)1;
        if (parse(cases[i].body, 1, &r, msg) != MESHCA_ERR_INVALID_FORMAT)
            unit_fail(__FILE__, __LINE__, "case %zu accepted: %s", i,
                cases[i].body);
        ASSERT(r == NULL);
        if (strstr(msg, cases[i].msg_part) == NULL)
            unit_fail(__FILE__, __LINE__, "case %zu: message \"%s\" lacks "
                "\"%s\"", i, msg, cases[i].msg_part);
    }
}

/* Collecting an approved access request (#17). */
TEST(test_request_takes_an_access_request_id)
{
    struct issue_request *r = NULL;
    char msg[256];

    ASSERT_INT_EQ(parse("{\"public_key\":\"k\",\"request_id\":"
        "\"0123456789abcdef0123456789abcdef\"}", 1, &r, msg), 0);
    ASSERT_STR_EQ(r->access_request, "0123456789abcdef0123456789abcdef");
    request_free(r);
}

TEST(test_request_rejects_too_many_principals)
{
    char body[300 * 8 + 64];
    struct issue_request *r = NULL;
    char msg[256];
    size_t off;
    int i;

    off = (size_t)snprintf(body, sizeof(body),
        "{\"public_key\":\"k\",\"principals\":[");
    for (i = 0; i < 257; i++)
        off += (size_t)snprintf(body + off, sizeof(body) - off, "%s\"p%d\"",
            i ? "," : "", i);
    snprintf(body + off, sizeof(body) - off, "]}");
    ASSERT_ERR(parse(body, 1, &r, msg), MESHCA_ERR_INVALID_FORMAT);
    ASSERT(strstr(msg, "at most 256") != NULL);
}

UNIT_MAIN(T(test_request_takes_an_access_request_id),
    T(test_request_parses_all_fields), T(test_request_minimal_has_defaults),
    T(test_request_rejects_bad_bodies_naming_the_field),
    T(test_request_rejects_too_many_principals))
