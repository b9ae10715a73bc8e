/*
 * The revocation state a running meshcad serves and checks: a refresher
 * thread reads the ledger's revocations every half second (and at once
 * after a revocation on this replica), builds the KRL with libmeshca, parses
 * it back, and only then swaps it in, together with the refusal set
 * (revstate.h) the issuance check reads.  A KRL that does not parse is never
 * served.  Every replica converges within a second.  Only unexpired
 * certificates' serials are listed, so the KRL stays small.
 */
#ifndef MESHCAD_REVOCATIONS_H
#define MESHCAD_REVOCATIONS_H

#include <stddef.h>
#include <stdint.h>

#include "meshca/err.h"

struct server;

/* Room for the KRL's ETag ("W/\"<version>-<24 hex>\"") and its NUL. */
#define REVOCATIONS_ETAG_SIZE 72

/* Starts the refresher thread for srv and sets srv->rev.  Returns 0,
 * MESHCA_ERR_ALLOC or MESHCA_ERR_SYSTEM (nothing started). */
int revocations_start(struct server *srv) MESHCA_WUR;

/* Stops the refresher, frees the state and clears srv->rev.  Accepts a
 * server that was never started. */
void revocations_stop(struct server *srv);

/* Wakes the refresher now (after a revocation on this replica). */
void revocations_kick(struct server *srv);

/* The issuance check: 0 allowed, 1 refused (the key keyfp is revoked or the
 * person (issuer, subject) blocked; a reason for a person in why), or
 * MESHCA_ERR_UNAVAILABLE while the state has not been loaded yet (fail
 * closed). */
int revocations_refuse(struct server *srv, const char *keyfp,
    const char *issuer, const char *subject, char *why,
    size_t whylen) MESHCA_WUR;

/* The KRL being served, read under one lock so the ETag names these bytes.
 * Returns 0 with etag set and *krlp (caller frees) / *lenp; MESHCA_ERR_ALLOC
 * with etag set but *krlp NULL and *lenp 0 (no copy); or
 * MESHCA_ERR_UNAVAILABLE when no KRL has been built yet (nothing set). */
int revocations_krl(struct server *srv, char etag[REVOCATIONS_ETAG_SIZE],
    uint8_t **krlp, size_t *lenp) MESHCA_WUR;

/* Decodes an OpenSSH fingerprint "SHA256:<43 base64 characters>" into its
 * 32 bytes.  Returns 0, or -1 for anything else (out untouched). */
int revocations_parse_fingerprint(const char *fp, uint8_t out[32]);

struct meshca_buf;

/* Appends the revocation and KRL metrics (meshca_krl_*, meshca_database_up)
 * to out.  Returns 0 or a negative MESHCA_ERR_*. */
int revocations_write_metrics(struct server *srv,
    struct meshca_buf *out) MESHCA_WUR;

#endif
