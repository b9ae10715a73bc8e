/* The TLS files serve listens with and check judges.  See tlsfiles.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <openssl/crypto.h>

#include "secretfile.h"
#include "svid.h"
#include "tlsfiles.h"

#define TLS_PEM_MAX (1024 * 1024)       /* a certificate file, exclusive */
/* Largest TLS key PEM read (exclusive); an RSA-8192 key is under 7 kB. */
#define TLS_KEY_PEM_MAX (64 * 1024)

/* A certificate file: regular (opened without waiting, so a FIFO is
 * refused), not empty, under TLS_PEM_MAX.  Returns the NUL-terminated text
 * or NULL with the problem in d. */
static char *
read_certs(const char *what, const char *path, struct diags *d)
{
    struct stat st;
    FILE *f = NULL;
    char *pem = NULL, why[128];
    int fd;

    if ((fd = regfile_open(path, 0, &st, why, sizeof(why))) < 0 ||
        (f = fdopen(fd, "rb")) == NULL) {
        diags_add(d, "%s: %s: %s", what, path, fd == MESHCA_ERR_SYSTEM ||
            fd >= 0 ? strerror(errno) : why);
        if (fd >= 0)
            close(fd);
        goto out;
    }
    if (st.st_size == 0 || st.st_size >= TLS_PEM_MAX)
        diags_add(d, "%s: %s: %s", what, path, st.st_size == 0 ?
            "empty" : "larger than 1 MiB");
    else if ((pem = calloc(1, (size_t)st.st_size + 1)) == NULL)
        diags_add(d, "%s: out of memory", what);
    else if (fread(pem, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        diags_add(d, "%s: %s: cannot read it whole", what, path);
        free(pem);
        pem = NULL;
    }
out:
    if (f != NULL)
        fclose(f);
    return pem;
}

/* tls.key as the secret it is.  Returns the NUL-terminated PEM or NULL
 * with the problem in d. */
static char *
read_key(const char *path, struct diags *d)
{
    char why[128], *pem;
    size_t len = 0;

    if ((pem = malloc(TLS_KEY_PEM_MAX)) == NULL) {
        diags_add(d, "tls.key: out of memory");
        return NULL;
    }
    if (secretfile_read(path, (uint8_t *)pem, TLS_KEY_PEM_MAX, &len, why,
        sizeof(why)) != 0) {
        diags_add(d, "tls.key: %s: %s", path, why);
        OPENSSL_cleanse(pem, TLS_KEY_PEM_MAX);
        free(pem);
        return NULL;
    }
    pem[len] = '\0';
    return pem;
}

/* tls.client_ca and mesh.trust_bundle, concatenated (either may be
 * absent).  Returns 0, or -1 with the problems in d. */
static int
read_trust(const struct config *cfg, char **trustp, struct diags *d)
{
    char *a = NULL, *b = NULL;
    int r = -1;

    *trustp = NULL;
    if (cfg->tls_client_ca != NULL &&
        (a = read_certs("tls.client_ca", cfg->tls_client_ca, d)) == NULL)
        goto out;
    if (cfg->mesh.trust_bundle != NULL && (b = read_certs("mesh.trust_bundle",
        cfg->mesh.trust_bundle, d)) == NULL)
        goto out;
    if (a != NULL && b != NULL) {
        if (asprintf(trustp, "%s\n%s", a, b) < 0) {
            *trustp = NULL;
            diags_add(d, "tls: out of memory");
            goto out;
        }
    } else {
        *trustp = a != NULL ? a : b;
        a = b = NULL;
    }
    r = 0;
out:
    free(a);
    free(b);
    return r;
}

/* The calls libmicrohttpd makes with MHD_OPTION_HTTPS_MEM_CERT, _KEY and
 * _TRUST (MHD_init_daemon_certificate), so that what GnuTLS refuses there
 * is refused here, with GnuTLS's reason in d. */
static void
gnutls_accepts(const struct config *cfg, const struct tls_files *tf,
    struct diags *d)
{
    gnutls_certificate_credentials_t cred = NULL;
    gnutls_datum_t cert, key, trust;
    int r;

    if (gnutls_certificate_allocate_credentials(&cred) < 0) {
        diags_add(d, "tls: out of memory");
        return;
    }
    cert = (gnutls_datum_t){ (unsigned char *)tf->cert,
        (unsigned int)strlen(tf->cert) };
    key = (gnutls_datum_t){ (unsigned char *)tf->key,
        (unsigned int)strlen(tf->key) };
    if (tf->trust != NULL) {
        trust = (gnutls_datum_t){ (unsigned char *)tf->trust,
            (unsigned int)strlen(tf->trust) };
        if ((r = gnutls_certificate_set_x509_trust_mem(cred, &trust,
            GNUTLS_X509_FMT_PEM)) < 0)
            diags_add(d, "tls.client_ca %s, mesh.trust_bundle %s: %s",
                cfg->tls_client_ca ? cfg->tls_client_ca : "-",
                cfg->mesh.trust_bundle ? cfg->mesh.trust_bundle : "-",
                gnutls_strerror(r));
    }
    if ((r = gnutls_certificate_set_x509_key_mem(cred, &cert, &key,
        GNUTLS_X509_FMT_PEM)) < 0)
        diags_add(d, "tls.cert %s, tls.key %s: %s", cfg->tls_cert,
            cfg->tls_key, gnutls_strerror(r));
    gnutls_certificate_free_credentials(cred);
}

int
tls_files_load(const struct config *cfg, struct tls_files *tf,
    struct diags *d)
{
    size_t before = d->n;

    memset(tf, 0, sizeof(*tf));
    if (cfg->tls_cert == NULL)
        return 0;
    tf->cert = read_certs("tls.cert", cfg->tls_cert, d);
    tf->key = read_key(cfg->tls_key, d);
    (void)read_trust(cfg, &tf->trust, d);
    if (d->n == before)
        gnutls_accepts(cfg, tf, d);
    if (d->n == before)
        return 0;
    tls_files_clear(tf);
    return -1;
}

int
tls_files_load_bundle(const char *path, X509_STORE **storep, char *why,
    size_t whylen)
{
    struct stat st;
    int fd, r;

    *storep = NULL;
    if ((fd = regfile_open(path, 0, &st, why, whylen)) < 0) {
        if (fd == MESHCA_ERR_SYSTEM)
            snprintf(why, whylen, "%s", strerror(errno));
        return -1;
    }
    close(fd);
    if ((r = svid_store_load(path, storep)) != 0) {
        snprintf(why, whylen, "%s", r == MESHCA_ERR_ALLOC ? "out of memory" :
            "no PEM certificate in it");
        return -1;
    }
    return 0;
}

void
tls_files_clear(struct tls_files *tf)
{
    if (tf->key != NULL)
        OPENSSL_cleanse(tf->key, strlen(tf->key));
    free(tf->key);
    free(tf->cert);
    free(tf->trust);
    memset(tf, 0, sizeof(*tf));
}
