/*
 * meshca revoke: cuts access off now (admins only, POST /v1/revocations).
 * Exactly one target: a certificate serial, a key id, a subject (all of
 * their unexpired certificates, optionally blocking new ones until a time),
 * or a public key (file) / SHA256 fingerprint (also refused from then on).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "report.h"

static void
usage(FILE *f)
{
    fprintf(f, "usage: meshca revoke (--serial N | --key-id ID | --subject S "
        "[--issuer URL] | --public-key FILE | --fingerprint SHA256:...)\n"
        "                     --reason TEXT [--block-until TIME] "
        "[--force]\n"
        "                     [--server URL] [--cacert FILE] "
        "[--token-file FILE]\n"
        "--force revokes a serial or key id the server's ledger does not "
        "know.\n"
        "--issuer: the subject's identity provider (required when the server "
        "trusts several).\n"
        "--block-until: RFC 3339 (offsets allowed) or a date (UTC midnight).\n"
        "Exit: 0 revoked (or already revoked), 1 refused, 2 usage, "
        "3 unreachable.\n");
}

int
cmd_revoke(int argc, char **argv)
{
    static const struct option opts[] = {
        { "serial", required_argument, NULL, 'S' },
        { "key-id", required_argument, NULL, 'k' },
        { "subject", required_argument, NULL, 'u' },
        { "public-key", required_argument, NULL, 'P' },
        { "fingerprint", required_argument, NULL, 'f' },
        { "reason", required_argument, NULL, 'r' },
        { "block-until", required_argument, NULL, 'b' },
        { "force", no_argument, NULL, 'F' },
        { "issuer", required_argument, NULL, 'i' },
        CLI_TOKEN_OPTIONS,
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *token_file = NULL;
    struct cli_conn_flags flags = { NULL, NULL, 0 };
    json_t *req = json_object(), *ans = NULL;
    struct cli_response resp;
    char line[16384], when[32];
    int64_t until;
    int ch, ntargets = 0, rc = EXIT_USAGE;
    FILE *f;

    optind = 1;
    while ((ch = cli_getopt(argc, argv, opts, &flags)) != -1) {
        switch (ch) {
        case 'S': json_object_set_new(req, "serial", json_string(optarg));
            ntargets++; break;
        case 'k': json_object_set_new(req, "key_id", json_string(optarg));
            ntargets++; break;
        case 'u': json_object_set_new(req, "subject", json_string(optarg));
            ntargets++; break;
        case 'f': json_object_set_new(req, "fingerprint", json_string(optarg));
            ntargets++; break;
        case 'P':
            if ((f = fopen(optarg, "r")) == NULL ||
                fgets(line, sizeof(line), f) == NULL) {
                fprintf(stderr, "meshca revoke: cannot read %s\n", optarg);
                if (f != NULL)
                    fclose(f);
                goto out;
            }
            fclose(f);
            line[strcspn(line, "\r\n")] = '\0';
            json_object_set_new(req, "public_key", json_string(line));
            ntargets++;
            break;
        case 'r': json_object_set_new(req, "reason", json_string(optarg)); break;
        case 'b':
            /* The forms report --since and who --at take, sent as the
             * UTC form meshcad reads. */
            if (report_parse_time(optarg, &until) != 0) {
                fprintf(stderr, "meshca revoke: --block-until %s: RFC 3339 "
                    "(2026-11-23T09:00:00Z, offsets allowed) or a date "
                    "(2026-11-23, UTC midnight)\n", optarg);
                goto out;
            }
            json_object_set_new(req, "block_until", json_string(
                cli_format_time(until > 0 ? (uint64_t)until : 0, when,
                sizeof(when))));
            break;
        case 'F': json_object_set_new(req, "force", json_true()); break;
        case 'i': json_object_set_new(req, "issuer", json_string(optarg));
            break;
        case 't': token_file = optarg; break;
        case 'h': usage(stdout); rc = 0; goto out;
        default: usage(stderr); goto out;
        }
    }
    if (optind != argc || ntargets != 1 ||
        json_object_get(req, "reason") == NULL) {
        fprintf(stderr, "meshca revoke: name exactly one target and give "
            "--reason\n");
        usage(stderr);
        goto out;
    }
    if (json_object_get(req, "issuer") != NULL &&
        json_object_get(req, "subject") == NULL) {
        fprintf(stderr, "meshca revoke: --issuer goes with --subject\n");
        usage(stderr);
        goto out;
    }
    if ((rc = cli_call_json("revoke", &flags, token_file, "POST",
        "/v1/revocations", req, &resp)) != 0)
        goto out;
    if (resp.status != 200 && resp.status != 201) {
        cli_print_error("revoke", &resp);
        cli_response_free(&resp);
        rc = EXIT_REFUSED;
        goto out;
    }
    ans = json_loads(resp.body, 0, NULL);
    cli_response_free(&resp);
    printf("%s %s %s%s%s (by %s); hosts refuse it at their next KRL "
        "refresh\n", json_is_true(json_object_get(ans, "already_revoked")) ?
        "already revoked:" : "revoked:",
        json_string_value(json_object_get(ans, "kind")),
        json_string_value(json_object_get(ans, "value")),
        json_object_get(ans, "issuer") ? " at " : "",
        json_object_get(ans, "issuer") ?
        json_string_value(json_object_get(ans, "issuer")) : "",
        json_string_value(json_object_get(ans, "revoked_by")));
    rc = 0;
out:
    json_decref(ans);
    json_decref(req);
    return rc;
}
