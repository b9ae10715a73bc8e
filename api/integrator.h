/*
 * The log integrator: one replica at a time (a PostgreSQL advisory lock on
 * its own connection) takes committed ledger records in the order of their
 * writing transactions, checks each entry's MAC, gives the genuine ones the
 * next log indexes, extends the Merkle tree's tiles and publishes a signed
 * checkpoint, all in one transaction.  Rows without a valid MAC are
 * quarantined instead (never in the log).  Every replica runs one; the
 * others wait for the lock and take over within a second or two of the
 * holder's connection ending.
 */
#ifndef MESHCAD_INTEGRATOR_H
#define MESHCAD_INTEGRATOR_H

#include <stddef.h>
#include <stdint.h>

#include "meshca/buf.h"
#include "meshca/cakey.h"
#include "meshca/err.h"

struct integrator;

struct integrator_params {
    const char *conninfo;
    const char *origin;          /* checkpoint origin and note key name */
    const struct cakey *log_key; /* Ed25519; borrowed for the lifetime */
    const uint8_t *mac_key;      /* copied */
    size_t mac_keylen;
    int64_t interval_ms;         /* pause between rounds with nothing new */
};

/* Starts the integrator thread.  Returns 0 or an error. */
int integrator_start(const struct integrator_params *p,
    struct integrator **ip) MESHCA_WUR;

/* Stops the thread (releasing the lock) and frees it.  Accepts NULL. */
void integrator_stop(struct integrator *it);

/* Prometheus text: log size, records integrated and quarantined, whether
 * this replica integrates, round durations. */
int integrator_write_metrics(struct integrator *it, struct meshca_buf *out) MESHCA_WUR;

/* The number of quarantined rows last seen (by any replica's integrator). */
uint64_t integrator_quarantined(struct integrator *it);

#endif
