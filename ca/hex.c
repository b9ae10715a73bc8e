/* Hexadecimal, see meshca/hex.h. */
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

int
meshca_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int
meshca_hex_decode(const char *s, uint8_t *out, size_t n)
{
    size_t i;
    int hi, lo;

    for (i = 0; i < n; i++) {
        if ((hi = meshca_hex_digit(s[2 * i])) < 0 ||
            (lo = meshca_hex_digit(s[2 * i + 1])) < 0)
            return MESHCA_ERR_INVALID_FORMAT;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}
