/*
 * meshcad keygen [--type ed25519|ecdsa-p256|ecdsa-p384|rsa-3072|rsa-4096]
 *                --out FILE
 * Creates a CA key as an unencrypted PKCS#8 PEM file with mode 0600 (never
 * overwriting an existing file) and prints its public key line, ready for
 * sshd's TrustedUserCAKeys, on stdout; the fingerprint goes to stderr.
 * Exit status: 0 done, 1 failure, 2 usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meshca/cakey.h"
#include "cakeyfile.h"
#include "meshcad.h"
#include "meshcad_err.h"

static void
keygen_usage(FILE *f)
{
    fprintf(f, "usage: meshcad keygen [--type ed25519|ecdsa-p256|ecdsa-p384|"
               "rsa-3072|rsa-4096] --out FILE\n");
}

/* Matches "--name VALUE" or "--name=VALUE"; advances *ip past the value. */
static int
opt_value(int argc, char **argv, int *ip, const char *name, const char **valp)
{
    const char *a = argv[*ip];
    size_t n = strlen(name);

    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=') {
        *valp = a + n + 1;
        return 1;
    }
    if (a[n] != '\0')
        return 0;
    if (*ip + 1 >= argc) {
        *valp = NULL;
        return 1;
    }
    *valp = argv[++*ip];
    return 1;
}

int
cmd_keygen(int argc, char **argv)
{
    const char *type = "ed25519", *out = NULL, *v;
    enum cakey_kind kind;
    struct cakey *k = NULL;
    char *line = NULL, *fp = NULL;
    int i, r, rc = 1;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            keygen_usage(stdout);
            return 0;
        } else if (opt_value(argc, argv, &i, "--type", &v)) {
            if (v == NULL || *v == '\0') {
                fprintf(stderr, "meshcad keygen: --type needs a value\n");
                keygen_usage(stderr);
                return 2;
            }
            type = v;
        } else if (opt_value(argc, argv, &i, "--out", &v)) {
            if (v == NULL || *v == '\0') {
                fprintf(stderr, "meshcad keygen: --out needs a file name\n");
                keygen_usage(stderr);
                return 2;
            }
            out = v;
        } else {
            fprintf(stderr, "meshcad keygen: unknown argument \"%s\"\n",
                argv[i]);
            keygen_usage(stderr);
            return 2;
        }
    }
    if (out == NULL) {
        fprintf(stderr, "meshcad keygen: --out FILE is required\n");
        keygen_usage(stderr);
        return 2;
    }
    if (cakey_kind_from_name(type, &kind) != 0) {
        fprintf(stderr, "meshcad keygen: unknown key type \"%s\" (use "
                        "ed25519, ecdsa-p256, ecdsa-p384, rsa-3072 or "
                        "rsa-4096)\n", type);
        return 2;
    }
    if ((r = cakeyfile_generate(kind, out, &k)) != 0) {
        if (r == MESHCA_ERR_SYSTEM && errno == EEXIST)
            fprintf(stderr, "meshcad keygen: %s already exists; refusing to "
                            "overwrite it\n", out);
        else if (r == MESHCA_ERR_SYSTEM)
            fprintf(stderr, "meshcad keygen: %s: %s\n", out, strerror(errno));
        else
            fprintf(stderr, "meshcad keygen: %s\n", meshcad_strerror(r));
        goto out;
    }
    if ((r = meshca_key_to_line(cakey_public(k), "meshca-ca", &line)) != 0 ||
        (r = meshca_key_fingerprint(cakey_public(k), &fp)) != 0) {
        fprintf(stderr, "meshcad keygen: %s\n", meshcad_strerror(r));
        goto out;
    }
    printf("%s\n", line);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "meshcad keygen: writing stdout: %s\n",
            strerror(errno));
        goto out;
    }
    fprintf(stderr, "meshcad keygen: wrote %s key %s (%s)\n", type, out, fp);
    rc = 0;
out:
    free(line);
    free(fp);
    cakey_free(k);
    return rc;
}
