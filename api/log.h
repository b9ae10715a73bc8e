/*
 * JSON log lines on stderr, one object per line: {"ts":..., "level":...,
 * "msg":..., ...fields}.  Never pass a token or key material.  Safe from any
 * thread (one write(2) per line).
 */
#ifndef MESHCAD_LOG_H
#define MESHCAD_LOG_H

#include <stddef.h>

#include <jansson.h>

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

/* Longest request method and path (input bytes) an access log line keeps. */
#define LOG_METHOD_MAX 16
#define LOG_PATH_MAX 256
/* Room for log_escape's output of max input bytes. */
#define LOG_ESCAPED_SIZE(max) (4 * (max) + 4)

/* Writes into out (outlen >= LOG_ESCAPED_SIZE(max)) at most max bytes of
 * in made safe for a log line: printable ASCII as is, a backslash as "\\",
 * and control characters, DEL and bytes >= 0x80 as "\xNN"; "..." is
 * appended when in was longer.  in may be NULL ("-"). */
void log_escape(const char *in, size_t max, char *out, size_t outlen);

/* Logs msg with the fields of obj (may be NULL; a reference is stolen). */
void log_json(enum log_level level, const char *msg, json_t *fields);

/* printf-style convenience without extra fields. */
void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The current time as RFC 3339 UTC with milliseconds into out (>= 32 bytes). */
void log_now_rfc3339(char *out, size_t outlen);

#endif
