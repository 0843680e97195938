/* Mutation fuzzer for the plain-C cores, meant to run under AddressSanitizer, UndefinedBehavior-
 * Sanitizer and LeakSanitizer: every registered decoder (decoder.h: v1 MessagePack, Flux CSV, ...)
 * through the interface request.c uses, fed in random pieces with random options, the decoder
 * registry's lookups, the JSON reader, the InfluxQL and Flux dialects, the line-protocol writer
 * (for both parsers; what it writes for 3.x's is read back by a model of that parser),
 * the UTF-8 repair, the SQL dialect (whose text is checked to be well formed), and the time,
 * duration and base64 parsers. Seeds are the recorded
 * fixtures given on the command line and hostile bodies built here (generated_seeds): MessagePack
 * with container or integer map keys, out-of-range and skipping statement ids, NULs and invalid
 * UTF-8 in names, tags, values and messages, -2^63; Flux CSV without (all) annotations; JSON lines
 * with every kind of value, escapes, surrogates and hostile bytes (decoded with and without hints).
 *
 *   fuzz ITERATIONS SEED_FILE...
 * Prints "fuzz: N passed, 0 failed" when no sanitizer fired (a sanitizer aborts the process). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/bytebuf.h"
#include "../../src/decode_jsonl.h"
#include "../../src/decoder.h"
#include "../../src/dialect_flux.h"
#include "../../src/dialect_influxql.h"
#include "../../src/dialect_sql.h"
#include "../../src/json.h"
#include "../../src/lineproto.h"
#include "../../src/series_index.h"
#include "../../src/series_query.h"
#include "../../src/timeparse.h"
#include "../../src/utf8.h"

static uint64_t state = 0x9e3779b97f4a7c15ULL;
static uint64_t next(void) { /* xorshift64* */
  state ^= state >> 12; state ^= state << 25; state ^= state >> 27;
  return state * 2685821657736338717ULL;
}
static size_t below(size_t n) { return n ? (size_t) (next() % n) : 0; }

static unsigned char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); exit(2); }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *buf = malloc((size_t) n + 1);
  if (!buf || fread(buf, 1, (size_t) n, f) != (size_t) n) exit(2);
  fclose(f);
  *len = (size_t) n;
  return buf;
}

static size_t mutate(unsigned char *buf, size_t len, size_t cap) {
  int rounds = 1 + (int) below(4);
  for (int r = 0; r < rounds && len > 0; r++) {
    switch (below(5)) {
    case 0: buf[below(len)] = (unsigned char) next(); break;                  /* one byte */
    case 1: buf[below(len)] ^= (unsigned char) (1u << below(8)); break;       /* one bit */
    case 2: len = below(len + 1); break;                                      /* truncate */
    case 3: {                                                                  /* repeat a range */
      size_t from = below(len), n = below(len - from + 1);
      if (len + n <= cap) { memmove(buf + from + n, buf + from, len - from); len += n; }
      break;
    }
    default: {                                                                 /* boundary bytes */
      static const unsigned char edge[] = {0xc0, 0xc1, 0xcf, 0xd3, 0xdb, 0xdd, 0xdf, 0xc7, 0xff, 0x7f, 0x00};
      buf[below(len)] = edge[below(sizeof edge)];
    }
    }
  }
  return len;
}

/* Reads a decoded table the way r_columns.c does, checking what it relies on, then frees it
 * column by column as the conversion does. */
static void check_table(table *t) {
  for (size_t c = 0; c < t->ncol; c++) {
    column *col = &t->cols[c];
    if (col->n != t->nrow) abort();
    for (size_t first = 0, len; first < col->n; first += len) {
      const unsigned char *d = col_rows(col, first, &len);
      if (len == 0 || (first & (COL_SEG_ROWS - 1)) != 0) abort();
      for (size_t k = 0; k < len; k++) {
        int na = col_is_na(col, first + k);
        if (col->type == COL_EMPTY && !na) abort();
        if ((col->type != COL_STRING && col->type != COL_BYTES) || na) continue;
        uint64_t entry;
        memcpy(&entry, d + k * sizeof entry, sizeof entry);
        size_t n;
        if (entry + 5 > t->arena.len) abort();
        const char *s = table_entry(t, entry, &n);
        if (entry + 5 + n > t->arena.len || s[n] != '\0') abort();
      }
    }
    if (col->type == COL_INT || col->type == COL_TIME || col->type == COL_DURATION) {
      int64_t v;
      if (col->n > 0 && col_get_int64(t, (int) c, col->n - 1, &v) != 0 && !col_is_na(col, col->n - 1)) abort();
    }
  }
  table_release_strings(t);
  for (size_t c = 0; c < t->ncol; c++) col_release(t, (int) c);
}

/* One decoder through the common interface (decoder.h), as request.c and r_decode.c use it: the
 * bytes fed in random pieces, or in one when whole, finished (a failed feed must make finish
 * report the same error), the tables checked, freed. The outcome goes to *out. */
typedef struct { int status; size_t ntables, rows, cols; } decoded;

static void decode_once(const decoder_vtable *vt, const decoder_options *opt, const unsigned char *buf,
                        size_t len, int whole, decoded *out) {
  decoder d;
  if (decoder_open(&d, vt, opt) != 0) abort();
  int st = DECODE_OK;
  size_t off = 0;
  while (off < len && st == DECODE_OK) {
    size_t n = whole ? len : 1 + below(len - off < 64 ? len - off : 64);
    st = vt->feed(d.state, buf + off, n);
    off += n;
  }
  int fin = vt->finish(d.state);
  if (fin < DECODE_OK || fin > DECODE_ERR_NOMEM || (st != DECODE_OK && fin != st)) abort();
  *out = (decoded) {fin, 0, 0, 0};
  if (fin != DECODE_OK) {
    const char *m = vt->message(d.state);
    if (m == NULL || !utf8_is_clean(m, strlen(m))) abort();
  } else {
    out->ntables = vt->ntables(d.state);
    for (size_t i = 0; i < out->ntables; i++) {
      table *t = vt->table(d.state, i);
      if (t == NULL) abort();
      out->rows += t->nrow;
      out->cols += t->ncol;
      check_table(t); /* every column padded to every row, readable as R reads it, freed */
    }
  }
  size_t nlen = 0;
  const char *notices = vt->notices ? vt->notices(d.state, &nlen) : NULL;
  if (nlen > 0 && (notices == NULL || !utf8_is_clean(notices, nlen))) abort();
  decoder_close(&d);
}

/* Column hints for the JSON-lines decoder, on the seeds' names: types, required columns, one
 * column named twice. */
static const jsonl_hint fuzz_hints[] = {
  {"time", 4, JSONL_TIMESTAMP, 0}, {"f", 1, JSONL_FLOAT, 1}, {"t", 1, JSONL_TAG, 0}, {"s", 1, JSONL_STRING, 1},
  {"ts", 2, JSONL_TIMESTAMP, 1}, {"i", 1, JSONL_UINT, 0}, {"b", 1, JSONL_BOOL, 1}, {"f", 1, JSONL_AUTO, 1},
};

static void run_stopped(const decoder_vtable *vt, decoder_options opt, const unsigned char *buf, size_t len,
                        const decoded *whole);

/* Random options (statements 0: unknown); the way the body is cut must change nothing. */
static void run_decoder(const decoder_vtable *vt, const unsigned char *buf, size_t len) {
  decoder_options opt = {(int) below(3), (int) below(2), (int) below(2), (int) below(2), fuzz_hints,
                         below(2) ? sizeof fuzz_hints / sizeof fuzz_hints[0] : 0, (int) below(2), 0};
  decoded pieces, whole;
  decode_once(vt, &opt, buf, len, 0, &pieces);
  decode_once(vt, &opt, buf, len, 1, &whole);
  if (pieces.status != whole.status || pieces.ntables != whole.ntables || pieces.rows != whole.rows ||
      pieces.cols != whole.cols) {
    fprintf(stderr, "%s: %zu bytes decode to status %d (%zu tables, %zu rows) in pieces, %d (%zu, %zu) whole\n",
            vt->name, len, pieces.status, pieces.ntables, pieces.rows, whole.status, whole.ntables, whole.rows);
    abort();
  }
  run_stopped(vt, opt, buf, len, &whole);
}

/* The same body read by a reader with a row limit (request.c's sink): fed in random pieces until
 * rows() reaches the limit, then finish_stopped, whose tables must be whole (checked, every column
 * padded) and a prefix of the unlimited decode; a body that ends before the limit must decode as
 * it does without one. */
static void run_stopped(const decoder_vtable *vt, decoder_options opt, const unsigned char *buf, size_t len,
                        const decoded *whole) {
  if ((vt->rows == NULL) != (vt->finish_stopped == NULL)) abort();
  if (vt->rows == NULL) return;
  opt.row_limit = 1 + below(40);
  decoder d;
  if (decoder_open(&d, vt, &opt) != 0) abort();
  int st = DECODE_OK, stopped = 0;
  for (size_t off = 0; off < len && st == DECODE_OK && !stopped;) {
    size_t n = 1 + below(len - off < 64 ? len - off : 64);
    st = vt->feed(d.state, buf + off, n);
    off += n;
    stopped = st == DECODE_OK && vt->rows(d.state) >= opt.row_limit;
  }
  int fin = stopped ? vt->finish_stopped(d.state) : vt->finish(d.state);
  if (fin < DECODE_OK || fin > DECODE_ERR_NOMEM || (st != DECODE_OK && fin != st)) abort();
  size_t rows = 0;
  if (fin == DECODE_OK) {
    for (size_t i = 0; i < vt->ntables(d.state); i++) {
      table *t = vt->table(d.state, i);
      if (t == NULL) abort();
      rows += t->nrow;
      check_table(t);
    }
  }
  if (!stopped && (fin != whole->status || rows != whole->rows)) abort();
  if (stopped && fin == DECODE_OK && (rows < opt.row_limit || (whole->status == DECODE_OK && rows > whole->rows))) {
    fprintf(stderr, "%s: stopped at %zu rows (limit %zu) of %zu\n", vt->name, rows, opt.row_limit, whole->rows);
    abort();
  }
  decoder_close(&d);
}

static void run_decoders(const unsigned char *buf, size_t len) {
  for (size_t i = 0; decoder_at(i) != NULL; i++) run_decoder(decoder_at(i), buf, len);
}

/* The registry: each decoder found by its name and by each of its media types, whatever their
 * case and parameters, and nothing by a longer name or a missing one. Returns the checks run. */
static long check_registry(void) {
  long n = 0;
  char ctype[160];
  for (size_t i = 0; decoder_at(i) != NULL; i++) {
    const decoder_vtable *vt = decoder_at(i);
    if (decoder_by_name(vt->name) != vt) abort();
    for (const char *const *t = vt->content_types; *t != NULL; t++, n += 4) {
      snprintf(ctype, sizeof ctype, "%s", *t);
      for (char *c = ctype; *c; c++) if (*c >= 'a' && *c <= 'z' && (c - ctype) % 2) *c = (char) (*c - 32);
      if (decoder_for_content_type(ctype) != vt) abort();
      snprintf(ctype, sizeof ctype, " %s; charset=utf-8", *t);
      if (decoder_for_content_type(ctype) != vt) abort();
      snprintf(ctype, sizeof ctype, "%sx", *t);
      if (decoder_for_content_type(ctype) != NULL) abort();
      snprintf(ctype, sizeof ctype, "%.*s", (int) strlen(*t) - 1, *t);
      if (decoder_for_content_type(ctype) != NULL) abort();
    }
  }
  if (decoder_by_name("raw") != NULL || decoder_by_name("") != NULL || decoder_for_content_type("") != NULL ||
      decoder_for_content_type(NULL) != NULL || decoder_for_content_type("text/plain; x=text/csv") != NULL) abort();
  if (decoder_by_name("v1") == NULL || decoder_by_name("flux") == NULL ||
      decoder_for_content_type("application/x-msgpack") != decoder_by_name("v1") ||
      decoder_for_content_type("Text/CSV;charset=utf-8") != decoder_by_name("flux")) abort();
  /* what 3.x sends for format=jsonl (influxdb3_types QueryFormat::as_content_type), not its JSON */
  if (decoder_for_content_type("application/jsonl") != decoder_by_name("jsonl") ||
      decoder_for_content_type("application/json") != NULL) abort();
  return n + 4;
}

/* Repair gives clean UTF-8 within its bound, is the identity on clean input, and is idempotent. */
static void run_utf8(const unsigned char *buf, size_t len) {
  const char *s = (const char *) buf;
  char *out = malloc(UTF8_REPAIR_MAX(len) + 1), *again = malloc(UTF8_REPAIR_MAX(len) + 1);
  size_t n = utf8_repair(s, len, out);
  if (n > UTF8_REPAIR_MAX(len) || !utf8_is_clean(out, n)) abort();
  if (utf8_is_clean(s, len) && (n != len || memcmp(out, s, len) != 0)) abort();
  if (utf8_repair(out, n, again) != n || memcmp(again, out, n) != 0) abort();
  /* A bounded copy is a clean prefix of the repair, cut between characters. */
  char small[64];
  size_t cap = 1 + (len % sizeof small);
  size_t m = utf8_copy_clean(small, cap, s, len);
  if (m >= cap || small[m] != '\0' || !utf8_is_clean(small, m) || memcmp(small, out, m) != 0) abort();
  if (m < n && n - m >= 4 && cap - 1 - m >= 4) abort(); /* stopped although a character fitted */
  free(out);
  free(again);
}

/* Literals the SQL dialect writes itself: "time" and the second field "x" as identifiers; as
 * strings "x", 'Int64', Arrow timestamp types, RFC 3339 times and 'N nanoseconds'. */
static int sql_own_literal(const char *t, size_t k, char delim) {
  if (k == 1 && t[0] == 'x') return 1;
  if (delim == '"') return k == 4 && memcmp(t, "time", 4) == 0;
  if (k == 5 && memcmp(t, "Int64", 5) == 0) return 1;
  if (k > 22 && memcmp(t, "Timestamp(Nanosecond, ", 22) == 0) return 1;
  if (k > 1 && t[0] >= '0' && t[0] <= '9' && t[k - 1] == 'Z') return 1;
  return k > 12 && memcmp(t + k - 12, " nanoseconds", 12) == 0;
}

/* The SQL dialect's text is one statement: every quoted token closes and decodes (doubled
 * delimiters) to the fuzzed name or one of the dialect's own literals; outside quotes, brackets
 * balance and there is no ';' and no comment. Anything else aborts. */
static void check_sql(const unsigned char *q, size_t n, const char *s, size_t slen) {
  char *tok = malloc(n + 1);
  int depth = 0;
  for (size_t i = 0; i < n; i++) {
    char c = (char) q[i];
    if (c == '\'' || c == '"') {
      size_t k = 0;
      for (i++;; i++) {
        if (i >= n) abort();
        if ((char) q[i] == c) {
          if (i + 1 < n && (char) q[i + 1] == c) { tok[k++] = c; i++; continue; }
          break;
        }
        tok[k++] = (char) q[i];
      }
      if (!((k == slen && memcmp(tok, s, slen) == 0) || sql_own_literal(tok, k, c))) abort();
      continue;
    }
    if (c == '(') depth++;
    else if (c == ')' && --depth < 0) abort();
    else if (c == ';') abort();
    else if (i + 1 < n && ((c == '-' && q[i + 1] == '-') || (c == '/' && q[i + 1] == '*'))) abort();
  }
  if (depth != 0) abort();
  free(tok);
}

/* A random time-series question with the text as every name, value and (sometimes) zone. */
static void run_sql(const char *s, size_t len) {
  static const int64_t everies[] = {900000000000LL, 3600000000000LL, 7200000000000LL, 86400000000000LL,
                                    604800000000000LL, 1LL, 0LL, -3600000000000LL};
  static const char *const zones[] = {NULL, "Europe/Zurich", "Asia/Kolkata", "Etc/GMT+5"};
  const char *const fields[2] = {s, "x"};
  const char *const values[2] = {s, "x"};
  const char *const groups[2] = {s, "x"};
  tag_filter where[2] = {{s, values, 1 + below(2)}, {"x", values, below(2)}};
  series_query q;
  memset(&q, 0, sizeof q);
  q.measurement = s;
  q.fields = fields;
  q.nfields = 1 + below(2);
  q.where = where;
  q.nwhere = below(3);
  q.group_by = groups;
  q.ngroup = below(3);
  q.data_start_ns = (int64_t) (next() % 4000000000000000000ULL);
  q.window_start_ns = q.data_start_ns;
  q.stop_ns = q.data_start_ns + (int64_t) below(1000000000000000ULL);
  q.aggregate = (series_aggregate) below(AGG_STDDEV + 1);
  q.every_ns = everies[below(sizeof everies / sizeof everies[0])];
  q.offset_ns = below(2) ? 0 : (int64_t) (next() % 1000000000000000ULL) - 500000000000000LL;
  q.create_empty = (int) below(2);
  q.tz = below(5) == 0 ? s : zones[below(4)];
  bytebuf b;
  bytebuf_init(&b);
  int st = sql_series_query(&b, &q);
  if (st == SQ_NOMEM) abort();
  if (st == SQ_OK) check_sql(b.data, b.len, s, len);
  int invalid = (q.aggregate != AGG_NONE && q.every_ns <= 0) || (q.nwhere == 2 && where[1].nvalues == 0);
  if (q.tz != s && (st == SQ_INVALID) != invalid) abort(); /* refused a valid one, or wrote an invalid one */
  b.len = 0;
  if (sql_quote_ident(&b, s, len) != 0) abort();
  check_sql(b.data, b.len, s, len);
  b.len = 0;
  if (sql_quote_string(&b, s, len) != 0) abort();
  check_sql(b.data, b.len, s, len);
  bytebuf_free(&b);
}

/* A model of InfluxDB 3.x's line-protocol parser (crate influxdb_line_protocol, src/lib.rs), as
 * far as the writer's lines need it: every name and string value the writer accepts must read
 * back as exactly the text given. Returns 0 when `line` (NUL-terminated) reads back as the
 * measurement, tag and string field `want` and the float field v. */
static int rust_name(const char **p, const char *stops, const char *escapable, char *out) {
  const char *q = *p;
  size_t o = 0;
  while (*q && !strchr(stops, *q) && *q != ' ' && *q != '\t' && *q != '\n') {
    if (*q != '\\') { out[o++] = *q++; continue; }
    if (q[1] && strchr(escapable, q[1])) { out[o++] = q[1]; q += 2; continue; }
    out[o++] = *q++;  /* an unknown escape keeps the backslash and the character after it */
    if (*q) {
      size_t k = (*q & 0x80) == 0 ? 1 : (*q & 0xE0) == 0xC0 ? 2 : (*q & 0xF0) == 0xE0 ? 3 : 4;
      while (k-- && *q) out[o++] = *q++;
    }
  }
  out[o] = '\0';
  if (q == *p || (o > 0 && out[o - 1] == '\\')) return -1; /* empty, or ends in a backslash */
  *p = q;
  return 0;
}

static int rust_reads_back(const char *line, const char *want) {
  size_t n = strlen(line) + 1;
  char *got = malloc(n);
  const char *p = line;
  int bad = 0;
  while (*p == ' ' || *p == '\t' || *p == '\n') p++;
  bad |= *p == '#';
  bad |= bad || rust_name(&p, ",", ", \\", got) || strcmp(got, want) || *p++ != ',';
  bad |= bad || rust_name(&p, "=", ",= \\", got) || strcmp(got, want) || *p++ != '=';
  bad |= bad || rust_name(&p, ",", ",= \\", got) || strcmp(got, want) || *p++ != ' ';
  bad |= bad || rust_name(&p, "=", ",= \\", got) || strcmp(got, want) || *p++ != '=' || *p++ != '"';
  if (!bad) { /* a string value: \" and \\ are the escapes, a lone backslash is kept */
    size_t o = 0;
    while (*p && *p != '"') {
      if (*p == '\\' && (p[1] == '"' || p[1] == '\\')) p++;
      got[o++] = *p++;
    }
    got[o] = '\0';
    bad = *p++ != '"' || strcmp(got, want) != 0 || strncmp(p, ",v=", 3) != 0;
  }
  free(got);
  return bad;
}

/* Text made of the characters that escaping is about, to reach what random bytes rarely do. */
static size_t hostile_name(char *s, size_t cap) {
  static const char *const parts[] = {"\\", "\\\\", ",", "=", " ", "\"", "#", "\t", "a", "\xc3\xa9", "\\ ", "\\\""};
  size_t n = 0, k = 1 + below(8);
  for (size_t i = 0; i < k; i++) {
    const char *part = parts[below(sizeof parts / sizeof parts[0])];
    size_t len = strlen(part);
    if (n + len >= cap) break;
    memcpy(s + n, part, len);
    n += len;
  }
  s[n] = '\0';
  return n;
}

/* The writer with the text as every name and value, for both parsers; on 3.x's the line must
 * read back exactly, and both must give one line (the servers' splitter sees no more). */
static void run_writer(const char *s, size_t len) {
  const char *meas[1] = {s};
  const char *strs[1] = {s};
  double dbl[1] = {(double) len};
  lp_column tag = {s, LP_STRING, NULL, NULL, NULL, strs};
  lp_column fields[2] = {{s, LP_STRING, NULL, NULL, NULL, strs}, {"v", LP_DOUBLE, dbl, NULL, NULL, NULL}};
  int64_t when[1] = {(int64_t) len};
  for (int esc = LP_ESCAPE_GO; esc <= LP_ESCAPE_RUST; esc++) {
    lp_input in = {meas, 1, &tag, 1, fields, 2, when, 1, (lp_escaping) esc};
    lp_error err;
    bytebuf lp;
    bytebuf_init(&lp);
    size_t order[1], lines = 0, dropped = 0;
    lp_tag_order(&in, order);
    if (lp_validate(&in, order, &err) == LP_OK) {
      if (lp_write(&in, order, 0, 1, &lp, &lines, &dropped) != LP_OK || lines != 1) abort();
      if (bytebuf_append(&lp, "", 1) != 0) abort();
      if (esc == LP_ESCAPE_RUST && rust_reads_back((const char *) lp.data, s) != 0) {
        fprintf(stderr, "3.x would not read back [%s] from [%s]\n", s, (const char *) lp.data);
        abort();
      }
    } else if (esc == LP_ESCAPE_RUST && len > 0 && s[0] != '#' && !strpbrk(s, "\t\n\r") && s[len - 1] != '\\' &&
               utf8_is_clean(s, len)) {
      fprintf(stderr, "3.x could store [%s] but the writer refused it: %s\n", s, err.message);
      abort();
    }
    bytebuf_free(&lp);
  }
}

static void run_text(const unsigned char *buf, size_t len) {
  run_utf8(buf, len);
  json_doc doc;
  if (json_parse(&doc, (const char *) buf, len) == 0) json_free(&doc);
  char *s = malloc(len + 1);
  memcpy(s, buf, len);
  for (size_t i = 0; i < len; i++) if (s[i] == 0) s[i] = ' ';
  s[len] = 0;
  int n = iql_split(s, len, NULL, 0);
  if (n > 0) {
    iql_statement *st = malloc((size_t) n * sizeof *st);
    iql_split(s, len, st, n);
    for (int i = 0; i < n; i++) if (st[i].end < st[i].start || st[i].end > len) abort();
    free(st);
  }
  long at = flux_find_write_call(s, len);
  if (at >= (long) len) abort();
  int64_t ns;
  parse_rfc3339_ns(s, len, &ns);
  parse_duration_ns(s, len, &ns);
  unsigned char *raw = malloc(len / 4 * 3 + 4);
  base64_decode(s, len, raw);
  free(raw);
  run_writer(s, len);
  char name[64];
  run_writer(name, hostile_name(name, sizeof name));
  bytebuf b;
  bytebuf_init(&b);
  flux_quote_string(&b, s, len);
  iql_quote_ident(&b, s, len);
  iql_quote_string(&b, s, len);
  json_write_string(&b, s, len);
  /* the text as every name and value of a time-series query, in both dialects */
  const char *const values[2] = {s, "x"};
  const char *const names[1] = {s};
  tag_filter where = {s, values, 2};
  series_query q = {s, s, names, 1, &where, 1, names, 1, 0, (int64_t) next() % 1000000000000LL,
                    2000000000000LL, (series_aggregate) below(AGG_STDDEV + 1),
                    (int64_t) (below(3) * 3600000000000ULL), 0, (int) below(2),
                    below(2) ? "Europe/Zurich" : NULL, 3600000000000LL,
                    /* and as the names a downsampling writes: INTO, a CQ's lookback, a task */
                    below(2) ? s : NULL, below(2) ? s : NULL, (int64_t) below(3) * 3600000000000LL,
                    below(2) ? s : NULL, 3600000000000LL, (int64_t) below(2) * 60000000000LL};
  b.len = 0;
  if (iql_series_query(&b, &q) == SQ_NOMEM) abort();
  b.len = 0;
  if (flux_series_query(&b, &q) == SQ_NOMEM) abort();
  bytebuf_free(&b);
  run_sql(s, len);
  /* neighbours over the bytes as missing flags and series ids */
  int *missing = malloc((len + 1) * sizeof *missing), *series = malloc((len + 1) * sizeof *series);
  long *prev = malloc((len + 1) * sizeof *prev), *nxt = malloc((len + 1) * sizeof *nxt);
  int id = 0;
  for (size_t i = 0; i < len; i++) {
    missing[i] = (s[i] & 1) != 0;
    if (s[i] & 2) id++;
    series[i] = id;
  }
  series_neighbours(missing, series, len, prev, nxt);
  for (size_t i = 0; i < len; i++) {
    if (prev[i] >= 0 && (prev[i] >= (long) i || missing[prev[i]] || series[prev[i]] != series[i])) abort();
    if (nxt[i] >= 0 && (nxt[i] <= (long) i || missing[nxt[i]] || series[nxt[i]] != series[i])) abort();
  }
  free(missing);
  free(series);
  free(prev);
  free(nxt);
  free(s);
}

/* Every double the writer prints must read back as the same bits (glibc strtod is correctly
 * rounded, as is the server's parser). */
static long check_doubles(long n) {
  const char *meas[1] = {"m"};
  double v[1];
  lp_column field = {"v", LP_DOUBLE, v, NULL, NULL, NULL};
  lp_input in = {meas, 1, NULL, 0, &field, 1, NULL, 1, LP_ESCAPE_GO};
  bytebuf out;
  bytebuf_init(&out);
  for (long i = 0; i < n; i++) {
    if (i % 2) {
      uint64_t bits = next();
      memcpy(&v[0], &bits, sizeof bits);
      if (!isfinite(v[0])) continue;
    } else { /* readings with a few decimals, where the fast path applies */
      double scale[] = {1, 10, 100, 1000, 1e4, 1e5, 1e6, 1e7};
      v[0] = (double) ((int64_t) (next() % 2000000000) - 1000000000) / scale[below(8)];
    }
    size_t lines = 0, dropped = 0;
    out.len = 0;
    if (lp_write(&in, NULL, 0, 1, &out, &lines, &dropped) != LP_OK || lines != 1) abort();
    bytebuf_append(&out, "", 1);
    double back = strtod((const char *) out.data + 4, NULL); /* after "m v=" */
    if (memcmp(&back, &v[0], sizeof back) != 0 && !(back == 0 && v[0] == 0 && signbit(back) == signbit(v[0]))) {
      fprintf(stderr, "double %.17g written as %s\n", v[0], (const char *) out.data);
      abort();
    }
  }
  bytebuf_free(&out);
  return n;
}

/* A minimal MessagePack writer for the generated seeds. */
static void w_byte(bytebuf *b, unsigned c) { unsigned char x = (unsigned char) c; bytebuf_append(b, &x, 1); }
static void w_be(bytebuf *b, uint64_t v, int n) { for (int i = n - 1; i >= 0; i--) w_byte(b, (unsigned) (v >> (8 * i)) & 0xff); }
static void w_map(bytebuf *b, unsigned n) { w_byte(b, 0x80 | n); }
static void w_arr(bytebuf *b, unsigned n) { w_byte(b, 0x90 | n); }
static void w_strn(bytebuf *b, const char *s, size_t n) { w_byte(b, 0xd9); w_byte(b, (unsigned) n); bytebuf_append(b, s, n); }
static void w_str(bytebuf *b, const char *s) { w_strn(b, s, strlen(s)); }
static void w_int(bytebuf *b, int64_t v) { w_byte(b, 0xd3); w_be(b, (uint64_t) v, 8); }
static void w_time(bytebuf *b, int64_t sec) { w_byte(b, 0xc7); w_byte(b, 12); w_byte(b, 5); w_be(b, (uint64_t) sec, 8); w_be(b, 7, 4); }

/* {"results":[ ... n results ... ]}: the caller writes the results. */
static void w_doc(bytebuf *b, unsigned nresults) { w_map(b, 1); w_str(b, "results"); w_arr(b, nresults); }

/* A result of one series with hostile names and values: NULs and invalid UTF-8, -2^63, 2^64 - 1. */
static void w_result(bytebuf *b, int64_t id, int key_kind, int partial) {
  w_map(b, partial ? 3 : 2);
  if (key_kind == 1) { w_arr(b, 2); w_str(b, "statement_id"); w_int(b, 0); w_int(b, 5); } /* array key */
  w_str(b, "statement_id"); w_int(b, id);
  if (partial) { w_str(b, "partial"); w_byte(b, 0xc3); }
  w_str(b, "series"); w_arr(b, 1);
  w_map(b, key_kind == 2 ? 5 : 4);
  if (key_kind == 2) { w_map(b, 1); w_str(b, "columns"); w_arr(b, 1); w_str(b, "v"); w_arr(b, 1); w_arr(b, 1); w_int(b, 9); }
  if (key_kind == 3) { w_int(b, 3); w_int(b, 4); } else { w_str(b, "name"); w_strn(b, "m\0x", 3); }
  w_str(b, "tags"); w_map(b, 2); w_strn(b, "a\0b", 3); w_strn(b, "c\0d", 3); w_str(b, "t"); w_strn(b, "\xff\xfe", 2);
  w_str(b, "columns"); w_arr(b, 4); w_str(b, "time"); w_strn(b, "s\0", 2); w_str(b, "n"); w_strn(b, "\xed\xa0\x80", 3);
  w_str(b, "values"); w_arr(b, 2);
  w_arr(b, 4); w_time(b, 1); w_strn(b, "x\0\xf0\x9f\x8f", 5); w_int(b, INT64_MIN); w_byte(b, 0xcf); w_be(b, UINT64_MAX, 8);
  w_arr(b, 4); w_time(b, -1); w_strn(b, "\xc0\xaf", 2); w_int(b, INT64_MAX); w_byte(b, 0xcb); w_be(b, 0x43e0000000000000ULL, 8);
}

static size_t generated_seeds(unsigned char ***seeds, size_t **lens, size_t n) {
  bytebuf g[24];
  size_t k = 0;
  for (int i = 0; i < 24; i++) bytebuf_init(&g[i]);
  /* map keys that are arrays, maps and integers */
  for (int kind = 1; kind <= 3; kind++) { w_doc(&g[k], 1); w_result(&g[k++], 0, kind, 0); }
  w_map(&g[k], 2); w_map(&g[k], 1); w_str(&g[k], "results"); w_int(&g[k], 1); w_str(&g[k], "results");
  w_arr(&g[k], 1); w_result(&g[k++], 0, 0, 0);
  /* statement ids: 1000000, starting at 1, skipping, going back, negative, chunks of one id */
  int64_t ids[][3] = {{1000000, -2, -2}, {1, -2, -2}, {0, 2, -2}, {0, 1, 0}, {-1, -2, -2}, {0, 0, 1}};
  for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
    unsigned nr = ids[i][1] == -2 ? 1 : ids[i][2] == -2 ? 2 : 3;
    w_doc(&g[k], nr);
    for (unsigned r = 0; r < nr; r++) w_result(&g[k], ids[i][r], 0, 0);
    k++;
  }
  w_doc(&g[k], 1); w_result(&g[k], 0, 0, 1); w_doc(&g[k], 1); w_result(&g[k], 0, 0, 0); w_doc(&g[k], 1); w_result(&g[k++], 1, 0, 0);
  /* messages and errors with NULs and invalid UTF-8 */
  w_doc(&g[k], 1); w_map(&g[k], 2); w_str(&g[k], "statement_id"); w_int(&g[k], 0); w_str(&g[k], "messages"); w_arr(&g[k], 1);
  w_map(&g[k], 2); w_str(&g[k], "level"); w_strn(&g[k], "w\0", 2); w_str(&g[k], "text"); w_strn(&g[k++], "\0\xe2\x82", 3);
  w_doc(&g[k], 1); w_map(&g[k], 2); w_str(&g[k], "statement_id"); w_int(&g[k], 0); w_str(&g[k], "error"); w_strn(&g[k++], "no\0db\xff", 6);
  w_map(&g[k], 1); w_str(&g[k], "error"); w_strn(&g[k++], "\xf4\x90\x80\x80\0", 5);
  /* Flux: no annotations at all, only some, NULs and invalid UTF-8 in names and cells, -2^63 */
  const char *flux[] = {
    ",result,table,_time,_value\r\n,_result,0,2024-01-01T00:00:00Z,1\r\n,_result,0,2024-01-01T00:00:01Z,2\r\n",
    "#datatype,string,long,dateTime:RFC3339,double\r\n,result,table,_time,_value\r\n,,0,2024-01-01T00:00:00Z,1.5\r\n",
    "#group,false,false,false\r\n#default,_result,,\r\n,result,table,_value\r\n,,0,x\r\n",
    "#datatype,string,long,long\r\n#group,false,false,false\r\n#default,_result,,\r\n,result,table,_value\r\n"
    ",,0,-9223372036854775808\r\n,,0,9223372036854775807\r\n\r\n",
  };
  for (size_t i = 0; i < sizeof flux / sizeof flux[0]; i++) bytebuf_append_str(&g[k++], flux[i]);
  static const char nul_flux[] = "#datatype,string,long,string,string\r\n#group,false,false,true,false\r\n"
                                 "#default,_result,,,\r\n,result,table,t\0g,_v\xffue\r\n,,0,a\0b,x\xc0\xafy\r\n,,0,\0,\xed\xa0\x80\r\n\r\n";
  bytebuf_append(&g[k++], nul_flux, sizeof nul_flux - 1);
  /* JSON lines: keys appearing late, explicit nulls, int64 and uint64 ends, escapes, surrogates,
   * nested values, a NUL and invalid UTF-8 in a key and a value, a last line without newline */
  static const char jsonl[] =
    "{\"iox::measurement\":\"m\",\"time\":\"2024-01-01T00:00:00.123456789\",\"t\":\"a\",\"f\":1,\"i\":-9223372036854775808}\n"
    "{\"time\":\"2262-04-11T23:47:16.854775807\",\"u\":18446744073709551615,\"f\":2.5e-3,\"b\":true,\"n\":null}\r\n"
    "{\"s\":\"\\u00e9\\ud83d\\ude00\\u0000\\\"\",\"l\":[1,{\"x\":[]}],\"ts\":\"2024-03-31T03:00:00+02:00\",\"k\\u0041\":1e308}\n"
    "{}\n\n{\"i\":9223372036854775807,\"d\":-0.0,\"e\":5e-324,\"t\":\"b\",\"iox::measurement\":7}";
  bytebuf_append(&g[k++], jsonl, sizeof jsonl - 1);
  static const char jsonl_hostile[] = "{\"a\0b\":\"x\0\xff\",\"\xed\xa0\x80\":\"\xc0\xaf\"}\n{\"a\0b\":\"\\ud800\"}\n";
  bytebuf_append(&g[k++], jsonl_hostile, sizeof jsonl_hostile - 1);
  *seeds = realloc(*seeds, (n + k) * sizeof **seeds);
  *lens = realloc(*lens, (n + k) * sizeof **lens);
  for (size_t i = 0; i < k; i++) { (*seeds)[n + i] = g[i].data; (*lens)[n + i] = g[i].len; }
  for (size_t i = k; i < 24; i++) bytebuf_free(&g[i]);
  return n + k;
}

/* The ends of int64 nanoseconds, where an intermediate product can overflow (UBSan aborts then):
 * the exact values at both ends, and one nanosecond beyond is refused. Returns the checks run. */
static long check_time_edges(void) {
  struct { const char *text; int ok; int64_t ns; } times[] = {
    {"2262-04-11T23:47:16.854775807Z", 1, INT64_MAX},
    {"2262-04-11T23:47:16Z", 1, INT64_C(9223372036000000000)},
    {"2262-04-11T23:47:16.854775808Z", 0, 0},
    {"1677-09-21T00:12:43.145224192Z", 1, INT64_MIN},
    {"1677-09-21T00:12:43.145224191Z", 0, 0},
    {"1970-01-01T00:00:00Z", 1, 0},
  };
  struct { const char *text; int ok; int64_t ns; } durations[] = {
    {"2562047h47m16.854775807s", 1, INT64_MAX},
    {"2562047h", 1, INT64_C(9223369200000000000)},
    {"2562047.99999h", 0, 0},
    {"2562047h47m16.854775808s", 0, 0},
    {"1.5h", 1, INT64_C(5400000000000)},
  };
  long n = 0;
  for (size_t i = 0; i < sizeof times / sizeof times[0]; i++, n++) {
    int64_t ns = 0;
    int rc = parse_rfc3339_ns(times[i].text, strlen(times[i].text), &ns);
    if ((rc == 0) != times[i].ok || (rc == 0 && ns != times[i].ns)) { fprintf(stderr, "time %s\n", times[i].text); abort(); }
  }
  for (size_t i = 0; i < sizeof durations / sizeof durations[0]; i++, n++) {
    int64_t ns = 0;
    int rc = parse_duration_ns(durations[i].text, strlen(durations[i].text), &ns);
    if ((rc == 0) != durations[i].ok || (rc == 0 && ns != durations[i].ns)) { fprintf(stderr, "duration %s\n", durations[i].text); abort(); }
  }
  return n;
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: fuzz ITERATIONS SEED...\n"); return 2; }
  long iterations = atol(argv[1]);
  int nseeds = argc - 2;
  unsigned char **seeds = malloc((size_t) nseeds * sizeof *seeds);
  size_t *lens = malloc((size_t) nseeds * sizeof *lens);
  size_t cap = 0;
  for (int i = 0; i < nseeds; i++) seeds[i] = read_file(argv[i + 2], &lens[i]);
  nseeds = (int) generated_seeds(&seeds, &lens, (size_t) nseeds);
  for (int i = 0; i < nseeds; i++) if (lens[i] > cap) cap = lens[i];
  cap = 2 * cap + 64;
  unsigned char *buf = malloc(cap);
  for (int i = 0; i < nseeds; i++) {
    for (int r = 0; r < 4; r++) run_decoders(seeds[i], lens[i]); /* options at random */
    run_text(seeds[i], lens[i]);
  }
  for (long it = 0; it < iterations; it++) {
    int k = (int) below((size_t) nseeds);
    memcpy(buf, seeds[k], lens[k]);
    size_t len = mutate(buf, lens[k], cap);
    run_decoders(buf, len);
    run_text(buf, len);
  }
  for (int i = 0; i < nseeds; i++) free(seeds[i]);
  free(seeds);
  free(lens);
  free(buf);
  long doubles = check_doubles(1000000);
  long edges = check_time_edges();
  long registry = check_registry();
  printf("fuzz: %ld passed, 0 failed\n", iterations + nseeds + doubles + edges + registry);
  return 0;
}
