#include "decode_flux.h"
#include "utf8.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timeparse.h"

static int flux_init(flux_decoder *d, const flux_options *opt) {
  memset(d, 0, sizeof *d);
  d->opt = *opt;
  bytebuf_init(&d->pending);
  bytebuf_init(&d->cells);
  bytebuf_init(&d->defaults);
  bytebuf_init(&d->series_keys);
  bytebuf_init(&d->current_table_id);
  bytebuf_init(&d->scratch);
  d->current_series = -1;
  d->idx_result = d->idx_table = d->idx_field = d->idx_value = d->idx_time = -1;
  d->out = table_new();
  return d->out ? 0 : -1;
}

/* Everything but the result: what reading the stream needed. */
static void free_work(flux_decoder *d) {
  bytebuf_free(&d->pending);
  bytebuf_free(&d->cells);
  bytebuf_free(&d->defaults);
  bytebuf_free(&d->series_keys);
  bytebuf_free(&d->current_table_id);
  bytebuf_free(&d->scratch);
  free(d->cell_off);
  free(d->cell_len);
  free(d->types);
  free(d->group);
  free(d->default_off);
  free(d->default_len);
  free(d->colmap);
  free(d->series_slots);
  free(d->row_slots);
  table_free(d->row_keys);
  free(d->runs);
  d->cell_off = d->cell_len = d->default_off = d->default_len = NULL;
  d->ncells = d->cap_cells = 0;
  d->types = NULL;
  d->group = NULL;
  d->colmap = NULL;
  d->ncols = 0;
  d->series_slots = NULL;
  d->series_cap = d->series_count = 0;
  d->row_slots = NULL;
  d->row_cap = d->row_count = 0;
  d->row_keys = NULL;
  d->runs = NULL;
  d->runs_cap = 0;
  d->rows_hashed = 0;
}

static void flux_free(flux_decoder *d) {
  table_free(d->out);
  d->out = NULL;
  free_work(d);
}

static flux_status fail(flux_decoder *d, flux_status st, const char *fmt, ...) {
  if (d->status != FLUX_OK) return d->status;
  d->status = st;
  /* The message quotes server text and becomes an R string: invalid UTF-8 replaced, and cut
   * between characters. Formatted at twice the size first, so that the cut vsnprintf makes (which
   * may split a character) lies beyond what is kept. */
  char text[2 * sizeof d->message];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  utf8_copy_clean(d->message, sizeof d->message, text, strlen(text));
  return st;
}

static flux_status nomem(flux_decoder *d) { return fail(d, FLUX_ERR_NOMEM, "out of memory while decoding the response"); }

static const char *cell(const flux_decoder *d, size_t j) { return (const char *) d->cells.data + d->cell_off[j]; }

static int cell_is(const flux_decoder *d, size_t j, const char *s) {
  return d->cell_len[j] == strlen(s) && memcmp(cell(d, j), s, d->cell_len[j]) == 0;
}

/* Splits one record (without its line end) into unescaped, NUL-terminated cells. */
static flux_status split_record(flux_decoder *d, const char *rec, size_t n) {
  d->ncells = 0;
  d->cells.len = 0;
  size_t p = 0;
  for (;;) {
    if (d->ncells == d->cap_cells) {
      size_t cap = d->cap_cells ? 2 * d->cap_cells : 32;
      size_t *off = realloc(d->cell_off, cap * sizeof *off);
      if (off == NULL) return nomem(d);
      d->cell_off = off;
      size_t *len = realloc(d->cell_len, cap * sizeof *len);
      if (len == NULL) return nomem(d);
      d->cell_len = len;
      d->cap_cells = cap;
    }
    size_t start = d->cells.len;
    d->cell_off[d->ncells] = start;
    if (p < n && rec[p] == '"') {
      p++;
      for (;;) {
        const char *q = memchr(rec + p, '"', n - p);
        if (q == NULL) return fail(d, FLUX_ERR_MALFORMED, "a quoted cell is not closed");
        size_t k = (size_t) (q - rec);
        /* The server writes a newline inside a cell as CRLF (Go's csv with CRLF line ends);
         * like Go's reader, take CRLF inside a quoted cell as a newline. */
        for (size_t a = p; a < k; a++) {
          if (rec[a] == '\r' && a + 1 < k && rec[a + 1] == '\n') continue;
          if (bytebuf_append(&d->cells, rec + a, 1) != 0) return nomem(d);
        }
        if (k + 1 < n && rec[k + 1] == '"') {
          if (bytebuf_append(&d->cells, "\"", 1) != 0) return nomem(d);
          p = k + 2;
          continue;
        }
        p = k + 1;
        break;
      }
      if (p < n && rec[p] != ',') return fail(d, FLUX_ERR_MALFORMED, "text after a closing quote");
    } else {
      const char *q = memchr(rec + p, ',', n - p);
      size_t k = q ? (size_t) (q - rec) : n;
      if (memchr(rec + p, '"', k - p) != NULL) return fail(d, FLUX_ERR_MALFORMED, "a quote inside an unquoted cell");
      if (bytebuf_append(&d->cells, rec + p, k - p) != 0) return nomem(d);
      p = k;
    }
    d->cell_len[d->ncells] = d->cells.len - start;
    if (bytebuf_append(&d->cells, "", 1) != 0) return nomem(d);
    d->ncells++;
    if (p >= n) break;
    p++; /* the comma */
  }
  return FLUX_OK;
}

static flux_type parse_type(const char *s, size_t n) {
  if (n == 6 && memcmp(s, "string", 6) == 0) return FT_STRING;
  if (n == 6 && memcmp(s, "double", 6) == 0) return FT_DOUBLE;
  if (n == 4 && memcmp(s, "long", 4) == 0) return FT_LONG;
  if (n == 12 && memcmp(s, "unsignedLong", 12) == 0) return FT_ULONG;
  if (n == 7 && memcmp(s, "boolean", 7) == 0) return FT_BOOL;
  if (n >= 8 && memcmp(s, "dateTime", 8) == 0) return FT_TIME;
  if (n == 8 && memcmp(s, "duration", 8) == 0) return FT_DURATION;
  if (n == 12 && memcmp(s, "base64Binary", 12) == 0) return FT_BASE64;
  return FT_UNKNOWN;
}

/* Resizes the per-column schema arrays to the current record's width. */
static flux_status schema_room(flux_decoder *d, size_t n) {
  flux_type *types = realloc(d->types, n * sizeof *types);
  if (types == NULL) return nomem(d);
  d->types = types;
  uint8_t *group = realloc(d->group, n);
  if (group == NULL) return nomem(d);
  d->group = group;
  size_t *doff = realloc(d->default_off, n * sizeof *doff);
  if (doff == NULL) return nomem(d);
  d->default_off = doff;
  size_t *dlen = realloc(d->default_len, n * sizeof *dlen);
  if (dlen == NULL) return nomem(d);
  d->default_len = dlen;
  int *map = realloc(d->colmap, n * sizeof *map);
  if (map == NULL) return nomem(d);
  d->colmap = map;
  return FLUX_OK;
}

static void reset_block(flux_decoder *d) {
  d->have_header = 0;
  d->have_datatypes = 0;
  d->have_group = 0;
  d->have_default = 0;
  d->ncols = 0;
  d->defaults.len = 0;
  d->error_table = 0;
  d->current_series = -1;
  d->current_table_id.len = 0;
}

static flux_status annotation(flux_decoder *d) {
  if (d->have_header) reset_block(d); /* a new schema without a blank line before it */
  size_t n = d->ncells;
  if (d->ncols != 0 && d->ncols != n) return fail(d, FLUX_ERR_MALFORMED, "annotation rows of different widths");
  if (d->ncols == 0) {
    if (schema_room(d, n) != FLUX_OK) return d->status;
    for (size_t j = 0; j < n; j++) {
      d->types[j] = FT_STRING;
      d->group[j] = 1;
      d->default_off[j] = 0;
      d->default_len[j] = 0;
    }
    d->defaults.len = 0;
    d->ncols = n;
  }
  if (cell_is(d, 0, "#datatype")) {
    for (size_t j = 1; j < n; j++) {
      d->types[j] = parse_type(cell(d, j), d->cell_len[j]);
      if (d->types[j] == FT_UNKNOWN)
        return fail(d, FLUX_ERR_MALFORMED, "unknown datatype '%s'", cell(d, j));
    }
    d->have_datatypes = 1;
  } else if (cell_is(d, 0, "#group")) {
    for (size_t j = 1; j < n; j++) d->group[j] = cell_is(d, j, "true");
    d->have_group = 1;
  } else if (cell_is(d, 0, "#default")) {
    d->have_default = 1;
    d->defaults.len = 0;
    for (size_t j = 1; j < n; j++) {
      d->default_off[j] = d->defaults.len;
      d->default_len[j] = d->cell_len[j];
      if (bytebuf_append(&d->defaults, cell(d, j), d->cell_len[j] + 1) != 0) return nomem(d);
    }
  }
  d->open_table = 1;
  return FLUX_OK;
}

static int pivoting(const flux_decoder *d) { return d->opt.pivot && d->idx_field > 0 && d->idx_value > 0; }

/* The name a data column gets: its own, except that with table_columns a data column called
 * `result` or `table` becomes `result.1` or `table.1` beside the annotation column of that name. */
static const char *data_column_name(flux_decoder *d, size_t j, size_t *len) {
  *len = d->cell_len[j];
  if (!d->opt.table_columns || (int) j == d->idx_result || (int) j == d->idx_table) return cell(d, j);
  if (!cell_is(d, j, "result") && !cell_is(d, j, "table")) return cell(d, j);
  d->scratch.len = 0;
  if (bytebuf_append(&d->scratch, cell(d, j), d->cell_len[j]) != 0 || bytebuf_append(&d->scratch, ".1", 2) != 0)
    return NULL;
  *len = d->scratch.len;
  return (const char *) d->scratch.data;
}

static flux_status check_defaults(flux_decoder *d);

static flux_status header(flux_decoder *d) {
  size_t n = d->ncells;
  /* The query asks for these three: without them, the first data row of a block (or, with no
   * header either, any row) would be taken for its header, and every value for a string. */
  if (!d->have_datatypes || !d->have_group || !d->have_default) {
    char missing[32] = "";
    if (!d->have_datatypes) strcat(missing, " #datatype");
    if (!d->have_group) strcat(missing, " #group");
    if (!d->have_default) strcat(missing, " #default");
    return fail(d, FLUX_ERR_MALFORMED, "a table without the annotations the query asks for (missing:%s)", missing);
  }
  if (n != d->ncols) return fail(d, FLUX_ERR_MALFORMED, "the header has %zu columns, the annotations %zu", n, d->ncols);
  if (check_defaults(d) != FLUX_OK) return d->status;
  d->error_table = n == 3 && cell_is(d, 1, "error") && cell_is(d, 2, "reference");
  /* The query asks for a header, and Flux writes result and table first in every table: a
   * "header" without them is a data row (the header is missing). */
  if (!d->error_table && (n < 3 || d->cell_len[0] != 0 || !cell_is(d, 1, "result") || !cell_is(d, 2, "table")))
    return fail(d, FLUX_ERR_MALFORMED, "a table whose header does not begin with result,table (no header row?)");
  d->idx_result = d->idx_table = d->idx_field = d->idx_value = d->idx_time = -1;
  /* The annotation columns are the first two; data columns may have the same names. */
  if (!d->error_table) {
    d->idx_result = 1;
    d->idx_table = 2;
  }
  for (size_t j = 1; j < n; j++) {
    if ((int) j == d->idx_result || (int) j == d->idx_table) continue;
    if (cell_is(d, j, "_field")) d->idx_field = (int) j;
    else if (cell_is(d, j, "_value")) d->idx_value = (int) j;
    else if (cell_is(d, j, "_time")) d->idx_time = (int) j;
  }
  d->colmap[0] = -1;
  int pivot = pivoting(d);
  for (size_t j = 1; j < n; j++) {
    int skip = 0;
    int jj = (int) j;
    if (jj == d->idx_result || jj == d->idx_table) skip = !d->opt.table_columns || (pivot && jj == d->idx_table);
    /* pivot() keeps the group key, the row key (_time) and the new field columns only */
    if (pivot && (jj == d->idx_field || jj == d->idx_value)) skip = 1;
    if (pivot && !d->group[j] && jj != d->idx_time && jj != d->idx_result) skip = 1;
    d->colmap[j] = -1;
    if (!skip && !d->error_table) {
      size_t len;
      const char *name = data_column_name(d, j, &len);
      if (name == NULL) return nomem(d);
      int c = table_column(d->out, name, len, ROLE_VALUE);
      if (c < 0) return nomem(d);
      d->colmap[j] = c;
    }
  }
  d->have_header = 1;
  d->open_table = 1;
  d->current_series = -1;
  d->current_table_id.len = 0;
  return FLUX_OK;
}

/* The text of cell j with #default applied; NULL for a null cell. */
static const char *value_text(const flux_decoder *d, size_t j, size_t *len) {
  if (d->cell_len[j] > 0) {
    *len = d->cell_len[j];
    return cell(d, j);
  }
  if (d->default_len[j] > 0) {
    *len = d->default_len[j];
    return (const char *) d->defaults.data + d->default_off[j];
  }
  return NULL;
}

/* A cell's text read as its #datatype: the number in i or f (is_double), a boolean in i, base64
 * bytes in d->scratch (i of them). */
typedef struct {
  int64_t i;
  double f;
  int is_double;
} cell_value;

static flux_status parse_text(flux_decoder *d, flux_type type, const char *s, size_t len, cell_value *v) {
  /* Cells are NUL-terminated in both the record and the defaults buffers. */
  char *end;
  v->is_double = 0;
  switch (type) {
  case FT_STRING: return FLUX_OK;
  case FT_DOUBLE:
    v->f = strtod(s, &end);
    v->is_double = 1;
    return end == s + len ? FLUX_OK : fail(d, FLUX_ERR_MALFORMED, "'%s' is not a double", s);
  case FT_LONG: {
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (end != s + len || errno == ERANGE) return fail(d, FLUX_ERR_MALFORMED, "'%s' is not a long", s);
    v->i = (int64_t) x;
    return FLUX_OK;
  }
  case FT_ULONG: {
    errno = 0;
    if (s[0] == '-') return fail(d, FLUX_ERR_MALFORMED, "'%s' is not an unsignedLong", s);
    unsigned long long x = strtoull(s, &end, 10);
    if (end != s + len || errno == ERANGE) return fail(d, FLUX_ERR_MALFORMED, "'%s' is not an unsignedLong", s);
    /* Documented policy: like long below 2^63, a double (flagged inexact) above. */
    if (x <= (unsigned long long) INT64_MAX) v->i = (int64_t) x;
    else { v->f = (double) x; v->is_double = 1; }
    return FLUX_OK;
  }
  case FT_BOOL:
    if (len == 4 && memcmp(s, "true", 4) == 0) v->i = 1;
    else if (len == 5 && memcmp(s, "false", 5) == 0) v->i = 0;
    else return fail(d, FLUX_ERR_MALFORMED, "'%s' is not a boolean", s);
    return FLUX_OK;
  case FT_TIME:
    if (parse_rfc3339_ns(s, len, &v->i) != 0) return fail(d, FLUX_ERR_MALFORMED, "'%s' is not an RFC3339 time", s);
    return FLUX_OK;
  case FT_DURATION:
    if (parse_duration_ns(s, len, &v->i) != 0) return fail(d, FLUX_ERR_MALFORMED, "'%s' is not a duration", s);
    return FLUX_OK;
  case FT_BASE64: {
    d->scratch.len = 0;
    if (bytebuf_reserve(&d->scratch, len / 4 * 3 + 4) != 0) return nomem(d);
    long n = base64_decode(s, len, d->scratch.data);
    if (n < 0) return fail(d, FLUX_ERR_MALFORMED, "'%s' is not base64", s);
    v->i = n;
    return FLUX_OK;
  }
  default:
    return fail(d, FLUX_ERR_MALFORMED, "a cell of unknown type");
  }
}

static flux_status put_cell(flux_decoder *d, size_t j, int c, size_t row) {
  size_t len;
  const char *s = value_text(d, j, &len);
  table *t = d->out;
  if (s == NULL) {
    /* Flux writes null and "" alike. When the caller knows the query reads stored points (whose
     * _value is never null), an empty _value of a string table is the empty string. */
    if (d->opt.value_empty_string && (int) j == d->idx_value && d->types[j] == FT_STRING)
      return col_put_str(t, c, row, "", 0) == 0 ? FLUX_OK : nomem(d);
    return col_put_na(t, c, row) == 0 ? FLUX_OK : nomem(d);
  }
  cell_value v;
  flux_status st = parse_text(d, d->types[j], s, len, &v);
  if (st != FLUX_OK) return st;
  int rc;
  switch (d->types[j]) {
  case FT_STRING: rc = col_put_str(t, c, row, s, len); break;
  case FT_BOOL: rc = col_put_bool(t, c, row, (int) v.i); break;
  case FT_TIME: rc = col_put_time(t, c, row, v.i); break;
  case FT_DURATION: rc = col_put_duration(t, c, row, v.i); break;
  case FT_BASE64: rc = col_put_bytes(t, c, row, d->scratch.data, (size_t) v.i); break;
  default: /* double, long, unsignedLong (a double, flagged inexact, above 2^63) */
    rc = v.is_double ? col_put_double(t, c, row, v.f, d->types[j] == FT_ULONG) : col_put_int(t, c, row, v.i);
  }
  return rc == 0 ? FLUX_OK : nomem(d);
}

/* A #default must be a value of its column's type even where no cell uses it (as Flux's own
 * reader checks); a bad one is a malformed response. */
static flux_status check_defaults(flux_decoder *d) {
  for (size_t j = 1; j < d->ncols; j++) {
    if (d->default_len[j] == 0) continue;
    cell_value v;
    flux_status st = parse_text(d, d->types[j], (const char *) d->defaults.data + d->default_off[j], d->default_len[j], &v);
    if (st != FLUX_OK) return st;
  }
  return FLUX_OK;
}

static uint64_t hash_bytes(const void *p, size_t n, uint64_t h) {
  const unsigned char *s = p;
  for (size_t i = 0; i < n; i++) { h ^= s[i]; h *= 1099511628211ULL; }
  return h;
}

/* Appends a cell's text (with #default) to a series key, its length first; a null cell has none. */
static int key_part(flux_decoder *d, bytebuf *k, size_t j) {
  size_t len;
  const char *s = value_text(d, j, &len);
  uint32_t l = s ? (uint32_t) len : UINT32_MAX;
  return bytebuf_append(k, &l, sizeof l) != 0 || (s && bytebuf_append(k, s, len) != 0) ? -1 : 0;
}

/* The series of the current table: its result and its group key without _field (rows of two
 * yield()s never meet in one row). Its id, new or known. */
static int series_id(flux_decoder *d) {
  bytebuf *k = &d->scratch;
  k->len = 0;
  if (d->idx_result > 0 && key_part(d, k, (size_t) d->idx_result) != 0) return -1;
  for (size_t j = 1; j < d->ncols; j++) {
    int jj = (int) j;
    if (!d->group[j] || jj == d->idx_result || jj == d->idx_table || jj == d->idx_field) continue;
    if (key_part(d, k, j) != 0) return -1;
  }
  if (2 * (d->series_count + 1) > d->series_cap) {
    size_t cap = d->series_cap ? 2 * d->series_cap : 64;
    flux_series_slot *slots = calloc(cap, sizeof *slots);
    if (slots == NULL) return -1;
    for (size_t i = 0; i < d->series_cap; i++) {
      flux_series_slot *o = &d->series_slots[i];
      if (o->key_len == 0 && o->id == 0) continue;
      /* key_len is stored one more than the key's length */
      size_t h = hash_bytes(d->series_keys.data + o->key_off, o->key_len - 1, 1469598103934665603ULL) & (cap - 1);
      while (slots[h].key_len != 0 || slots[h].id != 0) h = (h + 1) & (cap - 1);
      slots[h] = *o;
    }
    free(d->series_slots);
    d->series_slots = slots;
    d->series_cap = cap;
  }
  size_t h = hash_bytes(k->data, k->len, 1469598103934665603ULL) & (d->series_cap - 1);
  for (;;) {
    flux_series_slot *s = &d->series_slots[h];
    if (s->key_len == 0 && s->id == 0) break;
    if (s->key_len == k->len + 1 && memcmp(d->series_keys.data + s->key_off, k->data, k->len) == 0) return s->id - 1;
    h = (h + 1) & (d->series_cap - 1);
  }
  /* key_len and id are stored +1 so that an all-zero slot means free */
  flux_series_slot *s = &d->series_slots[h];
  s->key_off = d->series_keys.len;
  s->key_len = (uint32_t) k->len + 1;
  s->id = (int32_t) d->series_count + 1;
  if (bytebuf_append(&d->series_keys, k->data, k->len) != 0) return -1;
  return (int) d->series_count++;
}

static uint64_t row_hash(int32_t series, int64_t time) {
  uint64_t h = (uint64_t) time * 0x9e3779b97f4a7c15ULL;
  h ^= (uint64_t) (uint32_t) series * 0xc2b2ae3d27d4eb4fULL;
  return h ^ (h >> 29);
}

static int64_t row_time(const flux_decoder *d, size_t row) {
  int64_t t = 0;
  col_get_int64(d->row_keys, 0, row, &t);
  return t;
}

static int row_key_is(const flux_decoder *d, size_t row, int32_t series, int64_t time) {
  int64_t s;
  return col_get_int64(d->row_keys, 1, row, &s) == 0 && s == series && row_time(d, row) == time;
}

static void slot_insert(uint32_t *slots, size_t cap, int32_t series, int64_t time, size_t row) {
  size_t h = row_hash(series, time) & (cap - 1);
  while (slots[h] != 0) h = (h + 1) & (cap - 1);
  slots[h] = (uint32_t) (row + 1);
}

/* Room for `more` rows in the hash table (load at most a half). */
static int row_slots_room(flux_decoder *d, size_t more) {
  if (2 * (d->row_count + more) <= d->row_cap) return 0;
  size_t cap = d->row_cap ? d->row_cap : 1024;
  while (2 * (d->row_count + more) > cap) cap *= 2;
  uint32_t *slots = calloc(cap, sizeof *slots);
  if (slots == NULL) return -1;
  for (size_t i = 0; i < d->row_cap; i++) {
    if (d->row_slots[i] == 0) continue;
    size_t row = d->row_slots[i] - 1;
    int64_t series = 0;
    col_get_int64(d->row_keys, 1, row, &series);
    slot_insert(slots, cap, (int32_t) series, row_time(d, row), row);
  }
  free(d->row_slots);
  d->row_slots = slots;
  d->row_cap = cap;
  return 0;
}

/* From runs to the hash table: a series' run can no longer take its new row. */
static int hash_rows(flux_decoder *d) {
  size_t rows = 0;
  for (size_t s = 0; s < d->series_count && s < d->runs_cap; s++) rows += d->runs[s].end - d->runs[s].first;
  if (row_slots_room(d, rows + 1) != 0) return -1;
  for (size_t s = 0; s < d->series_count && s < d->runs_cap; s++) {
    for (size_t row = d->runs[s].first; row < d->runs[s].end; row++) {
      if (col_put_int(d->row_keys, 1, row, (int64_t) s) != 0) return -1;
      slot_insert(d->row_slots, d->row_cap, (int32_t) s, row_time(d, row), row);
    }
  }
  d->row_count = rows;
  d->rows_hashed = 1;
  return 0;
}

static int new_row(flux_decoder *d, int32_t series, int64_t time, size_t *row) {
  size_t r = d->out->nrow;
  if (r >= UINT32_MAX - 1 || col_put_int(d->row_keys, 0, r, time) != 0) return -1;
  if (d->rows_hashed && col_put_int(d->row_keys, 1, r, series) != 0) return -1;
  d->out->nrow++;
  *row = r;
  return 0;
}

/* 1 when the row is in the series' run (*row set), 0 when it is not, -1 when the run cannot
 * tell (or take the new row) without the hash table. */
static int run_row(flux_decoder *d, int32_t series, int64_t time, size_t *row) {
  if ((size_t) series >= d->runs_cap) {
    size_t cap = d->runs_cap ? 2 * d->runs_cap : 64;
    while (cap <= (size_t) series) cap *= 2;
    flux_series_run *runs = realloc(d->runs, cap * sizeof *runs);
    if (runs == NULL) return -2;
    memset(runs + d->runs_cap, 0, (cap - d->runs_cap) * sizeof *runs);
    d->runs = runs;
    d->runs_cap = cap;
  }
  flux_series_run *run = &d->runs[series];
  if (run->end == run->first) { /* a new series: its run starts at the end */
    if (new_row(d, series, time, row) != 0) return -2;
    run->first = *row;
    run->end = *row + 1;
    return 0;
  }
  size_t c = d->cursor;
  if (c >= run->first && c < run->end && row_time(d, c) == time) {
    *row = c;
    return 1;
  }
  if (run->end == d->out->nrow && time > row_time(d, run->end - 1)) { /* later than the run */
    if (new_row(d, series, time, row) != 0) return -2;
    run->end++;
    return 0;
  }
  size_t lo = run->first, hi = run->end;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (row_time(d, mid) < time) lo = mid + 1; else hi = mid;
  }
  if (lo < run->end && row_time(d, lo) == time) {
    *row = lo;
    return 1;
  }
  return -1;
}

/* The output row of (series, time): found, or created (found = 0). */
static int pivot_row(flux_decoder *d, int32_t series, int64_t time, size_t *row, int *found) {
  if (d->row_keys == NULL) {
    if ((d->row_keys = table_new()) == NULL) return -1;
    if (table_column(d->row_keys, "time", 4, ROLE_VALUE) != 0 || table_column(d->row_keys, "series", 6, ROLE_VALUE) != 1)
      return -1;
  }
  if (!d->rows_hashed) {
    int in_run = run_row(d, series, time, row);
    if (in_run == -2) return -1;
    if (in_run >= 0) {
      *found = in_run;
      d->cursor = *row + 1;
      return 0;
    }
    if (hash_rows(d) != 0) return -1;
  }
  if (row_slots_room(d, 1) != 0) return -1;
  size_t h = row_hash(series, time) & (d->row_cap - 1);
  for (; d->row_slots[h] != 0; h = (h + 1) & (d->row_cap - 1)) {
    if (row_key_is(d, d->row_slots[h] - 1, series, time)) {
      *row = d->row_slots[h] - 1;
      *found = 1;
      return 0;
    }
  }
  if (new_row(d, series, time, row) != 0) return -1;
  d->row_slots[h] = (uint32_t) (*row + 1);
  d->row_count++;
  *found = 0;
  return 0;
}

static flux_status pivot_record(flux_decoder *d) {
  if (d->current_series < 0 || (d->idx_table > 0 && (d->current_table_id.len != d->cell_len[d->idx_table] ||
      memcmp(d->current_table_id.data, cell(d, (size_t) d->idx_table), d->cell_len[d->idx_table]) != 0))) {
    int id = series_id(d);
    if (id < 0) return nomem(d);
    d->current_series = id;
    d->current_table_id.len = 0;
    if (d->idx_table > 0 &&
        bytebuf_append(&d->current_table_id, cell(d, (size_t) d->idx_table), d->cell_len[d->idx_table]) != 0)
      return nomem(d);
  }
  int64_t time = INT64_MIN;
  if (d->idx_time > 0) {
    size_t len;
    const char *s = value_text(d, (size_t) d->idx_time, &len);
    if (s && parse_rfc3339_ns(s, len, &time) != 0) return fail(d, FLUX_ERR_MALFORMED, "'%s' is not an RFC3339 time", s);
  }
  size_t row;
  int found;
  if (pivot_row(d, d->current_series, time, &row, &found) != 0) return nomem(d);
  if (!found) {
    for (size_t j = 1; j < d->ncols; j++) {
      if (d->colmap[j] < 0) continue;
      flux_status st = put_cell(d, j, d->colmap[j], row);
      if (st != FLUX_OK) return st;
    }
  }
  size_t flen;
  const char *field = value_text(d, (size_t) d->idx_field, &flen);
  if (field == NULL) { field = "_value"; flen = 6; }
  int c = table_column(d->out, field, flen, ROLE_VALUE);
  if (c < 0) return nomem(d);
  return put_cell(d, (size_t) d->idx_value, c, row);
}

static flux_status data_row(flux_decoder *d) {
  if (d->ncells != d->ncols)
    return fail(d, FLUX_ERR_MALFORMED, "a row has %zu cells where the header has %zu", d->ncells, d->ncols);
  if (d->error_table) {
    size_t len;
    const char *msg = value_text(d, 1, &len);
    return fail(d, FLUX_ERR_QUERY, "%s", msg ? msg : "the query failed (the server gave no message)");
  }
  if (pivoting(d)) return pivot_record(d);
  size_t row = d->out->nrow;
  for (size_t j = 1; j < d->ncols; j++) {
    if (d->colmap[j] < 0) continue;
    flux_status st = put_cell(d, j, d->colmap[j], row);
    if (st != FLUX_OK) return st;
  }
  d->out->nrow++;
  return FLUX_OK;
}

static flux_status record(flux_decoder *d, const char *rec, size_t n) {
  if (n > 0 && rec[n - 1] == '\r') n--;
  if (n == 0) { /* a blank line ends a table block */
    if (d->ncols != 0 && !d->have_header) return fail(d, FLUX_ERR_MALFORMED, "annotations without a table header");
    reset_block(d);
    d->open_table = 0;
    return FLUX_OK;
  }
  flux_status st = split_record(d, rec, n);
  if (st != FLUX_OK) return st;
  if (d->cell_len[0] > 0 && cell(d, 0)[0] == '#') return annotation(d);
  if (!d->have_header) return header(d);
  return data_row(d);
}

static flux_status flux_feed(flux_decoder *d, const void *data, size_t len) {
  if (d->status != FLUX_OK) return d->status;
  if (bytebuf_append(&d->pending, data, len) != 0) return nomem(d);
  const char *buf = (const char *) d->pending.data;
  size_t n = d->pending.len, start = 0, i = d->scan;
  while (i < n) {
    char c = buf[i];
    if (d->in_quote) {
      if (c == '"') {
        if (i + 1 >= n) break; /* is it "" or the closing quote? wait for the next byte */
        if (buf[i + 1] == '"') { i += 2; continue; }
        d->in_quote = 0;
      }
      i++;
      continue;
    }
    if (c == '"') {
      d->in_quote = 1;
    } else if (c == '\n') {
      flux_status st = record(d, buf + start, i - start);
      if (st != FLUX_OK) return st;
      start = i + 1;
    }
    i++;
  }
  bytebuf_consume(&d->pending, start);
  d->scan = i - start;
  return FLUX_OK;
}

static flux_status flux_complete(flux_decoder *d);

static flux_status flux_finish(flux_decoder *d) {
  if (d->status != FLUX_OK) return d->status;
  if (d->pending.len > 0 || d->in_quote)
    return fail(d, FLUX_ERR_TRUNCATED, "the response ended inside a record (%zu bytes left over)", d->pending.len);
  if (d->open_table) return fail(d, FLUX_ERR_TRUNCATED, "the response ended inside a table");
  return flux_complete(d);
}

/* The table once the records are read: a record is decoded whole once its line has ended. */
static flux_status flux_complete(flux_decoder *d) {
  /* Freed before R builds the frame, which then has the memory they held. */
  free_work(d);
  if (table_finish(d->out) != 0) return nomem(d);
  return FLUX_OK;
}

/* ---- the common decoder interface (decoder.h) ------------------------------------------------ */

static int vt_init(void *s, const decoder_options *opt) {
  flux_options fo = {opt->pivot, opt->table_columns, opt->value_empty_string};
  return flux_init(s, &fo);
}
static int vt_feed(void *s, const void *data, size_t len) { return (int) flux_feed(s, data, len); }
static int vt_finish(void *s) { return (int) flux_finish(s); }
static void vt_free(void *s) { flux_free(s); }
/* A pivot's rows get their fields from later tables: none is whole before the end. */
static size_t vt_rows(void *s) {
  flux_decoder *d = s;
  return pivoting(d) ? 0 : d->out->nrow;
}
static int vt_finish_stopped(void *s) {
  flux_decoder *d = s;
  return d->status != FLUX_OK ? (int) d->status : (int) flux_complete(d);
}
static const char *vt_message(void *s) { return ((flux_decoder *) s)->message; }
/* Every table of every result in one. */
static size_t vt_ntables(void *s) { (void) s; return 1; }
static table *vt_table(void *s, size_t i) { (void) i; return ((flux_decoder *) s)->out; }

static const char *const flux_content_types[] = {"text/csv", "application/csv", NULL};

const decoder_vtable flux_decoder_vtable = {
  "flux", flux_content_types, sizeof(flux_decoder), vt_init, vt_feed, vt_finish, vt_free, vt_message,
  vt_ntables, vt_table, NULL, NULL, vt_rows, vt_finish_stopped
};
