/*
 * Ledger entries: the canonical byte form of each ledger record (RFC 8785
 * JSON with a "type"), what the transparency log's leaves hash, and their
 * MACs.  See docs/ledger.md for the fields.
 *
 * An entry is built twice: by the writer from the record it is about to
 * insert, and by verification from the row as stored (entry_row_sql).  A row
 * agrees with an entry when every member of the entry equals the row's
 * column of that name, and every column the entry lacks is null (columns
 * added by later migrations are null in older rows).
 */
#ifndef MESHCAD_ENTRY_H
#define MESHCAD_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "meshca/buf.h"
#include "ledger_records.h"

#define ENTRY_MAC_LEN 32
#define ENTRY_MAC_KEY_MIN 32
#define ENTRY_MAC_KEY_MAX 128

/* The ledger tables by their log type code (the integrator's "t"); 4 is
 * #16's host certificates, 5 and 6 #17's access requests and decisions, 7
 * #18's logins.  A code without a table has NULL names. */
enum entry_table { ENTRY_CERTIFICATE, ENTRY_DENIAL, ENTRY_POLICY,
    ENTRY_REVOCATION, ENTRY_HOST_CERTIFICATE, ENTRY_ACCESS_REQUEST,
    ENTRY_ACCESS_DECISION, ENTRY_LOGIN = 7, ENTRY_NTABLES };

/* The table's name and the entry's "type" (NULL for a code without one). */
const char *entry_table_name(enum entry_table t);
const char *entry_type_name(enum entry_table t);

/*
 * A SELECT list item turning a row of the table (alias x) into its entry's
 * JSON object as text, formatting every value as the writer does.
 */
const char *entry_row_sql(enum entry_table t);

/* The entries of records about to be written, created at created_us (epoch
 * microseconds).  Append to out; 0 or an error. */
int entry_issuance(const struct ledger_issuance *rec, int64_t created_us,
    struct meshca_buf *out) MESHCA_WUR;
int entry_denial(const struct ledger_denial *rec, int64_t created_us,
    struct meshca_buf *out) MESHCA_WUR;
int entry_policy(const char *version, const char *text, const char *host,
    int64_t created_us, struct meshca_buf *out) MESHCA_WUR;
int entry_revocation(const struct ledger_revocation *rec, int64_t created_us,
    struct meshca_buf *out) MESHCA_WUR;
int entry_host_certificate(const struct ledger_host_certificate *rec,
    int64_t created_us, struct meshca_buf *out) MESHCA_WUR;
int entry_access_request(const struct ledger_access_request *rec,
    int64_t created_us, struct meshca_buf *out) MESHCA_WUR;
int entry_access_decision(const struct ledger_access_decision *rec,
    int64_t created_us, struct meshca_buf *out) MESHCA_WUR;
int entry_login(const struct ledger_login *rec, int64_t created_us,
    struct meshca_buf *out) MESHCA_WUR;

/* The canonical entry of a row given as entry_row_sql's JSON text (v1
 * records, which have no stored entry). */
int entry_from_row(const char *rowjson, struct meshca_buf *out) MESHCA_WUR;

/* 1 when the entry agrees with the row (see above), 0 when not (why names
 * the first member that differs), or a negative error for an entry that is
 * not a JSON object. */
int entry_matches_row(const uint8_t *entry, size_t len, const char *rowjson,
    char *why, size_t whylen);

/*
 * HMAC-SHA256 of entries under a key set up once: the HMAC and SHA-256
 * implementations are fetched and the key's pads computed when the key is
 * made, not again for every entry (OpenSSL 3 looks algorithms up under a
 * lock).  entry_mac_key_new copies the key (callers may clear theirs);
 * entry_mac_with may be called from many threads at once; free clears it.
 */
struct entry_mac_key;
int entry_mac_key_new(const uint8_t *key, size_t keylen,
    struct entry_mac_key **kp) MESHCA_WUR;
int entry_mac_with(const struct entry_mac_key *k, const uint8_t *entry,
    size_t len, uint8_t out[ENTRY_MAC_LEN]) MESHCA_WUR;
void entry_mac_key_free(struct entry_mac_key *k);

#endif
