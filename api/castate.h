/*
 * The CA key set as meshcad serves it: the set and the texts derived from
 * it (GET /v1/ca-keys, the signing key's line and fingerprint, GET
 * /v1/config), reference-counted and swapped whole, so that a SIGHUP that
 * re-reads ca_keys (a rotation) never mixes two sets within one request and
 * never frees a key a request still signs with.  The host CA set (ca_keys
 * with "use": "host", issue #16) lives here too, so a reload swaps the user
 * and host sets together.
 */
#ifndef MESHCAD_CASTATE_H
#define MESHCAD_CASTATE_H

#include <stdatomic.h>

#include "meshca/cakey.h"

struct server;

struct castate {
    atomic_uint refs;
    struct cakey_set *set;
    char *trusted_text;     /* GET /v1/ca-keys body */
    char *active_line;      /* the signing CA's public key line */
    char *active_fp;        /* its SHA256 fingerprint */
    char *config_body;      /* GET /v1/config body (names the keys) */
    /* mesh identity (issue #16): NULL when no ca_keys entry is a host key */
    struct cakey_set *host_set;     /* ca_keys with "use": "host" */
    char *host_trusted_text;        /* GET /v1/host-ca-keys body */
};

/* A new state holding set and config_body (both taken over on success
 * only), with one reference.  Returns 0 and *csp, or MESHCA_ERR_ALLOC. */
int castate_new(struct cakey_set *set, char *config_body,
    struct castate **csp) MESHCA_WUR;

/* Adds the host CA set (taken over on success only) and its GET
 * /v1/host-ca-keys text to a state not yet installed.  Refuses, with
 * MESHCA_ERR_CAKEY_DUPLICATE, a host key that is also a user key.
 * Returns 0, MESHCA_ERR_CAKEY_DUPLICATE or MESHCA_ERR_ALLOC. */
int castate_set_host(struct castate *cs, struct cakey_set *host) MESHCA_WUR;

/* Drops a reference; the last frees the state and its keys.  Accepts NULL. */
void castate_unref(struct castate *cs);

/* Takes a reference to the server's current CA state (NULL only before
 * one is installed); release it with castate_unref. */
struct castate *server_ca(struct server *srv);

/* Installs cs (taking over the caller's reference) and drops the old one
 * (cs may be NULL at shutdown). */
void server_set_ca(struct server *srv, struct castate *cs);

#endif
