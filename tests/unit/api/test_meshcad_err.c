/* Unit tests for api/meshcad_err.c: meshcad's error texts. */
#include <string.h>

#include "meshca/err.h"
#include "../../../api/meshcad_err.h"
#include "../../lib/unit.h"

TEST(test_meshcad_strerror_reads_service_codes_and_falls_back)
{
    ASSERT_STR_EQ(meshcad_strerror(MESHCA_ERR_UNAVAILABLE),
        "service unavailable");
    ASSERT_STR_EQ(meshcad_strerror(MESHCA_ERR_KEY_FILE_PERMISSIONS),
        "private key file is readable by group or others (chmod 600 it)");
    ASSERT_STR_EQ(meshcad_strerror(MESHCA_ERR_LEDGER_BLOCKED),
        "new certificates for this subject are blocked");
    /* libmeshca's codes read as meshca_strerror reads them. */
    ASSERT_STR_EQ(meshcad_strerror(MESHCA_ERR_KEY_NOT_PRIVATE),
        meshca_strerror(MESHCA_ERR_KEY_NOT_PRIVATE));
    ASSERT_STR_EQ(meshcad_strerror(0), "success");
    ASSERT_STR_EQ(meshcad_strerror(-9999), "unknown error");
    /* The library no longer knows the service's codes. */
    ASSERT_STR_EQ(meshca_strerror(MESHCA_ERR_UNAVAILABLE), "unknown error");
}

UNIT_MAIN(T(test_meshcad_strerror_reads_service_codes_and_falls_back))
