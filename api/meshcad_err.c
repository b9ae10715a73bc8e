/* meshcad_strerror: the texts of meshcad's own error codes. */
#include <stddef.h>

#include "meshcad_err.h"

static const struct meshca_errtext texts[] = {
    { MESHCA_ERR_KEY_FILE_PERMISSIONS,
        "private key file is readable by group or others (chmod 600 it)" },
    { MESHCA_ERR_TOKEN_INVALID, "invalid token" },
    { MESHCA_ERR_TOKEN_KEYS_UNAVAILABLE,
        "identity provider keys are unavailable" },
    { MESHCA_ERR_JWKS_INVALID, "invalid or unusable key set (JWKS)" },
    { MESHCA_ERR_JWKS_FETCH,
        "cannot fetch identity provider metadata or keys" },
    { MESHCA_ERR_UNAVAILABLE, "service unavailable" },
    { MESHCA_ERR_LEDGER_REPLAY,
        "token already used for its maximum number of certificates" },
    { MESHCA_ERR_LEDGER_DUPLICATE_SERIAL,
        "serial already exists in the ledger" },
    { MESHCA_ERR_LEDGER_BLOCKED,
        "new certificates for this subject are blocked" },
    { MESHCA_ERR_LEDGER_DECIDED,
      "this person has already made this decision on the request" },
    { MESHCA_ERR_LEDGER_COLLECTED,
      "the access request's certificate was already collected" },
};

const char *
meshcad_strerror(int err)
{
    return meshca_strerror_in(texts, sizeof(texts) / sizeof(texts[0]), err);
}
