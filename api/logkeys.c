/* The ledger's MAC key and log key.  See logkeys.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cakeyfile.h"
#include "entry.h"
#include "logkeys.h"
#include "meshcad_err.h"
#include "secretfile.h"

int
logkeys_load_mac(const char *path, uint8_t *key, size_t *lenp, char *why,
    size_t whylen)
{
    uint8_t tmp[ENTRY_MAC_KEY_MAX + 1];
    char reason[128];
    size_t len = 0;
    int r, big;

    r = secretfile_read(path, tmp, sizeof(tmp), &len, reason, sizeof(reason));
    big = r == MESHCA_ERR_STRING_TOO_LARGE;
    if (r != 0 && !big) {
        snprintf(why, whylen, "ledger.mac_key %s: %s", path, reason);
        goto out;
    }
    if (big || len < ENTRY_MAC_KEY_MIN) {
        snprintf(why, whylen, "ledger.mac_key %s: must hold %d to %d random "
            "bytes (it holds %s%zu); make one with: head -c 32 /dev/urandom "
            "> FILE", path, ENTRY_MAC_KEY_MIN, ENTRY_MAC_KEY_MAX,
            big ? "more than " : "", big ? (size_t)ENTRY_MAC_KEY_MAX : len);
        r = MESHCA_ERR_INVALID_FORMAT;
        goto out;
    }
    memcpy(key, tmp, len);
    *lenp = len;
out:
    OPENSSL_cleanse(tmp, sizeof(tmp));
    return r;
}

int
logkeys_load_signer(const char *path, struct cakey **keyp, char *why,
    size_t whylen)
{
    struct cakey *k = NULL;
    int r;

    *keyp = NULL;
    if ((r = cakeyfile_load(path, &k)) != 0) {
        snprintf(why, whylen, "ledger.log_key %s: %s%s%s", path,
            meshcad_strerror(r), r == MESHCA_ERR_SYSTEM ? ": " : "",
            r == MESHCA_ERR_SYSTEM ? strerror(errno) : "");
        return r;
    }
    if (EVP_PKEY_get_base_id(cakey_evp(k)) != EVP_PKEY_ED25519) {
        snprintf(why, whylen, "ledger.log_key %s: must be an Ed25519 key "
            "(meshcad keygen --type ed25519 --out FILE)", path);
        cakey_free(k);
        return MESHCA_ERR_KEY_TYPE_REFUSED;
    }
    *keyp = k;
    return 0;
}
