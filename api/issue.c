/*
 * The issuance flow (POST /v1/certificates) and its dry run (POST /v1/explain):
 *   bearer token -> identity -> rate limit -> request -> key -> policy ->
 *   sign (active CA key) -> ledger commit (with the token's use count) -> 201.
 * Runs on the worker pool: it may wait on the identity provider's keys and
 * on the ledger.  Nothing is returned that the ledger does not hold.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "meshca/cakey.h"
#include "castate.h"
#include "meshca/cert.h"
#include "meshca/claims.h"
#include "meshca/key.h"
#include "meshca/policy.h"
#include "access.h"
#include "auth.h"
#include "meshca/clock.h"
#include "identity.h"
#include "issue.h"
#include "ledger.h"
#include "meshcad_err.h"
#include "ratelimit.h"
#include "request.h"
#include "revocations.h"
#include "server.h"

#define ISSUE_SERIAL_TRIES 3

static int
parse_body(struct request *req, int require_key, struct issue_request **crp)
{
    char msg[512];

    if (request_parse(req->body ? (const char *)meshca_buf_ptr(req->body) : NULL,
        req->body ? meshca_buf_len(req->body) : 0, require_key, crp, msg,
        sizeof(msg)) != 0) {
        metrics_inc(&req->srv->metrics.denied, "invalid_request");
        req_error(req, 400, "invalid_request", "%s", msg);
        return -1;
    }
    return 0;
}

static void
policy_request_from(struct policy_request *pq, const struct claims *c,
    const struct issue_request *cr)
{
    memset(pq, 0, sizeof(*pq));
    pq->claims = c;
    pq->principals = (const char *const *)cr->principals;
    pq->nprincipals = cr->nprincipals;
    pq->ttl = cr->ttl;
    pq->reason = cr->reason;
    pq->role = cr->role;
}

/* The critical options of a decision as a JSON object (for the ledger). */
static char *
options_json(const struct policy_decision *dec)
{
    json_t *o = json_object();
    char *s;

    if (dec->force_command != NULL)
        json_object_set_new(o, "force-command",
            json_string(dec->force_command));
    if (dec->source_address != NULL)
        json_object_set_new(o, "source-address",
            json_string(dec->source_address));
    s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return s;
}

static int
record_denial(struct request *req, const struct claims *c,
    const struct issue_request *cr, const struct policy *pol,
    const char *why, const char *keyfp)
{
    struct ledger_denial d;

    memset(&d, 0, sizeof(d));
    d.subject = c->sub;
    d.issuer = c->iss;
    d.email = c->email;
    d.requested_principals = (const char *const *)cr->principals;
    d.nrequested = cr->nprincipals;
    d.reason = why;
    d.key_fingerprint = keyfp;
    d.client_address = req->remote;
    d.request_id = req->id;
    d.policy_version = pol ? policy_version(pol) : NULL;
    return ledger_record_denial(req->srv->ledger, &d);
}

static const struct issuer_config *
issuer_of(const struct config *cfg, const char *iss)
{
    size_t i;

    for (i = 0; i < cfg->nissuers; i++)
        if (strcmp(cfg->issuers[i].issuer, iss) == 0)
            return &cfg->issuers[i];
    return NULL;
}

/* The revocation state's answer for the key keyfp (NULL: none named) and
 * the person: 0 to go on, 1 refused (why says so), -1 with a 503 queued
 * (no revocation state loaded yet: fail closed).  Issuance and explain both
 * ask here, so explain says what issuance will answer. */
static int
revocation_verdict(struct request *req, const struct claims *c,
    const char *keyfp, char *why, size_t whylen)
{
    struct server *srv = req->srv;
    int r;

    if ((r = revocations_refuse(srv, keyfp, c->iss, c->sub, why,
        whylen)) < 0) {
        req->retry_after = 2;
        req_error(req, 503, "unavailable", "%s; retry shortly", why);
        return -1;
    }
    return r != 0;
}

/* The revocation check before signing: a revoked key or a blocked person
 * (403), or no revocation state loaded yet (503: fail closed).  Returns 1
 * with the answer queued, 0 to go on. */
static int
refused_by_revocations(struct request *req, const struct claims *c,
    const char *keyfp)
{
    char why[256];
    int r;

    if ((r = revocation_verdict(req, c, keyfp, why, sizeof(why))) < 0) {
        metrics_inc(&req->srv->metrics.denied, "revocations_unavailable");
        return 1;
    }
    if (r != 0) {
        metrics_inc(&req->srv->metrics.denied, "revoked");
        req_error(req, 403, "forbidden", "%s", why);
        return 1;
    }
    return 0;
}

/* A block that committed after refused_by_revocations looked: the ledger's
 * own check, in the certificate's transaction, is the one that holds. */
static void
refuse_blocked(struct request *req, const struct claims *c)
{
    metrics_inc(&req->srv->metrics.denied, "revoked");
    req_error(req, 403, "forbidden", "new certificates for %s (issuer %s) "
        "are blocked by an administrator; none was issued", c->sub, c->iss);
}

/* One issuance in flight: what each step of handle_issue leaves for the
 * next.  Everything is owned and freed by issuance_clear. */
struct issuance {
    struct claims *c;
    struct issue_request *cr;
    const struct issuer_config *is;  /* borrowed from the config; may be NULL */
    struct meshca_key *key;
    char *keyfp;
    struct policy *pol;
    struct policy_decision *dec;
    char *keyid;
    struct cert *cert;
    char *line;                      /* the certificate's one-line form */
    struct castate *ca;              /* the CA keys that signed it */
    char access_id[ACCESS_ID_LEN + 1]; /* collected or break-glass; "" */
    int break_glass;
    int dry;                         /* explain: nothing counted as denied */
};

static void
issuance_clear(struct issuance *iss)
{
    free(iss->line);
    free(iss->keyid);
    free(iss->keyfp);
    cert_free(iss->cert);
    policy_decision_free(iss->dec);
    policy_unref(iss->pol);
    meshca_key_free(iss->key);
    request_free(iss->cr);
    claims_free(iss->c);
    castate_unref(iss->ca);
    memset(iss, 0, sizeof(*iss));
}

/* The rate limit for the person.  Returns 0 to go on, -1 with a 429
 * queued. */
static int
admit_rate(struct request *req, const struct claims *c)
{
    struct server *srv = req->srv;
    int64_t wait;

    if ((wait = ratelimit_take(srv->rl, c->iss, c->sub,
        meshca_mono_us() / 1000)) > 0) {
        metrics_inc(&srv->metrics.denied, "rate_limited");
        req->retry_after = wait;
        req_error(req, 429, "rate_limited", "too many certificates for %s: "
            "at most %llu per minute; retry in %lld s", c->sub,
            (unsigned long long)srv->cfg->limits.rate_per_minute,
            (long long)wait);
        return -1;
    }
    return 0;
}

/* Counts a refusal of kind, unless iss is explain's dry run. */
static void
count_denied(struct request *req, const struct issuance *iss,
    const char *kind)
{
    if (!iss->dry)
        metrics_inc(&req->srv->metrics.denied, kind);
}

/* The public key: parsed, bound to the token when the issuer requires it,
 * fingerprinted.  Returns 0 to go on, -1 with the answer queued. */
static int
admit_key(struct request *req, struct issuance *iss)
{
    struct server *srv = req->srv;
    const uint8_t *blob;
    size_t bloblen;
    int r;

    if ((r = meshca_key_from_line(iss->cr->public_key, &iss->key)) != 0) {
        count_denied(req, iss, "invalid_key");
        req_error(req, 400, "invalid_request", "public_key: %s",
            meshcad_strerror(r));
        return -1;
    }
    /* The CA state that signs is the one checked against (castate.h). */
    if (iss->ca == NULL)
        iss->ca = server_ca(srv);
    if (iss->ca->host_set != NULL &&
        cakey_set_contains(iss->ca->host_set, iss->key)) {
        count_denied(req, iss, "invalid_key");
        req_error(req, 400, "invalid_request", "public_key is this CA's host "
            "CA key; certify your own key");
        return -1;
    }
    iss->is = issuer_of(srv->cfg, iss->c->iss);
    if (iss->is != NULL && iss->is->require_key_binding &&
        (blob = meshca_key_blob(iss->key, &bloblen)) != NULL &&
        identity_check_key_binding(iss->c, blob, bloblen) != 0) {
        count_denied(req, iss, "key_binding");
        req_error(req, 401, "invalid_token", "the token's nonce does not "
            "commit to this public key (key binding is required: log in "
            "again with meshca login)");
        return -1;
    }
    if (meshca_key_fingerprint(iss->key, &iss->keyfp) != 0) {
        req_error(req, 500, "internal", "out of memory");
        return -1;
    }
    return 0;
}

/* Who asks, how often, for which key, and whether revocations stop it.
 * Returns 0 to go on, -1 with the answer queued. */
static int
issue_admit(struct request *req, struct issuance *iss)
{
    if ((iss->c = req_authenticate(req)) == NULL ||
        admit_rate(req, iss->c) != 0 ||
        parse_body(req, 1, &iss->cr) != 0 ||
        admit_key(req, iss) != 0 ||
        refused_by_revocations(req, iss->c, iss->keyfp))
        return -1;
    return 0;
}

/* The policy's decision; a denial is recorded in the ledger.  Returns 0 to
 * go on (req->role set), -1 with a 403 queued. */
static int
issue_decide(struct request *req, struct issuance *iss)
{
    struct server *srv = req->srv;
    struct policy_request pq;
    const char *why_denied;
    int r;

    iss->pol = server_policy(srv);
    policy_request_from(&pq, iss->c, iss->cr);
    if ((r = policy_decide(iss->pol, &pq, &iss->dec)) != 0) {
        why_denied = iss->dec && iss->dec->denial ? iss->dec->denial :
            meshcad_strerror(r);
        metrics_inc(&srv->metrics.denied, "policy");
        if (record_denial(req, iss->c, iss->cr, iss->pol, why_denied,
            iss->keyfp) != 0) {
            /* A denial that cannot be recorded is still a denial. */
            metrics_inc(&srv->metrics.denied, "denial_unrecorded");
        }
        req_error(req, 403, "forbidden", "%s", why_denied);
        return -1;
    }
    req->role = strdup(iss->dec->role);
    return 0;
}

int
issue_sign_answer(struct request *req, const struct cert_request *cp,
    const struct cakey_set *set, struct cert **certp, char **linep)
{
    int r = cert_sign(cp, set, certp);

    if (r == MESHCA_ERR_CAKEY_UNAVAILABLE) {
        /* A token away: nothing signed, nothing recorded; retry later. */
        metrics_inc(&req->srv->metrics.denied, "ca_unavailable");
        req->retry_after = 1;
        req_error(req, 503, "unavailable", "cannot sign: %s",
            meshcad_strerror(r));
        return -1;
    }
    if (r != 0 || (r = cert_to_line(*certp, NULL, linep)) != 0) {
        req_error(req, r == MESHCA_ERR_CERT_CERTIFY_CA ? 400 : 500,
            r == MESHCA_ERR_CERT_CERTIFY_CA ? "invalid_request" : "internal",
            "cannot sign: %s", meshcad_strerror(r));
        return -1;
    }
    return 0;
}

/* Signs a certificate valid from now (with a fresh serial) into iss->cert
 * and iss->line, replacing any earlier attempt.  Returns 0 or -1 with the
 * answer queued. */
static int
issue_sign(struct request *req, struct issuance *iss, int64_t now)
{
    const struct policy_decision *dec = iss->dec;
    struct cert_request cp;

    cert_free(iss->cert);
    iss->cert = NULL;
    free(iss->line);
    iss->line = NULL;
    memset(&cp, 0, sizeof(cp));
    cp.key = iss->key;
    cp.key_id = iss->keyid;
    cp.principals = (const char *const *)dec->principals;
    cp.nprincipals = dec->nprincipals;
    cp.valid_after = (uint64_t)now;
    cp.backdate = (uint64_t)req->srv->cfg->clock_skew;
    cp.valid_before = (uint64_t)(now + dec->ttl);
    cp.force_command = dec->force_command;
    cp.source_address = dec->source_address;
    cp.extensions = (const char *const *)dec->extensions;
    cp.nextensions = dec->nextensions;
    if (iss->ca == NULL)
        iss->ca = server_ca(req->srv);
    return issue_sign_answer(req, &cp, iss->ca->set, &iss->cert, &iss->line);
}

/* The ledger's record of the signed certificate; strings are borrowed from
 * req, iss, cafp and opts. */
static void
issuance_record(struct ledger_issuance *rec, const struct request *req,
    const struct issuance *iss, const char *cafp, const char *opts)
{
    const struct policy_decision *dec = iss->dec;

    memset(rec, 0, sizeof(*rec));
    rec->serial = iss->cert->serial;
    rec->key_id = iss->keyid;
    rec->subject = iss->c->sub;
    rec->issuer = iss->c->iss;
    rec->email = iss->c->email;
    rec->role = dec->role;
    rec->principals = (const char *const *)dec->principals;
    rec->nprincipals = dec->nprincipals;
    rec->key_type = meshca_key_type_name(iss->key);
    rec->key_fingerprint = iss->keyfp;
    rec->valid_after = (int64_t)iss->cert->valid_after;
    rec->valid_before = (int64_t)iss->cert->valid_before;
    rec->critical_options_json = opts;
    rec->extensions = (const char *const *)dec->extensions;
    rec->nextensions = dec->nextensions;
    rec->ca_fingerprint = cafp;
    rec->client_address = req->remote;
    rec->request_id = req->id;
    rec->reason = iss->cr->reason;
    rec->policy_version = policy_version(iss->pol);
    rec->token_id = iss->c->replay_id;
    rec->max_uses = iss->is ? iss->is->max_certificates_per_token : 1;
    rec->certificate = iss->line;
    rec->spiffe_id = iss->c->spiffe_id;
}

/* Records the signed certificate.  Returns what ledger_record_issuance
 * returns, or 1 with a 500 queued (out of memory). */
static int
issue_record(struct request *req, const struct issuance *iss)
{
    struct server *srv = req->srv;
    struct ledger_issuance rec;
    char *cafp = NULL, *opts = NULL;
    int r = 1;

    if ((cafp = strdup(iss->ca->active_fp)) == NULL ||
        (opts = options_json(iss->dec)) == NULL) {
        req_error(req, 500, "internal", "out of memory");
        goto out;
    }
    issuance_record(&rec, req, iss, cafp, opts);
    r = ledger_record_issuance(srv->ledger, &rec);
out:
    free(cafp);
    free(opts);
    return r;
}

/* Answers a ledger that did not record the certificate (r from
 * ledger_record_issuance, not 0): blocked, a replayed token, or away. */
static void
refuse_unrecorded(struct request *req, const struct issuance *iss, int r)
{
    struct server *srv = req->srv;

    if (r == MESHCA_ERR_LEDGER_BLOCKED) {
        refuse_blocked(req, iss->c);
        return;
    }
    if (r == MESHCA_ERR_LEDGER_COLLECTED) {
        req_error(req, 409, "collected", "access request %s was collected "
            "by another request meanwhile; nothing more was issued",
            iss->access_id);
        return;
    }
    if (r == MESHCA_ERR_LEDGER_REPLAY) {
        metrics_inc(&srv->metrics.denied, "replay");
        req_error(req, 401, "invalid_token", "this ID token has already been "
            "used for its %llu certificate(s); log in again for a new token",
            (unsigned long long)(iss->is ?
            iss->is->max_certificates_per_token : 1));
        return;
    }
    metrics_inc(&srv->metrics.denied, "ledger_unavailable");
    req->retry_after = 2;
    req_error(req, 503, "unavailable", "the ledger cannot record the "
        "certificate right now, so none was issued; retry shortly");
}

/* Signs and records, with a new serial when the ledger already holds the
 * one drawn (ISSUE_SERIAL_TRIES attempts).  Returns 0 when the ledger holds
 * the certificate, -1 with the answer queued. */
static int
issue_sign_and_record(struct request *req, struct issuance *iss)
{
    const struct claims *c = iss->c;
    int64_t now = (int64_t)time(NULL);
    char suffix[160];
    int r = 0, tries;

    /* An access request's certificate names it ("/ar-ID": the ledger
     * collects each at most once), a break-glass one says so.  The person
     * is cut to fit (cert_key_id_build); the ledger keeps them whole. */
    if (iss->access_id[0] != '\0')
        snprintf(suffix, sizeof(suffix), "/%s/%sar-%s", iss->dec->role,
            iss->break_glass ? "break-glass/" : "", iss->access_id);
    else
        snprintf(suffix, sizeof(suffix), "/%s/%.16s", iss->dec->role,
            req->id);
    if ((r = cert_key_id_build("", c->email && c->email_verified ?
        c->email : c->sub, suffix, &iss->keyid)) != 0) {
        req_error(req, 500, "internal", "%s", meshcad_strerror(r));
        return -1;
    }
    for (tries = 0; tries < ISSUE_SERIAL_TRIES; tries++) {
        if (issue_sign(req, iss, now) != 0 ||
            (r = issue_record(req, iss)) == 1)
            return -1;
        if (r != MESHCA_ERR_LEDGER_DUPLICATE_SERIAL)
            break;
    }
    if (r != 0) {
        refuse_unrecorded(req, iss, r);
        return -1;
    }
    return 0;
}

/* 201 with the certificate and what a client needs to use it. */
static void
issue_reply(struct request *req, const struct issuance *iss)
{
    const struct cert *cert = iss->cert;
    char va[MESHCA_TIME_BUFLEN], vb[MESHCA_TIME_BUFLEN], serial_s[24];
    json_t *o, *pr;
    size_t i;

    req->serial = cert->serial;
    snprintf(serial_s, sizeof(serial_s), "%llu",
        (unsigned long long)cert->serial);
    meshca_time_format((int64_t)cert->valid_after, va, sizeof(va));
    meshca_time_format((int64_t)cert->valid_before, vb, sizeof(vb));
    pr = json_array();
    for (i = 0; i < iss->dec->nprincipals; i++)
        json_array_append_new(pr, json_string(iss->dec->principals[i]));
    o = json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:s}", "certificate",
        iss->line, "serial", serial_s, "key_id", iss->keyid, "principals", pr,
        "valid_after", va, "valid_before", vb, "ca_public_key",
        iss->ca->active_line, "role", iss->dec->role);
    /* What decided the lifetime: a capped --ttl is told, not hidden. */
    json_object_set_new(o, "ttl_seconds", json_integer(iss->dec->ttl));
    if (iss->dec->ttl_note != NULL)
        json_object_set_new(o, "ttl_note", json_string(iss->dec->ttl_note));
    if (iss->access_id[0] != '\0')
        json_object_set_new(o, "access_request",
            json_string(iss->access_id));
    if (iss->break_glass)
        json_object_set_new(o, "break_glass", json_true());
    req_reply_json(req, 201, o);
    json_decref(o);
}

void
handle_issue(struct request *req)
{
    struct server *srv = req->srv;
    struct issuance iss;
    int64_t t0 = meshca_mono_us();

    memset(&iss, 0, sizeof(iss));
    if (issue_admit(req, &iss) == 0 &&
        access_collect_prepare(req, iss.c, iss.cr, iss.keyfp) == 0 &&
        issue_decide(req, &iss) == 0 &&
        access_after_decision(req, iss.c, iss.cr, iss.pol, iss.dec,
            iss.keyfp, iss.access_id, &iss.break_glass) == 0 &&
        issue_sign_and_record(req, &iss) == 0) {
        issue_reply(req, &iss);
        access_issued(req, iss.access_id, iss.break_glass);
        metrics_inc(&srv->metrics.issued, iss.dec->role);
        metrics_observe(&srv->metrics.issuance,
            (uint64_t)(meshca_mono_us() - t0));
    }
    issuance_clear(&iss);
}

/* Whether the explain body is {"host": true} (issue #16): the caller's host
 * certificate decision instead of a user certificate's. */
static int
wants_host_explain(const struct request *req)
{
    json_t *j;
    int host;

    if (req->body == NULL)
        return 0;
    j = json_loadb((const char *)meshca_buf_ptr(req->body),
        meshca_buf_len(req->body), 0, NULL);
    host = json_is_object(j) && json_is_true(json_object_get(j, "host")) &&
        json_object_size(j) == 1;
    json_decref(j);
    return host;
}

/* The policy's "hosts" decision for the caller's SPIFFE ID, explained. */
static void
explain_host(struct request *req, const struct claims *c,
    const struct policy *pol)
{
    json_t *ex;

    if (c->spiffe_id == NULL) {
        req_error(req, 400, "invalid_request", "host certificates are for "
            "workloads: authenticate with an X.509-SVID or a JWT-SVID to "
            "explain a host decision");
        return;
    }
    if ((ex = policy_explain_host(pol, c->spiffe_id)) == NULL) {
        req_error(req, 500, "internal", "cannot explain");
        return;
    }
    req_reply_json(req, 200, ex);
    json_decref(ex);
}

/* Explain's answer when revocations refuse the request: issuance checks
 * them before the policy and answers 403 with why, so the decision is that
 * denial, whatever the policy would grant (the roles still show it). */
static void
explain_refused(json_t *ex, const char *why)
{
    static const char *const grant_keys[] = { "role", "principals",
        "ttl_seconds", "ttl_note", "extensions", "critical_options",
        "approval", "break_glass", NULL };
    size_t i;

    for (i = 0; grant_keys[i] != NULL; i++)
        json_object_del(ex, grant_keys[i]);
    json_object_set_new(ex, "decision", json_string("denied"));
    json_object_set_new(ex, "denial", json_string(why));
}

/* Collecting an access request ("request_id"): issuance's own check
 * (access_collect_prepare: its requester, its key, approved), then the
 * request as it was made is what is decided.  Returns 0 to go on, -1 with
 * the answer queued. */
static int
explain_collect(struct request *req, struct issuance *iss)
{
    if (iss->cr->access_request == NULL)
        return 0;
    if (iss->keyfp == NULL) {
        req_error(req, 400, "invalid_request", "request_id: collecting an "
            "access request needs the public_key it was made for");
        return -1;
    }
    return access_collect_prepare(req, iss->c, iss->cr, iss->keyfp);
}

/* POST /v1/explain: the steps of handle_issue that decide, without the
 * rate limit (nothing is taken) or signing: the token, the body, the key
 * when one is given (admit_key), revocations, the access request to
 * collect, the policy. */
void
handle_explain(struct request *req)
{
    struct issuance iss;
    struct policy_request pq;
    json_t *ex = NULL;
    char why[256];
    int r;

    memset(&iss, 0, sizeof(iss));
    iss.dry = 1;
    if ((iss.c = req_authenticate(req)) == NULL)
        goto out;
    iss.pol = server_policy(req->srv);
    if (wants_host_explain(req)) {
        explain_host(req, iss.c, iss.pol);
        goto out;
    }
    if (parse_body(req, 0, &iss.cr) != 0 ||
        (iss.cr->public_key != NULL && admit_key(req, &iss) != 0) ||
        (r = revocation_verdict(req, iss.c, iss.keyfp, why,
        sizeof(why))) < 0 ||
        (r == 0 && explain_collect(req, &iss) != 0))
        goto out;
    policy_request_from(&pq, iss.c, iss.cr);
    if ((ex = policy_explain(iss.pol, &pq)) == NULL) {
        req_error(req, 500, "internal", "cannot explain");
        goto out;
    }
    if (r != 0)
        explain_refused(ex, why);
    req_reply_json(req, 200, ex);
out:
    json_decref(ex);
    issuance_clear(&iss);
}
