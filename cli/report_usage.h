/*
 * The report's usage sections (issue #18): who actually logged in, unused
 * grants, use after revocation, host freshness, anomalies (report_usage.c)
 * and the access map, an inline SVG graph (accessmap.c).  Pure functions
 * over the "usage" member of GET /v1/report (see docs/usage-reporting.md);
 * a missing or mistyped member renders as nothing or an em dash.
 */
#ifndef MESHCA_CLI_REPORT_USAGE_H
#define MESHCA_CLI_REPORT_USAGE_H

#include <stddef.h>

#include "meshca/err.h"

struct json_t;

/* Columns drawn at most per layer of the access map; the rest of a layer
 * is one "N more" node.  Edges drawn at most between two layers (the
 * heaviest; granted-but-unused edges after them). */
#define ACCESSMAP_NODES_MAX 24
#define ACCESSMAP_EDGES_MAX 72

/* The host group a host is drawn in: its name without a trailing number
 * ("payments-api-17" -> "payments-api"), or the name when nothing is left.
 * Writes at most outlen bytes (NUL included). */
void accessmap_host_group(const char *host, char *out, size_t outlen);

/* The access map of a usage.access_map object as one <svg> element:
 * email domains -> roles -> principals -> host groups, edge width by
 * logins, granted-but-unused edges dashed.  Returns 0 with *outp
 * (NUL-terminated, caller frees) and *lenp, or MESHCA_ERR_ALLOC. */
int report_access_map_svg(const struct json_t *map, char **outp,
    size_t *lenp) MESHCA_WUR;

/* The HTML sections for a "usage" object (NULL: nothing).  Same returns. */
int report_usage_html(const struct json_t *usage, char **outp,
    size_t *lenp) MESHCA_WUR;

#endif
