/* Unit tests for cli/install.c, the certificate checks of cli/cmd_login.c,
 * the host helpers' validation, time formatting and status exit codes. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "meshca/cakey.h"
#include "meshca/cert.h"
#include "meshca/principal.h"
#include "meshca/key.h"
#include "meshca/krl.h"
#include "../../../cli/cli.h"
#include "../../../cli/cli_err.h"
#include "../../../cli/cli_install.h"
#include "../../../cli/cli_keys.h"
#include "../../lib/unit.h"

static unsigned
mode_of(const char *path)
{
    struct stat st;

    if (stat(path, &st) != 0)
        unit_fail(__FILE__, __LINE__, "stat %s failed", path);
    return (unsigned)(st.st_mode & 07777);
}

static int
entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

TEST(test_status_exit_codes)
{
    ASSERT_INT_EQ(cli_status_code(1, 600, 60), STATUS_VALID);
    ASSERT_INT_EQ(cli_status_code(1, 60, 60), STATUS_VALID);
    ASSERT_INT_EQ(cli_status_code(1, 59, 60), STATUS_EXPIRING);
    ASSERT_INT_EQ(cli_status_code(1, 1, 60), STATUS_EXPIRING);
    ASSERT_INT_EQ(cli_status_code(1, 0, 60), STATUS_NONE);
    ASSERT_INT_EQ(cli_status_code(1, -5, 60), STATUS_NONE);
    ASSERT_INT_EQ(cli_status_code(0, 600, 60), STATUS_NONE);
    ASSERT_INT_EQ(cli_status_code(1, 200, 300), STATUS_EXPIRING);
    ASSERT_INT_EQ(STATUS_VALID, 0);
    ASSERT_INT_EQ(STATUS_EXPIRING, 1);
    ASSERT_INT_EQ(STATUS_NONE, 2);
    ASSERT_INT_EQ(EXIT_REFUSED, 1);
    ASSERT_INT_EQ(EXIT_USAGE, 2);
    ASSERT_INT_EQ(EXIT_UNREACHABLE, 3);
}

TEST(test_time_formatting)
{
    char b[32];

    ASSERT_STR_EQ(cli_format_left(272, b, sizeof(b)), "4m32s");
    ASSERT_STR_EQ(cli_format_left(3600, b, sizeof(b)), "1h");
    ASSERT_STR_EQ(cli_format_left(0, b, sizeof(b)), "0s");
    ASSERT_STR_EQ(cli_format_left(-40, b, sizeof(b)), "0s");
    ASSERT_STR_EQ(cli_format_time(0, b, sizeof(b)), "1970-01-01T00:00:00Z");
    ASSERT_STR_EQ(cli_format_time(1700000000, b, sizeof(b)),
        "2023-11-14T22:13:20Z");
    ASSERT_STR_EQ(cli_format_time(UINT64_MAX, b, sizeof(b)),
        "9999-12-31T23:59:59Z");
}

TEST(test_write_file_is_atomic_with_the_mode_asked)
{
    const char *d = unit_tmpdir();
    char path[512], *got;

    snprintf(path, sizeof(path), "%s/f", d);
    ASSERT_OK(install_write_file(path, "one\n", 4, 0600));
    ASSERT_INT_EQ(mode_of(path), 0600);
    ASSERT_OK(install_write_file(path, "two\n", 4, 0644));
    ASSERT_INT_EQ(mode_of(path), 0644);
    got = unit_read_file(path, NULL);
    ASSERT_STR_EQ(got, "two\n");
    free(got);
    ASSERT_INT_EQ(entries(d), 1); /* no temp file left */
    /* a failure (the target is a directory) leaves no temp file behind */
    snprintf(path, sizeof(path), "%s/adir", d);
    ASSERT_INT_EQ(mkdir(path, 0700), 0);
    ASSERT_ERR(install_write_file(path, "x", 1, 0600), MESHCA_ERR_SYSTEM);
    ASSERT_INT_EQ(entries(d), 2);
    snprintf(path, sizeof(path), "%s/no/such/dir/f", d);
    ASSERT_ERR(install_write_file(path, "x", 1, 0600), MESHCA_ERR_SYSTEM);
}

TEST(test_read_file_reads_up_to_max_and_says_missing)
{
    const char *d = unit_tmpdir();
    char path[512], *got;

    snprintf(path, sizeof(path), "%s/r", d);
    ASSERT_OK(install_write_file(path, "checkpoint\n", 11, 0644));
    got = install_read_file(path, 64);
    ASSERT_STR_EQ(got, "checkpoint\n");
    free(got);
    got = install_read_file(path, 5);
    ASSERT_STR_EQ(got, "check");
    free(got);
    snprintf(path, sizeof(path), "%s/missing", d);
    errno = 0;
    ASSERT(install_read_file(path, 64) == NULL);
    ASSERT_INT_EQ(errno, ENOENT);
}

/* A CA, a login key, and certificates made by libmeshca for the tests. */
struct fixture {
    struct cakey *ca;
    struct cakey *other_ca;
    struct login_key *k;
    struct meshca_key *pub;
    char *ca_fp;
};

static void
fixture_init(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    ASSERT_OK(cakey_new(CAKEY_ED25519, &f->ca));
    ASSERT_OK(cakey_new(CAKEY_ED25519, &f->other_ca));
    ASSERT_OK(login_key_generate("t", &f->k));
    ASSERT_OK(meshca_key_from_blob(f->k->blob, f->k->blob_len, &f->pub));
    ASSERT_OK(meshca_key_fingerprint(cakey_public(f->ca), &f->ca_fp));
}

static void
fixture_free(struct fixture *f)
{
    cakey_free(f->ca);
    cakey_free(f->other_ca);
    login_key_free(f->k);
    meshca_key_free(f->pub);
    free(f->ca_fp);
}

/* A --files install of c (its line, line) with f's login key; the rest
 * of *ir cleared for the test to fill. */
static void
files_request(struct install_request *ir, const struct fixture *f,
    const struct cert *c, const char *line)
{
    memset(ir, 0, sizeof(*ir));
    ir->key = f->k;
    ir->cert = c;
    ir->cert_line = line;
    ir->files = 1;
}

static struct cert *
sign(const struct cakey *ca, const struct meshca_key *pub, int64_t from, int64_t to)
{
    static const char *const pr[] = { "payments/api", "payments/worker" };
    static const char *const ext[] = { "permit-pty" };
    struct cert_request req;
    struct cert *c = NULL;
    time_t now = time(NULL);

    memset(&req, 0, sizeof(req));
    req.key = pub;
    req.key_id = "alice@example.com";
    req.principals = pr;
    req.nprincipals = 2;
    req.valid_after = (uint64_t)(now + from);
    req.valid_before = (uint64_t)(now + to);
    req.extensions = ext;
    req.nextensions = 1;
    ASSERT_OK(cert_sign_with(&req, ca, &c));
    return c;
}

TEST(test_certificate_checks_before_install)
{
    struct fixture f;
    struct cert *good, *expired, *future, *foreign, *other_key;
    struct login_key *k2 = NULL;
    struct meshca_key *pub2 = NULL;
    struct cli_config *pins = NULL;
    json_t *server = NULL;
    const char *want_ok[] = { "payments/api" };
    const char *want_bad[] = { "payments/api", "billing/db" };
    char why[512], *fp = NULL, *fp2 = NULL, pj[256];
    time_t now = time(NULL);

    fixture_init(&f);
    server = json_pack("[s]", f.ca_fp);
    good = sign(f.ca, f.pub, -30, 600);
    expired = sign(f.ca, f.pub, -600, -1);
    future = sign(f.ca, f.pub, 300, 600);
    foreign = sign(f.other_ca, f.pub, -30, 600);
    ASSERT_OK(login_key_generate("t2", &k2));
    ASSERT_OK(meshca_key_from_blob(k2->blob, k2->blob_len, &pub2));
    other_key = sign(f.ca, pub2, -30, 600);

    ASSERT_OK(login_check_cert(good, f.k, want_ok, 1, NULL, server, now, &fp,
        why, sizeof(why)));
    ASSERT_STR_EQ(fp, f.ca_fp);
    free(fp);
    ASSERT_OK(login_check_cert(good, f.k, NULL, 0, NULL, server, now, &fp,
        why, sizeof(why)));
    free(fp);
    fp = NULL;
    ASSERT_ERR(login_check_cert(other_key, f.k, NULL, 0, NULL, server, now,
        &fp, why, sizeof(why)), MESHCA_ERR_CLI_CERT_CHECK);
    ASSERT(strstr(why, "not for the key") != NULL);
    ASSERT(fp == NULL);
    ASSERT_ERR(login_check_cert(good, f.k, want_bad, 2, NULL, server, now,
        &fp, why, sizeof(why)), MESHCA_ERR_CLI_CERT_CHECK);
    ASSERT(strstr(why, "billing/db") != NULL);
    ASSERT_ERR(login_check_cert(expired, f.k, NULL, 0, NULL, server, now,
        &fp, why, sizeof(why)), MESHCA_ERR_CLI_CERT_CHECK);
    ASSERT(strstr(why, "clock") != NULL);
    ASSERT_ERR(login_check_cert(future, f.k, NULL, 0, NULL, server, now,
        &fp, why, sizeof(why)), MESHCA_ERR_CLI_CERT_CHECK);
    ASSERT_ERR(login_check_cert(foreign, f.k, NULL, 0, NULL, server, now,
        &fp, why, sizeof(why)), MESHCA_ERR_CLI_CERT_CHECK);
    ASSERT(strstr(why, "not a CA key the server publishes") != NULL);
    /* Local pins win: the foreign CA pinned is accepted, the server's is
     * not. */
    ASSERT_OK(meshca_key_fingerprint(cakey_public(f.other_ca), &fp2));
    snprintf(pj, sizeof(pj), "{\"ca_fingerprints\": [\"%s\"]}", fp2);
    ASSERT_OK(cli_config_parse(pj, strlen(pj), &pins, why, sizeof(why)));
    ASSERT_OK(login_check_cert(foreign, f.k, NULL, 0, pins, server, now, &fp,
        why, sizeof(why)));
    free(fp);
    ASSERT_ERR(login_check_cert(good, f.k, NULL, 0, pins, server, now, &fp,
        why, sizeof(why)), MESHCA_ERR_CLI_CERT_CHECK);
    ASSERT(strstr(why, "pinned") != NULL);

    cli_config_free(pins);
    free(fp2);
    cert_free(good);
    cert_free(expired);
    cert_free(future);
    cert_free(foreign);
    cert_free(other_key);
    meshca_key_free(pub2);
    login_key_free(k2);
    json_decref(server);
    fixture_free(&f);
}

TEST(test_files_install_state_status_and_logout)
{
    const char *d = unit_tmpdir();
    struct fixture f;
    struct cert *c;
    struct install_request ir;
    json_t *st = NULL;
    char where[1100], why[512], path[1200], *line = NULL, *got;
    int was = 0;

    setenv("HOME", d, 1);
    fixture_init(&f);
    c = sign(f.ca, f.pub, -30, 600);
    ASSERT_OK(cert_to_line(c, NULL, &line));
    files_request(&ir, &f, c, line);
    ir.serial = "12345";
    ir.role = "payments-oncall";
    ir.ca_fingerprint = f.ca_fp;
    ir.agent_sock = "/nonexistent/agent.sock"; /* --files wins over it */
    ir.now = time(NULL);
    ASSERT_OK(install_login(&ir, where, sizeof(where), why, sizeof(why)));
    snprintf(path, sizeof(path), "%s/.ssh/meshca", d);
    ASSERT_STR_EQ(where, path);
    ASSERT_INT_EQ(mode_of(path), 0700);
    snprintf(path, sizeof(path), "%s/.ssh", d);
    ASSERT_INT_EQ(mode_of(path), 0700);
    snprintf(path, sizeof(path), "%s/.ssh/meshca/id_ed25519", d);
    ASSERT_INT_EQ(mode_of(path), 0600);
    got = unit_read_file(path, NULL);
    ASSERT_STR_EQ(got, f.k->private_pem);
    free(got);
    /* ssh-keygen reads the key we wrote and derives the same public key */
    ASSERT_INT_EQ(unit_sh("ssh-keygen -y -f %s | cut -d' ' -f1,2 > %s/derived "
        "&& cut -d' ' -f1,2 %s.pub | cmp - %s/derived", path, d, path, d), 0);
    snprintf(path, sizeof(path), "%s/.ssh/meshca/id_ed25519-cert.pub", d);
    ASSERT_INT_EQ(mode_of(path), 0600);
    ASSERT_INT_EQ(unit_sh("ssh-keygen -L -f %s | grep -q payments/worker",
        path), 0);
    snprintf(path, sizeof(path), "%s/.config/meshca", d);
    ASSERT_INT_EQ(mode_of(path), 0700);
    snprintf(path, sizeof(path), "%s/.config/meshca/state.json", d);
    ASSERT_INT_EQ(mode_of(path), 0600);

    ASSERT_OK(install_state_load(&st));
    ASSERT_STR_EQ(json_string_value(json_object_get(st, "serial")), "12345");
    ASSERT_STR_EQ(json_string_value(json_object_get(st, "installed")),
        "files");
    ASSERT_STR_EQ(json_string_value(json_object_get(st, "role")),
        "payments-oncall");
    ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(st,
        "principals"), 1)), "payments/worker");
    ASSERT_U64_EQ((uint64_t)json_integer_value(json_object_get(st,
        "valid_before")), c->valid_before);
    ASSERT(strncmp(json_string_value(json_object_get(st, "key_fingerprint")),
        "SHA256:", 7) == 0);
    ASSERT_INT_EQ(install_present(st, c, NULL), 1);
    json_decref(st);
    st = NULL;

    ASSERT_OK(install_logout(NULL, &was, where, sizeof(where), why,
        sizeof(why)));
    ASSERT_INT_EQ(was, 1);
    snprintf(path, sizeof(path), "%s/.ssh/meshca", d);
    ASSERT_INT_EQ(entries(path), 0);
    ASSERT_ERR(install_state_load(&st), MESHCA_ERR_NOT_FOUND);
    ASSERT_OK(install_logout(NULL, &was, where, sizeof(where), why,
        sizeof(why)));
    ASSERT_INT_EQ(was, 0);
    free(line);
    cert_free(c);
    fixture_free(&f);
}

/* The largest certificates (many long principals) make a file line longer
 * than 64 KiB; status must still find the one it installed. */
TEST(test_present_reads_a_long_certificate_line_whole)
{
    const char *d = unit_tmpdir();
    static char names[PRINCIPALS_MAX][251];
    const char *pr[PRINCIPALS_MAX];
    struct cert_request req;
    struct install_request ir;
    struct fixture f;
    struct cert *c = NULL;
    json_t *st = NULL;
    char where[1100], why[512], *line = NULL;
    time_t now = time(NULL);
    size_t i;

    setenv("HOME", d, 1);
    fixture_init(&f);
    for (i = 0; i < PRINCIPALS_MAX; i++) {
        snprintf(names[i], sizeof(names[i]), "p%03zu/%0245d", i, 0);
        pr[i] = names[i];
    }
    memset(&req, 0, sizeof(req));
    req.key = f.pub;
    req.key_id = "alice@example.com";
    req.principals = pr;
    req.nprincipals = PRINCIPALS_MAX;
    req.valid_after = (uint64_t)(now - 30);
    req.valid_before = (uint64_t)(now + 600);
    ASSERT_OK(cert_sign_with(&req, f.ca, &c));
    ASSERT_OK(cert_to_line(c, NULL, &line));
    ASSERT(strlen(line) > 64 * 1024);
    files_request(&ir, &f, c, line);
    ir.serial = "7";
    ir.ca_fingerprint = f.ca_fp;
    ir.now = now;
    ASSERT_OK(install_login(&ir, where, sizeof(where), why, sizeof(why)));
    ASSERT_OK(install_state_load(&st));
    ASSERT_INT_EQ(install_present(st, c, NULL), 1);
    json_decref(st);
    free(line);
    cert_free(c);
    fixture_free(&f);
}

TEST(test_install_refuses_an_expired_certificate)
{
    const char *d = unit_tmpdir();
    struct fixture f;
    struct cert *c;
    struct install_request ir;
    char where[1100], why[512] = "", path[1200], *line = NULL;

    setenv("HOME", d, 1);
    fixture_init(&f);
    c = sign(f.ca, f.pub, -600, 10);
    ASSERT_OK(cert_to_line(c, NULL, &line));
    files_request(&ir, &f, c, line);
    ir.now = time(NULL) + 20;
    ASSERT_ERR(install_login(&ir, where, sizeof(where), why, sizeof(why)),
        MESHCA_ERR_CLI_CERT_CHECK);
    snprintf(path, sizeof(path), "%s/.ssh/meshca/id_ed25519", d);
    ASSERT(access(path, F_OK) != 0);
    free(line);
    cert_free(c);
    fixture_free(&f);
}

TEST(test_host_ca_keys_validation)
{
    const char *d = unit_tmpdir();
    char path[512], *pub, *two = NULL, why[256];
    size_t n = 0;

    ASSERT_INT_EQ(unit_sh("ssh-keygen -q -t ed25519 -N '' -f %s/ca", d), 0);
    snprintf(path, sizeof(path), "%s/ca.pub", d);
    pub = unit_read_file(path, NULL);
    ASSERT_OK(host_check_ca_keys(pub, strlen(pub), &n, why, sizeof(why)));
    ASSERT_INT_EQ(n, 1);
    ASSERT(asprintf(&two, "# meshca CA keys\r\n%s\n%s", pub, pub) > 0);
    ASSERT_OK(host_check_ca_keys(two, strlen(two), &n, why, sizeof(why)));
    ASSERT_INT_EQ(n, 2);
    free(two);
    ASSERT(asprintf(&two, "%snot a key\n", pub) > 0);
    ASSERT_ERR(host_check_ca_keys(two, strlen(two), &n, why, sizeof(why)),
        MESHCA_ERR_KEY_TYPE_UNKNOWN);
    ASSERT(strstr(why, "line 2") != NULL);
    free(two);
    /* bytes hidden after a NUL would reach sshd unchecked */
    ASSERT_ERR(host_check_ca_keys("ssh-ed25519 AAAA\n\0junk", 22, &n, why,
        sizeof(why)), MESHCA_ERR_INVALID_FORMAT);
    ASSERT_ERR(host_check_ca_keys("\n# nothing\n", 11, &n, why, sizeof(why)),
        MESHCA_ERR_INVALID_FORMAT);
    ASSERT_ERR(host_check_ca_keys("<html>", 6, &n, why, sizeof(why)),
        MESHCA_ERR_KEY_TYPE_UNKNOWN);
    free(pub);
}

TEST(test_host_krl_validation)
{
    const char *d = unit_tmpdir();
    char path[512], why[256];
    char *krl;
    size_t len;

    ASSERT_INT_EQ(unit_sh("ssh-keygen -q -t ed25519 -N '' -f %s/ca && "
        "printf 'serial: 1-5\\n' > %s/spec && "
        "ssh-keygen -q -k -f %s/krl -s %s/ca.pub %s/spec", d, d, d, d, d), 0);
    snprintf(path, sizeof(path), "%s/krl", d);
    krl = unit_read_file(path, &len);
    ASSERT_OK(host_check_krl((const uint8_t *)krl, len, why, sizeof(why)));
    /* cut short, or one byte changed in the header */
    ASSERT(host_check_krl((const uint8_t *)krl, len - 3, why, sizeof(why)) <
        0);
    krl[2] ^= 1;
    ASSERT(host_check_krl((const uint8_t *)krl, len, why, sizeof(why)) < 0);
    ASSERT(strstr(why, "not a valid KRL") != NULL);
    ASSERT(host_check_krl((const uint8_t *)"", 0, why, sizeof(why)) < 0);
    free(krl);
}

UNIT_MAIN(T(test_status_exit_codes), T(test_time_formatting),
    T(test_write_file_is_atomic_with_the_mode_asked),
    T(test_read_file_reads_up_to_max_and_says_missing),
    T(test_certificate_checks_before_install),
    T(test_files_install_state_status_and_logout),
    T(test_present_reads_a_long_certificate_line_whole),
    T(test_install_refuses_an_expired_certificate),
    T(test_host_ca_keys_validation), T(test_host_krl_validation))
