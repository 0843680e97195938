/* .Call glue for the query dialects: quoting, statement splitting, time-series query text. */
#include <stdlib.h>
#include <string.h>

#include "dialect_flux.h"
#include "dialect_influxql.h"
#include "dialect_sql.h"
#include "glue.h"
#include "r_guard.h"
#include "series_query.h"

typedef int (*quote_fn)(bytebuf *, const char *, size_t);

static SEXP quote_all(SEXP x, quote_fn fn) {
  if (TYPEOF(x) != STRSXP) Rf_error("expected a character vector");
  R_xlen_t n = XLENGTH(x);
  SEXP out = PROTECT(Rf_allocVector(STRSXP, n));
  /* One buffer for all elements, owned by the guard: translating a string can raise an error. */
  bytebuf *b;
  SEXP guard = PROTECT(guard_bytebuf(&b));
  for (R_xlen_t i = 0; i < n; i++) {
    if (STRING_ELT(x, i) == NA_STRING) { SET_STRING_ELT(out, i, NA_STRING); continue; }
    const char *s = Rf_translateCharUTF8(STRING_ELT(x, i));
    b->len = 0;
    if (fn(b, s, strlen(s)) != 0) Rf_error("out of memory");
    SET_STRING_ELT(out, i, mk_utf8_len((const char *) b->data, b->len));
  }
  guard_release(guard);
  UNPROTECT(2);
  return out;
}

SEXP C_iql_quote_ident(SEXP x) { return quote_all(x, iql_quote_ident); }
SEXP C_iql_quote_string(SEXP x) { return quote_all(x, iql_quote_string); }
SEXP C_flux_quote_string(SEXP x) { return quote_all(x, flux_quote_string); }
SEXP C_sql_quote_ident(SEXP x) { return quote_all(x, sql_quote_ident); }
SEXP C_sql_quote_string(SEXP x) { return quote_all(x, sql_quote_string); }

/* 1-based position of the first call that writes data, 0 for none, NA when a string is open. */
SEXP C_flux_write_call(SEXP query) {
  const char *q = scalar_string_or_null(query);
  if (q == NULL) Rf_error("query must be a string");
  long at = flux_find_write_call(q, strlen(q));
  return Rf_ScalarInteger(at == -2 ? NA_INTEGER : (int) (at + 1));
}

/* list(text, keyword, read_only) for each statement; NULL when a quote or comment is open. */
SEXP C_iql_split(SEXP query) {
  const char *q = scalar_string_or_null(query);
  if (q == NULL) Rf_error("query must be a string");
  size_t len = strlen(q);
  int n = iql_split(q, len, NULL, 0);
  if (n < 0) return R_NilValue;
  iql_statement *st = (iql_statement *) R_alloc((size_t) n + 1, sizeof *st);
  iql_split(q, len, st, n);
  const char *names[] = {"text", "keyword", "read_only", ""};
  SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
  SEXP text = PROTECT(Rf_allocVector(STRSXP, n));
  SEXP kw = PROTECT(Rf_allocVector(STRSXP, n));
  SEXP ro = PROTECT(Rf_allocVector(LGLSXP, n));
  for (int i = 0; i < n; i++) {
    SET_STRING_ELT(text, i, mk_utf8_len(q + st[i].start, st[i].end - st[i].start));
    SET_STRING_ELT(kw, i, Rf_mkChar(st[i].keyword));
    LOGICAL(ro)[i] = st[i].read_only;
  }
  SET_VECTOR_ELT(out, 0, text);
  SET_VECTOR_ELT(out, 1, kw);
  SET_VECTOR_ELT(out, 2, ro);
  UNPROTECT(4);
  return out;
}

/* ---- time-series query text ------------------------------------------------------------------ */

static const char *utf8_or_null(SEXP x) {
  if (TYPEOF(x) != STRSXP || XLENGTH(x) != 1 || STRING_ELT(x, 0) == NA_STRING) return NULL;
  return Rf_translateCharUTF8(STRING_ELT(x, 0));
}

static const char *const *utf8_array(SEXP x, size_t *n) {
  if (x == R_NilValue) { *n = 0; return NULL; }
  if (TYPEOF(x) != STRSXP) Rf_error("expected a character vector");
  *n = (size_t) XLENGTH(x);
  const char **out = (const char **) R_alloc(*n + 1, sizeof *out);
  for (size_t i = 0; i < *n; i++) {
    if (STRING_ELT(x, (R_xlen_t) i) == NA_STRING) Rf_error("names and values must not be NA");
    out[i] = Rf_translateCharUTF8(STRING_ELT(x, (R_xlen_t) i));
  }
  return out;
}

/* integer64 (the bits of an int64 in a double) or a whole double */
static int64_t ns_value(SEXP x, const char *what) {
  if (TYPEOF(x) != REALSXP || XLENGTH(x) != 1) Rf_error("%s must be one number", what);
  if (Rf_inherits(x, "integer64")) {
    int64_t v;
    memcpy(&v, REAL(x), sizeof v);
    return v;
  }
  double d = REAL(x)[0];
  if (!(d > -9.2e18 && d < 9.2e18)) Rf_error("%s is out of range", what);
  return (int64_t) d;
}

/* Query text for list(bucket, measurement, fields, where, group_by, window_start, data_start,
 * stop, aggregate, every, offset, create_empty, tz, zone_offset) in "influxql", "flux" or "sql";
 * downsampling adds into, into_bucket, lookback, task_name, task_every, task_offset. */
SEXP C_series_query(SEXP spec, SEXP language) {
  const char *lang = scalar_string_or_null(language);
  if (lang == NULL) Rf_error("language must be a string");
  series_query q;
  memset(&q, 0, sizeof q);
  q.bucket = utf8_or_null(list_get(spec, "bucket"));
  q.measurement = utf8_or_null(list_get(spec, "measurement"));
  q.fields = utf8_array(list_get(spec, "fields"), &q.nfields);
  q.group_by = utf8_array(list_get(spec, "group_by"), &q.ngroup);
  SEXP where = list_get(spec, "where");
  if (where != R_NilValue) {
    SEXP keys = Rf_getAttrib(where, R_NamesSymbol);
    if (TYPEOF(where) != VECSXP || TYPEOF(keys) != STRSXP) Rf_error("where must be a named list");
    q.nwhere = (size_t) XLENGTH(where);
    tag_filter *f = (tag_filter *) R_alloc(q.nwhere + 1, sizeof *f);
    for (size_t i = 0; i < q.nwhere; i++) {
      if (STRING_ELT(keys, (R_xlen_t) i) == NA_STRING) Rf_error("where names must not be NA");
      f[i].key = Rf_translateCharUTF8(STRING_ELT(keys, (R_xlen_t) i));
      f[i].values = utf8_array(VECTOR_ELT(where, (R_xlen_t) i), &f[i].nvalues);
    }
    q.where = f;
  }
  q.window_start_ns = ns_value(list_get(spec, "window_start"), "window_start");
  q.data_start_ns = ns_value(list_get(spec, "data_start"), "data_start");
  q.stop_ns = ns_value(list_get(spec, "stop"), "stop");
  const char *agg = utf8_or_null(list_get(spec, "aggregate"));
  q.aggregate = AGG_NONE;
  if (agg != NULL) {
    int a = series_aggregate_from_name(agg);
    if (a < 0) Rf_error("unknown aggregate '%s'", agg);
    q.aggregate = (series_aggregate) a;
    q.every_ns = ns_value(list_get(spec, "every"), "every");
    q.offset_ns = ns_value(list_get(spec, "offset"), "offset");
  }
  q.create_empty = Rf_asLogical(list_get(spec, "create_empty")) == TRUE;
  q.tz = utf8_or_null(list_get(spec, "tz"));
  q.into = utf8_or_null(list_get(spec, "into"));
  q.into_bucket = utf8_or_null(list_get(spec, "into_bucket"));
  if (list_get(spec, "lookback") != R_NilValue) q.lookback_ns = ns_value(list_get(spec, "lookback"), "lookback");
  q.task_name = utf8_or_null(list_get(spec, "task_name"));
  if (q.task_name != NULL) {
    q.task_every_ns = ns_value(list_get(spec, "task_every"), "task_every");
    q.task_offset_ns = ns_value(list_get(spec, "task_offset"), "task_offset");
  }
  if (q.tz != NULL && list_get(spec, "zone_offset") != R_NilValue) q.zone_offset_ns = ns_value(list_get(spec, "zone_offset"), "zone_offset");
  bytebuf *b;
  SEXP guard = PROTECT(guard_bytebuf(&b));
  int st;
  if (strcmp(lang, "influxql") == 0) st = iql_series_query(b, &q);
  else if (strcmp(lang, "flux") == 0) st = flux_series_query(b, &q);
  else if (strcmp(lang, "sql") == 0) st = sql_series_query(b, &q);
  else Rf_error("unknown language '%s'", lang);
  if (st != SQ_OK) Rf_error(st == SQ_INVALID ? "incomplete query specification" : "out of memory");
  SEXP out = PROTECT(Rf_ScalarString(mk_utf8_len((const char *) b->data, b->len)));
  guard_release(guard);
  UNPROTECT(2);
  return out;
}
