/*
 * meshcad's own error codes, beside libmeshca's (meshca/err.h): what only
 * the service produces - identity (tokens, JWKS), the ledger, an
 * unavailable dependency, CA key files.  They share libmeshca's negative
 * number space in ranges it leaves to meshcad (see meshca/err.h), so one int
 * carries either kind.  meshcad_strerror() reads both.
 */
#ifndef MESHCAD_ERR_H
#define MESHCAD_ERR_H

#include "meshca/err.h"

enum meshcad_err {
    /* In libmeshca's key range, which keeps -38 free for it. */
    MESHCA_ERR_KEY_FILE_PERMISSIONS = -38,

    MESHCA_ERR_TOKEN_INVALID = -120,
    MESHCA_ERR_TOKEN_KEYS_UNAVAILABLE = -121,
    MESHCA_ERR_JWKS_INVALID = -122,
    MESHCA_ERR_JWKS_FETCH = -123,

    MESHCA_ERR_UNAVAILABLE = -150,
    MESHCA_ERR_LEDGER_REPLAY = -151,
    MESHCA_ERR_LEDGER_DUPLICATE_SERIAL = -152,
    MESHCA_ERR_LEDGER_BLOCKED = -153, /* the subject is blocked */
    /* Just-in-time access (#17). */
    MESHCA_ERR_LEDGER_DECIDED = -158, /* this person already decided so */
    MESHCA_ERR_LEDGER_COLLECTED = -159, /* the request was collected */
};

/* A static description of err, a meshcad or a libmeshca code (falling back
 * to meshca_strerror); never NULL, also for unknown codes. */
const char *meshcad_strerror(int err);

#endif
