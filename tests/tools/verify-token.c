/*
 * verify-token: runs meshcad's identity verification (api/identity.c) on ID
 * tokens, for shell tests.
 *
 *   verify-token --config meshcad.json [--now-offset SECONDS] [--metrics]
 *                [--pause-ms N] [TOKEN...]
 *
 * Loads the issuers of a meshcad config exactly as meshcad does (keys from
 * jwks_file, jwks_uri or discovery), then verifies each TOKEN (or each line
 * of stdin when none is given) in order, in one process, so key caching and
 * refresh behave as in the service.  Prints one JSON line per token:
 *   {"ok":true,"sub":...,"email":...,"email_verified":...,"groups":[...],
 *    "iss":...,"iat":...,"exp":...,"auth_time":...,"replay_id":...,
 *    "claims":{...every verified claim...}}
 *   {"ok":false,"error":"invalid_token"|"keys_unavailable","reason":...}
 * --now-offset shifts the verification time (a stdin line "SECONDS TOKEN"
 * shifts it for that token alone); --pause-ms sleeps before each token;
 * --metrics prints identity_write_metrics() at the end.
 * --threads N --repeat M: N threads each verify every TOKEN M times at once
 * (a stress for the shared key cache); prints only the totals,
 *   {"threads":N,"verified":V,"invalid":I,"unavailable":U}.
 * Exits 0 when every token verified, 2 when some issuer's keys were
 * unavailable, 1 when some token was refused, 3 on a setup error.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "meshca/buf.h"
#include "../../api/config.h"
#include "../../api/identity.h"
#include "../../api/meshcad_err.h"

static int
verify_one(struct identity *id, const char *tok, int64_t offset)
{
    struct claims *c = NULL;
    char why[512];
    json_t *o, *g;
    char *s;
    size_t i;
    int r;

    r = identity_verify(id, tok, strlen(tok), (int64_t)time(NULL) + offset,
        &c, why, sizeof(why));
    if (r == 0) {
        g = json_array();
        for (i = 0; i < c->ngroups; i++)
            json_array_append_new(g, json_string(c->groups[i]));
        o = json_pack("{s:b, s:s, s:s, s:s?, s:b, s:o, s:s?, s:s?, s:I, s:I,"
            " s:I, s:s, s:O}", "ok", 1, "iss", c->iss, "sub", c->sub, "email",
            c->email, "email_verified", c->email_verified, "groups", g,
            "nonce", c->nonce, "azp", c->azp, "iat", (json_int_t)c->iat,
            "exp", (json_int_t)c->exp, "auth_time", (json_int_t)c->auth_time,
            "replay_id", c->replay_id, "claims", c->raw);
    } else
        o = json_pack("{s:b, s:s, s:s}", "ok", 0, "error",
            r == MESHCA_ERR_TOKEN_KEYS_UNAVAILABLE ? "keys_unavailable" :
            r == MESHCA_ERR_TOKEN_INVALID ? "invalid_token" : "error",
            "reason", why);
    s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    printf("%s\n", s != NULL ? s : "{\"ok\":false,\"error\":\"output\"}");
    fflush(stdout);
    free(s);
    json_decref(o);
    claims_free(c);
    return r == 0 ? 0 : r == MESHCA_ERR_TOKEN_KEYS_UNAVAILABLE ? 2 : 1;
}

struct job {
    struct identity *id;
    char **toks;
    int ntok, repeat;
    int64_t offset;
    long counts[3];     /* verified, invalid, unavailable */
};

static void *
job_main(void *arg)
{
    struct job *j = arg;
    struct claims *c;
    char why[512];
    int k, t, r;

    for (k = 0; k < j->repeat; k++)
        for (t = 0; t < j->ntok; t++) {
            c = NULL;
            r = identity_verify(j->id, j->toks[t], strlen(j->toks[t]),
                (int64_t)time(NULL) + j->offset, &c, why, sizeof(why));
            j->counts[r == 0 ? 0 : r == MESHCA_ERR_TOKEN_KEYS_UNAVAILABLE ? 2 :
                1]++;
            claims_free(c);
        }
    return NULL;
}

static int
stress(struct identity *id, char **toks, int ntok, int threads, int repeat,
    int64_t offset)
{
    pthread_t tid[64];
    struct job jobs[64];
    long tot[3] = { 0, 0, 0 };
    int i, k;

    if (threads < 1 || threads > 64)
        return 3;
    for (i = 0; i < threads; i++) {
        memset(&jobs[i], 0, sizeof(jobs[i]));
        jobs[i].id = id;
        jobs[i].toks = toks;
        jobs[i].ntok = ntok;
        jobs[i].repeat = repeat;
        jobs[i].offset = offset;
        if (pthread_create(&tid[i], NULL, job_main, &jobs[i]) != 0)
            return 3;
    }
    for (i = 0; i < threads; i++) {
        pthread_join(tid[i], NULL);
        for (k = 0; k < 3; k++)
            tot[k] += jobs[i].counts[k];
    }
    printf("{\"threads\":%d,\"verified\":%ld,\"invalid\":%ld,"
        "\"unavailable\":%ld}\n", threads, tot[0], tot[1], tot[2]);
    return 0;
}

int
main(int argc, char **argv)
{
    const char *conf = NULL;
    struct config *cfg = NULL;
    struct identity *id = NULL;
    struct diags d = { 0 };
    struct timespec pause = { 0, 0 };
    int64_t offset = 0;
    int i, metrics = 0, ntok = 0, worst = 0, r, threads = 0, repeat = 1;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;

    for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            conf = argv[++i];
        else if (strcmp(argv[i], "--now-offset") == 0 && i + 1 < argc)
            offset = strtoll(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--pause-ms") == 0 && i + 1 < argc) {
            long ms = strtol(argv[++i], NULL, 10);

            pause.tv_sec = ms / 1000;
            pause.tv_nsec = (ms % 1000) * 1000000L;
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (strcmp(argv[i], "--metrics") == 0)
            metrics = 1;
        else {
            fprintf(stderr, "usage: verify-token --config FILE "
                "[--now-offset S] [--pause-ms N] [--metrics] "
                "[--threads N --repeat M] [TOKEN...]\n");
            return 3;
        }
    }
    if (conf == NULL) {
        fprintf(stderr, "verify-token: --config is required\n");
        return 3;
    }
    if (config_load(conf, &cfg, &d) != 0) {
        fprintf(stderr, "verify-token: %s: %s\n", conf,
            d.n > 0 ? d.msgs[0] : "invalid");
        diags_clear(&d);
        return 3;
    }
    if ((r = identity_new(cfg, &id)) != 0) {
        fprintf(stderr, "verify-token: identity_new: %s\n",
            meshcad_strerror(r));
        config_free(cfg);
        return 3;
    }
    if (threads > 0) {
        worst = stress(id, argv + i, argc - i, threads, repeat, offset);
        i = argc;
        ntok = 1;
    }
    for (; i < argc; i++, ntok++) {
        if (pause.tv_sec > 0 || pause.tv_nsec > 0)
            nanosleep(&pause, NULL);
        if ((r = verify_one(id, argv[i], offset)) > worst)
            worst = r;
    }
    if (ntok == 0) {
        while ((n = getline(&line, &cap, stdin)) >= 0) {
            while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                line[--n] = '\0';
            if (n == 0)
                continue;
            ntok++;
            if (pause.tv_sec > 0 || pause.tv_nsec > 0)
                nanosleep(&pause, NULL);
            {
                char *sp = strchr(line, ' ');
                int64_t off = offset;

                if (sp != NULL) {
                    *sp = '\0';
                    off = strtoll(line, NULL, 10);
                }
                if ((r = verify_one(id, sp != NULL ? sp + 1 : line, off)) >
                    worst)
                    worst = r;
            }
        }
        free(line);
    }
    if (metrics) {
        struct meshca_buf *b = meshca_buf_new(1 << 20);

        if (b != NULL && identity_write_metrics(id, b) == 0)
            fwrite(meshca_buf_ptr(b), 1, meshca_buf_len(b), stdout);
        meshca_buf_free(b);
    }
    identity_free(id);
    config_free(cfg);
    return worst;
}
