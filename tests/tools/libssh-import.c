/*
 * libssh-import: checks that libssh (what many SSH clients and tools link)
 * reads a file we produced.
 *
 *   libssh-import cert FILE     ssh_pki_import_cert_file
 *   libssh-import pubkey FILE   ssh_pki_import_pubkey_file
 *
 * Prints the imported key's type name (e.g.
 * "ssh-ed25519-cert-v01@openssh.com") and exits 0; exits 1 when libssh
 * refuses the file, 2 on a usage error.
 */
#include <stdio.h>
#include <string.h>

#include <libssh/libssh.h>

int
main(int argc, char **argv)
{
    ssh_key key = NULL;
    int rc;

    if (argc != 3 || (strcmp(argv[1], "cert") != 0 &&
        strcmp(argv[1], "pubkey") != 0)) {
        fprintf(stderr, "usage: libssh-import cert|pubkey FILE\n");
        return 2;
    }
    if (strcmp(argv[1], "cert") == 0)
        rc = ssh_pki_import_cert_file(argv[2], &key);
    else
        rc = ssh_pki_import_pubkey_file(argv[2], &key);
    if (rc != SSH_OK || key == NULL) {
        fprintf(stderr, "libssh-import: libssh refused %s\n", argv[2]);
        ssh_key_free(key);
        return 1;
    }
    if (strcmp(argv[1], "cert") == 0 && !ssh_key_is_public(key)) {
        fprintf(stderr, "libssh-import: %s is not a public key\n", argv[2]);
        ssh_key_free(key);
        return 1;
    }
    printf("%s\n", ssh_key_type_to_char(ssh_key_type(key)));
    ssh_key_free(key);
    return 0;
}
