/*
 * The "notifications" section of meshcad's config (#17):
 *   "notifications": { "webhooks": [ { "url": "https://hooks.example.com/x",
 *       "format": "json" | "slack",                       (default json)
 *       "secret_file": "hook.secret",                     (required)
 *       "events": ["request.created", "request.approved", "request.denied",
 *                  "break_glass.used", "revocation.created"] } ] }
 * url: https, or http only to a loopback host (meshca/url.h).  events:
 * default all.  secret_file: relative to the config file, mode 0600 or
 * stricter, 16..1024 bytes (a trailing newline is dropped); read at load.
 */
#ifndef MESHCAD_NOTIFY_CONFIG_H
#define MESHCAD_NOTIFY_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "meshca/diag.h"

#define NOTIFY_SECRET_MIN 16
#define NOTIFY_SECRET_MAX 1024

/* The events, NULL-ended. */
extern const char *const notify_event_names[];

struct webhook_config {
    char *url;
    int slack;                  /* format "slack" */
    char **events;
    size_t nevents;
    char *secret_file;
    uint8_t *secret;            /* wiped on free */
    size_t secretlen;
};

struct notify_config {
    struct webhook_config *webhooks;
    size_t nwebhooks;
};

/* Parses v (may be NULL: no notifications) into n; problems go to d.
 * dir is the config file's directory. */
void notify_config_parse(struct notify_config *n, const json_t *v,
    const char *dir, struct diags *d);

/* 1 when hook w wants event. */
int notify_config_wants(const struct webhook_config *w, const char *event);

void notify_config_free(struct notify_config *n);

#endif
