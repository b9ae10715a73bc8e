/* Unit tests for cli/err.c: the client's error texts. */
#include <string.h>

#include "meshca/err.h"
#include "../../../cli/cli_err.h"
#include "../../lib/unit.h"

TEST(test_cli_strerror_reads_client_codes_and_falls_back)
{
    ASSERT_STR_EQ(cli_strerror(MESHCA_ERR_CLI_NO_SERVER),
        "no meshca server configured");
    ASSERT_STR_EQ(cli_strerror(MESHCA_ERR_CLI_CONFIG),
        "invalid client configuration");
    ASSERT_STR_EQ(cli_strerror(MESHCA_ERR_URL_INSECURE),
        meshca_strerror(MESHCA_ERR_URL_INSECURE));
    ASSERT_STR_EQ(cli_strerror(-9999), "unknown error");
    ASSERT_STR_EQ(meshca_strerror(MESHCA_ERR_CLI_AGENT), "unknown error");
}

UNIT_MAIN(T(test_cli_strerror_reads_client_codes_and_falls_back))
