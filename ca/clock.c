/* The monotonic clock and RFC 3339 UTC text, see meshca/clock.h. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "meshca/clock.h"

int64_t
meshca_mono_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
meshca_wall_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
meshca_deadline_ms(struct timespec *ts, int64_t ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += (time_t)(ms / 1000);
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* The date and time of t without a zone; the length written, 0 on
 * failure. */
static size_t
format_seconds(int64_t t, char *out, size_t outlen)
{
    struct tm tm;
    time_t tt = (time_t)t;

    if (gmtime_r(&tt, &tm) == NULL)
        return 0;
    return strftime(out, outlen, "%Y-%m-%dT%H:%M:%S", &tm);
}

char *
meshca_time_format(int64_t t, char *out, size_t outlen)
{
    size_t n = format_seconds(t, out, outlen);

    if (n == 0 || n + 2 > outlen)
        snprintf(out, outlen, "?");
    else
        snprintf(out + n, outlen - n, "Z");
    return out;
}

char *
meshca_time_format_us(int64_t us, char *out, size_t outlen)
{
    size_t n = format_seconds(us / 1000000, out, outlen);

    if (n == 0 || (size_t)snprintf(out + n, outlen - n, ".%06dZ",
        (int)(us % 1000000)) >= outlen - n)
        snprintf(out, outlen, "?");
    return out;
}

int
meshca_time_parse(const char *s, int64_t *tp)
{
    struct tm tm;
    const char *end;

    if (s == NULL)
        return MESHCA_ERR_INVALID_FORMAT;
    memset(&tm, 0, sizeof(tm));
    if ((end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm)) == NULL ||
        *end != '\0')
        return MESHCA_ERR_INVALID_FORMAT;
    *tp = (int64_t)timegm(&tm);
    return 0;
}
