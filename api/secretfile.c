/* Reading secret files.  See secretfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secretfile.h"

/* Reads fd to its end into buf (cap bytes).  Returns 0, MESHCA_ERR_SYSTEM
 * or MESHCA_ERR_STRING_TOO_LARGE when buf fills. */
static int
read_all(int fd, uint8_t *buf, size_t cap, size_t *lenp)
{
    size_t len = 0;
    ssize_t n;

    *lenp = 0;
    while (len < cap) {
        n = read(fd, buf + len, cap - len);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            return MESHCA_ERR_SYSTEM;
        if (n == 0) {
            *lenp = len;
            return 0;
        }
        len += (size_t)n;
    }
    return MESHCA_ERR_STRING_TOO_LARGE;
}

/* O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused as
 * not a regular file right after. */
int
regfile_open(const char *path, int owner_only, struct stat *st, char *why,
    size_t whylen)
{
    int fd, r, saved;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) ==
        -1) {
        snprintf(why, whylen, "cannot open: %s", strerror(errno));
        return MESHCA_ERR_SYSTEM;
    }
    if (fstat(fd, st) == -1) {
        snprintf(why, whylen, "cannot read: %s", strerror(errno));
        r = MESHCA_ERR_SYSTEM;
    } else if (!S_ISREG(st->st_mode)) {
        snprintf(why, whylen, "not a regular file");
        r = MESHCA_ERR_INVALID_FORMAT;
    } else if (owner_only && (st->st_mode & 077) != 0) {
        snprintf(why, whylen, "group or others can read it (mode %04o): "
            "chmod 600 it", (unsigned)(st->st_mode & 07777));
        r = MESHCA_ERR_KEY_FILE_PERMISSIONS;
    } else
        return fd;
    saved = errno;
    close(fd);
    errno = saved;
    return r;
}

int
secretfile_read(const char *path, uint8_t *buf, size_t cap, size_t *lenp,
    char *why, size_t whylen)
{
    struct stat st;
    int fd, r, saved;

    *lenp = 0;
    if ((fd = regfile_open(path, 1, &st, why, whylen)) < 0)
        return fd;
    if ((r = read_all(fd, buf, cap, lenp)) == MESHCA_ERR_SYSTEM)
        snprintf(why, whylen, "cannot read: %s", strerror(errno));
    else if (r != 0)
        snprintf(why, whylen, "larger than %zu bytes", cap - 1);
    saved = errno;
    close(fd);
    errno = saved;
    return r;
}
