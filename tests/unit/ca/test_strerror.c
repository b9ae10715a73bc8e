/* Unit tests for ca/err.c: libmeshca's error texts and the lookup that a
 * program's own strerror (meshcad's, the client's) is built on. */
#include "meshca/err.h"
#include "../../lib/unit.h"

TEST(test_err_library_texts_and_unknown_codes)
{
    ASSERT_STR_EQ(meshca_strerror(MESHCA_ERR_BAD_BASE64), "invalid base64");
    ASSERT_STR_EQ(meshca_strerror(0), "success");
    ASSERT_STR_EQ(meshca_strerror(1), "unknown error");
    ASSERT_STR_EQ(meshca_strerror(-9999), "unknown error");
    ASSERT_STR_EQ(meshca_strerror(-2147483647 - 1), "unknown error");
}

TEST(test_err_table_lookup_falls_back_to_the_library)
{
    static const struct meshca_errtext own[] = {
        { -190, "first own code" },
        { -191, "second own code" },
    };

    ASSERT_STR_EQ(meshca_strerror_in(own, 2, -191), "second own code");
    ASSERT_STR_EQ(meshca_strerror_in(own, 2, -190), "first own code");
    ASSERT_STR_EQ(meshca_strerror_in(own, 1, -191), "unknown error");
    ASSERT_STR_EQ(meshca_strerror_in(own, 2, MESHCA_ERR_ALLOC),
        meshca_strerror(MESHCA_ERR_ALLOC));
    ASSERT_STR_EQ(meshca_strerror_in(NULL, 0, -190), "unknown error");
}

UNIT_MAIN(T(test_err_library_texts_and_unknown_codes),
    T(test_err_table_lookup_falls_back_to_the_library))
