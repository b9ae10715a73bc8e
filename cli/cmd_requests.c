/*
 * Just-in-time access from the command line (#17):
 *   meshca requests [--all] [--json]       the requests you made and the
 *                                           ones waiting for you to approve
 *   meshca approve ID --reason TEXT        (approvers)
 *   meshca deny ID --reason TEXT           (approvers)
 *   meshca ack ID [--reason TEXT]          a break-glass use (admins, approvers)
 * and meshca login's wait for an approval (cli_access_wait).  Without
 * --token-file / $MESHCA_ID_TOKEN they log in interactively first.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "meshca/clock.h"
#include "meshca/jsonv.h"
#include "cli.h"

static const char *
s(const json_t *o, const char *key)
{
    return jsonv_str_or(o, key, "-");
}

/* email, else subject, of o. */
static const char *
person(const json_t *o)
{
    return jsonv_str_or(o, "email", s(o, "subject"));
}

/* One request as a line (and its approvals) for a person. */
static void
print_request(FILE *f, const json_t *o)
{
    const json_t *pr = json_object_get(o, "principals"), *e;
    size_t i;

    fprintf(f, "%s  %-12s %s  role %s (", s(o, "id"), s(o, "status"),
        person(o), s(o, "role"));
    json_array_foreach(pr, i, e)
        fprintf(f, "%s%s", i ? ", " : "", json_string_value(e));
    fprintf(f, ")  \"%s\"  %s", s(o, "reason"), s(o, "created_at"));
    if (strcmp(s(o, "kind"), "approval") == 0)
        fprintf(f, "  approvals %zu/%lld",
            json_array_size(json_object_get(o, "approvals")),
            (long long)json_integer_value(json_object_get(o,
            "min_approvals")));
    else
        fprintf(f, "  BREAK-GLASS");
    fprintf(f, "\n");
}

/* GET or POST path with a token (interactive login when none is given);
 * *ansp the parsed 2xx answer.  Returns 0 or the exit status (said). */
static int
call(const char *cmd, const struct cli_conn_flags *flags,
    const char *token_file, const char *method, const char *path,
    const json_t *body, json_t **ansp)
{
    struct cli_response r;
    int rc;

    *ansp = NULL;
    if ((rc = cli_call_json(cmd, flags, token_file, method, path, body,
        &r)) != 0)
        return rc;
    if (r.status < 200 || r.status > 299) {
        cli_print_error(cmd, &r);
        rc = r.status >= 500 ? EXIT_UNREACHABLE : EXIT_REFUSED;
    } else if ((*ansp = json_loadb(r.body, r.len, 0, NULL)) == NULL)
        rc = EXIT_REFUSED;
    cli_response_free(&r);
    return rc;
}

int
cmd_requests(int argc, char **argv)
{
    static const struct option opts[] = {
        { "all", no_argument, NULL, 'a' },
        { "json", no_argument, NULL, 'j' },
        CLI_TOKEN_OPTIONS,
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct cli_conn_flags flags = { NULL, NULL, 0 };
    const char *token_file = NULL;
    const json_t *e;
    json_t *ans = NULL;
    int ch, all = 0, js = 0, rc;
    size_t i;

    optind = 1;
    while ((ch = cli_getopt(argc, argv, opts, &flags)) != -1) {
        switch (ch) {
        case 'a': all = 1; break;
        case 'j': js = 1; break;
        case 't': token_file = optarg; break;
        case 'h':
        default:
            fprintf(ch == 'h' ? stdout : stderr, "usage: meshca requests "
                "[--all] [--json] [--server URL] [--cacert FILE]\n"
                "                       [--insecure-http] [--token-file FILE]\n"
                "Lists your access requests and those you may approve (open "
                "ones; --all: the last 30 days).\n");
            return ch == 'h' ? 0 : EXIT_USAGE;
        }
    }
    if ((rc = call("requests", &flags, token_file, "GET", all ?
        "/v1/access-requests?all=true" : "/v1/access-requests", NULL,
        &ans)) != 0)
        return rc;
    if (js) {
        json_dumpf(ans, stdout, JSON_INDENT(2));
        printf("\n");
    } else {
        json_array_foreach(json_object_get(ans, "requests"), i, e)
            print_request(stdout, e);
        if (json_array_size(json_object_get(ans, "requests")) == 0)
            printf("no %saccess requests\n", all ? "" : "open ");
    }
    json_decref(ans);
    return 0;
}

int
cmd_decide(int argc, char **argv)
{
    static const struct option opts[] = {
        { "reason", required_argument, NULL, 'r' },
        CLI_TOKEN_OPTIONS,
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct cli_conn_flags flags = { NULL, NULL, 0 };
    const char *token_file = NULL, *reason = NULL, *verb = argv[0];
    const char *action = strcmp(verb, "ack") == 0 ? "acknowledge" : verb;
    char path[128];
    json_t *body = NULL, *ans = NULL;
    int ch, rc;

    optind = 1;
    while ((ch = cli_getopt(argc, argv, opts, &flags)) != -1) {
        switch (ch) {
        case 'r': reason = optarg; break;
        case 't': token_file = optarg; break;
        case 'h':
        default:
            fprintf(ch == 'h' ? stdout : stderr, "usage: meshca %s ID "
                "--reason TEXT [--server URL] [--cacert FILE]\n"
                "                     [--insecure-http] [--token-file FILE]\n%s"
                "Without --token-file (or $MESHCA_ID_TOKEN) it logs in as "
                "meshca login does.\n", verb,
                strcmp(verb, "ack") == 0 ? "Acknowledges a break-glass use "
                "(--reason optional).\n" : "Decides an access request; "
                "approvals come from distinct approvers.\n");
            return ch == 'h' ? 0 : EXIT_USAGE;
        }
    }
    if (optind + 1 != argc || strspn(argv[optind], "0123456789abcdef") != 32 ||
        argv[optind][32] != '\0') {
        fprintf(stderr, "meshca %s: give the request's ID (32 hex digits, "
            "as meshca requests lists it)\n", verb);
        return EXIT_USAGE;
    }
    if (reason == NULL && strcmp(verb, "ack") != 0) {
        fprintf(stderr, "meshca %s: --reason is required: say why\n", verb);
        return EXIT_USAGE;
    }
    snprintf(path, sizeof(path), "/v1/access-requests/%s/%s", argv[optind],
        action);
    body = reason != NULL ? json_pack("{s:s}", "reason", reason) :
        json_object();
    if ((rc = call(verb, &flags, token_file, "POST", path, body, &ans)) == 0)
        print_request(stdout, ans);
    json_decref(body);
    json_decref(ans);
    return rc;
}

void
cli_explain_access(const json_t *ans)
{
    const json_t *a = json_object_get(ans, "approval");
    char *who;

    if (json_is_true(json_object_get(ans, "break_glass")))
        printf("  break-glass: issued at once, recorded as such, notified, "
            "and reviewed afterwards\n");
    if (a == NULL)
        return;
    who = json_dumps(json_object_get(a, "approvers"), JSON_COMPACT);
    printf("  needs approval: %lld approval(s) from %s; the request waits "
        "up to %llds (meshca login waits for it)\n",
        (long long)json_integer_value(json_object_get(a, "min_approvals")),
        who != NULL ? who : "the approvers",
        (long long)json_integer_value(json_object_get(a,
        "request_ttl_seconds")));
    free(who);
}

int
cli_access_wait(const struct cli_conn *conn, const char *token,
    const json_t *ans)
{
    const char *id = s(ans, "request_id");
    char path[128], *who;
    struct cli_response r;
    json_t *o = NULL;
    const char *st;
    int64_t until;
    int rc = EXIT_REFUSED, blip = 0;

    who = json_dumps(json_object_get(ans, "approvers"), JSON_COMPACT);
    fprintf(stderr, "Approval needed: role %s needs %lld approval(s) from "
        "%s.\nRequest %s (reason \"%s\") waits until %s; approvers run\n"
        "  meshca approve %s --reason \"...\"\nWaiting for the decision "
        "(Ctrl-C stops waiting; nothing is installed until it is approved)"
        "...\n", s(ans, "role"), (long long)json_integer_value(
        json_object_get(ans, "min_approvals")), who ? who : "the approvers",
        id, s(ans, "reason"), s(ans, "expires_at"), id);
    free(who);
    snprintf(path, sizeof(path), "/v1/access-requests/%s", id);
    /* The request stays pending at the server while it restarts: keep
     * asking until it would have expired (ten minutes if not said). */
    if (meshca_time_parse(s(ans, "expires_at"), &until) != 0)
        until = (int64_t)time(NULL) + 600;
    for (;;) {
        memset(&r, 0, sizeof(r));
        if (cli_http(conn, "GET", path, token, NULL, CLI_RESPONSE_MAX,
            &r) != 0 || r.status != 200 ||
            (o = json_loadb(r.body, r.len, 0, NULL)) == NULL) {
            if (cli_http_retryable(&r) && (int64_t)time(NULL) <= until) {
                /* Said once per outage. */
                if (blip++ == 0 && r.status != 0)
                    fprintf(stderr, "meshca login: the server answered HTTP "
                        "%ld; still waiting (the request stays pending)\n",
                        r.status);
                else if (blip == 1)
                    fprintf(stderr, "meshca login: cannot reach the server: "
                        "%s; still waiting (the request stays pending)\n",
                        r.error);
                cli_response_free(&r);
                sleep(2);
                continue;
            }
            if (r.status != 0)
                cli_print_error("login", &r);
            else
                fprintf(stderr, "meshca login: cannot reach the server: "
                    "%s\n", r.error);
            rc = r.status == 0 || r.status >= 500 ? EXIT_UNREACHABLE :
                EXIT_REFUSED;
            cli_response_free(&r);
            return rc;
        }
        cli_response_free(&r);
        blip = 0;
        st = s(o, "status");
        if (strcmp(st, "approved") == 0) {
            fprintf(stderr, "Approved; collecting the certificate.\n");
            rc = 0;
            break;
        }
        if (strcmp(st, "pending") != 0) {
            fprintf(stderr, "meshca login: request %s is %s%s%s\n", id, st,
                strcmp(st, "denied") == 0 ? " by " : "",
                strcmp(st, "denied") == 0 ? person(json_object_get(o,
                "denial")) : "");
            break;
        }
        json_decref(o);
        o = NULL;
        sleep(2);
    }
    json_decref(o);
    return rc;
}
