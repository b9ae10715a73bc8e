/*
 * meshcad's HTTP service: libmicrohttpd with an epoll thread pool that never
 * blocks.  Handlers that wait on the database or the identity provider run on
 * a worker pool: the connection is suspended, the work queued, and resumed
 * with the response when the work is done, so a slow database never stalls
 * unrelated connections.
 *
 * This header holds the server, the request, the route and the reply
 * helpers (all in http.c).  Handlers are declared by their modules:
 * handlers.h, issue.h, query.h, revoke.h, logserve.h; who is asking is
 * auth.h's business, the revocation state revocations.h's.
 */
#ifndef MESHCAD_SERVER_H
#define MESHCAD_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "config.h"
#include "log.h"
#include "metrics.h"

struct MHD_Connection;
struct MHD_Daemon;
struct ratelimit;
struct identity;
struct ledger;
struct cakey_set;
struct policy;
struct workq;
struct revocations;
struct integrator;
struct cakey;
struct castate;
struct webhooks;
struct anomgauge;

struct server {
    const struct config *cfg;
    struct MHD_Daemon *daemon;
    struct metrics metrics;
    struct ratelimit *rl;
    struct identity *identity;
    struct ledger *ledger;
    struct integrator *integrator;
    struct cakey *log_key;      /* signs checkpoints */
    char *log_vkey;             /* its note verifier key */
    pthread_mutex_t ca_lock;    /* guards ca (the pointer only) */
    struct castate *ca;         /* CA keys as served: castate.h */
    pthread_mutex_t policy_lock; /* guards policy (the pointer only) */
    struct policy *policy;
    struct workq *wq;
    struct revocations *rev;    /* revocations.c */
    struct webhooks *webhooks;  /* webhooks.c: notification delivery */
    struct anomgauge *anomg;    /* anomgauge.c: meshca_anomalies_flagged */
    char *tls_cert_pem, *tls_key_pem, *tls_ca_pem;
    /* mesh identity (issue #16): NULL when not configured; the host CA
     * keys are in ca (castate.h) */
    struct x509_store_st *mesh_store; /* mesh.trust_bundle */
    atomic_int shutting_down;
};

/* One HTTP request from its first byte to its logged completion. */
struct request {
    struct server *srv;
    struct MHD_Connection *conn;
    const struct route *route;
    char *url;              /* the path, without the query */
    char id[33];            /* request id, hex */
    char remote[64];        /* client address */
    int64_t start_us;       /* monotonic */
    struct meshca_buf *body;
    int too_large;
    int state;              /* see http.c */
    /* the response */
    unsigned status;
    char *resp;             /* owned */
    size_t resp_len;
    const char *content_type;
    char *etag, *cache_control;
    int64_t retry_after;    /* > 0: Retry-After header */
    int www_authenticate;   /* add Bearer error="invalid_token" */
    /* for the access log (never a token) */
    char method[LOG_ESCAPED_SIZE(LOG_METHOD_MAX)]; /* escaped, bounded */
    char path[LOG_ESCAPED_SIZE(LOG_PATH_MAX)];     /* escaped, bounded */
    char *subject;
    char *log_error;
    uint64_t serial;
    char *role;
};

struct route {
    const char *method;
    const char *path;
    int blocking;           /* run on the worker pool */
    void (*fn)(struct request *req);
    int prefix;             /* path is a prefix ("/v1/log/tile/") */
};

/* Starts serving.  Returns 0 or a negative error (logged). */
int server_start(struct server *srv) MESHCA_WUR;

/* Stops accepting, waits up to grace_ms for requests in flight, stops. */
void server_stop(struct server *srv, int grace_ms);

/* Takes a reference to the current policy (never NULL once serving);
 * release it with policy_unref. */
struct policy *server_policy(struct server *srv);

/* Installs a new policy (taking over the caller's reference) and drops the
 * old one. */
void server_set_policy(struct server *srv, struct policy *p);

/* Response helpers for handlers. */
void req_reply(struct request *req, unsigned status, const char *ctype,
    char *body, size_t len);
/* Takes a reference to obj. */
void req_reply_json(struct request *req, unsigned status, json_t *obj);
/* {"error": code, "message": ..., "request_id": ...} */
void req_error(struct request *req, unsigned status, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The query parameter name of req's URL (owned by libmicrohttpd, valid
 * while the request is), or NULL when it is absent or empty. */
const char *req_arg(struct request *req, const char *name);

#endif
