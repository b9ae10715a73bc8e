/*
 * The monotonic clock meshcad measures durations with (request latency,
 * commit latency, retry intervals).  The one definition in api/.
 */
#ifndef MESHCAD_CLOCK_H
#define MESHCAD_CLOCK_H

#include <stdint.h>

/* Microseconds on CLOCK_MONOTONIC (arbitrary epoch; never goes back). */
int64_t clock_mono_us(void);

#endif
