/*
 * POST /v1/logins (issue #18): sshd's certificate logins and refusals,
 * shipped by `meshca host-report`, recorded in the ledger.
 *
 * The host is named by its credential, never by the body: a per-host token
 * ("Authorization: Bearer TOKEN") whose SHA-256 is listed in the file
 * logins.host_tokens names ("HOST sha256:HEX" lines), or (with a mesh
 * section, issue #16) the host's X.509-SVID or its sidecar's XFCC header,
 * named by the first host name the policy's "hosts" section grants that
 * SPIFFE ID.  logins_host_auth is the one place that turns a request into
 * a host name.
 *
 * Body: {"krl": {"version": "N", "generated_at": T} | null,
 *        "logins": [{"line_id", "at", "account", "source_address",
 *                    "source_port", "result", "serial", "key_id",
 *                    "key_fingerprint", "ca_fingerprint"}, ...]}
 * (at most LOGINS_BATCH_MAX logins; times RFC 3339 UTC, fractions of a
 * second allowed).  Answer: 200 {"received": N, "recorded": K} — a line
 * sent again is not recorded again.
 */
#ifndef MESHCAD_LOGINS_H
#define MESHCAD_LOGINS_H

#include <stddef.h>
#include <stdint.h>

#include "meshca/err.h"

#define LOGINS_BATCH_MAX 1000

struct request;

/* The host the request's credential names, as a new string; NULL with a
 * 400 (an untrusted XFCC header), 401 (no or an unknown credential), 403
 * (an SVID the policy grants no host name), 404 (neither host tokens nor a
 * mesh configured) or 503 queued. */
char *logins_host_auth(struct request *req);

/* Looks a token up in a host token file (exported for the unit tests).
 * Returns 0 and the host's name (new string) in *hostp, 1 when the token
 * is not listed, or MESHCA_ERR_SYSTEM (errno) / MESHCA_ERR_INVALID_FORMAT (a line that
 * is not "HOST sha256:HEX", with its number in *linep). */
int logins_token_lookup(const char *path, const char *token, char **hostp,
    size_t *linep) MESHCA_WUR;

/* Parses "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" into epoch microseconds.  Returns
 * 0 or MESHCA_ERR_INVALID_FORMAT (*usp untouched). */
int logins_parse_time_us(const char *s, int64_t *usp) MESHCA_WUR;

/* POST /v1/logins. */
void handle_logins(struct request *req);

#endif
