/*
 * meshcad keygen [--type ed25519|ecdsa-p256|ecdsa-p384|rsa-3072|rsa-4096]
 *                (--out FILE | --pkcs11 URI [--pin-file FILE | --pin-env VAR])
 * Creates a CA key as an unencrypted PKCS#8 PEM file with mode 0600 (never
 * overwriting an existing file), or inside a PKCS#11 token (non-extractable,
 * sign-only; never reusing a label), and prints its public key line, ready
 * for sshd's TrustedUserCAKeys, on stdout; the fingerprint goes to stderr.
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
#include "pkcs11.h"

static void
keygen_usage(FILE *f)
{
    fprintf(f, "usage: meshcad keygen [--type ed25519|ecdsa-p256|ecdsa-p384|"
               "rsa-3072|rsa-4096] --out FILE\n"
               "       meshcad keygen [--type ed25519|ecdsa-p256|ecdsa-p384|"
               "rsa-3072|rsa-4096] --pkcs11 URI\n"
               "                      [--pin-file FILE | --pin-env VAR]\n"
               "  URI: pkcs11:token=TOKEN;object=LABEL?module-path=MODULE"
               "[&pin-source=FILE]\n");
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

/* Prints the public key line on stdout and what was made on stderr. */
static int
print_key(const struct meshca_key *pub, const char *type, const char *where)
{
    char *line = NULL, *fp = NULL;
    int r, rc = 1;

    if ((r = meshca_key_to_line(pub, "meshca-ca", &line)) != 0 ||
        (r = meshca_key_fingerprint(pub, &fp)) != 0) {
        fprintf(stderr, "meshcad keygen: %s\n", meshcad_strerror(r));
        goto out;
    }
    printf("%s\n", line);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "meshcad keygen: writing stdout: %s\n",
            strerror(errno));
        goto out;
    }
    fprintf(stderr, "meshcad keygen: wrote %s key %s (%s)\n", type, where, fp);
    rc = 0;
out:
    free(line);
    free(fp);
    return rc;
}

/* --pkcs11: the key pair is generated inside the token. */
static int
keygen_pkcs11(const char *uri, const char *pin_file, const char *pin_env,
    enum cakey_kind kind, const char *type)
{
    struct pkcs11_config *c = NULL;
    struct meshca_key *pub = NULL;
    char why[512], *where = NULL;
    int rc = 1;

    if (pkcs11conf_from_uri(uri, &c, why, sizeof(why)) != 0) {
        fprintf(stderr, "meshcad keygen: --pkcs11: %s\n", why);
        rc = 2;
        goto out;
    }
    if (pin_file != NULL || pin_env != NULL) {
        free(c->pin_file);
        c->pin_file = pin_file != NULL ? strdup(pin_file) : NULL;
        c->pin_env = pin_env != NULL ? strdup(pin_env) : NULL;
    }
    if (c->module == NULL || c->token == NULL || c->label == NULL ||
        (c->pin_file == NULL && c->pin_env == NULL)) {
        fprintf(stderr, "meshcad keygen: --pkcs11 needs token=, object= and "
            "module-path= in the URI, and the PIN from pin-source=, "
            "--pin-file or --pin-env\n");
        rc = 2;
        goto out;
    }
    if (pkcs11_key_generate(c, kind, &pub, why, sizeof(why)) != 0) {
        fprintf(stderr, "meshcad keygen: %s\n", why);
        goto out;
    }
    if (asprintf(&where, "in token \"%s\" labelled \"%s\"", c->token,
        c->label) < 0) {
        where = NULL;
        goto out;
    }
    rc = print_key(pub, type, where);
out:
    free(where);
    meshca_key_free(pub);
    pkcs11conf_free(c);
    return rc;
}

/* Parses the options; returns -1 to go on, or an exit status. */
static int
keygen_args(int argc, char **argv, const char **typep, const char **outp,
    const char **p11p, const char **pinfp, const char **pinep)
{
    static const char *const names[] = { "--type", "--out", "--pkcs11",
        "--pin-file", "--pin-env" };
    const char **dst[] = { typep, outp, p11p, pinfp, pinep };
    const char *v;
    int i, j;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            keygen_usage(stdout);
            return 0;
        }
        for (j = 0; j < 5; j++)
            if (opt_value(argc, argv, &i, names[j], &v))
                break;
        if (j == 5) {
            fprintf(stderr, "meshcad keygen: unknown argument \"%s\"\n",
                argv[i]);
            keygen_usage(stderr);
            return 2;
        }
        if (v == NULL || *v == '\0') {
            fprintf(stderr, "meshcad keygen: %s needs a value\n", names[j]);
            keygen_usage(stderr);
            return 2;
        }
        *dst[j] = v;
    }
    if ((*outp == NULL) == (*p11p == NULL)) {
        fprintf(stderr, "meshcad keygen: give --out FILE or --pkcs11 URI\n");
        keygen_usage(stderr);
        return 2;
    }
    if (*outp != NULL && (*pinfp != NULL || *pinep != NULL)) {
        fprintf(stderr, "meshcad keygen: --pin-file and --pin-env go with "
            "--pkcs11\n");
        return 2;
    }
    return -1;
}

int
cmd_keygen(int argc, char **argv)
{
    const char *type = "ed25519", *out = NULL, *p11 = NULL, *pinf = NULL,
        *pine = NULL;
    enum cakey_kind kind;
    struct cakey *k = NULL;
    int r, rc;

    if ((rc = keygen_args(argc, argv, &type, &out, &p11, &pinf, &pine)) >= 0)
        return rc;
    if (cakey_kind_from_name(type, &kind) != 0) {
        fprintf(stderr, "meshcad keygen: unknown key type \"%s\" (use "
                        "ed25519, ecdsa-p256, ecdsa-p384, rsa-3072 or "
                        "rsa-4096)\n", type);
        return 2;
    }
    if (p11 != NULL)
        return keygen_pkcs11(p11, pinf, pine, kind, type);
    if ((r = cakeyfile_generate(kind, out, &k)) != 0) {
        if (r == MESHCA_ERR_SYSTEM && errno == EEXIST)
            fprintf(stderr, "meshcad keygen: %s already exists; refusing to "
                            "overwrite it\n", out);
        else if (r == MESHCA_ERR_SYSTEM)
            fprintf(stderr, "meshcad keygen: %s: %s\n", out, strerror(errno));
        else
            fprintf(stderr, "meshcad keygen: %s\n", meshcad_strerror(r));
        return 1;
    }
    rc = print_key(cakey_public(k), type, out);
    cakey_free(k);
    return rc;
}
