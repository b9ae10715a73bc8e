/*
 * mkkrl: builds and queries KRLs with libmeshca, for shell tests.
 *
 *   mkkrl build --out FILE [--krl-version N] [--ca CA.pub]
 *         [--serial N] [--range LO-HI] [--key-id ID] [--key-sha256 KEY.pub]
 *         [--key KEY.pub] ...
 *       --ca sets the CA for the --serial/--range/--key-id options after it.
 *   mkkrl check --krl FILE CERT-or-KEY.pub...
 *       Prints "REVOKED: file" or "ok: file" for each; exits like
 *       `ssh-keygen -Q`: 0 none revoked, 1 some revoked, 255 invalid KRL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meshca/cert.h"
#include "meshca/key.h"
#include "meshca/krl.h"

static char *
slurp(const char *path, size_t *lenp)
{
    FILE *f = fopen(path, "rb");
    char *d;
    long n;

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0 || (d = calloc(1, (size_t)n + 1)) == NULL ||
        fread(d, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "mkkrl: cannot read %s\n", path);
        exit(2);
    }
    fclose(f);
    *lenp = (size_t)n;
    return d;
}

static struct meshca_key *
load_key(const char *path)
{
    size_t len;
    char *s = slurp(path, &len);
    struct meshca_key *k = NULL;
    int r;

    s[strcspn(s, "\n")] = '\0';
    if ((r = meshca_key_from_line(s, &k)) != 0) {
        fprintf(stderr, "mkkrl: %s: %s\n", path, meshca_strerror(r));
        exit(2);
    }
    free(s);
    return k;
}

static int
build(int argc, char **argv)
{
    struct krl_builder *b = NULL;
    struct meshca_key *ca = NULL, *k;
    const uint8_t *cab = NULL, *kb;
    size_t cal = 0, kl, len;
    uint8_t *out = NULL, fp[32];
    const char *path = NULL;
    uint64_t version = 1, lo, hi;
    FILE *f;
    int i, r = 0;

    if (krl_builder_new(&b) != 0)
        return 2;
    for (i = 0; i < argc && r == 0; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (v == NULL) {
            fprintf(stderr, "mkkrl: %s needs a value\n", a);
            return 2;
        }
        i++;
        if (strcmp(a, "--out") == 0)
            path = v;
        else if (strcmp(a, "--krl-version") == 0)
            version = strtoull(v, NULL, 10);
        else if (strcmp(a, "--ca") == 0) {
            meshca_key_free(ca);
            ca = load_key(v);
            cab = meshca_key_blob(ca, &cal);
        } else if (strcmp(a, "--serial") == 0)
            r = krl_revoke_serial(b, cab, cal, strtoull(v, NULL, 10));
        else if (strcmp(a, "--range") == 0) {
            if (sscanf(v, "%lu-%lu", &lo, &hi) != 2)
                r = MESHCA_ERR_INVALID_ARGUMENT;
            else
                r = krl_revoke_serial_range(b, cab, cal, lo, hi);
        } else if (strcmp(a, "--key-id") == 0)
            r = krl_revoke_key_id(b, cab, cal, v);
        else if (strcmp(a, "--key-sha256") == 0 || strcmp(a, "--key") == 0) {
            k = load_key(v);
            kb = meshca_key_blob(k, &kl);
            if (strcmp(a, "--key") == 0)
                r = krl_revoke_key(b, kb, kl);
            else {
                memcpy(fp, meshca_key_fingerprint_raw(k), 32);
                r = krl_revoke_key_sha256(b, fp);
            }
            meshca_key_free(k);
        } else {
            fprintf(stderr, "mkkrl: unknown option %s\n", a);
            return 2;
        }
    }
    if (r != 0) {
        fprintf(stderr, "mkkrl: %s\n", meshca_strerror(r));
        return 1;
    }
    if (path == NULL || krl_build(b, version, 0, "mkkrl", &out, &len) != 0 ||
        (f = fopen(path, "wb")) == NULL || fwrite(out, 1, len, f) != len ||
        fclose(f) != 0) {
        fprintf(stderr, "mkkrl: cannot write the KRL (--out FILE)\n");
        return 2;
    }
    printf("%zu\n", len);
    free(out);
    meshca_key_free(ca);
    krl_builder_free(b);
    return 0;
}

static int
check(int argc, char **argv)
{
    struct krl *krl = NULL;
    size_t len;
    char *d;
    int i, any = 0, r;

    if (argc < 2 || strcmp(argv[0], "--krl") != 0)
        return 2;
    d = slurp(argv[1], &len);
    if ((r = krl_parse((uint8_t *)d, len, &krl)) != 0) {
        fprintf(stderr, "mkkrl: invalid KRL: %s\n", meshca_strerror(r));
        return 255;
    }
    free(d);
    for (i = 2; i < argc; i++) {
        struct cert *c = NULL;
        char *s = slurp(argv[i], &len);
        int rev;

        s[strcspn(s, "\n")] = '\0';
        if (cert_from_line(s, &c) == 0) {
            const uint8_t *ca, *kb;
            size_t cl, kl;
            uint64_t serial;
            const char *id;

            cert_krl_ids(c, &ca, &cl, &serial, &id);
            kb = meshca_key_blob(c->key, &kl);
            rev = krl_check_cert(krl, ca, cl, serial, id, kb, kl);
            cert_free(c);
        } else {
            struct meshca_key *k = load_key(argv[i]);
            const uint8_t *kb;
            size_t kl;

            kb = meshca_key_blob(k, &kl);
            rev = krl_check_key(krl, kb, kl);
            meshca_key_free(k);
        }
        free(s);
        printf("%s: %s\n", rev ? "REVOKED" : "ok", argv[i]);
        any |= rev;
    }
    krl_free(krl);
    return any ? 1 : 0;
}

int
main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "build") == 0)
        return build(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "check") == 0)
        return check(argc - 2, argv + 2);
    fprintf(stderr, "usage: mkkrl build|check ... (see tests/tools/mkkrl.c)\n");
    return 2;
}
