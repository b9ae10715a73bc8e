/* meshca_strerror: the one table of error texts. */
#include "meshca/err.h"

const char *
meshca_strerror(int err)
{
    switch (err) {
    case MESHCA_OK:
        return "success";
    case MESHCA_ERR_INTERNAL:
        return "internal error";
    case MESHCA_ERR_ALLOC:
        return "memory allocation failed";
    case MESHCA_ERR_INVALID_ARGUMENT:
        return "invalid argument";
    case MESHCA_ERR_NO_BUFFER_SPACE:
        return "data exceeds the buffer's size limit";
    case MESHCA_ERR_MESSAGE_INCOMPLETE:
        return "data is truncated";
    case MESHCA_ERR_STRING_TOO_LARGE:
        return "string is too large";
    case MESHCA_ERR_INVALID_FORMAT:
        return "invalid format";
    case MESHCA_ERR_TRAILING_DATA:
        return "unexpected trailing data";
    case MESHCA_ERR_BAD_BASE64:
        return "invalid base64";
    case MESHCA_ERR_SYSTEM:
        return "system error (see errno)";
    case MESHCA_ERR_LIBCRYPTO:
        return "cryptographic library error";
    case MESHCA_ERR_NOT_FOUND:
        return "not found";
    case MESHCA_ERR_DURATION:
        return "invalid duration (use a number with a unit: 90s, 5m, 1h)";
    case MESHCA_ERR_BIGNUM_TOO_LARGE:
        return "integer is too large";
    case MESHCA_ERR_BIGNUM_NEGATIVE:
        return "integer is negative";
    case MESHCA_ERR_RANDOM:
        return "random number generator failed";
    case MESHCA_ERR_URL_INVALID:
        return "URL refused (not https, userinfo, bad port or shorthand host)";
    case MESHCA_ERR_URL_INSECURE:
        return "plain http is allowed only to a loopback address";
    case MESHCA_ERR_KEY_TYPE_UNKNOWN:
        return "unknown or unsupported key type";
    case MESHCA_ERR_KEY_TYPE_REFUSED:
        return "key type is refused (DSA keys are insecure; use Ed25519)";
    case MESHCA_ERR_KEY_TOO_SMALL:
        return "RSA key is too small (at least 2048 bits required)";
    case MESHCA_ERR_KEY_BAD_EXPONENT:
        return "RSA public exponent is invalid (must be odd, at least 65537 "
               "and below 2^32)";
    case MESHCA_ERR_KEY_INVALID_EC_POINT:
        return "EC public key is not a valid point on its curve";
    case MESHCA_ERR_KEY_LENGTH:
        return "key has the wrong length";
    case MESHCA_ERR_KEY_IS_CERT:
        return "a certificate was given where a plain public key is required";
    case MESHCA_ERR_KEY_CURVE_MISMATCH:
        return "EC curve name does not match the key type";
    case MESHCA_ERR_KEY_FILE_PERMISSIONS:
        return "private key file is readable by group or others (chmod 600 it)";
    case MESHCA_ERR_KEY_NOT_PRIVATE:
        return "file does not hold a private key";
    case MESHCA_ERR_KEY_TYPE_MISMATCH:
        return "key type name does not match the key data";
    case MESHCA_ERR_SIGNATURE_INVALID:
        return "signature is invalid or of an unacceptable algorithm";
    case MESHCA_ERR_CAKEY_SET:
        return "CA key set needs exactly one active key";
    case MESHCA_ERR_CAKEY_DUPLICATE:
        return "the same CA key is listed twice";
    case MESHCA_ERR_KEY_TOO_LARGE:
        return "RSA key is too large (at most 8192 bits)";
    case MESHCA_ERR_KEY_SMALL_ORDER:
        return "Ed25519 public key is a small-order point (any signature "
               "would verify)";
    case MESHCA_ERR_KEY_APPLICATION:
        return "security key application string is empty or not printable "
               "ASCII";
    case MESHCA_ERR_CERT_PRINCIPAL:
        return "invalid principal (must be non-empty, without whitespace, "
               "commas or control characters)";
    case MESHCA_ERR_CERT_NO_PRINCIPALS:
        return "certificate needs at least one principal";
    case MESHCA_ERR_CERT_TOO_MANY_PRINCIPALS:
        return "too many principals (at most 256)";
    case MESHCA_ERR_CERT_VALIDITY:
        return "invalid validity window";
    case MESHCA_ERR_CERT_OPTION:
        return "invalid critical option or extension";
    case MESHCA_ERR_CERT_CIDR:
        return "invalid source-address CIDR list";
    case MESHCA_ERR_CERT_CERTIFY_CA:
        return "refusing to certify a CA key";
    case MESHCA_ERR_CERT_SIGNATURE:
        return "certificate signature is invalid";
    case MESHCA_ERR_CERT_TYPE:
        return "not a user certificate of a supported type";
    case MESHCA_ERR_CERT_KEY_ID:
        return "invalid key id";
    case MESHCA_ERR_CERT_NOT_SORTED:
        return "certificate options or extensions are not sorted or repeat";
    case MESHCA_ERR_CERT_SERIAL:
        return "certificate serial must be between 1 and 2^63-1";
    case MESHCA_ERR_KRL_INVALID:
        return "invalid KRL";
    case MESHCA_ERR_KRL_SERIAL_ZERO:
        return "serial 0 cannot be revoked (it invalidates the whole KRL)";
    case MESHCA_ERR_KRL_SIGNATURE:
        return "KRL signature is invalid";
    case MESHCA_ERR_KRL_VERSION:
        return "unsupported KRL format version";
    case MESHCA_ERR_POLICY_INVALID:
        return "invalid policy";
    case MESHCA_ERR_POLICY_DENIED:
        return "denied by policy";
    case MESHCA_ERR_TOKEN_INVALID:
        return "invalid token";
    case MESHCA_ERR_TOKEN_KEYS_UNAVAILABLE:
        return "identity provider keys are unavailable";
    case MESHCA_ERR_JWKS_INVALID:
        return "invalid or unusable key set (JWKS)";
    case MESHCA_ERR_JWKS_FETCH:
        return "cannot fetch identity provider metadata or keys";
    case MESHCA_ERR_UNAVAILABLE:
        return "service unavailable";
    case MESHCA_ERR_LEDGER_REPLAY:
        return "token already used for its maximum number of certificates";
    case MESHCA_ERR_LEDGER_DUPLICATE_SERIAL:
        return "serial already exists in the ledger";
    case MESHCA_ERR_TLOG_PROOF:
        return "transparency log proof does not verify";
    case MESHCA_ERR_TLOG_CHECKPOINT:
        return "malformed transparency log checkpoint";
    case MESHCA_ERR_TLOG_NOTE:
        return "signed note malformed or not signed by the expected key";
    case MESHCA_ERR_JCS:
        return "value has no canonical JSON form (RFC 8785)";
    case MESHCA_ERR_LEDGER_BLOCKED:
        return "new certificates for this subject are blocked";
    case MESHCA_ERR_CLI_NO_SERVER:
        return "no meshca server configured";
    case MESHCA_ERR_CLI_HTTP:
        return "the server could not be reached";
    case MESHCA_ERR_CLI_INSECURE_URL:
        return "plain HTTP to a host that is not loopback";
    case MESHCA_ERR_CLI_AGENT:
        return "the ssh-agent could not be reached or refused";
    case MESHCA_ERR_CLI_LOGIN:
        return "the login at the identity provider failed";
    case MESHCA_ERR_CLI_CERT_CHECK:
        return "the issued certificate failed a check";
    case MESHCA_ERR_CLI_CONFIG:
        return "invalid client configuration";
    }
    return "unknown error";
}
