/*
 * bench_cert: certificates signed per second on one thread, beside raw
 * EVP signatures per second measured in the same run (a fresh EVP_MD_CTX per
 * signature, as cakey_sign does), for Ed25519 and ECDSA P-256 CA keys; and
 * certificates parsed + verified per second.  Prints figures only; asserts
 * nothing about speed.
 *   bench_cert [SECONDS]   time per measurement (default 2)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "meshca/cakey.h"
#include "meshca/cert.h"
#include "meshca/key.h"

#include "../../api/cakeyfile.h"
#include "common.h"

/* Raw signatures with a fresh context each, over a certificate-sized
 * message. */
static double
raw_rate(const char *pem, const char *mdname, double secs)
{
    FILE *f = fopen(pem, "r");
    EVP_PKEY *pkey = NULL;
    EVP_MD_CTX *ctx;
    uint8_t msg[400], sig[1024];
    size_t siglen;
    double t0, t;
    long n = 0;

    if (f == NULL || (pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL)) == NULL)
        return -1;
    fclose(f);
    memset(msg, 0x5a, sizeof(msg));
    t0 = bench_now_s();
    do {
        ctx = EVP_MD_CTX_new();
        siglen = sizeof(sig);
        if (ctx == NULL || EVP_DigestSignInit_ex(ctx, NULL, mdname, NULL, NULL,
            pkey, NULL) != 1 ||
            EVP_DigestSign(ctx, sig, &siglen, msg, sizeof(msg)) != 1) {
            EVP_MD_CTX_free(ctx);
            EVP_PKEY_free(pkey);
            return -1;
        }
        EVP_MD_CTX_free(ctx);
        n++;
    } while ((t = bench_now_s() - t0) < secs);
    EVP_PKEY_free(pkey);
    return (double)n / t;
}

static double
cert_rate(const struct cakey_set *set, const struct meshca_key *subject, double secs,
    struct cert **lastp)
{
    static const char *const principals[] = { "payments/api" };
    static const char *const exts[] = { "permit-pty" };
    struct cert_request req;
    struct cert *c = NULL;
    double t0, t;
    long n = 0;

    memset(&req, 0, sizeof(req));
    req.key = subject;
    req.key_id = "bench@example.com";
    req.principals = principals;
    req.nprincipals = 1;
    req.extensions = exts;
    req.nextensions = 1;
    req.valid_after = (uint64_t)time(NULL);
    req.valid_before = req.valid_after + 300;
    req.backdate = 60;
    t0 = bench_now_s();
    do {
        cert_free(c);
        c = NULL;
        if (cert_sign(&req, set, &c) != 0)
            return -1;
        n++;
    } while ((t = bench_now_s() - t0) < secs);
    *lastp = c;
    return (double)n / t;
}

static double
parse_rate(const struct cert *c, double secs)
{
    struct cert *p;
    double t0, t;
    long n = 0;

    t0 = bench_now_s();
    do {
        if (cert_from_blob(c->blob, c->blob_len, &p) != 0)
            return -1;
        cert_free(p);
        n++;
    } while ((t = bench_now_s() - t0) < secs);
    return (double)n / t;
}

int
main(int argc, char **argv)
{
    static const struct {
        enum cakey_kind kind;
        const char *name, *md;
    } cas[] = {
        { CAKEY_ED25519, "ed25519", NULL },
        { CAKEY_ECDSA_P256, "ecdsa-p256", "SHA256" },
    };
    double secs = argc > 1 ? atof(argv[1]) : 2.0;
    char dir[] = "/tmp/meshca-bench.XXXXXX", path[256];
    EVP_PKEY *upkey;
    struct meshca_key *subject = NULL;
    struct cakey *k = NULL;
    struct cakey_set *set = NULL;
    enum cakey_state active = CAKEY_ACTIVE;
    struct cert *last = NULL;
    double certs, raw, parsed;
    size_t i;
    int rc = 1;

    if (secs <= 0 || mkdtemp(dir) == NULL)
        return 2;
    if ((upkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL ||
        meshca_key_from_evp(upkey, &subject) != 0)
        goto out;
    printf("# one thread, %.1fs per figure; subject key ssh-ed25519\n", secs);
    for (i = 0; i < sizeof(cas) / sizeof(cas[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s.pem", dir, cas[i].name);
        if (cakeyfile_generate(cas[i].kind, path, &k) != 0 ||
            cakey_set_from_keys(&k, &active, 1, &set) != 0)
            goto out;
        k = NULL;
        raw = raw_rate(path, cas[i].md, secs);
        certs = cert_rate(set, subject, secs, &last);
        parsed = last != NULL ? parse_rate(last, secs) : -1;
        printf("ca %-10s certs/s %8.0f   raw EVP signs/s %8.0f   ratio %.2f   "
               "parse+verify/s %8.0f\n", cas[i].name, certs, raw,
            raw > 0 ? certs / raw : 0, parsed);
        cert_free(last);
        last = NULL;
        cakey_set_free(set);
        set = NULL;
        unlink(path);
    }
    rc = 0;
out:
    cakey_free(k);
    cakey_set_free(set);
    meshca_key_free(subject);
    EVP_PKEY_free(upkey);
    rmdir(dir);
    return rc;
}
