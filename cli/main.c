/* meshca: the client.  Dispatches subcommands. */
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "cli.h"

static void
usage(FILE *f)
{
    fprintf(f,
        "usage: meshca [--profile NAME] COMMAND [options]   (meshca COMMAND --help)\n"
        "  login     get a short-lived SSH certificate and install it\n"
        "  status    the installed certificate (exit 0 valid, 1 expiring, 2 none)\n"
        "  logout    remove it from the ssh-agent and ~/.ssh/meshca\n"
        "  ssh       log in when needed (no valid certificate), then run ssh\n"
        "  explain   what the policy would decide for you, role by role\n"
        "  revoke    revoke a certificate, key id, subject or key (admins)\n"
        "  audit     verify the transparency log against the last checkpoint\n"
        "  requests  access requests: your own and the ones you approve\n"
        "  approve   approve an access request: approve ID --reason TEXT\n"
        "  deny      deny an access request: deny ID --reason TEXT\n"
        "  ack       acknowledge a break-glass use (admins, approvers): ack ID\n"
        "  ssh-config  print (or --install) ssh_config lines for --files logins\n"
        "  report    the compliance report: html, csv or json (admins)\n"
        "  who       who could and who did reach a principal at a time (admins)\n"
        "  ca-keys   (hosts) fetch the CA keys for TrustedUserCAKeys, atomically\n"
        "  krl       (hosts) fetch and validate the KRL for RevokedKeys, atomically\n"
        "  host-config  print sshd_config lines and a systemd refresh timer\n"
        "  host-cert  (hosts) a host certificate for this host's key, by its SVID\n"
        "  host-report  (hosts) ship sshd's certificate logins to meshcad\n"
        "  --version\n"
        "Server: --server URL, MESHCA_SERVER, or ~/.config/meshca/config.json;\n"
        "a private TLS root: --cacert FILE, MESHCA_CA_FILE or \"ca_file\" there.\n"
        "Token: --token-file FILE or MESHCA_ID_TOKEN (never on the command line);\n"
        "without one, admin and approver commands log in as meshca login does.\n"
        "Profiles: --profile NAME (or MESHCA_PROFILE) keeps a second server or\n"
        "identity apart (its own files, state and agent entry; \"profiles\" in\n"
        "the config).\n"
        "Exit codes: 0 ok, 1 refused or failed, 2 usage, 3 server unreachable;\n"
        "meshca status: 0 valid, 1 expiring within --min-valid, 2 none.\n");
}

int
main(int argc, char **argv)
{
    struct rlimit rl = { 0, 0 };

    /* Tokens (and, with login, private keys) live here: no core dumps. */
    (void)setrlimit(RLIMIT_CORE, &rl);
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    if (cli_profile_take(&argc, argv) != 0)
        return EXIT_USAGE;
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("meshca %s\n", MESHCA_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "login") == 0)
        return cmd_login(argc - 1, argv + 1);
    if (strcmp(argv[1], "ssh") == 0)
        return cmd_ssh(argc - 1, argv + 1);
    if (strcmp(argv[1], "status") == 0)
        return cmd_status(argc - 1, argv + 1);
    if (strcmp(argv[1], "logout") == 0)
        return cmd_logout(argc - 1, argv + 1);
    if (strcmp(argv[1], "ca-keys") == 0)
        return cmd_ca_keys(argc - 1, argv + 1);
    if (strcmp(argv[1], "krl") == 0)
        return cmd_krl(argc - 1, argv + 1);
    if (strcmp(argv[1], "host-config") == 0)
        return cmd_host_config(argc - 1, argv + 1);
    if (strcmp(argv[1], "host-cert") == 0)
        return cmd_host_cert(argc - 1, argv + 1);
    if (strcmp(argv[1], "ssh-config") == 0)
        return cmd_ssh_config(argc - 1, argv + 1);
    if (strcmp(argv[1], "report") == 0)
        return cmd_report(argc - 1, argv + 1);
    if (strcmp(argv[1], "explain") == 0)
        return cmd_explain(argc - 1, argv + 1);
    if (strcmp(argv[1], "revoke") == 0)
        return cmd_revoke(argc - 1, argv + 1);
    if (strcmp(argv[1], "who") == 0)
        return cmd_who(argc - 1, argv + 1);
    if (strcmp(argv[1], "host-report") == 0)
        return cmd_host_report(argc - 1, argv + 1);
    if (strcmp(argv[1], "audit") == 0)
        return cmd_audit(argc - 1, argv + 1);
    if (strcmp(argv[1], "requests") == 0)
        return cmd_requests(argc - 1, argv + 1);
    if (strcmp(argv[1], "approve") == 0 || strcmp(argv[1], "deny") == 0 ||
        strcmp(argv[1], "ack") == 0)
        return cmd_decide(argc - 1, argv + 1);
    fprintf(stderr, "meshca: unknown command \"%s\"\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
