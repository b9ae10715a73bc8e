/* The small endpoints: health, readiness, metrics, CA keys, client config. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meshca/buf.h"
#include "meshca/cakey.h"
#include "castate.h"
#include "meshca/policy.h"
#include "anomgauge.h"
#include "handlers.h"
#include "identity.h"
#include "integrator.h"
#include "ledger.h"
#include "revocations.h"
#include "server.h"
#include "webhooks.h"

void
handle_healthz(struct request *req)
{
    req_reply(req, 200, "application/json", strdup("{\"status\":\"ok\"}"), 15);
}

/* 0 when the active CA key can sign (a token key: its token answers), or
 * -1 with the reason in why. */
static int
ca_key_ready(struct server *srv, char *why, size_t whylen)
{
    struct castate *ca = server_ca(srv);
    int r = -1;

    if (ca == NULL)
        snprintf(why, whylen, "no active CA key");
    else if (cakey_status(cakey_set_active(ca->set), why, whylen) == 0)
        r = 0;
    castate_unref(ca);
    return r;
}

/* meshca_ca_key_up: 1 when the active CA key can sign (a token key: its
 * token answers), 0 when not. */
static int
write_ca_key_metrics(struct server *srv, struct meshca_buf *b)
{
    char why[256];
    const struct metric_value v = { "meshca_ca_key_up", "gauge",
        "Whether the active CA key can sign (0: its PKCS#11 token is "
        "unavailable).", ca_key_ready(srv, why, sizeof(why)) == 0 ? 1 : 0 };

    return metrics_write_values(b, &v, 1);
}

/* The requests in flight and those shed unworked. */
static int
write_load_metrics(struct server *srv, struct meshca_buf *b)
{
    const struct metric_value v[] = {
        { "meshca_http_requests_in_flight", "gauge",
            "Requests being handled.",
            (long long)atomic_load(&srv->metrics.in_flight) },
        { "meshca_requests_shed_total", "counter", "Requests answered 503 "
            "unworked: they waited longer than limits.queue_budget.",
            (long long)atomic_load(&srv->metrics.shed) },
    };

    return metrics_write_values(b, v, sizeof(v) / sizeof(v[0]));
}

/* Ready when the database answers, a CA key signs, a policy is loaded and
 * every issuer has usable keys.  Says which check failed and why. */
void
handle_readyz(struct request *req)
{
    struct server *srv = req->srv;
    struct policy *p;
    json_t *checks = json_object();
    char why[256];
    int ready = 1, r;

    if ((r = ledger_ping(srv->ledger, why, sizeof(why))) == 0)
        json_object_set_new(checks, "database", json_string("ok"));
    else {
        ready = 0;
        json_object_set_new(checks, "database", json_string(why));
    }
    if (ca_key_ready(srv, why, sizeof(why)) == 0)
        json_object_set_new(checks, "ca_key", json_string("ok"));
    else {
        ready = 0;
        json_object_set_new(checks, "ca_key", json_string(why));
    }
    if ((p = server_policy(srv)) != NULL) {
        json_object_set_new(checks, "policy", json_string(policy_version(p)));
        policy_unref(p);
    } else {
        ready = 0;
        json_object_set_new(checks, "policy", json_string("no policy loaded"));
    }
    /* Quarantined rows do not stop issuance (that would hand anyone with
     * database access an off switch) but readiness names them. */
    if (integrator_quarantined(srv->integrator) > 0) {
        snprintf(why, sizeof(why), "%llu ledger row(s) without a valid MAC "
            "quarantined: see meshcad ledger verify",
            (unsigned long long)integrator_quarantined(srv->integrator));
        json_object_set_new(checks, "ledger_integrity", json_string(why));
    } else
        json_object_set_new(checks, "ledger_integrity", json_string("ok"));
    if (identity_ready(srv->identity, why, sizeof(why)) == 0)
        json_object_set_new(checks, "identity", json_string("ok"));
    else {
        ready = 0;
        json_object_set_new(checks, "identity", json_string(why));
    }
    {
        json_t *o = json_pack("{s:b, s:o}", "ready", ready, "checks", checks);

        req_reply_json(req, ready ? 200 : 503, o);
        json_decref(o);
    }
}

/* Operator metrics (issue #20): the build, the process, the revocation
 * state and KRL, and the CA keys by state. */
static int
write_operator_metrics(struct server *srv, struct meshca_buf *b)
{
    static const enum cakey_state states[] = { CAKEY_ACTIVE, CAKEY_NEXT,
        CAKEY_RETIRED };
    struct castate *cs;
    size_t i, k, n;
    enum cakey_state st;
    int r;

    if ((r = metrics_write_build_info(b)) != 0 ||
        (r = metrics_write_process(b)) != 0 ||
        (r = revocations_write_metrics(srv, b)) != 0 ||
        (r = metrics_printf(b, "# HELP meshca_ca_keys CA keys loaded, by "
            "state (a next key is a rotation in progress).\n"
            "# TYPE meshca_ca_keys gauge\n")) != 0)
        return r;
    if ((cs = server_ca(srv)) == NULL)
        return MESHCA_ERR_CAKEY_UNAVAILABLE;
    for (k = 0; r == 0 && k < sizeof(states) / sizeof(states[0]); k++) {
        for (i = n = 0; i < cakey_set_count(cs->set); i++)
            if (cakey_set_get(cs->set, i, &st) != NULL && st == states[k])
                n++;
        r = metrics_printf(b, "meshca_ca_keys{state=\"%s\"} %zu\n",
            cakey_state_name(states[k]), n);
    }
    castate_unref(cs);
    return r;
}

void
handle_metrics(struct request *req)
{
    struct server *srv = req->srv;
    struct meshca_buf *b = meshca_buf_new(1024 * 1024);
    char *s;
    size_t n;
    int r = 0;

    if (b == NULL) {
        req_error(req, 500, "internal", "out of memory");
        return;
    }
    if ((r = metrics_write_labelled(b, &srv->metrics.issued,
            "Certificates issued, by policy role.")) != 0 ||
        (r = metrics_write_labelled(b, &srv->metrics.denied,
            "Issuance requests refused, by reason.")) != 0 ||
        (r = metrics_write_labelled(b, &srv->metrics.responses,
            "HTTP responses, by status code.")) != 0 ||
        (r = metrics_write_labelled(b, &srv->metrics.reloads,
            "Policy reloads, by result.")) != 0 ||
        (r = metrics_write_labelled(b, &srv->metrics.ca_reloads,
            "CA key set reloads (SIGHUP), by result.")) != 0 ||
        (r = write_ca_key_metrics(srv, b)) != 0 ||
        (r = webhooks_write_metrics(srv->webhooks, b)) != 0 ||
        (r = metrics_write_histogram(b, "meshca_http_request_duration_seconds",
            "HTTP request latency.", &srv->metrics.request)) != 0 ||
        (r = metrics_write_histogram(b, "meshca_issuance_duration_seconds",
            "Issuance latency from token check to ledger commit.",
            &srv->metrics.issuance)) != 0 ||
        (r = write_load_metrics(srv, b)) != 0 ||
        (r = metrics_write_labelled(b, &srv->metrics.logins,
            "Logins hosts reported, newly recorded, by sshd's result.")) != 0 ||
        (r = metrics_write_labelled(b, &srv->metrics.anomalies,
            "Reported logins flagged as they arrived, by rule.")) != 0 ||
        (r = anomgauge_write_metrics(srv->anomg, b)) != 0 ||
        (r = ledger_write_metrics(srv->ledger, b)) != 0 ||
        (r = integrator_write_metrics(srv->integrator, b)) != 0 ||
        (r = identity_write_metrics(srv->identity, b)) != 0 ||
        (r = write_operator_metrics(srv, b)) != 0) {
        meshca_buf_free(b);
        req_error(req, 500, "internal", "cannot render metrics");
        return;
    }
    n = meshca_buf_len(b);
    if ((s = malloc(n + 1)) != NULL) {
        memcpy(s, meshca_buf_ptr(b), n);
        s[n] = '\0';
    }
    meshca_buf_free(b);
    req_reply(req, 200, "text/plain; version=0.0.4", s, s ? n : 0);
}

void
handle_ca_keys(struct request *req)
{
    struct castate *ca = server_ca(req->srv);
    const char *t = ca->trusted_text;

    req_reply(req, 200, "text/plain; charset=utf-8", strdup(t), strlen(t));
    castate_unref(ca);
    free(req->cache_control);
    req->cache_control = strdup("public, max-age=60");
}

void
handle_config(struct request *req)
{
    struct castate *ca = server_ca(req->srv);
    const char *t = ca->config_body;
    struct policy *pol;
    json_t *o, *pats;

    if (ca->host_set == NULL) {
        req_reply(req, 200, "application/json", strdup(t), strlen(t));
        castate_unref(ca);
        return;
    }
    /* host_patterns follow the policy in force (it reloads on SIGHUP). */
    pol = server_policy(req->srv);
    pats = policy_host_patterns(pol);
    policy_unref(pol);
    o = json_loads(t, 0, NULL);
    castate_unref(ca);
    if (o == NULL || pats == NULL) {
        json_decref(o);
        json_decref(pats);
        req_error(req, 500, "internal", "out of memory");
        return;
    }
    json_object_set_new(o, "host_patterns", pats);
    req_reply_json(req, 200, o);
    json_decref(o);
}

void
handle_host_ca_keys(struct request *req)
{
    struct castate *ca = server_ca(req->srv);
    const char *t = ca->host_trusted_text;

    if (t == NULL) {
        castate_unref(ca);
        req_error(req, 404, "not_found", "this CA has no host CA key (no "
            "ca_keys entry with \"use\": \"host\")");
        return;
    }
    req_reply(req, 200, "text/plain; charset=utf-8", strdup(t), strlen(t));
    castate_unref(ca);
    free(req->cache_control);
    req->cache_control = strdup("public, max-age=60");
}
