/*
 * GET /v1/who (admins, issue #18): who could reach a principal at a time
 * (valid certificates naming it) and who did (logins with them), from the
 * ledger.  See api/who.c.
 */
#ifndef MESHCAD_WHO_H
#define MESHCAD_WHO_H

struct request;

void handle_who(struct request *req);

#endif
