/*
 * CSV (RFC 4180) for reports a person opens in a spreadsheet.
 */
#ifndef MESHCA_CSV_H
#define MESHCA_CSV_H

#include <stddef.h>

#include "meshca/buf.h"

/* Appends one cell holding n bytes at s (s NULL: empty): always quoted,
 * inner quotes doubled, and a cell that starts with = + - @, tab or CR gets
 * a leading ' so a spreadsheet never runs it as a formula (OWASP).
 * Returns 0 or a negative error; on error part of the cell may have been
 * appended. */
int csv_put_cell(struct meshca_buf *b, const char *s, size_t n) MESHCA_WUR;

#endif
