/* Growable typed columns that decoders fill row by row (plain C, no R API). A table is one
 * result: decoders put values at (row, column); columns a row does not mention stay NA. A column
 * whose values disagree in type widens in place: int to double, and any other disagreement (a
 * boolean and a number, say) to string, never a boolean to a number.
 * r_columns.c is the only place that turns a table into R vectors. */
#ifndef INFLUXTK_COLUMNS_H
#define INFLUXTK_COLUMNS_H

#include <stddef.h>
#include <stdint.h>

#include "bytebuf.h"

typedef enum { COL_EMPTY, COL_BOOL, COL_INT, COL_DOUBLE, COL_TIME, COL_STRING, COL_DURATION, COL_BYTES } col_type;
typedef enum { ROLE_VALUE, ROLE_TAG, ROLE_MEASUREMENT } col_role;

typedef struct {
  uint64_t off; /* into the table's string arena */
  uint32_t len;
} strref;

typedef struct {
  char *name;
  size_t name_len;
  col_type type;
  col_role role;
  size_t n;       /* rows written so far (NA padding included) */
  size_t cap;
  void *data;     /* int8_t, int64_t (int, time, duration), double or strref (string, bytes) */
  uint8_t *na;    /* 1 = NA; allocated at the first NA */
  int all_int32;  /* COL_INT: every value fits R's integer */
  int inexact;    /* a value lost precision on the way in (uint64 above 2^63, say) */
} column;

typedef struct {
  column *cols;
  size_t ncol, capcol;
  size_t nrow;
  bytebuf arena;
  int32_t *slots;  /* open-addressing index of column names, -1 = free */
  size_t nslots;
  int failed;      /* memory ran out: the table must not be used */
} table;

table *table_new(void);
void table_free(table *t);

/* Index of the column called name (created with the given role if new), -1 when out of memory. */
int table_column(table *t, const char *name, size_t len, col_role role);
int table_find(const table *t, const char *name, size_t len);

/* Copies bytes into the arena once, for values repeated on many rows (tags, measurement names). */
int table_intern(table *t, const char *s, size_t len, strref *out);

/* Each put writes at row `row`: past the column's end (the gap becomes NA) or over an earlier
 * row (a pivot fills a field's column at rows other tables created). 0 or -1. */
int col_put_na(table *t, int c, size_t row);
int col_put_bool(table *t, int c, size_t row, int v);
int col_put_int(table *t, int c, size_t row, int64_t v);
int col_put_double(table *t, int c, size_t row, double v, int inexact);
int col_put_time(table *t, int c, size_t row, int64_t ns);
int col_put_str(table *t, int c, size_t row, const char *s, size_t len);
int col_put_duration(table *t, int c, size_t row, int64_t ns);
int col_put_bytes(table *t, int c, size_t row, const unsigned char *p, size_t len);
int col_put_ref(table *t, int c, size_t row, strref ref);
/* The same interned string on rows [from, to). */
int col_fill_ref(table *t, int c, size_t from, size_t to, strref ref);

/* Pads every column with NA to t->nrow. */
int table_finish(table *t);

static inline const char *table_str(const table *t, strref r) {
  return (const char *) t->arena.data + r.off;
}

#endif
