/* OpenID Connect ID-token verification.  See identity.h. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cjose/cjose.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "meshca/url.h"
#include "meshca/clock.h"
#include "meshca/hex.h"
#include "identity.h"
#include "meshca/spiffe.h"
#include "jwks.h"
#include "log.h"
#include "meshcad_err.h"
#include "metrics.h"
#include "secretfile.h"
#include "threads.h"

/* Scheduled refresh bounds (seconds) around the server's max-age. */
#define REFRESH_MIN 300
#define REFRESH_MAX 86400
#define REFRESH_DEFAULT 3600
#define RETRY_MAX 300
/* Numeric dates accepted: 0 .. 9999-12-31T23:59:59Z. */
#define DATE_MAX 253402300799LL
#define SUB_MAX 1024
#define GROUPS_MAX 1024
#define AUD_MAX 64
#define JTI_MAX 64

struct issuer {
    const struct issuer_config *cfg;
    const char *trust_domain;       /* jwt-svid issuers: the mesh's */
    int remote;                     /* keys come from the network */
    pthread_rwlock_t keys_lock;     /* guards keys, keys_at */
    struct jwks *keys;
    int64_t keys_at;                /* wall clock of the fetch (file: load) */
    pthread_mutex_t fetch_lock;     /* one fetch at a time, held over I/O */
    pthread_mutex_t state_lock;     /* guards jwks_uri, last_error */
    char *jwks_uri;                 /* configured or discovered */
    char last_error[320];
    _Atomic int64_t last_attempt;   /* mono_ms(); 0: never */
    _Atomic int64_t next_refresh;   /* mono_ms() of the scheduled fetch */
    atomic_uint fails_in_row;
    _Atomic uint64_t refreshes, failures;
};

struct identity {
    struct issuer *issuers;
    size_t n;
    pthread_mutex_t mu;             /* guards stop, poked */
    pthread_cond_t cv;              /* on CLOCK_MONOTONIC */
    int stop, poked;
    pthread_t refresher;
    int refresher_running;
};

/* Milliseconds on the monotonic clock; never 0 ("never" in last_attempt). */
static int64_t
mono_ms(void)
{
    return meshca_mono_us() / 1000 + 1;
}

/* Text taken from a token, made safe for a reason string or a log line:
 * printable ASCII only, at most 48 bytes. */
static const char *
clean(const char *s, char *out, size_t outlen)
{
    size_t i, o = 0;

    for (i = 0; s[i] != '\0' && o + 4 < outlen && i < 48; i++)
        out[o++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    if (s[i] != '\0') {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

/* Key sets */

/* A reference to the issuer's usable keys at now, or NULL when it has none
 * or they are older than max_key_staleness (*hadp: it has a set at all). */
static struct jwks *
current_keys(struct issuer *is, int64_t now, int64_t *agep, int *hadp)
{
    struct jwks *ks;

    pthread_rwlock_rdlock(&is->keys_lock);
    ks = is->keys;
    *hadp = ks != NULL;
    *agep = now - is->keys_at;
    if (ks != NULL && is->remote && *agep > is->cfg->max_key_staleness)
        ks = NULL;
    jwks_ref(ks);
    pthread_rwlock_unlock(&is->keys_lock);
    return ks;
}

static void
set_error(struct issuer *is, const char *why)
{
    pthread_mutex_lock(&is->state_lock);
    snprintf(is->last_error, sizeof(is->last_error), "%s", why);
    pthread_mutex_unlock(&is->state_lock);
}

/* Finds jwks_uri in the issuer's discovery document.  Returns a new string
 * or NULL with the reason in why. */
static char *
discover(struct issuer *is, char *why, size_t whylen)
{
    const char *iss = is->cfg->issuer, *doc_iss, *ju;
    size_t il = strlen(iss);
    char url[1024];
    struct meshca_buf *body = NULL;
    int64_t max_age;
    json_t *doc = NULL;
    char *uri = NULL;

    snprintf(url, sizeof(url), "%.*s/.well-known/openid-configuration",
        (int)(il > 0 && iss[il - 1] == '/' ? il - 1 : il), iss);
    if (jwks_fetch(url, is->cfg->ca_file, &body, &max_age, why, whylen) != 0)
        goto out;
    doc = json_loadb((const char *)meshca_buf_ptr(body), meshca_buf_len(body), 0, NULL);
    doc_iss = json_string_value(json_object_get(doc, "issuer"));
    ju = json_string_value(json_object_get(doc, "jwks_uri"));
    if (doc_iss == NULL || strcmp(doc_iss, iss) != 0)
        snprintf(why, whylen, "the discovery document at %.200s names "
            "another issuer", url);
    else if (ju == NULL || url_check(ju, NULL, 0) != 0)
        snprintf(why, whylen, "the discovery document at %.200s has no "
            "usable jwks_uri (https, or http to loopback)", url);
    else if ((uri = strdup(ju)) == NULL)
        snprintf(why, whylen, "out of memory");
out:
    json_decref(doc);
    meshca_buf_free(body);
    return uri;
}

/* Fetches the issuer's key set (discovering jwks_uri first when needed) and
 * installs it.  Call with fetch_lock held.  Returns 0 or -1. */
static int
refresh_keys(struct issuer *is)
{
    char why[320], *uri = NULL;
    struct meshca_buf *body = NULL;
    struct jwks *ks = NULL, *old;
    int64_t max_age = -1, ttl, base, mono = mono_ms();
    unsigned fails;
    int discovered = 0, r = -1;

    atomic_store(&is->last_attempt, mono);
    pthread_mutex_lock(&is->state_lock);
    uri = is->jwks_uri != NULL ? strdup(is->jwks_uri) : NULL;
    pthread_mutex_unlock(&is->state_lock);
    if (uri == NULL) {
        if ((uri = discover(is, why, sizeof(why))) == NULL)
            goto out;
        discovered = 1;
    }
    if (jwks_fetch(uri, is->cfg->ca_file, &body, &max_age, why,
        sizeof(why)) != 0)
        goto out;
    if (jwks_parse(is->cfg->issuer, (const char *)meshca_buf_ptr(body),
        meshca_buf_len(body), &ks, why, sizeof(why)) != 0)
        goto out;
    if (discovered) {
        pthread_mutex_lock(&is->state_lock);
        if (is->jwks_uri == NULL) {
            is->jwks_uri = uri;
            uri = NULL;
        }
        pthread_mutex_unlock(&is->state_lock);
    }
    pthread_rwlock_wrlock(&is->keys_lock);
    old = is->keys;
    is->keys = ks;
    is->keys_at = (int64_t)time(NULL);
    pthread_rwlock_unlock(&is->keys_lock);
    jwks_unref(old);
    ttl = max_age < 0 ? REFRESH_DEFAULT : max_age;
    ttl = ttl < REFRESH_MIN ? REFRESH_MIN : ttl > REFRESH_MAX ? REFRESH_MAX :
        ttl;
    /* Refresh well before the cached set would go stale. */
    if (ttl > is->cfg->max_key_staleness / 2)
        ttl = is->cfg->max_key_staleness / 2 < 60 ? 60 :
            is->cfg->max_key_staleness / 2;
    atomic_store(&is->next_refresh, mono + ttl * 1000);
    atomic_store(&is->fails_in_row, 0);
    atomic_fetch_add(&is->refreshes, 1);
    set_error(is, "");
    log_json(LOG_LEVEL_INFO, "issuer keys refreshed", json_pack(
        "{s:s, s:I, s:I, s:I}", "issuer", is->cfg->issuer, "keys",
        (json_int_t)ks->n, "skipped", (json_int_t)ks->nskipped,
        "next_refresh_s", (json_int_t)ttl));
    r = 0;
out:
    if (r != 0) {
        /* Back off: key_refresh_interval, doubling, at most 5 min. */
        fails = atomic_fetch_add(&is->fails_in_row, 1);
        base = is->cfg->key_refresh_interval > 0 ?
            is->cfg->key_refresh_interval : 1;
        ttl = base << (fails > 8 ? 8 : fails);
        atomic_store(&is->next_refresh, mono + 1000 * (ttl > RETRY_MAX ?
            RETRY_MAX : ttl));
        atomic_fetch_add(&is->failures, 1);
        set_error(is, why);
        /* A configured jwks_uri stays; a discovered one is looked up
         * again next time, in case the provider moved it. */
        if (!discovered && is->cfg->jwks_uri == NULL) {
            pthread_mutex_lock(&is->state_lock);
            free(is->jwks_uri);
            is->jwks_uri = NULL;
            pthread_mutex_unlock(&is->state_lock);
        }
        log_json(LOG_LEVEL_WARN, "issuer keys not refreshed", json_pack(
            "{s:s, s:s}", "issuer", is->cfg->issuer, "error", why));
    }
    free(uri);
    meshca_buf_free(body);
    return r;
}

/* Fetches now unless a fetch was tried within key_refresh_interval (then
 * another thread's fresh result is used). */
static void
refresh_if_allowed(struct issuer *is)
{
    int64_t last;

    if (!is->remote)
        return;
    last = atomic_load(&is->last_attempt);
    if (last != 0 && mono_ms() - last < is->cfg->key_refresh_interval * 1000)
        return;
    pthread_mutex_lock(&is->fetch_lock);
    last = atomic_load(&is->last_attempt);
    if (last == 0 || mono_ms() - last >= is->cfg->key_refresh_interval * 1000)
        (void)refresh_keys(is);
    pthread_mutex_unlock(&is->fetch_lock);
}

static void *
refresher_main(void *arg)
{
    struct identity *id = arg;
    struct timespec ts;
    int64_t wake, mono, nr;
    size_t i;
    int poked;

    for (;;) {
        mono = mono_ms();
        wake = mono + 60000;
        for (i = 0; i < id->n; i++)
            if (id->issuers[i].remote &&
                (nr = atomic_load(&id->issuers[i].next_refresh)) < wake)
                wake = nr;
        pthread_mutex_lock(&id->mu);
        if (wake > mono && !id->stop && !id->poked) {
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_sec += (time_t)((wake - mono) / 1000);
            ts.tv_nsec += (long)((wake - mono) % 1000) * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            while (!id->stop && !id->poked &&
                pthread_cond_timedwait(&id->cv, &id->mu, &ts) != ETIMEDOUT)
                ;
        }
        poked = id->poked;
        id->poked = 0;
        if (id->stop) {
            pthread_mutex_unlock(&id->mu);
            break;
        }
        pthread_mutex_unlock(&id->mu);
        mono = mono_ms();
        for (i = 0; i < id->n; i++) {
            struct issuer *is = &id->issuers[i];
            int64_t age;
            struct jwks *ks;
            int had;

            if (!is->remote)
                continue;
            if (mono >= atomic_load(&is->next_refresh)) {
                pthread_mutex_lock(&is->fetch_lock);
                if (mono_ms() >= atomic_load(&is->next_refresh))
                    (void)refresh_keys(is);
                pthread_mutex_unlock(&is->fetch_lock);
            } else if (poked) {
                ks = current_keys(is, (int64_t)time(NULL), &age, &had);
                if (ks == NULL)
                    refresh_if_allowed(is);
                jwks_unref(ks);
            }
        }
    }
    return NULL;
}

int
identity_read_jwks_file(const struct issuer_config *icfg, struct jwks **setp,
    char *why, size_t whylen)
{
    struct stat st;
    FILE *f = NULL;
    char *data = NULL;
    size_t len = 0;
    int fd, r = MESHCA_ERR_JWKS_INVALID;

    *setp = NULL;
    /* regfile_open: a FIFO named here must not make check or serve wait. */
    if ((fd = regfile_open(icfg->jwks_file, 0, &st, why, whylen)) < 0)
        goto out;
    if ((f = fdopen(fd, "rb")) == NULL) {
        snprintf(why, whylen, "cannot open: %s", strerror(errno));
        close(fd);
        goto out;
    }
    if ((data = malloc(JWKS_FETCH_MAX_BYTES + 1)) == NULL) {
        r = MESHCA_ERR_ALLOC;
        snprintf(why, whylen, "out of memory");
        goto out;
    }
    len = fread(data, 1, JWKS_FETCH_MAX_BYTES + 1, f);
    if (ferror(f) || len > JWKS_FETCH_MAX_BYTES) {
        snprintf(why, whylen, "unreadable or larger than 512 KiB");
        goto out;
    }
    r = jwks_parse(icfg->issuer, data, len, setp, why, whylen);
out:
    if (f != NULL)
        fclose(f);
    free(data);
    return r;
}

static int
load_file(struct issuer *is)
{
    char why[320];
    int r;

    if ((r = identity_read_jwks_file(is->cfg, &is->keys, why,
        sizeof(why))) != 0) {
        log_json(LOG_LEVEL_ERROR, "cannot use the issuer's jwks_file",
            json_pack("{s:s, s:s, s:s}", "issuer", is->cfg->issuer, "path",
                is->cfg->jwks_file, "error", why));
        return r;
    }
    is->keys_at = (int64_t)time(NULL);
    atomic_fetch_add(&is->refreshes, 1);
    return 0;
}

int
identity_new(const struct config *cfg, struct identity **idp)
{
    struct identity *id = NULL;
    pthread_rwlockattr_t rwa;
    pthread_condattr_t ca;
    size_t i;
    int r = MESHCA_ERR_ALLOC, remote = 0;

    *idp = NULL;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return MESHCA_ERR_INTERNAL;
    if ((id = calloc(1, sizeof(*id))) == NULL)
        return MESHCA_ERR_ALLOC;
    pthread_mutex_init(&id->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&id->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (cfg->nissuers > 0 &&
        (id->issuers = calloc(cfg->nissuers, sizeof(*id->issuers))) == NULL)
        goto out;
    /* A key swap must not wait behind a steady stream of readers. */
    pthread_rwlockattr_init(&rwa);
    pthread_rwlockattr_setkind_np(&rwa,
        PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    for (i = 0; i < cfg->nissuers; i++) {
        struct issuer *is = &id->issuers[i];

        is->cfg = &cfg->issuers[i];
        is->trust_domain = cfg->mesh.trust_domain;
        is->remote = is->cfg->jwks_file == NULL;
        pthread_rwlock_init(&is->keys_lock, &rwa);
        pthread_mutex_init(&is->fetch_lock, NULL);
        pthread_mutex_init(&is->state_lock, NULL);
        id->n++;
        if (is->cfg->jwks_uri != NULL &&
            (is->jwks_uri = strdup(is->cfg->jwks_uri)) == NULL)
            break;
    }
    pthread_rwlockattr_destroy(&rwa);
    if (id->n != cfg->nissuers)
        goto out;
    for (i = 0; i < id->n; i++) {
        struct issuer *is = &id->issuers[i];

        if (!is->remote) {
            if ((r = load_file(is)) != 0)
                goto out;
            continue;
        }
        /* A provider that is down now must not stop the service. */
        remote = 1;
        pthread_mutex_lock(&is->fetch_lock);
        (void)refresh_keys(is);
        pthread_mutex_unlock(&is->fetch_lock);
    }
    if (remote) {
        if (pthread_create(&id->refresher, NULL, refresher_main, id) != 0) {
            r = MESHCA_ERR_SYSTEM;
            goto out;
        }
        id->refresher_running = 1;
    }
    *idp = id;
    id = NULL;
    r = 0;
out:
    identity_free(id);
    return r;
}

void
identity_free(struct identity *id)
{
    size_t i;

    if (id == NULL)
        return;
    if (id->refresher_running)
        threads_stop(&id->mu, &id->cv, &id->stop, &id->refresher, 1);
    for (i = 0; i < id->n; i++) {
        jwks_unref(id->issuers[i].keys);
        free(id->issuers[i].jwks_uri);
        pthread_rwlock_destroy(&id->issuers[i].keys_lock);
        pthread_mutex_destroy(&id->issuers[i].fetch_lock);
        pthread_mutex_destroy(&id->issuers[i].state_lock);
    }
    pthread_cond_destroy(&id->cv);
    pthread_mutex_destroy(&id->mu);
    free(id->issuers);
    free(id);
}

/* Verification */

/* base64url digit values; -1 for every other byte. */
static const signed char b64u_value[256] = {
    ['A'] = 0, ['B'] = 1, ['C'] = 2, ['D'] = 3, ['E'] = 4, ['F'] = 5,
    ['G'] = 6, ['H'] = 7, ['I'] = 8, ['J'] = 9, ['K'] = 10, ['L'] = 11,
    ['M'] = 12, ['N'] = 13, ['O'] = 14, ['P'] = 15, ['Q'] = 16, ['R'] = 17,
    ['S'] = 18, ['T'] = 19, ['U'] = 20, ['V'] = 21, ['W'] = 22, ['X'] = 23,
    ['Y'] = 24, ['Z'] = 25, ['a'] = 26, ['b'] = 27, ['c'] = 28, ['d'] = 29,
    ['e'] = 30, ['f'] = 31, ['g'] = 32, ['h'] = 33, ['i'] = 34, ['j'] = 35,
    ['k'] = 36, ['l'] = 37, ['m'] = 38, ['n'] = 39, ['o'] = 40, ['p'] = 41,
    ['q'] = 42, ['r'] = 43, ['s'] = 44, ['t'] = 45, ['u'] = 46, ['v'] = 47,
    ['w'] = 48, ['x'] = 49, ['y'] = 50, ['z'] = 51, ['0'] = 52, ['1'] = 53,
    ['2'] = 54, ['3'] = 55, ['4'] = 56, ['5'] = 57, ['6'] = 58, ['7'] = 59,
    ['8'] = 60, ['9'] = 61, ['-'] = 62, ['_'] = 63,
};

/* Checks n characters of canonical unpadded base64url; returns the decoded
 * length, or -1. */
static int64_t
b64u_length(const char *s, size_t n)
{
    size_t i;
    int v = 0, bad = 0;

    if (n % 4 == 1)
        return -1;
    /* 'A' is the only digit whose value is 0: every other byte with value
     * 0 in the table is not a digit. */
    for (i = 0; i < n; i++) {
        v = b64u_value[(unsigned char)s[i]];
        bad |= v < 0 || (v == 0 && s[i] != 'A');
    }
    if (bad)
        return -1;
    /* The unused low bits of the last character must be zero. */
    if ((n % 4 == 2 && (v & 0xf) != 0) || (n % 4 == 3 && (v & 0x3) != 0))
        return -1;
    return (int64_t)(n / 4 * 3 + (n % 4 == 2 ? 1 : n % 4 == 3 ? 2 : 0));
}

/* Decodes one base64url part holding a JSON object (duplicate members
 * refused).  Also returns the decoded bytes when bytesp is not NULL. */
static json_t *
decode_part(const char *s, size_t len, uint8_t **bytesp, size_t *blenp)
{
    uint8_t *d = NULL;
    size_t dl = 0;
    json_t *j;

    if (meshca_b64_decode(s, len, 1, &d, &dl) != 0)
        return NULL;
    j = json_loadb((const char *)d, dl, JSON_REJECT_DUPLICATES, NULL);
    if (j != NULL && !json_is_object(j)) {
        json_decref(j);
        j = NULL;
    }
    if (j != NULL && bytesp != NULL) {
        *bytesp = d;
        *blenp = dl;
    } else
        free(d);
    return j;
}

static int
alg_allowed(const struct issuer_config *ic, const char *alg)
{
    size_t i;

    for (i = 0; i < ic->nalgorithms; i++)
        if (strcmp(ic->algorithms[i], alg) == 0)
            return 1;
    return 0;
}

static int
is_audience(const struct issuer_config *ic, const char *s)
{
    size_t i;

    for (i = 0; s != NULL && i < ic->naudiences; i++)
        if (strcmp(ic->audiences[i], s) == 0)
            return 1;
    return 0;
}

/* A NumericDate claim: 0 absent, 1 present (*vp set), -1 wrong type,
 * -2 out of range.  Fractions are dropped. */
static int
date_claim(const json_t *o, const char *name, int64_t *vp)
{
    const json_t *v = json_object_get(o, name);
    double d;

    if (v == NULL)
        return 0;
    if (json_is_integer(v)) {
        if (json_integer_value(v) < 0 || json_integer_value(v) > DATE_MAX)
            return -2;
        *vp = (int64_t)json_integer_value(v);
        return 1;
    }
    if (!json_is_real(v))
        return -1;
    d = json_real_value(v);
    if (!(d >= 0 && d <= (double)DATE_MAX))
        return -2;
    *vp = (int64_t)d;
    return 1;
}

/* An optional string claim: 0 absent, 1 copied into *outp, -1 wrong type,
 * -2 out of memory. */
static int
str_claim(const json_t *o, const char *name, char **outp)
{
    const json_t *v = json_object_get(o, name);

    if (v == NULL)
        return 0;
    if (!json_is_string(v) || strlen(json_string_value(v)) !=
        json_string_length(v))
        return -1;
    if ((*outp = strdup(json_string_value(v))) == NULL)
        return -2;
    return 1;
}

static int
has_control(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

#define FAIL(...)                                                              \
    do {                                                                       \
        snprintf(why, whylen, __VA_ARGS__);                                    \
        r = MESHCA_ERR_TOKEN_INVALID;                                          \
        goto out;                                                              \
    } while (0)

/* Checks the protected header; NULL when fine, else the reason. */
static const char *
check_header(const json_t *hdr, char *buf, size_t buflen)
{
    static const char *const untrusted[] = { "jku", "jwk", "x5u", "x5c",
        NULL };
    const json_t *v;
    const char *typ;
    size_t i;

    if (!json_is_string(json_object_get(hdr, "alg")))
        return "header has no alg string";
    if (json_object_get(hdr, "enc") != NULL)
        return "encrypted tokens (JWE) are not accepted";
    if (json_object_get(hdr, "crit") != NULL)
        return "header has crit: no JWS extension is supported";
    for (i = 0; untrusted[i] != NULL; i++)
        if (json_object_get(hdr, untrusted[i]) != NULL) {
            snprintf(buf, buflen, "header %s is not accepted (keys come "
                "only from the issuer's configured key set)", untrusted[i]);
            return buf;
        }
    if ((v = json_object_get(hdr, "cty")) != NULL)
        return json_is_string(v) && strcasecmp(json_string_value(v), "JWT") ==
            0 ? "nested JWTs (cty JWT) are not accepted" :
            "header cty is not accepted (an ID token has no content type)";
    if ((v = json_object_get(hdr, "typ")) != NULL &&
        (!json_is_string(v) || ((typ = json_string_value(v)),
        strcasecmp(typ, "JWT") != 0 && strcasecmp(typ, "application/jwt") !=
        0)))
        return "header typ is not JWT (an access token or another kind of "
            "JWT is not an ID token)";
    if ((v = json_object_get(hdr, "kid")) != NULL && !json_is_string(v))
        return "kid must be a string";
    return NULL;
}

/* The key for kid and alg in set.  NULL with the reason in why; *unknownp
 * says the kid is not in the set (a refresh may help). */
static const struct jwk *
pick_key(const struct jwks *set, const char *kid, const char *alg,
    enum jwk_family fam, int *unknownp, char *why, size_t whylen)
{
    const struct jwk *k = NULL;
    char c1[64], c2[64];
    size_t i;

    *unknownp = 0;
    if (kid == NULL) {
        if (set->n != 1) {
            snprintf(why, whylen, "the token has no kid and the issuer has "
                "%zu keys", set->n);
            return NULL;
        }
        k = &set->keys[0];
    } else {
        for (i = 0; i < set->n && k == NULL; i++)
            if (set->keys[i].kid != NULL && strcmp(set->keys[i].kid, kid) == 0)
                k = &set->keys[i];
        if (k == NULL) {
            *unknownp = 1;
            snprintf(why, whylen, "unknown key id (kid) %s",
                clean(kid, c1, sizeof(c1)));
            return NULL;
        }
    }
    if (k->family != fam) {
        snprintf(why, whylen, "key %s cannot verify alg %s",
            k->kid ? clean(k->kid, c1, sizeof(c1)) : "(no kid)",
            clean(alg, c2, sizeof(c2)));
        return NULL;
    }
    if (k->alg != NULL && strcmp(k->alg, alg) != 0) {
        snprintf(why, whylen, "key %s is for alg %s, not %s",
            k->kid ? clean(k->kid, c1, sizeof(c1)) : "(no kid)", k->alg,
            clean(alg, c2, sizeof(c2)));
        return NULL;
    }
    return k;
}

/* exp, nbf, iat, auth_time and the token's age.  A JWT-SVID may lack iat
 * (SPIFFE's JWT profile makes it optional): then its whole lifetime must be
 * within max_token_age. */
static int
check_times(const struct issuer *is, json_t *pl, int64_t now,
    struct claims *c, char *why, size_t whylen)
{
    const struct issuer_config *ic = is->cfg;
    int64_t lw = ic->leeway, ref;
    int r = MESHCA_ERR_TOKEN_INVALID, q;

    if ((q = date_claim(pl, "exp", &c->exp)) != 1)
        FAIL("%s", q == -2 ? "exp is out of range" : "exp is missing or "
            "not a number");
    if (now - lw >= c->exp)
        FAIL("token expired %lld s ago", (long long)(now - c->exp));
    if ((q = date_claim(pl, "nbf", &c->nbf)) < 0)
        FAIL("%s", q == -2 ? "nbf is out of range" : "nbf is not a number");
    if (q == 1 && now + lw < c->nbf)
        FAIL("token not valid yet (nbf in %lld s)", (long long)(c->nbf -
            now));
    if ((q = date_claim(pl, "iat", &c->iat)) == 0 && ic->jwt_svid) {
        if (c->exp - now > ic->max_token_age + lw)
            FAIL("a JWT-SVID without iat must expire within max_token_age "
                "(%lld s)", (long long)ic->max_token_age);
        return 0;
    }
    if (q != 1)
        FAIL("%s", q == -2 ? "iat is out of range" : "iat is missing or "
            "not a number");
    if (c->iat > now + lw)
        FAIL("token issued in the future (iat %lld s ahead)",
            (long long)(c->iat - now));
    if ((q = date_claim(pl, "auth_time", &c->auth_time)) < 0)
        FAIL("%s", q == -2 ? "auth_time is out of range" : "auth_time is "
            "not a number");
    if (q == 1 && c->auth_time > now + lw)
        FAIL("auth_time is in the future");
    ref = q == 1 ? c->auth_time : c->iat;
    if (now - ref > ic->max_token_age + lw)
        FAIL("token too old: %s %lld s ago, at most %lld s allowed",
            q == 1 ? "the person authenticated" : "issued",
            (long long)(now - ref), (long long)ic->max_token_age);

    r = 0;
out:
    return r;
}

/* Claim checks and extraction, after the signature verified. */
static int
check_claims(const struct issuer *is, json_t *pl, int64_t now,
    struct claims *c, char *why, size_t whylen)
{
    const struct issuer_config *ic = is->cfg;
    json_t *aud, *v, *e;
    size_t i;
    int r = MESHCA_ERR_TOKEN_INVALID, q, found = 0;

    if ((r = check_times(is, pl, now, c, why, whylen)) != 0)
        goto out;
    r = MESHCA_ERR_TOKEN_INVALID;

    aud = json_object_get(pl, "aud");
    if (json_is_string(aud))
        found = is_audience(ic, json_string_value(aud));
    else if (json_is_array(aud) && json_array_size(aud) > 0 &&
        json_array_size(aud) <= AUD_MAX) {
        json_array_foreach(aud, i, e) {
            if (!json_is_string(e))
                FAIL("aud must be a string or an array of strings");
            found |= is_audience(ic, json_string_value(e));
        }
    } else
        FAIL("aud is missing or not a string or array of strings");
    if (!found)
        FAIL("audience is not this service's");
    if ((q = str_claim(pl, "azp", &c->azp)) == -2)
        return MESHCA_ERR_ALLOC;
    if (q == -1)
        FAIL("azp is not a string");
    if (json_is_array(aud) && json_array_size(aud) > 1 && c->azp == NULL)
        FAIL("several audiences and azp is missing: it must be this "
            "service's audience");
    if (c->azp != NULL && !is_audience(ic, c->azp))
        FAIL("azp is not this service's audience");

    if ((q = str_claim(pl, "sub", &c->sub)) == -2)
        return MESHCA_ERR_ALLOC;
    if (q != 1 || c->sub[0] == '\0')
        FAIL("sub is missing or not a non-empty string");
    if (strlen(c->sub) > SUB_MAX || has_control(c->sub))
        FAIL("sub is longer than 1024 bytes or holds control characters");
    {
        static const char *const names[] = { "email", "name", "jti",
            "nonce" };
        char **outs[] = { &c->email, &c->name, &c->jti, &c->nonce };

        for (i = 0; i < 4; i++) {
            if ((q = str_claim(pl, names[i], outs[i])) == -2)
                return MESHCA_ERR_ALLOC;
            if (q == -1)
                FAIL("%s is not a string", names[i]);
        }
    }
    if (c->email != NULL && has_control(c->email))
        FAIL("email holds control characters");
    if ((v = json_object_get(pl, "email_verified")) != NULL) {
        /* A JSON boolean (OIDC Core 5.1).  Some providers (Amazon Cognito)
         * send the strings "true" / "false": only where the issuer's
         * config says email_verified_string. */
        if (json_is_boolean(v))
            c->email_verified = json_is_true(v);
        else if (ic->email_verified_string && json_is_string(v) &&
            (strcmp(json_string_value(v), "true") == 0 ||
            strcmp(json_string_value(v), "false") == 0))
            c->email_verified = json_string_value(v)[0] == 't';
        else
            FAIL("email_verified must be a boolean%s", json_is_string(v) &&
                !ic->email_verified_string ? " (a provider that sends "
                "\"true\" needs email_verified_string in the issuer's "
                "config)" : "");
    }
    if ((v = json_object_get(pl, "groups")) != NULL) {
        if (!json_is_array(v) || json_array_size(v) > GROUPS_MAX)
            FAIL("groups must be an array of strings (at most 1024)");
        if ((c->groups = calloc(json_array_size(v) + 1,
            sizeof(char *))) == NULL)
            return MESHCA_ERR_ALLOC;
        json_array_foreach(v, i, e) {
            if (!json_is_string(e) || strlen(json_string_value(e)) !=
                json_string_length(e))
                FAIL("groups must be an array of strings");
            if ((c->groups[c->ngroups] = strdup(json_string_value(e))) ==
                NULL)
                return MESHCA_ERR_ALLOC;
            c->ngroups++;
        }
    }
    r = 0;
out:
    return r;
}

/* A JWT-SVID's sub: a SPIFFE ID of the mesh's trust domain, which
 * becomes the claims' spiffe_id (what roles' spiffe_ids match). */
static int
check_svid_sub(const struct issuer *is, struct claims *c, char *why,
    size_t whylen)
{
    char reason[160];

    if (!is->cfg->jwt_svid)
        return 0;
    if (spiffe_id_check(c->sub, is->trust_domain, reason,
        sizeof(reason)) != 0) {
        snprintf(why, whylen, "the JWT-SVID's sub is not a SPIFFE ID of "
            "trust domain %s: %s", is->trust_domain ? is->trust_domain :
            "(none)", reason);
        return MESHCA_ERR_TOKEN_INVALID;
    }
    return (c->spiffe_id = strdup(c->sub)) == NULL ? MESHCA_ERR_ALLOC : 0;
}

/* A compact JWS taken apart by token_parse: what identity_verify checks
 * before and after the signature. */
struct jws_parts {
    const char *dot1, *dot2;   /* the dots, in the token */
    json_t *hdr, *pl;          /* owned */
    uint8_t *plbytes;          /* the payload's bytes, as signed; owned */
    size_t pllen;
    const char *alg, *kid;     /* borrowed from hdr; kid may be NULL */
    enum jwk_family fam;
    int64_t siglen;            /* decoded length of the signature */
    struct issuer *is;         /* the token's issuer, one of ours */
};

static void
jws_parts_clear(struct jws_parts *jp)
{
    json_decref(jp->hdr);
    json_decref(jp->pl);
    free(jp->plbytes);
    memset(jp, 0, sizeof(*jp));
}

/* The three dot-separated parts of a compact JWS.  Returns 0 or
 * MESHCA_ERR_TOKEN_INVALID with why set. */
static int
token_split(const char *token, size_t len, struct jws_parts *jp, char *why,
    size_t whylen)
{
    const char *dot1, *dot2;
    int r = MESHCA_ERR_TOKEN_INVALID;

    if (len > IDENTITY_TOKEN_MAX)
        FAIL("token larger than %d bytes", IDENTITY_TOKEN_MAX);
    if (len == 0 || memchr(token, '\0', len) != NULL)
        FAIL("empty token or a NUL byte in it");
    if ((dot1 = memchr(token, '.', len)) == NULL ||
        (dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token))) ==
        NULL)
        FAIL("not a compact JWS (three dot-separated parts)");
    if (memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) != NULL)
        FAIL("not a compact JWS: more than three parts (an encrypted JWE?)");
    jp->dot1 = dot1;
    jp->dot2 = dot2;
    r = 0;
out:
    return r;
}

/* The one jwt-svid issuer, or NULL (none, or several). */
static struct issuer *
only_jwt_svid_issuer(struct identity *id)
{
    struct issuer *found = NULL;
    size_t i;

    for (i = 0; i < id->n; i++) {
        if (!id->issuers[i].cfg->jwt_svid)
            continue;
        if (found != NULL)
            return NULL;
        found = &id->issuers[i];
    }
    return found;
}

/* Takes the token apart and checks its form, its issuer and its algorithm:
 * everything before any key or cryptography.  Returns 0 or
 * MESHCA_ERR_TOKEN_INVALID with why set; jp holds what was decoded either
 * way (jws_parts_clear frees it). */
static int
token_parse(struct identity *id, const char *token, size_t len,
    struct jws_parts *jp, char *why, size_t whylen)
{
    const char *iss, *hwhy;
    char c1[64], hbuf[160];
    size_t i;
    int r;

    if ((r = token_split(token, len, jp, why, whylen)) != 0)
        return r;
    r = MESHCA_ERR_TOKEN_INVALID;
    if ((jp->hdr = decode_part(token, (size_t)(jp->dot1 - token), NULL,
        NULL)) == NULL)
        FAIL("header is not a base64url-encoded JSON object (without "
            "duplicate members)");
    if ((hwhy = check_header(jp->hdr, hbuf, sizeof(hbuf))) != NULL)
        FAIL("%s", hwhy);
    jp->alg = json_string_value(json_object_get(jp->hdr, "alg"));
    jp->kid = json_string_value(json_object_get(jp->hdr, "kid"));
    if ((jp->pl = decode_part(jp->dot1 + 1, (size_t)(jp->dot2 - jp->dot1 - 1),
        &jp->plbytes, &jp->pllen)) == NULL)
        FAIL("payload is not a base64url-encoded JSON object (without "
            "duplicate members)");
    if ((iss = json_string_value(json_object_get(jp->pl, "iss"))) == NULL &&
        json_object_get(jp->pl, "iss") != NULL)
        FAIL("iss is not a string");
    if (iss == NULL && (jp->is = only_jwt_svid_issuer(id)) == NULL)
        FAIL("iss is missing (only a JWT-SVID may omit it, when exactly one "
            "jwt-svid issuer is configured)");
    for (i = 0; iss != NULL && i < id->n && jp->is == NULL; i++)
        if (strcmp(id->issuers[i].cfg->issuer, iss) == 0)
            jp->is = &id->issuers[i];
    if (jp->is == NULL)
        FAIL("issuer %s is not trusted", clean(iss, c1, sizeof(c1)));
    /* The algorithm allow-list comes before any cryptography. */
    if (!alg_allowed(jp->is->cfg, jp->alg))
        FAIL("alg %s is not allowed for this issuer",
            clean(jp->alg, c1, sizeof(c1)));
    if ((jp->fam = jwks_alg_family(jp->alg)) == JWK_FAMILY_NONE)
        FAIL("alg %s is not supported", clean(jp->alg, c1, sizeof(c1)));
    if ((jp->siglen = b64u_length(jp->dot2 + 1,
        len - (size_t)(jp->dot2 + 1 - token))) <= 0)
        FAIL("signature missing or not base64url");
    r = 0;
out:
    return r;
}

/* Why an issuer has no usable keys: none fetched yet (had 0) or stale
 * (fetched age seconds ago). */
static void
keys_unavailable_why(struct issuer *is, int had, int64_t age, char *why,
    size_t whylen)
{
    pthread_mutex_lock(&is->state_lock);
    if (!had)
        snprintf(why, whylen, "no keys for issuer %s: %s", is->cfg->issuer,
            is->last_error[0] ? is->last_error : "not fetched yet");
    else
        snprintf(why, whylen, "the keys of issuer %s are stale (fetched "
            "%lld s ago, at most %lld s): %s", is->cfg->issuer,
            (long long)age, (long long)is->cfg->max_key_staleness,
            is->last_error[0] ? is->last_error : "the provider was not "
            "asked again yet (key_refresh_interval)");
    pthread_mutex_unlock(&is->state_lock);
}

/* The key that must have signed the token, from its issuer's set only.  An
 * unknown kid (or no keys at all) fetches the set again, at most once per
 * interval.  Returns 0 with *ksp (a reference: caller unrefs) and *keyp (in
 * it); MESHCA_ERR_TOKEN_KEYS_UNAVAILABLE; or MESHCA_ERR_TOKEN_INVALID (why
 * set by pick_key); on error *ksp is NULL. */
static int
token_key(const struct jws_parts *jp, int64_t now, struct jwks **ksp,
    const struct jwk **keyp, char *why, size_t whylen)
{
    struct issuer *is = jp->is;
    struct jwks *ks;
    const struct jwk *key = NULL;
    int64_t age = 0;
    int unknown = 0, had = 0;

    *ksp = NULL;
    *keyp = NULL;
    ks = current_keys(is, now, &age, &had);
    if (ks != NULL)
        key = pick_key(ks, jp->kid, jp->alg, jp->fam, &unknown, why, whylen);
    if (ks == NULL || (key == NULL && unknown && is->remote)) {
        jwks_unref(ks);
        refresh_if_allowed(is);
        if ((ks = current_keys(is, now, &age, &had)) != NULL)
            key = pick_key(ks, jp->kid, jp->alg, jp->fam, &unknown, why,
                whylen);
    }
    if (ks == NULL) {
        keys_unavailable_why(is, had, age, why, whylen);
        return MESHCA_ERR_TOKEN_KEYS_UNAVAILABLE;
    }
    if (key == NULL) {
        jwks_unref(ks);
        return MESHCA_ERR_TOKEN_INVALID;
    }
    *ksp = ks;
    *keyp = key;
    return 0;
}

/* The signature, by key, over exactly the payload bytes token_parse read.
 * Returns 0 or MESHCA_ERR_TOKEN_INVALID with why set. */
static int
token_check_signature(const char *token, size_t len,
    const struct jws_parts *jp, const struct jwk *key, char *why,
    size_t whylen)
{
    cjose_jws_t *jws = NULL;
    cjose_err cerr;
    uint8_t *cplain = NULL;
    size_t cplen = 0;
    int r = MESHCA_ERR_TOKEN_INVALID;

    if (jp->fam == JWK_FAMILY_RSA ? jp->siglen != (key->bits + 7) / 8 :
        jp->siglen != 2 * (key->bits / 8))
        FAIL("signature has the wrong length for the key");
    if ((jws = cjose_jws_import(token, len, &cerr)) == NULL)
        FAIL("malformed token (cjose: %s)", cerr.message);
    if (!cjose_jws_verify(jws, key->key, &cerr))
        FAIL("signature verification failed");
    /* The claims read later are the bytes cjose verified. */
    if (!cjose_jws_get_plaintext(jws, &cplain, &cplen, &cerr) ||
        cplen != jp->pllen || memcmp(cplain, jp->plbytes, jp->pllen) != 0)
        FAIL("payload does not match the verified content");
    r = 0;
out:
    cjose_jws_release(jws);
    return r;
}

/* The replay id: the jti when it is usable as it is, else the hex SHA-256
 * of the jti, or of the signed part of the token (up to dot2) without
 * one. */
static void
set_replay_id(struct claims *c, const char *token, const char *dot2)
{
    unsigned char h[SHA256_DIGEST_LENGTH];
    size_t jl = c->jti != NULL ? strlen(c->jti) : 0;

    if (c->jti != NULL && jl > 0 && jl <= JTI_MAX && !has_control(c->jti)) {
        memcpy(c->replay_id, c->jti, jl + 1);
        return;
    }
    if (c->jti != NULL)
        SHA256((const unsigned char *)c->jti, jl, h);
    else
        SHA256((const unsigned char *)token, (size_t)(dot2 - token), h);
    meshca_hex_encode(h, sizeof(h), c->replay_id, sizeof(c->replay_id));
}

/* The claims of a verified token, checked.  Returns 0 and *cp (taking over
 * jp->pl as c->raw), MESHCA_ERR_TOKEN_INVALID with why set, or
 * MESHCA_ERR_ALLOC. */
static int
token_claims(struct jws_parts *jp, const char *token, int64_t now,
    struct claims **cp, char *why, size_t whylen)
{
    struct claims *c;
    int r;

    if ((c = calloc(1, sizeof(*c))) == NULL)
        return MESHCA_ERR_ALLOC;
    if ((r = check_claims(jp->is, jp->pl, now, c, why, whylen)) != 0 ||
        (r = check_svid_sub(jp->is, c, why, whylen)) != 0)
        goto out;
    if ((c->iss = strdup(jp->is->cfg->issuer)) == NULL) {
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    set_replay_id(c, token, jp->dot2);
    c->raw = jp->pl;
    jp->pl = NULL;
    *cp = c;
    c = NULL;
out:
    claims_free(c);
    return r;
}

int
identity_verify(struct identity *id, const char *token, size_t len,
    int64_t now, struct claims **cp, char *why, size_t whylen)
{
    struct jws_parts jp;
    struct jwks *ks = NULL;
    const struct jwk *key = NULL;
    int r;

    memset(&jp, 0, sizeof(jp));
    *cp = NULL;
    snprintf(why, whylen, "invalid token");
    if ((r = token_parse(id, token, len, &jp, why, whylen)) == 0 &&
        (r = token_key(&jp, now, &ks, &key, why, whylen)) == 0 &&
        (r = token_check_signature(token, len, &jp, key, why,
        whylen)) == 0 &&
        (r = token_claims(&jp, token, now, cp, why, whylen)) == 0)
        why[0] = '\0';
    if (r != 0 && r != MESHCA_ERR_TOKEN_INVALID &&
        r != MESHCA_ERR_TOKEN_KEYS_UNAVAILABLE)
        snprintf(why, whylen, "%s", meshcad_strerror(r));
    jwks_unref(ks);
    jws_parts_clear(&jp);
    return r;
}

#undef FAIL

int
identity_check_key_binding(const struct claims *c, const uint8_t *blob,
    size_t len)
{
    unsigned char h[SHA256_DIGEST_LENGTH];
    char *want = NULL;
    int r = MESHCA_ERR_TOKEN_INVALID;

    if (c == NULL || c->nonce == NULL)
        return r;
    SHA256(blob, len, h);
    if (meshca_b64_encode(h, sizeof(h), 1, &want) != 0)
        return MESHCA_ERR_ALLOC;
    if (strlen(c->nonce) == strlen(want) &&
        CRYPTO_memcmp(c->nonce, want, strlen(want)) == 0)
        r = 0;
    free(want);
    return r;
}

int
identity_ready(struct identity *id, char *why, size_t whylen)
{
    int64_t now = (int64_t)time(NULL), age = 0;
    int r = 0, had = 0;
    size_t i;

    for (i = 0; i < id->n; i++) {
        struct issuer *is = &id->issuers[i];
        struct jwks *ks = current_keys(is, now, &age, &had);

        if (ks == NULL && r == 0) {
            pthread_mutex_lock(&is->state_lock);
            snprintf(why, whylen, "no keys for issuer %s: %s",
                is->cfg->issuer, is->last_error[0] ? is->last_error :
                had ? "the cached keys are stale" :
                "not fetched yet");
            pthread_mutex_unlock(&is->state_lock);
            r = MESHCA_ERR_TOKEN_KEYS_UNAVAILABLE;
        }
        jwks_unref(ks);
    }
    if (r != 0 && id->refresher_running) {
        pthread_mutex_lock(&id->mu);
        id->poked = 1;
        pthread_cond_signal(&id->cv);
        pthread_mutex_unlock(&id->mu);
    }
    return r;
}

/* A Prometheus label value: backslash, quote and newline escaped. */
static void
label(const char *s, char *out, size_t outlen)
{
    size_t o = 0;

    for (; *s != '\0' && o + 3 < outlen; s++) {
        if (*s == '\\' || *s == '"' || *s == '\n') {
            out[o++] = '\\';
            out[o++] = *s == '\n' ? 'n' : *s;
        } else
            out[o++] = *s;
    }
    out[o] = '\0';
}

int
identity_write_metrics(struct identity *id, struct meshca_buf *out)
{
    static const char *const heads[] = {
        "# HELP meshca_key_refreshes_total Issuer key-set loads and fetches "
        "that succeeded.\n# TYPE meshca_key_refreshes_total counter\n",
        "# HELP meshca_key_refresh_failures_total Issuer key-set fetches that "
        "failed.\n# TYPE meshca_key_refresh_failures_total counter\n",
        "# HELP meshca_issuer_keys Usable keys held for the issuer.\n"
        "# TYPE meshca_issuer_keys gauge\n",
        "# HELP meshca_issuer_keys_age_seconds Age of the issuer's key set "
        "(no sample until one is loaded).\n"
        "# TYPE meshca_issuer_keys_age_seconds gauge\n",
    };
    static const char *const names[] = { "meshca_key_refreshes_total",
        "meshca_key_refresh_failures_total", "meshca_issuer_keys",
        "meshca_issuer_keys_age_seconds" };
    int64_t now = (int64_t)time(NULL);
    char lab[512];
    size_t i, m;
    int r;

    for (m = 0; m < 4; m++) {
        if ((r = metrics_printf(out, "%s", heads[m])) != 0)
            return r;
        for (i = 0; i < id->n; i++) {
            struct issuer *is = &id->issuers[i];
            long long v;

            if (m == 0)
                v = (long long)atomic_load(&is->refreshes);
            else if (m == 1)
                v = (long long)atomic_load(&is->failures);
            else {
                pthread_rwlock_rdlock(&is->keys_lock);
                v = is->keys == NULL ? (m == 2 ? 0 : -1) : m == 2 ?
                    (long long)is->keys->n : (long long)(now - is->keys_at);
                pthread_rwlock_unlock(&is->keys_lock);
            }
            /* No keys yet: no age sample (meshca_issuer_keys says 0). */
            if (m == 3 && v < 0)
                continue;
            label(is->cfg->issuer, lab, sizeof(lab));
            if ((r = metrics_printf(out, "%s{issuer=\"%s\"} %lld\n", names[m],
                lab, v)) != 0)
                return r;
        }
    }
    return 0;
}
