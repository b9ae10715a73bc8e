/* Unit tests for api/svid.c: X-Forwarded-Client-Cert and X.509-SVID
 * chains (made with openssl, trusted through a store of their root). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "../../../api/svid.h"
#include "../../lib/unit.h"

static int
xfcc(const char *h, char **idp)
{
    char why[512];

    return svid_from_xfcc(h, "mesh.test", idp, why, sizeof(why));
}

TEST(test_svid_xfcc_takes_the_one_uri)
{
    char *id = NULL;

    ASSERT_OK(xfcc("By=spiffe://mesh.test/meshcad;Hash=ab12;"
        "Subject=\"O=SPIRE,CN=a;b\";URI=spiffe://mesh.test/ns/a/sa/b", &id));
    ASSERT_STR_EQ(id, "spiffe://mesh.test/ns/a/sa/b");
    free(id);
    ASSERT_OK(xfcc("uri=\"spiffe://mesh.test/x\"", &id));
    ASSERT_STR_EQ(id, "spiffe://mesh.test/x");
    free(id);
}

TEST(test_svid_xfcc_refuses_ambiguity)
{
    static const char *const bad[] = {
        "URI=spiffe://mesh.test/a,URI=spiffe://mesh.test/b",
        "URI=spiffe://mesh.test/a;URI=spiffe://mesh.test/b",
        "By=spiffe://mesh.test/a", "URI", "URI=\"spiffe://mesh.test/a",
        "URI=spiffe://other.test/a", "URI=spiffe://mesh.test/a/../b",
        "XURI=spiffe://mesh.test/a", "" };
    char *id = NULL;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (xfcc(bad[i], &id) == 0)
            unit_fail(__FILE__, __LINE__, "accepted \"%s\" as %s", bad[i],
                id);
        ASSERT(id == NULL);
    }
}

/* DER of the PEM certificate at path (caller frees). */
static unsigned char *
der_of(const char *path, size_t *lenp)
{
    FILE *f = fopen(path, "r");
    X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    unsigned char *der = NULL;
    int n;

    if (f != NULL)
        fclose(f);
    ASSERT(x != NULL);
    n = i2d_X509(x, &der);
    X509_free(x);
    ASSERT(n > 0);
    *lenp = (size_t)n;
    return der;
}

TEST(test_svid_chain_through_an_intermediate)
{
    const char *d = unit_tmpdir();
    char path[512], why[512], *id = NULL;
    const unsigned char *der[2];
    unsigned char *leaf, *mid;
    size_t lens[2];
    X509_STORE *store = NULL;

    ASSERT_INT_EQ(unit_sh("cd %s && "
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
        "-days 1 -subj /CN=root -keyout root.key -out root.pem && "
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
        "-subj /CN=mid -keyout mid.key -out mid.csr && "
        "printf 'basicConstraints=critical,CA:TRUE\\nkeyUsage=critical,"
        "keyCertSign\\n' >mid.ext && "
        "openssl x509 -req -in mid.csr -CA root.pem -CAkey root.key "
        "-CAcreateserial -days 1 -extfile mid.ext -out mid.pem && "
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
        "-subj /O=SPIRE -keyout leaf.key -out leaf.csr && "
        "printf 'subjectAltName=URI:spiffe://mesh.test/ns/a/sa/b\\n' "
        ">leaf.ext && openssl x509 -req -in leaf.csr -CA mid.pem -CAkey "
        "mid.key -CAcreateserial -days 1 -extfile leaf.ext -out leaf.pem",
        d), 0);
    snprintf(path, sizeof(path), "%s/root.pem", d);
    ASSERT_OK(svid_store_load(path, &store));
    snprintf(path, sizeof(path), "%s/leaf.pem", d);
    leaf = der_of(path, &lens[0]);
    snprintf(path, sizeof(path), "%s/mid.pem", d);
    mid = der_of(path, &lens[1]);
    der[0] = leaf;
    der[1] = mid;
    ASSERT_OK(svid_verify_der(store, "mesh.test", der, lens, 2, &id, why,
        sizeof(why)));
    ASSERT_STR_EQ(id, "spiffe://mesh.test/ns/a/sa/b");
    free(id);
    id = NULL;
    /* Without the intermediate it does not chain. */
    ASSERT(svid_verify_der(store, "mesh.test", der, lens, 1, &id, why,
        sizeof(why)) != 0);
    ASSERT(strstr(why, "does not verify") != NULL);
    /* Another trust domain. */
    ASSERT(svid_verify_der(store, "other.test", der, lens, 2, &id, why,
        sizeof(why)) != 0);
    ASSERT(id == NULL);
    OPENSSL_free(leaf);
    OPENSSL_free(mid);
    svid_store_free(store);
}

UNIT_MAIN(T(test_svid_xfcc_takes_the_one_uri),
    T(test_svid_xfcc_refuses_ambiguity),
    T(test_svid_chain_through_an_intermediate))
