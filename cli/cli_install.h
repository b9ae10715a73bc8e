/*
 * Where a login's key and certificate go (the ssh-agent, or files under
 * ~/.ssh/meshca/), the state file that remembers it
 * (~/.config/meshca/state.json), and safe file writing.
 */
#ifndef MESHCA_CLI_INSTALL_H
#define MESHCA_CLI_INSTALL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "meshca/err.h"

struct cert;
struct login_key;
struct json_t;

/* File names under ~/.ssh/meshca/. */
#define INSTALL_KEY_FILE "id_ed25519"
#define INSTALL_PUB_FILE "id_ed25519.pub"
#define INSTALL_CERT_FILE "id_ed25519-cert.pub"

/* Creates path and missing parents; the last component gets mode (and is
 * chmod-ed to it when it exists).  Returns 0 or MESHCA_ERR_SYSTEM (errno). */
int install_mkdir_p(const char *path, unsigned mode) MESHCA_WUR;

/* Writes data to path atomically: a temp file in the same directory
 * created 0600|mode-restricted (O_EXCL), written, fsync-ed, renamed over
 * path, then the directory fsync-ed.  On failure the old file is untouched
 * and no temp file is left.  Returns 0 or MESHCA_ERR_SYSTEM (errno). */
int install_write_file(const char *path, const void *data, size_t len,
    unsigned mode) MESHCA_WUR;

/* The first max bytes of path (a small text file: a state file, a key) as a
 * new NUL-terminated string; the caller frees it.  NULL with errno set when
 * path cannot be opened (ENOENT: it does not exist) or memory runs out. */
char *install_read_file(const char *path, size_t max) MESHCA_WUR;

/* $HOME/.config/meshca/state.json (the directory made 0700), and
 * $HOME/.ssh/meshca (made 0700); with a profile (cli_profile())
 * state-NAME.json and $HOME/.ssh/meshca-NAME.  Return 0 or MESHCA_ERR_SYSTEM /
 * MESHCA_ERR_NOT_FOUND (no HOME) / MESHCA_ERR_INVALID_ARGUMENT (too long). */
int install_state_path(char *out, size_t outlen) MESHCA_WUR;
int install_ssh_dir(char *out, size_t outlen) MESHCA_WUR;

/* The state file.  Returns 0 and *stp (caller json_decref-s), or
 * MESHCA_ERR_NOT_FOUND (no login recorded) / MESHCA_ERR_INVALID_FORMAT. */
int install_state_load(struct json_t **stp) MESHCA_WUR;

/* What login hands to install_login.  Everything is borrowed. */
struct install_request {
    const struct login_key *key;
    const struct cert *cert;        /* certifies key, already checked */
    const char *cert_line;          /* "ssh-ed25519-cert-v01@openssh.com ..." */
    const char *serial;             /* decimal, as the server wrote it */
    const char *role;               /* may be NULL */
    const char *ca_fingerprint;     /* "SHA256:..." of the signing CA */
    const char *agent_sock;         /* NULL or "": files */
    int files;                      /* 1: files even with an agent */
    time_t now;
};

/*
 * Installs a login: into the ssh-agent (with a lifetime equal to the
 * certificate's remaining validity; a previous meshca certificate there is
 * removed first), or as files under ~/.ssh/meshca/ (0700 directory, 0600
 * files, each written atomically).  Then records it in the state file.
 * Returns 0 with where ("ssh-agent" or the directory) filled, or a
 * negative MESHCA_ERR_* with why filled; on failure nothing is recorded.
 */
int install_login(const struct install_request *req, char *where,
    size_t wherelen, char *why, size_t whylen) MESHCA_WUR;

/* Whether what the state records is still installed: the certificate in
 * the agent (agent_sock, else the socket recorded at login) or the
 * certificate file on disk.  Returns 1 or 0. */
int install_present(const struct json_t *st, const struct cert *c,
    const char *agent_sock);

/*
 * Undoes install_login: removes the certificate (and a plain copy of the
 * key, if any) from the agent, the files under ~/.ssh/meshca/, and the
 * state file.  *was_logged_inp says whether there was anything to undo.
 * Returns 0, or a negative MESHCA_ERR_* with why filled (the state file is
 * then kept, so that a retry knows what to remove).
 */
int install_logout(const char *agent_sock, int *was_logged_inp, char *where,
    size_t wherelen, char *why, size_t whylen) MESHCA_WUR;

/*
 * Makes ~/.ssh/config (home: $HOME) include snippet (an absolute path):
 * when no Include line there already names it (globs and ~/.ssh-relative
 * paths read as ssh reads them), the file is copied to
 * ~/.ssh/config.meshca-STAMP.bak (backup filled; "" when there was no
 * file) and "Include SNIPPET" is put at its top, before any Host block.
 * *addedp says whether the line was added.  Returns 0, or -1 with why
 * filled (the config then untouched).
 */
int install_ssh_include(const char *home, const char *snippet, char *backup,
    size_t backuplen, int *addedp, char *why, size_t whylen) MESHCA_WUR;

#endif
