/*
 * The access map (issue #18): an inline SVG of who reaches what, in four
 * columns — email domains, roles, principals, host groups — with edges as
 * wide as their logins and granted-but-unused grants dashed.  It stays
 * readable at any size by aggregating: hosts are drawn by group (their name
 * without the trailing number), each column keeps its ACCESSMAP_NODES_MAX - 1
 * heaviest nodes and folds the rest into one "N more" node, and between two
 * columns only the ACCESSMAP_EDGES_MAX heaviest edges are drawn (a note
 * says how many were left out).  Columns are ordered by the barycentre of
 * their neighbours on the left, which keeps edges from crossing needlessly.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "meshca/buf.h"
#include "meshca/mem.h"
#include "report.h"
#include "report_usage.h"

#define NCOLS 4
#define NAME_MAX_LEN 96
#define ROW_H 26.0
#define NODE_W 200.0
#define COL_GAP 300.0
#define TOP 46.0

struct node {
    char name[NAME_MAX_LEN];
    double w;               /* logins through it */
    int granted;            /* grants through it (ordering ties) */
    long hosts;             /* host groups: hosts in it */
    double score;           /* logins from drawn nodes on its left */
    int slot;               /* drawn position, or the "more" node's */
    double bary;
};

struct col {
    struct node *v;
    size_t n, cap;
    size_t shown;           /* nodes drawn (the last may be "more") */
    size_t folded;          /* nodes folded into "more" */
};

/* Cells between drawn nodes of column c and c + 1. */
struct cell {
    double logins;
    int granted;
};

struct map {
    struct col cols[NCOLS];
    struct cell cells[NCOLS - 1][ACCESSMAP_NODES_MAX][ACCESSMAP_NODES_MAX];
    char **hosts;           /* distinct host names (host-group sizes) */
    size_t nhosts, caphosts;
};

void
accessmap_host_group(const char *host, char *out, size_t outlen)
{
    size_t n = strlen(host);

    while (n > 0 && isdigit((unsigned char)host[n - 1]))
        n--;
    while (n > 0 && strchr("-_.", host[n - 1]) != NULL)
        n--;
    if (n == 0)
        n = strlen(host);
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, host, n);
    out[n] = '\0';
}

/* The index of name in column c, added when new; -1 when out of memory. */
static long
node_of(struct col *c, const char *name)
{
    size_t i;
    struct node *v;

    for (i = 0; i < c->n; i++)
        if (strncmp(c->v[i].name, name, NAME_MAX_LEN - 1) == 0)
            return (long)i;
    if ((v = meshca_grow(c->v, &c->cap, c->n + 1, sizeof(*v), 64)) == NULL)
        return -1;
    c->v = v;
    memset(&c->v[c->n], 0, sizeof(c->v[0]));
    snprintf(c->v[c->n].name, NAME_MAX_LEN, "%s", name);
    return (long)c->n++;
}

static const char *
str(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));

    return s != NULL ? s : "?";
}

static double
logins(const json_t *o)
{
    json_t *v = json_object_get(o, "logins");

    return json_is_integer(v) && json_integer_value(v) > 0 ?
        (double)json_integer_value(v) : 0.0;
}

/* Whether edge o stands for a grant, used or not ("granted": true, or
 * "people" who hold it). */
static int
granted(const json_t *o)
{
    return json_is_true(json_object_get(o, "granted")) ||
        json_integer_value(json_object_get(o, "people")) > 0;
}

/* Counts a host into its group (distinct hosts). */
static int
count_host(struct map *m, struct node *g, const char *host)
{
    size_t i;
    char **h;

    for (i = 0; i < m->nhosts; i++)
        if (strcmp(m->hosts[i], host) == 0)
            return 0;
    if ((h = meshca_grow(m->hosts, &m->caphosts, m->nhosts + 1, sizeof(*h),
        64)) == NULL)
        return -1;
    m->hosts = h;
    if ((m->hosts[m->nhosts] = strdup(host)) == NULL)
        return -1;
    m->nhosts++;
    g->hosts++;
    return 0;
}

/* The three edge lists as (column, from, to, logins, granted). */
struct edge_src {
    const char *list, *from, *to;
};
static const struct edge_src sources[NCOLS - 1] = {
    { "groups_roles", "group", "role" },
    { "roles_principals", "role", "principal" },
    { "principals_hosts", "principal", "host" },
};

/* The node an edge of column k goes to: hosts are drawn by their group,
 * written into grp. */
static const char *
edge_to(size_t k, const json_t *e, char *grp, size_t len)
{
    const char *to = str(e, sources[k].to);

    if (k != NCOLS - 2)
        return to;
    accessmap_host_group(to, grp, len);
    return grp;
}

/* Pass 1: every node with its weight. */
static int
collect_nodes(struct map *m, const json_t *map)
{
    char grp[NAME_MAX_LEN];
    const json_t *e;
    size_t k, i;
    long a, b;

    for (k = 0; k < NCOLS - 1; k++)
        json_array_foreach(json_object_get(map, sources[k].list), i, e) {
            const char *to = edge_to(k, e, grp, sizeof(grp));

            if ((a = node_of(&m->cols[k], str(e, sources[k].from))) < 0 ||
                (b = node_of(&m->cols[k + 1], to)) < 0)
                return -1;
            m->cols[k].v[a].w += logins(e);
            m->cols[k + 1].v[b].w += logins(e);
            if (granted(e)) {
                m->cols[k].v[a].granted++;
                m->cols[k + 1].v[b].granted++;
            }
            if (k == NCOLS - 2 && count_host(m, &m->cols[k + 1].v[b],
                str(e, "host")) != 0)
                return -1;
        }
    return 0;
}

static int
by_score(const void *x, const void *y)
{
    const struct node *a = x, *b = y;

    if (a->score != b->score)
        return a->score < b->score ? 1 : -1;
    if (a->w != b->w)
        return a->w < b->w ? 1 : -1;
    if (a->granted != b->granted)
        return a->granted < b->granted ? 1 : -1;
    return strcmp(a->name, b->name);
}

static int slot_of(const struct col *c, const char *name);

/* The score of column k's nodes (k >= 1): the logins (and grants) that
 * reach them from nodes drawn in column k - 1, so that a column shows
 * what its left neighbour's drawn nodes lead to. */
static void
score(struct map *m, const json_t *map, size_t k)
{
    const struct col *l = &m->cols[k - 1];
    char grp[NAME_MAX_LEN];
    const json_t *e;
    size_t i;
    long b;
    int a;

    json_array_foreach(json_object_get(map, sources[k - 1].list), i, e) {
        const char *to = str(e, sources[k - 1].to);

        if (k == NCOLS - 1) {
            accessmap_host_group(to, grp, sizeof(grp));
            to = grp;
        }
        a = slot_of(l, str(e, sources[k - 1].from));
        if (a < 0 || (l->folded > 0 && a == (int)l->shown - 1))
            continue;
        if ((b = node_of(&m->cols[k], to)) >= 0)
            m->cols[k].v[b].score += logins(e) + 0.5;
    }
}

/* Keeps the best nodes of each column, left to right; the others point at
 * the "more" node. */
static void
fold(struct map *m, const json_t *map)
{
    size_t k, i;

    for (k = 0; k < NCOLS; k++) {
        struct col *c = &m->cols[k];

        if (k > 0)
            score(m, map, k);
        if (c->n > 1)   /* an empty column has no array (qsort(NULL)) */
            qsort(c->v, c->n, sizeof(c->v[0]), by_score);
        c->shown = c->n <= ACCESSMAP_NODES_MAX ? c->n : ACCESSMAP_NODES_MAX;
        c->folded = c->n - c->shown + (c->n > ACCESSMAP_NODES_MAX);
        for (i = 0; i < c->n; i++)
            c->v[i].slot = i < c->shown ? (int)i : (int)c->shown - 1;
    }
}

static int
slot_of(const struct col *c, const char *name)
{
    size_t i;

    for (i = 0; i < c->n; i++)
        if (strncmp(c->v[i].name, name, NAME_MAX_LEN - 1) == 0)
            return c->v[i].slot;
    return -1;
}

/* Pass 2: the edges between drawn nodes. */
static void
collect_cells(struct map *m, const json_t *map)
{
    char grp[NAME_MAX_LEN];
    const json_t *e;
    size_t k, i;
    int a, b;

    for (k = 0; k < NCOLS - 1; k++)
        json_array_foreach(json_object_get(map, sources[k].list), i, e) {
            const char *to = edge_to(k, e, grp, sizeof(grp));

            a = slot_of(&m->cols[k], str(e, sources[k].from));
            b = slot_of(&m->cols[k + 1], to);
            if (a < 0 || b < 0)
                continue;
            m->cells[k][a][b].logins += logins(e);
            if (granted(e))
                m->cells[k][a][b].granted = 1;
        }
}

/* Sorts idx[0..n) by key (insertion sort: n is small). */
static void
sort_by(int *idx, const double *key, size_t n)
{
    size_t i, j;
    int t;

    for (i = 1; i < n; i++)
        for (j = i; j > 0 && key[idx[j - 1]] > key[idx[j]]; j--) {
            t = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = t;
        }
}

/*
 * Rows for columns 1..: each node as near the barycentre of its left
 * neighbours' rows as the nodes above it allow, within rows rows; the
 * "more" node last.  pos[k][slot] is the row a slot is drawn on.
 */
static void
order(struct map *m, int pos[NCOLS][ACCESSMAP_NODES_MAX], int rows)
{
    double bary[ACCESSMAP_NODES_MAX], wsum, w;
    int idx[ACCESSMAP_NODES_MAX], at, prev;
    size_t k, a, b, i, n;

    for (a = 0; a < ACCESSMAP_NODES_MAX; a++)
        pos[0][a] = (int)a;
    for (k = 1; k < NCOLS; k++) {
        n = m->cols[k].shown;
        for (b = 0; b < n; b++) {
            bary[b] = wsum = 0;
            for (a = 0; a < m->cols[k - 1].shown; a++) {
                w = m->cells[k - 1][a][b].logins +
                    (m->cells[k - 1][a][b].granted ? 0.5 : 0);
                bary[b] += w * pos[k - 1][a];
                wsum += w;
            }
            bary[b] = wsum > 0 ? bary[b] / wsum : (double)rows;
            idx[b] = (int)b;
        }
        if (m->cols[k].folded > 0 && n > 0)
            bary[n - 1] = 2.0 * rows;
        sort_by(idx, bary, n);
        for (i = 0, prev = -1; i < n; i++) {
            at = (int)(bary[idx[i]] + 0.5);
            pos[k][idx[i]] = prev = at > prev + 1 ? at : prev + 1;
        }
        /* Pushed past the bottom: move up, keeping the order. */
        for (i = n, prev = rows; i-- > 0;) {
            if (pos[k][idx[i]] >= prev)
                pos[k][idx[i]] = prev - 1;
            prev = pos[k][idx[i]];
        }
    }
}

/* Emits escaped text (at most max characters, an ellipsis when cut). */
static int
put_text(struct meshca_buf *b, const char *s, size_t max)
{
    char cut[NAME_MAX_LEN + 4], *esc = NULL;
    size_t len;
    int r;

    if ((len = strlen(s)) > max)
        snprintf(cut, sizeof(cut), "%.*s\xe2\x80\xa6", (int)(max - 1), s);
    else {
        /* Copied, not printed: gcc -O1 cannot see that len <= max here
         * and warns of truncation. */
        if (len >= sizeof(cut))
            len = sizeof(cut) - 1;
        memcpy(cut, s, len);
        cut[len] = '\0';
    }
    if ((r = report_html_escape(cut, &esc, &len)) == 0)
        r = meshca_buf_put(b, esc, len);
    free(esc);
    return r;
}

static const char *const col_titles[NCOLS] = { "Who (email domain)",
    "Roles", "Principals", "Hosts (by group)" };
static const char *const col_fill[NCOLS] = { "#e8eef8", "#fdf1dc",
    "#e3f4e8", "#eef0f3" };

static int
draw_node(struct meshca_buf *b, const struct map *m, size_t k, size_t s,
    int row)
{
    const struct col *c = &m->cols[k];
    const struct node *v = &c->v[s];
    double x = 10 + COL_GAP * (double)k, y = TOP + ROW_H * row;
    char label[NAME_MAX_LEN + 32];
    int r;

    if (c->folded > 0 && s == c->shown - 1)
        snprintf(label, sizeof(label), "%zu more", c->folded);
    else if (k == NCOLS - 1 && v->hosts > 1)
        snprintf(label, sizeof(label), "%s (%ld hosts)", v->name, v->hosts);
    else
        snprintf(label, sizeof(label), "%s", v->name);
    if ((r = meshca_buf_putf(b, "<g><rect x=\"%.1f\" y=\"%.1f\" width=\"%.0f\" "
        "height=\"20\" rx=\"4\" fill=\"%s\" stroke=\"#9fb3c8\"/>"
        "<text x=\"%.1f\" y=\"%.1f\">", x, y, NODE_W, col_fill[k], x + 6,
        y + 14)) != 0 || (r = put_text(b, label, 30)) != 0)
        return r;
    return meshca_buf_putf(b, "</text></g>\n");
}

struct drawn {
    int a, b;
    double logins;
    int granted;
};

static int
by_drawn(const void *x, const void *y)
{
    const struct drawn *p = x, *q = y;

    if (p->logins != q->logins)
        return p->logins < q->logins ? 1 : -1;
    return p->granted < q->granted ? 1 : p->granted > q->granted ? -1 : 0;
}

/* The edges between column k and k + 1: the heaviest ACCESSMAP_EDGES_MAX.
 * Adds how many were left out to *omittedp. */
static int
draw_edges(struct meshca_buf *b, const struct map *m, size_t k,
    int pos[NCOLS][ACCESSMAP_NODES_MAX], size_t *omittedp)
{
    struct drawn d[ACCESSMAP_NODES_MAX * ACCESSMAP_NODES_MAX];
    double x1 = 10 + COL_GAP * (double)k + NODE_W, x2 = x1 + COL_GAP - NODE_W;
    double max = 0, y1, y2, w;
    size_t n = 0, i, a, c, used;
    int r;

    for (a = 0; a < m->cols[k].shown; a++)
        for (c = 0; c < m->cols[k + 1].shown; c++)
            if (m->cells[k][a][c].logins > 0 || m->cells[k][a][c].granted) {
                d[n].a = (int)a;
                d[n].b = (int)c;
                d[n].logins = m->cells[k][a][c].logins;
                d[n++].granted = m->cells[k][a][c].granted;
                if (m->cells[k][a][c].logins > max)
                    max = m->cells[k][a][c].logins;
            }
    qsort(d, n, sizeof(d[0]), by_drawn);
    /* The heaviest used edges, then unused grants, each within a budget. */
    for (i = used = 0; i < n && d[i].logins > 0; i++)
        used++;
    if (used > ACCESSMAP_EDGES_MAX) {
        *omittedp += used - ACCESSMAP_EDGES_MAX;
        memmove(&d[ACCESSMAP_EDGES_MAX], &d[used],
            (n - used) * sizeof(d[0]));
        n -= used - ACCESSMAP_EDGES_MAX;
        used = ACCESSMAP_EDGES_MAX;
    }
    if (n - used > ACCESSMAP_NODES_MAX) {
        *omittedp += n - used - ACCESSMAP_NODES_MAX;
        n = used + ACCESSMAP_NODES_MAX;
    }
    for (i = 0; i < n; i++) {
        y1 = TOP + ROW_H * pos[k][d[i].a] + 10;
        y2 = TOP + ROW_H * pos[k + 1][d[i].b] + 10;
        w = d[i].logins > 0 ? 1.0 + 5.0 * sqrt(d[i].logins / max) : 1.4;
        if ((r = meshca_buf_putf(b, "<path d=\"M%.1f %.1fC%.1f %.1f %.1f %.1f "
            "%.1f %.1f\" fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\" "
            "stroke-opacity=\"%s\"%s><title>%.0f login%s</title></path>\n",
            x1, y1, (x1 + x2) / 2, y1, (x1 + x2) / 2, y2, x2, y2,
            d[i].logins > 0 ? "#2f5fa7" : "#b42318", w,
            d[i].logins > 0 ? "0.45" : "0.8",
            d[i].logins > 0 ? "" : " stroke-dasharray=\"5 4\"", d[i].logins,
            d[i].logins == 1 ? "" : "s")) != 0)
            return r;
    }
    return 0;
}

static int
draw(struct meshca_buf *b, struct map *m)
{
    int pos[NCOLS][ACCESSMAP_NODES_MAX];
    size_t k, s, rows = 1, omitted = 0;
    int r;

    for (k = 0; k < NCOLS; k++)
        if (m->cols[k].shown > rows)
            rows = m->cols[k].shown;
    order(m, pos, (int)rows);
    if ((r = meshca_buf_putf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
        "viewBox=\"0 0 1120 %.0f\" role=\"img\" aria-label=\"Access map\" "
        "font-family=\"system-ui,sans-serif\" font-size=\"12\" "
        "fill=\"#1f2933\">\n", TOP + ROW_H * (double)rows + 12)) != 0)
        return r;
    for (k = 0; k < NCOLS; k++)
        if ((r = meshca_buf_putf(b, "<text x=\"%.0f\" y=\"24\" "
            "font-weight=\"700\" fill=\"#334e68\">%s</text>\n",
            10 + COL_GAP * (double)k, col_titles[k])) != 0)
            return r;
    for (k = 0; k + 1 < NCOLS; k++)
        if ((r = draw_edges(b, m, k, pos, &omitted)) != 0)
            return r;
    for (k = 0; k < NCOLS; k++)
        for (s = 0; s < m->cols[k].shown; s++)
            if ((r = draw_node(b, m, k, s, pos[k][s])) != 0)
                return r;
    if ((r = meshca_buf_putf(b, "</svg>\n")) != 0)
        return r;
    if (omitted > 0)
        return meshca_buf_putf(b, "<p class=\"note\">%zu lighter edge%s "
            "left out to keep the map readable.</p>\n", omitted,
            omitted == 1 ? "" : "s");
    return 0;
}

int
report_access_map_svg(const json_t *map, char **outp, size_t *lenp)
{
    struct meshca_buf *b = meshca_buf_new_large(REPORT_OUTPUT_MAX);
    struct map *m = calloc(1, sizeof(*m));
    size_t k;
    int r = MESHCA_ERR_ALLOC;

    *outp = NULL;
    *lenp = 0;
    if (b == NULL || m == NULL || collect_nodes(m, map) != 0)
        goto out;
    fold(m, map);
    collect_cells(m, map);
    if (m->cols[0].n == 0 && m->cols[1].n == 0)
        r = meshca_buf_putf(b, "<p class=\"none\">No grants or logins in "
            "the period.</p>\n");
    else
        r = draw(b, m);
    if (r == 0)
        r = meshca_buf_take_cstring(&b, outp, lenp);
out:
    meshca_buf_free(b);
    if (m != NULL) {
        for (k = 0; k < NCOLS; k++)
            free(m->cols[k].v);
        for (k = 0; k < m->nhosts; k++)
            free(m->hosts[k]);
        free(m->hosts);
    }
    free(m);
    return r;
}
