/*
 * Reading sshd's log for meshca host-report (issue #18): the certificate
 * logins and refusals sshd writes at LogLevel VERBOSE.
 *
 *   Accepted publickey for ACCOUNT from ADDR port PORT ssh2: ED25519-CERT
 *     SHA256:FP ID KEY_ID (serial N) CA ED25519 SHA256:CA_FP
 *   Failed publickey for ... (the same fields)
 *
 * A refusal's reason is the line sshd wrote just before it in the same
 * process: "... revoked by file ..." (revoked), "Certificate does not
 * contain an authorized principal" (wrong_principal), "Certificate invalid:
 * expired" (expired); anything else is "refused".  Lines may carry a syslog
 * prefix ("Nov 30 14:00:05 host sshd[123]: "), an RFC 3339 one
 * ("2026-11-30T14:00:05.123456+00:00 host sshd[123]: ") or none (sshd -E);
 * without a time the reader's clock is used.
 */
#ifndef MESHCA_CLI_SSHDLOG_H
#define MESHCA_CLI_SSHDLOG_H

#include <stddef.h>
#include <stdint.h>

#include "meshca/cert.h"
#include "meshca/err.h"

struct sshd_login {
    char account[256];
    char address[64];
    int port;
    char result[20];        /* accepted, revoked, wrong_principal, ... */
    char serial[24];
    char key_id[CERT_KEY_ID_BUILT_MAX + 1]; /* as meshcad builds them */
    char key_fingerprint[128];
    char ca_fingerprint[128];
    int64_t at_us;          /* from the prefix, or the reader's clock */
};

/* What the parser remembers between lines: the last refusal reason per
 * sshd process. */
struct sshd_parser {
    long pid[16];
    char reason[16][20];
    unsigned next;
};

/* Feeds one line (no newline needed; not NUL-terminated: len bytes).
 * now_us is used when the line carries no time; year_now for syslog
 * prefixes, which have none.  Returns 1 with *out filled for a
 * certificate login or refusal, 0 for any other line. */
int sshd_parse_line(struct sshd_parser *p, const char *line, size_t len,
    int64_t now_us, int year_now, struct sshd_login *out);

/* The message of a journal entry (journalctl -o json): MESSAGE, _PID and
 * __REALTIME_TIMESTAMP, with __CURSOR into cursor (cursorlen bytes).
 * Returns 1 with *out filled as sshd_parse_line does, 0 for any other
 * entry, -1 for a line that is not a JSON object. */
int sshd_parse_journal(struct sshd_parser *p, const char *json, size_t len,
    struct sshd_login *out, char *cursor, size_t cursorlen);

#endif
