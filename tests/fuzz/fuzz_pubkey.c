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

static void
roundtrip(const struct key *k)
{
    struct key *k2 = NULL;
    char *line = NULL, *fp = NULL;

    if (key_to_line(k, "fuzz", &line) != 0 || key_from_line(line, &k2) != 0 ||
        !key_equal(k, k2) || key_fingerprint(k, &fp) != 0 ||
        strncmp(fp, "SHA256:", 7) != 0)
        abort();
    free(line);
    free(fp);
    key_free(k2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct key *k = NULL;
    char *s;

    if (key_from_blob(data, size, &k) == 0) {
        roundtrip(k);
        key_free(k);
        k = NULL;
    }
    if ((s = malloc(size + 1)) == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    if (key_from_line(s, &k) == 0) {
        roundtrip(k);
        key_free(k);
    }
    free(s);
    return 0;
}
