/*
 * meshca report: the compliance report for auditors.  Fetches
 * GET /v1/report?since=T&until=T (admins; the ID token as a bearer token)
 * or reads a saved JSON report (--input), renders it with cli/report.c as
 * html (default), csv or json, and writes it atomically (--output) or to
 * standard output.
 *
 * A report of a busy week is larger than the 4 MiB every other answer is
 * held to, so cli_http() is given REPORT_RESPONSE_MAX (and with it a longer
 * timeout).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "cli.h"
#include "cli_install.h"
#include "report.h"

/* Largest report accepted from the server. */
#define REPORT_RESPONSE_MAX ((size_t)512 * 1024 * 1024)

static void
usage(FILE *f)
{
    fprintf(f,
        "usage: meshca report [--since T] [--until T] [--format html|csv|json]\n"
        "                     [--output FILE] [--server URL] [--cacert FILE]\n"
        "                     [--token-file FILE]\n"
        "       meshca report --input REPORT.json [--format ...] [--output FILE]\n"
        "The compliance report from the ledger (needs an administrator's ID\n"
        "token): who held which principal, when, for how long, under which role\n"
        "and reason; revocations; denials and their reasons; what is valid now;\n"
        "and whether the ledger's hash chain verifies.\n"
        "  --since T, --until T  the period; T is RFC 3339 (2026-11-22T13:00:00Z,\n"
        "                   offsets allowed), a date (2026-11-22, UTC midnight),\n"
        "                   \"now\", or a duration meaning that long ago (24h, 7d,\n"
        "                   1h30m).  Default: the 24 hours up to now (the\n"
        "                   server's now), or up to --until.\n"
        "  --format F       html (default: one self-contained page, fit to print),\n"
        "                   csv (one row per certificate and principal) or json\n"
        "                   (the server's report, indented)\n"
        "  --output FILE    write FILE atomically (mode 0644); default stdout\n"
        "  --input FILE     render a saved JSON report; nothing is fetched\n"
        "  --token-file FILE  the ID token (else $MESHCA_ID_TOKEN)\n"
        CLI_CONN_USAGE
        "Exit: 0 written, 1 refused or failed, 2 usage, 3 server unreachable.\n");
}

/* "2026-11-22T13:00:00Z" for t. */
static void
fmt_time(int64_t t, char *out, size_t outlen)
{
    (void)cli_format_time(t > 0 ? (uint64_t)t : 0, out, outlen);
}

/* Writes the whole of data to stdout.  Returns 0 or -1. */
static int
write_stdout(const char *data, size_t len)
{
    if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0)
        return -1;
    return 0;
}

int
cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {
        { "since", required_argument, NULL, 'S' },
        { "until", required_argument, NULL, 'U' },
        { "format", required_argument, NULL, 'f' },
        { "output", required_argument, NULL, 'o' },
        CLI_CONN_OPTIONS,
        { "token-file", required_argument, NULL, 't' },
        { "input", required_argument, NULL, 'i' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *since_arg = NULL, *until_arg = NULL, *format = "html";
    const char *output = NULL, *token_file = NULL, *input = NULL;
    struct cli_conn_flags flags = { NULL, NULL, 0 };
    struct cli_conn conn;
    struct cli_response resp;
    enum report_format fmt = REPORT_FORMAT_HTML;
    json_t *rep = NULL;
    json_error_t jerr;
    char *token = NULL, *text = NULL, *es = NULL, *eu = NULL;
    char path[512], ts[32], tu[32];
    const json_t *integ;
    const char *msg;
    int64_t now = (int64_t)time(NULL), since, until;
    size_t len = 0, n;
    long long bad;
    int ch, r, rc = EXIT_USAGE;

    memset(&resp, 0, sizeof(resp));
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (cli_conn_flag(&flags, ch, optarg))
            continue;
        switch (ch) {
        case 'S': since_arg = optarg; break;
        case 'U': until_arg = optarg; break;
        case 'f': format = optarg; break;
        case 'o': output = optarg; break;
        case 't': token_file = optarg; break;
        case 'i': input = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "meshca report: unexpected argument \"%s\"\n",
            argv[optind]);
        usage(stderr);
        return EXIT_USAGE;
    }
    if (report_format_parse(format, &fmt) != 0) {
        fprintf(stderr, "meshca report: --format is html, csv or json, not "
            "\"%s\"\n", format);
        return EXIT_USAGE;
    }
    if (input != NULL && (since_arg || until_arg || token_file ||
        flags.server || flags.cacert || flags.insecure_http)) {
        fprintf(stderr, "meshca report: --input renders a saved report; "
            "--since, --until, --server and --token-file are for fetching "
            "one\n");
        return EXIT_USAGE;
    }
    until = now;
    if (until_arg != NULL && report_parse_when(until_arg, now, &until) != 0) {
        fprintf(stderr, "meshca report: --until \"%s\" is not a time: give "
            "RFC 3339 (2026-11-22T13:00:00Z), a date, \"now\" or a duration "
            "ago (24h, 7d)\n", until_arg);
        return EXIT_USAGE;
    }
    since = until - 86400;
    if (since_arg != NULL && report_parse_when(since_arg, now, &since) != 0) {
        fprintf(stderr, "meshca report: --since \"%s\" is not a time: give "
            "RFC 3339 (2026-11-22T13:00:00Z), a date, \"now\" or a duration "
            "ago (24h, 7d)\n", since_arg);
        return EXIT_USAGE;
    }
    if (since >= until) {
        fmt_time(since, ts, sizeof(ts));
        fmt_time(until, tu, sizeof(tu));
        fprintf(stderr, "meshca report: the period is empty: --since %s is "
            "not before --until %s\n", ts, tu);
        return EXIT_USAGE;
    }

    if (input != NULL) {
        rc = EXIT_REFUSED;
        if ((rep = json_load_file(input, JSON_REJECT_DUPLICATES, &jerr)) ==
            NULL) {
            fprintf(stderr, "meshca report: cannot read the report %s: %s "
                "(line %d)\n", input, jerr.text, jerr.line);
            goto out;
        }
    } else {
        if (cli_conn_setup("report", &flags, &conn) != 0 ||
            cli_token_read(token_file, &token) != 0)
            goto out;
        /*
         * What the person left out is left to the server's clock: with no
         * --until the period runs to the server's "now" (a certificate
         * issued this second is in it), with neither it is the server's
         * last 24 hours.  --until alone means the 24 hours before it.
         */
        fmt_time(since, ts, sizeof(ts));
        fmt_time(until, tu, sizeof(tu));
        if (((since_arg != NULL || until_arg != NULL) &&
            (es = curl_easy_escape(NULL, ts, 0)) == NULL) ||
            (until_arg != NULL && (eu = curl_easy_escape(NULL, tu, 0)) ==
            NULL)) {
            rc = EXIT_REFUSED;
            goto out;
        }
        snprintf(path, sizeof(path), "/v1/report%s%s%s%s%s",
            es || eu ? "?" : "", es ? "since=" : "", es ? es : "",
            es && eu ? "&until=" : eu ? "until=" : "", eu ? eu : "");
        if (cli_http(&conn, "GET", path, token, NULL, REPORT_RESPONSE_MAX,
            &resp) != 0) {
            if (resp.too_big)
                fprintf(stderr, "meshca report: cannot reach the server: "
                    "%.150s: the report is larger than 512 MiB; ask for a "
                    "shorter period\n", conn.server);
            else
                fprintf(stderr, "meshca report: cannot reach the server: "
                    "%s\n", resp.error);
            rc = EXIT_UNREACHABLE;
            goto out;
        }
        rc = EXIT_REFUSED;
        if (resp.status != 200) {
            cli_print_error("report", &resp);
            goto out;
        }
        if ((rep = json_loadb(resp.body, resp.len, 0, &jerr)) == NULL) {
            fprintf(stderr, "meshca report: the server's answer is not a "
                "JSON report: %s\n", jerr.text);
            goto out;
        }
    }
    rc = EXIT_REFUSED;
    if (!json_is_object(rep) || !json_is_object(json_object_get(rep,
        "totals"))) {
        fprintf(stderr, "meshca report: %s is not a meshca report (no "
            "\"totals\")\n", input ? input : "the server's answer");
        goto out;
    }
    if ((r = report_render_to(rep, fmt, &text, &len)) != 0) {
        fprintf(stderr, "meshca report: cannot render the report: %s\n",
            meshca_strerror(r));
        goto out;
    }
    if (output != NULL && strcmp(output, "-") != 0) {
        if (install_write_file(output, text, len, 0644) != 0) {
            fprintf(stderr, "meshca report: cannot write %s: %s\n", output,
                strerror(errno));
            goto out;
        }
        n = json_array_size(json_object_get(rep, "access"));
        fprintf(stderr, "meshca report: wrote %s (%zu certificate%s)\n",
            output, n, n == 1 ? "" : "s");
    } else if (write_stdout(text, len) != 0) {
        fprintf(stderr, "meshca report: cannot write to standard output: "
            "%s\n", strerror(errno));
        goto out;
    }
    integ = json_object_get(rep, "integrity");
    if (!json_is_true(json_object_get(integ, "verified"))) {
        msg = json_string_value(json_object_get(integ, "message"));
        if (json_is_integer(json_object_get(integ, "first_bad"))) {
            bad = (long long)json_integer_value(json_object_get(integ,
                "first_bad"));
            fprintf(stderr, "meshca report: WARNING: the ledger's log "
                "is BROKEN at %lld: %s\n", bad,
                msg ? msg : "no detail");
        } else
            fprintf(stderr, "meshca report: WARNING: the ledger's log "
                "checkpoint is not verified: %s\n", msg ? msg :
                "the report carries no integrity check");
    }
    rc = 0;
out:
    cli_response_free(&resp);
    curl_free(es);
    curl_free(eu);
    free(text);
    json_decref(rep);
    cli_secure_free(token);
    return rc;
}
