/*
 * Certificate principals (mesh workload names such as "payments/api" or
 * "payments/api:admin", or user names).  The one rule set used by the
 * certificate builder, the policy (including filled-in templates) and the
 * request parser.
 */
#ifndef MESHCA_PRINCIPAL_H
#define MESHCA_PRINCIPAL_H

#include <stddef.h>

#define PRINCIPAL_MAX_LEN 255
#define PRINCIPALS_MAX 256

/* The rule principal_valid applies, as messages state it. */
#define PRINCIPAL_RULE "1-255 characters, no spaces, commas, '#' or control " \
    "characters"

/* 1 when s is an acceptable principal: 1..255 bytes of printable ASCII or
 * UTF-8, with no whitespace, comma, '#', control character or NUL; 0
 * otherwise.  sshd splits principal lists on commas and reads an
 * AuthorizedPrincipalsFile (or AuthorizedPrincipalsCommand) line only up
 * to a '#', so a principal holding either could never be listed there. */
int principal_valid(const char *s);

#endif
