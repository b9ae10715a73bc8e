/*
 * Time: the monotonic clock for intervals and deadlines, and RFC 3339 UTC
 * text ("2026-11-22T13:00:05Z") for times people and the ledger read.
 */
#ifndef MESHCA_CLOCK_H
#define MESHCA_CLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "meshca/err.h"

/* Bytes that hold any time meshca_time_format{,_us} writes, NUL included. */
#define MESHCA_TIME_BUFLEN 40

/* Microseconds on CLOCK_MONOTONIC: for measuring intervals only. */
int64_t meshca_mono_us(void);

/* Epoch microseconds on CLOCK_REALTIME: for times that are recorded. */
int64_t meshca_wall_us(void);

/* Sets *ts to ms milliseconds (ms >= 0) from now on CLOCK_REALTIME, the
 * clock pthread_cond_timedwait() waits on by default. */
void meshca_deadline_ms(struct timespec *ts, int64_t ms);

/* Epoch seconds t as "YYYY-MM-DDTHH:MM:SSZ" in out (outlen bytes, 21 are
 * enough for years 0-9999), or "?" when it cannot be written.  Returns
 * out. */
char *meshca_time_format(int64_t t, char *out, size_t outlen);

/* Epoch microseconds us as "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" (28 bytes with
 * the NUL), or "?" when it cannot be written.  Returns out. */
char *meshca_time_format_us(int64_t us, char *out, size_t outlen);

/* Parses "YYYY-MM-DDTHH:MM:SSZ" (UTC, nothing after the Z) into *tp, epoch
 * seconds.  Returns 0, or MESHCA_ERR_INVALID_FORMAT with *tp untouched. */
int meshca_time_parse(const char *s, int64_t *tp) MESHCA_WUR;

#endif
