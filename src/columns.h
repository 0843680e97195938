/* Growable typed columns that decoders fill row by row (plain C, no R API). A table is one
 * result: decoders put values at (row, column); columns a row does not mention stay NA. A column
 * whose values disagree in type widens in place: int to double, and any other disagreement (a
 * boolean and a number, say) to string, never a boolean to a number; a double becomes the shortest
 * text that reads back as it (0.1 as "0.1").
 * r_columns.c is the only place that turns a table into R vectors. */
#ifndef INFLUXTK_COLUMNS_H
#define INFLUXTK_COLUMNS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bytebuf.h"

typedef enum { COL_EMPTY, COL_BOOL, COL_INT, COL_DOUBLE, COL_TIME, COL_STRING, COL_DURATION, COL_BYTES } col_type;
typedef enum { ROLE_VALUE, ROLE_TAG, ROLE_MEASUREMENT } col_role;

/* A string in the table's arena, as table_intern returns it (the zero strref is ""). */
typedef struct {
  uint64_t off; /* into the table's string arena */
  uint32_t len;
} strref;

/* Columns are kept in segments of COL_SEG_ROWS rows, so that growing one never copies it and
 * never holds it twice, and each column can be freed on its own as soon as R has its vector
 * (col_release). Whole segments are pages from the operating system, returned to it when freed;
 * the first starts small from malloc (small results stay small) and becomes whole early. */
#ifndef COL_SEG_SHIFT
#if defined(__SANITIZE_ADDRESS__)
#define COL_SEG_SHIFT 3 /* the fuzzer (AddressSanitizer): every body crosses segment boundaries */
#else
#define COL_SEG_SHIFT 16
#endif
#endif
#define COL_SEG_ROWS ((size_t) 1 << COL_SEG_SHIFT)

typedef struct {
  void *data;   /* elements of the column's type; NULL while the column is COL_EMPTY */
  size_t bytes; /* allocated for data */
  int pages;    /* data is a whole segment from the system's pages (else from malloc) */
  uint8_t *na;  /* bit i set = row i of the segment is NA; NULL while none is */
} col_segment;

typedef struct {
  char *name;
  size_t name_len;
  col_type type;
  col_role role;
  size_t n;          /* rows written so far (NA padding included); rows from n on are zero and
                      * not NA */
  col_segment *segs; /* data: int8_t (bool), int64_t (int, time, duration), double, or the
                      * uint64_t arena offset of a string's entry (string, bytes) */
  size_t nsegs, capsegs;
  size_t cap0;       /* rows the first segment has room for */
  uint64_t last;     /* string columns: 1 + entry of the last string put, 0 for none */
  uint32_t lookups, found; /* strings looked up among the interned ones, and found there */
  int distinct_values;     /* so few were found that the column stores its strings directly */
  int all_int32;     /* COL_INT: every value fits R's integer */
  int inexact;       /* a value lost precision on the way in (uint64 above 2^63, say) */
} column;

typedef struct {
  uint64_t entry; /* 1 + arena offset of an interned string, 0 = free */
  uint64_t hash;
} intern_slot;

typedef struct {
  column *cols;
  size_t ncol, capcol;
  size_t nrow;
  bytebuf arena;   /* strings as entries: 4-byte length, the bytes, a NUL */
  intern_slot *interned; /* strings already in the arena, so a repeated one is stored once */
  size_t ninterned, capinterned;
  int32_t *slots;  /* open-addressing index of column names, -1 = free */
  size_t nslots;
  int failed;      /* memory ran out: the table must not be used */
} table;

table *table_new(void);
void table_free(table *t);

/* Index of the column called name (created with the given role if new), -1 when out of memory. */
int table_column(table *t, const char *name, size_t len, col_role role);
int table_find(const table *t, const char *name, size_t len);

/* The arena's copy of bytes, for values repeated on many rows (tags, measurement names): a string
 * already there (among the first 32768 distinct ones) is not copied again. */
int table_intern(table *t, const char *s, size_t len, strref *out);

/* Each put writes at row `row`: past the column's end (the gap becomes NA) or over an earlier
 * row (a pivot fills a field's column at rows other tables created). 0 or -1. */
int col_put_na(table *t, int c, size_t row);
int col_put_str(table *t, int c, size_t row, const char *s, size_t len);
int col_put_duration(table *t, int c, size_t row, int64_t ns);
int col_put_bytes(table *t, int c, size_t row, const unsigned char *p, size_t len);
/* The arena entry a strref names (its length comes before the bytes): the zero strref is entry
 * 0, the empty string. */
static inline uint64_t strref_entry(strref r) { return r.off >= sizeof(uint32_t) ? r.off - sizeof(uint32_t) : 0; }

/* The puts of every value of a result (below, inline) take these when a put is not the next row
 * of a column of its type with room. */
int col_put_bool_general(table *t, int c, size_t row, int v);
int col_put_int_general(table *t, int c, size_t row, int64_t v);
int col_put_double_general(table *t, int c, size_t row, double v, int inexact);
int col_put_time_general(table *t, int c, size_t row, int64_t ns);
int col_put_ref_general(table *t, int c, size_t row, strref ref);

/* The column when a put is the common one: the next row of a column already of the value's type,
 * with memory for it (decoders write row after row). Rows from n on are zero and not NA, so the
 * put only writes the value and counts the row; any other case (a gap to pad with NA, a new
 * segment, a type to widen, a row written again) is NULL here and goes the general way. Inline:
 * this is the work of every value of every decoder. */
static inline column *col_next_row(table *t, int c, size_t row, col_type type) {
  if ((size_t) c >= t->ncol || t->failed) return NULL;
  column *col = &t->cols[c];
  if (col->type != type || row != col->n || col->nsegs == 0) return NULL;
  if (row >= ((col->nsegs - 1) << COL_SEG_SHIFT) + col->cap0) return NULL;
  col->n = row + 1;
  return col;
}
static inline void *col_next_slot(column *col, size_t row, size_t es) {
  return (char *) col->segs[row >> COL_SEG_SHIFT].data + (row & (COL_SEG_ROWS - 1)) * es;
}

static inline int col_put_bool(table *t, int c, size_t row, int v) {
  column *col = col_next_row(t, c, row, COL_BOOL);
  if (col == NULL) return col_put_bool_general(t, c, row, v);
  *(int8_t *) col_next_slot(col, row, sizeof(int8_t)) = (int8_t) (v != 0);
  return 0;
}
static inline int col_put_int(table *t, int c, size_t row, int64_t v) {
  column *col = col_next_row(t, c, row, COL_INT);
  if (col == NULL) return col_put_int_general(t, c, row, v);
  memcpy(col_next_slot(col, row, sizeof v), &v, sizeof v);
  if (v > INT32_MAX || v <= INT32_MIN) col->all_int32 = 0; /* INT32_MIN is R's NA_integer_ */
  return 0;
}
static inline int col_put_double(table *t, int c, size_t row, double v, int inexact) {
  column *col = col_next_row(t, c, row, COL_DOUBLE);
  if (col == NULL) return col_put_double_general(t, c, row, v, inexact);
  memcpy(col_next_slot(col, row, sizeof v), &v, sizeof v);
  if (inexact) col->inexact = 1;
  return 0;
}
static inline int col_put_time(table *t, int c, size_t row, int64_t ns) {
  column *col = col_next_row(t, c, row, COL_TIME);
  if (col == NULL) return col_put_time_general(t, c, row, ns);
  memcpy(col_next_slot(col, row, sizeof ns), &ns, sizeof ns);
  return 0;
}
/* ref: what table_intern gave for this table (or the zero strref). */
static inline int col_put_ref(table *t, int c, size_t row, strref ref) {
  column *col = col_next_row(t, c, row, COL_STRING);
  if (col == NULL) return col_put_ref_general(t, c, row, ref);
  uint64_t entry = strref_entry(ref);
  memcpy(col_next_slot(col, row, sizeof entry), &entry, sizeof entry);
  col->last = entry + 1;
  return 0;
}
/* The same interned string on rows [from, to). */
int col_fill_ref(table *t, int c, size_t from, size_t to, strref ref);

/* Pads every column with NA to t->nrow. */
int table_finish(table *t);

/* Reading a finished table (r_columns.c). */
static inline const char *table_str(const table *t, strref r) {
  return (const char *) t->arena.data + r.off;
}
static inline int col_is_na(const column *col, size_t row) {
  const uint8_t *na = col->segs[row >> COL_SEG_SHIFT].na;
  size_t i = row & (COL_SEG_ROWS - 1);
  return na != NULL && (na[i >> 3] >> (i & 7)) & 1;
}
/* Rows [first, first + *len) of a column: its segment's elements, *len at most to the segment's
 * end. */
const void *col_rows(const column *col, size_t first, size_t *len);
/* The string at an entry of a string or bytes column. */
const char *table_entry(const table *t, uint64_t entry, size_t *len);
/* The int64 at (row, c) of an int, time or duration column: 0, or -1 when NA or of another type. */
int col_get_int64(const table *t, int c, size_t row, int64_t *v);
/* Frees a column's values once R has them (its name stays; the column reads as empty). */
void col_release(table *t, int c);
/* Frees the strings once no column needs them any more. */
void table_release_strings(table *t);
/* Segments and arena memory held now, for leak tests. */
long table_live_segments(void);

#endif
