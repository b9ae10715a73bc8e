/*
 * cli-install: installs a key and certificate made by ssh-keygen exactly as
 * `meshca login` installs the ones it gets from meshcad (cli/install.c):
 * into $SSH_AUTH_SOCK's agent with a lifetime equal to the certificate's
 * remaining validity, or with --files (or no agent) under $HOME/.ssh/meshca,
 * recording it in $HOME/.config/meshca/state.json.  For tests that exercise
 * the client's installation, status and logout without a meshcad.
 *
 *   cli-install [--files] KEY_FILE CERT_FILE [SERIAL]
 *
 * Prints where it went; exit 0, or 1 with the reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "meshca/cert.h"
#include "meshca/key.h"
#include "../../cli/cli_err.h"
#include "../../cli/cli_install.h"
#include "../../cli/cli_keys.h"

int
main(int argc, char **argv)
{
    struct install_request ir;
    struct login_key *k = NULL;
    struct cert *c = NULL;
    char *pem = NULL, *line = NULL, *fp = NULL, where[1100], why[512];
    int files = 0, i = 1, rc = 1, r;

    if (argc > 1 && strcmp(argv[1], "--files") == 0) {
        files = 1;
        i++;
    }
    if (argc - i < 2 || argc - i > 3) {
        fprintf(stderr, "usage: cli-install [--files] KEY CERT [SERIAL]\n");
        return 2;
    }
    if ((pem = install_read_file(argv[i], 65536)) == NULL ||
        (line = install_read_file(argv[i + 1], 65536)) == NULL) {
        fprintf(stderr, "cli-install: cannot read the key or certificate\n");
        goto out;
    }
    line[strcspn(line, "\r\n")] = '\0';
    if ((r = login_key_from_openssh(pem, "cli-install", &k)) != 0 ||
        (r = cert_from_line(line, &c)) != 0 ||
        (r = meshca_key_fingerprint(c->ca_key, &fp)) != 0) {
        fprintf(stderr, "cli-install: %s\n", cli_strerror(r));
        goto out;
    }
    memset(&ir, 0, sizeof(ir));
    ir.key = k;
    ir.cert = c;
    ir.cert_line = line;
    ir.serial = argc - i == 3 ? argv[i + 2] : "1";
    ir.role = "test";
    ir.ca_fingerprint = fp;
    ir.agent_sock = getenv("SSH_AUTH_SOCK");
    ir.files = files;
    ir.now = time(NULL);
    if (install_login(&ir, where, sizeof(where), why, sizeof(why)) != 0) {
        fprintf(stderr, "cli-install: %s\n", why);
        goto out;
    }
    printf("%s\n", where);
    rc = 0;
out:
    login_key_free(k);
    cert_free(c);
    free(fp);
    free(line);
    free(pem);
    return rc;
}
