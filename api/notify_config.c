/* The "notifications" config section.  See notify_config.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "meshca/jsonv.h"
#include "meshca/url.h"
#include "confpath.h"
#include "notify_config.h"
#include "secretfile.h"

const char *const notify_event_names[] = { "request.created",
    "request.approved", "request.denied", "break_glass.used",
    "revocation.created", NULL };

/* Reads the secret file (owner-only, bounded) into w. */
static void
read_secret(struct webhook_config *w, const char *path, struct diags *d)
{
    uint8_t buf[NOTIFY_SECRET_MAX + 3];
    char why[128];
    size_t n = 0;
    int r;

    r = secretfile_read(w->secret_file, buf, sizeof(buf), &n, why,
        sizeof(why));
    if (r != 0 && r != MESHCA_ERR_STRING_TOO_LARGE) {
        diags_add(d, "%s.secret_file: %s: %s", path, w->secret_file, why);
        OPENSSL_cleanse(buf, sizeof(buf));
        return;
    }
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    if (r != 0 || n < NOTIFY_SECRET_MIN || n > NOTIFY_SECRET_MAX)
        diags_add(d, "%s.secret_file: %s must hold %d to %d bytes (e.g. "
            "openssl rand -hex 32 > %s)", path, w->secret_file,
            NOTIFY_SECRET_MIN, NOTIFY_SECRET_MAX, w->secret_file);
    else if ((w->secret = malloc((size_t)n)) != NULL) {
        memcpy(w->secret, buf, (size_t)n);
        w->secretlen = (size_t)n;
    }
    OPENSSL_cleanse(buf, sizeof(buf));
}

static void
parse_hook(struct webhook_config *w, const json_t *e, const char *path,
    const char *dir, struct diags *d)
{
    static const char *const keys[] = { "url", "format", "secret_file",
        "events", NULL };
    char why[256], *fmt = NULL;
    size_t i, k;
    int got;

    if (!jsonv_object(e, path, keys, d))
        return;
    if (jsonv_string(e, "url", path, 1, &w->url, d) == 1 &&
        url_check(w->url, why, sizeof(why)) != 0)
        diags_add(d, "%s.url: %s (webhooks use https; plain http only to a "
            "loopback address)", path, why);
    if (jsonv_string(e, "format", path, 0, &fmt, d) == 1) {
        if (strcmp(fmt, "slack") == 0)
            w->slack = 1;
        else if (strcmp(fmt, "json") != 0)
            diags_add(d, "%s.format: \"%.40s\" is not json or slack", path,
                fmt);
    }
    free(fmt);
    got = jsonv_strings(e, "events", path, 0, &w->events, &w->nevents, d);
    for (i = 0; got == 1 && i < w->nevents; i++) {
        for (k = 0; notify_event_names[k] != NULL &&
            strcmp(notify_event_names[k], w->events[i]) != 0; k++)
            ;
        if (notify_event_names[k] == NULL)
            diags_add(d, "%s.events[%zu]: \"%.60s\" is not an event "
                "(request.created, request.approved, request.denied, "
                "break_glass.used, revocation.created)", path, i,
                w->events[i]);
    }
    if (got == 1 && w->nevents == 0)
        diags_add(d, "%s.events: empty: name at least one event, or leave "
            "it out for all", path);
    if (jsonv_string(e, "secret_file", path, 1, &w->secret_file, d) != 1)
        return;
    confpath_resolve(&w->secret_file, dir, d);
    read_secret(w, path, d);
}

void
notify_config_parse(struct notify_config *n, const json_t *v,
    const char *dir, struct diags *d)
{
    static const char *const keys[] = { "webhooks", NULL };
    const json_t *hooks, *e;
    char path[64];
    size_t i;

    memset(n, 0, sizeof(*n));
    if (v == NULL)
        return;
    if (!jsonv_object(v, "notifications", keys, d))
        return;
    if ((hooks = json_object_get(v, "webhooks")) == NULL)
        return;
    if (!json_is_array(hooks)) {
        diags_add(d, "notifications.webhooks: must be an array");
        return;
    }
    if ((n->webhooks = calloc(json_array_size(hooks) + 1,
        sizeof(*n->webhooks))) == NULL)
        return;
    n->nwebhooks = json_array_size(hooks);
    json_array_foreach(hooks, i, e) {
        snprintf(path, sizeof(path), "notifications.webhooks[%zu]", i);
        parse_hook(&n->webhooks[i], e, path, dir, d);
    }
}

int
notify_config_wants(const struct webhook_config *w, const char *event)
{
    size_t i;

    if (w->nevents == 0)
        return 1;
    for (i = 0; i < w->nevents; i++)
        if (strcmp(w->events[i], event) == 0)
            return 1;
    return 0;
}

void
notify_config_free(struct notify_config *n)
{
    size_t i;

    for (i = 0; i < n->nwebhooks; i++) {
        struct webhook_config *w = &n->webhooks[i];

        free(w->url);
        jsonv_strv_free(w->events, w->nevents);
        free(w->secret_file);
        if (w->secret != NULL)
            OPENSSL_cleanse(w->secret, w->secretlen);
        free(w->secret);
    }
    free(n->webhooks);
    memset(n, 0, sizeof(*n));
}
