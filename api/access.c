/* Just-in-time access over HTTP: issuance hooks and the approvers'
 * endpoints.  See access.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>
#include <openssl/rand.h>

#include "meshca/claims.h"
#include "meshca/hex.h"
#include "meshca/jsonv.h"
#include "meshca/policy.h"
#include "access.h"
#include "access_store.h"
#include "auth.h"
#include "ledger.h"
#include "meshcad_err.h"
#include "notify.h"
#include "request.h"
#include "server.h"

#define PREFIX "/v1/access-requests/"

static const char *
str(const json_t *o, const char *key)
{
    return jsonv_str_or(o, key, "");
}

/* Who decided (a decision object) as a person reads it. */
static const char *
who(const json_t *d)
{
    return jsonv_str_or(d, "email", str(d, "subject"));
}

static int
new_id(char out[ACCESS_ID_LEN + 1])
{
    unsigned char rnd[ACCESS_ID_LEN / 2];

    if (RAND_bytes(rnd, sizeof(rnd)) != 1 ||
        meshca_hex_encode(rnd, sizeof(rnd), out, ACCESS_ID_LEN + 1) == NULL)
        return -1;
    return 0;
}

static int
is_requester(const json_t *o, const struct claims *c)
{
    return strcmp(str(o, "issuer"), c->iss) == 0 &&
        strcmp(str(o, "subject"), c->sub) == 0;
}

/* Loads request id into *op.  Returns 0, or -1 with 404/503 queued. */
static int
load(struct request *req, const char *id, json_t **op)
{
    if (access_store_get(req->srv->ledger, id, op) != 0) {
        req->retry_after = 2;
        req_error(req, 503, "unavailable", "the ledger cannot be read now; "
            "retry shortly");
        return -1;
    }
    if (*op == NULL) {
        req_error(req, 404, "not_found", "there is no access request %s",
            id);
        return -1;
    }
    return 0;
}

/* Answers a request that cannot be collected (status not "approved"). */
static void
refuse_collect(struct request *req, const json_t *o)
{
    const char *st = str(o, "status"), *id = str(o, "id");
    const json_t *x;

    if (strcmp(st, "pending") == 0)
        req_error(req, 409, "pending", "access request %s is not approved "
            "yet (%zu of %lld approvals); wait and collect again", id,
            json_array_size(json_object_get(o, "approvals")),
            (long long)json_integer_value(json_object_get(o,
            "min_approvals")));
    else if (strcmp(st, "denied") == 0) {
        x = json_object_get(o, "denial");
        req_error(req, 409, "denied", "access request %s was denied by %s "
            "at %s: %s; nothing was signed", id, who(x), str(x, "at"),
            str(x, "reason"));
    } else if (strcmp(st, "collected") == 0) {
        x = json_object_get(o, "certificate");
        req_error(req, 409, "collected", "access request %s was already "
            "collected at %s (serial %s); make a new request", id,
            str(x, "at"), str(x, "serial"));
    } else if (strcmp(st, "expired") == 0)
        req_error(req, 410, "expired", "access request %s expired (%s); "
            "nothing was signed; make a new request", id,
            json_is_string(json_object_get(o, "approved_at")) ?
            "approved but not collected in time" : "not approved in time");
    else
        req_error(req, 409, "conflict", "access request %s is a %s, not a "
            "request to collect", id, str(o, "kind"));
}

/* Makes cr ask for what request o asked.  Returns 0 or -1 (memory). */
static int
ask_as_requested(struct issue_request *cr, const json_t *o)
{
    const json_t *pr = json_object_get(o, "principals"), *e;
    size_t i;

    free(cr->role);
    free(cr->reason);
    jsonv_strv_free(cr->principals, cr->nprincipals);
    cr->principals = NULL;
    cr->nprincipals = 0;
    cr->role = strdup(str(o, "role"));
    cr->reason = strdup(str(o, "reason"));
    cr->ttl = json_integer_value(json_object_get(o, "ttl_seconds"));
    if ((cr->principals = calloc(json_array_size(pr) + 1,
        sizeof(char *))) == NULL)
        return -1;
    json_array_foreach(pr, i, e)
        if ((cr->principals[cr->nprincipals++] =
            strdup(json_string_value(e))) == NULL)
            return -1;
    return cr->role != NULL && cr->reason != NULL ? 0 : -1;
}

int
access_collect_prepare(struct request *req, const struct claims *c,
    struct issue_request *cr, const char *keyfp)
{
    json_t *o = NULL;
    int r = -1;

    if (cr->access_request == NULL)
        return 0;
    if (load(req, cr->access_request, &o) != 0)
        goto out;
    if (!is_requester(o, c))
        req_error(req, 403, "forbidden", "access request %s was made by "
            "someone else; only its requester can collect it",
            cr->access_request);
    else if (strcmp(str(o, "key_fingerprint"), keyfp) != 0)
        req_error(req, 403, "forbidden", "access request %s was made for "
            "key %s, not %s: collect it with the same public key",
            cr->access_request, str(o, "key_fingerprint"), keyfp);
    else if (strcmp(str(o, "status"), "approved") != 0)
        refuse_collect(req, o);
    else if (ask_as_requested(cr, o) != 0)
        req_error(req, 500, "internal", "out of memory");
    else
        r = 0;
out:
    json_decref(o);
    return r;
}

/* Records a new access request of kind for the decision. */
static int
record_request(struct request *req, const struct claims *c,
    const struct issue_request *cr, const struct policy *pol,
    const struct policy_decision *dec, const char *keyfp, const char *id,
    const char *kind)
{
    struct ledger_access_request rec;
    int64_t now = (int64_t)time(NULL);
    int r;

    memset(&rec, 0, sizeof(rec));
    rec.id = id;
    rec.kind = kind;
    rec.subject = c->sub;
    rec.issuer = c->iss;
    rec.email = c->email_verified ? c->email : NULL;
    rec.role = dec->role;
    rec.principals = (const char *const *)dec->principals;
    rec.nprincipals = dec->nprincipals;
    rec.ttl_seconds = dec->ttl;
    rec.reason = cr->reason;
    rec.public_key = cr->public_key;
    rec.key_fingerprint = keyfp;
    rec.min_approvals = dec->min_approvals;
    rec.expires_at = now + (dec->break_glass ? dec->ttl : dec->request_ttl);
    rec.client_address = req->remote;
    rec.request_id = req->id;
    rec.policy_version = policy_version(pol);
    if ((r = ledger_record_access_request(req->srv->ledger, &rec)) != 0) {
        req->retry_after = 2;
        req_error(req, 503, "unavailable", "the ledger cannot record the "
            "access request right now, so nothing was requested or signed; "
            "retry shortly");
        return -1;
    }
    return 0;
}

json_t *
access_created_json(const struct policy *pol, const char *id, const json_t *o)
{
    json_t *out = json_pack("{s:s, s:s, s:s}", "request_id", id, "status",
        "pending", "message", "this role needs approval: an approver must "
        "approve the request, then collect the certificate with the same key "
        "and \"request_id\"");

    if (out == NULL)
        return NULL;
    json_object_update_missing(out, (json_t *)o);
    json_object_set_new(out, "approvers", policy_approvers_json(pol,
        str(o, "role")));
    return out;
}

/* 202 for a new pending request, with who can approve it. */
static void
reply_pending(struct request *req, const struct policy *pol,
    const char *id)
{
    json_t *o = NULL, *out;

    if (access_store_get(req->srv->ledger, id, &o) != 0 || o == NULL) {
        /* Recorded, but not readable back: the id is what matters. */
        json_decref(o);
        o = json_pack("{s:s, s:s}", "id", id, "status", "pending");
    }
    out = access_created_json(pol, id, o);
    req_reply_json(req, 202, out);
    notify_event(req->srv, "request.created", out);
    json_decref(out);
    json_decref(o);
}

int
access_after_decision(struct request *req, const struct claims *c,
    const struct issue_request *cr, const struct policy *pol,
    const struct policy_decision *dec, const char *keyfp,
    char idp[ACCESS_ID_LEN + 1], int *break_glassp)
{
    idp[0] = '\0';
    *break_glassp = 0;
    if (cr->access_request != NULL) {
        snprintf(idp, ACCESS_ID_LEN + 1, "%s", cr->access_request);
        return 0;
    }
    if (!dec->break_glass && dec->min_approvals == 0)
        return 0;
    if (new_id(idp) != 0) {
        req_error(req, 500, "internal", "no randomness for a request id");
        return -1;
    }
    if (record_request(req, c, cr, pol, dec, keyfp, idp,
        dec->break_glass ? "break_glass" : "approval") != 0)
        return -1;
    if (dec->break_glass) {
        *break_glassp = 1;
        return 0;
    }
    reply_pending(req, pol, idp);
    return 1;
}

void
access_issued(struct request *req, const char *id, int break_glass)
{
    json_t *o = NULL;

    if (!break_glass)
        return;
    log_msg(LOG_LEVEL_WARN, "break-glass: %s used role %s (access request "
        "%s, serial %llu); it needs review", req->subject ? req->subject :
        "?", req->role ? req->role : "?", id,
        (unsigned long long)req->serial);
    if (access_store_get(req->srv->ledger, id, &o) != 0 || o == NULL) {
        json_decref(o);
        o = json_pack("{s:s, s:s}", "id", id, "kind", "break_glass");
    }
    notify_event(req->srv, "break_glass.used", o);
    json_decref(o);
}

/* The roles c approves, NULL-ended (names borrowed from pol). */
static const char **
approver_roles(const struct policy *pol, const struct claims *c,
    size_t *np)
{
    size_t i, n = policy_nroles(pol), k = 0;
    const char **v = calloc(n + 1, sizeof(char *));

    for (i = 0; v != NULL && i < n; i++)
        if (policy_is_approver(pol, policy_role_name(pol, i), c))
            v[k++] = policy_role_name(pol, i);
    *np = k;
    return v;
}

static int
query_true(struct request *req, const char *name)
{
    const char *v = MHD_lookup_connection_value(req->conn,
        MHD_GET_ARGUMENT_KIND, name);

    return v != NULL && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

void
handle_access_list(struct request *req)
{
    struct claims *c;
    struct policy *pol = NULL;
    const char **roles = NULL;
    json_t *list;
    size_t n = 0;

    if ((c = req_authenticate(req)) == NULL)
        return;
    pol = server_policy(req->srv);
    if ((roles = approver_roles(pol, c, &n)) == NULL) {
        req_error(req, 500, "internal", "out of memory");
        goto out;
    }
    list = access_store_list(req->srv->ledger, c->iss, c->sub, roles,
        n > 0 || policy_is_admin(pol, c), query_true(req, "all"));
    if (list == NULL) {
        req->retry_after = 2;
        req_error(req, 503, "unavailable", "the ledger cannot be read now");
        goto out;
    }
    list = json_pack("{s:o}", "requests", list);
    req_reply_json(req, 200, list);
    json_decref(list);
out:
    free(roles);
    policy_unref(pol);
    claims_free(c);
}

/* Whether c may see (and, for an approver, act on) request o: its
 * requester, an approver of its role, and for a break-glass use an admin
 * or an approver of any role. */
static int
may_see(const struct policy *pol, const json_t *o, const struct claims *c)
{
    size_t n = 0;
    const char **roles;

    if (is_requester(o, c) || policy_is_approver(pol, str(o, "role"), c))
        return 1;
    if (strcmp(str(o, "kind"), "break_glass") != 0)
        return 0;
    if (policy_is_admin(pol, c))
        return 1;
    roles = approver_roles(pol, c, &n);
    free(roles);
    return n > 0;
}

/* The id in the URL after PREFIX (then "/" and an action or the end);
 * NULL with a 404 queued when it is not 32 hex digits. */
static const char *
url_id(struct request *req, char id[ACCESS_ID_LEN + 1], const char **restp)
{
    const char *p = req->url + strlen(PREFIX);

    if (strspn(p, "0123456789abcdef") != ACCESS_ID_LEN ||
        (p[ACCESS_ID_LEN] != '\0' && p[ACCESS_ID_LEN] != '/')) {
        req_error(req, 404, "not_found", "no such access request: expected "
            "%sID with ID the 32 hex digits of a request", PREFIX);
        return NULL;
    }
    memcpy(id, p, ACCESS_ID_LEN);
    id[ACCESS_ID_LEN] = '\0';
    *restp = p[ACCESS_ID_LEN] == '/' ? p + ACCESS_ID_LEN + 1 : "";
    return id;
}

void
handle_access_get(struct request *req)
{
    char id[ACCESS_ID_LEN + 1];
    const char *rest;
    struct claims *c;
    struct policy *pol = NULL;
    json_t *o = NULL;

    if (url_id(req, id, &rest) == NULL)
        return;
    if (*rest != '\0') {
        req_error(req, 404, "not_found", "GET %s%s has no sub-resource %s",
            PREFIX, id, rest);
        return;
    }
    if ((c = req_authenticate(req)) == NULL)
        return;
    pol = server_policy(req->srv);
    if (load(req, id, &o) == 0) {
        if (!may_see(pol, o, c))
            req_error(req, 404, "not_found", "there is no access request "
                "%s that you may see", id);
        else {
            json_object_set_new(o, "approvers", policy_approvers_json(pol,
                str(o, "role")));
            req_reply_json(req, 200, o);
        }
    }
    json_decref(o);
    policy_unref(pol);
    claims_free(c);
}

/* The body of a decision: {"reason": TEXT} (required unless optional).
 * Returns 0 with *reasonp (owned, NULL when absent), -1 with 400 queued. */
static int
decision_reason(struct request *req, int required, char **reasonp)
{
    static const char *const keys[] = { "reason", NULL };
    struct diags d = { 0 };
    json_t *o = NULL;
    int r = -1;

    *reasonp = NULL;
    if (req->body != NULL && meshca_buf_len(req->body) > 0 &&
        (o = json_loadb((const char *)meshca_buf_ptr(req->body),
        meshca_buf_len(req->body), JSON_REJECT_DUPLICATES, NULL)) == NULL) {
        req_error(req, 400, "invalid_request", "the body must be a JSON "
            "object such as {\"reason\": \"INC-4412: checked with Alice\"}");
        return -1;
    }
    if (o != NULL && (!json_is_object(o) ||
        jsonv_known_keys(o, "body", keys, &d) != 0 ||
        jsonv_string(o, "reason", "body", 0, reasonp, &d) < 0))
        req_error(req, 400, "invalid_request", "%s", d.n > 0 ? d.msgs[0] :
            "the body must be a JSON object");
    else if (*reasonp != NULL && strlen(*reasonp) > REQUEST_REASON_MAX)
        req_error(req, 400, "invalid_request", "reason: at most %d bytes",
            REQUEST_REASON_MAX);
    else if (required && (*reasonp == NULL ||
        strspn(*reasonp, " \t") == strlen(*reasonp)))
        req_error(req, 400, "invalid_request", "reason: required: say why "
            "(meshca approve ID --reason \"...\")");
    else
        r = 0;
    if (r != 0) {
        free(*reasonp);
        *reasonp = NULL;
    }
    diags_clear(&d);
    json_decref(o);
    return r;
}

/* Whether c may take action on o now.  Returns 0, or -1 with the answer
 * (403 or 409/410 saying why) queued. */
static int
may_decide(struct request *req, const struct policy *pol, const json_t *o,
    const struct claims *c, const char *action)
{
    const char *st = str(o, "status"), *id = str(o, "id");
    int ack = strcmp(action, "acknowledge") == 0;
    int bg = strcmp(str(o, "kind"), "break_glass") == 0;

    if (ack != bg) {
        req_error(req, 409, "conflict", "access request %s is %s: %s", id,
            bg ? "a break-glass use" : "a request for approval", bg ?
            "acknowledge it (meshca ack ID)" : "approve or deny it");
        return -1;
    }
    if (is_requester(o, c)) {
        req_error(req, 403, "forbidden", "you cannot %s your own %s", action,
            bg ? "break-glass use" : "request");
        return -1;
    }
    if (!may_see(pol, o, c) || (!bg && !policy_is_approver(pol,
        str(o, "role"), c))) {
        req_error(req, 403, "forbidden", "you are not an approver of role "
            "%s, so you cannot %s access request %s", str(o, "role"),
            action, id);
        return -1;
    }
    if (bg && strcmp(st, "acknowledged") == 0) {
        req_error(req, 409, "conflict", "break-glass use %s was already "
            "acknowledged by %s", id, who(json_object_get(o,
            "acknowledgement")));
        return -1;
    }
    if (!bg && strcmp(st, "pending") != 0) {
        req_error(req, strcmp(st, "expired") == 0 ? 410 : 409, st,
            "access request %s is %s: nothing to %s", id, st, action);
        return -1;
    }
    return 0;
}

static int
record_decision(struct request *req, const struct policy *pol,
    const struct claims *c, const char *id, const char *decision,
    const char *reason)
{
    struct ledger_access_decision rec;
    int r;

    memset(&rec, 0, sizeof(rec));
    rec.access_request = id;
    rec.decision = decision;
    rec.subject = c->sub;
    rec.issuer = c->iss;
    rec.email = c->email_verified ? c->email : NULL;
    rec.reason = reason;
    rec.client_address = req->remote;
    rec.request_id = req->id;
    rec.policy_version = policy_version(pol);
    if ((r = ledger_record_access_decision(req->srv->ledger, &rec)) ==
        MESHCA_ERR_LEDGER_DECIDED) {
        req_error(req, 409, "conflict", "you already chose to %s access "
            "request %s; approvals must come from distinct approvers",
            decision, id);
        return -1;
    }
    if (r != 0) {
        req->retry_after = 2;
        req_error(req, 503, "unavailable", "the ledger cannot record the "
            "decision right now; retry shortly");
        return -1;
    }
    return 0;
}

int
access_completed_by(const json_t *o, const char *iss, const char *sub)
{
    json_int_t n = json_integer_value(json_object_get(o, "min_approvals"));
    const json_t *a = json_array_get(json_object_get(o, "approvals"),
        (size_t)(n > 0 ? n - 1 : 0));

    return a != NULL && strcmp(str(a, "subject"), sub) == 0 &&
        strcmp(str(a, "issuer"), iss) == 0;
}

/* The decision's answer: the request as it now is, and its notification. */
static void
reply_decided(struct request *req, const struct claims *c, const char *id,
    const char *action)
{
    json_t *o = NULL;

    if (access_store_get(req->srv->ledger, id, &o) != 0 || o == NULL) {
        json_decref(o);
        req_reply_json(req, 200, o = json_pack("{s:s, s:s}", "id", id,
            "recorded", action));
        json_decref(o);
        return;
    }
    req_reply_json(req, 200, o);
    if (strcmp(action, "deny") == 0)
        notify_event(req->srv, "request.denied", o);
    else if (strcmp(action, "approve") == 0 &&
        strcmp(str(o, "status"), "approved") == 0 &&
        access_completed_by(o, c->iss, c->sub))
        notify_event(req->srv, "request.approved", o);
    json_decref(o);
}

void
handle_access_action(struct request *req)
{
    static const char *const actions[] = { "approve", "deny",
        "acknowledge", NULL };
    char id[ACCESS_ID_LEN + 1], *reason = NULL;
    const char *action;
    struct claims *c = NULL;
    struct policy *pol = NULL;
    json_t *o = NULL;
    size_t i;

    if (url_id(req, id, &action) == NULL)
        return;
    for (i = 0; actions[i] != NULL && strcmp(actions[i], action) != 0; i++)
        ;
    if (actions[i] == NULL) {
        req_error(req, 404, "not_found", "POST %s%s/ACTION takes approve, "
            "deny or acknowledge, not \"%.32s\"", PREFIX, id, action);
        return;
    }
    if ((c = req_authenticate(req)) == NULL ||
        decision_reason(req, i < 2, &reason) != 0)
        goto out;
    pol = server_policy(req->srv);
    if (load(req, id, &o) != 0)
        goto out;
    if (may_decide(req, pol, o, c, action) == 0 &&
        record_decision(req, pol, c, id, action, reason) == 0)
        reply_decided(req, c, id, action);
out:
    free(reason);
    json_decref(o);
    policy_unref(pol);
    claims_free(c);
}
