/*
 * Host certificates for workloads: SVID -> body -> key -> policy "hosts" ->
 * sign (host CA) -> ledger -> 201.  See hostcert.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "meshca/cakey.h"
#include "meshca/cert.h"
#include "meshca/clock.h"
#include "meshca/duration.h"
#include "meshca/key.h"
#include "meshca/policy.h"
#include "auth.h"
#include "castate.h"
#include "hostcert.h"
#include "issue.h"
#include "ledger.h"
#include "meshcad_err.h"
#include "ratelimit.h"
#include "revocations.h"
#include "server.h"

#define HOST_SERIAL_TRIES 3

/* One host certificate in flight; hostcert_clear frees it all. */
struct hostcert {
    char *id;                       /* the workload's SPIFFE ID */
    struct meshca_key *key;
    char *keyfp, *keyid, *line;
    int64_t ttl;                    /* wanted; 0: the entry's default */
    struct policy *pol;
    struct policy_host_decision *dec;
    struct cert *cert;
    struct castate *ca;             /* the CA state that signs (host_set) */
};

static void
hostcert_clear(struct hostcert *h)
{
    free(h->id);
    meshca_key_free(h->key);
    free(h->keyfp);
    free(h->keyid);
    free(h->line);
    policy_unref(h->pol);
    policy_host_decision_free(h->dec);
    cert_free(h->cert);
    castate_unref(h->ca);
    memset(h, 0, sizeof(*h));
}

/* The body {"public_key": LINE, "ttl": DURATION?}: 0, or -1 with a 400. */
static int
parse_body(struct request *req, struct hostcert *h)
{
    static const char *const known[] = { "public_key", "ttl", NULL };
    json_t *j = NULL, *v;
    const char *k, *s;
    size_t i;
    int r = -1, ok;

    if (req->body == NULL || (j = json_loadb((const char *)meshca_buf_ptr(
        req->body), meshca_buf_len(req->body), JSON_REJECT_DUPLICATES,
        NULL)) == NULL || !json_is_object(j)) {
        req_error(req, 400, "invalid_request", "the body must be a JSON "
            "object {\"public_key\": \"ssh-ed25519 AAAA...\"}");
        goto out;
    }
    json_object_foreach(j, k, v) {
        for (i = 0, ok = 0; known[i] != NULL; i++)
            ok |= strcmp(k, known[i]) == 0;
        if (!ok) {
            req_error(req, 400, "invalid_request", "unknown member \"%.64s\" "
                "(known: public_key, ttl)", k);
            goto out;
        }
    }
    if ((s = json_string_value(json_object_get(j, "public_key"))) == NULL ||
        (r = meshca_key_from_line(s, &h->key)) != 0) {
        req_error(req, 400, "invalid_request", "public_key: %s", s == NULL ?
            "missing (the host's public key line, e.g. the contents of "
            "/etc/ssh/ssh_host_ed25519_key.pub)" : meshcad_strerror(r));
        r = -1;
        goto out;
    }
    r = -1;
    if ((v = json_object_get(j, "ttl")) != NULL && (!json_is_string(v) ||
        duration_parse(json_string_value(v), &h->ttl) != 0 || h->ttl <= 0)) {
        req_error(req, 400, "invalid_request", "ttl: a duration such as "
            "\"24h\" or \"3d\"");
        goto out;
    }
    if (meshca_key_fingerprint(h->key, &h->keyfp) != 0) {
        req_error(req, 500, "internal", "out of memory");
        goto out;
    }
    r = 0;
out:
    json_decref(j);
    return r;
}

/* The rate limit (per workload, as per person for user certificates) and
 * the revocation state (a revoked key, a blocked workload: the block's
 * issuer is "spiffe://TRUST-DOMAIN").  0 to go on, -1 answered. */
static int
admit(struct request *req, const struct hostcert *h)
{
    struct server *srv = req->srv;
    char iss[300], why[256];
    int64_t wait;
    int r;

    snprintf(iss, sizeof(iss), "spiffe://%s", srv->cfg->mesh.trust_domain);
    if ((wait = ratelimit_take(srv->rl, iss, h->id,
        meshca_mono_us() / 1000)) > 0) {
        metrics_inc(&srv->metrics.denied, "rate_limited");
        req->retry_after = wait;
        req_error(req, 429, "rate_limited", "too many certificates for %s; "
            "retry in %lld s", h->id, (long long)wait);
        return -1;
    }
    if ((r = revocations_refuse(srv, h->keyfp, iss, h->id, why,
        sizeof(why))) < 0) {
        metrics_inc(&srv->metrics.denied, "revocations_unavailable");
        req->retry_after = 2;
        req_error(req, 503, "unavailable", "%s; retry shortly", why);
        return -1;
    }
    if (r != 0) {
        metrics_inc(&srv->metrics.denied, "revoked");
        req_error(req, 403, "forbidden", "%s", why);
        return -1;
    }
    return 0;
}

/* A denial recorded in the ledger (best effort) and answered 403. */
static void
deny(struct request *req, const struct hostcert *h, const char *why)
{
    struct ledger_denial d;

    memset(&d, 0, sizeof(d));
    d.subject = h->id;
    d.role = "hosts";
    d.reason = why;
    d.key_fingerprint = h->keyfp;
    d.client_address = req->remote;
    d.request_id = req->id;
    d.policy_version = h->pol ? policy_version(h->pol) : NULL;
    if (ledger_record_denial(req->srv->ledger, &d) != 0)
        metrics_inc(&req->srv->metrics.denied, "denial_unrecorded");
    metrics_inc(&req->srv->metrics.denied, "policy");
    req_error(req, 403, "forbidden", "%s", why);
}

/* Signs with the host CA.  0, or -1 with the answer queued. */
static int
sign(struct request *req, struct hostcert *h, int64_t now)
{
    struct cert_request cp;

    cert_free(h->cert);
    h->cert = NULL;
    free(h->line);
    h->line = NULL;
    memset(&cp, 0, sizeof(cp));
    cp.type = CERT_TYPE_HOST;
    cp.key = h->key;
    cp.key_id = h->keyid;
    cp.principals = (const char *const *)h->dec->principals;
    cp.nprincipals = h->dec->nprincipals;
    cp.valid_after = (uint64_t)now;
    cp.backdate = (uint64_t)req->srv->cfg->clock_skew;
    cp.valid_before = (uint64_t)(now + h->dec->ttl);
    return issue_sign_answer(req, &cp, h->ca->host_set, &h->cert, &h->line);
}

/* The ledger's record; 0, an error of ledger_record_host_certificate, or
 * 1 with a 500 queued. */
static int
record(struct request *req, const struct hostcert *h)
{
    struct ledger_host_certificate rec;
    char *cafp = NULL;
    int r;

    if (meshca_key_fingerprint(cakey_public(cakey_set_active(
        h->ca->host_set)), &cafp) != 0) {
        req_error(req, 500, "internal", "out of memory");
        return 1;
    }
    memset(&rec, 0, sizeof(rec));
    rec.serial = h->cert->serial;
    rec.key_id = h->keyid;
    rec.spiffe_id = h->id;
    rec.principals = (const char *const *)h->dec->principals;
    rec.nprincipals = h->dec->nprincipals;
    rec.key_type = meshca_key_type_name(h->key);
    rec.key_fingerprint = h->keyfp;
    rec.valid_after = (int64_t)h->cert->valid_after;
    rec.valid_before = (int64_t)h->cert->valid_before;
    rec.ca_fingerprint = cafp;
    rec.client_address = req->remote;
    rec.request_id = req->id;
    rec.policy_version = policy_version(h->pol);
    rec.certificate = h->line;
    r = ledger_record_host_certificate(req->srv->ledger, &rec);
    free(cafp);
    return r;
}

/* Signs and records (a new serial on a duplicate).  0, or -1 answered. */
static int
sign_and_record(struct request *req, struct hostcert *h)
{
    int64_t now = (int64_t)time(NULL);
    char suffix[24];
    int r = 0, tries;

    /* A long SPIFFE ID is cut to fit (cert_key_id_build); the ledger and
     * the answer keep it whole. */
    snprintf(suffix, sizeof(suffix), "/%.16s", req->id);
    if ((r = cert_key_id_build("host:", h->id, suffix, &h->keyid)) != 0) {
        req_error(req, 500, "internal", "%s", meshcad_strerror(r));
        return -1;
    }
    for (tries = 0; tries < HOST_SERIAL_TRIES; tries++) {
        if (sign(req, h, now) != 0 || (r = record(req, h)) == 1)
            return -1;
        if (r != MESHCA_ERR_LEDGER_DUPLICATE_SERIAL)
            break;
    }
    if (r != 0) {
        metrics_inc(&req->srv->metrics.denied, "ledger_unavailable");
        req->retry_after = 2;
        req_error(req, 503, "unavailable", "the ledger cannot record the "
            "host certificate right now, so none was issued; retry shortly");
        return -1;
    }
    return 0;
}

static void
reply(struct request *req, const struct hostcert *h)
{
    const struct cert *c = h->cert;
    char va[32], vb[32], serial[24], *ca = NULL;
    json_t *o, *pr = json_array();
    size_t i;

    req->serial = c->serial;
    snprintf(serial, sizeof(serial), "%llu", (unsigned long long)c->serial);
    (void)meshca_time_format((int64_t)c->valid_after, va, sizeof(va));
    (void)meshca_time_format((int64_t)c->valid_before, vb, sizeof(vb));
    for (i = 0; i < c->nprincipals; i++)
        json_array_append_new(pr, json_string(c->principals[i]));
    if (meshca_key_to_line(cakey_public(cakey_set_active(h->ca->host_set)),
        NULL, &ca) != 0) {
        json_decref(pr);
        req_error(req, 500, "internal", "out of memory");
        return;
    }
    o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s}", "certificate",
        h->line, "serial", serial, "key_id", h->keyid, "spiffe_id", h->id,
        "principals", pr, "valid_after", va, "valid_before", vb,
        "host_ca_public_key", ca);
    req_reply_json(req, 201, o);
    json_decref(o);
    free(ca);
}

void
handle_host_certificate(struct request *req)
{
    struct server *srv = req->srv;
    struct hostcert h;
    int r;

    memset(&h, 0, sizeof(h));
    /* One CA state for the whole request: a SIGHUP swaps both sets. */
    h.ca = server_ca(srv);
    if (h.ca->host_set == NULL) {
        req_error(req, 404, "not_found", "this CA issues no host "
            "certificates (no ca_keys entry with \"use\": \"host\")");
        goto out;
    }
    if ((h.id = req_workload(req)) == NULL || parse_body(req, &h) != 0 ||
        admit(req, &h) != 0)
        goto out;
    if (cakey_set_contains(h.ca->set, h.key)) {
        req_error(req, 400, "invalid_request", "public_key is a CA key of "
            "this CA; certify the host's own key");
        goto out;
    }
    h.pol = server_policy(srv);
    if ((r = policy_decide_host(h.pol, h.id, h.ttl, &h.dec)) != 0) {
        if (h.dec != NULL && h.dec->denial != NULL)
            deny(req, &h, h.dec->denial);
        else
            req_error(req, 500, "internal", "%s", meshcad_strerror(r));
        goto out;
    }
    req->role = strdup("hosts");
    if (sign_and_record(req, &h) != 0)
        goto out;
    reply(req, &h);
    metrics_inc(&srv->metrics.issued, "hosts");
out:
    hostcert_clear(&h);
}
