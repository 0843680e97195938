#include "columns.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t elem_size(col_type type) {
  switch (type) {
  case COL_BOOL: return sizeof(int8_t);
  case COL_INT: case COL_TIME: case COL_DURATION: return sizeof(int64_t);
  case COL_DOUBLE: return sizeof(double);
  case COL_STRING: case COL_BYTES: return sizeof(strref);
  default: return 0;
  }
}

table *table_new(void) {
  table *t = calloc(1, sizeof *t);
  if (t == NULL) return NULL;
  bytebuf_init(&t->arena);
  /* Offset 0 is a valid empty string, so a zero strref reads as "". */
  if (bytebuf_append(&t->arena, "", 1) != 0) {
    free(t);
    return NULL;
  }
  return t;
}

void table_free(table *t) {
  if (t == NULL) return;
  for (size_t i = 0; i < t->ncol; i++) {
    free(t->cols[i].name);
    free(t->cols[i].data);
    free(t->cols[i].na);
  }
  free(t->cols);
  free(t->slots);
  bytebuf_free(&t->arena);
  free(t);
}

static uint64_t hash_bytes(const char *s, size_t len) {
  uint64_t h = 1469598103934665603ULL; /* FNV-1a */
  for (size_t i = 0; i < len; i++) {
    h ^= (unsigned char) s[i];
    h *= 1099511628211ULL;
  }
  return h;
}

static int rehash(table *t, size_t nslots) {
  int32_t *slots = malloc(nslots * sizeof *slots);
  if (slots == NULL) return -1;
  for (size_t i = 0; i < nslots; i++) slots[i] = -1;
  for (size_t c = 0; c < t->ncol; c++) {
    size_t i = hash_bytes(t->cols[c].name, t->cols[c].name_len) & (nslots - 1);
    while (slots[i] >= 0) i = (i + 1) & (nslots - 1);
    slots[i] = (int32_t) c;
  }
  free(t->slots);
  t->slots = slots;
  t->nslots = nslots;
  return 0;
}

int table_find(const table *t, const char *name, size_t len) {
  if (t->nslots == 0) return -1;
  size_t i = hash_bytes(name, len) & (t->nslots - 1);
  while (t->slots[i] >= 0) {
    const column *col = &t->cols[t->slots[i]];
    if (col->name_len == len && memcmp(col->name, name, len) == 0) return t->slots[i];
    i = (i + 1) & (t->nslots - 1);
  }
  return -1;
}

int table_column(table *t, const char *name, size_t len, col_role role) {
  int found = table_find(t, name, len);
  if (found >= 0) return found;
  if (t->ncol >= INT32_MAX - 1) return -1;
  if (t->ncol == t->capcol) {
    size_t cap = t->capcol ? 2 * t->capcol : 8;
    column *cols = realloc(t->cols, cap * sizeof *cols);
    if (cols == NULL) return -1;
    t->cols = cols;
    t->capcol = cap;
  }
  column *col = &t->cols[t->ncol];
  memset(col, 0, sizeof *col);
  col->name = malloc(len + 1);
  if (col->name == NULL) return -1;
  memcpy(col->name, name, len);
  col->name[len] = '\0';
  col->name_len = len;
  col->role = role;
  col->type = COL_EMPTY;
  col->all_int32 = 1;
  t->ncol++;
  if (2 * t->ncol > t->nslots) {
    if (rehash(t, t->nslots ? 2 * t->nslots : 16) != 0) {
      t->ncol--;
      free(col->name);
      return -1;
    }
  } else {
    size_t i = hash_bytes(name, len) & (t->nslots - 1);
    while (t->slots[i] >= 0) i = (i + 1) & (t->nslots - 1);
    t->slots[i] = (int32_t) (t->ncol - 1);
  }
  return (int) (t->ncol - 1);
}

int table_intern(table *t, const char *s, size_t len, strref *out) {
  if (len > UINT32_MAX) return -1;
  out->off = t->arena.len;
  out->len = (uint32_t) len;
  /* A terminating NUL keeps every arena string usable as a C string. */
  if (bytebuf_reserve(&t->arena, len + 1) != 0) return -1;
  bytebuf_append(&t->arena, s, len);
  bytebuf_append(&t->arena, "", 1);
  return 0;
}

/* Makes room for rows [0, row] and pads [n, row) with NA. */
static int col_prepare(column *col, size_t row) {
  if (row >= col->cap) {
    size_t cap = col->cap ? col->cap : 64;
    while (cap <= row) cap *= 2;
    size_t es = elem_size(col->type);
    if (es) {
      void *d = realloc(col->data, cap * es);
      if (d == NULL) return -1;
      col->data = d;
    }
    if (col->na) {
      uint8_t *na = realloc(col->na, cap);
      if (na == NULL) return -1;
      memset(na + col->cap, 0, cap - col->cap);
      col->na = na;
    }
    col->cap = cap;
  }
  if (row > col->n) {
    if (col->na == NULL) {
      col->na = calloc(col->cap, 1);
      if (col->na == NULL) return -1;
    }
    memset(col->na + col->n, 1, row - col->n);
    /* Zero the data under NA so a later widening reads defined values. */
    size_t es = elem_size(col->type);
    if (es) memset((char *) col->data + col->n * es, 0, (row - col->n) * es);
  }
  return 0;
}

static void col_done(column *col, size_t row, int is_na) {
  if (col->na) col->na[row] = (uint8_t) is_na;
  if (row + 1 > col->n) col->n = row + 1;
}

static int is_na_at(const column *col, size_t i) {
  return col->na != NULL && col->na[i];
}

/* Writes existing values of a column as text into the arena. */
static int col_to_string(table *t, column *col) {
  if (col->type == COL_BYTES) { /* already arena text */
    col->type = COL_STRING;
    return 0;
  }
  /* Zeroed: rows past n (NA padding a put is about to extend over) must read as "" later. */
  strref *refs = calloc(col->cap ? col->cap : 1, sizeof *refs);
  if (refs == NULL) return -1;
  char tmp[64];
  for (size_t i = 0; i < col->n; i++) {
    refs[i].off = 0;
    refs[i].len = 0;
    if (is_na_at(col, i)) continue;
    int len = 0;
    switch (col->type) {
    case COL_BOOL: len = snprintf(tmp, sizeof tmp, "%s", ((int8_t *) col->data)[i] ? "true" : "false"); break;
    case COL_INT: case COL_TIME: case COL_DURATION: len = snprintf(tmp, sizeof tmp, "%" PRId64, ((int64_t *) col->data)[i]); break;
    case COL_DOUBLE: len = snprintf(tmp, sizeof tmp, "%.17g", ((double *) col->data)[i]); break;
    default: break;
    }
    if (len < 0 || table_intern(t, tmp, (size_t) len, &refs[i]) != 0) {
      free(refs);
      return -1;
    }
  }
  free(col->data);
  col->data = refs;
  col->type = COL_STRING;
  return 0;
}

/* Whether a double holds v exactly. (int64_t) of a double >= 2^63 is undefined behaviour, so
 * the range is checked before casting back: (double) INT64_MAX rounds up to 2^63. */
static int int64_fits_double(int64_t v) {
  double d = (double) v;
  return d < 9223372036854775808.0 && (int64_t) d == v;
}

static int col_int_to_double(column *col) {
  /* Same element size: convert in place. */
  int64_t *src = col->data;
  double *dst = col->data;
  for (size_t i = 0; i < col->n; i++) {
    int64_t v = src[i];
    if (!is_na_at(col, i) && !int64_fits_double(v)) col->inexact = 1;
    dst[i] = (double) v;
  }
  col->type = COL_DOUBLE;
  return 0;
}

/* Brings the column to a type that can hold a value of type `want`: integers widen to double,
 * any other disagreement to text (booleans never become numbers). */
static int col_accept(table *t, column *col, col_type want) {
  if (col->type == want) return 0;
  if (col->type == COL_EMPTY) {
    size_t es = elem_size(want);
    void *d = calloc(col->cap ? col->cap : 1, es);
    if (d == NULL) return -1;
    col->data = d;
    col->type = want;
    return 0;
  }
  if (col->type == COL_STRING) return 0;
  if (col->type == COL_DOUBLE && want == COL_INT) return 0;
  if (col->type == COL_INT && want == COL_DOUBLE) return col_int_to_double(col);
  return col_to_string(t, col);
}

static column *col_at(table *t, int c, size_t row) {
  if (t->failed || c < 0 || (size_t) c >= t->ncol) return NULL;
  column *col = &t->cols[c];
  if (row >= col->n && col_prepare(col, row) != 0) {
    t->failed = 1;
    return NULL;
  }
  return col;
}

int col_put_na(table *t, int c, size_t row) {
  column *col = col_at(t, c, row);
  if (col == NULL) return -1;
  if (col->na == NULL) {
    col->na = calloc(col->cap, 1);
    if (col->na == NULL) return t->failed = 1, -1;
  }
  size_t es = elem_size(col->type);
  if (es) memset((char *) col->data + row * es, 0, es);
  col_done(col, row, 1);
  return 0;
}

static int put_text(table *t, column *col, size_t row, const char *s, size_t len) {
  strref r;
  if (table_intern(t, s, len, &r) != 0) return -1;
  ((strref *) col->data)[row] = r;
  return 0;
}

int col_put_bool(table *t, int c, size_t row, int v) {
  column *col = col_at(t, c, row);
  if (col == NULL || col_accept(t, col, COL_BOOL) != 0) return t->failed = 1, -1;
  if (col->type == COL_BOOL) {
    ((int8_t *) col->data)[row] = (int8_t) (v != 0);
  } else if (put_text(t, col, row, v ? "true" : "false", v ? 4 : 5) != 0) {
    return t->failed = 1, -1;
  }
  col_done(col, row, 0);
  return 0;
}

int col_put_int(table *t, int c, size_t row, int64_t v) {
  column *col = col_at(t, c, row);
  if (col == NULL || col_accept(t, col, COL_INT) != 0) return t->failed = 1, -1;
  switch (col->type) {
  case COL_INT:
    ((int64_t *) col->data)[row] = v;
    /* INT32_MIN is R's NA_integer_, so it does not fit either. */
    if (v > INT32_MAX || v <= INT32_MIN) col->all_int32 = 0;
    break;
  case COL_DOUBLE:
    ((double *) col->data)[row] = (double) v;
    if (!int64_fits_double(v)) col->inexact = 1;
    break;
  default: {
    char tmp[32];
    int len = snprintf(tmp, sizeof tmp, "%" PRId64, v);
    if (put_text(t, col, row, tmp, (size_t) len) != 0) return t->failed = 1, -1;
  }
  }
  col_done(col, row, 0);
  return 0;
}

int col_put_double(table *t, int c, size_t row, double v, int inexact) {
  column *col = col_at(t, c, row);
  if (col == NULL || col_accept(t, col, COL_DOUBLE) != 0) return t->failed = 1, -1;
  if (col->type == COL_DOUBLE) {
    ((double *) col->data)[row] = v;
    if (inexact) col->inexact = 1;
  } else {
    char tmp[40];
    int len = snprintf(tmp, sizeof tmp, "%.17g", v);
    if (put_text(t, col, row, tmp, (size_t) len) != 0) return t->failed = 1, -1;
  }
  col_done(col, row, 0);
  return 0;
}

/* An int64 of a given meaning (time, duration) or, in a column widened to text, its digits. */
static int put_int64_as(table *t, int c, size_t row, int64_t v, col_type type) {
  column *col = col_at(t, c, row);
  if (col == NULL || col_accept(t, col, type) != 0) return t->failed = 1, -1;
  if (col->type == type) {
    ((int64_t *) col->data)[row] = v;
  } else {
    char tmp[32];
    int len = snprintf(tmp, sizeof tmp, "%" PRId64, v);
    if (put_text(t, col, row, tmp, (size_t) len) != 0) return t->failed = 1, -1;
  }
  col_done(col, row, 0);
  return 0;
}

int col_put_time(table *t, int c, size_t row, int64_t ns) { return put_int64_as(t, c, row, ns, COL_TIME); }

int col_put_str(table *t, int c, size_t row, const char *s, size_t len) {
  column *col = col_at(t, c, row);
  if (col == NULL || col_accept(t, col, COL_STRING) != 0) return t->failed = 1, -1;
  if (put_text(t, col, row, s, len) != 0) return t->failed = 1, -1;
  col_done(col, row, 0);
  return 0;
}

int col_put_duration(table *t, int c, size_t row, int64_t ns) { return put_int64_as(t, c, row, ns, COL_DURATION); }

int col_put_bytes(table *t, int c, size_t row, const unsigned char *p, size_t len) {
  column *col = col_at(t, c, row);
  if (col == NULL || col_accept(t, col, COL_BYTES) != 0) return t->failed = 1, -1;
  if (put_text(t, col, row, (const char *) p, len) != 0) return t->failed = 1, -1;
  col_done(col, row, 0);
  return 0;
}

int col_put_ref(table *t, int c, size_t row, strref ref) {
  column *col = col_at(t, c, row);
  if (col == NULL || col_accept(t, col, COL_STRING) != 0) return t->failed = 1, -1;
  ((strref *) col->data)[row] = ref;
  col_done(col, row, 0);
  return 0;
}

int col_fill_ref(table *t, int c, size_t from, size_t to, strref ref) {
  if (t->failed || c < 0 || (size_t) c >= t->ncol) return -1;
  /* Rows a value column of the same name already wrote keep their values. */
  if (from < t->cols[c].n) from = t->cols[c].n;
  if (from >= to) return 0;
  if (col_put_ref(t, c, to - 1, ref) != 0) return -1;
  column *col = &t->cols[c];
  strref *d = col->data;
  for (size_t i = from; i + 1 < to; i++) d[i] = ref;
  if (col->na) memset(col->na + from, 0, to - from);
  return 0;
}

int table_finish(table *t) {
  if (t->failed) return -1;
  for (size_t c = 0; c < t->ncol; c++) {
    column *col = &t->cols[c];
    if (col->n < t->nrow) {
      if (col_put_na(t, (int) c, t->nrow - 1) != 0) return -1;
    }
  }
  return 0;
}
