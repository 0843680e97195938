/* Plain-C tests of the JSON-lines decoder (src/decode_jsonl.c), run by tests/c/run-decode-jsonl.sh
 * under AddressSanitizer and UBSan. Each check prints what failed; the exit status is the count. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../src/decode_jsonl.h"

static int failures = 0;
#define CHECK(cond, ...) do { if (!(cond)) { failures++; fprintf(stderr, "%s:%d: ", __FILE__, __LINE__); \
  fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

static const jsonl_options no_options = {NULL, 0, 0};

/* Decodes body in pieces of `piece` bytes (0: one piece); the decoder is left for inspection. */
static jsonl_status decode(jsonl_decoder *d, const char *body, size_t len, size_t piece, const jsonl_options *o) {
  if (jsonl_init(d, o ? o : &no_options) != 0) abort();
  if (getenv("JSONL_TEST_THREAD")) d->thread_after = 0; /* every body through the worker thread */
  if (piece == 0) piece = len ? len : 1;
  jsonl_status st = JSONL_OK;
  for (size_t off = 0; off < len && st == JSONL_OK; off += piece)
    st = jsonl_feed(d, body + off, len - off < piece ? len - off : piece);
  if (st == JSONL_OK) st = jsonl_finish(d);
  return st;
}

static jsonl_status decode_str(jsonl_decoder *d, const char *body, size_t piece) {
  return decode(d, body, strlen(body), piece, NULL);
}

static const column *col(const jsonl_decoder *d, const char *name) {
  int c = table_find(d->out, name, strlen(name));
  return c < 0 ? NULL : &d->out->cols[c];
}

/* Reading cells through columns.h's reading functions. */
static const void *cell(const column *c, size_t i) {
  size_t len;
  return col_rows(c, i, &len);
}
static int is_na(const column *c, size_t i) { return col_is_na(c, i); }
static int64_t ival(const column *c, size_t i) { int64_t v; memcpy(&v, cell(c, i), sizeof v); return v; }
static double dval(const column *c, size_t i) { double v; memcpy(&v, cell(c, i), sizeof v); return v; }
static int bval(const column *c, size_t i) { return *(const int8_t *) cell(c, i); }
static const char *sval(const table *t, const column *c, size_t i, size_t *len) {
  uint64_t entry;
  memcpy(&entry, cell(c, i), sizeof entry);
  return table_entry(t, entry, len);
}
static int sval_is(const jsonl_decoder *d, const column *c, size_t i, const char *s, size_t len) {
  size_t n;
  const char *v = sval(d->out, c, i, &n);
  return n == len && memcmp(v, s, len) == 0;
}
#define SVAL_IS(d, c, i, lit) sval_is(d, c, i, lit, sizeof lit - 1)

/* Two decoded tables hold the same columns, types and values. */
static int same_table(const table *a, const table *b) {
  if (a->nrow != b->nrow || a->ncol != b->ncol) return 0;
  for (size_t c = 0; c < a->ncol; c++) {
    const column *x = &a->cols[c], *y = &b->cols[c];
    if (x->type != y->type || x->role != y->role || x->n != y->n || x->name_len != y->name_len ||
        memcmp(x->name, y->name, x->name_len) != 0)
      return 0;
    for (size_t i = 0; i < x->n; i++) {
      if (is_na(x, i) != is_na(y, i)) return 0;
      if (is_na(x, i)) continue;
      switch (x->type) {
      case COL_STRING: {
        size_t lx, ly;
        const char *sx = sval(a, x, i, &lx), *sy = sval(b, y, i, &ly);
        if (lx != ly || memcmp(sx, sy, lx) != 0) return 0;
        break;
      }
      case COL_BOOL: if (bval(x, i) != bval(y, i)) return 0; break;
      case COL_EMPTY: break;
      default: if (memcmp(cell(x, i), cell(y, i), 8) != 0) return 0;
      }
    }
  }
  return 1;
}

/* An InfluxQL result as the 3.x server writes it: measurement first, time without a zone. */
static const char influxql_body[] =
  "{\"iox::measurement\":\"weather\",\"time\":\"2071-03-02T08:15:00\",\"station\":\"north\",\"temp\":4.25,\"rain\":0}\n"
  "{\"iox::measurement\":\"weather\",\"time\":\"2071-03-02T08:15:00.5\",\"station\":\"south\",\"temp\":-1.5,\"rain\":3}\n"
  "{\"iox::measurement\":\"weather\",\"time\":\"2071-03-02T08:16:00.000000001\",\"station\":\"north\",\"rain\":12}\n";

static void test_influxql_shape(void) {
  jsonl_decoder d;
  CHECK(decode_str(&d, influxql_body, 0) == JSONL_OK, "influxql body: %s", d.message);
  CHECK(d.out->nrow == 3 && d.out->ncol == 5, "3 rows, 5 columns: %zu %zu", d.out->nrow, d.out->ncol);
  const column *m = col(&d, "iox::measurement"), *t = col(&d, "time"), *s = col(&d, "station"),
               *temp = col(&d, "temp"), *rain = col(&d, "rain");
  CHECK(m && m->type == COL_STRING && m->role == ROLE_VALUE && SVAL_IS(&d, m, 2, "weather"), "measurement kept as a column");
  int64_t t0 = INT64_C(3192509700) * 1000000000;
  CHECK(t && t->type == COL_TIME && ival(t, 0) == t0 && ival(t, 1) == t0 + 500000000 &&
        ival(t, 2) == t0 + INT64_C(60000000001), "times parsed as UTC nanoseconds");
  CHECK(s && SVAL_IS(&d, s, 0, "north") && SVAL_IS(&d, s, 1, "south"), "tags are strings");
  CHECK(temp && temp->type == COL_DOUBLE && dval(temp, 0) == 4.25 && dval(temp, 1) == -1.5 && is_na(temp, 2),
        "a float left out of a line is NA");
  CHECK(rain && rain->type == COL_INT && ival(rain, 2) == 12 && rain->all_int32, "integers stay integers");
  jsonl_free(&d);
  /* the same rows in pieces of every size, 1 byte included */
  jsonl_decoder whole;
  decode_str(&whole, influxql_body, 0);
  for (size_t piece = 1; piece <= sizeof influxql_body; piece++) {
    CHECK(decode_str(&d, influxql_body, piece) == JSONL_OK && same_table(d.out, whole.out), "pieces of %zu bytes", piece);
    jsonl_free(&d);
  }
  jsonl_free(&whole);
  /* with the measurement role, r_columns.c gives it the 1.x shape */
  jsonl_options o = {NULL, 0, 1};
  CHECK(decode(&d, influxql_body, strlen(influxql_body), 7, &o) == JSONL_OK && col(&d, "iox::measurement")->role == ROLE_MEASUREMENT,
        "measurement role on request");
  jsonl_free(&d);
  /* r_columns.c reads a measurement column as strings, so it holds strings whatever the body says */
  const char *odd = "{\"iox::measurement\":5}\n{\"iox::measurement\":true}\n{\"iox::measurement\":null}\n";
  CHECK(decode(&d, odd, strlen(odd), 0, &o) == JSONL_OK && col(&d, "iox::measurement")->type == COL_STRING &&
        SVAL_IS(&d, col(&d, "iox::measurement"), 0, "5") && SVAL_IS(&d, col(&d, "iox::measurement"), 1, "true") &&
        is_na(col(&d, "iox::measurement"), 2), "a measurement column of numbers and booleans is text");
  jsonl_free(&d);
}

static void test_nulls_and_late_keys(void) {
  jsonl_decoder d;
  CHECK(decode_str(&d, "{\"a\":1}\n{\"b\":\"x\"}\n{}\n{\"a\":null,\"b\":\"y\",\"c\":true}\n", 0) == JSONL_OK, "%s", d.message);
  const column *a = col(&d, "a"), *b = col(&d, "b"), *c = col(&d, "c");
  CHECK(d.out->nrow == 4, "an empty object is a row of NAs");
  CHECK(a->n == 4 && ival(a, 0) == 1 && is_na(a, 1) && is_na(a, 2) && is_na(a, 3), "explicit null and missing key: NA");
  CHECK(b->n == 4 && is_na(b, 0) && SVAL_IS(&d, b, 1, "x") && is_na(b, 2) && SVAL_IS(&d, b, 3, "y"), "a key first seen on line 2");
  CHECK(c->n == 4 && c->type == COL_BOOL && is_na(c, 0) && is_na(c, 2) && bval(c, 3) == 1, "a key first seen on the last line");
  jsonl_free(&d);
  CHECK(decode_str(&d, "{\"n\":null}\n{\"n\":null}\n", 0) == JSONL_OK && col(&d, "n")->type == COL_EMPTY &&
        col(&d, "n")->n == 2 && is_na(col(&d, "n"), 1), "a column of explicit nulls only");
  jsonl_free(&d);
  CHECK(decode_str(&d, "", 0) == JSONL_OK && d.out->nrow == 0 && d.out->ncol == 0, "an empty body is an empty result");
  jsonl_free(&d);
}

static void test_integers(void) {
  jsonl_decoder d;
  CHECK(decode_str(&d, "{\"i\":-9223372036854775808,\"u\":9223372036854775807}\n"
                       "{\"i\":9223372036854775807,\"u\":9223372036854775808}\n"
                       "{\"i\":-0,\"u\":18446744073709551615}\n", 1) == JSONL_OK, "%s", d.message);
  const column *i = col(&d, "i"), *u = col(&d, "u");
  CHECK(i->type == COL_INT && ival(i, 0) == INT64_MIN && ival(i, 1) == INT64_MAX && ival(i, 2) == 0 && !i->all_int32,
        "int64 extremes exact");
  CHECK(u->type == COL_DOUBLE && u->inexact && dval(u, 1) == 9223372036854775808.0 && dval(u, 2) == 18446744073709551615.0,
        "above INT64_MAX: a double flagged inexact");
  jsonl_free(&d);
  CHECK(decode_str(&d, "{\"x\":18446744073709551616}\n{\"x\":-9223372036854775809}\n", 0) == JSONL_OK &&
        col(&d, "x")->inexact && dval(col(&d, "x"), 0) == 18446744073709551616.0 &&
        dval(col(&d, "x"), 1) == -9223372036854775808.0, "beyond 64 bits: double, inexact");
  jsonl_free(&d);
  CHECK(decode_str(&d, "{\"v\":1}\n{\"v\":2.5}\n{\"v\":3}\n", 0) == JSONL_OK && col(&d, "v")->type == COL_DOUBLE &&
        dval(col(&d, "v"), 0) == 1 && dval(col(&d, "v"), 1) == 2.5 && dval(col(&d, "v"), 2) == 3 && !col(&d, "v")->inexact,
        "integers and doubles in one column: double");
  jsonl_free(&d);
  CHECK(decode_str(&d, "{\"v\":2147483647}\n{\"v\":-2147483647}\n", 0) == JSONL_OK && col(&d, "v")->all_int32, "int32 range");
  jsonl_free(&d);
  CHECK(decode_str(&d, "{\"v\":-2147483648}\n", 0) == JSONL_OK && !col(&d, "v")->all_int32, "R's NA_integer_ is not int32");
  jsonl_free(&d);
}

static void test_doubles(void) {
  jsonl_decoder d;
  CHECK(decode_str(&d, "{\"f\":1e308}\n{\"f\":-0.0}\n{\"f\":5e-324}\n{\"f\":1.7976931348623157e308}\n{\"f\":2.2250738585072014E-308}\n"
                       "{\"f\":0.1}\n{\"f\":123456789012345678901234567890}\n{\"f\":1e-400}\n{\"f\":1.0}\n{\"f\":-12.5e+2}\n", 3) == JSONL_OK,
        "%s", d.message);
  const column *f = col(&d, "f");
  CHECK(f->type == COL_DOUBLE && dval(f, 0) == 1e308 && dval(f, 1) == 0 && signbit(dval(f, 1)) && dval(f, 2) == 5e-324 &&
        dval(f, 3) == 1.7976931348623157e308 && dval(f, 4) == 2.2250738585072014e-308 && dval(f, 5) == 0.1 &&
        dval(f, 6) == 123456789012345678901234567890.0 && dval(f, 7) == 0 && dval(f, 8) == 1.0 && dval(f, 9) == -1250,
        "double literals");
  CHECK(f->inexact, "an integer literal beyond 64 bits is flagged");
  jsonl_free(&d);
  CHECK(decode_str(&d, "{\"f\":1e309}\n", 0) == JSONL_OK && isinf(dval(col(&d, "f"), 0)) && col(&d, "f")->inexact,
        "overflow to infinity is flagged");
  jsonl_free(&d);
  /* every double printed in shortest and 17-digit forms reads back to its bits */
  uint64_t state = 88172645463325252ULL;
  char body[512];
  for (int k = 0; k < 200000; k++) {
    state ^= state << 13; state ^= state >> 7; state ^= state << 17;
    double v;
    if (k % 2) { memcpy(&v, &state, sizeof v); if (!isfinite(v)) continue; }
    else v = (double) ((int64_t) (state % 2000000001) - 1000000000) / (double) (1 + state % 10000);
    const char *fmt = k % 3 == 0 ? "{\"f\":%.17g}\n" : k % 3 == 1 ? "{\"f\":%.15g}\n" : "{\"f\":%.6f}\n";
    snprintf(body, sizeof body, fmt, v);
    if (strchr(body, '.') == NULL && strchr(body, 'e') == NULL) continue; /* an integer literal */
    double want = strtod(body + 5, NULL);
    if (decode_str(&d, body, 0) != JSONL_OK) { CHECK(0, "%s: %s", body, d.message); jsonl_free(&d); continue; }
    double got = dval(col(&d, "f"), 0);
    if (memcmp(&got, &want, sizeof got) != 0) { CHECK(0, "%s read as %.17g", body, got); }
    jsonl_free(&d);
  }
}

static void test_strings(void) {
  jsonl_decoder d;
  const char *body = "{\"s\":\"caf\\u00e9 \\ud83d\\ude00 \\\"q\\\" \\\\ \\/ \\b\\f\\n\\r\\t\",\"raw\":\"Z\xc3\xbcrich \xf0\x9f\x8c\xa7\"}\n"
                     "{\"s\":\"a\\u0000b\",\"raw\":\"\xff\xfe bad\"}\n";
  for (size_t piece = 0; piece <= 9; piece++) {
    CHECK(decode_str(&d, body, piece) == JSONL_OK, "escapes in pieces of %zu: %s", piece, d.message);
    const column *s = col(&d, "s"), *raw = col(&d, "raw");
    CHECK(SVAL_IS(&d, s, 0, "caf\xc3\xa9 \xf0\x9f\x98\x80 \"q\" \\ / \b\f\n\r\t"), "escapes and a surrogate pair to UTF-8");
    CHECK(SVAL_IS(&d, s, 1, "a\0b"), "\\u0000 is a NUL byte, left to the bad_strings policy");
    CHECK(SVAL_IS(&d, raw, 0, "Z\xc3\xbcrich \xf0\x9f\x8c\xa7") && SVAL_IS(&d, raw, 1, "\xff\xfe bad"),
          "raw UTF-8 and invalid bytes kept as sent");
    jsonl_free(&d);
  }
  /* a quote, an escape, a control byte and a multi-byte character at every offset of a word */
  for (int k = 0; k < 20; k++) {
    char body[96], want[64];
    snprintf(body, sizeof body, "{\"s\":\"%.*s\\n\xc3\xa9%.*s\"}\n", k, "abcdefghijklmnopqrstuvwxyz", k, "0123456789012345678901");
    snprintf(want, sizeof want, "%.*s\n\xc3\xa9%.*s", k, "abcdefghijklmnopqrstuvwxyz", k, "0123456789012345678901");
    CHECK(decode_str(&d, body, 0) == JSONL_OK && sval_is(&d, col(&d, "s"), 0, want, strlen(want)), "offset %d: %s", k, d.message);
    jsonl_free(&d);
    snprintf(body, sizeof body, "{\"s\":\"%.*s\x01\"}\n", k, "abcdefghijklmnopqrstuvwxyz");
    CHECK(decode_str(&d, body, 0) == JSONL_ERR_MALFORMED, "a control byte after %d bytes", k);
    jsonl_free(&d);
  }
  CHECK(decode_str(&d, "{\"k\\u00e9y\":1,\"t\\\"ab\":2}\n", 0) == JSONL_OK && col(&d, "k\xc3\xa9y") && col(&d, "t\"ab"),
        "escapes in keys");
  jsonl_free(&d);
  const char *bad_strings[] = {
    "{\"s\":\"\\x41\"}\n", "{\"s\":\"\\u12G4\"}\n", "{\"s\":\"\\ud800\"}\n", "{\"s\":\"\\udc00x\"}\n",
    "{\"s\":\"\\ud800\\u0041\"}\n", "{\"s\":\"tab\there\"}\n", "{\"s\":\"\\ud83d\\n\"}\n", "{\"s\":\"a\\\"}\n",
  };
  for (size_t i = 0; i < sizeof bad_strings / sizeof bad_strings[0]; i++) {
    CHECK(decode_str(&d, bad_strings[i], 0) == JSONL_ERR_MALFORMED && strstr(d.message, "line 1"), "malformed string %zu: %d %s", i,
          d.status, d.message);
    jsonl_free(&d);
  }
}

/* Tag values share one arena entry through the column's cache; values that fall on one cache slot
 * (same length, same first and last eight bytes) stay apart, and more values than the cache holds
 * all come back. */
static void test_string_cache(void) {
  enum { NVAL = 40, NROW = 400 };
  char *body = malloc(NROW * 96);
  size_t len = 0;
  for (int i = 0; i < NROW; i++)
    len += (size_t) sprintf(body + len, "{\"long\":\"aaaaaaaa%02dbbbbbbbb\",\"short\":\"s%d\",\"e\":\"%s\"}\n", i % NVAL, i % NVAL,
                            i % 3 ? "x" : "");
  for (size_t piece = 0; piece <= 7; piece += 7) {
    jsonl_decoder d;
    CHECK(decode(&d, body, len, piece, NULL) == JSONL_OK, "cache body: %s", d.message);
    const column *lc = col(&d, "long"), *sc = col(&d, "short"), *ec = col(&d, "e");
    int ok = 1;
    for (int i = 0; i < NROW && ok; i++) {
      char want[32];
      snprintf(want, sizeof want, "aaaaaaaa%02dbbbbbbbb", i % NVAL);
      ok = sval_is(&d, lc, (size_t) i, want, strlen(want));
      snprintf(want, sizeof want, "s%d", i % NVAL);
      ok = ok && sval_is(&d, sc, (size_t) i, want, strlen(want));
      ok = ok && (i % 3 ? SVAL_IS(&d, ec, (size_t) i, "x") : SVAL_IS(&d, ec, (size_t) i, ""));
      CHECK(ok, "row %d of values that share cache slots", i);
    }
    uint64_t a, b;
    memcpy(&a, cell(lc, 3), sizeof a);
    memcpy(&b, cell(lc, 3 + NVAL), sizeof b);
    CHECK(a == b, "an equal value is stored once");
    jsonl_free(&d);
  }
  free(body);
}

/* Keys are matched raw ("name": as written) against the line before: a key that is a prefix of
 * another, keys in another order, spaces around the colon, an escaped spelling of the same name,
 * a key cut by the end of the body, and a key given twice. */
static void test_key_matching(void) {
  jsonl_decoder d;
  const char *body = "{\"ab\":1,\"abc\":2}\n{\"abc\":3,\"ab\":4}\n{ \"ab\" : 5 , \"abc\" :6}\n{\"a\\u0062\":7,\"abc\":8}\n"
                     "{\"ab\":9}\n{\"abcd\":10,\"ab\":11}\n";
  for (size_t piece = 0; piece <= 5; piece++) {
    CHECK(decode_str(&d, body, piece) == JSONL_OK, "keys in pieces of %zu: %s", piece, d.message);
    const column *ab = col(&d, "ab"), *abc = col(&d, "abc"), *abcd = col(&d, "abcd");
    CHECK(d.out->ncol == 3 && d.out->nrow == 6, "three columns, six rows");
    static const int64_t want_ab[] = {1, 4, 5, 7, 9, 11}, want_abc[] = {2, 3, 6, 8};
    for (size_t i = 0; i < 6; i++) CHECK(!is_na(ab, i) && ival(ab, i) == want_ab[i], "ab row %zu", i);
    for (size_t i = 0; i < 4; i++) CHECK(!is_na(abc, i) && ival(abc, i) == want_abc[i], "abc row %zu", i);
    CHECK(is_na(abc, 4) && is_na(abc, 5) && is_na(abcd, 0) && ival(abcd, 5) == 10, "keys a line leaves out are NA");
    jsonl_free(&d);
  }
  CHECK(decode_str(&d, "{\"ab\":1,\"abc\":2}\n{\"ab\":1,\"ab\":2}\n", 0) == JSONL_ERR_MALFORMED && strstr(d.message, "line 2") &&
        strstr(d.message, "twice"), "a key of the line before given twice: %s", d.message);
  jsonl_free(&d);
  CHECK(decode_str(&d, "{\"abc\":1}\n{\"ab", 0) == JSONL_ERR_TRUNCATED, "a key cut by the end: %s", d.message);
  jsonl_free(&d);
  CHECK(decode_str(&d, "{\"abc\":1}\n{\"abc\"", 0) == JSONL_ERR_TRUNCATED, "a key cut before its colon: %s", d.message);
  jsonl_free(&d);
}

/* Numbers on both sides of the short path's limits (15 digits, a point, no exponent) read as the
 * general path reads them, and what JSON forbids is refused on either path. */
static void test_number_paths(void) {
  static const char *doubles[] = {
    "123456789012345.0", "12345678901234.5", "1234567890123.45", "0.123456789012345", "0.1234567890123456",
    "-99999999999999.9", "999999999999999.9", "0.000000000000001", "-0.0", "0.5e1", "7.25E-3", "1.5,", "3.0}",
  };
  jsonl_decoder d;
  char body[96];
  for (size_t i = 0; i < sizeof doubles / sizeof doubles[0]; i++) {
    snprintf(body, sizeof body, "{\"f\":%.*s}\n", (int) strcspn(doubles[i], ",}"), doubles[i]);
    double want = strtod(doubles[i], NULL);
    CHECK(decode_str(&d, body, 0) == JSONL_OK && col(&d, "f")->type == COL_DOUBLE &&
          memcmp(cell(col(&d, "f"), 0), &want, sizeof want) == 0, "%s: %s", body, d.message);
    jsonl_free(&d);
  }
  static const struct { const char *text; int64_t v; } ints[] = {
    {"999999999999999", 999999999999999}, {"1000000000000000", 1000000000000000}, {"-999999999999999", -999999999999999},
    {"-9223372036854775808", INT64_MIN}, {"9223372036854775807", INT64_MAX}, {"0", 0}, {"-0", 0},
  };
  for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
    snprintf(body, sizeof body, "{\"i\":%s}\n", ints[i].text);
    CHECK(decode_str(&d, body, 0) == JSONL_OK && col(&d, "i")->type == COL_INT && ival(col(&d, "i"), 0) == ints[i].v,
          "%s: %s", body, d.message);
    jsonl_free(&d);
  }
  static const char *bad_numbers[] = {"01", "-01", "1.", "-", "1.e5", "00.5", "--1", "1.5.5", "0123456789012345"};
  for (size_t i = 0; i < sizeof bad_numbers / sizeof bad_numbers[0]; i++) {
    snprintf(body, sizeof body, "{\"n\":%s}\n", bad_numbers[i]);
    CHECK(decode_str(&d, body, 0) == JSONL_ERR_MALFORMED, "%s is refused", body);
    jsonl_free(&d);
  }
}

static void test_nested(void) {
  jsonl_decoder d;
  CHECK(decode_str(&d, "{\"a\":[1, {\"b\":\"c\\u00e9\"}, [], {}, null, true],\"o\":{\"x\":-2.5e3}}\n", 0) == JSONL_OK &&
        SVAL_IS(&d, col(&d, "a"), 0, "[1, {\"b\":\"c\\u00e9\"}, [], {}, null, true]") && SVAL_IS(&d, col(&d, "o"), 0, "{\"x\":-2.5e3}"),
        "arrays and objects kept as their JSON text: %s", d.message);
  jsonl_free(&d);
  char deep[1200];
  size_t n = 0;
  n += (size_t) sprintf(deep, "{\"a\":");
  for (int i = 0; i < 300; i++) deep[n++] = '[';
  for (int i = 0; i < 300; i++) deep[n++] = ']';
  strcpy(deep + n, "}\n");
  CHECK(decode_str(&d, deep, 0) == JSONL_ERR_MALFORMED && strstr(d.message, "nested"), "300 levels refused: %s", d.message);
  jsonl_free(&d);
  const char *bad_nested[] = {"{\"a\":[1,]}\n", "{\"a\":{\"b\"}}\n", "{\"a\":[1 2]}\n", "{\"a\":{1:2}}\n"};
  for (size_t i = 0; i < sizeof bad_nested / sizeof bad_nested[0]; i++) {
    CHECK(decode_str(&d, bad_nested[i], 0) == JSONL_ERR_MALFORMED, "bad nested %zu", i);
    jsonl_free(&d);
  }
}

static void test_malformed(void) {
  struct { const char *body; const char *where; } cases[] = {
    {"{\"a\":1}\n[1,2]\n", "line 2 at byte 1"},
    {"{\"a\":1}x\n", "line 1 at byte 8"},
    {"{\"a\" 1}\n", "expected ':'"},
    {"{\"a\":01}\n", "expected ','"},
    {"{\"a\":.5}\n", "expected a value"},
    {"{\"a\":1.}\n", "decimal point"},
    {"{\"a\":1e}\n", "exponent"},
    {"{\"a\":-}\n", "without digits"},
    {"{\"a\":+1}\n", "expected a value"},
    {"{\"a\":1,}\n", "expected a key"},
    {"{a:1}\n", "expected a key"},
    {"{\"a\":tru}\n", "expected a value"},
    {"{\"a\":nul}\n", "expected a value"},
    {"{\"a\":NaN}\n", "expected a value"},
    {"{\"a\":1,\"a\":2}\n", "the key a twice"},
    {"{\"a\":1}\n{\"a\":2\n{\"a\":3}\n", "line 2"},
    {"{\"a\":1}{\"a\":2}\n", "text after the object"},
    {"\"a\"\n", "expected '{'"},
    {"{\"time\":\"yesterday\"}\n", "column time is not a time"},
    {"{\"time\":\"2024-02-30T00:00:00\"}\n", "not a time"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    jsonl_decoder d;
    for (size_t piece = 0; piece < 4; piece++) {
      jsonl_status st = decode_str(&d, cases[i].body, piece);
      CHECK(st == JSONL_ERR_MALFORMED && strstr(d.message, cases[i].where), "case %zu (%s), pieces %zu: %d %s", i, cases[i].body,
            piece, st, d.message);
      jsonl_free(&d);
    }
  }
  jsonl_decoder d;
  decode_str(&d, "{\"a\":1}\n{\"a\":1}\n{\"a\":1,\"b\":x}\n", 1);
  CHECK(strstr(d.message, "line 3 at byte 12 (byte 28 of the body)"), "line and byte named: %s", d.message);
  jsonl_free(&d);
}

/* Every cut of a body: at a line end a shorter but complete result, anywhere else an error that
 * says the body was cut. */
static void test_truncated_everywhere(void) {
  const char *body = "{\"time\":\"2024-01-01T00:00:00.123\",\"s\":\"a\\u00e9\\ud83d\\ude00\",\"x\":-12.5e-1,\"b\":true,\"n\":null,"
                     "\"l\":[1,{\"k\":\"v\"}]}\r\n{\"i\":-9223372036854775808,\"f\":false}\n";
  size_t len = strlen(body);
  for (size_t cut = 0; cut < len; cut++) {
    jsonl_decoder d;
    jsonl_status st = decode(&d, body, cut, 1 + cut % 5, NULL);
    const char *end = strchr(body, '\n');
    size_t first_end = (size_t) (end - body);
    int complete = cut == 0 || cut == first_end + 1 || cut == first_end || cut == first_end - 1 || cut == len - 1;
    if (complete) CHECK(st == JSONL_OK, "cut at %zu: %s", cut, d.message);
    else CHECK(st == JSONL_ERR_TRUNCATED && strstr(d.message, "cut"), "cut at %zu: status %d %s", cut, st, d.message);
    jsonl_free(&d);
  }
}

/* Times on the fast path (the server's form) and the general one, to the ends of int64 nanoseconds. */
static void test_times(void) {
  struct { const char *text; int ok; int64_t ns; } times[] = {
    {"1970-01-01T00:00:00", 1, 0},
    {"2024-01-01T00:00:00.123", 1, INT64_C(1704067200123000000)},
    {"2024-01-01T23:59:59.999999", 1, INT64_C(1704153599999999000)},
    {"2024-01-02T00:00:00.000000001", 1, INT64_C(1704153600000000001)},
    {"2024-02-29T12:00:00", 1, INT64_C(1709208000000000000)},
    {"1969-12-31T23:59:59.5", 1, -500000000},
    {"2262-04-11T23:47:16.854775807", 1, INT64_MAX},
    {"2262-04-11T23:47:16.854775808", 0, 0},
    {"1677-09-21T00:12:43.145224192", 1, INT64_MIN},
    {"1677-09-21T00:12:43.145224191", 0, 0},
    {"2016-12-31T23:59:60", 1, INT64_C(1483228800000000000)},
    {"2024-01-01T01:00:00+01:00", 1, INT64_C(1704067200000000000)},
    {"2024-01-01T00:00:00Z", 1, INT64_C(1704067200000000000)},
    {"2024-01-01T00:00:00.1234567891", 1, INT64_C(1704067200123456789)},
    {"2023-02-29T00:00:00", 0, 0},
    {"2024-01-01T24:00:00", 0, 0},
    {"2024-01-01T00:00:00.", 0, 0},
    {"2024-01-01 00:00:00", 1, INT64_C(1704067200000000000)},
    {"2024-01-01", 0, 0},
  };
  for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
    char body[128];
    /* after another date, so the cached midnight must not leak into the next row */
    snprintf(body, sizeof body, "{\"time\":\"2001-05-05T05:05:05\"}\n{\"time\":\"%s\"}\n", times[i].text);
    jsonl_decoder d;
    jsonl_status st = decode_str(&d, body, 0);
    if (times[i].ok) CHECK(st == JSONL_OK && ival(col(&d, "time"), 1) == times[i].ns, "time %s: %s", times[i].text, d.message);
    else CHECK(st == JSONL_ERR_MALFORMED && strstr(d.message, "line 2"), "time %s refused: %s", times[i].text, d.message);
    jsonl_free(&d);
  }
}

static void test_line_ends(void) {
  jsonl_decoder d;
  CHECK(decode_str(&d, "{\"a\":1}\r\n\r\n  \n{\"a\":2} \t\r\n{\"a\":3}", 2) == JSONL_OK && d.out->nrow == 3 &&
        ival(col(&d, "a"), 2) == 3, "CRLF, blank lines and a last line without newline: %s", d.message);
  jsonl_free(&d);
}

static void test_hints(void) {
  jsonl_hint hints[] = {
    {"ts", 2, JSONL_TIMESTAMP, 0}, {"time", 4, JSONL_STRING, 0}, {"f", 1, JSONL_FLOAT, 0}, {"host", 4, JSONL_TAG, 0},
    {"empty_f", 7, JSONL_FLOAT, 1}, {"empty_t", 7, JSONL_TIMESTAMP, 1}, {"empty_s", 7, JSONL_STRING, 1}, {"s", 1, JSONL_STRING, 0},
    {"nulls_i", 7, JSONL_INT, 0}, {"absent", 6, JSONL_BOOL, 0},
  };
  jsonl_options o = {hints, sizeof hints / sizeof hints[0], 0};
  const char *body = "{\"time\":\"not a time\",\"ts\":\"2024-03-31T03:00:00+02:00\",\"f\":3,\"host\":\"h1\",\"s\":12.50,\"nulls_i\":null}\n"
                     "{\"time\":\"x\",\"ts\":\"2024-03-31T01:00:00\",\"f\":9007199254740993,\"host\":\"h2\",\"s\":true}\n";
  jsonl_decoder d;
  CHECK(decode(&d, body, strlen(body), 5, &o) == JSONL_OK, "hinted body: %s", d.message);
  CHECK(d.out->ncol == 9 && strcmp(d.out->cols[0].name, "empty_f") == 0 && strcmp(d.out->cols[2].name, "empty_s") == 0,
        "required columns first, in the hints' order; unmentioned optional hints absent");
  CHECK(col(&d, "time")->type == COL_STRING && SVAL_IS(&d, col(&d, "time"), 0, "not a time"), "time hinted string stays text");
  CHECK(col(&d, "ts")->type == COL_TIME && ival(col(&d, "ts"), 0) == ival(col(&d, "ts"), 1) &&
        ival(col(&d, "ts"), 1) == INT64_C(1711846800) * 1000000000, "hinted timestamps, with and without a zone");
  CHECK(col(&d, "f")->type == COL_DOUBLE && dval(col(&d, "f"), 0) == 3 && col(&d, "f")->inexact, "integral float: double");
  CHECK(col(&d, "host")->role == ROLE_TAG && SVAL_IS(&d, col(&d, "host"), 1, "h2"), "tag role");
  CHECK(SVAL_IS(&d, col(&d, "s"), 0, "12.50") && SVAL_IS(&d, col(&d, "s"), 1, "true"), "string hint keeps literal text");
  CHECK(col(&d, "empty_f")->type == COL_DOUBLE && col(&d, "empty_f")->n == 2 && is_na(col(&d, "empty_f"), 0) &&
        is_na(col(&d, "empty_f"), 1), "an all-null float column is NA of type double");
  CHECK(col(&d, "empty_t")->type == COL_TIME && col(&d, "empty_s")->type == COL_STRING && is_na(col(&d, "empty_s"), 1),
        "all-null time and string columns typed");
  CHECK(col(&d, "nulls_i")->type == COL_INT && is_na(col(&d, "nulls_i"), 0) && is_na(col(&d, "nulls_i"), 1), "explicit nulls of an int");
  jsonl_free(&d);
  /* a column named twice (once as required, once with a type) is one hinted column */
  jsonl_hint twice[] = {{"b", 1, JSONL_AUTO, 1}, {"a", 1, JSONL_AUTO, 1}, {"a", 1, JSONL_FLOAT, 0}, {"b", 1, JSONL_STRING, 0}};
  jsonl_options o2 = {twice, 4, 0};
  CHECK(decode(&d, "{\"a\":1,\"c\":2}\n", 13, 0, &o2) == JSONL_OK && d.out->ncol == 3 && strcmp(d.out->cols[0].name, "b") == 0 &&
        strcmp(d.out->cols[1].name, "a") == 0 && col(&d, "a")->type == COL_DOUBLE && col(&d, "b")->type == COL_STRING &&
        is_na(col(&d, "b"), 0), "hints merged by name, required columns in the given order: %s", d.message);
  jsonl_free(&d);
  jsonl_hint time_only[] = {{"time", 4, JSONL_AUTO, 1}};
  jsonl_options o3 = {time_only, 1, 0};
  CHECK(decode(&d, "{\"a\":1}\n", 8, 0, &o3) == JSONL_OK && col(&d, "time")->type == COL_TIME && is_na(col(&d, "time"), 0),
        "a required time column without a type is a time column");
  jsonl_free(&d);
  CHECK(jsonl_type_from_name("timestamp") == JSONL_TIMESTAMP && jsonl_type_from_name("uint") == JSONL_UINT &&
        jsonl_type_from_name("Float64") == -1, "type names");
}

/* A 10 MB string, fed in 64 KB pieces, and 10,000 columns in changing order. */
static void test_huge(void) {
  size_t n = 10 * 1024 * 1024;
  char *body = malloc(n + 64);
  size_t len = (size_t) sprintf(body, "{\"s\":\"");
  for (size_t i = 0; i < n; i++) body[len++] = (char) ('a' + i % 26);
  len += (size_t) sprintf(body + len, "\\u00e9\"}\n");
  jsonl_decoder d;
  size_t slen = 0;
  CHECK(decode(&d, body, len, 65536, NULL) == JSONL_OK && (sval(d.out, col(&d, "s"), 0, &slen), slen == n + 2),
        "a 10 MB string: %s", d.message);
  jsonl_free(&d);
  free(body);

  size_t ncol = 10000;
  bytebuf b;
  bytebuf_init(&b);
  char tmp[64];
  for (int line = 0; line < 3; line++) {
    bytebuf_append_str(&b, "{");
    for (size_t k = 0; k < ncol; k++) {
      size_t c = line == 1 ? ncol - 1 - k : line == 2 ? (k * 7919) % ncol : k;
      snprintf(tmp, sizeof tmp, "%s\"c%zu\":%zu", k ? "," : "", c, c * 10 + (size_t) line);
      bytebuf_append_str(&b, tmp);
    }
    bytebuf_append_str(&b, "}\n");
  }
  CHECK(decode(&d, (const char *) b.data, b.len, 4096, NULL) == JSONL_OK && d.out->ncol == ncol && d.out->nrow == 3, "10,000 columns");
  int ok = 1;
  for (size_t c = 0; c < ncol && ok; c++) {
    snprintf(tmp, sizeof tmp, "c%zu", c);
    const column *cc = col(&d, tmp);
    for (int line = 0; line < 3; line++) ok = ok && cc && ival(cc, (size_t) line) == (int64_t) (c * 10 + (size_t) line);
  }
  CHECK(ok, "10,000 columns in three key orders");
  jsonl_free(&d);
  bytebuf_free(&b);
}

/* 100,000 and 400,000 rows decode completely; the time per row is printed for a reader to
 * compare (tests carry no time limits: bench/query-v3.R measures speed). */
static void test_linear(void) {
  double per_row[2];
  size_t rows[2] = {100000, 400000};
  for (int r = 0; r < 2; r++) {
    bytebuf b;
    bytebuf_init(&b);
    char line[200];
    for (size_t i = 0; i < rows[r]; i++) {
      snprintf(line, sizeof line, "{\"time\":\"2024-01-01T%02zu:%02zu:%02zu.123\",\"room\":\"office\",\"sensor\":\"s%zu\",\"temperature\":%zu.5,\"co2\":%zu}\n",
               i / 3600 % 24, i / 60 % 60, i % 60, i % 3, i % 30, 400 + i % 400);
      bytebuf_append_str(&b, line);
    }
    jsonl_decoder d;
    clock_t t0 = clock();
    CHECK(decode(&d, (const char *) b.data, b.len, 16384, NULL) == JSONL_OK && d.out->nrow == rows[r], "%zu rows", rows[r]);
    per_row[r] = (double) (clock() - t0) / CLOCKS_PER_SEC / (double) rows[r];
    jsonl_free(&d);
    bytebuf_free(&b);
  }
  printf("decode: %.0f ns per row at 100,000 rows, %.0f at 400,000\n", per_row[0] * 1e9, per_row[1] * 1e9);
}

/* A column of numbers and strings: a number arriving in a text column is its literal as written,
 * doubles already there become the shortest text that reads back as them (never 17 digits). */
static void test_numbers_among_strings(void) {
  jsonl_decoder d;
  CHECK(decode_str(&d, "{\"a\":0.1}\n{\"a\":\"x\"}\n", 0) == JSONL_OK && col(&d, "a")->type == COL_STRING &&
        SVAL_IS(&d, col(&d, "a"), 0, "0.1") && SVAL_IS(&d, col(&d, "a"), 1, "x"), "a double widened to text: %s", d.message);
  jsonl_free(&d);
  CHECK(decode_str(&d, "{\"a\":\"x\"}\n{\"a\":0.1}\n{\"a\":1.50}\n{\"a\":-0}\n{\"a\":2E3}\n", 2) == JSONL_OK &&
        SVAL_IS(&d, col(&d, "a"), 1, "0.1") && SVAL_IS(&d, col(&d, "a"), 2, "1.50") && SVAL_IS(&d, col(&d, "a"), 3, "-0") &&
        SVAL_IS(&d, col(&d, "a"), 4, "2E3"), "numbers into a text column as written: %s", d.message);
  jsonl_free(&d);
  CHECK(decode_str(&d, "{\"a\":0.30000000000000004}\n{\"a\":0.3333333333333333}\n{\"a\":5e-324}\n{\"a\":[]}\n", 0) == JSONL_OK &&
        SVAL_IS(&d, col(&d, "a"), 0, "0.30000000000000004") && SVAL_IS(&d, col(&d, "a"), 1, "0.3333333333333333") &&
        SVAL_IS(&d, col(&d, "a"), 2, "4.94065645841247e-324") && SVAL_IS(&d, col(&d, "a"), 3, "[]"),
        "17, 16 and 15 digits, as each needs: %s", d.message);
  jsonl_free(&d);
}

/* Time columns hold strings (times) and nulls only. */
static void test_time_values(void) {
  jsonl_decoder d;
  CHECK(decode_str(&d, "{\"time\":\"2024-01-01T00:00:00\"}\n{\"time\":1704067200000000000}\n", 0) == JSONL_ERR_MALFORMED &&
        strstr(d.message, "line 2") && strstr(d.message, "is not a time"), "a number in time: %s", d.message);
  jsonl_free(&d);
  const char *values[] = {"5", "-1.5", "true", "false", "[]", "{}"};
  for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
    char body[96];
    snprintf(body, sizeof body, "{\"time\":%s}\n{\"time\":\"2024-01-01T00:00:00\"}\n", values[i]);
    CHECK(decode_str(&d, body, 1) == JSONL_ERR_MALFORMED && strstr(d.message, "line 1") && strstr(d.message, "not a time"),
          "%s in time: %s", values[i], d.message);
    jsonl_free(&d);
  }
  jsonl_hint hint[] = {{"ts", 2, JSONL_TIMESTAMP, 0}};
  jsonl_options o = {hint, 1, 0};
  const char *hinted = "{\"ts\":12}\n";
  CHECK(decode(&d, hinted, strlen(hinted), 0, &o) == JSONL_ERR_MALFORMED && strstr(d.message, "column ts is not a time"),
        "a number in a hinted timestamp column: %s", d.message);
  jsonl_free(&d);
}

/* The fast path's remembered date: ten NUL bytes equal its initial value, and after a midnight out
 * of range (1677-09-21) it must not keep the midnight of 2024-01-01 either. */
static void test_nul_date(void) {
  jsonl_decoder d;
  CHECK(decode_str(&d, "{\"time\":\"\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000T12:00:00\"}\n", 0) ==
        JSONL_ERR_MALFORMED && strstr(d.message, "not a time"), "a NUL date: %d %s", d.status, d.message);
  jsonl_free(&d);
  CHECK(decode_str(&d, "{\"time\":\"2024-01-01T00:00:00\"}\n{\"time\":\"1677-09-21T00:12:43.145224192\"}\n"
                       "{\"time\":\"\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000T12:00:00\"}\n", 0) ==
        JSONL_ERR_MALFORMED && strstr(d.message, "line 3"), "a NUL date after a failed midnight: %d %s", d.status, d.message);
  jsonl_free(&d);
}

/* The server never writes a negative UInt64. */
static void test_uint_negative(void) {
  jsonl_hint hint[] = {{"u", 1, JSONL_UINT, 0}};
  jsonl_options o = {hint, 1, 0};
  const char *bodies[] = {"{\"u\":-1}\n", "{\"u\":-9223372036854775808}\n", "{\"u\":-0.5}\n", "{\"u\":-1e400}\n"};
  jsonl_decoder d;
  for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
    CHECK(decode(&d, bodies[i], strlen(bodies[i]), 0, &o) == JSONL_ERR_MALFORMED && strstr(d.message, "negative"),
          "%s refused: %s", bodies[i], d.message);
    jsonl_free(&d);
  }
  const char *ok = "{\"u\":-0}\n{\"u\":18446744073709551615}\n";
  CHECK(decode(&d, ok, strlen(ok), 0, &o) == JSONL_OK && dval(col(&d, "u"), 0) == 0, "-0 and the largest uint64: %s", d.message);
  jsonl_free(&d);
}

int main(void) {
  test_influxql_shape();
  test_nulls_and_late_keys();
  test_integers();
  test_doubles();
  test_strings();
  test_string_cache();
  test_key_matching();
  test_number_paths();
  test_nested();
  test_malformed();
  test_truncated_everywhere();
  test_times();
  test_line_ends();
  test_hints();
  test_huge();
  test_linear();
  test_numbers_among_strings();
  test_time_values();
  test_nul_date();
  test_uint_negative();
  printf("decode_jsonl_test: %d failed\n", failures);
  return failures;
}
