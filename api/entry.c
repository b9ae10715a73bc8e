/* Ledger entries and their MACs.  See entry.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/sha.h>

#include "entry.h"
#include "meshca/clock.h"
#include "meshca/hex.h"
#include "meshca/jcs.h"

static const char *const table_names[ENTRY_NTABLES] = {
    [ENTRY_CERTIFICATE] = "certificates", [ENTRY_DENIAL] = "denials",
    [ENTRY_POLICY] = "policy_versions", [ENTRY_REVOCATION] = "revocations",
    [ENTRY_HOST_CERTIFICATE] = "host_certificates",
    [ENTRY_ACCESS_REQUEST] = "access_requests",
    [ENTRY_ACCESS_DECISION] = "access_decisions", [ENTRY_LOGIN] = "logins" };
static const char *const type_names[ENTRY_NTABLES] = {
    [ENTRY_CERTIFICATE] = "certificate", [ENTRY_DENIAL] = "denial",
    [ENTRY_POLICY] = "policy", [ENTRY_REVOCATION] = "revocation",
    [ENTRY_HOST_CERTIFICATE] = "host_certificate",
    [ENTRY_ACCESS_REQUEST] = "access_request",
    [ENTRY_ACCESS_DECISION] = "access_decision", [ENTRY_LOGIN] = "login" };

#define TS(col) "to_char(x." col " AT TIME ZONE 'UTC', " \
    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define TS_US(col) "to_char(x." col " AT TIME ZONE 'UTC', " \
    "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

static const char *const row_sql[ENTRY_NTABLES] = {
    [ENTRY_CERTIFICATE] =
    "(json_build_object('type', 'certificate', 'serial', x.serial::text, "
    "'key_id', x.key_id, 'subject', x.subject, 'issuer', x.issuer, "
    "'email', x.email, 'role', x.role, 'principals', x.principals, "
    "'key_type', x.key_type, 'key_fingerprint', x.key_fingerprint, "
    "'valid_after', " TS("valid_after") ", 'valid_before', "
    TS("valid_before") ", 'critical_options', x.critical_options, "
    "'extensions', x.extensions, 'ca_fingerprint', x.ca_fingerprint, "
    "'client_address', x.client_address, 'request_id', x.request_id, "
    "'reason', x.reason, 'policy_version', x.policy_version, "
    "'token_id', x.token_id, 'certificate', x.certificate, "
    "'created_at', " TS_US("created_at") ")::jsonb || CASE WHEN "
    "x.spiffe_id IS NULL THEN '{}'::jsonb ELSE "
    "jsonb_build_object('spiffe_id', x.spiffe_id) END)::text",
    [ENTRY_DENIAL] =
    "json_build_object('type', 'denial', 'subject', x.subject, "
    "'issuer', x.issuer, 'email', x.email, 'role', x.role, "
    "'requested_principals', x.requested_principals, 'reason', x.reason, "
    "'key_fingerprint', x.key_fingerprint, 'client_address', "
    "x.client_address, 'request_id', x.request_id, 'policy_version', "
    "x.policy_version, 'created_at', " TS_US("created_at") ")::text",
    [ENTRY_POLICY] =
    "json_build_object('type', 'policy', 'version', x.version, "
    "'policy_sha256', encode(sha256(convert_to(x.policy, 'UTF8')), 'hex'), "
    "'loaded_by', x.loaded_by, 'created_at', "
    TS_US("created_at") ")::text",
    [ENTRY_REVOCATION] =
    "json_build_object('type', 'revocation', 'kind', x.kind, "
    "'value', x.value, 'issuer', x.issuer, 'reason', x.reason, "
    "'revoked_by', x.revoked_by, "
    "'block_until', " TS("block_until") ", 'request_id', x.request_id, "
    "'created_at', " TS_US("created_at") ")::text",
    [ENTRY_HOST_CERTIFICATE] =
    "json_build_object('type', 'host_certificate', 'serial', x.serial::text, "
    "'key_id', x.key_id, 'spiffe_id', x.spiffe_id, "
    "'principals', x.principals, 'key_type', x.key_type, "
    "'key_fingerprint', x.key_fingerprint, "
    "'valid_after', " TS("valid_after") ", 'valid_before', "
    TS("valid_before") ", 'ca_fingerprint', x.ca_fingerprint, "
    "'client_address', x.client_address, 'request_id', x.request_id, "
    "'policy_version', x.policy_version, 'certificate', x.certificate, "
    "'created_at', " TS_US("created_at") ")::text",
    [ENTRY_ACCESS_REQUEST] =
    "json_build_object('type', 'access_request', 'id', x.id, "
    "'kind', x.kind, 'subject', x.subject, 'issuer', x.issuer, "
    "'email', x.email, 'role', x.role, 'principals', x.principals, "
    "'ttl_seconds', x.ttl_seconds, 'reason', x.reason, "
    "'public_key', x.public_key, 'key_fingerprint', x.key_fingerprint, "
    "'min_approvals', x.min_approvals, 'expires_at', " TS("expires_at") ", "
    "'client_address', x.client_address, 'request_id', x.request_id, "
    "'policy_version', x.policy_version, "
    "'created_at', " TS_US("created_at") ")::text",
    [ENTRY_ACCESS_DECISION] =
    "json_build_object('type', 'access_decision', "
    "'access_request', x.access_request, 'decision', x.decision, "
    "'subject', x.subject, 'issuer', x.issuer, 'email', x.email, "
    "'reason', x.reason, 'client_address', x.client_address, "
    "'request_id', x.request_id, 'policy_version', x.policy_version, "
    "'created_at', " TS_US("created_at") ")::text",
    [ENTRY_LOGIN] =
    "json_build_object('type', 'login', 'host', x.host, "
    "'line_id', x.line_id, 'at', " TS_US("at") ", 'account', x.account, "
    "'source_address', x.source_address, 'source_port', x.source_port, "
    "'result', x.result, 'serial', x.serial, 'key_id', x.key_id, "
    "'key_fingerprint', x.key_fingerprint, "
    "'ca_fingerprint', x.ca_fingerprint, "
    "'krl_version', x.krl_version::text, "
    "'krl_generated_at', " TS("krl_generated_at") ", "
    "'created_at', " TS_US("created_at") ")::text",
};

const char *
entry_table_name(enum entry_table t)
{
    return table_names[t];
}

const char *
entry_type_name(enum entry_table t)
{
    return type_names[t];
}

const char *
entry_row_sql(enum entry_table t)
{
    return row_sql[t];
}

/* A JSON string, or null for NULL. */
static json_t *
str_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

static json_t *
str_array(const char *const *v, size_t n)
{
    json_t *a = json_array();
    size_t i;

    for (i = 0; a != NULL && i < n; i++)
        if (json_array_append_new(a, json_string(v[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* A workload's certificate names its SPIFFE ID (issue #16); a person's
 * entry has no such member, as before.  Takes and returns obj. */
static json_t *
with_spiffe_id(json_t *obj, const char *spiffe_id)
{
    if (obj != NULL && spiffe_id != NULL &&
        json_object_set_new(obj, "spiffe_id", json_string(spiffe_id)) != 0) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

/* Canonicalises obj (taking its reference) onto out. */
static int
encode(json_t *obj, struct meshca_buf *out)
{
    int r;

    if (obj == NULL)
        return MESHCA_ERR_ALLOC;
    r = jcs_encode(obj, out);
    json_decref(obj);
    return r;
}

int
entry_issuance(const struct ledger_issuance *rec, int64_t created_us,
    struct meshca_buf *out)
{
    char serial[24], va[32], vb[32], at[40];
    json_t *opts;

    snprintf(serial, sizeof(serial), "%llu", (unsigned long long)rec->serial);
    (void)meshca_time_format(rec->valid_after, va, sizeof(va));
    (void)meshca_time_format(rec->valid_before, vb, sizeof(vb));
    (void)meshca_time_format_us(created_us, at, sizeof(at));
    if ((opts = json_loads(rec->critical_options_json ?
        rec->critical_options_json : "{}", 0, NULL)) == NULL)
        return MESHCA_ERR_INVALID_ARGUMENT;
    return encode(with_spiffe_id(json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, "
        "s:s, s:o, s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:o, s:s, "
        "s:s, s:s, s:s}",
        "type", "certificate", "serial", serial, "key_id", rec->key_id,
        "subject", rec->subject, "issuer", rec->issuer,
        "email", str_or_null(rec->email), "role", rec->role,
        "principals", str_array(rec->principals, rec->nprincipals),
        "key_type", rec->key_type, "key_fingerprint", rec->key_fingerprint,
        "valid_after", va, "valid_before", vb, "critical_options", opts,
        "extensions", str_array(rec->extensions, rec->nextensions),
        "ca_fingerprint", rec->ca_fingerprint,
        "client_address", rec->client_address,
        "request_id", rec->request_id, "reason", str_or_null(rec->reason),
        "policy_version", rec->policy_version, "token_id", rec->token_id,
        "certificate", rec->certificate, "created_at", at), rec->spiffe_id),
        out);
}

int
entry_denial(const struct ledger_denial *rec, int64_t created_us,
    struct meshca_buf *out)
{
    char at[40];

    (void)meshca_time_format_us(created_us, at, sizeof(at));
    return encode(json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:s, s:o, s:s, "
        "s:s, s:o, s:s}", "type", "denial",
        "subject", str_or_null(rec->subject), "issuer", str_or_null(rec->issuer),
        "email", str_or_null(rec->email), "role", str_or_null(rec->role),
        "requested_principals", str_array(rec->requested_principals,
            rec->nrequested),
        "reason", rec->reason, "key_fingerprint",
        str_or_null(rec->key_fingerprint), "client_address",
        rec->client_address, "request_id", rec->request_id,
        "policy_version", str_or_null(rec->policy_version),
        "created_at", at), out);
}

int
entry_policy(const char *version, const char *text, const char *host,
    int64_t created_us, struct meshca_buf *out)
{
    uint8_t d[SHA256_DIGEST_LENGTH];
    char at[40], hex[2 * SHA256_DIGEST_LENGTH + 1];

    /* The text itself stays in the row: entries must fit an entry bundle's
     * 16-bit length, and the digest binds the text as well. */
    SHA256((const uint8_t *)text, strlen(text), d);
    (void)meshca_hex_encode(d, sizeof(d), hex, sizeof(hex));
    (void)meshca_time_format_us(created_us, at, sizeof(at));
    return encode(json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "policy",
        "version", version, "policy_sha256", hex, "loaded_by", host,
        "created_at", at), out);
}

int
entry_revocation(const struct ledger_revocation *rec, int64_t created_us,
    struct meshca_buf *out)
{
    char at[40], until[32];

    (void)meshca_time_format_us(created_us, at, sizeof(at));
    if (rec->block_until > 0)
        (void)meshca_time_format(rec->block_until, until, sizeof(until));
    return encode(json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:o, s:s, s:s}",
        "type", "revocation", "kind", rec->kind, "value", rec->value,
        "issuer", str_or_null(rec->issuer),
        "reason", rec->reason, "revoked_by", rec->revoked_by,
        "block_until", rec->block_until > 0 ? json_string(until) : json_null(),
        "request_id", rec->request_id, "created_at", at), out);
}

int
entry_host_certificate(const struct ledger_host_certificate *rec,
    int64_t created_us, struct meshca_buf *out)
{
    char serial[24], va[32], vb[32], at[40];

    snprintf(serial, sizeof(serial), "%llu", (unsigned long long)rec->serial);
    (void)meshca_time_format(rec->valid_after, va, sizeof(va));
    (void)meshca_time_format(rec->valid_before, vb, sizeof(vb));
    (void)meshca_time_format_us(created_us, at, sizeof(at));
    return encode(json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:s, "
        "s:s, s:s, s:s, s:s, s:s, s:s}", "type", "host_certificate",
        "serial", serial, "key_id", rec->key_id, "spiffe_id", rec->spiffe_id,
        "principals", str_array(rec->principals, rec->nprincipals),
        "key_type", rec->key_type, "key_fingerprint", rec->key_fingerprint,
        "valid_after", va, "valid_before", vb,
        "ca_fingerprint", rec->ca_fingerprint,
        "client_address", rec->client_address,
        "request_id", rec->request_id,
        "policy_version", rec->policy_version,
        "certificate", rec->certificate, "created_at", at), out);
}

int
entry_access_request(const struct ledger_access_request *rec,
    int64_t created_us, struct meshca_buf *out)
{
    char at[40], exp[32];

    (void)meshca_time_format_us(created_us, at, sizeof(at));
    (void)meshca_time_format(rec->expires_at, exp, sizeof(exp));
    return encode(json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:I, "
        "s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s}",
        "type", "access_request", "id", rec->id, "kind", rec->kind,
        "subject", rec->subject, "issuer", rec->issuer,
        "email", str_or_null(rec->email), "role", rec->role,
        "principals", str_array(rec->principals, rec->nprincipals),
        "ttl_seconds", (json_int_t)rec->ttl_seconds, "reason", rec->reason,
        "public_key", rec->public_key,
        "key_fingerprint", rec->key_fingerprint,
        "min_approvals", rec->min_approvals, "expires_at", exp,
        "client_address", rec->client_address,
        "request_id", rec->request_id,
        "policy_version", rec->policy_version, "created_at", at), out);
}

int
entry_access_decision(const struct ledger_access_decision *rec,
    int64_t created_us, struct meshca_buf *out)
{
    char at[40];

    (void)meshca_time_format_us(created_us, at, sizeof(at));
    return encode(json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:s, "
        "s:s, s:s}", "type", "access_decision",
        "access_request", rec->access_request, "decision", rec->decision,
        "subject", rec->subject, "issuer", rec->issuer,
        "email", str_or_null(rec->email), "reason", str_or_null(rec->reason),
        "client_address", rec->client_address,
        "request_id", rec->request_id,
        "policy_version", rec->policy_version, "created_at", at), out);
}

int
entry_login(const struct ledger_login *rec, int64_t created_us,
    struct meshca_buf *out)
{
    char at[40], when[40], krlv[24], krlg[32];

    (void)meshca_time_format_us(created_us, at, sizeof(at));
    (void)meshca_time_format_us(rec->at_us, when, sizeof(when));
    snprintf(krlv, sizeof(krlv), "%llu", (unsigned long long)rec->krl_version);
    if (rec->krl_generated_at > 0)
        (void)meshca_time_format(rec->krl_generated_at, krlg, sizeof(krlg));
    return encode(json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:o, "
        "s:o, s:o, s:o, s:o, s:o, s:s}", "type", "login",
        "host", rec->host, "line_id", rec->line_id, "at", when,
        "account", rec->account,
        "source_address", str_or_null(rec->source_address),
        "source_port", rec->source_port > 0 ?
            json_integer(rec->source_port) : json_null(),
        "result", rec->result, "serial", str_or_null(rec->serial),
        "key_id", str_or_null(rec->key_id),
        "key_fingerprint", str_or_null(rec->key_fingerprint),
        "ca_fingerprint", str_or_null(rec->ca_fingerprint),
        "krl_version", rec->has_krl ? json_string(krlv) : json_null(),
        "krl_generated_at", rec->has_krl && rec->krl_generated_at > 0 ?
            json_string(krlg) : json_null(),
        "created_at", at), out);
}

int
entry_from_row(const char *rowjson, struct meshca_buf *out)
{
    json_t *row = json_loads(rowjson, 0, NULL);

    if (row == NULL || !json_is_object(row)) {
        json_decref(row);
        return MESHCA_ERR_INVALID_FORMAT;
    }
    return encode(row, out);
}

int
entry_matches_row(const uint8_t *entry, size_t len, const char *rowjson,
    char *why, size_t whylen)
{
    json_t *e = json_loadb((const char *)entry, len, 0, NULL);
    json_t *row = json_loads(rowjson, 0, NULL), *v;
    const char *k;
    int r = 1;

    if (e == NULL || row == NULL || !json_is_object(e) ||
        !json_is_object(row)) {
        snprintf(why, whylen, "the stored entry is not a JSON object");
        r = e == NULL || !json_is_object(e) ? MESHCA_ERR_INVALID_FORMAT : 0;
        goto out;
    }
    json_object_foreach(e, k, v) {
        if (!json_equal(v, json_object_get(row, k))) {
            snprintf(why, whylen, "its %s differs from its entry's", k);
            r = 0;
            goto out;
        }
    }
    json_object_foreach(row, k, v) {
        if (json_object_get(e, k) == NULL && !json_is_null(v)) {
            snprintf(why, whylen, "its %s is not in its entry", k);
            r = 0;
            goto out;
        }
    }
out:
    json_decref(e);
    json_decref(row);
    return r;
}

struct entry_mac_key {
    EVP_MAC_CTX *keyed;     /* initialised with the key; copied per entry */
};

int
entry_mac_key_new(const uint8_t *key, size_t keylen, struct entry_mac_key **kp)
{
    struct entry_mac_key *k;
    EVP_MAC *mac;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
        OSSL_PARAM_construct_end() };
    int r = MESHCA_ERR_LIBCRYPTO;

    *kp = NULL;
    if ((k = calloc(1, sizeof(*k))) == NULL)
        return MESHCA_ERR_ALLOC;
    if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) != NULL &&
        (k->keyed = EVP_MAC_CTX_new(mac)) != NULL &&
        EVP_MAC_init(k->keyed, key, keylen, params) == 1) {
        *kp = k;
        k = NULL;
        r = 0;
    }
    EVP_MAC_free(mac); /* the context holds its own reference */
    entry_mac_key_free(k);
    return r;
}

int
entry_mac_with(const struct entry_mac_key *k, const uint8_t *entry,
    size_t len, uint8_t out[ENTRY_MAC_LEN])
{
    EVP_MAC_CTX *c;
    size_t outlen = 0;
    int ok;

    if ((c = EVP_MAC_CTX_dup(k->keyed)) == NULL)
        return MESHCA_ERR_LIBCRYPTO;
    ok = EVP_MAC_update(c, entry, len) == 1 &&
        EVP_MAC_final(c, out, &outlen, ENTRY_MAC_LEN) == 1 &&
        outlen == ENTRY_MAC_LEN;
    EVP_MAC_CTX_free(c);
    return ok ? 0 : MESHCA_ERR_LIBCRYPTO;
}

void
entry_mac_key_free(struct entry_mac_key *k)
{
    if (k == NULL)
        return;
    EVP_MAC_CTX_free(k->keyed); /* OpenSSL clears the key's pads */
    free(k);
}
