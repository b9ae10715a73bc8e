/*
 * The ssh-agent protocol client (draft-miller-ssh-agent): add a key with its
 * certificate and a lifetime constraint, remove it, list identities.  The
 * private key travels only over the agent's Unix socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "meshca/buf.h"
#include "cli_keys.h"

#define AGENT_FAILURE 5
#define AGENT_SUCCESS 6
#define AGENTC_REQUEST_IDENTITIES 11
#define AGENT_IDENTITIES_ANSWER 12
#define AGENTC_REMOVE_IDENTITY 18
#define AGENTC_ADD_ID_CONSTRAINED 25
#define CONSTRAIN_LIFETIME 1

static int
full_io(int fd, void *p, size_t n, int wr)
{
    uint8_t *b = p;
    ssize_t r;

    while (n > 0) {
        r = wr ? write(fd, b, n) : read(fd, b, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        b += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Sends msg (without its length) and reads the reply into *replyp. */
static int
transact(const char *sock, const struct buf *msg, struct buf **replyp,
    char *why, size_t whylen)
{
    struct sockaddr_un sun;
    uint8_t len[4];
    uint32_t n;
    uint8_t *d = NULL;
    int fd, r = -1;

    *replyp = NULL;
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    if (strlen(sock) >= sizeof(sun.sun_path)) {
        snprintf(why, whylen, "SSH_AUTH_SOCK path too long");
        return -1;
    }
    strcpy(sun.sun_path, sock);
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
        connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
        snprintf(why, whylen, "cannot reach the ssh-agent at %s: %s", sock,
            strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    n = (uint32_t)buf_len(msg);
    len[0] = (uint8_t)(n >> 24);
    len[1] = (uint8_t)(n >> 16);
    len[2] = (uint8_t)(n >> 8);
    len[3] = (uint8_t)n;
    if (full_io(fd, len, 4, 1) != 0 ||
        full_io(fd, (void *)buf_ptr(msg), buf_len(msg), 1) != 0 ||
        full_io(fd, len, 4, 0) != 0) {
        snprintf(why, whylen, "ssh-agent connection failed");
        goto out;
    }
    n = (uint32_t)len[0] << 24 | (uint32_t)len[1] << 16 |
        (uint32_t)len[2] << 8 | len[3];
    if (n == 0 || n > 256 * 1024 || (d = malloc(n)) == NULL ||
        full_io(fd, d, n, 0) != 0) {
        snprintf(why, whylen, "bad reply from the ssh-agent");
        goto out;
    }
    if ((*replyp = buf_from(d, n)) == NULL)
        goto out;
    r = 0;
out:
    free(d);
    close(fd);
    return r;
}

static int
simple(const char *sock, struct buf *msg, char *why, size_t whylen)
{
    struct buf *reply = NULL;
    uint8_t type = 0;
    int r;

    if ((r = transact(sock, msg, &reply, why, whylen)) != 0)
        return r;
    r = buf_get_u8(reply, &type) == 0 && type == AGENT_SUCCESS ? 0 : -1;
    if (r != 0)
        snprintf(why, whylen, "the ssh-agent refused (reply %u)", type);
    buf_free(reply);
    return r;
}

int
agent_add_cert(const char *sock, const struct login_key *k,
    const uint8_t *cert, size_t cert_len, uint32_t lifetime,
    const char *comment, char *why, size_t whylen)
{
    struct buf *m = buf_new(16384);
    int r = -1;

    if (m == NULL)
        return -1;
    if (buf_put_u8(m, AGENTC_ADD_ID_CONSTRAINED) != 0 ||
        buf_put_cstring(m, "ssh-ed25519-cert-v01@openssh.com") != 0 ||
        buf_put_string(m, cert, cert_len) != 0 ||
        buf_put_string(m, k->pub32, 32) != 0 ||
        buf_put_string(m, k->priv64, 64) != 0 ||
        buf_put_cstring(m, comment) != 0 ||
        buf_put_u8(m, CONSTRAIN_LIFETIME) != 0 ||
        buf_put_u32(m, lifetime) != 0) {
        snprintf(why, whylen, "out of memory");
        goto out;
    }
    r = simple(sock, m, why, whylen);
out:
    buf_free(m); /* wiped: it held the private key */
    return r;
}

int
agent_remove(const char *sock, const uint8_t *blob, size_t len, char *why,
    size_t whylen)
{
    struct buf *m = buf_new(16384);
    int r = -1;

    if (m != NULL && buf_put_u8(m, AGENTC_REMOVE_IDENTITY) == 0 &&
        buf_put_string(m, blob, len) == 0)
        r = simple(sock, m, why, whylen);
    buf_free(m);
    return r;
}

int
agent_has(const char *sock, const uint8_t *blob, size_t len)
{
    struct buf *m = buf_new(16), *reply = NULL;
    const uint8_t *b;
    size_t bl;
    uint8_t type;
    uint32_t n, i;
    char why[128];
    int found = 0;

    if (m == NULL || buf_put_u8(m, AGENTC_REQUEST_IDENTITIES) != 0 ||
        transact(sock, m, &reply, why, sizeof(why)) != 0)
        goto out;
    if (buf_get_u8(reply, &type) != 0 || type != AGENT_IDENTITIES_ANSWER ||
        buf_get_u32(reply, &n) != 0)
        goto out;
    for (i = 0; i < n && !found; i++) {
        if (buf_get_string_direct(reply, &b, &bl) != 0 ||
            buf_get_string_direct(reply, NULL, NULL) != 0)
            break;
        found = bl == len && memcmp(b, blob, len) == 0;
    }
out:
    buf_free(m);
    buf_free(reply);
    return found;
}

int
write_file_atomic(const char *path, const void *data, size_t len,
    unsigned mode)
{
    char tmp[4096];
    int fd, saved;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
        (int)sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
        (mode_t)mode)) < 0)
        return -1;
    if (fchmod(fd, (mode_t)mode) != 0 ||
        full_io(fd, (void *)data, len, 1) != 0 || fsync(fd) != 0) {
        saved = errno;
        close(fd);
        unlink(tmp);
        errno = saved;
        return -1;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        saved = errno;
        unlink(tmp);
        errno = saved;
        return -1;
    }
    return 0;
}
