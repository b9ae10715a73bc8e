/* The ledger's MAC key and log key.  See logkeys.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cakeyfile.h"
#include "entry.h"
#include "logkeys.h"
#include "meshcad_err.h"

int
logkeys_load_mac(const char *path, uint8_t *key, size_t *lenp, char *why,
    size_t whylen)
{
    uint8_t tmp[ENTRY_MAC_KEY_MAX + 1];
    struct stat st;
    ssize_t n;
    size_t len = 0;
    int fd, r = MESHCA_ERR_INVALID_FORMAT;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
        snprintf(why, whylen, "ledger.mac_key %s: cannot open: %s", path,
            strerror(errno));
        return MESHCA_ERR_SYSTEM;
    }
    if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
        snprintf(why, whylen, "ledger.mac_key %s: not a regular file", path);
        goto out;
    }
    if ((st.st_mode & 077) != 0) {
        snprintf(why, whylen, "ledger.mac_key %s: group or others can read "
            "it (mode %04o): chmod 600", path, (unsigned)(st.st_mode & 07777));
        r = MESHCA_ERR_KEY_FILE_PERMISSIONS;
        goto out;
    }
    while (len < sizeof(tmp) &&
        (n = read(fd, tmp + len, sizeof(tmp) - len)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(why, whylen, "ledger.mac_key %s: %s", path,
                strerror(errno));
            r = MESHCA_ERR_SYSTEM;
            goto out;
        }
        len += (size_t)n;
    }
    if (len < ENTRY_MAC_KEY_MIN || len > ENTRY_MAC_KEY_MAX) {
        snprintf(why, whylen, "ledger.mac_key %s: must hold %d to %d random "
            "bytes (it holds %s%zu); make one with: head -c 32 /dev/urandom "
            "> FILE", path, ENTRY_MAC_KEY_MIN, ENTRY_MAC_KEY_MAX,
            len > ENTRY_MAC_KEY_MAX ? "more than " : "",
            len > ENTRY_MAC_KEY_MAX ? (size_t)ENTRY_MAC_KEY_MAX : len);
        goto out;
    }
    memcpy(key, tmp, len);
    *lenp = len;
    r = 0;
out:
    OPENSSL_cleanse(tmp, sizeof(tmp));
    close(fd);
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
