/* Unit tests for api/notify.c (bodies) and api/notify_config.c (the
 * "notifications" config section). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "../../../api/notify.h"
#include "../../../api/notify_config.h"
#include "../../lib/unit.h"

static json_t *
request_obj(void)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:[s], s:I, s:s, s:[{s:s, "
        "s:s, s:s}], s:n}", "id", "0123456789abcdef0123456789abcdef",
        "kind", "approval", "subject", "alice", "email", "alice@example.com",
        "role", "db", "principals", "payments/db", "ttl_seconds",
        (json_int_t)600, "reason", "INC-4412", "approvals", "subject", "bob",
        "email", "bob@example.com", "reason", "ok", "denial");
}

TEST(test_notify_json_body_names_event_and_request)
{
    json_t *o = request_obj(), *b;
    char *body = notify_render("request.created", o, 0);

    ASSERT(body != NULL);
    ASSERT((b = json_loads(body, 0, NULL)) != NULL);
    ASSERT_STR_EQ(json_string_value(json_object_get(b, "event")),
        "request.created");
    ASSERT(json_equal(json_object_get(b, "request"), o));
    ASSERT(json_is_string(json_object_get(b, "occurred_at")));
    json_decref(b);
    free(body);
    body = notify_render("revocation.created", o, 0);
    ASSERT((b = json_loads(body, 0, NULL)) != NULL);
    ASSERT(json_object_get(b, "revocation") != NULL);
    json_decref(b);
    free(body);
    json_decref(o);
}

TEST(test_notify_slack_text_says_who_what_why_and_how)
{
    json_t *o = request_obj(), *b;
    char *body = notify_render("request.created", o, 1);
    const char *t;

    ASSERT((b = json_loads(body, 0, NULL)) != NULL);
    ASSERT((t = json_string_value(json_object_get(b, "text"))) != NULL);
    ASSERT(strstr(t, "alice@example.com requests role db (payments/db)") !=
        NULL);
    ASSERT(strstr(t, "INC-4412") != NULL);
    ASSERT(strstr(t, "meshca approve 0123456789abcdef0123456789abcdef") !=
        NULL);
    ASSERT(strstr(t, "meshca deny 0123456789abcdef0123456789abcdef") != NULL);
    json_decref(b);
    free(body);
    body = notify_render("request.approved", o, 1);
    ASSERT((b = json_loads(body, 0, NULL)) != NULL);
    ASSERT(strstr(json_string_value(json_object_get(b, "text")),
        "approved by bob@example.com (ok)") != NULL);
    json_decref(b);
    free(body);
    json_decref(o);
}

/* Parses the notifications section text with secret files in dir. */
static int
parse(const char *text, const char *dir, struct notify_config *n,
    struct diags *d)
{
    json_t *j = json_loads(text, 0, NULL);

    ASSERT(j != NULL);
    notify_config_parse(n, j, dir, d);
    json_decref(j);
    return (int)d->n;
}

static int
has(const struct diags *d, const char *part)
{
    size_t i;

    for (i = 0; i < d->n; i++)
        if (strstr(d->msgs[i], part) != NULL)
            return 1;
    return 0;
}

/* Parses text (secret files in dir) and expects it refused with a
 * diagnostic holding part, and one holding part2 when that is not NULL. */
static void
expect_refused(const char *text, const char *dir, const char *part,
    const char *part2)
{
    struct notify_config n;
    struct diags d = { 0 };

    if (parse(text, dir, &n, &d) == 0)
        unit_fail(__FILE__, __LINE__, "accepted: %s", text);
    if (!has(&d, part) || (part2 != NULL && !has(&d, part2)))
        unit_fail(__FILE__, __LINE__, "%s: no diagnostic \"%s\"%s%s%s", text,
            part, part2 ? " and \"" : "", part2 ? part2 : "", part2 ? "\"" :
            "");
    notify_config_free(&n);
    diags_clear(&d);
}

TEST(test_notify_config_checks_url_events_and_secret)
{
    const char *dir = unit_tmpdir();
    char path[512];
    struct notify_config n;
    struct diags d = { 0 };
    FILE *f;

    snprintf(path, sizeof(path), "%s/hook.secret", dir);
    ASSERT((f = fopen(path, "w")) != NULL);
    fputs("0123456789abcdef0123456789abcdef\n", f);
    fclose(f);
    ASSERT(chmod(path, 0600) == 0);
    ASSERT_INT_EQ(parse("{\"webhooks\": [{\"url\": \"https://h.example/x\", "
        "\"format\": \"slack\", \"secret_file\": \"hook.secret\", \"events\": "
        "[\"break_glass.used\"]}]}", dir, &n, &d), 0);
    ASSERT_INT_EQ(n.nwebhooks, 1);
    ASSERT_INT_EQ(n.webhooks[0].slack, 1);
    ASSERT_INT_EQ(n.webhooks[0].secretlen, 32);   /* newline dropped */
    ASSERT_INT_EQ(notify_config_wants(&n.webhooks[0], "break_glass.used"), 1);
    ASSERT_INT_EQ(notify_config_wants(&n.webhooks[0], "request.created"), 0);
    notify_config_free(&n);

    expect_refused("{\"webhooks\": [{\"url\": \"http://hooks.example/x\", "
        "\"secret_file\": \"hook.secret\"}]}", dir, "webhooks use https",
        NULL);
    ASSERT_INT_EQ(parse("{\"webhooks\": [{\"url\": \"http://127.0.0.1:9/x\", "
        "\"secret_file\": \"hook.secret\"}]}", dir, &n, &d), 0);
    ASSERT_INT_EQ(notify_config_wants(&n.webhooks[0], "request.denied"), 1);
    notify_config_free(&n);

    expect_refused("{\"webhooks\": [{\"url\": \"https://h.example/x\", "
        "\"secret_file\": \"hook.secret\", \"events\": [\"request.maybe\"], "
        "\"format\": \"teams\"}]}", dir, "\"request.maybe\" is not an event",
        "\"teams\" is not json or slack");

    ASSERT(chmod(path, 0644) == 0);
    expect_refused("{\"webhooks\": [{\"url\": \"https://h.example/x\", "
        "\"secret_file\": \"hook.secret\"}]}", dir,
        "group or others can read it (mode 0644): chmod 600", NULL);
    expect_refused("{\"webhooks\": [{\"url\": \"https://h.example/x\"}], "
        "\"email\": {}}", dir, "secret_file",
        "notifications.email: unknown key");
}

UNIT_MAIN(T(test_notify_json_body_names_event_and_request),
    T(test_notify_slack_text_says_who_what_why_and_how),
    T(test_notify_config_checks_url_events_and_secret))
