/*
 * Installing a login's key and certificate (ssh-agent or files), the state
 * file, and atomic file writes.  See cli_install.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "meshca/cert.h"
#include "meshca/key.h"
#include "cli.h"
#include "cli_err.h"
#include "cli_install.h"
#include "cli_keys.h"

/* The longest certificate file line read: a CERT_BLOB_MAX blob in base64
 * (4/3 as long), its type and comment. */
#define CERT_LINE_READ_MAX (CERT_BLOB_MAX * 2)

int
install_mkdir_p(const char *path, unsigned mode)
{
    char tmp[1024], *p;

    if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return MESHCA_ERR_SYSTEM;
    }
    for (p = tmp + 1; *p != '\0'; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
                return MESHCA_ERR_SYSTEM;
            *p = '/';
        }
    if (mkdir(tmp, (mode_t)mode) != 0 && errno != EEXIST)
        return MESHCA_ERR_SYSTEM;
    if (chmod(tmp, (mode_t)mode) != 0)
        return MESHCA_ERR_SYSTEM;
    return 0;
}

static int
write_all(int fd, const void *data, size_t len)
{
    const uint8_t *p = data;
    ssize_t w;

    while (len > 0) {
        w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int
install_write_file(const char *path, const void *data, size_t len,
    unsigned mode)
{
    char tmp[4096], dir[4096];
    int fd = -1, dfd, saved;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
        (int)sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return MESHCA_ERR_SYSTEM;
    }
    /* Never more open than asked, even for the moment before fchmod. */
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
        (mode_t)(mode & 0600))) < 0)
        return MESHCA_ERR_SYSTEM;
    if (fchmod(fd, (mode_t)mode) != 0 || write_all(fd, data, len) != 0 ||
        fsync(fd) != 0)
        goto fail;
    if (close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) != 0)
        goto fail;
    /* The rename itself must reach the disk too. */
    snprintf(dir, sizeof(dir), "%s", path);
    if ((dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    return 0;
fail:
    saved = errno;
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    errno = saved;
    return MESHCA_ERR_SYSTEM;
}

char *
install_read_file(const char *path, size_t max)
{
    FILE *f = fopen(path, "r");
    char *s;
    size_t n;

    if (f == NULL)
        return NULL;
    if ((s = calloc(1, max + 1)) != NULL) {
        n = fread(s, 1, max, f);
        s[n] = '\0';
    }
    fclose(f);
    return s;
}

static int
home_path(const char *sub, char *out, size_t outlen)
{
    const char *home = getenv("HOME");

    if (home == NULL || *home == '\0')
        return MESHCA_ERR_NOT_FOUND;
    if (snprintf(out, outlen, "%s/%s", home, sub) >= (int)outlen)
        return MESHCA_ERR_INVALID_ARGUMENT;
    return 0;
}

int
install_state_path(char *out, size_t outlen)
{
    char dir[1024];
    int r;

    if ((r = home_path(".config/meshca", dir, sizeof(dir))) != 0 ||
        (r = install_mkdir_p(dir, 0700)) != 0)
        return r;
    /* Each profile remembers its own login. */
    if (snprintf(out, outlen, "%s/state%s%s.json", dir, cli_profile() ?
        "-" : "", cli_profile() ? cli_profile() : "") >= (int)outlen)
        return MESHCA_ERR_INVALID_ARGUMENT;
    return 0;
}

int
install_ssh_dir(char *out, size_t outlen)
{
    char ssh[1024];
    int r;

    /* ~/.ssh itself must not become group-readable, nor be loosened. */
    if ((r = home_path(".ssh", ssh, sizeof(ssh))) != 0)
        return r;
    if (mkdir(ssh, 0700) != 0 && errno != EEXIST)
        return MESHCA_ERR_SYSTEM;
    if ((r = home_path(".ssh/meshca", out, outlen)) != 0)
        return r;
    /* A profile's files beside the default's: ~/.ssh/meshca-NAME. */
    if (cli_profile() != NULL && strlen(out) + 1 + strlen(cli_profile()) <
        outlen)
        snprintf(out + strlen(out), outlen - strlen(out), "-%s",
            cli_profile());
    else if (cli_profile() != NULL)
        return MESHCA_ERR_INVALID_ARGUMENT;
    return install_mkdir_p(out, 0700);
}

int
install_state_load(json_t **stp)
{
    char path[1100];
    json_t *st;

    *stp = NULL;
    if (install_state_path(path, sizeof(path)) != 0 ||
        access(path, F_OK) != 0)
        return MESHCA_ERR_NOT_FOUND;
    if ((st = json_load_file(path, 0, NULL)) == NULL || !json_is_object(st)) {
        json_decref(st);
        return MESHCA_ERR_INVALID_FORMAT;
    }
    *stp = st;
    return 0;
}

static int
join(char *out, size_t outlen, const char *dir, const char *name)
{
    return snprintf(out, outlen, "%s/%s", dir, name) >= (int)outlen ?
        MESHCA_ERR_INVALID_ARGUMENT : 0;
}

/* Writes key, public key and certificate under ~/.ssh/meshca. */
static int
install_files(const struct install_request *req, char *dir, size_t dirlen,
    char *why, size_t whylen)
{
    char path[1200], *line = NULL;
    int r;

    if ((r = install_ssh_dir(dir, dirlen)) != 0) {
        snprintf(why, whylen, "cannot make ~/.ssh/meshca: %s",
            strerror(errno));
        return r;
    }
    if ((r = join(path, sizeof(path), dir, INSTALL_KEY_FILE)) != 0 ||
        (r = install_write_file(path, req->key->private_pem,
            strlen(req->key->private_pem), 0600)) != 0)
        goto fail;
    if (asprintf(&line, "%s\n", req->key->public_line) < 0) {
        line = NULL;
        r = MESHCA_ERR_ALLOC;
        goto fail;
    }
    if ((r = join(path, sizeof(path), dir, INSTALL_PUB_FILE)) != 0 ||
        (r = install_write_file(path, line, strlen(line), 0600)) != 0)
        goto fail;
    free(line);
    if (asprintf(&line, "%s\n", req->cert_line) < 0) {
        line = NULL;
        r = MESHCA_ERR_ALLOC;
        goto fail;
    }
    if ((r = join(path, sizeof(path), dir, INSTALL_CERT_FILE)) != 0 ||
        (r = install_write_file(path, line, strlen(line), 0600)) != 0)
        goto fail;
    free(line);
    return 0;
fail:
    snprintf(why, whylen, "cannot write %s: %s", path, r == MESHCA_ERR_SYSTEM ?
        strerror(errno) : cli_strerror(r));
    free(line);
    return r;
}

/* Removes the certificate a previous login put in this agent (best
 * effort: it may have expired and gone already). */
static void
remove_previous(const char *sock)
{
    json_t *st = NULL;
    struct cert *c = NULL;
    const char *inst;
    char why[256];

    if (install_state_load(&st) != 0)
        return;
    inst = json_string_value(json_object_get(st, "installed"));
    if (inst != NULL && strcmp(inst, "agent") == 0 &&
        cert_from_line(json_string_value(json_object_get(st, "certificate")),
            &c) == 0 && agent_has(sock, c->blob, c->blob_len) == 1)
        if (agent_remove(sock, c->blob, c->blob_len, why, sizeof(why)) != 0)
            fprintf(stderr, "meshca: note: the previous certificate stays "
                "in the agent until it expires (%s)\n", why);
    cert_free(c);
    json_decref(st);
}

int
install_login(const struct install_request *req, char *where,
    size_t wherelen, char *why, size_t whylen)
{
    const struct cert *c = req->cert;
    int agent = !req->files && req->agent_sock != NULL &&
        *req->agent_sock != '\0';
    char dir[1024] = "", state[1100], key_fp_buf[128] = "", comment[600];
    char *key_fp = NULL, *txt = NULL, before[32], after[32];
    uint64_t left;
    json_t *st = NULL;
    int r;

    if (c->valid_before <= (uint64_t)req->now) {
        snprintf(why, whylen, "the certificate has already expired");
        return MESHCA_ERR_CLI_CERT_CHECK;
    }
    if ((r = install_state_path(state, sizeof(state))) != 0) {
        snprintf(why, whylen, "cannot make ~/.config/meshca: %s",
            r == MESHCA_ERR_SYSTEM ? strerror(errno) : cli_strerror(r));
        return r;
    }
    if ((r = meshca_key_fingerprint(c->key, &key_fp)) != 0) {
        snprintf(why, whylen, "%s", cli_strerror(r));
        return r;
    }
    snprintf(key_fp_buf, sizeof(key_fp_buf), "%s", key_fp);
    free(key_fp);
    if (agent) {
        left = c->valid_before - (uint64_t)req->now;
        remove_previous(req->agent_sock);
        /* The profile shows in ssh-add -l beside the key id. */
        snprintf(comment, sizeof(comment), "%s%s%s%s", c->key_id,
            cli_profile() ? " (meshca profile " : "", cli_profile() ?
            cli_profile() : "", cli_profile() ? ")" : "");
        if ((r = agent_add_cert(req->agent_sock, req->key, c->blob,
            c->blob_len, left > UINT32_MAX ? UINT32_MAX : (uint32_t)left,
            comment, why, whylen)) != 0)
            return r;
        snprintf(where, wherelen, "ssh-agent");
    } else {
        if ((r = install_files(req, dir, sizeof(dir), why, whylen)) != 0)
            return r;
        snprintf(where, wherelen, "%s", dir);
    }
    cli_format_time(c->valid_after, after, sizeof(after));
    cli_format_time(c->valid_before, before, sizeof(before));
    st = json_pack("{s:i, s:s, s:s, s:s?, s:o, s:I, s:I, s:s, s:s, s:s, "
        "s:s, s:s, s:s?, s:s?, s:s}",
        "version", 1,
        "serial", req->serial ? req->serial : "",
        "key_id", c->key_id,
        "role", req->role,
        "principals", json_array(),
        "valid_after", (json_int_t)c->valid_after,
        "valid_before", (json_int_t)(c->valid_before > INT64_MAX ? INT64_MAX :
            c->valid_before),
        "valid_after_text", after,
        "valid_before_text", before,
        "ca_fingerprint", req->ca_fingerprint ? req->ca_fingerprint : "",
        "key_fingerprint", key_fp_buf,
        "installed", agent ? "agent" : "files",
        "agent_socket", agent ? req->agent_sock : NULL,
        "directory", agent ? NULL : dir,
        "certificate", req->cert_line);
    if (st != NULL) {
        json_t *pr = json_object_get(st, "principals");
        size_t i;

        for (i = 0; i < c->nprincipals; i++)
            (void)json_array_append_new(pr, json_string(c->principals[i]));
    }
    if (st == NULL || (txt = json_dumps(st, JSON_INDENT(2))) == NULL) {
        snprintf(why, whylen, "out of memory");
        r = MESHCA_ERR_ALLOC;
        goto out;
    }
    if ((r = install_write_file(state, txt, strlen(txt), 0600)) != 0) {
        snprintf(why, whylen, "cannot write %s: %s", state, strerror(errno));
        goto out;
    }
    r = 0;
out:
    free(txt);
    json_decref(st);
    return r;
}

/* 1 when the first line of path is certificate c, not another (a newer
 * one).  The line is read whole: base64 makes a CERT_BLOB_MAX blob 4/3 as
 * long, so a buffer of CERT_BLOB_MAX / 2 (a fgets here once) cut the
 * largest certificates short and called them absent. */
static int
file_holds_cert(const char *path, const struct cert *c)
{
    struct cert *onfile = NULL;
    char *text = install_read_file(path, CERT_LINE_READ_MAX);
    int same;

    if (text == NULL)
        return 0;
    text[strcspn(text, "\r\n")] = '\0';
    same = cert_from_line(text, &onfile) == 0 &&
        onfile->blob_len == c->blob_len &&
        memcmp(onfile->blob, c->blob, c->blob_len) == 0;
    cert_free(onfile);
    free(text);
    return same;
}

int
install_present(const json_t *st, const struct cert *c,
    const char *agent_sock)
{
    const char *inst = json_string_value(json_object_get(st, "installed"));
    const char *sock = agent_sock;
    char f[1200], dir[1024];

    if (inst != NULL && strcmp(inst, "agent") == 0) {
        if (sock == NULL || *sock == '\0')
            sock = json_string_value(json_object_get(st, "agent_socket"));
        return sock != NULL && agent_has(sock, c->blob, c->blob_len) == 1;
    }
    if (install_ssh_dir(dir, sizeof(dir)) != 0 ||
        join(f, sizeof(f), dir, INSTALL_CERT_FILE) != 0)
        return 0;
    return file_holds_cert(f, c);
}

int
install_logout(const char *agent_sock, int *was_logged_inp, char *where,
    size_t wherelen, char *why, size_t whylen)
{
    json_t *st = NULL;
    struct cert *c = NULL;
    const char *inst, *sock = agent_sock;
    char state[1100], dir[1024], f[1200];
    static const char *const files[] = { INSTALL_KEY_FILE, INSTALL_PUB_FILE,
        INSTALL_CERT_FILE };
    size_t i, bl;
    const uint8_t *b;
    int r;

    *was_logged_inp = 0;
    snprintf(where, wherelen, "nowhere");
    if ((r = install_state_load(&st)) == MESHCA_ERR_NOT_FOUND)
        return 0;
    *was_logged_inp = 1;
    inst = st ? json_string_value(json_object_get(st, "installed")) : NULL;
    if (inst != NULL && strcmp(inst, "agent") == 0) {
        snprintf(where, wherelen, "ssh-agent");
        if (sock == NULL || *sock == '\0')
            sock = json_string_value(json_object_get(st, "agent_socket"));
        if (cert_from_line(json_string_value(json_object_get(st,
            "certificate")), &c) == 0 && sock != NULL) {
            r = agent_has(sock, c->blob, c->blob_len);
            if (r == 1 && (r = agent_remove(sock, c->blob, c->blob_len, why,
                whylen)) != 0)
                goto out;
            if (r < 0 && access(sock, F_OK) == 0) {
                /* The agent is there but does not answer: keep the state
                 * so that a retry can remove it. */
                snprintf(why, whylen, "cannot ask the ssh-agent at %s; the "
                    "certificate stays there until it expires (or run "
                    "ssh-add -D)", sock);
                r = MESHCA_ERR_CLI_AGENT;
                goto out;
            }
            /* A plain copy of the key, should anything have added one. */
            b = meshca_key_blob(c->key, &bl);
            if (agent_has(sock, b, bl) == 1 &&
                (r = agent_remove(sock, b, bl, why, whylen)) != 0)
                goto out;
        }
    } else if (install_ssh_dir(dir, sizeof(dir)) == 0)
        snprintf(where, wherelen, "%s", dir);
    if (install_ssh_dir(dir, sizeof(dir)) == 0)
        for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
            if (join(f, sizeof(f), dir, files[i]) == 0 && unlink(f) != 0 &&
                errno != ENOENT) {
                snprintf(why, whylen, "cannot remove %s: %s", f,
                    strerror(errno));
                r = MESHCA_ERR_SYSTEM;
                goto out;
            }
    if (install_state_path(state, sizeof(state)) == 0 && unlink(state) != 0 &&
        errno != ENOENT) {
        snprintf(why, whylen, "cannot remove %s: %s", state, strerror(errno));
        r = MESHCA_ERR_SYSTEM;
        goto out;
    }
    r = 0;
out:
    cert_free(c);
    json_decref(st);
    return r;
}
