/*
 * libFuzzer target: public key parsing (ca/key.c), both as a wire blob and
 * as an authorized_keys line.  Whatever parses must serialize and parse back
 * to the same blob, and fingerprint without error.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meshca/key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Checks the round trip of k and frees it. */
static void
roundtrip(struct meshca_key *k)
{
    struct meshca_key *k2 = NULL;
    char *line = NULL, *fp = NULL;

    if (meshca_key_to_line(k, "fuzz", &line) != 0 || meshca_key_from_line(line, &k2) != 0 ||
        !meshca_key_equal(k, k2) || meshca_key_fingerprint(k, &fp) != 0 ||
        strncmp(fp, "SHA256:", 7) != 0)
        abort();
    free(line);
    free(fp);
    meshca_key_free(k2);
    meshca_key_free(k);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct meshca_key *k = NULL;
    char *s;

    if (meshca_key_from_blob(data, size, &k) == 0)
        roundtrip(k);
    /* The line parser sees the input up to its first NUL. */
    if ((s = strndup((const char *)data, size)) != NULL &&
        meshca_key_from_line(s, &k) == 0)
        roundtrip(k);
    free(s);
    return 0;
}
