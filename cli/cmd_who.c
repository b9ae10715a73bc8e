/*
 * meshca who --principal P [--at T] [--window D] [--json] (admins, issue
 * #18): who could reach a principal at a time (certificates naming it that
 * were valid then) and who did (logins with them within D of T), from
 * GET /v1/who.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "cli.h"
#include "report.h"

static void
usage(FILE *f)
{
    fprintf(f,
        "usage: meshca who --principal P [--at T] [--window D] [--json]\n"
        "                  [--token-file FILE] [--server URL] [--cacert FILE]\n"
        "Who could reach principal P at time T (the certificates naming it\n"
        "that were valid then) and who did (logins with them within D of T),\n"
        "from the ledger (needs an administrator's ID token).\n"
        "  --principal P    a mesh principal, e.g. payments/api\n"
        "  --at T           RFC 3339 (2026-11-30T14:00Z), a date, \"now\" or a\n"
        "                   duration ago (2h); default now\n"
        "  --window D       logins within D before or after T (default 1h)\n"
        "  --json           the server's answer as JSON\n"
        "  --token-file FILE  the ID token (else $MESHCA_ID_TOKEN)\n"
        CLI_CONN_USAGE
        "Exit: 0 answered, 1 refused, 2 usage, 3 server unreachable.\n");
}

static const char *
s(const json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));

    return v != NULL ? v : "-";
}

/* Makes every string in v safe for a terminal (report_text_escape), in
 * place: the ledger holds what hosts reported (accounts, addresses) and
 * what tokens said, which must not reach the terminal as control
 * sequences.  Returns 0 or a negative error. */
static int
text_safe(json_t *v)
{
    const char *k;
    json_t *e;
    char *esc = NULL;
    size_t i, len;
    int r = 0;

    if (json_is_string(v)) {
        if ((r = report_text_escape(json_string_value(v), &esc, &len)) == 0 &&
            json_string_setn(v, esc, len) != 0)
            r = MESHCA_ERR_ALLOC;
        free(esc);
    } else if (json_is_object(v)) {
        json_object_foreach(v, k, e)
            if ((r = text_safe(e)) != 0)
                break;
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, e)
            if ((r = text_safe(e)) != 0)
                break;
    }
    return r;
}

static void
print_answer(const json_t *a, const char *window)
{
    const json_t *could = json_object_get(a, "could");
    const json_t *did = json_object_get(a, "did"), *e;
    size_t i;

    printf("%s at %s\n", s(a, "principal"), s(a, "at"));
    printf("Could reach it (certificates valid then): %zu\n",
        json_array_size(could));
    json_array_foreach(could, i, e)
        printf("  %-28s role %-20s serial %s  valid %s to %s%s\n",
            s(e, "email")[0] != '-' ? s(e, "email") : s(e, "subject"),
            s(e, "role"), s(e, "serial"), s(e, "valid_after"),
            s(e, "valid_before"),
            json_is_true(json_object_get(e, "revoked")) ? "  REVOKED" : "");
    printf("Did (logins within %s): %zu\n", window, json_array_size(did));
    json_array_foreach(did, i, e)
        printf("  %s  %-20s %s@%s  %s  from %s  serial %s\n", s(e, "at"),
            s(e, "subject"), s(e, "account"), s(e, "host"), s(e, "result"),
            s(e, "source_address"), s(e, "serial"));
}

/* Fetches and prints.  Returns the exit code. */
static int
who(const struct cli_conn_flags *flags, const char *token_file,
    const char *principal, int64_t at, const char *window, int json)
{
    struct cli_conn conn;
    struct cli_response r;
    char path[1024], when[32], *token = NULL, *ep = NULL, *ew = NULL;
    json_t *a = NULL;
    int rc = EXIT_USAGE;

    memset(&r, 0, sizeof(r));
    (void)cli_format_time((uint64_t)at, when, sizeof(when));
    if (cli_conn_setup("who", flags, &conn) != 0 ||
        cli_token_read(token_file, &token) != 0)
        goto out;
    if ((ep = curl_easy_escape(NULL, principal, 0)) == NULL ||
        (ew = curl_easy_escape(NULL, window, 0)) == NULL) {
        rc = EXIT_REFUSED;
        goto out;
    }
    snprintf(path, sizeof(path), "/v1/who?principal=%s&at=%s&window=%s", ep,
        when, ew);
    if (cli_http(&conn, "GET", path, token, NULL, CLI_RESPONSE_MAX,
        &r) != 0) {
        fprintf(stderr, "meshca who: cannot reach the server: %s\n", r.error);
        rc = EXIT_UNREACHABLE;
        goto out;
    }
    if (r.status != 200) {
        cli_print_error("who", &r);
        rc = r.status >= 500 ? EXIT_UNREACHABLE : EXIT_REFUSED;
        goto out;
    }
    if ((a = json_loads(r.body, 0, NULL)) == NULL) {
        fprintf(stderr, "meshca who: the server's answer is not JSON\n");
        rc = EXIT_REFUSED;
        goto out;
    }
    if (json)
        (void)json_dumpf(a, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    else if (text_safe(a) != 0) {
        fprintf(stderr, "meshca who: out of memory\n");
        rc = EXIT_REFUSED;
        goto out;
    } else
        print_answer(a, window);
    if (json)
        putchar('\n');
    rc = 0;
out:
    json_decref(a);
    curl_free(ep);
    curl_free(ew);
    cli_response_free(&r);
    cli_secure_free(token);
    return rc;
}

int
cmd_who(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_TOKEN_OPTIONS,
        { "principal", required_argument, NULL, 'p' },
        { "at", required_argument, NULL, 'a' },
        { "window", required_argument, NULL, 'w' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct cli_conn_flags flags = { NULL, NULL, 0 };
    const char *principal = NULL, *at_arg = NULL, *window = "1h",
               *token_file = NULL;
    int64_t at = (int64_t)time(NULL);
    int ch, json = 0;

    optind = 1;
    while ((ch = cli_getopt(argc, argv, opts, &flags)) != -1) {
        switch (ch) {
        case 'p': principal = optarg; break;
        case 'a': at_arg = optarg; break;
        case 'w': window = optarg; break;
        case 'j': json = 1; break;
        case 't': token_file = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc || principal == NULL) {
        fprintf(stderr, "meshca who: --principal P is required\n");
        return EXIT_USAGE;
    }
    if (at_arg != NULL && report_parse_when(at_arg, at, &at) != 0) {
        fprintf(stderr, "meshca who: --at: RFC 3339 (2026-11-30T14:00:00Z), "
            "a date, \"now\" or a duration ago (2h)\n");
        return EXIT_USAGE;
    }
    return who(&flags, token_file, principal, at, window, json);
}
