/*
 * The report's usage sections (issue #18): who actually logged in, the
 * access map, unused grants, use after revocation, logins meshca cannot
 * account for, host freshness and anomalies.  See report_usage.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "meshca/buf.h"
#include "report.h"
#include "report_usage.h"

#define ROWS_MAX 200

struct html {
    struct meshca_buf *b;
    int err;
};

static void
put(struct html *h, const char *s)
{
    if (h->err == 0)
        h->err = meshca_buf_put(h->b, s, strlen(s));
}

static void
putf(struct html *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
putf(struct html *h, const char *fmt, ...)
{
    va_list ap;

    if (h->err != 0)
        return;
    va_start(ap, fmt);
    h->err = meshca_buf_vputf(h->b, fmt, ap);
    va_end(ap);
}

/* Escaped text of member k of o (strings as they are, numbers in decimal,
 * arrays joined by ", "; anything else an em dash). */
static void
cell(struct html *h, const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k), *e;
    char *esc = NULL, num[32];
    size_t len, i;

    if (json_is_array(v)) {
        if (json_array_size(v) == 0)
            put(h, "<span class=\"nil\">&mdash;</span>");
        json_array_foreach(v, i, e) {
            if (i > 0)
                put(h, ", ");
            if (h->err == 0 && (h->err = report_html_escape(json_string_value(e),
                &esc, &len)) == 0)
                put(h, esc);
            free(esc);
            esc = NULL;
        }
        return;
    }
    if (json_is_integer(v)) {
        snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
        put(h, num);
        return;
    }
    if (h->err == 0 && (h->err = report_html_escape(json_string_value(v),
        &esc, &len)) == 0)
        put(h, esc);
    free(esc);
}

/* A table: title, the columns' headings and members, the rows of arr. */
static void
table(struct html *h, const char *id, const char *title, const char *note,
    const json_t *arr, const char *const *heads, const char *const *keys,
    size_t ncols, const char *empty)
{
    const json_t *o;
    size_t i, c;

    putf(h, "<section id=\"%s\"><h2>%s<span class=\"n\">(%zu)</span></h2>\n",
        id, title, json_array_size(arr));
    if (note != NULL)
        putf(h, "<p class=\"note\">%s</p>\n", note);
    put(h, "<table class=\"grid\"><thead><tr>");
    for (c = 0; c < ncols; c++)
        putf(h, "<th>%s</th>", heads[c]);
    put(h, "</tr></thead><tbody>\n");
    if (json_array_size(arr) == 0)
        putf(h, "<tr class=\"none\"><td colspan=\"%zu\">%s</td></tr>\n",
            ncols, empty);
    json_array_foreach(arr, i, o) {
        if (i == ROWS_MAX) {
            putf(h, "<tr class=\"none\"><td colspan=\"%zu\">%zu more in "
                "meshca report --format json</td></tr>\n", ncols,
                json_array_size(arr) - ROWS_MAX);
            break;
        }
        put(h, "<tr>");
        for (c = 0; c < ncols; c++) {
            put(h, c == ncols - 1 ? "<td class=\"r\">" : "<td>");
            if (keys[c][0] == '!') {
                /* A flag: a red badge when true. */
                if (json_is_true(json_object_get(o, keys[c] + 1)))
                    putf(h, "<span class=\"badge b-rev\">%s</span>",
                        keys[c] + 1);
                else
                    put(h, "<span class=\"nil\">no</span>");
            } else
                cell(h, o, keys[c]);
            put(h, "</td>");
        }
        put(h, "</tr>\n");
    }
    put(h, "</tbody></table></section>\n");
}

static void
summary(struct html *h, const json_t *u)
{
    const json_t *c = json_object_get(u, "certificates");
    long long issued = json_integer_value(json_object_get(c, "issued"));
    long long used = json_integer_value(json_object_get(c, "used"));

    put(h, "<section id=\"usage\"><h2>Who actually logged in</h2>\n");
    putf(h, "<p>%lld certificate%s issued in the period; %lld used to log in "
        "(%lld never used). Logins come from the hosts (meshca host-report)."
        "</p>\n", issued, issued == 1 ? "" : "s", used, issued - used);
}

static void
access_map(struct html *h, const json_t *u)
{
    char *svg = NULL;
    size_t len;

    put(h, "<h3 id=\"access-map\">Access map</h3><p class=\"note\">Edge "
        "width: logins in the period. Dashed red: granted but never used. "
        "Hosts are grouped by name without their number.</p>"
        "<div class=\"figure\">\n");
    if (h->err == 0 && (h->err = report_access_map_svg(json_object_get(u,
        "access_map"), &svg, &len)) == 0)
        put(h, svg);
    free(svg);
    put(h, "</div></section>\n");
}

static void
sections(struct html *h, const json_t *u)
{
    static const char *const role_h[] = { "Role", "Principals", "Members",
        "Used by", "Never used it", "Finding" };
    static const char *const role_k[] = { "role", "principals", "members",
        "used_by", "unused_members", "finding" };
    static const char *const uar_h[] = { "Host", "Account", "At", "Subject",
        "Serial", "Finding" };
    static const char *const uar_k[] = { "host", "account", "at", "subject",
        "serial", "finding" };
    static const char *const unk_h[] = { "Rule", "Host", "Account", "At",
        "Serial", "Key ID", "CA" };
    static const char *const unk_k[] = { "rule", "host", "account", "at",
        "serial", "key_id", "ca_fingerprint" };
    static const char *const host_h[] = { "Host", "Last report", "KRL version",
        "KRL generated", "Logins", "Stale KRL", "Silent" };
    static const char *const host_k[] = { "host", "last_report_at",
        "krl_version", "krl_generated_at", "logins", "!krl_stale",
        "!silent" };
    static const char *const an_h[] = { "Rule", "At", "Subject", "Host",
        "Evidence" };
    static const char *const an_k[] = { "rule", "at", "subject", "host",
        "evidence" };
    static const char *const cert_h[] = { "Serial", "Subject", "Role", "Logins",
        "Hosts", "Accounts", "First use", "Last use" };
    static const char *const cert_k[] = { "serial", "subject", "role",
        "logins", "hosts", "accounts", "first_use", "last_use" };
    static const char *const pr_h[] = { "Principal", "Holders", "Users",
        "Used by" };
    static const char *const pr_k[] = { "principal", "holders", "users",
        "used_by" };
    const json_t *an = json_object_get(u, "anomalies");

    table(h, "unused-grants", "Grants and their use", "Members: people "
        "issued a certificate of the role in the period.",
        json_object_get(u, "roles"), role_h, role_k, 6, "No grants.");
    table(h, "use-after-revocation", "Use after revocation", "A revoked "
        "certificate that still got in: the host's KRL is stale.",
        json_object_get(u, "use_after_revocation"), uar_h, uar_k, 6,
        "None: every host refused revoked certificates.");
    table(h, "unknown", "Logins meshca did not issue", "A serial meshca "
        "never issued, or a CA it never used: something trusts a key it "
        "should not.", json_object_get(u, "unknown"), unk_h, unk_k, 7,
        "None.");
    table(h, "hosts", "Host freshness", "Stale: the host's KRL misses a "
        "revocation older than the threshold. Silent: no report lately.",
        json_object_get(u, "hosts"), host_h, host_k, 7,
        "No host has reported.");
    table(h, "anomalies", "Anomalies", NULL, json_object_get(an,
        "anomalies"), an_h, an_k, 5, "Nothing flagged.");
    table(h, "certificate-use", "Certificates and their use", NULL,
        json_object_get(json_object_get(u, "certificates"), "list"), cert_h,
        cert_k, 8, "No certificates in the period.");
    table(h, "principal-use", "Principals: held and used", NULL,
        json_object_get(u, "principals"), pr_h, pr_k, 4, "None.");
}

int
report_usage_html(const json_t *usage, char **outp, size_t *lenp)
{
    struct html h = { NULL, 0 };

    *outp = NULL;
    *lenp = 0;
    if ((h.b = meshca_buf_new_large(REPORT_OUTPUT_MAX)) == NULL)
        return MESHCA_ERR_ALLOC;
    if (json_is_object(usage)) {
        summary(&h, usage);
        access_map(&h, usage);
        sections(&h, usage);
    }
    if (h.err == 0)
        h.err = meshca_buf_take_cstring(&h.b, outp, lenp);
    meshca_buf_free(h.b);
    return h.err;
}
