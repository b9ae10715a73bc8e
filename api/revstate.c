/* The revocation state for the issuance check.  See revstate.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "meshca/clock.h"
#include "meshca/jsonv.h"
#include "ledger.h"
#include "meshcad_err.h"
#include "revstate.h"

struct rblock {
    char *subject;
    char *issuer;   /* NULL: any issuer (revocations from before 0003) */
    int64_t until;
};

struct revset {
    char **fps;                 /* sorted "SHA256:..." */
    size_t nfps;
    struct rblock *blocks;      /* sorted by subject */
    size_t nblocks;
};

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
cmp_block(const void *a, const void *b)
{
    return strcmp(((const struct rblock *)a)->subject,
        ((const struct rblock *)b)->subject);
}

void
revset_free(struct revset *s)
{
    size_t i;

    if (s == NULL)
        return;
    jsonv_strv_free(s->fps, s->nfps);
    for (i = 0; i < s->nblocks; i++) {
        free(s->blocks[i].subject);
        free(s->blocks[i].issuer);
    }
    free(s->blocks);
    free(s);
}

int
revset_build(const struct ledger_snapshot *snap, struct revset **setp)
{
    struct revset *s = NULL;
    struct rblock *b;
    size_t i;
    int r = MESHCA_ERR_ALLOC;

    *setp = NULL;
    if ((s = calloc(1, sizeof(*s))) == NULL ||
        (s->fps = calloc(snap->n + 1, sizeof(*s->fps))) == NULL ||
        (s->blocks = calloc(snap->n + 1, sizeof(*s->blocks))) == NULL)
        goto out;
    for (i = 0; i < snap->n; i++) {
        const struct ledger_revoked *e = &snap->entries[i];

        if (e->kind == NULL || e->value == NULL) {
            r = MESHCA_ERR_INVALID_FORMAT;
            goto out;
        }
        /* Every entry is kept or the whole build fails: a set missing one
         * revoked key would let that key be certified again. */
        if (strcmp(e->kind, "key_fingerprint") == 0) {
            if ((s->fps[s->nfps] = strdup(e->value)) == NULL)
                goto out;
            s->nfps++;
        } else if (strcmp(e->kind, "block") == 0) {
            b = &s->blocks[s->nblocks];
            if ((b->subject = strdup(e->value)) == NULL ||
                (e->issuer != NULL &&
                    (b->issuer = strdup(e->issuer)) == NULL)) {
                free(b->subject);
                b->subject = NULL;
                goto out;
            }
            b->until = e->until;
            s->nblocks++;
        }
    }
    qsort(s->fps, s->nfps, sizeof(*s->fps), cmp_str);
    qsort(s->blocks, s->nblocks, sizeof(*s->blocks), cmp_block);
    *setp = s;
    s = NULL;
    r = 0;
out:
    revset_free(s);
    return r;
}

/* The first block for subject (blocks are sorted by subject), or NULL. */
static const struct rblock *
first_block(const struct revset *s, const char *subject)
{
    size_t lo = 0, hi = s->nblocks, mid;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        if (strcmp(s->blocks[mid].subject, subject) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < s->nblocks && strcmp(s->blocks[lo].subject, subject) == 0)
        return &s->blocks[lo];
    return NULL;
}

int
revset_refuse(const struct revset *s, const char *keyfp, const char *issuer,
    const char *subject, int64_t now, char *why, size_t whylen)
{
    const struct rblock *b, *end;
    int64_t until = 0;
    char t[MESHCA_TIME_BUFLEN];

    if (s == NULL) {
        snprintf(why, whylen, "the revocation list has not been loaded "
            "from the ledger yet, so no certificate can be issued");
        return MESHCA_ERR_UNAVAILABLE;
    }
    if (keyfp != NULL && s->nfps > 0 &&
        bsearch(&keyfp, s->fps, s->nfps, sizeof(char *), cmp_str) != NULL) {
        snprintf(why, whylen, "this public key (%s) has been revoked; make a "
            "new key", keyfp);
        return 1;
    }
    if (subject == NULL || (b = first_block(s, subject)) == NULL)
        return 0;
    for (end = s->blocks + s->nblocks; b < end &&
        strcmp(b->subject, subject) == 0; b++)
        if ((b->issuer == NULL || (issuer != NULL &&
            strcmp(b->issuer, issuer) == 0)) && b->until > now &&
            b->until > until)
            until = b->until;
    if (until == 0)
        return 0;
    snprintf(why, whylen, "new certificates for %s are blocked until %s by "
        "an administrator", subject, meshca_time_format(until, t, sizeof(t)));
    return 1;
}

size_t
revset_nkeys(const struct revset *s)
{
    return s != NULL ? s->nfps : 0;
}

size_t
revset_nblocks(const struct revset *s)
{
    return s != NULL ? s->nblocks : 0;
}
