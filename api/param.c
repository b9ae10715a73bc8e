/*
 * The numbers and times that requests carry, one parser each: see param.h.
 */
#include <stdint.h>
#include <string.h>

#include "meshca/clock.h"
#include "meshca/duration.h"
#include "param.h"

int
param_parse_u64(const char *s, uint64_t max, uint64_t *vp)
{
    uint64_t v = 0;
    const char *p;

    if (s == NULL || *s == '\0' || strlen(s) > 20)
        return MESHCA_ERR_INVALID_FORMAT;
    for (p = s; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return MESHCA_ERR_INVALID_FORMAT;
        /* v * 10 + d <= max, without overflowing. */
        if (v > (max - (uint64_t)(*p - '0')) / 10)
            return MESHCA_ERR_INVALID_FORMAT;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    *vp = v;
    return 0;
}

int
param_parse_time(const char *s, int64_t now, int64_t *tp)
{
    uint64_t u;
    int64_t d, t;

    if (s == NULL)
        return MESHCA_ERR_INVALID_FORMAT;
    if (param_parse_u64(s, PARAM_TIME_MAX, &u) == 0) {
        *tp = (int64_t)u;
        return 0;
    }
    if (meshca_time_parse(s, &t) == 0) {
        if (t < 0 || t > PARAM_TIME_MAX)
            return MESHCA_ERR_INVALID_FORMAT;
        *tp = t;
        return 0;
    }
    /* duration_parse bounds d to 10 years. */
    if (duration_parse(s, &d) == 0 && now - d >= 0) {
        *tp = now - d;
        return 0;
    }
    return MESHCA_ERR_INVALID_FORMAT;
}
