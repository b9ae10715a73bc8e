/* POST /v1/logins: hosts' sshd logins into the ledger.  See logins.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "meshca/clock.h"
#include "meshca/hex.h"
#include "meshca/policy.h"
#include "auth.h"
#include "ledger.h"
#include "logins.h"
#include "meshcad_err.h"
#include "server.h"
#include "svid.h"

#define FIELD_MAX 512

static const char *const results[] = { "accepted", "revoked",
    "wrong_principal", "expired", "refused", NULL };

static int
host_name_ok(const char *s, size_t n)
{
    size_t i;

    if (n == 0 || n > 253)
        return 0;
    for (i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '-' &&
            s[i] != '_')
            return 0;
    return 1;
}

/* One "HOST sha256:HEX" line: 1 when it lists digest (host set), 0 when
 * not, -1 when malformed. */
static int
token_line(char *line, const uint8_t digest[SHA256_DIGEST_LENGTH],
    char **hostp)
{
    uint8_t want[SHA256_DIGEST_LENGTH];
    char *host = line, *h;
    size_t hl, len;

    hl = strcspn(host, " \t");
    h = host + hl + strspn(host + hl, " \t");
    len = strcspn(h, " \t\r\n");
    if (!host_name_ok(host, hl) || strncmp(h, "sha256:", 7) != 0 ||
        len != 7 + 2 * SHA256_DIGEST_LENGTH ||
        h[len + strspn(h + len, " \t\r\n")] != '\0')
        return -1;
    h[len] = '\0';
    if (meshca_hex_decode(h + 7, want, sizeof(want)) != 0)
        return -1;
    if (CRYPTO_memcmp(want, digest, sizeof(want)) != 0)
        return 0;
    host[hl] = '\0';
    return (*hostp = strdup(host)) != NULL ? 1 : -1;
}

int
logins_token_lookup(const char *path, const char *token, char **hostp,
    size_t *linep)
{
    uint8_t digest[SHA256_DIGEST_LENGTH];
    char line[1024], *p, *other;
    size_t no = 0;
    FILE *f;
    int r = 1, k;

    *hostp = NULL;
    *linep = 0;
    if ((f = fopen(path, "re")) == NULL)
        return MESHCA_ERR_SYSTEM;
    SHA256((const uint8_t *)token, strlen(token), digest);
    while (fgets(line, sizeof(line), f) != NULL) {
        no++;
        p = line + strspn(line, " \t");
        if (*p == '#' || *p == '\n' || *p == '\0')
            continue;
        /* Every line is read, also after a match: a broken file is an
         * error however its lines are ordered. */
        other = NULL;
        k = token_line(p, digest, *hostp == NULL ? hostp : &other);
        free(other);    /* the same token listed twice: the first line wins */
        if (k < 0) {
            *linep = no;
            r = MESHCA_ERR_INVALID_FORMAT;
            break;
        }
        if (k == 1 && r == 1)
            r = 0;
    }
    fclose(f);
    OPENSSL_cleanse(digest, sizeof(digest));
    if (r != 0) {
        free(*hostp);
        *hostp = NULL;
    }
    return r;
}

/*
 * A host proven by its mesh identity (issue #16): its X.509-SVID as the TLS
 * client certificate, or behind its sidecar the XFCC header (req_workload
 * checks both as for POST /v1/host-certificates).  The host is the first
 * host name the policy's "hosts" section grants that SPIFFE ID, the name its
 * host certificate carries first.  Returns it (caller frees) or NULL with
 * an error queued.
 */
static char *
host_from_workload(struct request *req)
{
    struct policy_host_decision *dec = NULL;
    struct policy *pol;
    char *id, *host = NULL;
    int r;

    if ((id = req_workload(req)) == NULL)
        return NULL;
    pol = server_policy(req->srv);
    r = policy_decide_host(pol, id, 0, &dec);
    if (r == 0 && dec->nprincipals > 0) {
        if ((host = strdup(dec->principals[0])) == NULL)
            req_error(req, 500, "internal", "out of memory");
    } else if (r == 0 || r == MESHCA_ERR_POLICY_DENIED)
        req_error(req, 403, "forbidden", "the policy grants %s no host name, "
            "so it cannot report logins as a host: add it to the policy's "
            "\"hosts\" section (%s)", id, dec != NULL && dec->denial != NULL ?
            dec->denial : "no principals");
    else
        req_error(req, 500, "internal", "the policy cannot decide: %s",
            meshcad_strerror(r));
    policy_host_decision_free(dec);
    policy_unref(pol);
    free(id);
    return host;
}

char *
logins_host_auth(struct request *req)
{
    const struct config *cfg = req->srv->cfg;
    const char *h = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
        MHD_HTTP_HEADER_AUTHORIZATION);
    char *host = NULL;
    size_t line;
    int r;

    /* No token, but a mesh identity: the host's SVID (or its sidecar's
     * XFCC) names it. */
    if (h == NULL && cfg->mesh.trust_domain != NULL &&
        (svid_peer_present(req) || MHD_lookup_connection_value(req->conn,
        MHD_HEADER_KIND, "X-Forwarded-Client-Cert") != NULL))
        return host_from_workload(req);
    if (cfg->logins.host_tokens == NULL) {
        req_error(req, 404, "not_found", "this meshcad takes no login "
            "reports: configure logins.host_tokens (meshcad.json(5)), or "
            "with a mesh section present the host's X.509-SVID");
        return NULL;
    }
    if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0 || h[7] == '\0') {
        req_error(req, 401, "invalid_token", "a host token is required: send "
            "it as \"Authorization: Bearer <token>\" (meshca host-report "
            "--token-file does)");
        return NULL;
    }
    r = logins_token_lookup(cfg->logins.host_tokens, h + 7, &host, &line);
    if (r == 0)
        return host;
    if (r == 1)
        req_error(req, 401, "invalid_token", "this host token is not in "
            "logins.host_tokens");
    else {
        log_msg(LOG_LEVEL_ERROR, "logins.host_tokens %s: %s",
            cfg->logins.host_tokens, r == MESHCA_ERR_INVALID_FORMAT ?
            "a line is not \"HOST sha256:HEX\"" : strerror(errno));
        req_error(req, 503, "unavailable", "the host token file cannot be "
            "read (line %zu); see meshcad's log", line);
    }
    return NULL;
}

int
logins_parse_time_us(const char *s, int64_t *usp)
{
    char whole[32];
    const char *dot = strchr(s, '.');
    int64_t t, frac = 0, scale = 1000000;
    size_t n;

    if (dot == NULL)
        n = strlen(s);
    else {
        n = (size_t)(dot - s);
        for (dot++; isdigit((unsigned char)*dot); dot++) {
            if (scale == 1)
                return MESHCA_ERR_INVALID_FORMAT;
            scale /= 10;
            frac += (*dot - '0') * scale;
        }
        if (strcmp(dot, "Z") != 0 || scale == 1000000)
            return MESHCA_ERR_INVALID_FORMAT;
    }
    if (n + 2 > sizeof(whole))
        return MESHCA_ERR_INVALID_FORMAT;
    memcpy(whole, s, n);
    whole[n] = '\0';
    if (dot != NULL)
        strcat(whole, "Z");
    if (meshca_time_parse(whole, &t) != 0 || t < 0)
        return MESHCA_ERR_INVALID_FORMAT;
    *usp = t * 1000000 + frac;
    return 0;
}

/* A string member: NULL when absent or null; -1 (with msg) when wrong. */
static int
field(json_t *o, const char *k, int required, const char **outp, char *msg,
    size_t msglen)
{
    json_t *v = json_object_get(o, k);

    *outp = NULL;
    if (v == NULL || json_is_null(v)) {
        if (!required)
            return 0;
        snprintf(msg, msglen, "%s is required", k);
        return -1;
    }
    if (!json_is_string(v) || json_string_length(v) == 0 ||
        json_string_length(v) > FIELD_MAX ||
        strlen(json_string_value(v)) != json_string_length(v)) {
        snprintf(msg, msglen, "%s must be a string of 1 to %d characters",
            k, FIELD_MAX);
        return -1;
    }
    *outp = json_string_value(v);
    return 0;
}

static int
serial_ok(const char *s)
{
    size_t n = strlen(s);

    return n >= 1 && n <= 20 && strspn(s, "0123456789") == n &&
        (n < 20 || strcmp(s, "18446744073709551615") <= 0);
}

static int
one_result(const char *s)
{
    size_t i;

    for (i = 0; results[i] != NULL; i++)
        if (strcmp(s, results[i]) == 0)
            return 1;
    return 0;
}

/* Reads one login object into rec (strings borrowed from o).  0 or -1. */
static int
parse_login(json_t *o, struct ledger_login *rec, char *msg, size_t msglen)
{
    static const char *const keys[] = { "line_id", "at", "account",
        "source_address", "source_port", "result", "serial", "key_id",
        "key_fingerprint", "ca_fingerprint", NULL };
    const char *k, *at;
    json_t *v;
    size_t i;

    if (!json_is_object(o)) {
        snprintf(msg, msglen, "must be an object");
        return -1;
    }
    json_object_foreach(o, k, v) {
        for (i = 0; keys[i] != NULL && strcmp(keys[i], k) != 0; i++)
            ;
        if (keys[i] == NULL) {
            snprintf(msg, msglen, "unknown field \"%.64s\"", k);
            return -1;
        }
    }
    if (field(o, "line_id", 1, &rec->line_id, msg, msglen) != 0 ||
        field(o, "at", 1, &at, msg, msglen) != 0 ||
        field(o, "account", 1, &rec->account, msg, msglen) != 0 ||
        field(o, "source_address", 0, &rec->source_address, msg, msglen) ||
        field(o, "result", 1, &rec->result, msg, msglen) != 0 ||
        field(o, "serial", 0, &rec->serial, msg, msglen) != 0 ||
        field(o, "key_id", 0, &rec->key_id, msg, msglen) != 0 ||
        field(o, "key_fingerprint", 0, &rec->key_fingerprint, msg,
            msglen) != 0 ||
        field(o, "ca_fingerprint", 0, &rec->ca_fingerprint, msg, msglen))
        return -1;
    if (logins_parse_time_us(at, &rec->at_us) != 0) {
        snprintf(msg, msglen, "at: an RFC 3339 UTC time such as "
            "\"2026-11-30T14:00:05.123456Z\"");
        return -1;
    }
    if (!one_result(rec->result)) {
        snprintf(msg, msglen, "result: one of accepted, revoked, "
            "wrong_principal, expired, refused");
        return -1;
    }
    if (rec->serial != NULL && !serial_ok(rec->serial)) {
        snprintf(msg, msglen, "serial: a decimal string below 2^64");
        return -1;
    }
    v = json_object_get(o, "source_port");
    if (v != NULL && !json_is_null(v)) {
        if (!json_is_integer(v) || json_integer_value(v) < 1 ||
            json_integer_value(v) > 65535) {
            snprintf(msg, msglen, "source_port: 1 to 65535");
            return -1;
        }
        rec->source_port = (int)json_integer_value(v);
    }
    return 0;
}

/* The "krl" member: the host's KRL version and generation time. */
static int
parse_krl(json_t *o, struct ledger_login *proto, char *msg, size_t msglen)
{
    json_t *k = json_object_get(o, "krl"), *v, *g;
    uint64_t ver = 0;
    int64_t gen = 0;
    const char *s;

    if (k == NULL || json_is_null(k))
        return 0;
    v = json_object_get(k, "version");
    g = json_object_get(k, "generated_at");
    if (!json_is_object(k) || json_object_size(k) != 2 || !json_is_string(v) ||
        !serial_ok(s = json_string_value(v)) || !json_is_string(g) ||
        meshca_time_parse(json_string_value(g), &gen) != 0) {
        snprintf(msg, msglen, "krl: {\"version\": \"N\", \"generated_at\": "
            "\"RFC 3339 time\"}");
        return -1;
    }
    ver = strtoull(s, NULL, 10);
    if (ver > INT64_MAX) {
        snprintf(msg, msglen, "krl.version: below 2^63");
        return -1;
    }
    proto->has_krl = 1;
    proto->krl_version = ver;
    proto->krl_generated_at = gen;
    return 0;
}

/* Parses the body into *recsp (n of them, borrowing from *bodyp).  0, or -1
 * with a 400 queued. */
static int
parse_body(struct request *req, const char *host, json_t **bodyp,
    struct ledger_login **recsp, size_t *np)
{
    struct ledger_login proto = { 0 }, *recs = NULL;
    json_t *o, *arr;
    const char *k;
    json_t *v;
    char msg[256];
    size_t i, n;

    *bodyp = NULL;
    if (req->body == NULL || (o = json_loadb((const char *)meshca_buf_ptr(
        req->body), meshca_buf_len(req->body), JSON_REJECT_DUPLICATES,
        NULL)) == NULL || !json_is_object(o)) {
        req_error(req, 400, "invalid_request", "the body must be a JSON "
            "object {\"krl\": ..., \"logins\": [...]}");
        return -1;
    }
    *bodyp = o;
    json_object_foreach(o, k, v)
        if (strcmp(k, "krl") != 0 && strcmp(k, "logins") != 0) {
            req_error(req, 400, "invalid_request", "unknown field "
                "\"%.64s\" (expected krl, logins)", k);
            return -1;
        }
    arr = json_object_get(o, "logins");
    if (!json_is_array(arr) || json_array_size(arr) > LOGINS_BATCH_MAX) {
        req_error(req, 400, "invalid_request", "logins: an array of at most "
            "%d logins", LOGINS_BATCH_MAX);
        return -1;
    }
    if (parse_krl(o, &proto, msg, sizeof(msg)) != 0) {
        req_error(req, 400, "invalid_request", "%s", msg);
        return -1;
    }
    n = json_array_size(arr);
    if ((recs = calloc(n ? n : 1, sizeof(*recs))) == NULL) {
        req_error(req, 500, "internal", "out of memory");
        return -1;
    }
    for (i = 0; i < n; i++) {
        recs[i] = proto;
        recs[i].host = host;
        if (parse_login(json_array_get(arr, i), &recs[i], msg,
            sizeof(msg)) != 0) {
            req_error(req, 400, "invalid_request", "logins[%zu]: %s", i, msg);
            free(recs);
            return -1;
        }
    }
    *recsp = recs;
    *np = n;
    return 0;
}

/* Remembers the host's report and KRL (host freshness).  Best effort: the
 * logins are recorded already. */
static void
note_host(struct request *req, const char *host,
    const struct ledger_login *proto)
{
    char ver[24] = "", gen[24] = "";
    const char *p[4] = { host, NULL, NULL, req->remote };
    struct pg_conn *c;
    PGresult *res;

    if (proto->has_krl) {
        snprintf(ver, sizeof(ver), "%llu",
            (unsigned long long)proto->krl_version);
        snprintf(gen, sizeof(gen), "%lld", (long long)proto->krl_generated_at);
        p[1] = ver;
        p[2] = gen;
    }
    if ((c = ledger_reader_acquire(req->srv->ledger)) == NULL)
        return;
    res = PQexecParams((PGconn *)c, "INSERT INTO host_reports (host, "
        "last_report_at, krl_version, krl_generated_at, address) VALUES ($1, "
        "now(), $2::bigint, to_timestamp($3::bigint), $4) ON CONFLICT (host) "
        "DO UPDATE SET last_report_at = now(), krl_version = "
        "coalesce(EXCLUDED.krl_version, host_reports.krl_version), "
        "krl_generated_at = coalesce(EXCLUDED.krl_generated_at, "
        "host_reports.krl_generated_at), address = EXCLUDED.address", 4,
        NULL, p, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        log_msg(LOG_LEVEL_WARN, "host_reports: %s", PQresultErrorMessage(res));
    PQclear(res);
    ledger_reader_release(req->srv->ledger);
}

/*
 * The rules checked as logins arrive, over the rows this request recorded
 * (created after start): counted in meshca_login_anomalies_total{rule} and
 * meshca_logins_recorded_total{result} so that an alert can fire.
 */
static const char flags_sql[] =
    "SELECT x.result, x.issued_serial IS NULL AND x.ca_known, "
    " NOT coalesce(x.ca_known, false), "
    " x.result = 'accepted' AND c.serial IS NOT NULL AND EXISTS (SELECT 1 "
    "  FROM revocations r WHERE r.created_at < x.at AND ("
    "  (r.kind = 'serial' AND r.value = c.serial::text) OR "
    "  (r.kind = 'key_id' AND r.value = c.key_id) OR "
    "  (r.kind = 'subject' AND r.value = c.subject AND "
    "   (r.issuer IS NULL OR r.issuer = c.issuer)) OR "
    "  (r.kind = 'key_fingerprint' AND r.value = c.key_fingerprint))), "
    " x.result = 'accepted' AND c.serial IS NOT NULL AND NOT EXISTS (SELECT 1 "
    "  FROM logins y JOIN certificates d ON d.serial = y.issued_serial "
    "  WHERE y.host = x.host AND y.account = x.account AND "
    "  y.result = 'accepted' AND d.subject = c.subject AND y.at < x.at), "
    " x.result = 'accepted' AND c.serial IS NOT NULL AND "
    "  x.source_address IS NOT NULL AND EXISTS (SELECT 1 FROM logins y "
    "  JOIN certificates d ON d.serial = y.issued_serial WHERE "
    "  d.subject = c.subject AND y.result = 'accepted' AND y.at < x.at) AND "
    "  NOT EXISTS (SELECT 1 FROM logins y JOIN certificates d ON "
    "  d.serial = y.issued_serial WHERE d.subject = c.subject AND "
    "  y.source_address = x.source_address AND y.at < x.at), "
    " x.result = 'accepted' AND c.key_id ~ '/break-glass/ar-[0-9a-f]{32}$' "
    "FROM logins x LEFT JOIN certificates c ON c.serial = x.issued_serial "
    "WHERE x.host = $1 AND x.line_id = ANY($2::text[]) AND "
    " x.created_at >= to_timestamp($3::bigint / 1e6)";

/* A PostgreSQL text[] literal of the batch's line ids (quoted). */
static char *
line_ids(const struct ledger_login *recs, size_t n)
{
    size_t i, len = 3, k;
    char *s, *p;

    for (i = 0; i < n; i++)
        len += 2 * strlen(recs[i].line_id) + 3;
    if ((s = p = malloc(len)) == NULL)
        return NULL;
    *p++ = '{';
    for (i = 0; i < n; i++) {
        if (i > 0)
            *p++ = ',';
        *p++ = '"';
        for (k = 0; recs[i].line_id[k] != '\0'; k++) {
            if (recs[i].line_id[k] == '"' || recs[i].line_id[k] == '\\')
                *p++ = '\\';
            *p++ = recs[i].line_id[k];
        }
        *p++ = '"';
    }
    *p++ = '}';
    *p = '\0';
    return s;
}

static void
count_flags(struct request *req, const char *host,
    const struct ledger_login *recs, size_t n, int64_t start_us)
{
    static const char *const rules[] = METRICS_LOGIN_RULES;
    struct metrics *m = &req->srv->metrics;
    char start[24], *ids = line_ids(recs, n);
    const char *p[3] = { host, ids, start };
    struct pg_conn *c;
    PGresult *res;
    int i, k;

    if (ids == NULL || n == 0 ||
        (c = ledger_reader_acquire(req->srv->ledger)) == NULL) {
        free(ids);
        return;
    }
    snprintf(start, sizeof(start), "%lld", (long long)start_us);
    res = PQexecParams((PGconn *)c, flags_sql, 3, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(res) == PGRES_TUPLES_OK)
        for (i = 0; i < PQntuples(res); i++) {
            metrics_inc(&m->logins, PQgetvalue(res, i, 0));
            for (k = 0; k < (int)(sizeof(rules) / sizeof(rules[0])); k++)
                if (PQgetvalue(res, i, k + 1)[0] == 't')
                    metrics_inc(&m->anomalies, rules[k]);
        }
    else
        log_msg(LOG_LEVEL_WARN, "login flags: %s", PQresultErrorMessage(res));
    PQclear(res);
    ledger_reader_release(req->srv->ledger);
    free(ids);
}

void
handle_logins(struct request *req)
{
    struct ledger_login *recs = NULL, proto = { 0 };
    json_t *body = NULL, *o;
    char *host;
    size_t n = 0, fresh = 0;
    int64_t start_us;
    int r;

    if ((host = logins_host_auth(req)) == NULL)
        return;
    free(req->subject);
    req->subject = strdup(host);
    if (parse_body(req, host, &body, &recs, &n) != 0)
        goto out;
    start_us = meshca_wall_us();
    r = ledger_record_logins(req->srv->ledger, recs, n, &fresh);
    if (r != 0) {
        req->retry_after = 5;
        req_error(req, 503, "unavailable", "the ledger cannot record logins "
            "now; send the batch again (it is idempotent)");
        goto out;
    }
    (void)parse_krl(body, &proto, (char[8]){ 0 }, 8);
    note_host(req, host, &proto);
    if (fresh > 0)
        count_flags(req, host, recs, n, start_us);
    o = json_pack("{s:I, s:I}", "received", (json_int_t)n, "recorded",
        (json_int_t)fresh);
    req_reply_json(req, 200, o);
    json_decref(o);
out:
    free(recs);
    json_decref(body);
    free(host);
}
