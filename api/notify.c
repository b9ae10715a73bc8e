/* Rendering and queueing notifications.  See notify.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "meshca/clock.h"
#include "meshca/jsonv.h"
#include "ledger.h"
#include "log.h"
#include "notify.h"
#include "server.h"
#include "webhooks.h"

static const char *
s(const json_t *o, const char *key)
{
    return jsonv_str_or(o, key, "?");
}

/* email, else subject, of o. */
static const char *
person(const json_t *o)
{
    return jsonv_str_or(o, "email", s(o, "subject"));
}

/* The principals of o, comma-separated, into buf. */
static const char *
principals(const json_t *o, char *buf, size_t len)
{
    const json_t *e;
    size_t i, off = 0;

    buf[0] = '\0';
    json_array_foreach(json_object_get(o, "principals"), i, e) {
        int n = snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
            json_string_value(e) ? json_string_value(e) : "");

        if (n < 0 || (size_t)n >= len - off)
            break;
        off += (size_t)n;
    }
    return buf;
}

/* The last approval or the denial of o, as "who: reason". */
static void
decided_by(const json_t *o, const char *key, char *buf, size_t len)
{
    const json_t *d = json_object_get(o, key);

    if (json_is_array(d))
        d = json_array_get(d, json_array_size(d) - 1);
    snprintf(buf, len, "%s (%s)", person(d), s(d, "reason"));
}

static char *
slack_text(const char *event, const json_t *o)
{
    char pr[512], by[768], *t = NULL;
    int n = -1;

    if (strcmp(event, "revocation.created") == 0)
        n = asprintf(&t, ":no_entry: %s revoked %s %s: \"%s\"",
            s(o, "revoked_by"), s(o, "kind"), s(o, "value"), s(o, "reason"));
    else if (strcmp(event, "request.created") == 0)
        n = asprintf(&t, ":lock: %s requests role %s (%s) for %llds: \"%s\"."
            "\nApprove: `meshca approve %s --reason \"...\"`"
            "\nDeny: `meshca deny %s --reason \"...\"`", person(o),
            s(o, "role"), principals(o, pr, sizeof(pr)),
            (long long)json_integer_value(json_object_get(o, "ttl_seconds")),
            s(o, "reason"), s(o, "id"), s(o, "id"));
    else if (strcmp(event, "break_glass.used") == 0)
        n = asprintf(&t, ":rotating_light: BREAK-GLASS: %s used role %s "
            "(%s): \"%s\". It needs review: `meshca ack %s --reason \"...\"`",
            person(o), s(o, "role"), principals(o, pr, sizeof(pr)),
            s(o, "reason"), s(o, "id"));
    else {
        int approved = strcmp(event, "request.approved") == 0;

        decided_by(o, approved ? "approvals" : "denial", by, sizeof(by));
        n = asprintf(&t, "%s %s's request %s for role %s (%s, \"%s\") was "
            "%s by %s", approved ? ":white_check_mark:" : ":x:", person(o),
            s(o, "id"), s(o, "role"), principals(o, pr, sizeof(pr)),
            s(o, "reason"), approved ? "approved" : "denied", by);
    }
    return n < 0 ? NULL : t;
}

char *
notify_render(const char *event, const json_t *obj, int slack)
{
    char at[MESHCA_TIME_BUFLEN], *text, *body;
    json_t *o;

    if (slack) {
        if ((text = slack_text(event, obj)) == NULL)
            return NULL;
        o = json_pack("{s:s}", "text", text);
        free(text);
    } else {
        (void)meshca_time_format((int64_t)time(NULL), at, sizeof(at));
        o = json_pack("{s:s, s:s, s:O}", "event", event, "occurred_at", at,
            strcmp(event, "revocation.created") == 0 ? "revocation" :
            "request", obj);
    }
    body = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    return body;
}

/* The ledger record an event derives from, found from the event's object:
 * $4 the request id; $5, $6 the completing approver; $7-$9 the revocation's
 * kind, value and issuer.  The sweep (notify_sweep.c) reads the same
 * records the other way round. */
#define RECORD_SEQ_SQL                                                        \
    "(SELECT CASE $2::text"                                                   \
    " WHEN 'request.created' THEN"                                            \
    "  (SELECT seq FROM access_requests WHERE id = $4::text)"                 \
    " WHEN 'break_glass.used' THEN"                                           \
    "  (SELECT seq FROM certificates WHERE key_id ~ '/ar-[0-9a-f]{32}$'"      \
    "   AND substring(key_id FROM '/ar-([0-9a-f]{32})$') = $4::text)"         \
    " WHEN 'request.denied' THEN"                                             \
    "  (SELECT min(seq) FROM access_decisions WHERE access_request ="         \
    "   $4::text AND decision = 'deny')"                                      \
    " WHEN 'request.approved' THEN"                                           \
    "  (SELECT min(seq) FROM access_decisions WHERE access_request ="         \
    "   $4::text AND decision = 'approve' AND issuer = $5::text"              \
    "   AND subject = $6::text)"                                              \
    " WHEN 'revocation.created' THEN"                                         \
    "  (SELECT max(seq) FROM revocations WHERE kind = $7::text"               \
    "   AND value = $8::text AND issuer IS NOT DISTINCT FROM $9::text)"       \
    " END)"

int
notify_enqueue(void *conn, const char *hook, const char *event,
    const char *record_seq, const char *body)
{
    const char *p[4] = { hook, event, body, record_seq };
    PGresult *res = PQexecParams((PGconn *)conn, "INSERT INTO "
        "webhook_deliveries (hook, event, body, record_seq) VALUES ($1, $2, "
        "$3, $4::bigint) ON CONFLICT (hook, event, record_seq) DO NOTHING", 4,
        NULL, p, NULL, NULL, 0);
    int r = PQresultStatus(res) == PGRES_COMMAND_OK ?
        strcmp(PQcmdTuples(res), "1") == 0 : -1;

    if (r < 0)
        log_msg(LOG_LEVEL_ERROR, "notifications: cannot queue %s for %s: %s",
            event, hook, PQresultErrorMessage(res));
    PQclear(res);
    return r;
}

/* The immediate path: the record is found by RECORD_SEQ_SQL. */
static int
enqueue(PGconn *c, const char *hook, const char *event, const char *body,
    const json_t *obj)
{
    const json_t *a = json_object_get(obj, "approvals");
    json_int_t n = json_integer_value(json_object_get(obj, "min_approvals"));
    const json_t *last = json_array_get(a, (size_t)(n > 0 ? n - 1 : 0));
    const char *p[9] = { hook, event, body,
        json_string_value(json_object_get(obj, "id")),
        json_string_value(json_object_get(last, "issuer")),
        json_string_value(json_object_get(last, "subject")),
        json_string_value(json_object_get(obj, "kind")),
        json_string_value(json_object_get(obj, "value")),
        json_string_value(json_object_get(obj, "issuer")) };
    PGresult *res = PQexecParams(c, "INSERT INTO webhook_deliveries (hook, "
        "event, body, record_seq) VALUES ($1, $2, $3, " RECORD_SEQ_SQL ") "
        "ON CONFLICT (hook, event, record_seq) DO NOTHING", 9, NULL, p, NULL,
        NULL, 0);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;

    if (!ok)
        log_msg(LOG_LEVEL_ERROR, "notifications: cannot queue %s for %s: %s",
            event, hook, PQresultErrorMessage(res));
    PQclear(res);
    return ok ? 0 : -1;
}

void
notify_event(struct server *srv, const char *event, const json_t *obj)
{
    const struct notify_config *nc = &srv->cfg->notify;
    PGconn *c = NULL;
    char *body;
    size_t i, queued = 0;

    for (i = 0; i < nc->nwebhooks; i++) {
        const struct webhook_config *w = &nc->webhooks[i];

        if (!notify_config_wants(w, event))
            continue;
        if (c == NULL && (c = (PGconn *)ledger_reader_acquire(
            srv->ledger)) == NULL) {
            log_msg(LOG_LEVEL_ERROR, "notifications: %s not queued: the "
                "database is unreachable", event);
            webhooks_count_lost(srv->webhooks, nc->nwebhooks - i);
            return;
        }
        if ((body = notify_render(event, obj, w->slack)) == NULL ||
            enqueue(c, w->url, event, body, obj) != 0)
            webhooks_count_lost(srv->webhooks, 1);
        else
            queued++;
        free(body);
    }
    if (c != NULL)
        ledger_reader_release(srv->ledger);
    if (queued > 0)
        webhooks_kick(srv->webhooks);
}
