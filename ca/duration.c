/* Duration parsing and formatting, see meshca/duration.h. */
#include <stdio.h>
#include <string.h>

#include "meshca/duration.h"

#define DURATION_MAX ((int64_t)10 * 365 * 24 * 3600)

int
duration_parse(const char *s, int64_t *secondsp)
{
    int64_t total = 0, n, mult;
    int digits, units = 0;
    char last_unit = 0;

    if (s == NULL || *s == '\0')
        return MESHCA_ERR_DURATION;
    while (*s != '\0') {
        n = 0;
        digits = 0;
        while (*s >= '0' && *s <= '9') {
            if (n > DURATION_MAX)
                return MESHCA_ERR_DURATION;
            n = n * 10 + (*s++ - '0');
            digits++;
        }
        if (digits == 0)
            return MESHCA_ERR_DURATION;
        switch (*s) {
        case 'd':
            mult = 86400;
            break;
        case 'h':
            mult = 3600;
            break;
        case 'm':
            mult = 60;
            break;
        case 's':
            mult = 1;
            break;
        default:
            return MESHCA_ERR_DURATION; /* no unit, or an unknown one */
        }
        /* Units must appear at most once, largest first ("1h30m"). */
        if (last_unit != 0 && strchr("dhms", *s) <= strchr("dhms", last_unit))
            return MESHCA_ERR_DURATION;
        last_unit = *s++;
        if (n > DURATION_MAX / mult)
            return MESHCA_ERR_DURATION;
        total += n * mult;
        if (total > DURATION_MAX)
            return MESHCA_ERR_DURATION;
        units++;
    }
    *secondsp = total;
    return 0;
}

char *
duration_format(int64_t seconds, char *out, size_t outlen)
{
    static const struct {
        char unit;
        int64_t secs;
    } units[] = { { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 } };
    size_t i, off = 0;
    int n;

    if (outlen == 0)
        return out;
    out[0] = '\0';
    if (seconds <= 0) {
        snprintf(out, outlen, "0s");
        return out;
    }
    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (seconds < units[i].secs)
            continue;
        n = snprintf(out + off, outlen - off, "%lld%c",
            (long long)(seconds / units[i].secs), units[i].unit);
        if (n < 0 || (size_t)n >= outlen - off)
            break;
        off += (size_t)n;
        seconds %= units[i].secs;
    }
    return out;
}
