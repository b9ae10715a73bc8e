/* Rendering and queueing notifications.  See notify.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "meshca/clock.h"
#include "ledger.h"
#include "log.h"
#include "notify.h"
#include "server.h"
#include "webhooks.h"

static const char *
s(const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));

    return v != NULL ? v : "?";
}

/* email, else subject, of o (or of o's member key). */
static const char *
person(const json_t *o)
{
    const char *e = json_string_value(json_object_get(o, "email"));

    return e != NULL ? e : s(o, "subject");
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

static int
enqueue(PGconn *c, const char *hook, const char *event, const char *body)
{
    const char *p[3] = { hook, event, body };
    PGresult *res = PQexecParams(c, "INSERT INTO webhook_deliveries (hook, "
        "event, body) VALUES ($1, $2, $3)", 3, NULL, p, NULL, NULL, 0);
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
            enqueue(c, w->url, event, body) != 0)
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
