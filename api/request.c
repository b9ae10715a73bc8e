/* Request body parsing, see request.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "meshca/duration.h"
#include "meshca/jsonv.h"
#include "meshca/principal.h"
#include "request.h"

void
request_free(struct issue_request *r)
{
    if (r == NULL)
        return;
    free(r->public_key);
    jsonv_strv_free(r->principals, r->nprincipals);
    free(r->reason);
    free(r->role);
    free(r->access_request);
    free(r);
}

/* A string field: absent is fine, otherwise a string of 1..max bytes
 * without NUL or control characters (reason may hold spaces). */
static int
get_str(json_t *o, const char *key, size_t max, char **outp, char *msg,
    size_t msglen)
{
    json_t *v = json_object_get(o, key);
    const char *s;
    size_t len, i;

    *outp = NULL;
    if (v == NULL)
        return 0;
    if (!json_is_string(v)) {
        snprintf(msg, msglen, "%s: must be a string", key);
        return -1;
    }
    s = json_string_value(v);
    len = json_string_length(v);
    if (len == 0 || len > max || strlen(s) != len) {
        snprintf(msg, msglen, "%s: must be 1 to %zu characters", key, max);
        return -1;
    }
    for (i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            snprintf(msg, msglen, "%s: must not contain control characters",
                key);
            return -1;
        }
    if ((*outp = strdup(s)) == NULL) {
        snprintf(msg, msglen, "out of memory");
        return -1;
    }
    return 1;
}

int
request_parse(const char *body, size_t len, int require_key,
    struct issue_request **reqp, char *msg, size_t msglen)
{
    static const char *const known[] = { "public_key", "principals", "ttl",
        "reason", "role", "request_id", NULL };
    struct issue_request *r = NULL;
    json_t *o = NULL, *v, *e;
    json_error_t je;
    const char *key;
    char *ttl = NULL;
    size_t i, k;
    int rc = MESHCA_ERR_INVALID_FORMAT, found;

    *reqp = NULL;
    snprintf(msg, msglen, "invalid request");
    if (body == NULL || len == 0) {
        snprintf(msg, msglen, "the request body must be a JSON object "
            "such as {\"public_key\": \"ssh-ed25519 AAAA...\"}");
        goto out;
    }
    if ((o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je)) == NULL) {
        snprintf(msg, msglen, "the body is not valid JSON: %s (line %d, "
            "column %d)", je.text, je.line, je.column);
        goto out;
    }
    if (!json_is_object(o)) {
        snprintf(msg, msglen, "the body must be a JSON object");
        goto out;
    }
    json_object_foreach(o, key, v) {
        for (k = 0, found = 0; known[k] != NULL; k++)
            if (strcmp(key, known[k]) == 0)
                found = 1;
        if (!found) {
            snprintf(msg, msglen, "unknown field \"%.64s\" (expected "
                "public_key, principals, ttl, reason, role, request_id)",
                key);
            goto out;
        }
    }
    if ((r = calloc(1, sizeof(*r))) == NULL) {
        rc = MESHCA_ERR_ALLOC;
        goto out;
    }
    if (get_str(o, "public_key", REQUEST_KEY_MAX, &r->public_key, msg,
        msglen) < 0 ||
        get_str(o, "reason", REQUEST_REASON_MAX, &r->reason, msg, msglen) < 0 ||
        get_str(o, "role", 128, &r->role, msg, msglen) < 0 ||
        get_str(o, "ttl", 32, &ttl, msg, msglen) < 0 ||
        get_str(o, "request_id", 32, &r->access_request, msg, msglen) < 0)
        goto out;
    if (r->access_request != NULL &&
        strspn(r->access_request, "0123456789abcdef") != 32) {
        snprintf(msg, msglen, "request_id: must be the 32 hex digits of an "
            "access request (as the 202 answer gave it)");
        goto out;
    }
    if (require_key && r->public_key == NULL) {
        snprintf(msg, msglen, "public_key: missing (the OpenSSH public key "
            "to certify, e.g. the contents of ~/.ssh/id_ed25519.pub)");
        goto out;
    }
    if (ttl != NULL && (duration_parse(ttl, &r->ttl) != 0 || r->ttl <= 0)) {
        snprintf(msg, msglen, "ttl: \"%s\" is not a positive duration (use "
            "e.g. \"10m\")", ttl);
        goto out;
    }
    if ((v = json_object_get(o, "principals")) != NULL) {
        if (!json_is_array(v)) {
            snprintf(msg, msglen, "principals: must be an array of strings");
            goto out;
        }
        if (json_array_size(v) > PRINCIPALS_MAX) {
            snprintf(msg, msglen, "principals: at most %d", PRINCIPALS_MAX);
            goto out;
        }
        if ((r->principals = calloc(json_array_size(v) + 1,
            sizeof(char *))) == NULL) {
            rc = MESHCA_ERR_ALLOC;
            goto out;
        }
        json_array_foreach(v, i, e) {
            if (!json_is_string(e) ||
                strlen(json_string_value(e)) != json_string_length(e) ||
                !principal_valid(json_string_value(e))) {
                snprintf(msg, msglen, "principals[%zu]: must be a principal "
                    "name (" PRINCIPAL_RULE ")", i);
                goto out;
            }
            for (k = 0; k < r->nprincipals; k++)
                if (strcmp(r->principals[k], json_string_value(e)) == 0) {
                    snprintf(msg, msglen, "principals[%zu]: \"%s\" is "
                        "listed twice", i, json_string_value(e));
                    goto out;
                }
            if ((r->principals[r->nprincipals] =
                strdup(json_string_value(e))) == NULL) {
                rc = MESHCA_ERR_ALLOC;
                goto out;
            }
            r->nprincipals++;
        }
    }
    *reqp = r;
    r = NULL;
    rc = 0;
    msg[0] = '\0';
out:
    free(ttl);
    json_decref(o);
    request_free(r);
    return rc;
}
