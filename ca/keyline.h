/*
 * The text form keys and certificates share: "TYPE BASE64 [COMMENT]", one
 * line of an authorized_keys or -cert.pub file.  As OpenSSH's sshkey_read
 * and sshkey_write treat a certificate as one more key type, key.c and
 * cert.c both split and join lines here, so a certificate line is read
 * (and its comment checked) exactly like a key line.  Private to ca/.
 */
#ifndef MESHCA_KEYLINE_H
#define MESHCA_KEYLINE_H

#include <stddef.h>
#include <stdint.h>

#include "meshca/err.h"

/* A split line; every pointer points into the line given to keyline_split. */
struct keyline {
    const char *type;
    size_t type_len;    /* > 0 after a successful split */
    const char *b64;
    size_t b64_len;     /* 0 when the line has no second field */
    const char *comment;
    size_t comment_len; /* 0 when there is no comment */
};

/* Splits line into its fields: leading and trailing whitespace (including
 * a final newline) is ignored, fields are separated by spaces or tabs and
 * the comment is the rest of the line.  Returns 0 and fills *klp, or
 * MESHCA_ERR_INVALID_FORMAT when line is NULL, longer than max_len bytes or
 * has no type field (*klp then cleared).  Nothing else is checked, so the
 * caller may look at the type before the other fields. */
int keyline_split(const char *line, size_t max_len,
    struct keyline *klp) MESHCA_WUR;

/* Checks the rest of a split line and decodes its blob: the base64 field
 * must be present and the comment free of control characters other than
 * tab (both MESHCA_ERR_INVALID_FORMAT), the base64 valid
 * (MESHCA_ERR_BAD_BASE64).  Returns 0 and a new blob in *blobp (length in *lenp)
 * (caller frees), or a negative MESHCA_ERR_* (*blobp NULL, *lenp 0). */
int keyline_decode(const struct keyline *kl, uint8_t **blobp,
    size_t *lenp) MESHCA_WUR;

/* A new NUL-terminated copy of the comment in *commentp, NULL when the
 * line has none.  Returns 0 or MESHCA_ERR_ALLOC (*commentp NULL). */
int keyline_comment(const struct keyline *kl, char **commentp) MESHCA_WUR;

/* 1 when the type field is exactly name, 0 otherwise. */
int keyline_type_is(const struct keyline *kl, const char *name);

/* Joins "TYPE BASE64" plus " COMMENT" when comment is non-NULL and
 * non-empty (no newline).  A comment holding CR or LF is refused
 * (MESHCA_ERR_INVALID_ARGUMENT).  Returns 0 and a new string in *linep
 * (caller frees), or a negative MESHCA_ERR_* (*linep NULL). */
int keyline_join(const char *type, const uint8_t *blob, size_t len,
    const char *comment, char **linep) MESHCA_WUR;

#endif
