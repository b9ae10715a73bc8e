/* Unit tests for cli/agent.c and cli/keys.c: the agent messages, keys read
 * from ssh-keygen's files, and a round trip through a real ssh-agent. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "meshca/buf.h"
#include "meshca/cert.h"
#include "meshca/key.h"
#include "../../../cli/cli_err.h"
#include "../../../cli/cli_keys.h"
#include "../../lib/unit.h"

TEST(test_agent_add_message_is_the_constrained_cert_layout)
{
    static const uint8_t cert[] = "not really a certificate";
    struct login_key *k = NULL;
    struct meshca_buf *m = meshca_buf_new(4096);
    const uint8_t *v;
    size_t vl;
    uint8_t b;
    uint32_t life;

    ASSERT(m != NULL);
    ASSERT_OK(login_key_generate("t", &k));
    ASSERT_OK(agent_msg_add_cert(m, k, cert, sizeof(cert) - 1, 300, "kid"));
    ASSERT_OK(meshca_buf_get_u8(m, &b));
    ASSERT_INT_EQ(b, 25); /* SSH2_AGENTC_ADD_ID_CONSTRAINED */
    ASSERT_OK(meshca_buf_get_string_direct(m, &v, &vl));
    ASSERT_INT_EQ(vl, 32);
    ASSERT_MEM_EQ(v, "ssh-ed25519-cert-v01@openssh.com", 32);
    ASSERT_OK(meshca_buf_get_string_direct(m, &v, &vl));
    ASSERT_INT_EQ(vl, sizeof(cert) - 1);
    ASSERT_MEM_EQ(v, cert, vl);
    ASSERT_OK(meshca_buf_get_string_direct(m, &v, &vl)); /* ENC(A) */
    ASSERT_INT_EQ(vl, 32);
    ASSERT_MEM_EQ(v, k->pub32, 32);
    ASSERT_OK(meshca_buf_get_string_direct(m, &v, &vl)); /* k || ENC(A) */
    ASSERT_INT_EQ(vl, 64);
    ASSERT_MEM_EQ(v + 32, k->pub32, 32);
    ASSERT_OK(meshca_buf_get_string_direct(m, &v, &vl));
    ASSERT_INT_EQ(vl, 3);
    ASSERT_MEM_EQ(v, "kid", 3);
    ASSERT_OK(meshca_buf_get_u8(m, &b));
    ASSERT_INT_EQ(b, 1); /* SSH_AGENT_CONSTRAIN_LIFETIME */
    ASSERT_OK(meshca_buf_get_u32(m, &life));
    ASSERT_INT_EQ(life, 300);
    ASSERT_INT_EQ(meshca_buf_len(m), 0);
    meshca_buf_free(m);
    login_key_free(k);
}

TEST(test_agent_remove_message_and_identities_answer)
{
    static const uint8_t a[] = "blob-a", b[] = "blob-b", c[] = "blob-c";
    struct meshca_buf *m = meshca_buf_new(256), *ans = meshca_buf_new(256), *cut = NULL;
    const uint8_t *v;
    size_t vl;
    uint8_t t;

    ASSERT(m != NULL && ans != NULL);
    ASSERT_OK(agent_msg_remove(m, a, 6));
    ASSERT_OK(meshca_buf_get_u8(m, &t));
    ASSERT_INT_EQ(t, 18); /* SSH2_AGENTC_REMOVE_IDENTITY */
    ASSERT_OK(meshca_buf_get_string_direct(m, &v, &vl));
    ASSERT_INT_EQ(vl, 6);
    ASSERT_INT_EQ(meshca_buf_len(m), 0);

    ASSERT_OK(meshca_buf_put_u8(ans, 12));
    ASSERT_OK(meshca_buf_put_u32(ans, 2));
    ASSERT_OK(meshca_buf_put_string(ans, a, 6));
    ASSERT_OK(meshca_buf_put_cstring(ans, "comment a"));
    ASSERT_OK(meshca_buf_put_string(ans, b, 6));
    ASSERT_OK(meshca_buf_put_cstring(ans, "comment b"));
    cut = meshca_buf_from(meshca_buf_ptr(ans), meshca_buf_len(ans) - 3);
    ASSERT_INT_EQ(agent_answer_has(ans, b, 6), 1);
    meshca_buf_free(ans);
    ans = meshca_buf_new(256);
    ASSERT_OK(meshca_buf_put_u8(ans, 12));
    ASSERT_OK(meshca_buf_put_u32(ans, 1));
    ASSERT_OK(meshca_buf_put_string(ans, a, 6));
    ASSERT_OK(meshca_buf_put_cstring(ans, ""));
    ASSERT_INT_EQ(agent_answer_has(ans, c, 6), 0);
    ASSERT_ERR(agent_answer_has(cut, b, 6), MESHCA_ERR_INVALID_FORMAT);
    meshca_buf_free(ans);
    ans = meshca_buf_new(16);
    ASSERT_OK(meshca_buf_put_u8(ans, 5)); /* SSH_AGENT_FAILURE */
    ASSERT_ERR(agent_answer_has(ans, a, 6), MESHCA_ERR_INVALID_FORMAT);
    meshca_buf_free(ans);
    meshca_buf_free(cut);
    meshca_buf_free(m);
}

TEST(test_login_key_reads_ssh_keygen_ed25519_files)
{
    const char *d = unit_tmpdir();
    char path[512], *pem, *pub;
    struct login_key *k = NULL;
    struct meshca_key *pk = NULL;
    size_t n;

    ASSERT_INT_EQ(unit_sh("ssh-keygen -q -t ed25519 -N '' -C c -f %s/k", d),
        0);
    snprintf(path, sizeof(path), "%s/k", d);
    pem = unit_read_file(path, NULL);
    snprintf(path, sizeof(path), "%s/k.pub", d);
    pub = unit_read_file(path, NULL);
    ASSERT_OK(login_key_from_openssh(pem, "c", &k));
    /* "ssh-ed25519 AAAA... c\n": the same line, ours without the newline */
    n = strlen(pub);
    ASSERT(n > 0 && pub[n - 1] == '\n');
    pub[n - 1] = '\0';
    ASSERT_STR_EQ(k->public_line, pub);
    ASSERT_OK(meshca_key_from_line(pub, &pk));
    {
        size_t bl;
        const uint8_t *b = meshca_key_blob(pk, &bl);

        ASSERT_INT_EQ(bl, k->blob_len);
        ASSERT_MEM_EQ(b, k->blob, bl);
    }
    meshca_key_free(pk);
    login_key_free(k);
    free(pem);
    free(pub);
}

TEST(test_login_key_refuses_encrypted_and_other_types)
{
    const char *d = unit_tmpdir();
    char path[512], *pem;
    struct login_key *k = NULL;

    ASSERT_INT_EQ(unit_sh("ssh-keygen -q -t ed25519 -N secret-pass -f %s/enc",
        d), 0);
    snprintf(path, sizeof(path), "%s/enc", d);
    pem = unit_read_file(path, NULL);
    ASSERT_ERR(login_key_from_openssh(pem, NULL, &k),
        MESHCA_ERR_KEY_TYPE_REFUSED);
    ASSERT(k == NULL);
    free(pem);
    ASSERT_INT_EQ(unit_sh("ssh-keygen -q -t ecdsa -N '' -f %s/ec", d), 0);
    snprintf(path, sizeof(path), "%s/ec", d);
    pem = unit_read_file(path, NULL);
    ASSERT_ERR(login_key_from_openssh(pem, NULL, &k),
        MESHCA_ERR_KEY_TYPE_REFUSED);
    free(pem);
    ASSERT_ERR(login_key_from_openssh("-----BEGIN OPENSSH PRIVATE KEY-----\n"
        "b3BlbnNzaC1rZXktdjEA\n-----END OPENSSH PRIVATE KEY-----\n", NULL, &k),
        MESHCA_ERR_INVALID_FORMAT);
}

TEST(test_generated_keys_are_fresh)
{
    struct login_key *a = NULL, *b = NULL;

    ASSERT_OK(login_key_generate("x", &a));
    ASSERT_OK(login_key_generate("x", &b));
    ASSERT(memcmp(a->pub32, b->pub32, 32) != 0);
    ASSERT(strncmp(a->public_line, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5", 32) ==
        0);
    login_key_free(a);
    login_key_free(b);
}

/* A real ssh-agent in d, bounded by timeout(1) should the test fail before
 * it is stopped. */
static void
agent_start(const char *d)
{
    char sock[512];
    int i;

    ASSERT_INT_EQ(unit_sh("cd %s && (timeout 60 ssh-agent -D -a %s/agent.sock "
        ">/dev/null 2>&1 & echo $! > agent.pid)", d, d), 0);
    snprintf(sock, sizeof(sock), "%s/agent.sock", d);
    for (i = 0; i < 100 && access(sock, F_OK) != 0; i++)
        usleep(50 * 1000);
    ASSERT(access(sock, F_OK) == 0);
}

static void
agent_stop(const char *d)
{
    char path[512], *pid;

    snprintf(path, sizeof(path), "%s/agent.pid", d);
    pid = unit_read_file(path, NULL);
    kill((pid_t)atoi(pid), SIGTERM);
    free(pid);
}

TEST(test_agent_round_trip_with_a_real_ssh_agent)
{
    const char *d = unit_tmpdir();
    char path[512], sock[512], why[256], *pem, *line;
    struct login_key *k = NULL;
    struct cert *c = NULL;

    ASSERT_INT_EQ(unit_sh("ssh-keygen -q -t ed25519 -N '' -f %s/ca && "
        "ssh-keygen -q -t ed25519 -N '' -f %s/user && "
        "ssh-keygen -q -s %s/ca -I unit-kid -n payments/api -V -1m:+10m "
        "%s/user.pub", d, d, d, d), 0);
    snprintf(path, sizeof(path), "%s/user", d);
    pem = unit_read_file(path, NULL);
    snprintf(path, sizeof(path), "%s/user-cert.pub", d);
    line = unit_read_file(path, NULL);
    line[strcspn(line, "\n")] = '\0';
    ASSERT_OK(login_key_from_openssh(pem, "u", &k));
    ASSERT_OK(cert_from_line(line, &c));
    snprintf(sock, sizeof(sock), "%s/agent.sock", d);
    agent_start(d);
    ASSERT_INT_EQ(agent_has(sock, c->blob, c->blob_len), 0);
    ASSERT_OK(agent_add_cert(sock, k, c->blob, c->blob_len, 600, "unit-kid",
        why, sizeof(why)));
    ASSERT_INT_EQ(agent_has(sock, c->blob, c->blob_len), 1);
    /* ssh-add sees a certificate identity, commented with the key id */
    ASSERT_INT_EQ(unit_sh("SSH_AUTH_SOCK=%s ssh-add -l | grep -q "
        "'unit-kid (ED25519-CERT)'", sock), 0);
    /* ... and it is exactly our certificate */
    ASSERT_INT_EQ(unit_sh("SSH_AUTH_SOCK=%s ssh-add -L | grep -qF \"$(cut "
        "-d' ' -f2 %s/user-cert.pub)\"", sock, d), 0);
    ASSERT_OK(agent_remove(sock, c->blob, c->blob_len, why, sizeof(why)));
    ASSERT_INT_EQ(agent_has(sock, c->blob, c->blob_len), 0);
    ASSERT_INT_EQ(unit_sh("SSH_AUTH_SOCK=%s ssh-add -l | grep -q 'no "
        "identities'", sock), 0);
    /* removing what is not there: the agent says no, and we report it */
    ASSERT_ERR(agent_remove(sock, c->blob, c->blob_len, why, sizeof(why)),
        MESHCA_ERR_CLI_AGENT);
    agent_stop(d);
    cert_free(c);
    login_key_free(k);
    free(pem);
    free(line);
}

TEST(test_agent_unreachable_is_reported)
{
    struct login_key *k = NULL;
    char why[256] = "";

    ASSERT_OK(login_key_generate("x", &k));
    ASSERT_ERR(agent_add_cert("/nonexistent/agent.sock", k, k->blob,
        k->blob_len, 10, "c", why, sizeof(why)), MESHCA_ERR_CLI_AGENT);
    ASSERT(strstr(why, "/nonexistent/agent.sock") != NULL);
    ASSERT_ERR(agent_has("/nonexistent/agent.sock", k->blob, k->blob_len),
        MESHCA_ERR_CLI_AGENT);
    login_key_free(k);
}

UNIT_MAIN(T(test_agent_add_message_is_the_constrained_cert_layout),
    T(test_agent_remove_message_and_identities_answer),
    T(test_login_key_reads_ssh_keygen_ed25519_files),
    T(test_login_key_refuses_encrypted_and_other_types),
    T(test_generated_keys_are_fresh),
    T(test_agent_round_trip_with_a_real_ssh_agent),
    T(test_agent_unreachable_is_reported))
