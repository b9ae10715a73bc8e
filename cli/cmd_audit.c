/*
 * meshca audit: the transparency log's monitor, for cron on any machine.
 * Fetches the latest checkpoint, checks its signature with the log's
 * verifier key, proves it consistent with the checkpoint kept in the state
 * file from the last run, and only then keeps the new one.  A rewritten,
 * truncated or forked history fails the proof.  --serial S also proves that
 * certificate's entry is in the log.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "meshca/buf.h"
#include "meshca/tlog.h"
#include "cli.h"
#include "cli_install.h"

#define EXIT_AUDIT_FAILED 1
/* The state file holds one checkpoint note (a few hundred bytes). */
#define STATE_MAX 65536

struct ckpt {
    char *note;
    uint64_t size;
    uint8_t root[TLOG_HASH_LEN];
};

static void
usage(FILE *f)
{
    fprintf(f, "usage: meshca audit --server URL --vkey VKEY --state FILE "
        "[--serial S] [--cacert FILE]\n"
        "Exit: 0 verified, 1 verification failed (forged, rolled back or "
        "forked log), 2 usage, 3 unreachable.\n");
}

/* Opens a signed checkpoint note with vkey.  0 or -1 (why filled). */
static int
ckpt_open(const char *note, const char *vkey, struct ckpt *cp, char *why,
    size_t whylen)
{
    char *text = NULL;
    int r;

    memset(cp, 0, sizeof(*cp));
    if (tlog_note_open(note, strlen(note), vkey, &text) != 0) {
        snprintf(why, whylen, "the checkpoint is not signed by the log key "
            "given with --vkey");
        return -1;
    }
    r = tlog_checkpoint_parse(text, strlen(text), NULL, &cp->size, cp->root);
    free(text);
    if (r != 0 || (cp->note = strdup(note)) == NULL) {
        snprintf(why, whylen, "the checkpoint is malformed");
        return -1;
    }
    return 0;
}

/* GET path as JSON.  NULL on failure (message printed, *unreachable set
 * when the server could not be reached). */
static json_t *
get_json(const struct cli_conn *c, const char *path, int *unreachable)
{
    struct cli_response r;
    json_t *j = NULL;

    if (cli_http(c, "GET", path, NULL, NULL, CLI_RESPONSE_MAX, &r) != 0) {
        fprintf(stderr, "meshca audit: %s\n", r.error);
        *unreachable = 1;
        return NULL;
    }
    if (r.status != 200)
        cli_print_error("audit", &r);
    else if ((j = json_loads(r.body, 0, NULL)) == NULL)
        fprintf(stderr, "meshca audit: %s: not JSON\n", path);
    cli_response_free(&r);
    return j;
}

/* Decodes a JSON array of base64 hashes.  Returns the count or -1. */
static int
proof_hashes(const json_t *a, uint8_t proof[][TLOG_HASH_LEN])
{
    size_t i, len;
    uint8_t *raw;

    if (!json_is_array(a) || json_array_size(a) > TLOG_PROOF_MAX)
        return -1;
    for (i = 0; i < json_array_size(a); i++) {
        const char *s = json_string_value(json_array_get(a, i));

        if (s == NULL || meshca_b64_decode(s, strlen(s), 0, &raw, &len) != 0)
            return -1;
        if (len != TLOG_HASH_LEN) {
            free(raw);
            return -1;
        }
        memcpy(proof[i], raw, TLOG_HASH_LEN);
        free(raw);
    }
    return (int)i;
}

/* Proves b extends a (a.size <= b.size).  0, or -1 with why. */
static int
prove_extends(const struct cli_conn *c, const struct ckpt *a,
    const struct ckpt *b, int *unreachable, char *why, size_t whylen)
{
    uint8_t proof[TLOG_PROOF_MAX][TLOG_HASH_LEN];
    char path[128];
    json_t *j;
    int n;

    if (a->size == 0 || a->size == b->size) {
        if (a->size == b->size && memcmp(a->root, b->root, TLOG_HASH_LEN)) {
            snprintf(why, whylen, "FORK: two checkpoints of size %llu with "
                "different roots", (unsigned long long)a->size);
            return -1;
        }
        return 0;
    }
    snprintf(path, sizeof(path), "/v1/log/proof?from=%llu&to=%llu",
        (unsigned long long)a->size, (unsigned long long)b->size);
    if ((j = get_json(c, path, unreachable)) == NULL) {
        snprintf(why, whylen, "no consistency proof from size %llu to %llu",
            (unsigned long long)a->size, (unsigned long long)b->size);
        return -1;
    }
    n = proof_hashes(json_object_get(j, "consistency"), proof);
    json_decref(j);
    if (n < 0 || tlog_verify_consistency(a->size, b->size, a->root, b->root,
        proof, (size_t)n) != 0) {
        snprintf(why, whylen, "FORK: the log of size %llu does not extend "
            "the one of size %llu seen before: history was rewritten",
            (unsigned long long)b->size, (unsigned long long)a->size);
        return -1;
    }
    return 0;
}

/* 1 when entry e is the user or host certificate of that serial. */
static int
is_certificate_entry(const json_t *e, const char *serial)
{
    const char *s = json_string_value(json_object_get(e, "serial"));
    const char *t = json_string_value(json_object_get(e, "type"));

    return s != NULL && t != NULL && strcmp(s, serial) == 0 &&
        (strcmp(t, "certificate") == 0 || strcmp(t, "host_certificate") == 0);
}

/* Proves certificate serial (a user or host certificate) is in the log that
 * cur attests. */
static int
prove_serial(const struct cli_conn *c, const char *vkey, const char *serial,
    const struct ckpt *cur, int *unreachable, char *why, size_t whylen)
{
    uint8_t proof[TLOG_PROOF_MAX][TLOG_HASH_LEN], leaf[TLOG_HASH_LEN];
    char path[128];
    struct ckpt pc;
    const char *e64, *note;
    uint8_t *entry = NULL;
    size_t elen = 0;
    json_t *j, *e = NULL;
    int n, r = -1;

    memset(&pc, 0, sizeof(pc));
    snprintf(path, sizeof(path), "/v1/log/proof?serial=%s", serial);
    if ((j = get_json(c, path, unreachable)) == NULL) {
        snprintf(why, whylen, "certificate %s: no inclusion proof", serial);
        return -1;
    }
    e64 = json_string_value(json_object_get(j, "entry"));
    note = json_string_value(json_object_get(j, "checkpoint"));
    n = proof_hashes(json_object_get(j, "inclusion"), proof);
    if (e64 == NULL || note == NULL || n < 0 ||
        ckpt_open(note, vkey, &pc, why, whylen) != 0 ||
        meshca_b64_decode(e64, strlen(e64), 0, &entry, &elen) != 0 ||
        tlog_leaf_hash(entry, elen, leaf) != 0 ||
        tlog_verify_inclusion(leaf, (uint64_t)json_integer_value(
            json_object_get(j, "index")), pc.size, proof, (size_t)n,
            pc.root) != 0) {
        snprintf(why, whylen, "certificate %s: its inclusion proof does not "
            "verify", serial);
        goto out;
    }
    e = json_loadb((const char *)entry, elen, 0, NULL);
    if (e == NULL || !is_certificate_entry(e, serial)) {
        snprintf(why, whylen, "certificate %s: the proven entry is not that "
            "certificate's", serial);
        goto out;
    }
    r = pc.size <= cur->size ? prove_extends(c, &pc, cur, unreachable, why,
        whylen) : prove_extends(c, cur, &pc, unreachable, why, whylen);
out:
    json_decref(j);
    json_decref(e);
    free(entry);
    free(pc.note);
    return r;
}

/* Fetches and opens the latest checkpoint. */
static int
fetch_checkpoint(const struct cli_conn *c, const char *vkey, struct ckpt *cp,
    int *unreachable, char *why, size_t whylen)
{
    struct cli_response r;
    int rc = -1;

    if (cli_http(c, "GET", "/v1/log/checkpoint", NULL, NULL,
        CLI_RESPONSE_MAX, &r) != 0) {
        snprintf(why, whylen, "%.500s", r.error);
        *unreachable = 1;
        return -1;
    }
    if (r.status != 200)
        snprintf(why, whylen, "GET /v1/log/checkpoint: HTTP %ld", r.status);
    else
        rc = ckpt_open(r.body, vkey, cp, why, whylen);
    cli_response_free(&r);
    return rc;
}

int
cmd_audit(int argc, char **argv)
{
    static const struct option opts[] = {
        { "vkey", required_argument, NULL, 'v' },
        { "state", required_argument, NULL, 'T' },
        { "serial", required_argument, NULL, 'S' },
        CLI_CONN_OPTIONS,
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct cli_conn_flags flags = { NULL, NULL, 0 };
    struct cli_conn conn;
    const char *vkey = NULL, *state = NULL, *serial = NULL;
    struct ckpt old, cur;
    char why[512], *saved = NULL;
    int ch, unreachable = 0, rc = EXIT_USAGE;

    memset(&old, 0, sizeof(old));
    memset(&cur, 0, sizeof(cur));
    optind = 1;
    while ((ch = cli_getopt(argc, argv, opts, &flags)) != -1) {
        switch (ch) {
        case 'v': vkey = optarg; break;
        case 'T': state = optarg; break;
        case 'S': serial = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc || vkey == NULL || state == NULL) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (cli_conn_setup("audit", &flags, &conn) != 0)
        return EXIT_USAGE;
    rc = EXIT_AUDIT_FAILED;
    why[0] = '\0';
    if ((saved = install_read_file(state, STATE_MAX)) != NULL &&
        ckpt_open(saved, vkey, &old, why, sizeof(why)) != 0) {
        fprintf(stderr, "meshca audit: %s: %s\n", state, why);
        goto out;
    }
    if (saved == NULL && errno != ENOENT) {
        fprintf(stderr, "meshca audit: %s: %s\n", state, strerror(errno));
        goto out;
    }
    if (fetch_checkpoint(&conn, vkey, &cur, &unreachable, why, sizeof(why)) != 0)
        goto fail;
    if (saved != NULL && cur.size < old.size) {
        snprintf(why, sizeof(why), "ROLLBACK: the log now has %llu entries, "
            "but %llu were attested before: its tail was removed",
            (unsigned long long)cur.size, (unsigned long long)old.size);
        goto fail;
    }
    if ((saved != NULL && prove_extends(&conn, &old, &cur, &unreachable, why,
            sizeof(why)) != 0) ||
        (serial != NULL && prove_serial(&conn, vkey, serial, &cur,
            &unreachable, why, sizeof(why)) != 0))
        goto fail;
    if (install_write_file(state, cur.note, strlen(cur.note), 0644) != 0) {
        fprintf(stderr, "meshca audit: cannot write %s: %s\n", state,
            strerror(errno));
        goto out;
    }
    printf("ok: log of %llu entries verified", (unsigned long long)cur.size);
    if (saved != NULL)
        printf(", consistent with the %llu attested before",
            (unsigned long long)old.size);
    if (serial != NULL)
        printf(", certificate %s included", serial);
    printf("\n");
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "meshca audit: %s\n", why);
    rc = unreachable ? EXIT_UNREACHABLE : EXIT_AUDIT_FAILED;
out:
    free(saved);
    free(old.note);
    free(cur.note);
    return rc;
}
