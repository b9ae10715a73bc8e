/*
 * meshca host-report (issue #18): ships sshd's new certificate logins and
 * refusals to POST /v1/logins, from a log file (with its offset kept in the
 * state file) or from the journal (journalctl -o json --after-cursor, the
 * cursor kept in the state file).  Batched; a batch that fails is retried,
 * and the state only moves past lines the server has taken, so a run that
 * dies resends them next time: the server records each (host, line) once.
 */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "meshca/clock.h"
#include "meshca/hex.h"
#include "meshca/krl.h"
#include "cli.h"
#include "cli_install.h"
#include "sshdlog.h"

#define BATCH_DEFAULT 100
#define BATCH_MAX 100
#define LINE_MAX_LEN 8192
#define STATE_MAX 1024
#define TRIES 3

struct report {
    struct cli_conn conn;
    char *token;
    const char *state_path;
    json_t *krl;            /* {"version", "generated_at"} or NULL */
    json_t *batch;          /* the logins not yet sent */
    size_t batch_max;
    size_t sent, recorded;
    struct sshd_parser parser;
    int year;
};

static void
usage(FILE *f)
{
    fprintf(f, "usage: meshca host-report (--token-file FILE | --svid CERT.pem "
        "--svid-key KEY.pem)\n"
        "                          --state FILE (--log FILE | --journal "
        "[--unit NAME])\n"
        "                          [--krl FILE] [--batch N] [--server URL]"
        " [--cacert FILE]\n"
        "Ships sshd's certificate logins and refusals (LogLevel VERBOSE) to "
        "meshcad.\n"
        "  --token-file FILE  this host's token (logins.host_tokens on the "
        "server)\n"
        "  --svid FILE        or this host's X.509-SVID (mTLS; the server names "
        "the host\n"
        "                     by the policy's \"hosts\" grant)\n"
        "  --svid-key FILE    the SVID's private key\n"
        "  --state FILE       where the position read so far is kept\n"
        "  --log FILE         read sshd's log file (sshd -E, or syslog's "
        "auth.log)\n"
        "  --journal          read the journal (journalctl -u NAME -o json)\n"
        "  --unit NAME        the sshd unit (default ssh)\n"
        "  --krl FILE         report this KRL's version (host freshness)\n"
        "  --batch N          logins per request, 1 to %d (default %d)\n"
        CLI_CONN_USAGE
        "Exit: 0 shipped (or nothing new), 1 refused, 2 usage, 3 server "
        "unreachable.\n", BATCH_MAX, BATCH_DEFAULT);
}

/* The KRL's version and date, as the server takes them. */
static int
read_krl(const char *path, json_t **outp)
{
    uint8_t *data = NULL;
    struct krl *k = NULL;
    char when[MESHCA_TIME_BUFLEN], ver[24];
    struct stat st;
    FILE *f;
    int r = -1;

    *outp = NULL;
    if ((f = fopen(path, "re")) == NULL || fstat(fileno(f), &st) != 0 ||
        st.st_size <= 0 || st.st_size > KRL_MAX_SIZE ||
        (data = malloc((size_t)st.st_size)) == NULL ||
        fread(data, 1, (size_t)st.st_size, f) != (size_t)st.st_size ||
        krl_parse(data, (size_t)st.st_size, &k) != 0)
        goto out;
    snprintf(ver, sizeof(ver), "%llu", (unsigned long long)krl_version(k));
    (void)meshca_time_format((int64_t)krl_generated_date(k), when,
        sizeof(when));
    *outp = json_pack("{s:s, s:s}", "version", ver, "generated_at", when);
    r = *outp != NULL ? 0 : -1;
out:
    if (f != NULL)
        fclose(f);
    free(data);
    krl_free(k);
    return r;
}

/* line_id: the first 128 bits of SHA-256(source NUL position NUL line). */
static void
line_id(const char *source, const char *pos, const char *line, size_t len,
    char out[33])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    uint8_t d[EVP_MAX_MD_SIZE];
    unsigned int dl = 0;

    memset(d, 0, sizeof(d));
    if (c == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1 ||
        EVP_DigestUpdate(c, source, strlen(source) + 1) != 1 ||
        EVP_DigestUpdate(c, pos, strlen(pos) + 1) != 1 ||
        EVP_DigestUpdate(c, line, len) != 1 ||
        EVP_DigestFinal_ex(c, d, &dl) != 1)
        abort(); /* out of memory in a hash: nothing sensible to send */
    EVP_MD_CTX_free(c);
    (void)meshca_hex_encode(d, 16, out, 33);
}

static int
add_login(struct report *rp, const struct sshd_login *l, const char *id)
{
    char at[MESHCA_TIME_BUFLEN];
    json_t *o;

    (void)meshca_time_format_us(l->at_us, at, sizeof(at));
    o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
        "line_id", id, "at", at, "account", l->account,
        "source_address", l->address, "result", l->result,
        "serial", l->serial, "key_id", l->key_id,
        "key_fingerprint", l->key_fingerprint,
        "ca_fingerprint", l->ca_fingerprint);
    if (o == NULL || (l->port > 0 && json_object_set_new(o, "source_port",
        json_integer(l->port)) != 0) || json_array_append_new(rp->batch, o))
        return -1;
    return 0;
}

/* One POST of the batch, retried on a network error or 5xx.  Returns 0,
 * EXIT_REFUSED or EXIT_UNREACHABLE (message printed). */
static int
send_batch(struct report *rp)
{
    struct cli_response r;
    json_t *req, *ans;
    char *body;
    int i, rc = EXIT_UNREACHABLE;

    req = json_pack("{s:O?, s:O}", "krl", rp->krl, "logins", rp->batch);
    if (req == NULL || (body = json_dumps(req, JSON_COMPACT)) == NULL) {
        json_decref(req);
        fprintf(stderr, "meshca host-report: out of memory\n");
        return EXIT_REFUSED;
    }
    json_decref(req);
    for (i = 0; i < TRIES; i++) {
        if (i > 0)
            sleep((unsigned)i);
        memset(&r, 0, sizeof(r));
        if (cli_http(&rp->conn, "POST", "/v1/logins", rp->token, body,
            CLI_RESPONSE_MAX, &r) != 0) {
            fprintf(stderr, "meshca host-report: cannot reach the server: "
                "%s%s\n", r.error, i + 1 < TRIES && cli_http_retryable(&r) ?
                " (retrying)" : "");
            if (!cli_http_retryable(&r))
                break;
            continue;
        }
        if (r.status == 200) {
            ans = json_loads(r.body, 0, NULL);
            rp->sent += json_array_size(rp->batch);
            rp->recorded += (size_t)json_integer_value(json_object_get(ans,
                "recorded"));
            json_decref(ans);
            json_array_clear(rp->batch);
            cli_response_free(&r);
            rc = 0;
            break;
        }
        cli_print_error("host-report", &r);
        rc = cli_http_retryable(&r) ? EXIT_UNREACHABLE : EXIT_REFUSED;
        cli_response_free(&r);
        if (rc == EXIT_REFUSED)
            break;
    }
    free(body);
    return rc;
}

static int
save_state(const struct report *rp, const char *text)
{
    if (install_write_file(rp->state_path, text, strlen(text), 0600) != 0) {
        fprintf(stderr, "meshca host-report: cannot write %s: %s\n",
            rp->state_path, strerror(errno));
        return EXIT_REFUSED;
    }
    return 0;
}

/* The state file's text, or "" when there is none yet. */
static int
load_state(const char *path, char *out, size_t outlen)
{
    FILE *f = fopen(path, "re");
    size_t n;

    out[0] = '\0';
    if (f == NULL)
        return errno == ENOENT ? 0 : -1;
    n = fread(out, 1, outlen - 1, f);
    fclose(f);
    out[n] = '\0';
    out[strcspn(out, "\n")] = '\0';
    return 0;
}

/* Sends the batch when it is full (or when flush) and then saves state. */
static int
maybe_send(struct report *rp, int flush, const char *state)
{
    int rc;

    if (json_array_size(rp->batch) == 0 ||
        (!flush && json_array_size(rp->batch) < rp->batch_max))
        return flush ? save_state(rp, state) : 0;
    if ((rc = send_batch(rp)) != 0)
        return rc;
    return save_state(rp, state);
}

/* --log FILE: from the kept offset (from 0 when the file was replaced or
 * truncated) to the last complete line. */
static int
report_file(struct report *rp, const char *path)
{
    char state[STATE_MAX], pos[64], id[33], *line = NULL;
    unsigned long long ino = 0, off = 0;
    struct sshd_login l;
    struct stat st;
    size_t cap = 0;
    ssize_t n;
    FILE *f;
    int rc = EXIT_REFUSED;

    if (load_state(rp->state_path, state, sizeof(state)) != 0 ||
        (state[0] != '\0' && sscanf(state, "file %llu %llu", &ino,
            &off) != 2)) {
        fprintf(stderr, "meshca host-report: %s is not a state file of "
            "--log (remove it to start from the beginning)\n",
            rp->state_path);
        return EXIT_REFUSED;
    }
    if ((f = fopen(path, "re")) == NULL || fstat(fileno(f), &st) != 0) {
        fprintf(stderr, "meshca host-report: cannot read %s: %s\n", path,
            strerror(errno));
        if (f != NULL)
            fclose(f);
        return EXIT_REFUSED;
    }
    if ((unsigned long long)st.st_ino != ino || (off_t)off > st.st_size)
        off = 0;
    ino = (unsigned long long)st.st_ino;
    if (fseeko(f, (off_t)off, SEEK_SET) != 0)
        goto out;
    while ((n = getline(&line, &cap, f)) > 0 && line[n - 1] == '\n') {
        snprintf(pos, sizeof(pos), "%llu", off);
        off += (unsigned long long)n;
        snprintf(state, sizeof(state), "file %llu %llu\n", ino, off);
        if (n > LINE_MAX_LEN || sshd_parse_line(&rp->parser, line,
            (size_t)n, meshca_wall_us(), rp->year, &l) != 1)
            continue;
        line_id(path, pos, line, (size_t)n, id);
        if (add_login(rp, &l, id) != 0 || (rc = maybe_send(rp, 0,
            state)) != 0)
            goto out;
    }
    snprintf(state, sizeof(state), "file %llu %llu\n", ino, off);
    rc = maybe_send(rp, 1, state);
out:
    free(line);
    fclose(f);
    return rc;
}

/* journalctl -u UNIT -o json [--after-cursor C], its stdout in *fp. */
static pid_t
journal_open(const char *unit, const char *cursor, FILE **fp)
{
    char after[STATE_MAX + 32];
    const char *argv[10];
    int fds[2], n = 0;
    pid_t pid;

    argv[n++] = "journalctl";
    argv[n++] = "-u";
    argv[n++] = unit;
    argv[n++] = "-o";
    argv[n++] = "json";
    argv[n++] = "--no-pager";
    argv[n++] = "-q";
    if (cursor[0] != '\0') {
        snprintf(after, sizeof(after), "--after-cursor=%s", cursor);
        argv[n++] = after;
    }
    argv[n] = NULL;
    if (pipe(fds) != 0)
        return -1;
    if ((pid = fork()) < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execvp("journalctl", (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    if ((*fp = fdopen(fds[0], "r")) == NULL) {
        close(fds[0]);
        return -1;
    }
    return pid;
}

/* --journal: the entries after the kept cursor. */
static int
report_journal(struct report *rp, const char *unit)
{
    /* The cursor is shorter than the state so "journal CURSOR\n" fits. */
    char state[STATE_MAX], cursor[STATE_MAX - 16] = "", id[33], *line = NULL;
    struct sshd_login l;
    size_t cap = 0;
    ssize_t n;
    FILE *f = NULL;
    pid_t pid;
    int rc = 0, st = 0, k;

    if (load_state(rp->state_path, state, sizeof(state)) != 0 ||
        (state[0] != '\0' && (strncmp(state, "journal ", 8) != 0 ||
        strlen(state + 8) >= sizeof(cursor)))) {
        fprintf(stderr, "meshca host-report: %s is not a state file of "
            "--journal (remove it to start from the beginning)\n",
            rp->state_path);
        return EXIT_REFUSED;
    }
    if (state[0] != '\0')
        memcpy(cursor, state + 8, strlen(state + 8) + 1);
    if ((pid = journal_open(unit, cursor, &f)) < 0) {
        fprintf(stderr, "meshca host-report: cannot run journalctl: %s\n",
            strerror(errno));
        return EXIT_REFUSED;
    }
    while (rc == 0 && (n = getline(&line, &cap, f)) > 0) {
        k = sshd_parse_journal(&rp->parser, line, (size_t)n, &l, cursor,
            sizeof(cursor));
        snprintf(state, sizeof(state), "journal %s\n", cursor);
        if (k != 1)
            continue;
        line_id("journal", cursor, "", 0, id);
        if (add_login(rp, &l, id) != 0)
            rc = EXIT_REFUSED;
        else
            rc = maybe_send(rp, 0, state);
    }
    if (rc != 0)
        kill(pid, SIGTERM);
    fclose(f);
    free(line);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (rc == 0 && (!WIFEXITED(st) || WEXITSTATUS(st) != 0)) {
        fprintf(stderr, "meshca host-report: journalctl failed (exit %d): "
            "nothing after the last shipped entry was sent\n",
            WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        return EXIT_REFUSED;
    }
    if (rc == 0 && cursor[0] != '\0') {
        snprintf(state, sizeof(state), "journal %s\n", cursor);
        rc = maybe_send(rp, 1, state);
    }
    return rc;
}

static int
setup(struct report *rp, const struct cli_conn_flags *flags,
    const char *token_file, const char *const svid[2], const char *krl)
{
    time_t now = time(NULL);
    struct tm tm;

    gmtime_r(&now, &tm);
    rp->year = tm.tm_year + 1900;
    if ((rp->batch = json_array()) == NULL)
        return EXIT_REFUSED;
    if (cli_conn_setup("host-report", flags, &rp->conn) != 0 ||
        (token_file != NULL && cli_token_read(token_file, &rp->token) != 0))
        return EXIT_USAGE;
    if (svid[0] != NULL) {
        snprintf(rp->conn.client_cert, sizeof(rp->conn.client_cert), "%s",
            svid[0]);
        snprintf(rp->conn.client_key, sizeof(rp->conn.client_key), "%s",
            svid[1]);
    }
    if (krl != NULL && read_krl(krl, &rp->krl) != 0) {
        fprintf(stderr, "meshca host-report: %s is not a KRL this meshca "
            "reads (meshca krl --output %s fetches one)\n", krl, krl);
        return EXIT_REFUSED;
    }
    return 0;
}

int
cmd_host_report(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_TOKEN_OPTIONS,
        { "svid", required_argument, NULL, 'c' },
        { "svid-key", required_argument, NULL, 'K' },
        { "state", required_argument, NULL, 'S' },
        { "log", required_argument, NULL, 'l' },
        { "journal", no_argument, NULL, 'j' },
        { "unit", required_argument, NULL, 'u' },
        { "krl", required_argument, NULL, 'k' },
        { "batch", required_argument, NULL, 'b' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct cli_conn_flags flags = { NULL, NULL, 0 };
    struct report rp;
    const char *token_file = NULL, *log = NULL, *unit = "ssh", *krl = NULL;
    const char *svid[2] = { NULL, NULL };
    char *end;
    int ch, journal = 0, rc;

    memset(&rp, 0, sizeof(rp));
    rp.batch_max = BATCH_DEFAULT;
    optind = 1;
    while ((ch = cli_getopt(argc, argv, opts, &flags)) != -1) {
        switch (ch) {
        case 't': token_file = optarg; break;
        case 'c': svid[0] = optarg; break;
        case 'K': svid[1] = optarg; break;
        case 'S': rp.state_path = optarg; break;
        case 'l': log = optarg; break;
        case 'j': journal = 1; break;
        case 'u': unit = optarg; break;
        case 'k': krl = optarg; break;
        case 'b':
            rp.batch_max = strtoul(optarg, &end, 10);
            if (*end != '\0' || rp.batch_max < 1 || rp.batch_max > BATCH_MAX) {
                fprintf(stderr, "meshca host-report: --batch: 1 to %d\n",
                    BATCH_MAX);
                return EXIT_USAGE;
            }
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc || (token_file == NULL) == (svid[0] == NULL) ||
        (svid[0] == NULL) != (svid[1] == NULL) || rp.state_path == NULL ||
        (log == NULL) == !journal) {
        fprintf(stderr, "meshca host-report: one of --token-file FILE or "
            "--svid CERT.pem --svid-key KEY.pem, --state, and one of --log "
            "FILE or --journal are required\n");
        return EXIT_USAGE;
    }
    if ((rc = setup(&rp, &flags, token_file, svid, krl)) == 0)
        rc = journal ? report_journal(&rp, unit) : report_file(&rp, log);
    if (rc == 0)
        fprintf(stderr, "meshca host-report: %zu login%s shipped, %zu new\n",
            rp.sent, rp.sent == 1 ? "" : "s", rp.recorded);
    json_decref(rp.batch);
    json_decref(rp.krl);
    cli_secure_free(rp.token);
    return rc;
}
