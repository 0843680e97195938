/* mmap's MAP_ANONYMOUS is not in strict C11's view of the system headers. */
#if !defined(_WIN32) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE
#endif
#include "columns.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where whole segments come from. Pages mapped from the system go back to it the moment a column
 * is released, whatever the allocator would do with a freed block in the middle of its heap (keep
 * it, resident, while R asks for fresh memory for the vector that replaces it). Under
 * AddressSanitizer they come from malloc, so that the fuzzer sees overruns; on Windows too (its
 * heap maps and unmaps blocks of this size itself). */
#if defined(__SANITIZE_ADDRESS__) || defined(_WIN32)
#define COL_PAGES_FROM_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COL_PAGES_FROM_MALLOC 1
#endif
#endif
#ifndef COL_PAGES_FROM_MALLOC
#include <sys/mman.h>
#if !defined(MAP_ANONYMOUS) && defined(MAP_ANON)
#define MAP_ANONYMOUS MAP_ANON
#endif
#ifndef MAP_ANONYMOUS
#define COL_PAGES_FROM_MALLOC 1
#endif
#endif

#define SEG_MASK (COL_SEG_ROWS - 1)
#define NA_BYTES (COL_SEG_ROWS / 8 > 0 ? COL_SEG_ROWS / 8 : 1)
#define FIRST_ROWS 64         /* the first segment's first size */
#define FIRST_HEAP_ROWS 4096  /* and its largest from malloc: freed blocks of the heap stay
                               * resident, of no use to R's next vector if they are large */
#define INTERN_MAX_SLOTS ((size_t) 1 << 16)
#define DISTINCT_AFTER 4096 /* look-ups after which a column that found almost nothing stops */

/* Allocations of this file held now (segments and NA maps; the arena is a counted bytebuf). */
static long live_blocks = 0;

long table_live_segments(void) { return live_blocks; }

/* Zeroed memory for a whole segment. */
static void *pages_alloc(size_t bytes) {
#ifdef COL_PAGES_FROM_MALLOC
  void *p = calloc(1, bytes);
#else
  void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) p = NULL;
#endif
  if (p != NULL) live_blocks++;
  return p;
}

static void pages_free(void *p, size_t bytes) {
  if (p == NULL) return;
  live_blocks--;
#ifdef COL_PAGES_FROM_MALLOC
  (void) bytes;
  free(p);
#else
  munmap(p, bytes);
#endif
}

static size_t elem_size(col_type type) {
  switch (type) {
  case COL_BOOL: return sizeof(int8_t);
  case COL_INT: case COL_TIME: case COL_DURATION: return sizeof(int64_t);
  case COL_DOUBLE: return sizeof(double);
  case COL_STRING: case COL_BYTES: return sizeof(uint64_t);
  default: return 0;
  }
}

/* Rows segment s has room for. */
static size_t seg_rows(const column *col, size_t s) { return s == 0 ? col->cap0 : COL_SEG_ROWS; }

/* Zeroed room for segment s's elements of size es: whole segments from pages. */
static int seg_data_alloc(const column *col, size_t s, size_t es, col_segment *out) {
  size_t rows = seg_rows(col, s), bytes = rows * es;
  void *p;
  out->pages = rows == COL_SEG_ROWS;
  if (out->pages) {
    p = pages_alloc(bytes);
  } else if ((p = calloc(bytes ? bytes : 1, 1)) != NULL) {
    live_blocks++;
  }
  if (p == NULL) return -1;
  out->data = p;
  out->bytes = bytes;
  return 0;
}

static void seg_data_free(col_segment *seg) {
  if (seg->data == NULL) return;
  if (seg->pages) {
    pages_free(seg->data, seg->bytes);
  } else {
    live_blocks--;
    free(seg->data);
  }
  seg->data = NULL;
  seg->bytes = 0;
}

static void col_free_values(column *col) {
  for (size_t s = 0; s < col->nsegs; s++) {
    seg_data_free(&col->segs[s]);
    if (col->segs[s].na != NULL) live_blocks--;
    free(col->segs[s].na);
  }
  free(col->segs);
  col->segs = NULL;
  col->nsegs = col->capsegs = col->cap0 = 0;
  col->n = 0;
  col->last = 0;
}

table *table_new(void) {
  table *t = calloc(1, sizeof *t);
  if (t == NULL) return NULL;
  bytebuf_init(&t->arena);
  /* Entry 0 is the empty string, and a zero strref reads as "" (4 zero bytes, then a NUL). */
  if (bytebuf_append(&t->arena, "\0\0\0\0", 5) != 0) {
    free(t);
    return NULL;
  }
  return t;
}

void table_release_strings(table *t) {
  bytebuf_free(&t->arena);
  free(t->interned);
  t->interned = NULL;
  t->ninterned = t->capinterned = 0;
}

void table_free(table *t) {
  if (t == NULL) return;
  for (size_t i = 0; i < t->ncol; i++) {
    free(t->cols[i].name);
    col_free_values(&t->cols[i]);
  }
  free(t->cols);
  free(t->slots);
  table_release_strings(t);
  free(t);
}

void col_release(table *t, int c) {
  if (c >= 0 && (size_t) c < t->ncol) col_free_values(&t->cols[c]);
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

/* ---- strings ---------------------------------------------------------------------------------- */

static uint32_t entry_len(const table *t, uint64_t entry) {
  uint32_t len;
  memcpy(&len, t->arena.data + entry, sizeof len);
  return len;
}

const char *table_entry(const table *t, uint64_t entry, size_t *len) {
  *len = entry_len(t, entry);
  return (const char *) t->arena.data + entry + sizeof(uint32_t);
}


static int entry_is(const table *t, uint64_t entry, const char *s, size_t len) {
  return entry_len(t, entry) == len && memcmp(t->arena.data + entry + sizeof(uint32_t), s, len) == 0;
}

static void intern_put(intern_slot *slots, size_t cap, uint64_t entry, uint64_t hash) {
  size_t i = hash & (cap - 1);
  while (slots[i].entry != 0) i = (i + 1) & (cap - 1);
  slots[i].entry = entry + 1;
  slots[i].hash = hash;
}

/* Notes a new entry among the interned strings while there is room: beyond INTERN_MAX_SLOTS / 2
 * distinct strings (values, not tags), new ones are stored without being looked up later. */
static void intern_note(table *t, uint64_t entry, uint64_t hash) {
  if (2 * (t->ninterned + 1) > t->capinterned) {
    if (t->capinterned >= INTERN_MAX_SLOTS) return;
    size_t cap = t->capinterned ? 2 * t->capinterned : 64;
    intern_slot *slots = calloc(cap, sizeof *slots);
    if (slots == NULL) return; /* an index that cannot grow only stores repeats twice */
    for (size_t i = 0; i < t->capinterned; i++)
      if (t->interned[i].entry != 0) intern_put(slots, cap, t->interned[i].entry - 1, t->interned[i].hash);
    free(t->interned);
    t->interned = slots;
    t->capinterned = cap;
  }
  intern_put(t->interned, t->capinterned, entry, hash);
  t->ninterned++;
}

/* A new entry at the arena's end. */
static int append_entry(table *t, const char *s, size_t len, uint64_t *entry) {
  if (len > UINT32_MAX - 1) return -1;
  if (bytebuf_reserve(&t->arena, sizeof(uint32_t) + len + 1) != 0) return -1;
  *entry = t->arena.len;
  uint32_t l = (uint32_t) len;
  bytebuf_append(&t->arena, &l, sizeof l);
  bytebuf_append(&t->arena, s, len);
  /* A terminating NUL keeps every arena string usable as a C string. */
  bytebuf_append(&t->arena, "", 1);
  return 0;
}

/* The entry of a string, found among the interned ones (*found = 1) or added. */
static int intern_entry(table *t, const char *s, size_t len, uint64_t *entry, int *found) {
  uint64_t h = hash_bytes(s, len);
  *found = 0;
  if (t->capinterned > 0) {
    for (size_t i = h & (t->capinterned - 1); t->interned[i].entry != 0; i = (i + 1) & (t->capinterned - 1)) {
      if (t->interned[i].hash == h && entry_is(t, t->interned[i].entry - 1, s, len)) {
        *entry = t->interned[i].entry - 1;
        *found = 1;
        return 0;
      }
    }
  }
  if (append_entry(t, s, len, entry) != 0) return -1;
  intern_note(t, *entry, h);
  return 0;
}

int table_intern(table *t, const char *s, size_t len, strref *out) {
  uint64_t entry;
  int found;
  if (intern_entry(t, s, len, &entry, &found) != 0) return -1;
  out->off = entry + sizeof(uint32_t);
  out->len = (uint32_t) len;
  return 0;
}

/* ---- segments --------------------------------------------------------------------------------- */

static void *row_ptr(const column *col, size_t row) {
  return (char *) col->segs[row >> COL_SEG_SHIFT].data + (row & SEG_MASK) * elem_size(col->type);
}

const void *col_rows(const column *col, size_t first, size_t *len) {
  size_t in_seg = COL_SEG_ROWS - (first & SEG_MASK);
  size_t left = col->n - first;
  *len = left < in_seg ? left : in_seg;
  return row_ptr(col, first);
}

int col_get_int64(const table *t, int c, size_t row, int64_t *v) {
  if (c < 0 || (size_t) c >= t->ncol) return -1;
  const column *col = &t->cols[c];
  if (row >= col->n || col_is_na(col, row)) return -1;
  if (col->type != COL_INT && col->type != COL_TIME && col->type != COL_DURATION) return -1;
  memcpy(v, row_ptr(col, row), sizeof *v);
  return 0;
}

static int set_na_bit(column *col, size_t row, int is_na) {
  col_segment *seg = &col->segs[row >> COL_SEG_SHIFT];
  size_t i = row & SEG_MASK;
  if (seg->na == NULL) {
    if (!is_na) return 0;
    seg->na = calloc(NA_BYTES, 1);
    if (seg->na == NULL) return -1;
    live_blocks++;
  }
  if (is_na) seg->na[i >> 3] |= (uint8_t) (1u << (i & 7));
  else seg->na[i >> 3] &= (uint8_t) ~(1u << (i & 7));
  return 0;
}

/* Marks rows [from, to) NA; their values are zero (never written). */
static int set_na_range(column *col, size_t from, size_t to) {
  while (from < to) {
    col_segment *seg = &col->segs[from >> COL_SEG_SHIFT];
    size_t i = from & SEG_MASK, end = COL_SEG_ROWS - i < to - from ? COL_SEG_ROWS : i + (to - from);
    if (seg->na == NULL) {
      seg->na = calloc(NA_BYTES, 1);
      if (seg->na == NULL) return -1;
      live_blocks++;
    }
    for (; i < end && (i & 7); i++) seg->na[i >> 3] |= (uint8_t) (1u << (i & 7));
    if (end - i >= 8) {
      memset(seg->na + (i >> 3), 0xff, (end - i) >> 3);
      i += (end - i) & ~(size_t) 7;
    }
    for (; i < end; i++) seg->na[i >> 3] |= (uint8_t) (1u << (i & 7));
    from = (from & ~SEG_MASK) + end;
  }
  return 0;
}

/* Grows the first segment to hold `rows` rows: doubling, then to a whole segment. */
static int grow_first(column *col, size_t rows) {
  if (rows <= col->cap0) return 0;
  size_t old = col->cap0, cap = old ? old : FIRST_ROWS;
  while (cap < rows) cap *= 2;
  if (cap > FIRST_HEAP_ROWS || cap > COL_SEG_ROWS) cap = COL_SEG_ROWS;
  size_t es = elem_size(col->type);
  col_segment *seg = &col->segs[0];
  if (es) {
    col_segment grown;
    col->cap0 = cap;
    if (seg_data_alloc(col, 0, es, &grown) != 0) {
      col->cap0 = old;
      return -1;
    }
    if (seg->data != NULL) memcpy(grown.data, seg->data, seg->bytes);
    seg_data_free(seg);
    seg->data = grown.data;
    seg->bytes = grown.bytes;
    seg->pages = grown.pages;
  }
  col->cap0 = cap;
  return 0;
}

/* Makes room for rows [0, row]. */
static int col_room(column *col, size_t row) {
  size_t need = (row >> COL_SEG_SHIFT) + 1;
  if (need > col->capsegs) {
    size_t cap = col->capsegs ? col->capsegs : 4;
    while (cap < need) cap *= 2;
    col_segment *segs = realloc(col->segs, cap * sizeof *segs);
    if (segs == NULL) return -1;
    col->segs = segs;
    col->capsegs = cap;
  }
  if (col->nsegs == 0) {
    memset(&col->segs[0], 0, sizeof col->segs[0]);
    col->cap0 = 0;
    col->nsegs = 1;
  }
  /* Row r is in segment r >> COL_SEG_SHIFT only once the first segment is whole. */
  if (grow_first(col, need > 1 ? COL_SEG_ROWS : row + 1) != 0) return -1;
  size_t es = elem_size(col->type);
  while (col->nsegs < need) {
    col_segment *seg = &col->segs[col->nsegs];
    memset(seg, 0, sizeof *seg);
    if (es && seg_data_alloc(col, col->nsegs, es, seg) != 0) return -1;
    col->nsegs++;
  }
  return 0;
}

/* Makes room for rows [0, row] and pads [n, row) with NA. */
static int col_prepare(column *col, size_t row) {
  if (col_room(col, row) != 0) return -1;
  return row > col->n ? set_na_range(col, col->n, row) : 0;
}

static int col_done(column *col, size_t row, int is_na) {
  if (set_na_bit(col, row, is_na) != 0) return -1;
  if (row + 1 > col->n) col->n = row + 1;
  return 0;
}

/* A double as text: the shortest of 15, 16 and 17 significant digits that reads back as it (0.1
 * stays "0.1", where 17 digits would give "0.10000000000000001"). */
static int double_text(char *buf, size_t size, double v) {
  int len = 0;
  for (int prec = 15; prec <= 17; prec++) {
    len = snprintf(buf, size, "%.*g", prec, v);
    if (!isfinite(v) || strtod(buf, NULL) == v) break;
  }
  return len;
}

/* Writes existing values of a column as text into the arena, a segment at a time. */
static int col_to_string(table *t, column *col) {
  if (col->type == COL_BYTES) { /* already arena text */
    col->type = COL_STRING;
    return 0;
  }
  size_t es = elem_size(col->type);
  char tmp[64];
  for (size_t s = 0; s < col->nsegs; s++) {
    /* Zeroed: rows past n (NA padding a put is about to extend over) must read as "" later. */
    col_segment text;
    if (seg_data_alloc(col, s, sizeof(uint64_t), &text) != 0) return -1;
    uint64_t *entries = text.data;
    size_t first = s << COL_SEG_SHIFT;
    size_t rows = col->n > first ? col->n - first : 0;
    if (rows > seg_rows(col, s)) rows = seg_rows(col, s);
    const char *d = col->segs[s].data;
    for (size_t i = 0; i < rows; i++) {
      if (col_is_na(col, first + i)) continue;
      int len = 0;
      int64_t v64;
      double dv;
      switch (col->type) {
      case COL_BOOL: len = snprintf(tmp, sizeof tmp, "%s", d[i] ? "true" : "false"); break;
      case COL_INT: case COL_TIME: case COL_DURATION:
        memcpy(&v64, d + i * es, sizeof v64);
        len = snprintf(tmp, sizeof tmp, "%" PRId64, v64);
        break;
      case COL_DOUBLE:
        memcpy(&dv, d + i * es, sizeof dv);
        len = double_text(tmp, sizeof tmp, dv);
        break;
      default: break;
      }
      int found;
      if (len < 0 || intern_entry(t, tmp, (size_t) len, &entries[i], &found) != 0) {
        seg_data_free(&text);
        return -1;
      }
    }
    /* A failure in a later segment leaves this one text in a column of another type: the table
     * is then marked failed, never read, and freed by the sizes recorded here. */
    seg_data_free(&col->segs[s]);
    col->segs[s].data = text.data;
    col->segs[s].bytes = text.bytes;
    col->segs[s].pages = text.pages;
  }
  col->type = COL_STRING;
  col->last = 0;
  return 0;
}

/* Whether a double holds v exactly. (int64_t) of a double >= 2^63 is undefined behaviour, so
 * the range is checked before casting back: (double) INT64_MAX rounds up to 2^63. */
static int int64_fits_double(int64_t v) {
  double d = (double) v;
  return d < 9223372036854775808.0 && (int64_t) d == v;
}

static void col_int_to_double(column *col) {
  /* Same element size: convert in place, through memcpy (the bytes change their type). */
  for (size_t row = 0; row < col->n; row++) {
    char *p = row_ptr(col, row);
    int64_t v;
    memcpy(&v, p, sizeof v);
    if (!col_is_na(col, row) && !int64_fits_double(v)) col->inexact = 1;
    double d = (double) v;
    memcpy(p, &d, sizeof d);
  }
  col->type = COL_DOUBLE;
}

/* Brings the column to a type that can hold a value of type `want`: integers widen to double,
 * any other disagreement to text (booleans never become numbers). */
static int col_accept(table *t, column *col, col_type want) {
  if (col->type == want) return 0;
  if (col->type == COL_EMPTY) {
    size_t es = elem_size(want);
    for (size_t s = 0; s < col->nsegs; s++) {
      if (seg_data_alloc(col, s, es, &col->segs[s]) != 0) {
        while (s-- > 0) seg_data_free(&col->segs[s]);
        return -1;
      }
    }
    col->type = want;
    return 0;
  }
  if (col->type == COL_STRING) return 0;
  if (col->type == COL_DOUBLE && want == COL_INT) return 0;
  if (col->type == COL_INT && want == COL_DOUBLE) {
    col_int_to_double(col);
    return 0;
  }
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

/* ---- puts ------------------------------------------------------------------------------------- */

static int done(table *t, column *col, size_t row, int is_na) {
  if (col_done(col, row, is_na) != 0) return t->failed = 1, -1;
  return 0;
}

int col_put_na(table *t, int c, size_t row) {
  column *col = col_at(t, c, row);
  if (col == NULL) return -1;
  size_t es = elem_size(col->type);
  if (es) memset(row_ptr(col, row), 0, es);
  return done(t, col, row, 1);
}

static int put_entry(column *col, size_t row, uint64_t entry) {
  memcpy(row_ptr(col, row), &entry, sizeof entry);
  col->last = entry + 1;
  return 0;
}

/* Text into a string or bytes column: the last string put is checked first (a tag repeats on
 * row after row), then the arena's index, unless the column's values have shown to be distinct
 * (messages, ids): looking those up would only cost time. */
static int put_text(table *t, column *col, size_t row, const char *s, size_t len) {
  uint64_t entry;
  if (col->last != 0 && entry_is(t, col->last - 1, s, len)) return put_entry(col, row, col->last - 1);
  if (col->distinct_values) {
    if (append_entry(t, s, len, &entry) != 0) return -1;
    return put_entry(col, row, entry);
  }
  int found;
  if (intern_entry(t, s, len, &entry, &found) != 0) return -1;
  if (col->lookups < DISTINCT_AFTER) {
    col->lookups++;
    col->found += (uint32_t) found;
    if (col->lookups == DISTINCT_AFTER && col->found < DISTINCT_AFTER / 16) col->distinct_values = 1;
  }
  return put_entry(col, row, entry);
}

int col_put_bool_general(table *t, int c, size_t row, int v) {
  column *col = col_at(t, c, row);
  if (col == NULL || col_accept(t, col, COL_BOOL) != 0) return t->failed = 1, -1;
  if (col->type == COL_BOOL) {
    ((int8_t *) row_ptr(col, row))[0] = (int8_t) (v != 0);
  } else if (put_text(t, col, row, v ? "true" : "false", v ? 4 : 5) != 0) {
    return t->failed = 1, -1;
  }
  return done(t, col, row, 0);
}

int col_put_int_general(table *t, int c, size_t row, int64_t v) {
  column *col = col_at(t, c, row);
  if (col == NULL || col_accept(t, col, COL_INT) != 0) return t->failed = 1, -1;
  switch (col->type) {
  case COL_INT:
    memcpy(row_ptr(col, row), &v, sizeof v);
    /* INT32_MIN is R's NA_integer_, so it does not fit either. */
    if (v > INT32_MAX || v <= INT32_MIN) col->all_int32 = 0;
    break;
  case COL_DOUBLE: {
    double d = (double) v;
    memcpy(row_ptr(col, row), &d, sizeof d);
    if (!int64_fits_double(v)) col->inexact = 1;
    break;
  }
  default: {
    char tmp[32];
    int len = snprintf(tmp, sizeof tmp, "%" PRId64, v);
    if (put_text(t, col, row, tmp, (size_t) len) != 0) return t->failed = 1, -1;
  }
  }
  return done(t, col, row, 0);
}

int col_put_double_general(table *t, int c, size_t row, double v, int inexact) {
  column *col = col_at(t, c, row);
  if (col == NULL || col_accept(t, col, COL_DOUBLE) != 0) return t->failed = 1, -1;
  if (col->type == COL_DOUBLE) {
    memcpy(row_ptr(col, row), &v, sizeof v);
    if (inexact) col->inexact = 1;
  } else {
    char tmp[40];
    int len = double_text(tmp, sizeof tmp, v);
    if (put_text(t, col, row, tmp, (size_t) len) != 0) return t->failed = 1, -1;
  }
  return done(t, col, row, 0);
}

/* An int64 of a given meaning (time, duration) or, in a column widened to text, its digits. */
static int put_int64_as(table *t, int c, size_t row, int64_t v, col_type type) {
  column *col = col_next_row(t, c, row, type);
  if (col != NULL) {
    memcpy(col_next_slot(col, row, sizeof v), &v, sizeof v);
    return 0;
  }
  col = col_at(t, c, row);
  if (col == NULL || col_accept(t, col, type) != 0) return t->failed = 1, -1;
  if (col->type == type) {
    memcpy(row_ptr(col, row), &v, sizeof v);
  } else {
    char tmp[32];
    int len = snprintf(tmp, sizeof tmp, "%" PRId64, v);
    if (put_text(t, col, row, tmp, (size_t) len) != 0) return t->failed = 1, -1;
  }
  return done(t, col, row, 0);
}

int col_put_time_general(table *t, int c, size_t row, int64_t ns) { return put_int64_as(t, c, row, ns, COL_TIME); }

int col_put_str(table *t, int c, size_t row, const char *s, size_t len) {
  column *col = col_next_row(t, c, row, COL_STRING);
  if (col != NULL) return put_text(t, col, row, s, len) == 0 ? 0 : (t->failed = 1, -1);
  col = col_at(t, c, row);
  if (col == NULL || col_accept(t, col, COL_STRING) != 0) return t->failed = 1, -1;
  if (put_text(t, col, row, s, len) != 0) return t->failed = 1, -1;
  return done(t, col, row, 0);
}

int col_put_duration(table *t, int c, size_t row, int64_t ns) { return put_int64_as(t, c, row, ns, COL_DURATION); }

int col_put_bytes(table *t, int c, size_t row, const unsigned char *p, size_t len) {
  column *col = col_at(t, c, row);
  if (col == NULL || col_accept(t, col, COL_BYTES) != 0) return t->failed = 1, -1;
  if (put_text(t, col, row, (const char *) p, len) != 0) return t->failed = 1, -1;
  return done(t, col, row, 0);
}

int col_put_ref_general(table *t, int c, size_t row, strref ref) {
  column *col = col_at(t, c, row);
  if (col == NULL || col_accept(t, col, COL_STRING) != 0) return t->failed = 1, -1;
  put_entry(col, row, strref_entry(ref));
  return done(t, col, row, 0);
}

int col_fill_ref(table *t, int c, size_t from, size_t to, strref ref) {
  if (t->failed || c < 0 || (size_t) c >= t->ncol) return -1;
  /* Rows a value column of the same name already wrote keep their values. */
  if (from < t->cols[c].n) from = t->cols[c].n;
  if (from >= to) return 0;
  if (col_put_ref(t, c, from, ref) != 0) return -1;
  column *col = &t->cols[c];
  if (col_room(col, to - 1) != 0) return t->failed = 1, -1;
  /* The rows after `from` are new: not NA, so only their values are written. */
  uint64_t entry = strref_entry(ref);
  for (size_t row = from + 1; row < to; row++) memcpy(row_ptr(col, row), &entry, sizeof entry);
  col->n = to;
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
