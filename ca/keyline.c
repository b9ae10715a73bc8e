/* The "TYPE BASE64 [COMMENT]" line keys and certificates share. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meshca/buf.h"

#include "keyline.h"

static int
is_ws(char c)
{
    return c == ' ' || c == '\t';
}

/* Skips the whitespace at p, then takes the field that follows (up to the
 * next whitespace or end) into (*fieldp, *lenp).  Returns where it stopped. */
static const char *
take_field(const char *p, const char *end, const char **fieldp,
    size_t *lenp)
{
    while (p < end && is_ws(*p))
        p++;
    *fieldp = p;
    while (p < end && !is_ws(*p))
        p++;
    *lenp = (size_t)(p - *fieldp);
    return p;
}

int
keyline_split(const char *line, size_t max_len, struct keyline *klp)
{
    const char *end = NULL;
    struct keyline kl;

    memset(klp, 0, sizeof(*klp));
    if (line == NULL || strnlen(line, max_len + 1) > max_len)
        return MESHCA_ERR_INVALID_FORMAT;
    end = line + strlen(line);
    /* Trailing whitespace and line ends are not part of the comment. */
    while (end > line && (is_ws(end[-1]) || end[-1] == '\n' ||
        end[-1] == '\r'))
        end--;
    line = take_field(line, end, &kl.type, &kl.type_len);
    line = take_field(line, end, &kl.b64, &kl.b64_len);
    while (line < end && is_ws(*line))
        line++;
    kl.comment = line;
    kl.comment_len = (size_t)(end - line);
    if (kl.type_len == 0)
        return MESHCA_ERR_INVALID_FORMAT;
    *klp = kl;
    return 0;
}

int
keyline_decode(const struct keyline *kl, uint8_t **blobp, size_t *lenp)
{
    size_t i;

    *blobp = NULL;
    *lenp = 0;
    if (kl->b64_len == 0)
        return MESHCA_ERR_INVALID_FORMAT;
    for (i = 0; i < kl->comment_len; i++) {
        if ((unsigned char)kl->comment[i] < 0x20 && kl->comment[i] != '\t')
            return MESHCA_ERR_INVALID_FORMAT;
    }
    return meshca_b64_decode(kl->b64, kl->b64_len, 0, blobp, lenp);
}

int
keyline_comment(const struct keyline *kl, char **commentp)
{
    char *comment = NULL;

    *commentp = NULL;
    if (kl->comment_len == 0)
        return 0;
    if ((comment = malloc(kl->comment_len + 1)) == NULL)
        return MESHCA_ERR_ALLOC;
    memcpy(comment, kl->comment, kl->comment_len);
    comment[kl->comment_len] = '\0';
    *commentp = comment;
    return 0;
}

int
keyline_type_is(const struct keyline *kl, const char *name)
{
    return strlen(name) == kl->type_len &&
        memcmp(name, kl->type, kl->type_len) == 0;
}

int
keyline_join(const char *type, const uint8_t *blob, size_t blob_len,
    const char *comment, char **linep)
{
    char *b64 = NULL, *line = NULL;
    size_t len;
    int r;

    *linep = NULL;
    if (comment != NULL && strpbrk(comment, "\r\n") != NULL) {
        r = MESHCA_ERR_INVALID_ARGUMENT;
        goto out;
    }
    if ((r = meshca_b64_encode(blob, blob_len, 0, &b64)) != 0)
        goto out;
    len = strlen(type) + 1 + strlen(b64) +
        (comment != NULL ? 1 + strlen(comment) : 0) + 1;
    if ((line = malloc(len)) == NULL) {
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    if (comment != NULL && *comment != '\0')
        snprintf(line, len, "%s %s %s", type, b64, comment);
    else
        snprintf(line, len, "%s %s", type, b64);
    *linep = line;
    r = 0;
out:
    free(b64);
    return r;
}
