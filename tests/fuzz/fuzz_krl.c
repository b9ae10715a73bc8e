/* libFuzzer target: the KRL parser and its lookups. */
#include <stddef.h>
#include <stdint.h>

#include "meshca/krl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t ca[] = "\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    struct krl *k = NULL;

    if (krl_parse(data, size, &k) == 0) {
        (void)krl_check_cert(k, ca, sizeof(ca) - 1, 5, "id", ca,
            sizeof(ca) - 1);
        (void)krl_check_key(k, data, size);
        krl_free(k);
    }
    return 0;
}
