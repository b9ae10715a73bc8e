/* Authentication and authorisation of a request, see auth.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <microhttpd.h>

#include "meshca/claims.h"
#include "meshca/policy.h"
#include "auth.h"
#include "identity.h"
#include "meshcad_err.h"
#include "server.h"
#include "svid.h"

/* The bearer token, or NULL (with a 401 queued). */
static const char *
bearer(struct request *req)
{
    const char *h = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
        MHD_HTTP_HEADER_AUTHORIZATION);

    if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0 || h[7] == '\0') {
        req_error(req, 401, "invalid_token", "an ID token is required: send "
            "it as \"Authorization: Bearer <token>\" (meshca login does)");
        return NULL;
    }
    return h + 7;
}

/* A workload that authenticates with its SVID instead of a token: its
 * claims have iss "spiffe://TRUST-DOMAIN", sub and spiffe_id its SPIFFE
 * ID, and a replay id unique to the request (nothing to replay). */
static struct claims *
workload_claims(struct request *req)
{
    struct claims *c;
    char *id;

    if ((id = req_workload(req)) == NULL)
        return NULL;
    if ((c = calloc(1, sizeof(*c))) == NULL)
        goto fail;
    c->spiffe_id = id;
    id = NULL;
    if (asprintf(&c->iss, "spiffe://%s", req->srv->cfg->mesh.trust_domain) <
        0) {
        c->iss = NULL;
        goto fail;
    }
    if ((c->sub = strdup(c->spiffe_id)) == NULL)
        goto fail;
    snprintf(c->replay_id, sizeof(c->replay_id), "svid:%s", req->id);
    return c;
fail:
    claims_free(c);
    free(id);
    req_error(req, 500, "internal", "out of memory");
    return NULL;
}

/* Whether the request brings a workload identity and no token. */
static int
workload_present(struct request *req)
{
    return req->srv->cfg->mesh.trust_domain != NULL &&
        MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
        MHD_HTTP_HEADER_AUTHORIZATION) == NULL &&
        ((req->srv->cfg->mesh.xfcc && MHD_lookup_connection_value(req->conn,
        MHD_HEADER_KIND, "X-Forwarded-Client-Cert") != NULL) ||
        (req->srv->mesh_store != NULL && svid_peer_present(req)));
}

struct claims *
req_authenticate(struct request *req)
{
    struct server *srv = req->srv;
    struct claims *c = NULL;
    const char *tok;
    char why[256];
    int r;

    if (workload_present(req))
        return workload_claims(req);
    if ((tok = bearer(req)) == NULL) {
        metrics_inc(&srv->metrics.denied, "invalid_token");
        return NULL;
    }
    r = identity_verify(srv->identity, tok, strlen(tok), (int64_t)time(NULL),
        &c, why, sizeof(why));
    if (r == MESHCA_ERR_TOKEN_KEYS_UNAVAILABLE) {
        metrics_inc(&srv->metrics.denied, "idp_unavailable");
        req->retry_after = 5;
        req_error(req, 503, "unavailable", "the identity provider's keys "
            "are not available yet: %s", why);
        return NULL;
    }
    if (r != 0) {
        metrics_inc(&srv->metrics.denied, "invalid_token");
        req_error(req, 401, "invalid_token", "the ID token was refused: %s",
            why);
        return NULL;
    }
    req->subject = strdup(c->sub);
    return c;
}

struct claims *
req_admin(struct request *req)
{
    struct claims *c;
    struct policy *pol;
    int ok;

    if ((c = req_authenticate(req)) == NULL)
        return NULL;
    pol = server_policy(req->srv);
    ok = policy_is_admin(pol, c);
    policy_unref(pol);
    if (!ok) {
        req_error(req, 403, "forbidden", "this needs an administrator (the "
            "policy's \"admins\"); %s is not one", c->sub);
        claims_free(c);
        return NULL;
    }
    return c;
}

char *
req_workload(struct request *req)
{
    const struct config *cfg = req->srv->cfg;
    const char *xfcc = MHD_lookup_connection_value(req->conn,
        MHD_HEADER_KIND, "X-Forwarded-Client-Cert");
    char why[512], *id = NULL;
    int r;

    if (cfg->mesh.trust_domain == NULL) {
        req_error(req, 404, "not_found", "this CA has no \"mesh\" section: "
            "workload identities are not accepted");
        return NULL;
    }
    if (xfcc != NULL && !cfg->mesh.xfcc) {
        /* Only a sidecar in front of a loopback listener may set it. */
        metrics_inc(&req->srv->metrics.denied, "invalid_request");
        req_error(req, 400, "invalid_request", "X-Forwarded-Client-Cert is "
            "not trusted here (mesh.xfcc is off); present the X.509-SVID "
            "as the TLS client certificate instead");
        return NULL;
    }
    if (xfcc != NULL)
        r = svid_from_xfcc(xfcc, cfg->mesh.trust_domain, &id, why,
            sizeof(why));
    else if (req->srv->mesh_store == NULL)
        r = 1;
    else
        r = svid_from_request(req, &id, why, sizeof(why));
    if (r == 1)
        snprintf(why, sizeof(why), "a workload identity is required: "
            "present an X.509-SVID of %s as the TLS client certificate",
            cfg->mesh.trust_domain);
    if (r != 0) {
        metrics_inc(&req->srv->metrics.denied, "invalid_svid");
        req_error(req, 401, "invalid_token", "%s", why);
        return NULL;
    }
    req->subject = strdup(id);
    return id;
}
