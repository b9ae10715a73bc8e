/* Unit tests for ca/url.c */
#include "meshca/url.h"
#include "../../lib/unit.h"

TEST(test_url_accepts_literal_loopback)
{
    ASSERT(url_is_loopback_http("http://127.0.0.1:9443"));
    ASSERT(url_is_loopback_http("http://127.0.0.1:9443/jwks"));
    ASSERT(url_is_loopback_http("http://127.1.2.3/x?y"));
    ASSERT(url_is_loopback_http("http://localhost:80/"));
    ASSERT(url_is_loopback_http("http://[::1]:8080/jwks"));
    ASSERT(url_is_loopback_http("http://localhost"));
}

TEST(test_url_refuses_lookalikes)
{
    ASSERT(!url_is_loopback_http("http://127.evil.com/"));
    ASSERT(!url_is_loopback_http("http://127.0.0.1.evil.com/"));
    ASSERT(!url_is_loopback_http("http://localhost.evil.com/"));
    ASSERT(!url_is_loopback_http("http://127.0.0.1@evil.com/"));
    ASSERT(!url_is_loopback_http("http://evil.com/?u=http://127.0.0.1"));
    ASSERT(!url_is_loopback_http("http://127.0.0.1:80x/"));
    ASSERT(!url_is_loopback_http("http://127.0.0.1:/"));
    ASSERT(!url_is_loopback_http("http://10.0.0.1/"));
    ASSERT(!url_is_loopback_http("http://[::2]/"));
    ASSERT(!url_is_loopback_http("https://127.0.0.1/"));
    ASSERT(!url_is_loopback_http("http:///"));
    ASSERT(!url_is_loopback_http(NULL));
}

UNIT_MAIN(T(test_url_accepts_literal_loopback), T(test_url_refuses_lookalikes))
