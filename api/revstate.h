/*
 * The revocation state the issuance check reads: revoked public keys and
 * subject blocks, built from a ledger snapshot (ledger_revocation_snapshot).
 * A set is immutable once built; revocations.c swaps whole sets under its
 * lock.
 *
 * Fail closed: a set is built completely or not at all (an allocation
 * failure fails the build and the caller keeps its previous set), and with
 * no set at all (not loaded yet) every check answers MESHCA_ERR_UNAVAILABLE.
 */
#ifndef MESHCAD_REVSTATE_H
#define MESHCAD_REVSTATE_H

#include <stddef.h>
#include <stdint.h>

#include "meshca/err.h"

struct ledger_snapshot;
struct revset;

/* Builds a set from snap's "key_fingerprint" and "block" entries (other
 * kinds are the KRL's business and are skipped).  Copies what it keeps.
 * Returns 0 and *setp, or MESHCA_ERR_ALLOC / MESHCA_ERR_INVALID_FORMAT (an
 * entry without a value) with *setp NULL and nothing built. */
int revset_build(const struct ledger_snapshot *snap,
    struct revset **setp) MESHCA_WUR;

/* Frees s.  Accepts NULL. */
void revset_free(struct revset *s);

/* Whether a certificate for keyfp ("SHA256:...", may be NULL) and the
 * person (issuer, subject) must be refused at time now (epoch seconds).
 * Returns 0 (allowed), 1 (refused, with a reason for a person in why), or
 * MESHCA_ERR_UNAVAILABLE when s is NULL: the state has not been loaded, so
 * nothing can be allowed yet. */
int revset_refuse(const struct revset *s, const char *keyfp,
    const char *issuer, const char *subject, int64_t now, char *why,
    size_t whylen) MESHCA_WUR;

/* Entries kept: revoked key fingerprints and subject blocks. */
size_t revset_nkeys(const struct revset *s);
size_t revset_nblocks(const struct revset *s);

#endif
