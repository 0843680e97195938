#include "decode_v1.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

static void v1_init(v1_decoder *d) {
  memset(d, 0, sizeof *d);
  bytebuf_init(&d->pending);
  bytebuf_init(&d->notices);
  mp_scanner_reset(&d->scan);
  d->error_statement = -1;
}

static void v1_expect_statements(v1_decoder *d, int n) { d->max_statements = n > 0 ? n : 0; }

static void v1_free(v1_decoder *d) {
  for (int i = 0; i < d->ntables; i++) table_free(d->tables[i]);
  free(d->tables);
  free(d->colmap);
  bytebuf_free(&d->pending);
  bytebuf_free(&d->notices);
  d->tables = NULL;
  d->ntables = 0;
  d->colmap = NULL;
}

static v1_status fail(v1_decoder *d, v1_status st, const char *fmt, ...) {
  if (d->status != V1_OK) return d->status;
  d->status = st;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(d->message, sizeof d->message, fmt, ap);
  va_end(ap);
  return st;
}

static v1_status nomem(v1_decoder *d) {
  return fail(d, V1_ERR_NOMEM, "out of memory while decoding the response");
}

/* Server text as R can hold it (no NUL, valid UTF-8): messages and notices become R strings. */
static int append_clean(bytebuf *b, const unsigned char *p, size_t len) {
  if (utf8_is_clean((const char *) p, len)) return bytebuf_append(b, p, len);
  if (bytebuf_reserve(b, UTF8_REPAIR_MAX(len)) != 0) return -1;
  b->len += utf8_repair((const char *) p, len, (char *) b->data + b->len);
  return 0;
}

/* A server message: its text can be long and need not be NUL-terminated. */
static v1_status fail_text(v1_decoder *d, v1_status st, int stmt, const mp_item *s) {
  if (d->status != V1_OK) return d->status;
  d->status = st;
  d->error_statement = stmt;
  bytebuf clean;
  bytebuf_init(&clean);
  /* A cut message ends at a character boundary, not inside a UTF-8 sequence. */
  size_t take = s->len < sizeof d->message - 1 ? s->len : sizeof d->message - 1;
  while (take > 0 && take < s->len && (s->ptr[take] & 0xC0) == 0x80) take--;
  if (append_clean(&clean, s->ptr, take) != 0) {
    bytebuf_free(&clean);
    snprintf(d->message, sizeof d->message, "out of memory while decoding the response");
    return st;
  }
  const unsigned char *text = clean.data;
  size_t n = clean.len < sizeof d->message - 1 ? clean.len : sizeof d->message - 1;
  while (n > 0 && n < clean.len && (text[n] & 0xC0) == 0x80) n--;
  if (n) memcpy(d->message, text, n);
  d->message[n] = '\0';
  bytebuf_free(&clean);
  return st;
}

static int key_is(const mp_item *k, const char *name) {
  size_t n = strlen(name);
  return k->kind == MP_STR && k->len == n && memcmp(k->ptr, name, n) == 0;
}

/* id is at most ntables (checked by the caller): the table list grows by one at a time. */
static table *statement_table(v1_decoder *d, int64_t id) {
  if (id >= d->ntables) {
    int n = (int) id + 1;
    table **tabs = realloc(d->tables, (size_t) n * sizeof *tabs);
    if (tabs == NULL) return NULL;
    for (int i = d->ntables; i < n; i++) tabs[i] = NULL;
    d->tables = tabs;
    d->ntables = n;
  }
  if (d->tables[id] == NULL) d->tables[id] = table_new();
  return d->tables[id];
}

#define READ(item)                                                         \
  do {                                                                     \
    if (mp_read(buf, len, pos, (item)) != MP_OK)                           \
      return fail(d, V1_ERR_MALFORMED, "malformed MessagePack at byte %zu", *pos); \
  } while (0)

/* Map keys: a key that is an array or a map would be read as its header only, and every later
 * key and value would be one item off, turning a key's contents into a row. */
#define READ_KEY(item)                                                     \
  do {                                                                     \
    READ(item);                                                            \
    if ((item)->kind != MP_STR)                                            \
      return fail(d, V1_ERR_MALFORMED, "a map key is not a string (byte %zu)", *pos); \
  } while (0)

#define SKIP()                                                             \
  do {                                                                     \
    if (mp_skip(buf, len, pos) != MP_OK)                                   \
      return fail(d, V1_ERR_MALFORMED, "malformed MessagePack at byte %zu", *pos); \
  } while (0)

static v1_status put_value(v1_decoder *d, table *t, int c, size_t row, const mp_item *v) {
  int rc;
  switch (v->kind) {
  case MP_NIL: rc = col_put_na(t, c, row); break;
  case MP_BOOL: rc = col_put_bool(t, c, row, v->boolean); break;
  case MP_INT: rc = col_put_int(t, c, row, v->i); break;
  /* Only values above 2^63 arrive as MP_UINT: a double is the closest R has. */
  case MP_UINT: rc = col_put_double(t, c, row, (double) v->u, 1); break;
  case MP_FLOAT: rc = col_put_double(t, c, row, v->f, 0); break;
  case MP_STR: case MP_BIN: rc = col_put_str(t, c, row, (const char *) v->ptr, v->len); break;
  case MP_EXT: {
    int64_t ns;
    if (mp_ext_time_ns(v, &ns) != MP_OK)
      return fail(d, V1_ERR_MALFORMED, "unsupported MessagePack extension type %d", v->ext_type);
    rc = col_put_time(t, c, row, ns);
    break;
  }
  default:
    return fail(d, V1_ERR_MALFORMED, "a cell holds a nested array or map");
  }
  return rc == 0 ? V1_OK : nomem(d);
}

static v1_status decode_series(v1_decoder *d, table *t, const unsigned char *buf, size_t len,
                               size_t *pos) {
  mp_item m, k, v;
  READ(&m);
  if (m.kind != MP_MAP) return fail(d, V1_ERR_MALFORMED, "a series is not a map");
  /* Keys may come in any order: note where each is, then read them in the order needed. */
  size_t at_name = 0, at_tags = 0, at_columns = 0, at_values = 0;
  for (uint32_t i = 0; i < m.len; i++) {
    READ_KEY(&k);
    if (key_is(&k, "name")) at_name = *pos;
    else if (key_is(&k, "tags")) at_tags = *pos;
    else if (key_is(&k, "columns")) at_columns = *pos;
    else if (key_is(&k, "values")) at_values = *pos;
    SKIP();
  }
  size_t end = *pos;
  if (at_columns == 0) return fail(d, V1_ERR_MALFORMED, "a series has no columns");

  *pos = at_columns;
  READ(&v);
  if (v.kind != MP_ARRAY) return fail(d, V1_ERR_MALFORMED, "series columns are not an array");
  uint32_t ncol = v.len;
  if (ncol > d->colmap_cap) {
    int32_t *map = realloc(d->colmap, ncol * sizeof *map);
    if (map == NULL) return nomem(d);
    d->colmap = map;
    d->colmap_cap = ncol;
  }
  for (uint32_t j = 0; j < ncol; j++) {
    READ(&k);
    if (k.kind != MP_STR) return fail(d, V1_ERR_MALFORMED, "a column name is not a string");
    int c = table_column(t, (const char *) k.ptr, k.len, ROLE_VALUE);
    if (c < 0) return nomem(d);
    d->colmap[j] = c;
  }

  size_t first_row = t->nrow;
  if (at_values) {
    *pos = at_values;
    READ(&v);
    if (v.kind == MP_ARRAY) {
      uint32_t nrows = v.len;
      for (uint32_t r = 0; r < nrows; r++) {
        mp_item row, cell;
        READ(&row);
        if (row.kind != MP_ARRAY || row.len != ncol)
          return fail(d, V1_ERR_MALFORMED, "a row has %u cells for %u columns",
                      (unsigned) row.len, (unsigned) ncol);
        size_t at = t->nrow;
        for (uint32_t j = 0; j < ncol; j++) {
          READ(&cell);
          v1_status st = put_value(d, t, d->colmap[j], at, &cell);
          if (st != V1_OK) return st;
        }
        t->nrow++;
      }
    } else if (v.kind != MP_NIL) {
      return fail(d, V1_ERR_MALFORMED, "series values are not an array");
    }
  }
  size_t last_row = t->nrow;

  /* The measurement column is always kept while decoding; the R side drops it when the
   * statement returned a single name. */
  int mc = table_column(t, V1_MEASUREMENT_COLUMN, strlen(V1_MEASUREMENT_COLUMN), ROLE_MEASUREMENT);
  if (mc < 0) return nomem(d);
  strref name = {0, 0};
  if (at_name) {
    *pos = at_name;
    READ(&v);
    if (v.kind != MP_STR) return fail(d, V1_ERR_MALFORMED, "a series name is not a string");
    if (table_intern(t, (const char *) v.ptr, v.len, &name) != 0) return nomem(d);
  }
  if (col_fill_ref(t, mc, first_row, last_row, name) != 0) return nomem(d);

  if (at_tags) {
    *pos = at_tags;
    READ(&v);
    if (v.kind == MP_MAP) {
      uint32_t ntags = v.len;
      for (uint32_t i = 0; i < ntags; i++) {
        mp_item tk, tv;
        READ(&tk);
        READ(&tv);
        if (tk.kind != MP_STR || tv.kind != MP_STR)
          return fail(d, V1_ERR_MALFORMED, "a series tag is not a string pair");
        int c = table_column(t, (const char *) tk.ptr, tk.len, ROLE_TAG);
        if (c < 0) return nomem(d);
        /* Tag values are never empty in InfluxDB: GROUP BY reports an absent tag as "", which
         * is NA here, as in Flux results. */
        if (tv.len == 0) continue;
        strref ref;
        if (table_intern(t, (const char *) tv.ptr, tv.len, &ref) != 0) return nomem(d);
        if (col_fill_ref(t, c, first_row, last_row, ref) != 0) return nomem(d);
      }
    } else if (v.kind != MP_NIL) {
      return fail(d, V1_ERR_MALFORMED, "series tags are not a map");
    }
  }
  *pos = end;
  return V1_OK;
}

static void add_notice(v1_decoder *d, const mp_item *level, const mp_item *text) {
  if (level && level->kind == MP_STR) append_clean(&d->notices, level->ptr, level->len);
  bytebuf_append(&d->notices, "\t", 1);
  if (text && text->kind == MP_STR) append_clean(&d->notices, text->ptr, text->len);
  bytebuf_append(&d->notices, "\n", 1);
}

static v1_status decode_messages(v1_decoder *d, const unsigned char *buf, size_t len, size_t *pos) {
  mp_item a, m, k, v;
  READ(&a);
  if (a.kind != MP_ARRAY) { return a.kind == MP_NIL ? V1_OK : fail(d, V1_ERR_MALFORMED, "messages are not an array"); }
  for (uint32_t i = 0; i < a.len; i++) {
    READ(&m);
    if (m.kind != MP_MAP) return fail(d, V1_ERR_MALFORMED, "a message is not a map");
    mp_item level = {0}, text = {0};
    for (uint32_t j = 0; j < m.len; j++) {
      READ_KEY(&k);
      READ(&v);
      if (v.kind == MP_ARRAY || v.kind == MP_MAP) return fail(d, V1_ERR_MALFORMED, "a message field is nested");
      if (key_is(&k, "level")) level = v;
      else if (key_is(&k, "text")) text = v;
    }
    add_notice(d, &level, &text);
  }
  return V1_OK;
}

/* Results come in statement order, a statement's chunks under the same id: an id may repeat the
 * last one or follow it, and stays below the number of statements sent (when known). Anything
 * else (a body saying statement 1000000) would make a table for every id skipped. */
static v1_status check_statement_id(v1_decoder *d, int64_t statement) {
  int64_t last = d->ntables - 1;
  if (last < 0 && statement != 0)
    return fail(d, V1_ERR_MALFORMED, "statement_id %lld in the first result: ids start at 0", (long long) statement);
  if (statement < last || statement > last + 1)
    return fail(d, V1_ERR_MALFORMED, "statement_id %lld after %lld: ids rise by at most one per result",
                (long long) statement, (long long) last);
  if (d->max_statements > 0 && statement >= d->max_statements)
    return fail(d, V1_ERR_MALFORMED, "statement_id %lld answers a query of %d statement%s",
                (long long) statement, d->max_statements, d->max_statements == 1 ? "" : "s");
  return V1_OK;
}

static v1_status decode_result(v1_decoder *d, const unsigned char *buf, size_t len, size_t *pos) {
  mp_item m, k, v;
  READ(&m);
  if (m.kind != MP_MAP) return fail(d, V1_ERR_MALFORMED, "a result is not a map");
  int64_t statement = -1;
  int has_statement = 0, partial = 0;
  size_t at_series = 0, at_error = 0, at_messages = 0;
  for (uint32_t i = 0; i < m.len; i++) {
    READ_KEY(&k);
    if (key_is(&k, "statement_id") || key_is(&k, "partial")) {
      int is_id = key_is(&k, "statement_id");
      READ(&v);
      if (is_id) {
        if (v.kind != MP_INT) return fail(d, V1_ERR_MALFORMED, "statement_id is not an integer");
        statement = v.i;
        has_statement = 1;
      } else {
        partial = v.kind == MP_BOOL && v.boolean;
      }
      continue;
    }
    if (key_is(&k, "series")) at_series = *pos;
    else if (key_is(&k, "error")) at_error = *pos;
    else if (key_is(&k, "messages")) at_messages = *pos;
    SKIP();
  }
  size_t end = *pos;

  /* An error result is held to the same order as data (its id names the statement reported). */
  if (has_statement) {
    v1_status st = check_statement_id(d, statement);
    if (st != V1_OK) return st;
  }
  if (at_error) {
    *pos = at_error;
    READ(&v);
    /* An error result carries no statement_id: the statement after the last one seen. */
    int stmt = has_statement ? (int) statement : d->ntables;
    if (v.kind != MP_STR) return fail(d, V1_ERR_QUERY, "statement %d failed", stmt);
    return fail_text(d, V1_ERR_QUERY, stmt, &v);
  }
  if (!has_statement) return fail(d, V1_ERR_MALFORMED, "a result has no statement_id");
  table *t = statement_table(d, statement);
  if (t == NULL) return nomem(d);

  if (at_messages) {
    *pos = at_messages;
    v1_status st = decode_messages(d, buf, len, pos);
    if (st != V1_OK) return st;
  }
  if (at_series) {
    *pos = at_series;
    READ(&v);
    if (v.kind == MP_ARRAY) {
      uint32_t n = v.len;
      for (uint32_t i = 0; i < n; i++) {
        v1_status st = decode_series(d, t, buf, len, pos);
        if (st != V1_OK) return st;
      }
    } else if (v.kind != MP_NIL) {
      return fail(d, V1_ERR_MALFORMED, "series is not an array");
    }
  }
  d->last_partial = partial;
  *pos = end;
  return V1_OK;
}

static v1_status decode_document(v1_decoder *d, const unsigned char *buf, size_t len) {
  size_t p = 0, *pos = &p;
  mp_item m, k, v;
  READ(&m);
  if (m.kind != MP_MAP) return fail(d, V1_ERR_MALFORMED, "the response is not a MessagePack map");
  for (uint32_t i = 0; i < m.len; i++) {
    READ_KEY(&k);
    if (key_is(&k, "error")) {
      READ(&v);
      if (v.kind != MP_STR) return fail(d, V1_ERR_QUERY, "the server reported an error");
      return fail_text(d, V1_ERR_QUERY, -1, &v);
    }
    if (key_is(&k, "results")) {
      READ(&v);
      if (v.kind != MP_ARRAY) return fail(d, V1_ERR_MALFORMED, "results are not an array");
      for (uint32_t r = 0; r < v.len; r++) {
        v1_status st = decode_result(d, buf, len, pos);
        if (st != V1_OK) return st;
      }
      continue;
    }
    SKIP();
  }
  if (p != len) return fail(d, V1_ERR_MALFORMED, "trailing bytes after a document");
  d->documents++;
  return V1_OK;
}

static v1_status v1_feed(v1_decoder *d, const void *data, size_t len) {
  if (d->status != V1_OK) return d->status;
  if (bytebuf_append(&d->pending, data, len) != 0) return nomem(d);
  for (;;) {
    int rc = mp_scan(&d->scan, d->pending.data, d->pending.len);
    if (rc == MP_NEED_MORE) return V1_OK;
    if (rc == MP_BAD) return fail(d, V1_ERR_MALFORMED, "the response is not MessagePack");
    size_t n = d->scan.pos;
    v1_status st = decode_document(d, d->pending.data, n);
    if (st != V1_OK) return st;
    bytebuf_consume(&d->pending, n);
    mp_scanner_reset(&d->scan);
    if (d->pending.len == 0) return V1_OK;
  }
}

static v1_status v1_complete(v1_decoder *d);

static v1_status v1_finish(v1_decoder *d) {
  if (d->status != V1_OK) return d->status;
  if (d->pending.len > 0)
    return fail(d, V1_ERR_TRUNCATED, "the response ended inside a document (%zu bytes left over)",
                d->pending.len);
  if (d->documents == 0) return fail(d, V1_ERR_TRUNCATED, "the response body is empty");
  if (d->last_partial)
    return fail(d, V1_ERR_TRUNCATED, "the response ended before its last chunk");
  return v1_complete(d);
}

/* The tables once the documents are read: every document is decoded whole as it arrives, so
 * they hold whole rows however the body ends. */
static v1_status v1_complete(v1_decoder *d) {
  /* Freed before R builds the frames, which then have the memory they held. */
  bytebuf_free(&d->pending);
  free(d->colmap);
  d->colmap = NULL;
  d->colmap_cap = 0;
  for (int i = 0; i < d->ntables; i++) {
    if (d->tables[i] == NULL && (d->tables[i] = table_new()) == NULL) return nomem(d);
    if (table_finish(d->tables[i]) != 0) return nomem(d);
  }
  return V1_OK;
}

/* ---- the common decoder interface (decoder.h) ------------------------------------------------ */

static int vt_init(void *s, const decoder_options *opt) {
  v1_init(s);
  v1_expect_statements(s, opt->statements);
  return 0;
}
static int vt_feed(void *s, const void *data, size_t len) { return (int) v1_feed(s, data, len); }
static int vt_finish(void *s) { return (int) v1_finish(s); }
static void vt_free(void *s) { v1_free(s); }
static size_t vt_rows(void *s) {
  v1_decoder *d = s;
  size_t n = 0;
  for (int i = 0; i < d->ntables; i++) n += d->tables[i] ? d->tables[i]->nrow : 0;
  return n;
}
static int vt_finish_stopped(void *s) {
  v1_decoder *d = s;
  return d->status != V1_OK ? (int) d->status : (int) v1_complete(d);
}
static const char *vt_message(void *s) { return ((v1_decoder *) s)->message; }
/* One table per statement, in statement order. */
static size_t vt_ntables(void *s) { return (size_t) ((v1_decoder *) s)->ntables; }
static table *vt_table(void *s, size_t i) { return ((v1_decoder *) s)->tables[i]; }
static int vt_error_statement(void *s) { return ((v1_decoder *) s)->error_statement; }
static const char *vt_notices(void *s, size_t *len) {
  v1_decoder *d = s;
  *len = d->notices.len;
  return (const char *) d->notices.data;
}

static const char *const v1_content_types[] = {"application/x-msgpack", NULL};

const decoder_vtable v1_decoder_vtable = {
  "v1", v1_content_types, sizeof(v1_decoder), vt_init, vt_feed, vt_finish, vt_free, vt_message,
  vt_ntables, vt_table, vt_error_statement, vt_notices, vt_rows, vt_finish_stopped
};
