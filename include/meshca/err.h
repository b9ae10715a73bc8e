/*
 * meshca error codes: every fallible libmeshca function returns 0 or one of
 * these negative values.  meshca_strerror() turns one into text; callers in
 * api/ and cli/ decide what it means to a person (an HTTP status, a message).
 * meshcad and the client add codes of their own in the ranges below marked
 * as theirs (api/meshcad_err.h, cli/cli_err.h), each with a strerror that
 * falls back to meshca_strerror.
 *
 * Ranges (append inside your range, never renumber a landed code):
 *   -1 .. -29    general, buffer, system
 *   -30 .. -59   public keys and CA keys
 *   -60 .. -79   certificates
 *   -80 .. -99   KRLs
 *   -100 .. -119 policy
 *   -120 .. -149 identity (tokens): meshcad's
 *   -150 .. -159 service, ledger: meshcad's
 *   -160 .. -179 transparency log, canonical JSON
 *   -180 .. -199 client: cli/'s
 */
#ifndef MESHCA_ERR_H
#define MESHCA_ERR_H

#include <stddef.h>

#define MESHCA_WUR __attribute__((warn_unused_result))

enum meshca_err {
    MESHCA_OK = 0,
    MESHCA_ERR_INTERNAL = -1,
    MESHCA_ERR_ALLOC = -2,
    MESHCA_ERR_INVALID_ARGUMENT = -3,
    MESHCA_ERR_NO_BUFFER_SPACE = -4,
    MESHCA_ERR_MESSAGE_INCOMPLETE = -5,
    MESHCA_ERR_STRING_TOO_LARGE = -6,
    MESHCA_ERR_INVALID_FORMAT = -7,
    MESHCA_ERR_TRAILING_DATA = -8,
    MESHCA_ERR_BAD_BASE64 = -9,
    MESHCA_ERR_SYSTEM = -10, /* see errno */
    MESHCA_ERR_LIBCRYPTO = -11,
    MESHCA_ERR_NOT_FOUND = -12,
    MESHCA_ERR_DURATION = -13,
    MESHCA_ERR_BIGNUM_TOO_LARGE = -14,
    MESHCA_ERR_BIGNUM_NEGATIVE = -15,
    MESHCA_ERR_RANDOM = -16,
    MESHCA_ERR_URL_INVALID = -17,
    MESHCA_ERR_URL_INSECURE = -18,

    MESHCA_ERR_KEY_TYPE_UNKNOWN = -30,
    MESHCA_ERR_KEY_TYPE_REFUSED = -31,
    MESHCA_ERR_KEY_TOO_SMALL = -32,
    MESHCA_ERR_KEY_BAD_EXPONENT = -33,
    MESHCA_ERR_KEY_INVALID_EC_POINT = -34,
    MESHCA_ERR_KEY_LENGTH = -35,
    MESHCA_ERR_KEY_IS_CERT = -36,
    MESHCA_ERR_KEY_CURVE_MISMATCH = -37,
    /* -38 is meshcad's MESHCA_ERR_KEY_FILE_PERMISSIONS (api/meshcad_err.h). */
    MESHCA_ERR_KEY_NOT_PRIVATE = -39,
    MESHCA_ERR_KEY_TYPE_MISMATCH = -40,
    MESHCA_ERR_SIGNATURE_INVALID = -41,
    MESHCA_ERR_CAKEY_SET = -42,
    MESHCA_ERR_CAKEY_DUPLICATE = -43,
    MESHCA_ERR_KEY_TOO_LARGE = -44,
    MESHCA_ERR_KEY_SMALL_ORDER = -45,
    MESHCA_ERR_KEY_APPLICATION = -46,
    MESHCA_ERR_CAKEY_UNAVAILABLE = -48, /* external signer (HSM) down */

    MESHCA_ERR_CERT_PRINCIPAL = -60,
    MESHCA_ERR_CERT_NO_PRINCIPALS = -61,
    MESHCA_ERR_CERT_TOO_MANY_PRINCIPALS = -62,
    MESHCA_ERR_CERT_VALIDITY = -63,
    MESHCA_ERR_CERT_OPTION = -64,
    MESHCA_ERR_CERT_CIDR = -65,
    MESHCA_ERR_CERT_CERTIFY_CA = -66,
    MESHCA_ERR_CERT_SIGNATURE = -67,
    MESHCA_ERR_CERT_TYPE = -68,
    MESHCA_ERR_CERT_KEY_ID = -69,
    MESHCA_ERR_CERT_NOT_SORTED = -70,
    MESHCA_ERR_CERT_SERIAL = -71,

    MESHCA_ERR_KRL_INVALID = -80,
    MESHCA_ERR_KRL_SERIAL_ZERO = -81,
    MESHCA_ERR_KRL_SIGNATURE = -82,
    MESHCA_ERR_KRL_VERSION = -83,

    MESHCA_ERR_POLICY_INVALID = -100,
    MESHCA_ERR_POLICY_DENIED = -101,

    MESHCA_ERR_TLOG_PROOF = -160,
    MESHCA_ERR_TLOG_CHECKPOINT = -161,
    MESHCA_ERR_TLOG_NOTE = -162,
    MESHCA_ERR_JCS = -163,
};

/* Returns a static description of err; never NULL, also for unknown codes. */
const char *meshca_strerror(int err);

/* One code's text, in the table of codes a program adds in its own range. */
struct meshca_errtext {
    int code;
    const char *text;
};

/* The text of err in table (n entries), else meshca_strerror(err): what a
 * program's own strerror returns.  Never NULL. */
const char *meshca_strerror_in(const struct meshca_errtext *table, size_t n,
    int err);

#endif
