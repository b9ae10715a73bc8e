/* libFuzzer target: ID-token parsing and verification on arbitrary input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../api/config.h"
#include "../../api/identity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct identity *id;
static struct config *cfg;

static void
init(void)
{
    char dir[] = "/tmp/meshca-fuzz-token.XXXXXX", path[256];
    struct diags d = { 0 };
    FILE *f;

    if (mkdtemp(dir) == NULL)
        abort();
    snprintf(path, sizeof(path), "%s/jwks.json", dir);
    f = fopen(path, "w");
    /* The public EC key of RFC 7517's example (appendix A.1): enough to
     * exercise key selection; nothing fuzzed carries a valid signature. */
    fputs("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"k1\","
        "\"x\":\"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4\","
        "\"y\":\"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM\"}]}", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/c.json", dir);
    f = fopen(path, "w");
    fputs("{\"listen\":\"127.0.0.1:1\",\"database\":\"x\",\"ca_keys\":"
        "[{\"path\":\"ca\"}],\"policy\":\"p\",\"issuers\":[{\"issuer\":"
        "\"https://idp\",\"audiences\":[\"meshca\"],\"jwks_file\":"
        "\"jwks.json\"}]}", f);
    fclose(f);
    if (config_load(path, &cfg, &d) != 0 || identity_new(cfg, &id) != 0)
        abort();
    unlink(path);
    snprintf(path, sizeof(path), "%s/jwks.json", dir);
    unlink(path);
    rmdir(dir);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct claims *c = NULL;
    char why[256];

    if (id == NULL)
        init();
    if (identity_verify(id, (const char *)data, size, 1700000000, &c, why,
        sizeof(why)) == 0)
        abort(); /* nothing fuzzed can carry a valid signature */
    claims_free(c);
    return 0;
}
