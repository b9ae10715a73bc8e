/* CSV cells, see meshca/csv.h. */
#include <string.h>

#include "meshca/csv.h"

int
csv_put_cell(struct meshca_buf *b, const char *s, size_t n)
{
    size_t i, from = 0;
    int r;

    if (s == NULL)
        n = 0;
    if ((r = meshca_buf_put(b, "\"", 1)) != 0)
        return r;
    if (n > 0 && memchr("=+-@\t\r", s[0], 6) != NULL &&
        (r = meshca_buf_put(b, "'", 1)) != 0)
        return r;
    for (i = 0; i < n; i++) {
        if (s[i] != '"')
            continue;
        if ((r = meshca_buf_put(b, s + from, i + 1 - from)) != 0)
            return r;
        from = i; /* the quote is written again: doubled */
    }
    if ((r = meshca_buf_put(b, s + from, n - from)) != 0 ||
        (r = meshca_buf_put(b, "\"", 1)) != 0)
        return r;
    return 0;
}
