/*
 * POST /v1/host-certificates (issue #16): a workload, authenticated only by
 * its X.509-SVID (or a trusted XFCC header), sends {"public_key": LINE,
 * "ttl": DURATION?} and gets an OpenSSH host certificate (type 2) signed
 * by the host CA for the names the policy's "hosts" grant its SPIFFE ID,
 * recorded in the ledger (host_certificates) before the reply.
 */
#ifndef MESHCAD_HOSTCERT_H
#define MESHCAD_HOSTCERT_H

struct request;

void handle_host_certificate(struct request *req);

#endif
