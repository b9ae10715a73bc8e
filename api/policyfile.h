/*
 * Reading the policy file: meshcad serve (start and SIGHUP) and meshcad
 * check read the file here and hand its bytes to libmeshca's
 * policy_load_buf.
 */
#ifndef MESHCAD_POLICYFILE_H
#define MESHCAD_POLICYFILE_H

#include <stdint.h>

#include "meshca/diag.h"
#include "meshca/err.h"
#include "meshca/policy.h"

/* Largest policy file read. */
#define POLICYFILE_MAX (16 * 1024 * 1024)

/* Reads path to the end (pipes too) and loads it with policy_load_buf,
 * naming it path in messages.  Returns what policy_load_buf returns; a file
 * that cannot be opened or read, or is larger than POLICYFILE_MAX, is
 * MESHCA_ERR_POLICY_INVALID with "PATH: cannot open: ...", "PATH: cannot
 * read: ..." or "PATH: larger than 16 MiB" appended to d.  *pp is NULL on
 * failure; a NULL argument is MESHCA_ERR_INVALID_ARGUMENT. */
int policyfile_load(const char *path, int64_t ttl_ceiling,
    struct policy **pp, struct diags *d) MESHCA_WUR;

#endif
