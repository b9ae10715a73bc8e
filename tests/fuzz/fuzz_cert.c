/*
 * libFuzzer target: certificate parsing and verification (ca/cert.c), as a
 * wire blob and as a "-cert.pub" line.  Whatever parses must hold the
 * invariants the parser promises and round-trip through its line form.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meshca/cert.h"
#include "meshca/principal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Checks c and frees it. */
static void
check(struct cert *c)
{
    struct cert *c2 = NULL;
    char *line = NULL;
    size_t i;

    if (c->type != CERT_TYPE_USER || c->nprincipals == 0 ||
        c->nprincipals > PRINCIPALS_MAX || c->valid_after >= c->valid_before ||
        c->signed_len >= c->blob_len)
        abort();
    for (i = 1; i < c->noptions; i++)
        if (strcmp(c->options[i - 1].name, c->options[i].name) >= 0)
            abort();
    for (i = 1; i < c->nextensions; i++)
        if (strcmp(c->extensions[i - 1].name, c->extensions[i].name) >= 0)
            abort();
    if (cert_to_line(c, NULL, &line) != 0 || cert_from_line(line, &c2) != 0 ||
        c2->blob_len != c->blob_len ||
        memcmp(c2->blob, c->blob, c->blob_len) != 0)
        abort();
    free(line);
    cert_free(c2);
    cert_free(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cert *c = NULL;
    char *s;

    if (cert_from_blob(data, size, &c) == 0)
        check(c);
    /* The line parser sees the input up to its first NUL. */
    if ((s = strndup((const char *)data, size)) != NULL &&
        cert_from_line(s, &c) == 0)
        check(c);
    free(s);
    return 0;
}
