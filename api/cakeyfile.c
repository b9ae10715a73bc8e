/* meshcad's CA key files: create, check, read.  See cakeyfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>

#include "cakeyfile.h"
#include "meshcad_err.h"
#include "secretfile.h"

static int
fsync_dir_of(const char *path)
{
    char *copy = NULL;
    int fd = -1, r = MESHCA_ERR_SYSTEM;

    if ((copy = strdup(path)) == NULL)
        return MESHCA_ERR_ALLOC;
    if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
        goto out;
    if (fsync(fd) == -1 && errno != EINVAL)
        goto out;
    r = 0;
out:
    if (fd != -1)
        close(fd);
    free(copy);
    return r;
}

int
cakeyfile_generate(enum cakey_kind kind, const char *path,
    struct cakey **keyp)
{
    struct cakey *k = NULL;
    BIO *bio = NULL;
    int fd = -1, created = 0, r, saved;

    if (keyp != NULL)
        *keyp = NULL;
    if ((r = cakey_new(kind, &k)) != 0)
        goto out;
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
        0600);
    if (fd == -1) {
        r = MESHCA_ERR_SYSTEM;
        goto out;
    }
    created = 1;
    /* The umask can only narrow 0600; make it exact anyway. */
    if (fchmod(fd, 0600) == -1) {
        r = MESHCA_ERR_SYSTEM;
        goto out;
    }
    /* Written straight to the descriptor: no copy of the key in memory. */
    if ((bio = BIO_new_fd(fd, BIO_NOCLOSE)) == NULL) {
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    if ((r = cakey_write_pem(k, bio)) != 0)
        goto out;
    if (fsync(fd) == -1) {
        r = MESHCA_ERR_SYSTEM;
        goto out;
    }
    if (close(fd) == -1) {
        fd = -1;
        r = MESHCA_ERR_SYSTEM;
        goto out;
    }
    fd = -1;
    if ((r = fsync_dir_of(path)) != 0)
        goto out;
    if (keyp != NULL) {
        *keyp = k;
        k = NULL;
    }
    created = 0;
    r = 0;
out:
    saved = errno;
    BIO_free(bio);
    if (fd != -1)
        close(fd);
    if (created)
        unlink(path);
    cakey_free(k);
    errno = saved;
    return r;
}

/* A file that is not regular or is too large to be a key gets
 * MESHCA_ERR_KEY_NOT_PRIVATE, as the callers always said. */
int
cakeyfile_load(const char *path, struct cakey **keyp)
{
    uint8_t *data;
    char why[128];
    size_t len = 0;
    int r, saved;

    *keyp = NULL;
    if ((data = malloc(CAKEY_PEM_MAX)) == NULL)
        return MESHCA_ERR_ALLOC;
    r = secretfile_read(path, data, CAKEY_PEM_MAX, &len, why, sizeof(why));
    if (r == MESHCA_ERR_INVALID_FORMAT || r == MESHCA_ERR_STRING_TOO_LARGE)
        r = MESHCA_ERR_KEY_NOT_PRIVATE;
    else if (r == 0)
        r = cakey_from_pem((const char *)data, len, keyp);
    saved = errno;
    OPENSSL_cleanse(data, CAKEY_PEM_MAX);
    free(data);
    errno = saved;
    return r;
}

int
cakeyfile_keys_init(struct cakeyfile_keys *kl, size_t cap)
{
    memset(kl, 0, sizeof(*kl));
    if ((kl->keys = calloc(cap, sizeof(*kl->keys))) == NULL ||
        (kl->states = calloc(cap, sizeof(*kl->states))) == NULL) {
        cakeyfile_keys_clear(kl);
        return MESHCA_ERR_ALLOC;
    }
    return 0;
}

int
cakeyfile_keys_to_set(struct cakeyfile_keys *kl, struct cakey_set **setp)
{
    int r;

    if ((r = cakey_set_from_keys(kl->keys, kl->states, kl->n, setp)) != 0)
        return r;
    kl->n = 0;      /* the set owns them now */
    return 0;
}

void
cakeyfile_keys_clear(struct cakeyfile_keys *kl)
{
    size_t i;

    for (i = 0; kl->keys != NULL && i < kl->n; i++)
        cakey_free(kl->keys[i]);
    free(kl->keys);
    free(kl->states);
    memset(kl, 0, sizeof(*kl));
}

int
cakeyfile_load_set(const struct cakeyfile_spec *specs, size_t n,
    struct cakey_set **setp)
{
    struct cakeyfile_keys kl = { 0 };
    size_t i;
    int r;

    *setp = NULL;
    if (n == 0)
        return MESHCA_ERR_CAKEY_SET;
    if ((r = cakeyfile_keys_init(&kl, n)) != 0)
        return r;
    for (i = 0; i < n; i++) {
        kl.states[i] = specs[i].state;
        if ((r = cakeyfile_load(specs[i].path, &kl.keys[i])) != 0)
            goto out;
        kl.n++;
    }
    r = cakeyfile_keys_to_set(&kl, setp);
out:
    cakeyfile_keys_clear(&kl);
    return r;
}
