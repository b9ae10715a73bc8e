/*
 * meshca explain: asks the server what it would decide for a login —
 * which role, which principals, what TTL and why, role by role — without
 * signing or recording anything (POST /v1/explain).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

static void
usage(FILE *f)
{
    fprintf(f, "usage: meshca explain [--server URL] [--cacert FILE] [--token-file FILE] "
        "[--principal P]... [--ttl 10m] [--reason TEXT] [--role R] [--json]\n"
        "Shows the policy's decision for this request, role by role.\n"
        "Exit: 0 would be granted, 1 would be denied, 2 usage, 3 unreachable.\n");
}

int
cmd_explain(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_TOKEN_OPTIONS,
        { "principal", required_argument, NULL, 'p' },
        { "ttl", required_argument, NULL, 'l' },
        { "reason", required_argument, NULL, 'r' },
        { "role", required_argument, NULL, 'R' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *token_file = NULL;
    struct cli_conn_flags flags = { NULL, NULL, 0 };
    json_t *req = json_object(), *pr = json_array(), *ans = NULL, *roles, *e;
    struct cli_response resp;
    int ch, json = 0, rc = EXIT_USAGE;
    size_t i;

    optind = 1;
    while ((ch = cli_getopt(argc, argv, opts, &flags)) != -1) {
        switch (ch) {
        case 't': token_file = optarg; break;
        case 'p': json_array_append_new(pr, json_string(optarg)); break;
        case 'l': json_object_set_new(req, "ttl", json_string(optarg)); break;
        case 'r': json_object_set_new(req, "reason", json_string(optarg)); break;
        case 'R': json_object_set_new(req, "role", json_string(optarg)); break;
        case 'j': json = 1; break;
        case 'h': usage(stdout); rc = 0; goto out;
        default: usage(stderr); goto out;
        }
    }
    if (optind != argc) {
        usage(stderr);
        goto out;
    }
    if (json_array_size(pr) > 0)
        json_object_set(req, "principals", pr);
    if ((rc = cli_call_json("explain", &flags, token_file, "POST",
        "/v1/explain", req, &resp)) != 0)
        goto out;
    if (resp.status != 200) {
        cli_print_error("explain", &resp);
        rc = EXIT_REFUSED;
        cli_response_free(&resp);
        goto out;
    }
    ans = json_loads(resp.body, 0, NULL);
    cli_response_free(&resp);
    if (ans == NULL) {
        fprintf(stderr, "meshca explain: the server's answer is not JSON\n");
        rc = EXIT_REFUSED;
        goto out;
    }
    rc = strcmp(json_string_value(json_object_get(ans, "decision")) ?
        json_string_value(json_object_get(ans, "decision")) : "",
        "granted") == 0 ? 0 : EXIT_REFUSED;
    if (json) {
        json_dumpf(ans, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("\n");
        goto out;
    }
    if (rc == 0) {
        printf("granted by role %s: ",
            json_string_value(json_object_get(ans, "role")));
        json_array_foreach(json_object_get(ans, "principals"), i, e)
            printf("%s%s", i ? ", " : "", json_string_value(e));
        printf(" for %llds (%s)\n",
            (long long)json_integer_value(json_object_get(ans, "ttl_seconds")),
            json_string_value(json_object_get(ans, "ttl_note")));
        cli_explain_access(ans);
    } else
        printf("denied: %s\n",
            json_string_value(json_object_get(ans, "denial")));
    roles = json_object_get(ans, "roles");
    json_array_foreach(roles, i, e) {
        json_t *g = json_object_get(e, "grants"), *p;
        size_t k;

        printf("  role %-24s %s", json_string_value(json_object_get(e, "name")),
            json_is_true(json_object_get(e, "matched")) ? "matched" :
            "no match");
        if (!json_is_true(json_object_get(e, "matched")))
            printf(": %s", json_string_value(json_object_get(e, "why")));
        else if (g != NULL) {
            printf(", grants [");
            json_array_foreach(g, k, p)
                printf("%s%s", k ? ", " : "", json_string_value(p));
            printf("]");
        }
        printf("\n");
    }
out:
    json_decref(ans);
    json_decref(req);
    json_decref(pr);
    return rc;
}
