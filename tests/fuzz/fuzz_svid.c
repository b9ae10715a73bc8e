/*
 * libFuzzer target: workload identities (issue #16): SPIFFE IDs and
 * patterns (ca/spiffe.c), the X-Forwarded-Client-Cert parser and the
 * X.509-SVID chain reader (api/svid.c).  Whatever is accepted must be
 * consistent: a valid ID matches itself as a pattern, its segments rebuild
 * its path, an ID taken from XFCC is a valid ID of the trust domain.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meshca/spiffe.h"
#include "../../api/svid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_id(const char *s)
{
    char why[160], path[SPIFFE_ID_MAX + 1];
    const char *seg;
    size_t n, len, o = 0;

    if (spiffe_id_check(s, NULL, why, sizeof(why)) != 0)
        return;
    if (spiffe_pattern_check(s, why, sizeof(why)) != 0 ||
        !spiffe_match(s, s))
        abort();
    for (n = 0; spiffe_segment(s, n, &seg, &len) == 0; n++) {
        if (len == 0 || o + len + 1 > sizeof(path))
            abort();
        if (n > 0)
            path[o++] = '/';
        memcpy(path + o, seg, len);
        o += len;
    }
    path[o] = '\0';
    if (n == 0 || strcmp(path, spiffe_path(s)) != 0)
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static X509_STORE *store;
    const unsigned char *der[1] = { data };
    char *s, *id = NULL, why[512];
    size_t lens[1] = { size };

    if ((s = strndup((const char *)data, size)) == NULL)
        return 0;
    check_id(s);
    if (spiffe_pattern_check(s, why, sizeof(why)) == 0)
        (void)spiffe_match(s, "spiffe://mesh.test/ns/a/sa/b");
    if (svid_from_xfcc(s, "mesh.test", &id, why, sizeof(why)) == 0 &&
        spiffe_id_check(id, "mesh.test", why, sizeof(why)) != 0)
        abort();
    free(id);
    id = NULL;
    if (store == NULL)
        store = X509_STORE_new();
    if (size > 0 && svid_verify_der(store, "mesh.test", der, lens, 1, &id,
        why, sizeof(why)) == 0)
        abort(); /* nothing verifies against an empty store */
    free(id);
    free(s);
    return 0;
}
