/* cli_strerror: the texts of the client's own error codes. */
#include <stddef.h>

#include "cli_err.h"

static const struct meshca_errtext texts[] = {
    { MESHCA_ERR_CLI_NO_SERVER, "no meshca server configured" },
    { MESHCA_ERR_CLI_HTTP, "the server could not be reached" },
    { MESHCA_ERR_CLI_INSECURE_URL,
        "plain HTTP to a host that is not loopback" },
    { MESHCA_ERR_CLI_AGENT, "the ssh-agent could not be reached or refused" },
    { MESHCA_ERR_CLI_LOGIN, "the login at the identity provider failed" },
    { MESHCA_ERR_CLI_CERT_CHECK, "the issued certificate failed a check" },
    { MESHCA_ERR_CLI_CONFIG, "invalid client configuration" },
};

const char *
cli_strerror(int err)
{
    return meshca_strerror_in(texts, sizeof(texts) / sizeof(texts[0]), err);
}
