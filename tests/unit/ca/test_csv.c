/* Unit tests for ca/csv.c: RFC 4180 quoting and the formula guard. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meshca/csv.h"
#include "../../lib/unit.h"

/* The cell for n bytes at s, as a new string. */
static char *
cell(const char *s, size_t n)
{
    struct meshca_buf *b = meshca_buf_new(1024);
    char *out = NULL;

    ASSERT(b != NULL);
    ASSERT_OK(csv_put_cell(b, s, n));
    ASSERT_OK(meshca_buf_take_cstring(&b, &out, NULL));
    return out;
}

/* Whole cells: quoted, and guarded when they start like a formula (also the
 * cells of api/query.c's CSV export). */
TEST(test_csv_cell_quotes_and_doubles_quotes)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        { "", "\"\"" },
        { "plain", "\"plain\"" },
        { "a,b", "\"a,b\"" },
        { "say \"hi\"", "\"say \"\"hi\"\"\"" },
        { "\"", "\"\"\"\"" },
        { "line\nbreak", "\"line\nbreak\"" },
        { "payments/api", "\"payments/api\"" },
        { "a \"quoted\" word", "\"a \"\"quoted\"\" word\"" },
        { "=1+1", "\"'=1+1\"" },
        { "+1", "\"'+1\"" },
        { "-1", "\"'-1\"" },
        { "@SUM(A1)", "\"'@SUM(A1)\"" },
        { "\t=cmd", "\"'\t=cmd\"" },
        { "\r=cmd", "\"'\r=cmd\"" },
    };
    size_t i;
    char *c;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        c = cell(cases[i].in, strlen(cases[i].in));
        ASSERT_STR_EQ(c, cases[i].want);
        free(c);
    }
    c = cell(NULL, 5);
    ASSERT_STR_EQ(c, "\"\"");
    free(c);
}

TEST(test_csv_cell_guards_formulas_including_tab_and_cr)
{
    static const char *const lead = "=+-@\t\r";
    char in[4], want[8], *c;
    size_t i;

    for (i = 0; lead[i] != '\0'; i++) {
        snprintf(in, sizeof(in), "%c1", lead[i]);
        snprintf(want, sizeof(want), "\"'%c1\"", lead[i]);
        c = cell(in, strlen(in));
        ASSERT_STR_EQ(c, want);
        free(c);
    }
    c = cell("a=1", 3);
    ASSERT_STR_EQ(c, "\"a=1\"");
    free(c);
}

TEST(test_csv_cell_counts_bytes_not_nul)
{
    char *c = cell("ab\"cd", 3);

    ASSERT_STR_EQ(c, "\"ab\"\"\"");
    free(c);
}

/* A cell that does not fit is an error (the buffer's size limit holds). */
TEST(test_csv_cell_refuses_a_full_buffer)
{
    struct meshca_buf *b = meshca_buf_new(8);

    ASSERT(b != NULL);
    ASSERT_ERR(csv_put_cell(b, "=twelve bytes", 13),
        MESHCA_ERR_NO_BUFFER_SPACE);
    ASSERT(meshca_buf_len(b) <= 8);
    meshca_buf_free(b);
}

UNIT_MAIN(T(test_csv_cell_quotes_and_doubles_quotes),
    T(test_csv_cell_guards_formulas_including_tab_and_cr),
    T(test_csv_cell_counts_bytes_not_nul),
    T(test_csv_cell_refuses_a_full_buffer))
