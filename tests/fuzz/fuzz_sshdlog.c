/* libFuzzer target: sshd's log lines and journal entries as meshca
 * host-report reads them (cli/sshdlog.c, compiled in: the fuzz library holds
 * only ca/ and api/), and the login times POST /v1/logins takes
 * (api/logins.c).  Each input is fed as a line, as a journal entry and as a
 * time, through one parser whose state carries over between lines. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../cli/sshdlog.c"
#include "../../api/logins.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sshd_parser p;
    struct sshd_login l;
    char cursor[256], t[64];
    const char *s = (const char *)data, *nl;
    size_t off = 0, n;
    int64_t us;

    memset(&p, 0, sizeof(p));
    while (off < size) {
        nl = memchr(s + off, '\n', size - off);
        n = nl != NULL ? (size_t)(nl - (s + off)) : size - off;
        (void)sshd_parse_line(&p, s + off, n, 1, 2026, &l);
        off += n + 1;
    }
    (void)sshd_parse_journal(&p, s, size, &l, cursor, sizeof(cursor));
    n = size < sizeof(t) - 1 ? size : sizeof(t) - 1;
    memcpy(t, data, n);
    t[n] = '\0';
    (void)logins_parse_time_us(t, &us);
    return 0;
}
