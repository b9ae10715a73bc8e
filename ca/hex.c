/* Lower-case hexadecimal, see meshca/hex.h. */
#include <stdint.h>

#include "meshca/hex.h"

char *
meshca_hex_encode(const void *data, size_t len, char *out, size_t outlen)
{
    static const char digits[] = "0123456789abcdef";
    const uint8_t *p = data;
    size_t i;

    for (i = 0; i < len && 2 * i + 2 < outlen; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 0x0f];
    }
    out[2 * i] = '\0';
    return out;
}
