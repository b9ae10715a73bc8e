/* meshca_strerror: the table of libmeshca's error texts (meshcad's and the
 * client's own are in api/meshcad_err.c and cli/err.c). */
#include <stddef.h>

#include "meshca/err.h"
#include "meshca/principal.h"

/* Indexed by -code; a code missing here reads "unknown error". */
static const char *const texts[] = {
    [0] = "success",
    [-MESHCA_ERR_INTERNAL] = "internal error",
    [-MESHCA_ERR_ALLOC] = "memory allocation failed",
    [-MESHCA_ERR_INVALID_ARGUMENT] = "invalid argument",
    [-MESHCA_ERR_NO_BUFFER_SPACE] = "data exceeds the buffer's size limit",
    [-MESHCA_ERR_MESSAGE_INCOMPLETE] = "data is truncated",
    [-MESHCA_ERR_STRING_TOO_LARGE] = "string is too large",
    [-MESHCA_ERR_INVALID_FORMAT] = "invalid format",
    [-MESHCA_ERR_TRAILING_DATA] = "unexpected trailing data",
    [-MESHCA_ERR_BAD_BASE64] = "invalid base64",
    [-MESHCA_ERR_SYSTEM] = "system error (see errno)",
    [-MESHCA_ERR_LIBCRYPTO] = "cryptographic library error",
    [-MESHCA_ERR_NOT_FOUND] = "not found",
    [-MESHCA_ERR_DURATION] =
        "invalid duration (use a number with a unit: 90s, 5m, 1h)",
    [-MESHCA_ERR_BIGNUM_TOO_LARGE] = "integer is too large",
    [-MESHCA_ERR_BIGNUM_NEGATIVE] = "integer is negative",
    [-MESHCA_ERR_RANDOM] = "random number generator failed",
    [-MESHCA_ERR_URL_INVALID] =
        "URL refused (not https, userinfo, bad port or shorthand host)",
    [-MESHCA_ERR_URL_INSECURE] =
        "plain http is allowed only to a loopback address",
    [-MESHCA_ERR_KEY_TYPE_UNKNOWN] = "unknown or unsupported key type",
    [-MESHCA_ERR_KEY_TYPE_REFUSED] =
        "key type is refused (DSA keys are insecure; use Ed25519)",
    [-MESHCA_ERR_KEY_TOO_SMALL] =
        "RSA key is too small (at least 2048 bits required)",
    [-MESHCA_ERR_KEY_BAD_EXPONENT] =
        "RSA public exponent is invalid (must be odd, at least 65537 "
        "and below 2^32)",
    [-MESHCA_ERR_KEY_INVALID_EC_POINT] =
        "EC public key is not a valid point on its curve",
    [-MESHCA_ERR_KEY_LENGTH] = "key has the wrong length",
    [-MESHCA_ERR_KEY_IS_CERT] =
        "a certificate was given where a plain public key is required",
    [-MESHCA_ERR_KEY_CURVE_MISMATCH] =
        "EC curve name does not match the key type",
    [-MESHCA_ERR_KEY_NOT_PRIVATE] = "file does not hold a private key",
    [-MESHCA_ERR_KEY_TYPE_MISMATCH] =
        "key type name does not match the key data",
    [-MESHCA_ERR_SIGNATURE_INVALID] =
        "signature is invalid or of an unacceptable algorithm",
    [-MESHCA_ERR_CAKEY_SET] = "CA key set needs exactly one active key",
    [-MESHCA_ERR_CAKEY_DUPLICATE] = "the same CA key is listed twice",
    [-MESHCA_ERR_KEY_TOO_LARGE] = "RSA key is too large (at most 8192 bits)",
    [-MESHCA_ERR_KEY_SMALL_ORDER] =
        "Ed25519 public key is a small-order point (any signature "
        "would verify)",
    [-MESHCA_ERR_KEY_APPLICATION] =
        "security key application string is empty or not printable "
        "ASCII",
    [-MESHCA_ERR_CAKEY_UNAVAILABLE] =
        "the CA key's hardware token is unavailable",
    [-MESHCA_ERR_CERT_PRINCIPAL] =
        "invalid principal (" PRINCIPAL_RULE ")",
    [-MESHCA_ERR_CERT_NO_PRINCIPALS] =
        "certificate needs at least one principal",
    [-MESHCA_ERR_CERT_TOO_MANY_PRINCIPALS] =
        "too many principals (at most 256)",
    [-MESHCA_ERR_CERT_VALIDITY] = "invalid validity window",
    [-MESHCA_ERR_CERT_OPTION] = "invalid critical option or extension",
    [-MESHCA_ERR_CERT_CIDR] = "invalid source-address CIDR list",
    [-MESHCA_ERR_CERT_CERTIFY_CA] = "refusing to certify a CA key",
    [-MESHCA_ERR_CERT_SIGNATURE] = "certificate signature is invalid",
    [-MESHCA_ERR_CERT_TYPE] = "not a user certificate of a supported type",
    [-MESHCA_ERR_CERT_KEY_ID] = "invalid key id",
    [-MESHCA_ERR_CERT_NOT_SORTED] =
        "certificate options or extensions are not sorted or repeat",
    [-MESHCA_ERR_CERT_SERIAL] =
        "certificate serial must be between 1 and 2^63-1",
    [-MESHCA_ERR_KRL_INVALID] = "invalid KRL",
    [-MESHCA_ERR_KRL_SERIAL_ZERO] =
        "serial 0 cannot be revoked (it invalidates the whole KRL)",
    [-MESHCA_ERR_KRL_SIGNATURE] = "KRL signature is invalid",
    [-MESHCA_ERR_KRL_VERSION] = "unsupported KRL format version",
    [-MESHCA_ERR_POLICY_INVALID] = "invalid policy",
    [-MESHCA_ERR_POLICY_DENIED] = "denied by policy",
    [-MESHCA_ERR_TLOG_PROOF] = "transparency log proof does not verify",
    [-MESHCA_ERR_TLOG_CHECKPOINT] = "malformed transparency log checkpoint",
    [-MESHCA_ERR_TLOG_NOTE] =
        "signed note malformed or not signed by the expected key",
    [-MESHCA_ERR_JCS] = "value has no canonical JSON form (RFC 8785)",
};

const char *
meshca_strerror(int err)
{
    const size_t n = sizeof(texts) / sizeof(texts[0]);

    /* Compared before negating: -INT_MIN would overflow. */
    if (err > 0 || err < -(int)(n - 1) || texts[-err] == NULL)
        return "unknown error";
    return texts[-err];
}

const char *
meshca_strerror_in(const struct meshca_errtext *table, size_t n, int err)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (table[i].code == err)
            return table[i].text;
    return meshca_strerror(err);
}
