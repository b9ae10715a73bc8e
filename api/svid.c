/* X.509-SVID verification.  See svid.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "meshca/spiffe.h"
#include "server.h"
#include "svid.h"

#define SVID_CHAIN_MAX 8

int
svid_store_load(const char *path, X509_STORE **storep)
{
    X509_STORE *s;

    *storep = NULL;
    if ((s = X509_STORE_new()) == NULL)
        return MESHCA_ERR_ALLOC;
    if (X509_STORE_load_file(s, path) != 1) {
        ERR_clear_error();
        X509_STORE_free(s);
        return MESHCA_ERR_INVALID_FORMAT;
    }
    *storep = s;
    return 0;
}

void
svid_store_free(X509_STORE *store)
{
    X509_STORE_free(store);
}

static int
refuse(char *why, size_t whylen, const char *msg)
{
    snprintf(why, whylen, "%s", msg);
    return MESHCA_ERR_INVALID_FORMAT;
}

/* The leaf's one URI SAN, checked as a SPIFFE ID of trust_domain. */
static int
leaf_spiffe_id(X509 *leaf, const char *trust_domain, char **idp, char *why,
    size_t whylen)
{
    GENERAL_NAMES *names;
    const GENERAL_NAME *g;
    const ASN1_IA5STRING *uri = NULL;
    char reason[160], *id;
    size_t ulen;
    int i, nuri = 0, r;

    if ((X509_get_extension_flags(leaf) & EXFLAG_CA) != 0)
        return refuse(why, whylen, "the client certificate is a CA "
            "certificate (CA:TRUE); an X.509-SVID must not be one");
    names = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
    for (i = 0; names != NULL && i < sk_GENERAL_NAME_num(names); i++) {
        g = sk_GENERAL_NAME_value(names, i);
        if (g->type == GEN_URI) {
            nuri++;
            uri = g->d.uniformResourceIdentifier;
        }
    }
    if (nuri != 1) {
        GENERAL_NAMES_free(names);
        return refuse(why, whylen, nuri == 0 ? "the client certificate has "
            "no URI SAN (an X.509-SVID carries its spiffe:// ID there)" :
            "the client certificate has more than one URI SAN; an "
            "X.509-SVID carries exactly one");
    }
    ulen = (size_t)ASN1_STRING_length(uri);
    id = strndup((const char *)ASN1_STRING_get0_data(uri), ulen);
    GENERAL_NAMES_free(names);
    if (id == NULL)
        return MESHCA_ERR_ALLOC;
    if (strlen(id) != ulen ||
        (r = spiffe_id_check(id, trust_domain, reason, sizeof(reason))) != 0) {
        snprintf(why, whylen, "the client certificate's URI SAN \"%.200s\" "
            "is not a SPIFFE ID of trust domain %s: %s", id, trust_domain,
            strlen(id) != ulen ? "it holds a NUL"
            : reason);
        free(id);
        return MESHCA_ERR_INVALID_FORMAT;
    }
    *idp = id;
    return 0;
}

/* OpenSSL's path validation of leaf + untrusted against store, now. */
static int
verify_path(X509_STORE *store, X509 *leaf, STACK_OF(X509) *untrusted,
    char *why, size_t whylen)
{
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    int ok = 0;

    if (ctx == NULL)
        return MESHCA_ERR_ALLOC;
    if (X509_STORE_CTX_init(ctx, store, leaf, untrusted) == 1 &&
        X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT) == 1)
        ok = X509_verify_cert(ctx) == 1;
    if (!ok)
        snprintf(why, whylen, "the client certificate does not verify "
            "against mesh.trust_bundle: %s", X509_verify_cert_error_string(
            X509_STORE_CTX_get_error(ctx)));
    X509_STORE_CTX_free(ctx);
    ERR_clear_error();
    return ok ? 0 : MESHCA_ERR_INVALID_FORMAT;
}

int
svid_verify_der(X509_STORE *store, const char *trust_domain,
    const unsigned char *const *der, const size_t *lens, size_t n,
    char **idp, char *why, size_t whylen)
{
    STACK_OF(X509) *untrusted = NULL;
    X509 *leaf = NULL, *x;
    const unsigned char *p;
    size_t i;
    int r = MESHCA_ERR_INVALID_FORMAT;

    *idp = NULL;
    if (store == NULL || trust_domain == NULL || n == 0 ||
        n > SVID_CHAIN_MAX)
        return refuse(why, whylen, "no usable client certificate chain");
    if ((untrusted = sk_X509_new_null()) == NULL)
        return MESHCA_ERR_ALLOC;
    for (i = 0; i < n; i++) {
        p = der[i];
        if ((x = d2i_X509(NULL, &p, (long)lens[i])) == NULL ||
            p != der[i] + lens[i]) {
            X509_free(x);
            r = refuse(why, whylen, "the client certificate chain does not "
                "parse");
            goto out;
        }
        if (i == 0)
            leaf = x;
        else if (!sk_X509_push(untrusted, x)) {
            X509_free(x);
            r = MESHCA_ERR_ALLOC;
            goto out;
        }
    }
    if ((r = verify_path(store, leaf, untrusted, why, whylen)) != 0)
        goto out;
    r = leaf_spiffe_id(leaf, trust_domain, idp, why, whylen);
out:
    ERR_clear_error();
    X509_free(leaf);
    sk_X509_pop_free(untrusted, X509_free);
    return r;
}

int
svid_peer_present(struct request *req)
{
    const union MHD_ConnectionInfo *ci;
    unsigned int n = 0;

    ci = MHD_get_connection_info(req->conn,
        MHD_CONNECTION_INFO_GNUTLS_SESSION);
    return ci != NULL && ci->tls_session != NULL &&
        gnutls_certificate_get_peers((gnutls_session_t)ci->tls_session,
        &n) != NULL && n > 0;
}

int
svid_from_request(struct request *req, char **idp, char *why, size_t whylen)
{
    const union MHD_ConnectionInfo *ci;
    const gnutls_datum_t *peers;
    const unsigned char *der[SVID_CHAIN_MAX];
    size_t lens[SVID_CHAIN_MAX], i;
    unsigned int n = 0;

    *idp = NULL;
    ci = MHD_get_connection_info(req->conn,
        MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (ci == NULL || ci->tls_session == NULL)
        return 1;
    peers = gnutls_certificate_get_peers((gnutls_session_t)ci->tls_session,
        &n);
    if (peers == NULL || n == 0)
        return 1;
    if (n > SVID_CHAIN_MAX)
        return refuse(why, whylen, "the client certificate chain is longer "
            "than 8 certificates");
    for (i = 0; i < n; i++) {
        der[i] = peers[i].data;
        lens[i] = peers[i].size;
    }
    return svid_verify_der(req->srv->mesh_store,
        req->srv->cfg->mesh.trust_domain, der, lens, n, idp, why, whylen);
}

/* One XFCC field value at p (quoted or not) ends where; its text is copied
 * to out (unquoted, at most outlen - 1 bytes).  Returns the end or NULL. */
static const char *
xfcc_value(const char *p, char *out, size_t outlen)
{
    size_t o = 0;
    int q = *p == '"';

    if (q)
        p++;
    for (; *p != '\0'; p++) {
        if (q && *p == '"')
            return p + 1;
        if (q && *p == '\\' && p[1] != '\0')
            p++;
        else if (!q && (*p == ';' || *p == ','))
            break;
        if (o + 1 >= outlen)
            return NULL;
        out[o++] = *p;
        out[o] = '\0';
    }
    return q ? NULL : p;
}

int
svid_from_xfcc(const char *header, const char *trust_domain, char **idp,
    char *why, size_t whylen)
{
    char val[SPIFFE_ID_MAX + 1], uri[SPIFFE_ID_MAX + 1], reason[160];
    const char *p = header, *eq, *fs;
    int nuri = 0;

    *idp = NULL;
    uri[0] = '\0';
    while (*p != '\0') {
        fs = p;
        if ((eq = strchr(p, '=')) == NULL)
            return refuse(why, whylen, "X-Forwarded-Client-Cert: a field "
                "without '='");
        val[0] = '\0';
        if ((p = xfcc_value(eq + 1, val, sizeof(val))) == NULL)
            return refuse(why, whylen, "X-Forwarded-Client-Cert: a value "
                "is unterminated or too long");
        if (eq - fs == 3 && strncasecmp(fs, "URI", 3) == 0) {
            nuri++;
            snprintf(uri, sizeof(uri), "%s", val);
        }
        if (*p == ',')
            return refuse(why, whylen, "X-Forwarded-Client-Cert holds more "
                "than one element: the sidecar must replace the header "
                "(forward_client_cert_details: SANITIZE_SET)");
        if (*p == ';')
            p++;
    }
    if (nuri != 1)
        return refuse(why, whylen, "X-Forwarded-Client-Cert must carry "
            "exactly one URI= (the client's SPIFFE ID)");
    if (spiffe_id_check(uri, trust_domain, reason, sizeof(reason)) != 0) {
        snprintf(why, whylen, "X-Forwarded-Client-Cert URI \"%.200s\" is "
            "not a SPIFFE ID of trust domain %s: %s", uri, trust_domain,
            reason);
        return MESHCA_ERR_INVALID_FORMAT;
    }
    return (*idp = strdup(uri)) == NULL ? MESHCA_ERR_ALLOC : 0;
}
