/*
 * The ssh-agent protocol client (draft-miller-ssh-agent, openssh
 * PROTOCOL.agent): add a key with its certificate and a lifetime
 * constraint, remove it, ask whether it is there.  The private key travels
 * only over the agent's Unix socket.  See cli_keys.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "meshca/buf.h"
#include "cli_err.h"
#include "cli_keys.h"

/* Largest agent reply read (an identities answer with many keys). */
#define AGENT_REPLY_MAX (256 * 1024)

int
agent_msg_add_cert(struct meshca_buf *m, const struct login_key *k,
    const uint8_t *cert, size_t cert_len, uint32_t lifetime,
    const char *comment)
{
    int r;

    if ((r = meshca_buf_put_u8(m, AGENTC_ADD_ID_CONSTRAINED)) != 0 ||
        (r = meshca_buf_put_cstring(m, "ssh-ed25519-cert-v01@openssh.com")) != 0 ||
        (r = meshca_buf_put_string(m, cert, cert_len)) != 0 ||
        (r = meshca_buf_put_string(m, k->pub32, sizeof(k->pub32))) != 0 ||
        (r = meshca_buf_put_string(m, k->priv64, sizeof(k->priv64))) != 0 ||
        (r = meshca_buf_put_cstring(m, comment ? comment : "")) != 0 ||
        (r = meshca_buf_put_u8(m, AGENT_CONSTRAIN_LIFETIME)) != 0 ||
        (r = meshca_buf_put_u32(m, lifetime)) != 0)
        return r;
    return 0;
}

int
agent_msg_remove(struct meshca_buf *m, const uint8_t *blob, size_t len)
{
    int r;

    if ((r = meshca_buf_put_u8(m, AGENTC_REMOVE_IDENTITY)) != 0 ||
        (r = meshca_buf_put_string(m, blob, len)) != 0)
        return r;
    return 0;
}

int
agent_answer_has(struct meshca_buf *answer, const uint8_t *blob, size_t len)
{
    const uint8_t *b;
    size_t bl;
    uint8_t type;
    uint32_t n, i;
    int found = 0;

    if (meshca_buf_get_u8(answer, &type) != 0 || type != AGENT_IDENTITIES_ANSWER ||
        meshca_buf_get_u32(answer, &n) != 0)
        return MESHCA_ERR_INVALID_FORMAT;
    for (i = 0; i < n; i++) {
        if (meshca_buf_get_string_direct(answer, &b, &bl) != 0)
            return MESHCA_ERR_INVALID_FORMAT;
        if (bl == len && memcmp(b, blob, len) == 0)
            found = 1;
        if (meshca_buf_get_string_direct(answer, NULL, NULL) != 0)
            return MESHCA_ERR_INVALID_FORMAT;
    }
    return found;
}

static int
full_io(int fd, void *p, size_t n, int wr)
{
    uint8_t *b = p;
    ssize_t r;

    while (n > 0) {
        r = wr ? send(fd, b, n, MSG_NOSIGNAL) : read(fd, b, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        b += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Sends msg (the length prefix is added here) and reads one reply into
 * *replyp.  Returns 0 or MESHCA_ERR_CLI_AGENT with why filled. */
static int
transact(const char *sock, const struct meshca_buf *msg, struct meshca_buf **replyp,
    char *why, size_t whylen)
{
    struct sockaddr_un sun;
    struct timeval tv = { 10, 0 };
    struct meshca_buf *len = NULL;
    uint8_t hdr[4], *d = NULL;
    uint32_t n;
    int fd = -1, r = MESHCA_ERR_CLI_AGENT;

    *replyp = NULL;
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    if (sock == NULL || *sock == '\0' ||
        strlen(sock) >= sizeof(sun.sun_path)) {
        snprintf(why, whylen, "no usable ssh-agent socket (SSH_AUTH_SOCK)");
        return r;
    }
    memcpy(sun.sun_path, sock, strlen(sock));
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
        connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
        snprintf(why, whylen, "cannot reach the ssh-agent at %s: %s", sock,
            strerror(errno));
        goto out;
    }
    /* An agent that hangs must not hang us. */
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if ((len = meshca_buf_new(4)) == NULL ||
        meshca_buf_put_u32(len, (uint32_t)meshca_buf_len(msg)) != 0) {
        snprintf(why, whylen, "out of memory");
        goto out;
    }
    if (full_io(fd, (void *)meshca_buf_ptr(len), meshca_buf_len(len), 1) != 0 ||
        full_io(fd, (void *)meshca_buf_ptr(msg), meshca_buf_len(msg), 1) != 0 ||
        full_io(fd, hdr, sizeof(hdr), 0) != 0) {
        snprintf(why, whylen, "the ssh-agent at %s closed the connection",
            sock);
        goto out;
    }
    meshca_buf_free(len);
    if ((len = meshca_buf_from(hdr, sizeof(hdr))) == NULL ||
        meshca_buf_get_u32(len, &n) != 0) {
        snprintf(why, whylen, "out of memory");
        goto out;
    }
    if (n == 0 || n > AGENT_REPLY_MAX || (d = malloc(n)) == NULL ||
        full_io(fd, d, n, 0) != 0) {
        snprintf(why, whylen, "a malformed reply from the ssh-agent");
        goto out;
    }
    if ((*replyp = meshca_buf_from(d, n)) == NULL) {
        snprintf(why, whylen, "out of memory");
        goto out;
    }
    r = 0;
out:
    free(d);
    meshca_buf_free(len);
    if (fd >= 0)
        close(fd);
    return r;
}

/* A request answered by SSH_AGENT_SUCCESS or SSH_AGENT_FAILURE. */
static int
simple(const char *sock, const struct meshca_buf *msg, const char *what, char *why,
    size_t whylen)
{
    struct meshca_buf *reply = NULL;
    uint8_t type = 0;
    int r;

    if ((r = transact(sock, msg, &reply, why, whylen)) != 0)
        return r;
    if (meshca_buf_get_u8(reply, &type) != 0 || type != AGENT_SUCCESS) {
        snprintf(why, whylen, "the ssh-agent refused to %s", what);
        r = MESHCA_ERR_CLI_AGENT;
    }
    meshca_buf_free(reply);
    return r;
}

int
agent_add_cert(const char *sock, const struct login_key *k,
    const uint8_t *cert, size_t cert_len, uint32_t lifetime,
    const char *comment, char *why, size_t whylen)
{
    struct meshca_buf *m = NULL;
    int r = MESHCA_ERR_CLI_AGENT;

    if ((m = meshca_buf_new(AGENT_REPLY_MAX)) == NULL ||
        agent_msg_add_cert(m, k, cert, cert_len, lifetime, comment) != 0) {
        snprintf(why, whylen, "out of memory");
        goto out;
    }
    r = simple(sock, m, "add the key and certificate (a constrained key: "
        "does this agent support lifetimes?)", why, whylen);
out:
    meshca_buf_free(m); /* wiped: it held the private key */
    return r;
}

int
agent_remove(const char *sock, const uint8_t *blob, size_t len, char *why,
    size_t whylen)
{
    struct meshca_buf *m = NULL;
    int r = MESHCA_ERR_CLI_AGENT;

    if ((m = meshca_buf_new(AGENT_REPLY_MAX)) == NULL ||
        agent_msg_remove(m, blob, len) != 0) {
        snprintf(why, whylen, "out of memory");
        goto out;
    }
    r = simple(sock, m, "remove the identity", why, whylen);
out:
    meshca_buf_free(m);
    return r;
}

int
agent_has(const char *sock, const uint8_t *blob, size_t len)
{
    struct meshca_buf *m = NULL, *reply = NULL;
    char why[256];
    int r = MESHCA_ERR_CLI_AGENT;

    if ((m = meshca_buf_new(16)) == NULL ||
        meshca_buf_put_u8(m, AGENTC_REQUEST_IDENTITIES) != 0 ||
        transact(sock, m, &reply, why, sizeof(why)) != 0)
        goto out;
    r = agent_answer_has(reply, blob, len);
    if (r < 0)
        r = MESHCA_ERR_CLI_AGENT;
out:
    meshca_buf_free(m);
    meshca_buf_free(reply);
    return r;
}
