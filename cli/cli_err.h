/*
 * The client's own error codes, beside libmeshca's (meshca/err.h), in the
 * range libmeshca leaves to cli/ (-180 .. -199), so one int carries either
 * kind.  cli_strerror() reads both.
 */
#ifndef MESHCA_CLI_ERR_H
#define MESHCA_CLI_ERR_H

#include "meshca/err.h"

enum cli_err {
    MESHCA_ERR_CLI_NO_SERVER = -180,
    MESHCA_ERR_CLI_HTTP = -181,
    MESHCA_ERR_CLI_INSECURE_URL = -182,
    MESHCA_ERR_CLI_AGENT = -183,
    MESHCA_ERR_CLI_LOGIN = -184,
    MESHCA_ERR_CLI_CERT_CHECK = -185,
    MESHCA_ERR_CLI_CONFIG = -186,
};

/* A static description of err, a client or a libmeshca code (falling back
 * to meshca_strerror); never NULL, also for unknown codes. */
const char *cli_strerror(int err);

#endif
