/*
 * mkcert: a test tool around libmeshca's certificate code, for shell tests.
 *
 *   mkcert sign --ca CA.pem --key USER.pub [options]
 *       Signs a user certificate for the public key line in USER.pub with
 *       the CA PEM key and writes the certificate line to --out FILE (or
 *       stdout).  Options:
 *         --out FILE             where to write (refuses nothing: overwrites)
 *         --serial N             serial (default: random, non-zero, < 2^63)
 *         --id KEYID             key id (default "mkcert")
 *         --principal P          a principal; repeat for more (at least one)
 *         --valid-after T        T: epoch seconds, "now", "+N" or "-N"
 *                                seconds from now (default now)
 *         --valid-before T       as above, or "forever" (default +300)
 *         --backdate SECS        subtracted from valid-after (default 0)
 *         --force-command CMD    critical option force-command
 *         --source-address LIST  critical option source-address
 *         --ext NAME             an extension; repeat for more (default none)
 *         --comment TEXT         comment after the certificate line
 *   mkcert show FILE             parses and verifies a certificate line
 *       (FILE "-" reads stdin) and prints one "field value" per line:
 *       type, key_type, key_fingerprint, nonce_len, serial, cert_type,
 *       key_id, principal (one line each), valid_after, valid_before,
 *       option NAME[ VALUE] (one each), extension NAME[ VALUE] (one each),
 *       ca_type, ca_fingerprint, ca_key (the CA's public key line), sig_alg.
 *   mkcert pubkey CA.pem         prints the CA's public key line.
 *   mkcert trusted PATH:STATE... loads a CA key set (STATE active, next or
 *       retired) and prints its TrustedUserCAKeys text.
 *   mkcert fingerprint FILE      prints the SHA256 fingerprint of the public
 *       key line in FILE.
 * Exit status: 0 success, 1 failure (the error text on stderr), 2 usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "meshca/cakey.h"
#include "meshca/cert.h"
#include "meshca/key.h"

#include "../../api/cakeyfile.h"
#include "../../api/meshcad_err.h"

#define MAX_ITEMS 300

static int
usage(void)
{
    fprintf(stderr,
        "usage: mkcert sign --ca CA.pem --key USER.pub --principal P... "
        "[--out F] [--serial N] [--id ID]\n"
        "              [--valid-after T] [--valid-before T] [--backdate S] "
        "[--force-command C]\n"
        "              [--source-address L] [--ext NAME]... [--comment C]\n"
        "       mkcert show FILE | pubkey CA.pem | trusted PATH:STATE... | "
        "fingerprint FILE\n");
    return 2;
}

static char *
read_text(const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    char *d = NULL;
    size_t len = 0, cap = 0, n;

    if (f == NULL) {
        fprintf(stderr, "mkcert: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (cap - len < 4096) {
            char *nd;

            cap = cap == 0 ? 8192 : cap * 2;
            if ((nd = realloc(d, cap + 1)) == NULL) {
                free(d);
                d = NULL;
                break;
            }
            d = nd;
        }
        n = fread(d + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    if (f != stdin)
        fclose(f);
    if (d != NULL)
        d[len] = '\0';
    return d;
}

static int
parse_u64(const char *s, uint64_t *vp)
{
    char *end;
    unsigned long long v;

    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *vp = v;
    return 0;
}

static int
parse_time(const char *s, uint64_t now, uint64_t *vp)
{
    uint64_t d;

    if (s == NULL)
        return -1;
    if (strcmp(s, "now") == 0) {
        *vp = now;
        return 0;
    }
    if (strcmp(s, "forever") == 0) {
        *vp = CERT_VALID_FOREVER;
        return 0;
    }
    if (s[0] == '+' || s[0] == '-') {
        if (parse_u64(s + 1, &d) != 0)
            return -1;
        if (s[0] == '+')
            *vp = now + d;
        else
            *vp = d > now ? 0 : now - d;
        return 0;
    }
    return parse_u64(s, vp);
}

static int
cmd_sign(int argc, char **argv)
{
    const char *principals[MAX_ITEMS], *exts[MAX_ITEMS];
    struct cert_request req;
    const char *ca_path = NULL, *key_path = NULL, *out_path = NULL;
    const char *comment = NULL;
    uint64_t now = (uint64_t)time(NULL);
    struct cakey *ca = NULL;
    struct meshca_key *key = NULL;
    struct cert *cert = NULL;
    char *text = NULL, *line = NULL;
    FILE *f = NULL;
    int i, r, rc = 1;

    memset(&req, 0, sizeof(req));
    req.key_id = "mkcert";
    req.valid_after = now;
    req.valid_before = now + 300;
    req.principals = principals;
    req.extensions = exts;
    for (i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (v == NULL)
            return usage();
        i++;
        if (strcmp(a, "--ca") == 0)
            ca_path = v;
        else if (strcmp(a, "--key") == 0)
            key_path = v;
        else if (strcmp(a, "--out") == 0)
            out_path = v;
        else if (strcmp(a, "--comment") == 0)
            comment = v;
        else if (strcmp(a, "--id") == 0)
            req.key_id = v;
        else if (strcmp(a, "--serial") == 0) {
            if (parse_u64(v, &req.serial) != 0)
                return usage();
        } else if (strcmp(a, "--principal") == 0) {
            if (req.nprincipals == MAX_ITEMS)
                return usage();
            principals[req.nprincipals++] = v;
        } else if (strcmp(a, "--ext") == 0) {
            if (req.nextensions == MAX_ITEMS)
                return usage();
            exts[req.nextensions++] = v;
        } else if (strcmp(a, "--valid-after") == 0) {
            if (parse_time(v, now, &req.valid_after) != 0)
                return usage();
        } else if (strcmp(a, "--valid-before") == 0) {
            if (parse_time(v, now, &req.valid_before) != 0)
                return usage();
        } else if (strcmp(a, "--backdate") == 0) {
            if (parse_u64(v, &req.backdate) != 0)
                return usage();
        } else if (strcmp(a, "--force-command") == 0)
            req.force_command = v;
        else if (strcmp(a, "--source-address") == 0)
            req.source_address = v;
        else
            return usage();
    }
    if (ca_path == NULL || key_path == NULL)
        return usage();
    if ((r = cakeyfile_load(ca_path, &ca)) != 0) {
        fprintf(stderr, "mkcert: %s: %s\n", ca_path, meshcad_strerror(r));
        goto out;
    }
    if ((text = read_text(key_path)) == NULL)
        goto out;
    if ((r = meshca_key_from_line(text, &key)) != 0) {
        fprintf(stderr, "mkcert: %s: %s\n", key_path, meshcad_strerror(r));
        goto out;
    }
    req.key = key;
    if ((r = cert_sign_with(&req, ca, &cert)) != 0 ||
        (r = cert_to_line(cert, comment, &line)) != 0) {
        fprintf(stderr, "mkcert: %s\n", meshcad_strerror(r));
        goto out;
    }
    if (out_path != NULL) {
        if ((f = fopen(out_path, "w")) == NULL) {
            fprintf(stderr, "mkcert: %s: %s\n", out_path, strerror(errno));
            goto out;
        }
        fprintf(f, "%s\n", line);
        if (fclose(f) != 0) {
            fprintf(stderr, "mkcert: %s: %s\n", out_path, strerror(errno));
            goto out;
        }
    } else
        printf("%s\n", line);
    rc = 0;
out:
    free(text);
    free(line);
    cert_free(cert);
    meshca_key_free(key);
    cakey_free(ca);
    return rc;
}

static void
print_options(const char *what, const struct cert_option *o, size_t n)
{
    size_t i, j;

    for (i = 0; i < n; i++) {
        printf("%s %s", what, o[i].name);
        if (o[i].value != NULL)
            printf(" %s", o[i].value);
        else if (o[i].len > 0) {
            printf(" 0x");
            for (j = 0; j < o[i].len; j++)
                printf("%02x", o[i].data[j]);
        }
        printf("\n");
    }
}

static int
cmd_show(const char *path)
{
    struct cert *c = NULL;
    char *text = NULL, *kfp = NULL, *cfp = NULL, *caline = NULL;
    size_t i;
    int r, rc = 1;

    if ((text = read_text(path)) == NULL)
        goto out;
    if ((r = cert_from_line(text, &c)) != 0 ||
        (r = meshca_key_fingerprint(c->key, &kfp)) != 0 ||
        (r = meshca_key_fingerprint(c->ca_key, &cfp)) != 0 ||
        (r = meshca_key_to_line(c->ca_key, NULL, &caline)) != 0) {
        fprintf(stderr, "mkcert: %s: %s\n", path, meshcad_strerror(r));
        goto out;
    }
    printf("type %s\n", c->type_name);
    printf("key_type %s\n", meshca_key_type_name(c->key));
    printf("key_fingerprint %s\n", kfp);
    printf("nonce_len %zu\n", c->nonce_len);
    printf("serial %llu\n", (unsigned long long)c->serial);
    printf("cert_type %u\n", (unsigned)c->type);
    printf("key_id %s\n", c->key_id);
    for (i = 0; i < c->nprincipals; i++)
        printf("principal %s\n", c->principals[i]);
    printf("valid_after %llu\n", (unsigned long long)c->valid_after);
    printf("valid_before %llu\n", (unsigned long long)c->valid_before);
    print_options("option", c->options, c->noptions);
    print_options("extension", c->extensions, c->nextensions);
    printf("ca_type %s\n", meshca_key_type_name(c->ca_key));
    printf("ca_fingerprint %s\n", cfp);
    printf("ca_key %s\n", caline);
    printf("sig_alg %s\n", c->sig_alg);
    rc = 0;
out:
    free(text);
    free(kfp);
    free(cfp);
    free(caline);
    cert_free(c);
    return rc;
}

static int
cmd_pubkey(const char *path)
{
    struct cakey *ca = NULL;
    char *line = NULL;
    int r;

    if ((r = cakeyfile_load(path, &ca)) != 0 ||
        (r = meshca_key_to_line(cakey_public(ca), "meshca-ca", &line)) != 0) {
        fprintf(stderr, "mkcert: %s: %s\n", path, meshcad_strerror(r));
        cakey_free(ca);
        return 1;
    }
    printf("%s\n", line);
    free(line);
    cakey_free(ca);
    return 0;
}

static int
cmd_trusted(int argc, char **argv)
{
    struct cakeyfile_spec specs[16];
    struct cakey_set *set = NULL;
    char *copies[16], *colon, *text = NULL;
    int i, n = 0, r, rc = 1;

    if (argc < 1 || argc > 16)
        return usage();
    for (i = 0; i < argc; i++) {
        if ((copies[n] = strdup(argv[i])) == NULL)
            goto out;
        n++;
        if ((colon = strrchr(copies[i], ':')) == NULL)
            goto usage_out;
        *colon = '\0';
        specs[i].path = copies[i];
        if (cakey_state_from_name(colon + 1, &specs[i].state) != 0)
            goto usage_out;
    }
    if ((r = cakeyfile_load_set(specs, (size_t)argc, &set)) != 0 ||
        (r = cakey_set_trusted_text(set, &text)) != 0) {
        fprintf(stderr, "mkcert: %s\n", meshcad_strerror(r));
        goto out;
    }
    fputs(text, stdout);
    rc = 0;
    goto out;
usage_out:
    rc = usage();
out:
    for (i = 0; i < n; i++)
        free(copies[i]);
    free(text);
    cakey_set_free(set);
    return rc;
}

static int
cmd_fingerprint(const char *path)
{
    struct meshca_key *k = NULL;
    char *text = NULL, *fp = NULL;
    int r, rc = 1;

    if ((text = read_text(path)) == NULL)
        goto out;
    if ((r = meshca_key_from_line(text, &k)) != 0 ||
        (r = meshca_key_fingerprint(k, &fp)) != 0) {
        fprintf(stderr, "mkcert: %s: %s\n", path, meshcad_strerror(r));
        goto out;
    }
    printf("%s\n", fp);
    rc = 0;
out:
    free(text);
    free(fp);
    meshca_key_free(k);
    return rc;
}

int
main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    if (strcmp(argv[1], "sign") == 0)
        return cmd_sign(argc - 2, argv + 2);
    if (strcmp(argv[1], "show") == 0 && argc == 3)
        return cmd_show(argv[2]);
    if (strcmp(argv[1], "pubkey") == 0 && argc == 3)
        return cmd_pubkey(argv[2]);
    if (strcmp(argv[1], "trusted") == 0)
        return cmd_trusted(argc - 2, argv + 2);
    if (strcmp(argv[1], "fingerprint") == 0 && argc == 3)
        return cmd_fingerprint(argv[2]);
    return usage();
}
