/*
 * Revocation over HTTP: POST /v1/revocations (admins record a revocation in
 * the ledger) and GET /v1/krl (the KRL revocations.c keeps built).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "meshca/buf.h"
#include "meshca/claims.h"
#include "meshca/clock.h"
#include "meshca/key.h"
#include "auth.h"
#include "ledger.h"
#include "log.h"
#include "meshcad_err.h"
#include "param.h"
#include "revocations.h"
#include "revoke.h"
#include "notify.h"
#include "server.h"

/* If-None-Match against our (weak) ETag, by weak comparison (RFC 9110
 * 13.1.2): "*", or any listed tag equal to ours with W/ ignored. */
static int
etag_matches(const char *inm, const char *etag)
{
    const char *p = inm, *q;
    size_t n, elen;

    if (strncmp(etag, "W/", 2) == 0)
        etag += 2;
    elen = strlen(etag);
    while (*p != '\0') {
        p += strspn(p, " \t,");
        if (*p == '*')
            return 1;
        if (strncmp(p, "W/", 2) == 0)
            p += 2;
        q = p + strcspn(p, ",");
        n = (size_t)(q - p);
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (n > 0 && n == elen && memcmp(p, etag, n) == 0)
            return 1;
        p = q;
    }
    return 0;
}

void
handle_krl(struct request *req)
{
    const char *inm = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
        MHD_HTTP_HEADER_IF_NONE_MATCH);
    char etag[REVOCATIONS_ETAG_SIZE];
    uint8_t *krl = NULL;
    size_t len = 0;

    if (revocations_krl(req->srv, etag, &krl, &len) ==
        MESHCA_ERR_UNAVAILABLE) {
        req->retry_after = 2;
        req_error(req, 503, "unavailable", "the KRL has not been built yet "
            "(the database is unreachable); keep the KRL you have");
        return;
    }
    req->etag = strdup(etag);
    req->cache_control = strdup("no-cache");
    if (inm != NULL && etag_matches(inm, etag)) {
        free(krl);
        req_reply(req, 304, "application/octet-stream", strdup(""), 0);
        return;
    }
    /* Without memory for the copy: 200 with no body, as before. */
    req_reply(req, 200, "application/octet-stream", (char *)krl, len);
}


/*
 * A serial or key id must name a certificate this CA issued (else 404), or
 * the request must say "force": true: revoking a typo would otherwise be
 * listed as a real revocation.  Returns 0 to go on, -1 when it answered.
 */
static int
check_target_known(struct request *req, const char *kind, const char *value,
    const json_t *force)
{
    int known = 0;

    if (force != NULL && !json_is_boolean(force)) {
        req_error(req, 400, "invalid_request", "force: true or false");
        return -1;
    }
    if (json_is_true(force) || (strcmp(kind, "serial") != 0 &&
        strcmp(kind, "key_id") != 0))
        return 0;
    if (ledger_certificate_known(req->srv->ledger, kind, value, &known) != 0) {
        req->retry_after = 2;
        req_error(req, 503, "unavailable", "the ledger cannot be read right "
            "now; retry");
        return -1;
    }
    if (!known) {
        req_error(req, 404, "not_found", "%s %.200s is not in the ledger: no "
            "certificate with it was issued by this CA; to revoke it anyway "
            "send \"force\": true (meshca revoke --force)", kind, value);
        return -1;
    }
    return 0;
}

/* The issuer a subject revocation applies to: the request's "issuer" (one
 * of ours), or without one the only issuer configured.  Other targets take
 * none.  Returns 0 and *issuerp (NULL for other targets, borrowed from the
 * config), or -1 with a 400 queued. */
static int
revoke_issuer(struct request *req, const json_t *o, const char *kind,
    const char **issuerp)
{
    const struct config *cfg = req->srv->cfg;
    const json_t *v = json_object_get(o, "issuer");
    char names[512];
    size_t i;

    *issuerp = NULL;
    if (strcmp(kind, "subject") != 0) {
        if (v == NULL)
            return 0;
        req_error(req, 400, "invalid_request", "issuer: only with subject");
        return -1;
    }
    if (v == NULL && cfg->nissuers == 1) {
        *issuerp = cfg->issuers[0].issuer;
        return 0;
    }
    names[0] = '\0';
    for (i = 0; i < cfg->nissuers; i++) {
        if (v != NULL && json_is_string(v) &&
            strcmp(json_string_value(v), cfg->issuers[i].issuer) == 0) {
            *issuerp = cfg->issuers[i].issuer;
            return 0;
        }
        snprintf(names + strlen(names), sizeof(names) - strlen(names),
            "%s%s", i ? ", " : "", cfg->issuers[i].issuer);
    }
    if (v == NULL)
        req_error(req, 400, "invalid_request", "issuer: required with "
            "subject, since a subject is unique only at its issuer and "
            "several are configured (%s)", names);
    else
        req_error(req, 400, "invalid_request", "issuer: not a configured "
            "issuer (expected one of %s)", names);
    return -1;
}

static const char *const targets[] = { "serial", "key_id", "subject",
    "public_key", "fingerprint" };
#define NTARGETS (sizeof(targets) / sizeof(targets[0]))

/* The body: a JSON object of known fields naming exactly one target.
 * Returns it (caller decrefs), or NULL with a 400 queued. */
static json_t *
revoke_body(struct request *req)
{
    json_t *o = NULL, *v;
    json_error_t je;
    const char *key;
    size_t i, ntargets = 0;

    if (req->body == NULL || (o = json_loadb((const char *)meshca_buf_ptr(req->body),
        meshca_buf_len(req->body), JSON_REJECT_DUPLICATES, &je)) == NULL ||
        !json_is_object(o)) {
        req_error(req, 400, "invalid_request", "the body must be a JSON "
            "object such as {\"serial\": \"123\", \"reason\": \"...\"}");
        goto bad;
    }
    json_object_foreach(o, key, v) {
        int known = strcmp(key, "reason") == 0 ||
            strcmp(key, "block_until") == 0 || strcmp(key, "force") == 0 ||
            strcmp(key, "issuer") == 0;

        for (i = 0; i < NTARGETS; i++)
            known |= strcmp(key, targets[i]) == 0;
        if (!known) {
            req_error(req, 400, "invalid_request", "unknown field \"%.64s\" "
                "(expected one of serial, key_id, subject, public_key, "
                "fingerprint, issuer, reason, block_until, force)", key);
            goto bad;
        }
    }
    for (i = 0; i < NTARGETS; i++)
        if (json_object_get(o, targets[i]) != NULL)
            ntargets++;
    if (ntargets != 1) {
        req_error(req, 400, "invalid_request", "name exactly one of serial, "
            "key_id, subject, public_key, fingerprint");
        goto bad;
    }
    return o;
bad:
    json_decref(o);
    return NULL;
}

/* A serial target: 1 to 2^63-1, as a JSON integer or a decimal string
 * (digits only, param_parse_u64: strtoull would take " 5", "+5" and
 * "-18446744073709551615", which wraps to 1).  Returns 0 and *valuep (NULL
 * when out of memory), or -1 with a 400 queued. */
static int
target_serial(struct request *req, const json_t *v, char **valuep)
{
    uint64_t s = 0;
    char serial[24];

    if (json_is_integer(v) && json_integer_value(v) > 0)
        s = (uint64_t)json_integer_value(v);
    else if (json_is_string(v) &&
        param_parse_u64(json_string_value(v), INT64_MAX, &s) != 0)
        s = 0;
    if (s == 0) {
        req_error(req, 400, "invalid_request", "serial: a certificate "
            "serial (a decimal number from 1 to 2^63-1)");
        return -1;
    }
    snprintf(serial, sizeof(serial), "%llu", (unsigned long long)s);
    *valuep = strdup(serial);
    return 0;
}

/* The target the body names: rec->kind and its value in *valuep (caller
 * frees; NULL when out of memory).  Returns 0, or -1 with a 400 queued. */
static int
revoke_target(struct request *req, const json_t *o,
    struct ledger_revocation *rec, char **valuep)
{
    const json_t *v;
    struct meshca_key *k = NULL;
    uint8_t fp[32];
    int bad;

    if ((v = json_object_get(o, "serial")) != NULL) {
        rec->kind = "serial";
        return target_serial(req, v, valuep);
    }
    if ((v = json_object_get(o, "key_id")) != NULL ||
        (v = json_object_get(o, "subject")) != NULL) {
        rec->kind = json_object_get(o, "key_id") ? "key_id" : "subject";
        if (!json_is_string(v) || json_string_length(v) == 0 ||
            json_string_length(v) > 1024) {
            req_error(req, 400, "invalid_request", "%s: a non-empty string",
                rec->kind);
            return -1;
        }
        *valuep = strdup(json_string_value(v));
        return 0;
    }
    rec->kind = "key_fingerprint";
    if ((v = json_object_get(o, "public_key")) != NULL) {
        bad = !json_is_string(v) ||
            meshca_key_from_line(json_string_value(v), &k) != 0 ||
            meshca_key_fingerprint(k, valuep) != 0;
        meshca_key_free(k);
        if (bad) {
            req_error(req, 400, "invalid_request", "public_key: not an "
                "OpenSSH public key line");
            return -1;
        }
        return 0;
    }
    v = json_object_get(o, "fingerprint");
    if (!json_is_string(v) ||
        revocations_parse_fingerprint(json_string_value(v), fp) != 0) {
        req_error(req, 400, "invalid_request", "fingerprint: an OpenSSH "
            "SHA256 fingerprint (SHA256:... as ssh-keygen -l prints)");
        return -1;
    }
    *valuep = strdup(json_string_value(v));
    return 0;
}

/* "block_until" (subject targets only) into rec->block_until.  Returns 0,
 * or -1 with a 400 queued. */
static int
revoke_block_until(struct request *req, const json_t *o,
    struct ledger_revocation *rec)
{
    const json_t *v;

    if ((v = json_object_get(o, "block_until")) == NULL)
        return 0;
    if (strcmp(rec->kind, "subject") != 0 || !json_is_string(v) ||
        meshca_time_parse(json_string_value(v), &rec->block_until) != 0) {
        req_error(req, 400, "invalid_request", "block_until: an RFC 3339 "
            "UTC time (2026-11-23T09:00:00Z), with subject only");
        return -1;
    }
    return 0;
}

/* Records rec, wakes the KRL refresher and answers: 201, or 200 when the
 * target was already revoked. */
static void
revoke_record(struct request *req, const struct ledger_revocation *rec)
{
    json_t *out;
    int r;

    if ((r = ledger_record_revocation(req->srv->ledger, rec)) < 0) {
        req->retry_after = 2;
        req_error(req, 503, "unavailable", "the ledger cannot record the "
            "revocation right now; retry");
        return;
    }
    revocations_kick(req->srv);
    out = json_pack("{s:s, s:s, s:s, s:s, s:b}", "kind", rec->kind, "value",
        rec->value, "reason", rec->reason, "revoked_by", rec->revoked_by,
        "already_revoked", r == 1);
    if (rec->issuer != NULL)
        json_object_set_new(out, "issuer", json_string(rec->issuer));
    req_reply_json(req, r == 1 ? 200 : 201, out);
    if (r == 0)
        notify_event(req->srv, "revocation.created", out);
    json_decref(out);
    log_json(LOG_LEVEL_INFO, "revocation", json_pack("{s:s, s:s, s:s, s:s, "
        "s:s?}", "request_id", req->id, "kind", rec->kind, "value",
        rec->value, "by", rec->revoked_by, "issuer", rec->issuer));
}

void
handle_revoke(struct request *req)
{
    struct claims *c = NULL;
    struct ledger_revocation rec;
    json_t *o = NULL;
    const char *reason;
    char *value = NULL;

    memset(&rec, 0, sizeof(rec));
    if ((c = req_admin(req)) == NULL || (o = revoke_body(req)) == NULL)
        goto done;
    reason = json_string_value(json_object_get(o, "reason"));
    if (reason == NULL || *reason == '\0' || strlen(reason) > 512) {
        req_error(req, 400, "invalid_request", "reason: required (1 to 512 "
            "characters): say why, it goes into the ledger");
        goto done;
    }
    if (revoke_target(req, o, &rec, &value) != 0 ||
        revoke_issuer(req, o, rec.kind, &rec.issuer) != 0 ||
        revoke_block_until(req, o, &rec) != 0)
        goto done;
    if (value == NULL) {
        req_error(req, 500, "internal", "out of memory");
        goto done;
    }
    if (check_target_known(req, rec.kind, value,
        json_object_get(o, "force")) != 0)
        goto done;
    rec.value = value;
    rec.reason = reason;
    rec.revoked_by = c->email && c->email_verified ? c->email : c->sub;
    rec.request_id = req->id;
    revoke_record(req, &rec);
done:
    free(value);
    json_decref(o);
    claims_free(c);
}
