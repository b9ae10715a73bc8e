/*
 * loadgen: the load generator for meshcad benchmarks and fault tests.
 *
 *   loadgen mint --issuer URL --audience AUD --subjects N --dir DIR [--ttl SECS]
 *       Makes an RS256 signing key, writes DIR/jwks.json (public, for the issuer's
 *       jwks_file) and DIR/tokens.txt: N ID tokens for N distinct subjects
 *       (sub "bench-user-<i>", groups ["bench"], email bench-user-<i>@example.com).
 *
 *       Also DIR/signing.pem (the private key, mode 0600) for `loadgen sign`.
 *
 *   loadgen sign --key DIR/signing.pem [--kid bench-1] CLAIMS_JSON
 *       Prints one RS256 token with exactly these claims (for tests that need
 *       expired tokens, other groups, admins...).
 *
 *   loadgen run --url http://127.0.0.1:PORT --tokens FILE [--conns C]
 *       [--duration SECS | --requests N] [--rate R] [--keys K] [--serials FILE]
 *       [--json FILE] [--label TEXT] [--started FILE] [--trace FILE]
 *       C keep-alive connections send POST /v1/certificates, each request with the
 *       next token (round robin) and a distinct Ed25519 public key (K keys made
 *       before the clock starts).  Without --rate it is closed-loop (saturation);
 *       with --rate R it is open-loop: requests are scheduled at R/s and latency is
 *       measured from the scheduled time (no coordinated omission).  Prints one
 *       JSON object (also to --json FILE): rate achieved, latency percentiles
 *       (latency_ms from the scheduled time; service_latency_ms from when the
 *       request was written on a free connection, the server's part without
 *       the generator's own backlog), status counts; --serials writes the serial of every 201 (answers
 *       in flight at the end are read, not counted, so that it names every
 *       certificate returned); --trace writes "ms latency-us" for every
 *       answer (when it came, since the clock started); --started
 *       creates FILE when the clock starts (so a caller can sample CPU
 *       counters over the measured window, not the key generation).
 *
 * Exit status: 0 when it ran (whatever the server answered), 1 on usage or
 * setup errors.  A benchmark tool, not a test: it asserts nothing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "meshca/buf.h"
#include "meshca/clock.h"
#include "common.h"

/* mint, sign */

static char *
sign_token(EVP_PKEY *pk, const char *kid, const char *claims)
{
    EVP_MD_CTX *md;
    char hjson[256], *hdr, *body, *input, *sigb, *tok;
    unsigned char sig[512];
    size_t siglen = sizeof(sig);
    int hl;

    hl = snprintf(hjson, sizeof(hjson),
        "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", kid);
    hdr = bench_b64url(hjson, (size_t)hl);
    body = bench_b64url(claims, strlen(claims));
    if (asprintf(&input, "%s.%s", hdr, body) < 0)
        bench_die("alloc");
    if ((md = EVP_MD_CTX_new()) == NULL ||
        EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pk) != 1 ||
        EVP_DigestSign(md, sig, &siglen, (unsigned char *)input,
            strlen(input)) != 1)
        bench_die("sign");
    EVP_MD_CTX_free(md);
    sigb = bench_b64url(sig, siglen);
    if (asprintf(&tok, "%s.%s", input, sigb) < 0)
        bench_die("alloc");
    free(sigb);
    free(input);
    free(body);
    free(hdr);
    return tok;
}

static int
cmd_sign(int argc, char **argv)
{
    const char *keyf = NULL, *kid = "bench-1", *claims = NULL;
    EVP_PKEY *pk;
    FILE *f;
    char *tok;
    int i;

    for (i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--key") == 0 && i + 1 < argc)
            keyf = argv[++i];
        else if (strcmp(argv[i], "--kid") == 0 && i + 1 < argc)
            kid = argv[++i];
        else
            claims = argv[i];
    }
    if (keyf == NULL || claims == NULL)
        bench_die("usage: loadgen sign --key FILE [--kid KID] CLAIMS_JSON");
    if ((f = fopen(keyf, "r")) == NULL ||
        (pk = PEM_read_PrivateKey(f, NULL, NULL, NULL)) == NULL)
        bench_die("cannot read the signing key");
    fclose(f);
    tok = sign_token(pk, kid, claims);
    printf("%s\n", tok);
    free(tok);
    EVP_PKEY_free(pk);
    return 0;
}

static char *
bn_b64url(const BIGNUM *bn)
{
    unsigned char tmp[1024];
    int n = BN_bn2bin(bn, tmp);

    return bench_b64url(tmp, (size_t)n);
}

static int
cmd_mint(int argc, char **argv)
{
    const char *issuer = NULL, *aud = "meshca", *dir = NULL;
    long nsub = 1000, ttl = 3600, i;
    EVP_PKEY *pk = NULL;
    BIGNUM *n = NULL, *e = NULL;
    char path[4096], *tok, *ns, *es;
    FILE *f;
    time_t now = time(NULL);
    const struct bench_flag flags[] = {
        { "--issuer", 's', &issuer },
        { "--audience", 's', &aud },
        { "--subjects", 'l', &nsub },
        { "--ttl", 'l', &ttl },
        { "--dir", 's', &dir },
    };

    bench_flags(argc, argv, flags, sizeof(flags) / sizeof(flags[0]),
        "usage: loadgen mint --issuer URL --audience AUD --subjects N --dir DIR");
    if (issuer == NULL || dir == NULL || nsub <= 0)
        bench_die("mint needs --issuer and --dir");
    if ((pk = EVP_RSA_gen(2048)) == NULL)
        bench_die("RSA keygen");
    if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
        EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e) != 1)
        bench_die("RSA params");
    ns = bn_b64url(n);
    es = bn_b64url(e);
    snprintf(path, sizeof(path), "%s/jwks.json", dir);
    if ((f = fopen(path, "w")) == NULL)
        bench_die("cannot write jwks.json");
    fprintf(f, "{\"keys\":[{\"kty\":\"RSA\",\"use\":\"sig\",\"alg\":\"RS256\","
        "\"kid\":\"bench-1\",\"n\":\"%s\",\"e\":\"%s\"}]}\n", ns, es);
    fclose(f);
    snprintf(path, sizeof(path), "%s/signing.pem", dir);
    {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

        if (fd < 0 || (f = fdopen(fd, "w")) == NULL ||
            PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL) != 1)
            bench_die("cannot write signing.pem");
        fclose(f);
    }
    snprintf(path, sizeof(path), "%s/tokens.txt", dir);
    if ((f = fopen(path, "w")) == NULL)
        bench_die("cannot write tokens.txt");
    for (i = 0; i < nsub; i++) {
        char claims[1024];
        int cl;

        cl = snprintf(claims, sizeof(claims),
            "{\"iss\":\"%s\",\"aud\":\"%s\",\"sub\":\"bench-user-%ld\","
            "\"email\":\"bench-user-%ld@example.com\",\"email_verified\":true,"
            "\"groups\":[\"bench\"],\"iat\":%lld,\"exp\":%lld,"
            "\"jti\":\"bench-%ld-%lld\"}", issuer, aud, i, i, (long long)now,
            (long long)(now + ttl), i, (long long)now);
        if (cl < 0 || (size_t)cl >= sizeof(claims))
            bench_die("claims too long");
        tok = sign_token(pk, "bench-1", claims);
        fprintf(f, "%s\n", tok);
        free(tok);
    }
    fclose(f);
    free(ns);
    free(es);
    BN_free(n);
    BN_free(e);
    EVP_PKEY_free(pk);
    return 0;
}

/* run */

struct conn {
    int fd;
    int busy;           /* a request is outstanding */
    int64_t sched_us;   /* when the outstanding request was due */
    int64_t sent_us;    /* when it was written on this (free) connection */
    char *out;
    size_t outlen, outoff;
    char in[16384];
    size_t inlen;
};

struct run {
    char host[64];
    int port;
    char **tokens;
    size_t ntokens, next_token;
    char **keys;
    size_t nkeys, next_key;
    int64_t *lat;       /* microseconds per completed request */
    int64_t *svc;       /* the same from sent_us: the server's part */
    size_t nlat, caplat;
    uint64_t status[600];
    uint64_t errors;    /* connection-level */
    FILE *serials;
    FILE *trace;        /* --trace: "ms-since-start latency-us" a request */
    int64_t t0;
};

static int
conn_open(struct run *rn, struct conn *c)
{
    struct sockaddr_in sin;
    int one = 1;

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)rn->port);
    inet_pton(AF_INET, rn->host, &sin.sin_addr);
    if ((c->fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
        return -1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    fcntl(c->fd, F_SETFL, O_NONBLOCK);
    c->busy = 0;
    c->inlen = 0;
    return 0;
}

static void
conn_prepare(struct run *rn, struct conn *c, int64_t sched)
{
    char body[512];
    const char *tok = rn->tokens[rn->next_token++ % rn->ntokens];
    const char *key = rn->keys[rn->next_key++ % rn->nkeys];
    int bl;

    bl = snprintf(body, sizeof(body), "{\"public_key\":\"%s\"}", key);
    free(c->out);
    c->outlen = (size_t)asprintf(&c->out,
        "POST /v1/certificates HTTP/1.1\r\nHost: %s:%d\r\n"
        "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
        "Content-Length: %d\r\n\r\n%s", rn->host, rn->port, tok, bl, body);
    c->outoff = 0;
    c->busy = 1;
    c->sched_us = sched;
    c->sent_us = meshca_mono_us();
}

/* Returns 1 when a whole response is in c->in (and consumes it). */
static int
conn_parse(struct run *rn, struct conn *c, int64_t now)
{
    char *hend, *cl, *p;
    size_t hlen, blen, total;
    int status;

    c->in[c->inlen < sizeof(c->in) ? c->inlen : sizeof(c->in) - 1] = '\0';
    if ((hend = strstr(c->in, "\r\n\r\n")) == NULL)
        return 0;
    hlen = (size_t)(hend - c->in) + 4;
    if ((cl = strcasestr(c->in, "\r\nContent-Length:")) == NULL || cl > hend)
        blen = 0;
    else
        blen = strtoul(cl + 17, NULL, 10);
    total = hlen + blen;
    if (c->inlen < total)
        return 0;
    status = atoi(c->in + 9);
    if (status > 0 && status < 600)
        rn->status[status]++;
    if (status == 201 && rn->serials != NULL &&
        (p = strstr(c->in + hlen, "\"serial\":\"")) != NULL) {
        p += 10;
        fprintf(rn->serials, "%.*s\n", (int)strcspn(p, "\""), p);
    }
    if (rn->nlat < rn->caplat) {
        rn->svc[rn->nlat] = now - c->sent_us;
        if (rn->trace != NULL)
            fprintf(rn->trace, "%lld %lld\n", (long long)(now - rn->t0) / 1000,
                (long long)(now - c->sched_us));
        rn->lat[rn->nlat++] = now - c->sched_us;
    }
    memmove(c->in, c->in + total, c->inlen - total);
    c->inlen -= total;
    c->busy = 0;
    return 1;
}

static int cmp_i64(const void *a, const void *b);

/* Sorts v and writes {"p50":..,"p90":..,"p99":..,"max":..} in ms. */
static void
percentiles(int64_t *v, size_t n, char *out, size_t outlen)
{
    qsort(v, n, sizeof(int64_t), cmp_i64);
    snprintf(out, outlen, "{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,"
        "\"max\":%.3f}", n ? (double)v[n * 50 / 100] / 1000 : 0,
        n ? (double)v[n * 90 / 100] / 1000 : 0,
        n ? (double)v[n * 99 / 100] / 1000 : 0,
        n ? (double)v[n - 1] / 1000 : 0);
}

static int
cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

static char **
read_lines(const char *path, size_t *np)
{
    FILE *f = fopen(path, "r");
    char *line = NULL, **v = NULL;
    size_t cap = 0, n = 0, vcap = 0;
    ssize_t len;

    if (f == NULL)
        bench_die("cannot read tokens file");
    while ((len = getline(&line, &cap, f)) > 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        if (n == vcap) {
            vcap = vcap ? vcap * 2 : 1024;
            if ((v = realloc(v, vcap * sizeof(*v))) == NULL)
                bench_die("alloc");
        }
        v[n++] = strdup(line);
    }
    free(line);
    fclose(f);
    *np = n;
    return v;
}

static char *
ed25519_line(void)
{
    EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    unsigned char raw[32];
    size_t rl = sizeof(raw);
    struct meshca_buf *b = meshca_buf_new(128);
    char *b64 = NULL, *line = NULL;

    if (pk == NULL || b == NULL ||
        EVP_PKEY_get_raw_public_key(pk, raw, &rl) != 1 ||
        meshca_buf_put_cstring(b, "ssh-ed25519") != 0 ||
        meshca_buf_put_string(b, raw, rl) != 0 || meshca_buf_dtob64(b, &b64) != 0)
        bench_die("ed25519 key");
    if (asprintf(&line, "ssh-ed25519 %s", b64) < 0)
        bench_die("alloc");
    free(b64);
    meshca_buf_free(b);
    EVP_PKEY_free(pk);
    return line;
}

static int
cmd_run(int argc, char **argv)
{
    const char *url = NULL, *tokens = NULL, *json_out = NULL, *serials = NULL,
               *label = "", *started = NULL, *trace = NULL;
    long conns = 32, nkeys = 20000, i;
    double duration = 10, rate = 0;
    long maxreq = 0;
    struct run rn;
    struct conn *cs;
    struct epoll_event ev, evs[256];
    int ep, n, k;
    int64_t t0, tend, now, next_sched, interval_us = 0;
    uint64_t sent = 0, done = 0;
    char result[2048], lat[128], svc[128];
    FILE *jf;
    const struct bench_flag flags[] = {
        { "--url", 's', &url },
        { "--tokens", 's', &tokens },
        { "--conns", 'l', &conns },
        { "--duration", 'd', &duration },
        { "--requests", 'l', &maxreq },
        { "--rate", 'd', &rate },
        { "--keys", 'l', &nkeys },
        { "--json", 's', &json_out },
        { "--serials", 's', &serials },
        { "--label", 's', &label },
        { "--started", 's', &started },
        { "--trace", 's', &trace },
    };

    memset(&rn, 0, sizeof(rn));
    bench_flags(argc, argv, flags, sizeof(flags) / sizeof(flags[0]),
        "usage: loadgen run --url http://127.0.0.1:PORT --tokens FILE "
        "[--conns C] [--duration S|--requests N] [--rate R] [--keys K] "
        "[--serials FILE] [--json FILE] [--label TEXT] [--started FILE] "
        "[--trace FILE]");
    if (url == NULL || tokens == NULL || conns <= 0 || nkeys <= 0)
        bench_die("run needs --url and --tokens");
    if (sscanf(url, "http://%63[^:]:%d", rn.host, &rn.port) != 2)
        bench_die("--url must be http://HOST:PORT");
    rn.tokens = read_lines(tokens, &rn.ntokens);
    if (rn.ntokens == 0)
        bench_die("no tokens");
    if (maxreq > 0 && maxreq < nkeys)
        nkeys = maxreq;
    rn.nkeys = (size_t)nkeys;
    if ((rn.keys = calloc(rn.nkeys, sizeof(char *))) == NULL)
        bench_die("alloc");
    for (i = 0; i < nkeys; i++)
        rn.keys[i] = ed25519_line();
    rn.caplat = 10 * 1000 * 1000;
    if ((rn.lat = calloc(rn.caplat, sizeof(int64_t))) == NULL ||
        (rn.svc = calloc(rn.caplat, sizeof(int64_t))) == NULL)
        bench_die("alloc");
    if (trace != NULL && (rn.trace = fopen(trace, "w")) == NULL)
        bench_die("cannot write --trace file");
    if (serials != NULL && (rn.serials = fopen(serials, "w")) == NULL)
        bench_die("cannot write serials file");
    if ((cs = calloc((size_t)conns, sizeof(*cs))) == NULL)
        bench_die("alloc");
    if ((ep = epoll_create1(0)) < 0)
        bench_die("epoll");
    for (i = 0; i < conns; i++) {
        if (conn_open(&rn, &cs[i]) != 0)
            bench_die("cannot connect");
        ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
        ev.data.ptr = &cs[i];
        epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
    }
    if (rate > 0)
        interval_us = (int64_t)(1e6 / rate);
    if (started != NULL) {
        FILE *sf = fopen(started, "w");

        if (sf == NULL)
            bench_die("cannot write the --started file");
        fclose(sf);
    }
    t0 = meshca_mono_us();
    rn.t0 = t0;
    tend = t0 + (int64_t)(duration * 1e6);
    next_sched = t0;
    for (;;) {
        now = meshca_mono_us();
        if (maxreq > 0 ? done >= (uint64_t)maxreq : now >= tend)
            break;
        /* Hand out work to idle connections. */
        for (i = 0; i < conns; i++) {
            struct conn *c = &cs[i];

            if (c->busy || c->fd < 0)
                continue;
            if (maxreq > 0 && sent >= (uint64_t)maxreq)
                break;
            if (rate > 0) {
                if (next_sched > now)
                    break;
                conn_prepare(&rn, c, next_sched);
                next_sched += interval_us;
            } else
                conn_prepare(&rn, c, now);
            sent++;
            ssize_t w = write(c->fd, c->out, c->outlen);
            if (w > 0)
                c->outoff = (size_t)w;
        }
        n = epoll_wait(ep, evs, 256, 1);
        now = meshca_mono_us();
        for (k = 0; k < n; k++) {
            struct conn *c = evs[k].data.ptr;
            ssize_t r;

            if (c->busy && c->outoff < c->outlen) {
                r = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
                if (r > 0)
                    c->outoff += (size_t)r;
            }
            for (;;) {
                r = read(c->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen);
                if (r > 0) {
                    c->inlen += (size_t)r;
                    while (c->busy && conn_parse(&rn, c, now))
                        done++;
                    continue;
                }
                if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                    /* The server closed: count and reconnect. */
                    if (c->busy) {
                        rn.errors++;
                        done++;
                    }
                    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                    close(c->fd);
                    c->inlen = 0;
                    if (conn_open(&rn, c) == 0) {
                        ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
                        ev.data.ptr = c;
                        epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
                    }
                }
                break;
            }
        }
    }
    now = meshca_mono_us();
    percentiles(rn.lat, rn.nlat, lat, sizeof(lat));
    percentiles(rn.svc, rn.nlat, svc, sizeof(svc));
    {
        char codes[1024] = "";
        size_t off = 0;
        int s;

        for (s = 100; s < 600; s++)
            if (rn.status[s] != 0)
                off += (size_t)snprintf(codes + off, sizeof(codes) - off,
                    "%s\"%d\":%llu", off ? "," : "", s,
                    (unsigned long long)rn.status[s]);
        snprintf(result, sizeof(result),
            "{\"label\":\"%s\",\"offered_rate\":%.0f,\"connections\":%ld,"
            "\"seconds\":%.3f,\"completed\":%zu,\"achieved_rate\":%.1f,"
            "\"created_per_second\":%.1f,"
            "\"latency_ms\":%s,\"service_latency_ms\":%s,"
            "\"status\":{%s},\"connection_errors\":%llu}",
            label, rate, conns, (double)(now - t0) / 1e6, rn.nlat,
            (double)rn.nlat / ((double)(now - t0) / 1e6),
            (double)rn.status[201] / ((double)(now - t0) / 1e6), lat, svc,
            codes,
            (unsigned long long)rn.errors);
    }
    /*
     * Requests still in flight when the clock stopped are not counted, but
     * their certificates may be created: read their answers (up to 10 s) so
     * that --serials names every certificate the server returned.
     */
    for (tend = meshca_mono_us() + 10 * 1000000; meshca_mono_us() < tend;) {
        for (i = 0; i < conns && !(cs[i].busy && cs[i].fd >= 0); i++)
            ;
        if (i == conns)
            break;
        n = epoll_wait(ep, evs, 256, 10);
        now = meshca_mono_us();
        for (k = 0; k < n; k++) {
            struct conn *c = evs[k].data.ptr;
            ssize_t r;

            if (c->busy && c->outoff < c->outlen &&
                (r = write(c->fd, c->out + c->outoff,
                c->outlen - c->outoff)) > 0)
                c->outoff += (size_t)r;
            while ((r = read(c->fd, c->in + c->inlen,
                sizeof(c->in) - 1 - c->inlen)) > 0) {
                c->inlen += (size_t)r;
                while (c->busy && conn_parse(&rn, c, now))
                    ;
            }
            if (r == 0 || (r < 0 && errno != EAGAIN &&
                errno != EWOULDBLOCK)) {
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd);
                c->fd = -1;
                c->busy = 0;
            }
        }
    }
    printf("%s\n", result);
    if (json_out != NULL && (jf = fopen(json_out, "w")) != NULL) {
        fprintf(jf, "%s\n", result);
        fclose(jf);
    }
    if (rn.serials != NULL)
        fclose(rn.serials);
    if (rn.trace != NULL)
        fclose(rn.trace);
    for (i = 0; i < conns; i++) {
        if (cs[i].fd >= 0)
            close(cs[i].fd);
        free(cs[i].out);
    }
    free(cs);
    close(ep);
    for (i = 0; i < nkeys; i++)
        free(rn.keys[i]);
    free(rn.keys);
    for (i = 0; i < (long)rn.ntokens; i++)
        free(rn.tokens[i]);
    free(rn.tokens);
    free(rn.lat);
    free(rn.svc);
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "mint") == 0)
        return cmd_mint(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "sign") == 0)
        return cmd_sign(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "run") == 0)
        return cmd_run(argc - 2, argv + 2);
    fprintf(stderr, "usage: loadgen mint|run ... (see the header of "
        "tests/bench/loadgen.c)\n");
    return 1;
}
