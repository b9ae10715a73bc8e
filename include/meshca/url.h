/*
 * The one rule for the URLs meshca fetches or serves, used by meshcad (issuer
 * and jwks_uri in the config, key-set fetches, the listen address) and by
 * meshca (the server URL):
 *
 *   - the scheme, compared case-insensitively, is https or http;
 *   - no userinfo ("http://user@127.0.0.1/" is refused);
 *   - a port, when given, is 1..65535 written without leading zeros;
 *   - the host is what libcurl will connect to, character for character
 *     (libcurl turns "127.1", "0x7f.1", "2130706433" and "%31..." into
 *     127.0.0.1; such shorthand is refused as not canonical);
 *   - plain http only when the host is exactly a loopback literal: an IPv4
 *     address in 127.0.0.0/8 in canonical dotted-quad form, [::1], or
 *     localhost in any case.
 */
#ifndef MESHCA_URL_H
#define MESHCA_URL_H

#include <stddef.h>

#include "meshca/err.h"

/* Checks url against the rule.  Returns 0 when it may be used,
 * MESHCA_ERR_URL_INSECURE for a well-formed http:// URL to a host that is
 * not loopback (meshca --insecure-http may still allow that), or
 * MESHCA_ERR_URL_INVALID for anything else; on error a reason for a person
 * (naming the URL, at most 200 bytes of it) is written to why when why is
 * non-NULL. */
int url_check(const char *url, char *why, size_t whylen) MESHCA_WUR;

/* 1 when host (as written in a URL or a listen address: "127.0.0.1",
 * "localhost", "::1" or "[::1]") is exactly a loopback literal as above;
 * 0 otherwise. */
int url_host_is_loopback(const char *host);

#endif
