/* .Call glue for writes: R columns -> line protocol batches (optionally gzip), and R times ->
 * int64 timestamps in the write precision. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "glue.h"
#include "r_guard.h"
#include "gzip.h"
#include "lineproto.h"
#include "timeparse.h"

static int64_t round_div(int64_t v, int64_t unit) {
  /* to the nearest unit, halves away from zero */
  int64_t q = v / unit, r = v % unit;
  if (2 * (r < 0 ? -r : r) >= unit) q += v < 0 ? -1 : 1;
  return q;
}

/* x: POSIXct/numeric seconds, Date days, or integer64 nanoseconds -> integer64 in `precision`. */
SEXP C_time_to_precision(SEXP x, SEXP kind, SEXP precision) {
  const char *k = scalar_string_or_null(kind), *p = scalar_string_or_null(precision);
  if (k == NULL || p == NULL || TYPEOF(x) != REALSXP) Rf_error("bad arguments");
  int64_t unit = strcmp(p, "ns") == 0 ? 1 : strcmp(p, "us") == 0 ? 1000 : strcmp(p, "ms") == 0 ? 1000000 : 1000000000;
  R_xlen_t n = XLENGTH(x);
  SEXP out = PROTECT(Rf_allocVector(REALSXP, n));
  const double *d = REAL(x);
  double *o = REAL(out);
  int bad = 0;
  for (R_xlen_t i = 0; i < n; i++) {
    int64_t ns = INT64_MIN;
    if (strcmp(k, "integer64") == 0) {
      memcpy(&ns, &d[i], sizeof ns);
    } else if (!ISNAN(d[i])) {
      double secs = strcmp(k, "date") == 0 ? d[i] * 86400.0 : d[i];
      double whole = floor(secs);
      if (fabs(whole) > 9.2e9) { bad = 1; break; }
      /* POSIXct holds microseconds reliably, not more: round there, then scale exactly. */
      int64_t us = (int64_t) llround((secs - whole) * 1e6);
      ns = (int64_t) whole * 1000000000 + us * 1000;
    }
    int64_t v = ns == INT64_MIN ? INT64_MIN : round_div(ns, unit);
    memcpy(&o[i], &v, sizeof v);
  }
  if (bad) Rf_error("a time is outside the years 1677 to 2262 that InfluxDB can store");
  Rf_setAttrib(out, R_ClassSymbol, PROTECT(Rf_mkString("integer64")));
  UNPROTECT(2);
  return out;
}

static lp_type column_type(SEXP v) {
  if (Rf_inherits(v, "integer64")) return LP_INT64;
  switch (TYPEOF(v)) {
  case REALSXP: return LP_DOUBLE;
  case INTSXP: return LP_INT32;
  case LGLSXP: return LP_BOOL;
  case STRSXP: return LP_STRING;
  default: Rf_error("unsupported column type");
  }
}

static const char **strings(SEXP v) {
  R_xlen_t n = XLENGTH(v);
  const char **s = (const char **) R_alloc((size_t) n + 1, sizeof *s);
  for (R_xlen_t i = 0; i < n; i++) s[i] = STRING_ELT(v, i) == NA_STRING ? NULL : Rf_translateCharUTF8(STRING_ELT(v, i));
  return s;
}

/* Tag values of a logical, integer, integer64 or double column as text (NA: NULL), in R memory
 * carved from blocks so that a million values are not a million allocations. */
static const char **tag_strings(SEXP v) {
  R_xlen_t n = XLENGTH(v);
  const char **s = (const char **) R_alloc((size_t) n + 1, sizeof *s);
  lp_type type = column_type(v);
  const size_t block = 1 << 16;
  char *room = NULL;
  size_t left = 0;
  for (R_xlen_t i = 0; i < n; i++) {
    if (left < LP_PLAIN_MAX) {
      room = R_alloc(block, 1);
      left = block;
    }
    int64_t i64;
    size_t len = 0;
    switch (type) {
    case LP_BOOL:
      if (LOGICAL(v)[i] == NA_LOGICAL) { s[i] = NULL; continue; }
      len = (size_t) snprintf(room, left, "%s", LOGICAL(v)[i] ? "TRUE" : "FALSE");
      break;
    case LP_INT32:
      if (INTEGER(v)[i] == NA_INTEGER) { s[i] = NULL; continue; }
      len = (size_t) snprintf(room, left, "%d", INTEGER(v)[i]);
      break;
    case LP_INT64:
      memcpy(&i64, &REAL(v)[i], sizeof i64);
      if (i64 == INT64_MIN) { s[i] = NULL; continue; }
      len = (size_t) snprintf(room, left, "%lld", (long long) i64);
      break;
    case LP_DOUBLE:
      if (R_IsNA(REAL(v)[i])) { s[i] = NULL; continue; }
      len = lp_plain_double(REAL(v)[i], room);
      break;
    case LP_STRING:
      Rf_error("bad serialization spec");
    }
    s[i] = room;
    room += len + 1;
    left -= len + 1;
  }
  return s;
}

/* Columns of a named list, each of nrow values (the C writer reads that many without checking);
 * tags as text. */
static lp_column *columns(SEXP list, int as_tags, R_xlen_t nrow) {
  R_xlen_t n = XLENGTH(list);
  SEXP names = Rf_getAttrib(list, R_NamesSymbol);
  if (n > 0 && (TYPEOF(names) != STRSXP || XLENGTH(names) != n)) Rf_error("bad serialization spec: unnamed columns");
  lp_column *cols = (lp_column *) R_alloc((size_t) n + 1, sizeof *cols);
  for (R_xlen_t i = 0; i < n; i++) {
    SEXP v = VECTOR_ELT(list, i);
    lp_column *c = &cols[i];
    memset(c, 0, sizeof *c);
    if (STRING_ELT(names, i) == NA_STRING || XLENGTH(v) != nrow)
      Rf_error("bad serialization spec: column %d", (int) i + 1);
    c->key = Rf_translateCharUTF8(STRING_ELT(names, i));
    c->type = as_tags ? LP_STRING : column_type(v);
    if (as_tags && TYPEOF(v) != STRSXP) {
      c->str = tag_strings(v);
      continue;
    }
    switch (c->type) {
    case LP_DOUBLE: c->dbl = REAL(v); break;
    case LP_INT32: c->i32 = INTEGER(v); break;
    case LP_BOOL: c->i32 = LOGICAL(v); break;
    case LP_INT64: c->i64 = (const int64_t *) REAL(v); break;
    case LP_STRING: c->str = strings(v); break;
    }
  }
  return cols;
}

static void buffers_free(void *p) {
  bytebuf *b = p;
  bytebuf_free(&b[0]);
  bytebuf_free(&b[1]);
  free(b);
}

/* Two buffers (text, gzip) owned by a protected guard (r_guard.h) before they exist, so that
 * neither an R error nor unloading the package can leak them or leave a finalizer pointing into
 * the unloaded DLL. The caller releases and UNPROTECTs the guard. */
static bytebuf *guarded_buffers(SEXP *guard) {
  *guard = PROTECT(guard_new(buffers_free));
  bytebuf *bufs = calloc(2, sizeof *bufs);
  if (bufs == NULL) Rf_error("out of memory");
  guard_set(*guard, bufs);
  return bufs;
}

/* spec: list(measurement = chr (1 or n), tags = named list of chr, fields = named list,
 * time = integer64 or NULL, nrow = int, escaping = "go" or "rust" (lineproto.h), optional
 * check_only = TRUE). Returns list(batches, first, last, lines, dropped) (NULL when check_only) or
 * list(error = list(row, column, message)). */
SEXP C_lp_serialize(SEXP spec, SEXP batch_size, SEXP gzip) {
  SEXP meas = list_get(spec, "measurement"), tags = list_get(spec, "tags"), fields = list_get(spec, "fields");
  SEXP time = list_get(spec, "time");
  const char *escaping = scalar_string_or_null(list_get(spec, "escaping"));
  int n = Rf_asInteger(list_get(spec, "nrow"));
  int bs = Rf_asInteger(batch_size);
  if (TYPEOF(meas) != STRSXP || TYPEOF(tags) != VECSXP || TYPEOF(fields) != VECSXP || n == NA_INTEGER || n < 0 ||
      bs == NA_INTEGER || bs < 1 || (XLENGTH(meas) != 1 && XLENGTH(meas) != n) ||
      (time != R_NilValue && (TYPEOF(time) != REALSXP || XLENGTH(time) != n)) || escaping == NULL ||
      (strcmp(escaping, "go") != 0 && strcmp(escaping, "rust") != 0))
    Rf_error("bad serialization spec");
  lp_input in;
  memset(&in, 0, sizeof in);
  in.measurement = strings(meas);
  in.measurement_one = XLENGTH(meas) == 1;
  in.tags = columns(tags, 1, n);
  in.ntags = (size_t) XLENGTH(tags);
  in.fields = columns(fields, 0, n);
  in.nfields = (size_t) XLENGTH(fields);
  in.time = time == R_NilValue ? NULL : (const int64_t *) REAL(time);
  in.nrow = (size_t) n;
  in.escaping = strcmp(escaping, "rust") == 0 ? LP_ESCAPE_RUST : LP_ESCAPE_GO;

  size_t *order = (size_t *) R_alloc(in.ntags + 1, sizeof *order);
  lp_tag_order(&in, order);
  lp_error err;
  int valid = lp_validate(&in, order, &err);
  if (valid == LP_NOMEM) Rf_error("out of memory while checking line protocol");
  if (valid != LP_OK) {
    const char *names[] = {"error", ""};
    const char *enames[] = {"row", "column", "message", ""};
    SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
    SEXP e = Rf_mkNamed(VECSXP, enames);
    SET_VECTOR_ELT(out, 0, e);
    SET_VECTOR_ELT(e, 0, Rf_ScalarInteger((int) err.row + 1));
    SET_VECTOR_ELT(e, 1, Rf_ScalarString(mk_utf8(err.column)));
    SET_VECTOR_ELT(e, 2, Rf_ScalarString(mk_utf8(err.message)));
    UNPROTECT(1);
    return out;
  }
  /* A pipelined writer checks every row first, then serializes one batch at a time. */
  if (Rf_asLogical(list_get(spec, "check_only")) == TRUE) return R_NilValue;

  int nb = bs == INT_MAX || n == 0 ? 0 : (n - 1) / bs + 1;
  const char *names[] = {"batches", "first", "last", "lines", "dropped", ""};
  SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
  /* Each vector goes into `out` (protected) right after it is made, before the next allocation:
   * an unprotected vector would be collected by that allocation and its memory reused. */
  SET_VECTOR_ELT(out, 0, Rf_allocVector(VECSXP, nb));
  SET_VECTOR_ELT(out, 1, Rf_allocVector(INTSXP, nb));
  SET_VECTOR_ELT(out, 2, Rf_allocVector(INTSXP, nb));
  SET_VECTOR_ELT(out, 3, Rf_allocVector(INTSXP, nb));
  SEXP batches = VECTOR_ELT(out, 0);
  int *first = INTEGER(VECTOR_ELT(out, 1)), *last = INTEGER(VECTOR_ELT(out, 2)), *lines = INTEGER(VECTOR_ELT(out, 3));
  SEXP guard;
  bytebuf *bufs = guarded_buffers(&guard);
  size_t dropped = 0;
  int zip = Rf_asLogical(gzip) == TRUE;
  if (bs == INT_MAX) { /* one line per point, as text (dry runs): string values may hold newlines */
    SEXP text = PROTECT(Rf_allocVector(STRSXP, n));
    R_xlen_t k = 0;
    for (int r = 0; r < n; r++) {
      size_t nl = 0;
      bufs[0].len = 0;
      if (lp_write(&in, order, (size_t) r, (size_t) r + 1, &bufs[0], &nl, &dropped) != LP_OK) Rf_error("out of memory");
      if (nl == 1) SET_STRING_ELT(text, k++, mk_utf8_len((const char *) bufs[0].data, bufs[0].len - 1));
    }
    SET_VECTOR_ELT(out, 0, Rf_lengthgets(text, k));
    SET_VECTOR_ELT(out, 4, Rf_ScalarReal((double) dropped));
    guard_release(guard);
    UNPROTECT(3);
    return out;
  }
  for (int b = 0; b < nb; b++) {
    size_t from = (size_t) b * (size_t) bs, to = from + (size_t) bs > (size_t) n ? (size_t) n : from + (size_t) bs;
    size_t nl = 0;
    bufs[0].len = 0;
    if (lp_write(&in, order, from, to, &bufs[0], &nl, &dropped) != LP_OK) Rf_error("out of memory while writing line protocol");
    bytebuf *body = &bufs[0];
    if (zip && bufs[0].len > 0) {
      if (gzip_bytes(bufs[0].data, bufs[0].len, &bufs[1], 0) != 0) Rf_error("gzip compression failed");
      body = &bufs[1];
    }
    SEXP raw = Rf_allocVector(RAWSXP, (R_xlen_t) body->len);
    SET_VECTOR_ELT(batches, b, raw);
    if (body->len) memcpy(RAW(raw), body->data, body->len);
    first[b] = (int) from + 1;
    last[b] = (int) to;
    lines[b] = (int) nl;
  }
  SET_VECTOR_ELT(out, 4, Rf_ScalarReal((double) dropped));
  guard_release(guard);
  UNPROTECT(2);
  return out;
}

/* Raw bytes -> gzip (for line protocol the caller wrote itself). piece: bytes per deflate call,
 * 0 for the largest zlib takes (tests use small pieces to drive the loop that large inputs need). */
SEXP C_gzip(SEXP x, SEXP piece) {
  int p = Rf_asInteger(piece);
  if (TYPEOF(x) != RAWSXP || p == NA_INTEGER || p < 0) Rf_error("expected a raw vector and a piece size");
  SEXP guard;
  bytebuf *bufs = guarded_buffers(&guard);
  if (gzip_bytes(RAW(x), (size_t) XLENGTH(x), &bufs[1], (size_t) p) != 0) Rf_error("gzip compression failed");
  SEXP out = PROTECT(Rf_allocVector(RAWSXP, (R_xlen_t) bufs[1].len));
  if (bufs[1].len) memcpy(RAW(out), bufs[1].data, bufs[1].len);
  guard_release(guard);
  UNPROTECT(2);
  return out;
}

/* integer64 nanoseconds -> RFC 3339 UTC text with nine fraction digits. */
SEXP C_ns_to_rfc3339(SEXP x) {
  if (TYPEOF(x) != REALSXP) Rf_error("expected integer64");
  R_xlen_t n = XLENGTH(x);
  SEXP out = PROTECT(Rf_allocVector(STRSXP, n));
  char buf[RFC3339_BUF];
  for (R_xlen_t i = 0; i < n; i++) {
    int64_t ns;
    memcpy(&ns, &REAL(x)[i], sizeof ns);
    if (ns == INT64_MIN) { SET_STRING_ELT(out, i, NA_STRING); continue; }
    format_rfc3339_ns(ns, buf);
    SET_STRING_ELT(out, i, Rf_mkChar(buf));
  }
  UNPROTECT(1);
  return out;
}

/* integer64 arithmetic the R side needs without bit64: a + b (b a small number) and a < b. */
static void check_ns_scalar(SEXP x) {
  if (TYPEOF(x) != REALSXP || XLENGTH(x) < 1) Rf_error("expected integer64");
}

SEXP C_ns_add(SEXP a, SEXP b) {
  check_ns_scalar(a);
  int64_t x;
  memcpy(&x, REAL(a), sizeof x);
  x += (int64_t) Rf_asReal(b);
  SEXP out = PROTECT(Rf_allocVector(REALSXP, 1));
  memcpy(REAL(out), &x, sizeof x);
  Rf_setAttrib(out, R_ClassSymbol, PROTECT(Rf_mkString("integer64")));
  UNPROTECT(2);
  return out;
}

SEXP C_ns_less(SEXP a, SEXP b) {
  check_ns_scalar(a);
  check_ns_scalar(b);
  int64_t x, y;
  memcpy(&x, REAL(a), sizeof x);
  memcpy(&y, REAL(b), sizeof y);
  return Rf_ScalarLogical(x < y);
}

/* A Go duration ("168h0m0s") as nanoseconds (a double: durations of policies are far below
 * 2^53 ns), NA when malformed. */
SEXP C_parse_duration(SEXP x) {
  const char *s = scalar_string_or_null(x);
  int64_t ns;
  if (s == NULL || parse_duration_ns(s, strlen(s), &ns) != 0) return Rf_ScalarReal(NA_REAL);
  return Rf_ScalarReal((double) ns);
}
