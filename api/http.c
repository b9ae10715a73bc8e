/*
 * The HTTP layer: libmicrohttpd setup, request bodies with a size cap,
 * routing, the worker pool for blocking handlers (suspend/resume), mTLS
 * client verification, JSON errors, access logs and request metrics.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "meshca/buf.h"
#include "meshca/clock.h"
#include "meshca/hex.h"
#include "meshca/policy.h"
#include "access.h"
#include "handlers.h"
#include "hostcert.h"
#include "issue.h"
#include "log.h"
#include "logins.h"
#include "logserve.h"
#include "meshcad_err.h"
#include "query.h"
#include "revoke.h"
#include "tlsfiles.h"
#include "server.h"
#include "threads.h"
#include "usage.h"
#include "who.h"

enum req_state {
    REQ_READING = 0, /* receiving the body */
    REQ_QUEUED,      /* suspended, on the worker pool */
    REQ_DONE,        /* response ready */
};

static const struct route routes[] = {
    { "GET", "/healthz", 0, handle_healthz, 0 },
    { "GET", "/readyz", 1, handle_readyz, 0 },
    { "GET", "/metrics", 0, handle_metrics, 0 },
    { "GET", "/v1/ca-keys", 0, handle_ca_keys, 0 },
    { "GET", "/v1/config", 0, handle_config, 0 },
    { "POST", "/v1/certificates", 1, handle_issue, 0 },
    { "POST", "/v1/explain", 1, handle_explain, 0 },
    { "GET", "/v1/krl", 0, handle_krl, 0 },
    { "POST", "/v1/revocations", 1, handle_revoke, 0 },
    { "GET", "/v1/certificates", 1, handle_list_certs, 0 },
    { "GET", "/v1/report", 1, handle_report, 0 },
    { "GET", "/v1/log/checkpoint", 1, handle_log_checkpoint, 0 },
    { "GET", "/v1/log/proof", 1, handle_log_proof, 0 },
    { "GET", "/v1/log/tile/", 1, handle_log_tile, 1 },
    { "GET", "/v1/host-ca-keys", 0, handle_host_ca_keys, 0 },
    { "POST", "/v1/host-certificates", 1, handle_host_certificate, 0 },
    { "GET", "/v1/access-requests", 1, handle_access_list, 0 },
    { "GET", "/v1/access-requests/", 1, handle_access_get, 1 },
    { "POST", "/v1/access-requests/", 1, handle_access_action, 1 },
    { "POST", "/v1/logins", 1, handle_logins, 0 },
    { "GET", "/v1/anomalies", 1, handle_anomalies, 0 },
    { "GET", "/v1/who", 1, handle_who, 0 },
};

/* The worker pool: a FIFO of suspended requests. */

struct workq {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct request **items;
    size_t cap, head, n;
    int stopping;
    pthread_t *threads;
    size_t nthreads;
    struct server *srv;
};

/*
 * Past saturation a queue only grows: a request that waited longer than
 * limits.queue_budget for a worker is answered 503 with Retry-After before
 * any work (nothing is verified, signed or recorded for a client that has
 * likely given up), so latency stays bounded instead of the backlog.
 */
static void
finish_request_work(struct request *req)
{
    int64_t waited = meshca_mono_us() - req->start_us;

    if (waited > req->srv->cfg->limits.queue_budget_ms * 1000) {
        atomic_fetch_add(&req->srv->metrics.shed, 1);
        req->retry_after = 1;
        req_error(req, 503, "unavailable", "the service is overloaded (this "
            "request waited %lld ms for a worker); retry shortly",
            (long long)(waited / 1000));
    } else
        req->route->fn(req);
    req->state = REQ_DONE;
    MHD_resume_connection(req->conn);
}

static void *
worker_main(void *arg)
{
    struct workq *q = arg;
    struct request *req;

    for (;;) {
        pthread_mutex_lock(&q->lock);
        while (q->n == 0 && !q->stopping)
            pthread_cond_wait(&q->cond, &q->lock);
        if (q->n == 0 && q->stopping) {
            pthread_mutex_unlock(&q->lock);
            return NULL;
        }
        req = q->items[q->head];
        q->head = (q->head + 1) % q->cap;
        q->n--;
        pthread_mutex_unlock(&q->lock);
        finish_request_work(req);
    }
}

static int
workq_push(struct workq *q, struct request *req)
{
    pthread_mutex_lock(&q->lock);
    if (q->n == q->cap || q->stopping) {
        pthread_mutex_unlock(&q->lock);
        return MESHCA_ERR_UNAVAILABLE;
    }
    q->items[(q->head + q->n) % q->cap] = req;
    q->n++;
    pthread_cond_signal(&q->cond);
    pthread_mutex_unlock(&q->lock);
    return 0;
}

static void
workq_free(struct workq *q)
{
    if (q == NULL)
        return;
    threads_stop(&q->lock, &q->cond, &q->stopping, q->threads, q->nthreads);
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->cond);
    free(q->threads);
    free(q->items);
    free(q);
}

static int
workq_new(struct server *srv, size_t nthreads, size_t cap, struct workq **qp)
{
    struct workq *q;
    size_t i;

    *qp = NULL;
    if ((q = calloc(1, sizeof(*q))) == NULL)
        return MESHCA_ERR_ALLOC;
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->cond, NULL);
    q->srv = srv;
    q->cap = cap;
    if ((q->items = calloc(cap, sizeof(*q->items))) == NULL ||
        (q->threads = calloc(nthreads, sizeof(*q->threads))) == NULL) {
        workq_free(q);
        return MESHCA_ERR_ALLOC;
    }
    for (i = 0; i < nthreads; i++) {
        pthread_attr_t attr;

        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 256 * 1024);
        if (pthread_create(&q->threads[i], &attr, worker_main, q) != 0) {
            pthread_attr_destroy(&attr);
            workq_free(q);
            return MESHCA_ERR_SYSTEM;
        }
        pthread_attr_destroy(&attr);
        q->nthreads++;
    }
    *qp = q;
    return 0;
}

/* Responses */

void
req_reply(struct request *req, unsigned status, const char *ctype,
    char *body, size_t len)
{
    free(req->resp);
    req->status = status;
    req->content_type = ctype;
    req->resp = body;
    req->resp_len = len;
}

const char *
req_arg(struct request *req, const char *name)
{
    const char *v = MHD_lookup_connection_value(req->conn,
        MHD_GET_ARGUMENT_KIND, name);

    return v != NULL && *v != '\0' ? v : NULL;
}

void
req_reply_json(struct request *req, unsigned status, json_t *obj)
{
    char *s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);

    if (s == NULL) {
        req_reply(req, 500, "application/json",
            strdup("{\"error\":\"internal\"}"), 20);
        return;
    }
    req_reply(req, status, "application/json", s, strlen(s));
}

void
req_error(struct request *req, unsigned status, const char *code,
    const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    json_t *o;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (status == 401)
        req->www_authenticate = 1;
    free(req->log_error);
    req->log_error = strdup(msg);
    o = json_pack("{s:s, s:s, s:s}", "error", code, "message", msg,
        "request_id", req->id);
    req_reply_json(req, status, o);
    json_decref(o);
}

static enum MHD_Result
queue_response(struct request *req)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;
    char tmp[32];

    if (req->resp == NULL)
        req_error(req, 500, "internal", "no response was produced");
    resp = MHD_create_response_from_buffer(req->resp_len, req->resp,
        MHD_RESPMEM_MUST_FREE);
    if (resp == NULL)
        return MHD_NO;
    req->resp = NULL; /* owned by the response now */
    MHD_add_response_header(resp, "Content-Type",
        req->content_type ? req->content_type : "application/json");
    MHD_add_response_header(resp, "X-Request-Id", req->id);
    MHD_add_response_header(resp, "Cache-Control",
        req->cache_control ? req->cache_control : "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (req->etag != NULL)
        MHD_add_response_header(resp, "ETag", req->etag);
    if (req->retry_after > 0) {
        snprintf(tmp, sizeof(tmp), "%lld", (long long)req->retry_after);
        MHD_add_response_header(resp, "Retry-After", tmp);
    }
    if (req->www_authenticate)
        MHD_add_response_header(resp, "WWW-Authenticate",
            "Bearer error=\"invalid_token\"");
    ret = MHD_queue_response(req->conn, req->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* mTLS: libmicrohttpd only requests a client certificate; verify it here. */
static int
client_cert_ok(struct request *req)
{
    const union MHD_ConnectionInfo *ci;
    gnutls_session_t s;
    unsigned int status = 0, n = 0;

    ci = MHD_get_connection_info(req->conn,
        MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (ci == NULL || ci->tls_session == NULL)
        return 0;
    s = (gnutls_session_t)ci->tls_session;
    if (gnutls_certificate_get_peers(s, &n) == NULL || n == 0)
        return 0;
    if (gnutls_certificate_verify_peers2(s, &status) != GNUTLS_E_SUCCESS)
        return 0;
    return status == 0;
}

static void
client_address(struct request *req)
{
    const union MHD_ConnectionInfo *ci;
    const struct sockaddr *sa;

    snprintf(req->remote, sizeof(req->remote), "unknown");
    ci = MHD_get_connection_info(req->conn,
        MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci == NULL || (sa = ci->client_addr) == NULL)
        return;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
            req->remote, sizeof(req->remote));
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
            req->remote, sizeof(req->remote));
}

static const struct route *
find_route(const char *method, const char *url, int *path_knownp)
{
    size_t i;

    *path_knownp = 0;
    for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (routes[i].prefix ? strncmp(url, routes[i].path,
                strlen(routes[i].path)) != 0
                             : strcmp(url, routes[i].path) != 0)
            continue;
        *path_knownp = 1;
        if (strcmp(method, routes[i].method) == 0 ||
            (strcmp(method, "HEAD") == 0 &&
                strcmp(routes[i].method, "GET") == 0))
            return &routes[i];
    }
    return NULL;
}

static struct request *
request_new(struct server *srv, struct MHD_Connection *conn)
{
    struct request *req;
    unsigned char rnd[16];

    if ((req = calloc(1, sizeof(*req))) == NULL)
        return NULL;
    req->srv = srv;
    req->conn = conn;
    req->start_us = meshca_mono_us();
    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        memset(rnd, 0, sizeof(rnd));
    (void)meshca_hex_encode(rnd, sizeof(rnd), req->id, sizeof(req->id));
    client_address(req);
    atomic_fetch_add(&srv->metrics.in_flight, 1);
    return req;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
    struct server *srv = cls;
    struct request *req = *con_cls;
    const char *cl;
    int known;

    (void)version;
    if (req == NULL) {
        if ((req = request_new(srv, conn)) == NULL)
            return MHD_NO;
        *con_cls = req;
        /* What was asked, also when no route matches (404, 405). */
        log_escape(method, LOG_METHOD_MAX, req->method, sizeof(req->method));
        log_escape(url, LOG_PATH_MAX, req->path, sizeof(req->path));
        if (srv->cfg->tls_client_ca != NULL && !client_cert_ok(req)) {
            req_error(req, 403, "forbidden", "a client certificate issued "
                "by the configured client CA is required");
            req->state = REQ_DONE;
            return queue_response(req);
        }
        /* Issue #16: only a sidecar in front of a loopback listener with
         * mesh.xfcc may set X-Forwarded-Client-Cert; anywhere else it is
         * someone claiming an identity. */
        if (!srv->cfg->mesh.xfcc && MHD_lookup_connection_value(conn,
            MHD_HEADER_KIND, "X-Forwarded-Client-Cert") != NULL) {
            req_error(req, 400, "invalid_request", "X-Forwarded-Client-Cert "
                "is not trusted here (mesh.xfcc is off, or meshcad does not "
                "listen on loopback behind a sidecar)");
            req->state = REQ_DONE;
            return queue_response(req);
        }
        req->url = strdup(url);
        if ((req->route = find_route(method, url, &known)) == NULL) {
            /* Echo the escaped, bounded forms: the raw path may hold
             * bytes that are not UTF-8, which JSON cannot carry. */
            if (known)
                req_error(req, 405, "method_not_allowed",
                    "%s is not allowed on %s", req->method, req->path);
            else
                req_error(req, 404, "not_found", "no such endpoint: %s",
                    req->path);
            req->state = REQ_DONE;
            /* Any body is discarded as it arrives. */
            return MHD_YES;
        }
        cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
            MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl != NULL && strtoull(cl, NULL, 10) > srv->cfg->limits.max_body_bytes) {
            req_error(req, 413, "too_large", "request body exceeds %llu bytes",
                (unsigned long long)srv->cfg->limits.max_body_bytes);
            req->state = REQ_DONE;
            return queue_response(req);
        }
        return MHD_YES;
    }

    if (*upload_data_size > 0) {
        if (req->state == REQ_READING && !req->too_large) {
            if (req->body == NULL &&
                (req->body = meshca_buf_new(srv->cfg->limits.max_body_bytes)) == NULL)
                return MHD_NO;
            if (meshca_buf_put(req->body, upload_data, *upload_data_size) != 0)
                req->too_large = 1;
        }
        *upload_data_size = 0;
        return MHD_YES;
    }

    if (req->state == REQ_READING) {
        if (req->too_large) {
            req_error(req, 413, "too_large", "request body exceeds %llu bytes",
                (unsigned long long)srv->cfg->limits.max_body_bytes);
            req->state = REQ_DONE;
        } else if (req->route->blocking) {
            req->state = REQ_QUEUED;
            MHD_suspend_connection(conn);
            if (workq_push(srv->wq, req) != 0) {
                req_error(req, 503, "unavailable", "the service is "
                    "overloaded or shutting down; retry shortly");
                req->retry_after = 1;
                req->state = REQ_DONE;
                MHD_resume_connection(conn);
            }
            return MHD_YES;
        } else {
            req->route->fn(req);
            req->state = REQ_DONE;
        }
    }
    if (req->state == REQ_DONE)
        return queue_response(req);
    return MHD_YES; /* still queued: spurious call */
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
    struct server *srv = cls;
    struct request *req = *con_cls;
    int64_t dur;
    char code[8];
    json_t *f;

    (void)conn;
    if (req == NULL)
        return;
    *con_cls = NULL;
    dur = meshca_mono_us() - req->start_us;
    metrics_observe(&srv->metrics.request, (uint64_t)(dur > 0 ? dur : 0));
    snprintf(code, sizeof(code), "%u", req->status);
    metrics_inc(&srv->metrics.responses, code);
    f = json_pack("{s:s, s:s, s:s, s:s, s:i, s:f}", "request_id", req->id,
        "remote", req->remote, "method", req->method[0] ? req->method :
        "-", "path", req->path[0] ? req->path : "-", "status",
        (int)req->status,
        "duration_ms", (double)dur / 1000.0);
    if (f != NULL) {
        if (req->subject != NULL)
            json_object_set_new(f, "sub", json_string(req->subject));
        if (req->role != NULL)
            json_object_set_new(f, "role", json_string(req->role));
        if (req->serial != 0) {
            char s[24];

            snprintf(s, sizeof(s), "%llu", (unsigned long long)req->serial);
            json_object_set_new(f, "serial", json_string(s));
        }
        if (req->log_error != NULL)
            json_object_set_new(f, "error", json_string(req->log_error));
        if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
            json_object_set_new(f, "terminated", json_integer(toe));
    }
    log_json(LOG_LEVEL_INFO, "request", f);
    atomic_fetch_sub(&srv->metrics.in_flight, 1);
    meshca_buf_free(req->body);
    free(req->resp);
    free(req->etag);
    free(req->cache_control);
    free(req->url);
    free(req->subject);
    free(req->log_error);
    free(req->role);
    free(req);
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    size_t n;

    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    log_json(LOG_LEVEL_WARN, "libmicrohttpd", json_pack("{s:s}", "detail", msg));
}

int
server_start(struct server *srv)
{
    const struct config *cfg = srv->cfg;
    struct sockaddr_storage ss;
    unsigned int flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC |
        MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    struct MHD_OptionItem opts[16];
    size_t no = 0, nworkers;
    int r, ipv6 = 0;

    /* config_load accepted listen by this same function. */
    if (config_listen_addr(cfg->listen_host, cfg->listen_port, &ss,
        &ipv6) != 0) {
        log_msg(LOG_LEVEL_ERROR, "listen: \"%s\" is not an IP address",
            cfg->listen_host);
        return MESHCA_ERR_INVALID_ARGUMENT;
    }
    if (ipv6)
        flags |= MHD_USE_IPv6;

    /* Workers wait on the ledger; the ledger batches what they wait on. */
    nworkers = cfg->limits.threads * 16;
    if (nworkers < 16)
        nworkers = 16;
    if (nworkers > 256)
        nworkers = 256;
    if ((r = workq_new(srv, nworkers, 65536, &srv->wq)) != 0)
        return r;

    opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_EXTERNAL_LOGGER,
        (intptr_t)mhd_log, NULL };
    opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, &ss };
    opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_POOL_SIZE,
        (intptr_t)cfg->limits.threads, NULL };
    opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT,
        (intptr_t)cfg->limits.connection_timeout, NULL };
    opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT,
        (intptr_t)cfg->limits.max_connections, NULL };
    opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (intptr_t)cfg->limits.max_connections_per_ip, NULL };
    opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (intptr_t)(64 * 1024), NULL };
    opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED,
        (intptr_t)on_completed, srv };
    opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_LISTENING_ADDRESS_REUSE,
        1, NULL };
    if (cfg->tls_cert != NULL) {
        struct tls_files tf;
        struct diags d = { 0 };
        size_t i;

        flags |= MHD_USE_TLS;
        /* Read and judged as meshcad check judges them (tlsfiles.h). */
        if (tls_files_load(cfg, &tf, &d) != 0) {
            for (i = 0; i < d.n; i++)
                log_msg(LOG_LEVEL_ERROR, "%s", d.msgs[i]);
            diags_clear(&d);
            return MESHCA_ERR_SYSTEM;
        }
        srv->tls_cert_pem = tf.cert;
        srv->tls_key_pem = tf.key;
        srv->tls_ca_pem = tf.trust;
        opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0,
            srv->tls_cert_pem };
        opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0,
            srv->tls_key_pem };
        opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0,
            (void *)"SECURE256:+SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2" };
        /* The CAs a TLS client may present: tls.client_ca and the mesh
         * trust bundle (X.509-SVIDs).  Asking for a client certificate
         * does not require one: tls.client_ca is enforced by
         * client_cert_ok, SVIDs by svid.c where a workload identity is
         * needed. */
        if (srv->tls_ca_pem != NULL)
            opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST,
                0, srv->tls_ca_pem };
    }
    opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };

    srv->daemon = MHD_start_daemon(flags, cfg->listen_port, NULL, NULL,
        on_request, srv, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (srv->daemon == NULL) {
        log_msg(LOG_LEVEL_ERROR, "cannot listen on %s:%u (address in use, "
            "or bad TLS material?)", cfg->listen_host, cfg->listen_port);
        return MESHCA_ERR_SYSTEM;
    }
    return 0;
}

void
server_stop(struct server *srv, int grace_ms)
{
    MHD_socket fd;
    int waited = 0;

    if (srv->daemon == NULL)
        return;
    atomic_store(&srv->shutting_down, 1);
    /* Stop accepting; finish what is in flight. */
    fd = MHD_quiesce_daemon(srv->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    while (atomic_load(&srv->metrics.in_flight) > 0 && waited < grace_ms) {
        usleep(10000);
        waited += 10;
    }
    MHD_stop_daemon(srv->daemon);
    srv->daemon = NULL;
    workq_free(srv->wq);
    srv->wq = NULL;
    if (srv->tls_key_pem != NULL)
        OPENSSL_cleanse(srv->tls_key_pem, strlen(srv->tls_key_pem));
    free(srv->tls_key_pem);
    free(srv->tls_cert_pem);
    free(srv->tls_ca_pem);
    srv->tls_key_pem = srv->tls_cert_pem = srv->tls_ca_pem = NULL;
}

struct policy *
server_policy(struct server *srv)
{
    struct policy *p;

    pthread_mutex_lock(&srv->policy_lock);
    p = srv->policy;
    if (p != NULL)
        policy_ref(p);
    pthread_mutex_unlock(&srv->policy_lock);
    return p;
}

void
server_set_policy(struct server *srv, struct policy *p)
{
    struct policy *old;

    pthread_mutex_lock(&srv->policy_lock);
    old = srv->policy;
    srv->policy = p;
    pthread_mutex_unlock(&srv->policy_lock);
    policy_unref(old);
}
