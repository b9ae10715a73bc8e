/*
 * JSON log lines on stderr, one object per line: {"ts":..., "level":...,
 * "msg":..., ...fields}.  Never pass a token or key material.  Safe from any
 * thread (one write(2) per line).
 */
#ifndef MESHCAD_LOG_H
#define MESHCAD_LOG_H

#include <jansson.h>

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

/* Logs msg with the fields of obj (may be NULL; a reference is stolen). */
void log_json(enum log_level level, const char *msg, json_t *fields);

/* printf-style convenience without extra fields. */
void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The current time as RFC 3339 UTC with milliseconds into out (>= 32 bytes). */
void log_now_rfc3339(char *out, size_t outlen);

#endif
