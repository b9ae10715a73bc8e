/*
 * The TLS material meshcad serve gives libmicrohttpd (GnuTLS): tls.cert,
 * tls.key and the CAs a client may present (tls.client_ca and
 * mesh.trust_bundle).  One loader for serve and meshcad check, so that a
 * config check passes is one serve can listen with: the files are read by
 * the same rules and handed to GnuTLS the way libmicrohttpd hands them
 * (the key must match the certificate, the CAs must parse).
 */
#ifndef MESHCAD_TLSFILES_H
#define MESHCAD_TLSFILES_H

#include <stddef.h>

#include <openssl/x509.h>

#include "meshca/diag.h"
#include "config.h"

struct tls_files {
    char *cert;     /* PEM certificate chain */
    char *key;      /* PEM private key: a secret, wiped by tls_files_clear */
    char *trust;    /* PEM CAs, or NULL when the config names none */
};

/*
 * Reads cfg's TLS files (none when cfg->tls_cert is NULL: plain HTTP):
 * tls.cert, tls.client_ca and mesh.trust_bundle as regular files of less
 * than 1 MiB, tls.key through secretfile_read (owner-only, under 64 KiB),
 * then loads them into GnuTLS credentials as libmicrohttpd will.  Returns
 * 0 with *tf filled (free with tls_files_clear), or -1 with one line per
 * problem in d ("tls.key: PATH: reason"); *tf is then empty.
 */
int tls_files_load(const struct config *cfg, struct tls_files *tf,
    struct diags *d) MESHCA_WUR;

/*
 * The mesh trust bundle as serve's SVID store (svid_store_load), after
 * making sure it is a regular file: opened without waiting, so a FIFO is
 * refused instead of holding serve before its signal loop.  serve's
 * load_mesh and meshcad check call it.  Returns 0 and *storep (free with
 * svid_store_free), or -1 with the reason in why.
 */
int tls_files_load_bundle(const char *path, X509_STORE **storep, char *why,
    size_t whylen) MESHCA_WUR;

/* Wipes the key and frees everything in tf; leaves it empty. */
void tls_files_clear(struct tls_files *tf);

#endif
