/* JSON logging on stderr, see log.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void
log_now_rfc3339(char *out, size_t outlen)
{
    struct timespec ts;
    struct tm tm;
    char base[32];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, outlen, "%s.%03ldZ", base, ts.tv_nsec / 1000000);
}

void
log_json(enum log_level level, const char *msg, json_t *fields)
{
    char ts[40], *line;
    json_t *o;
    size_t len;

    if ((o = json_object()) == NULL) {
        json_decref(fields);
        return;
    }
    log_now_rfc3339(ts, sizeof(ts));
    json_object_set_new(o, "ts", json_string(ts));
    json_object_set_new(o, "level", json_string(level_names[level]));
    json_object_set_new(o, "msg", json_string(msg));
    if (json_is_object(fields))
        json_object_update(o, fields);
    json_decref(fields);
    line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (line == NULL)
        return;
    len = strlen(line);
    line[len] = '\n'; /* json_dumps leaves room: it allocates len+1 */
    if (write(STDERR_FILENO, line, len + 1) < 0) {
        /* Nowhere left to report it. */
    }
    free(line);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    log_json(level, buf, NULL);
}

void
log_escape(const char *in, size_t max, char *out, size_t outlen)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)in;
    size_t i, o = 0;

    if (outlen == 0)
        return;
    if (in == NULL)
        in = "-", p = (const unsigned char *)in;
    for (i = 0; p[i] != '\0' && i < max; i++) {
        if (o + 5 >= outlen)
            break;
        if (p[i] == '\\') {
            out[o++] = '\\';
            out[o++] = '\\';
        } else if (p[i] < 0x20 || p[i] >= 0x7f) {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[p[i] >> 4];
            out[o++] = hex[p[i] & 0xf];
        } else
            out[o++] = (char)p[i];
    }
    if (p[i] != '\0' && o + 4 <= outlen) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}
