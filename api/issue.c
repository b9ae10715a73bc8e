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
#include "meshca/cert.h"
#include "meshca/claims.h"
#include "meshca/key.h"
#include "meshca/policy.h"
#include "auth.h"
#include "clock.h"
#include "identity.h"
#include "issue.h"
#include "ledger.h"
#include "ratelimit.h"
#include "request.h"
#include "revocations.h"
#include "server.h"

#define ISSUE_SERIAL_TRIES 3

static void
rfc3339(int64_t t, char *out, size_t outlen)
{
    time_t tt = (time_t)t;
    struct tm tm;

    gmtime_r(&tt, &tm);
    strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
parse_body(struct request *req, int require_key, struct issue_request **crp)
{
    char msg[512];

    if (request_parse(req->body ? (const char *)buf_ptr(req->body) : NULL,
        req->body ? buf_len(req->body) : 0, require_key, crp, msg,
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

/* The revocation check before signing: a revoked key or a blocked person
 * (403), or no revocation state loaded yet (503: fail closed).  Returns 1
 * with the answer queued, 0 to go on. */
static int
refused_by_revocations(struct request *req, const struct claims *c,
    const char *keyfp)
{
    struct server *srv = req->srv;
    char why[256];
    int r;

    if ((r = revocations_refuse(srv, keyfp, c->iss, c->sub, why,
        sizeof(why))) < 0) {
        metrics_inc(&srv->metrics.denied, "revocations_unavailable");
        req->retry_after = 2;
        req_error(req, 503, "unavailable", "%s; retry shortly", why);
        return 1;
    }
    if (r != 0) {
        metrics_inc(&srv->metrics.denied, "revoked");
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

void
handle_issue(struct request *req)
{
    struct server *srv = req->srv;
    const struct config *cfg = srv->cfg;
    const struct issuer_config *is;
    struct claims *c = NULL;
    struct issue_request *cr = NULL;
    struct policy *pol = NULL;
    struct policy_decision *dec = NULL;
    struct key *key = NULL;
    struct cert_request cp;
    struct cert *cert = NULL;
    const uint8_t *blob;
    size_t bloblen;
    struct ledger_issuance rec;
    struct policy_request pq;
    char *line = NULL, *keyid = NULL, va[32], vb[32], serial_s[24];
    char *keyfp = NULL, *cafp = NULL, *opts = NULL;
    int64_t t0 = clock_mono_us(), now, wait;
    json_t *o = NULL, *pr;
    size_t i;
    int r, tries;

    if ((c = req_authenticate(req)) == NULL)
        goto out;
    if ((wait = ratelimit_take(srv->rl, c->iss, c->sub,
        clock_mono_us() / 1000)) > 0) {
        metrics_inc(&srv->metrics.denied, "rate_limited");
        req->retry_after = wait;
        req_error(req, 429, "rate_limited", "too many certificates for %s: "
            "at most %llu per minute; retry in %lld s", c->sub,
            (unsigned long long)cfg->limits.rate_per_minute, (long long)wait);
        goto out;
    }
    if (parse_body(req, 1, &cr) != 0)
        goto out;
    if ((r = key_from_line(cr->public_key, &key)) != 0) {
        metrics_inc(&srv->metrics.denied, "invalid_key");
        req_error(req, 400, "invalid_request", "public_key: %s",
            meshca_strerror(r));
        goto out;
    }
    is = issuer_of(cfg, c->iss);
    if (is != NULL && is->require_key_binding &&
        (blob = key_blob(key, &bloblen)) != NULL &&
        identity_check_key_binding(c, blob, bloblen) != 0) {
        metrics_inc(&srv->metrics.denied, "key_binding");
        req_error(req, 401, "invalid_token", "the token's nonce does not "
            "commit to this public key (key binding is required: log in "
            "again with meshca login)");
        goto out;
    }

    if (key_fingerprint(key, &keyfp) != 0) {
        req_error(req, 500, "internal", "out of memory");
        goto out;
    }
    if (refused_by_revocations(req, c, keyfp))
        goto out;
    pol = server_policy(srv);
    policy_request_from(&pq, c, cr);
    r = policy_decide(pol, &pq, &dec);
    if (r != 0) {
        const char *why_denied = dec && dec->denial ? dec->denial :
            meshca_strerror(r);

        metrics_inc(&srv->metrics.denied, "policy");
        if (record_denial(req, c, cr, pol, why_denied, keyfp) != 0) {
            /* A denial that cannot be recorded is still a denial. */
            metrics_inc(&srv->metrics.denied, "denial_unrecorded");
        }
        req_error(req, 403, "forbidden", "%s", why_denied);
        goto out;
    }
    req->role = strdup(dec->role);

    now = (int64_t)time(NULL);
    if (asprintf(&keyid, "%s/%s/%.16s", c->email && c->email_verified ?
        c->email : c->sub, dec->role, req->id) < 0) {
        req_error(req, 500, "internal", "out of memory");
        goto out;
    }
    for (tries = 0; tries < ISSUE_SERIAL_TRIES; tries++) {
        cert_free(cert);
        cert = NULL;
        free(line);
        line = NULL;
        memset(&cp, 0, sizeof(cp));
        cp.key = key;
        cp.key_id = keyid;
        cp.principals = (const char *const *)dec->principals;
        cp.nprincipals = dec->nprincipals;
        cp.valid_after = (uint64_t)now;
        cp.backdate = (uint64_t)cfg->clock_skew;
        cp.valid_before = (uint64_t)(now + dec->ttl);
        cp.force_command = dec->force_command;
        cp.source_address = dec->source_address;
        cp.extensions = (const char *const *)dec->extensions;
        cp.nextensions = dec->nextensions;
        if ((r = cert_sign(&cp, srv->cas, &cert)) != 0 ||
            (r = cert_to_line(cert, NULL, &line)) != 0) {
            req_error(req, r == MESHCA_ERR_CERT_CERTIFY_CA ? 400 : 500,
                r == MESHCA_ERR_CERT_CERTIFY_CA ? "invalid_request" :
                "internal", "cannot sign: %s", meshca_strerror(r));
            goto out;
        }
        memset(&rec, 0, sizeof(rec));
        free(cafp);
        free(opts);
        cafp = opts = NULL;
        if (key_fingerprint(cakey_public(cakey_set_active(srv->cas)),
                &cafp) != 0 ||
            (opts = options_json(dec)) == NULL) {
            req_error(req, 500, "internal", "out of memory");
            goto out;
        }
        rec.serial = cert->serial;
        rec.key_id = keyid;
        rec.subject = c->sub;
        rec.issuer = c->iss;
        rec.email = c->email;
        rec.role = dec->role;
        rec.principals = (const char *const *)dec->principals;
        rec.nprincipals = dec->nprincipals;
        rec.key_type = key_type_name(key);
        rec.key_fingerprint = keyfp;
        rec.valid_after = (int64_t)cert->valid_after;
        rec.valid_before = (int64_t)cert->valid_before;
        rec.critical_options_json = opts;
        rec.extensions = (const char *const *)dec->extensions;
        rec.nextensions = dec->nextensions;
        rec.ca_fingerprint = cafp;
        rec.client_address = req->remote;
        rec.request_id = req->id;
        rec.reason = cr->reason;
        rec.policy_version = policy_version(pol);
        rec.token_id = c->replay_id;
        rec.max_uses = is ? is->max_certificates_per_token : 1;
        rec.certificate = line;
        r = ledger_record_issuance(srv->ledger, &rec);
        if (r != MESHCA_ERR_LEDGER_DUPLICATE_SERIAL)
            break;
    }
    if (r == MESHCA_ERR_LEDGER_BLOCKED) {
        refuse_blocked(req, c);
        goto out;
    }
    if (r == MESHCA_ERR_LEDGER_REPLAY) {
        metrics_inc(&srv->metrics.denied, "replay");
        req_error(req, 401, "invalid_token", "this ID token has already been "
            "used for its %llu certificate(s); log in again for a new token",
            (unsigned long long)(is ? is->max_certificates_per_token : 1));
        goto out;
    }
    if (r != 0) {
        metrics_inc(&srv->metrics.denied, "ledger_unavailable");
        req->retry_after = 2;
        req_error(req, 503, "unavailable", "the ledger cannot record the "
            "certificate right now, so none was issued; retry shortly");
        goto out;
    }
    req->serial = cert->serial;
    snprintf(serial_s, sizeof(serial_s), "%llu",
        (unsigned long long)cert->serial);
    rfc3339((int64_t)cert->valid_after, va, sizeof(va));
    rfc3339((int64_t)cert->valid_before, vb, sizeof(vb));
    pr = json_array();
    for (i = 0; i < dec->nprincipals; i++)
        json_array_append_new(pr, json_string(dec->principals[i]));
    o = json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:s}", "certificate",
        line, "serial", serial_s, "key_id", keyid, "principals", pr,
        "valid_after", va, "valid_before", vb, "ca_public_key",
        srv->ca_active_line, "role", dec->role);
    req_reply_json(req, 201, o);
    metrics_inc(&srv->metrics.issued, dec->role);
    metrics_observe(&srv->metrics.issuance,
        (uint64_t)(clock_mono_us() - t0));
out:
    json_decref(o);
    free(line);
    free(keyid);
    free(keyfp);
    free(cafp);
    free(opts);
    cert_free(cert);
    policy_decision_free(dec);
    policy_unref(pol);
    key_free(key);
    request_free(cr);
    claims_free(c);
}

void
handle_explain(struct request *req)
{
    struct server *srv = req->srv;
    struct claims *c = NULL;
    struct issue_request *cr = NULL;
    struct policy *pol = NULL;
    struct policy_request pq;
    json_t *ex = NULL;

    if ((c = req_authenticate(req)) == NULL)
        goto out;
    if (parse_body(req, 0, &cr) != 0)
        goto out;
    pol = server_policy(srv);
    policy_request_from(&pq, c, cr);
    ex = policy_explain(pol, &pq);
    if (ex == NULL) {
        req_error(req, 500, "internal", "cannot explain");
        goto out;
    }
    req_reply_json(req, 200, ex);
out:
    json_decref(ex);
    policy_unref(pol);
    request_free(cr);
    claims_free(c);
}
