/* The only place that turns decoded columns into R vectors. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode_flux.h"
#include "decode_v1.h"
#include "glue.h"
#include "utf8.h"

void frame_options_from_list(SEXP opts, frame_options *o) {
  const char *tz = scalar_string_or_null(list_get(opts, "tz"));
  o->tz = tz ? tz : "UTC";
  const char *bigint = scalar_string_or_null(list_get(opts, "bigint"));
  o->bigint = BIGINT_INTEGER64;
  if (bigint && strcmp(bigint, "double") == 0) o->bigint = BIGINT_DOUBLE;
  if (bigint && strcmp(bigint, "character") == 0) o->bigint = BIGINT_CHARACTER;
  o->time_ns = Rf_asLogical(list_get(opts, "time_ns")) == TRUE;
}

flux_options flux_options_from_list(SEXP opts) {
  flux_options fo = {Rf_asLogical(list_get(opts, "pivot")) == TRUE,
                     Rf_asLogical(list_get(opts, "table_columns")) == TRUE,
                     Rf_asLogical(list_get(opts, "value_empty_string")) == TRUE};
  return fo;
}

static int na_at(const column *c, size_t i) { return c->na != NULL && c->na[i]; }

/* Room for repaired strings: R memory (freed when the .Call returns), grown by doubling so a
 * column of many bad strings costs at most twice the longest. */
typedef struct {
  char *buf;
  size_t cap;
} scratch;

/* setAttrib with the value protected while the symbol is installed (which may allocate: the
 * order in which C evaluates call arguments is unspecified). */
static void set_attr(SEXP x, const char *name, SEXP value) {
  PROTECT(value);
  Rf_setAttrib(x, Rf_install(name), value);
  UNPROTECT(1);
}

/* A CHARSXP of s[0, len) that R can trust: NULs dropped and invalid UTF-8 replaced (*repaired
 * set to 1) rather than "embedded nul" errors or strings marked UTF-8 that are not. */
static SEXP clean_charsxp(const char *s, size_t len, scratch *sc, int *repaired) {
  if (utf8_is_clean(s, len)) { *repaired = 0; return mk_utf8_len(s, len); }
  *repaired = 1;
  size_t need = UTF8_REPAIR_MAX(len);
  if (need > sc->cap) {
    size_t cap = sc->cap ? sc->cap : 256;
    while (cap < need) cap *= 2;
    sc->buf = R_alloc(cap, 1);
    sc->cap = cap;
  }
  return mk_utf8_len(sc->buf, utf8_repair(s, len, sc->buf));
}

/* What was repaired in one output column: its name, and how many values from which row. */
typedef struct {
  int name;
  size_t count;
  size_t first; /* 0-based row of the first repaired value */
} repair_note;

static SEXP strings_column(const table *t, const column *c, scratch *sc, repair_note *rep) {
  SEXP out = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t) c->n));
  const strref *d = c->data;
  SEXP prev = NA_STRING;
  strref prev_ref = {0, 0};
  int have_prev = 0, prev_repaired = 0;
  for (size_t i = 0; i < c->n; i++) {
    if (na_at(c, i)) { SET_STRING_ELT(out, (R_xlen_t) i, NA_STRING); continue; }
    strref r = d[i];
    /* Runs of one value (tags, repeated strings) reuse the CHARSXP instead of hashing again. */
    if (!(have_prev && r.len == prev_ref.len &&
          (r.off == prev_ref.off || memcmp(table_str(t, r), table_str(t, prev_ref), r.len) == 0))) {
      prev = clean_charsxp(table_str(t, r), r.len, sc, &prev_repaired);
      prev_ref = r;
      have_prev = 1;
    }
    SET_STRING_ELT(out, (R_xlen_t) i, prev);
    if (prev_repaired && rep->count++ == 0) rep->first = i;
  }
  UNPROTECT(1);
  return out;
}

/* *min_seen: a value was -2^63, which integer64 cannot tell from its NA. */
static SEXP integer64_from(const int64_t *d, const column *c, int *min_seen) {
  SEXP out = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t) c->n));
  double *o = REAL(out);
  for (size_t i = 0; i < c->n; i++) {
    int64_t v = INT64_MIN; /* bit64's NA */
    if (!na_at(c, i)) {
      v = d[i];
      if (v == INT64_MIN) *min_seen = 1;
    }
    memcpy(&o[i], &v, sizeof v);
  }
  Rf_setAttrib(out, R_ClassSymbol, Rf_mkString("integer64"));
  UNPROTECT(1);
  return out;
}

static SEXP int_column(const column *c, const frame_options *o, int *inexact, int *min_seen) {
  const int64_t *d = c->data;
  R_xlen_t n = (R_xlen_t) c->n;
  if (c->all_int32) {
    SEXP out = Rf_allocVector(INTSXP, n);
    int *p = INTEGER(out);
    for (R_xlen_t i = 0; i < n; i++) p[i] = na_at(c, (size_t) i) ? NA_INTEGER : (int) d[i];
    return out;
  }
  if (o->bigint == BIGINT_INTEGER64) return integer64_from(d, c, min_seen);
  if (o->bigint == BIGINT_DOUBLE) {
    SEXP out = Rf_allocVector(REALSXP, n);
    double *p = REAL(out);
    for (R_xlen_t i = 0; i < n; i++) {
      if (na_at(c, (size_t) i)) { p[i] = NA_REAL; continue; }
      p[i] = (double) d[i];
      /* Values next to INT64_MAX round to 2^63, which no int64 holds: casting it back would be
       * undefined, so it is compared first. */
      if (p[i] >= 9223372036854775808.0 || (int64_t) p[i] != d[i]) *inexact = 1;
    }
    return out;
  }
  SEXP out = PROTECT(Rf_allocVector(STRSXP, n));
  char tmp[32];
  for (R_xlen_t i = 0; i < n; i++) {
    if (na_at(c, (size_t) i)) { SET_STRING_ELT(out, i, NA_STRING); continue; }
    snprintf(tmp, sizeof tmp, "%lld", (long long) d[i]);
    SET_STRING_ELT(out, i, Rf_mkChar(tmp));
  }
  UNPROTECT(1);
  return out;
}

static SEXP time_column(const column *c, const frame_options *o) {
  const int64_t *d = c->data;
  SEXP out = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t) c->n));
  double *p = REAL(out);
  for (size_t i = 0; i < c->n; i++) {
    if (na_at(c, i)) { p[i] = NA_REAL; continue; }
    /* Whole seconds and the fraction apart: the nearest double to the exact instant. */
    int64_t sec = d[i] / 1000000000, ns = d[i] % 1000000000;
    if (ns < 0) { sec -= 1; ns += 1000000000; }
    p[i] = (double) sec + (double) ns / 1e9;
  }
  SEXP cls = PROTECT(Rf_allocVector(STRSXP, 2));
  SET_STRING_ELT(cls, 0, Rf_mkChar("POSIXct"));
  SET_STRING_ELT(cls, 1, Rf_mkChar("POSIXt"));
  Rf_setAttrib(out, R_ClassSymbol, cls);
  set_attr(out, "tzone", Rf_ScalarString(mk_utf8(o->tz)));
  UNPROTECT(2);
  return out;
}

/* What converting a column found, for the R side to warn about. */
typedef struct {
  int inexact;
  int min_seen;
  repair_note rep;
} column_notes;

static SEXP column_to_sexp(const table *t, const column *c, const frame_options *o, scratch *sc,
                           column_notes *notes) {
  R_xlen_t n = (R_xlen_t) c->n;
  switch (c->type) {
  case COL_BOOL: {
    SEXP out = Rf_allocVector(LGLSXP, n);
    const int8_t *d = c->data;
    for (R_xlen_t i = 0; i < n; i++) LOGICAL(out)[i] = na_at(c, (size_t) i) ? NA_LOGICAL : d[i];
    return out;
  }
  case COL_INT: return int_column(c, o, &notes->inexact, &notes->min_seen);
  case COL_DOUBLE: {
    SEXP out = Rf_allocVector(REALSXP, n);
    const double *d = c->data;
    for (R_xlen_t i = 0; i < n; i++) REAL(out)[i] = na_at(c, (size_t) i) ? NA_REAL : d[i];
    if (c->inexact) notes->inexact = 1;
    return out;
  }
  case COL_TIME: return time_column(c, o);
  case COL_STRING: return strings_column(t, c, sc, &notes->rep);
  case COL_DURATION: {
    /* difftime in seconds: exact to the microsecond for durations up to about 285 years */
    SEXP out = PROTECT(Rf_allocVector(REALSXP, n));
    const int64_t *d = c->data;
    for (R_xlen_t i = 0; i < n; i++) REAL(out)[i] = na_at(c, (size_t) i) ? NA_REAL : (double) d[i] / 1e9;
    Rf_setAttrib(out, R_ClassSymbol, Rf_mkString("difftime"));
    set_attr(out, "units", Rf_mkString("secs"));
    UNPROTECT(1);
    return out;
  }
  case COL_BYTES: {
    SEXP out = PROTECT(Rf_allocVector(VECSXP, n));
    const strref *d = c->data;
    for (R_xlen_t i = 0; i < n; i++) {
      if (na_at(c, (size_t) i)) continue;
      SEXP raw = Rf_allocVector(RAWSXP, d[i].len);
      SET_VECTOR_ELT(out, i, raw);
      if (d[i].len) memcpy(RAW(raw), table_str(t, d[i]), d[i].len);
    }
    UNPROTECT(1);
    return out;
  }
  default: {
    SEXP out = Rf_allocVector(LGLSXP, n);
    for (R_xlen_t i = 0; i < n; i++) LOGICAL(out)[i] = NA_LOGICAL;
    return out;
  }
  }
}

static int several_names(const table *t, const column *c) {
  const strref *d = c->data;
  int have = 0;
  strref first = {0, 0};
  for (size_t i = 0; i < c->n; i++) {
    if (na_at(c, i)) continue;
    if (!have) { first = d[i]; have = 1; continue; }
    if (d[i].off == first.off) continue;
    if (d[i].len != first.len || memcmp(table_str(t, d[i]), table_str(t, first), first.len) != 0) return 1;
  }
  return 0;
}


typedef struct { const column *col; } col_entry;

static int by_name(const void *a, const void *b) {
  const column *x = ((const col_entry *) a)->col, *y = ((const col_entry *) b)->col;
  size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
  int c = memcmp(x->name, y->name, n);
  return c != 0 ? c : (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

SEXP table_to_data_frame(const table *t, const frame_options *o) {
  /* Output order: measurement (when several), time, tags by name, then the other columns as the
   * server sent them. */
  if (t->nrow > INT_MAX) Rf_error("a result of %zu rows is more than a data.frame holds", t->nrow);
  size_t nc = t->ncol;
  col_entry *order = (col_entry *) R_alloc(nc + 1, sizeof *order);
  size_t k = 0, ntags = 0;
  const column *mcol = NULL;
  for (size_t i = 0; i < nc; i++) {
    const column *c = &t->cols[i];
    if (c->role == ROLE_MEASUREMENT) { if (several_names(t, c)) mcol = c; continue; }
  }
  if (mcol) order[k++].col = mcol;
  for (size_t i = 0; i < nc; i++) {
    const column *c = &t->cols[i];
    if (c->role == ROLE_VALUE && c->name_len == 4 && memcmp(c->name, "time", 4) == 0) order[k++].col = c;
  }
  size_t tag_start = k;
  for (size_t i = 0; i < nc; i++)
    if (t->cols[i].role == ROLE_TAG) { order[k++].col = &t->cols[i]; ntags++; }
  qsort(order + tag_start, ntags, sizeof *order, by_name);
  for (size_t i = 0; i < nc; i++) {
    const column *c = &t->cols[i];
    if (c->role == ROLE_VALUE && !(c->name_len == 4 && memcmp(c->name, "time", 4) == 0)) order[k++].col = c;
  }
  size_t extra = 0;
  for (size_t i = 0; i < k; i++) if (o->time_ns && order[i].col->type == COL_TIME) extra++;

  R_xlen_t ncol = (R_xlen_t) (k + extra);
  SEXP df = PROTECT(Rf_allocVector(VECSXP, ncol));
  SEXP names = PROTECT(Rf_allocVector(STRSXP, ncol));
  SEXP inexact_names = PROTECT(Rf_allocVector(STRSXP, ncol));
  SEXP min_names = PROTECT(Rf_allocVector(STRSXP, ncol));
  SEXP rep_column = PROTECT(Rf_allocVector(STRSXP, ncol));
  SEXP rep_name = PROTECT(Rf_allocVector(LGLSXP, ncol));
  SEXP rep_first = PROTECT(Rf_allocVector(INTSXP, ncol));
  SEXP rep_count = PROTECT(Rf_allocVector(INTSXP, ncol));
  int ninexact = 0, nmin = 0, nrep = 0;
  scratch sc = {NULL, 0};
  R_xlen_t j = 0;
  int has_measurement_name = table_find(t, "measurement", 11) >= 0;
  for (size_t i = 0; i < k; i++, j++) {
    const column *c = order[i].col;
    column_notes notes = {0, 0, {0, 0, 0}};
    SET_VECTOR_ELT(df, j, column_to_sexp(t, c, o, &sc, &notes));
    if (c == mcol) SET_STRING_ELT(names, j, Rf_mkChar(has_measurement_name ? "_measurement" : "measurement"));
    else SET_STRING_ELT(names, j, clean_charsxp(c->name, c->name_len, &sc, &notes.rep.name));
    if (notes.inexact) SET_STRING_ELT(inexact_names, ninexact++, STRING_ELT(names, j));
    if (notes.rep.name || notes.rep.count > 0) {
      SET_STRING_ELT(rep_column, nrep, STRING_ELT(names, j));
      LOGICAL(rep_name)[nrep] = notes.rep.name;
      INTEGER(rep_first)[nrep] = notes.rep.count > 0 ? (int) notes.rep.first + 1 : NA_INTEGER;
      INTEGER(rep_count)[nrep] = (int) notes.rep.count;
      nrep++;
    }
    if (o->time_ns && c->type == COL_TIME) {
      j++;
      SET_VECTOR_ELT(df, j, integer64_from(c->data, c, &notes.min_seen));
      const char *base = CHAR(STRING_ELT(names, j - 1));
      size_t len = strlen(base) + 4;
      char *nm = R_alloc(len, 1);
      snprintf(nm, len, "%s_ns", base);
      SET_STRING_ELT(names, j, mk_utf8(nm));
    }
    if (notes.min_seen) SET_STRING_ELT(min_names, nmin++, STRING_ELT(names, j));
  }
  Rf_setAttrib(df, R_NamesSymbol, names);
  SEXP rn = PROTECT(Rf_allocVector(INTSXP, 2));
  INTEGER(rn)[0] = NA_INTEGER;
  INTEGER(rn)[1] = -(int) t->nrow;
  Rf_setAttrib(df, R_RowNamesSymbol, rn);
  Rf_setAttrib(df, R_ClassSymbol, Rf_mkString("data.frame"));
  if (ninexact > 0) set_attr(df, "influx_inexact", Rf_lengthgets(inexact_names, ninexact));
  if (nmin > 0) set_attr(df, "influx_int64_min", Rf_lengthgets(min_names, nmin));
  if (nrep > 0) {
    const char *fields[] = {"column", "name", "first_row", "count", ""};
    SEXP rep = PROTECT(Rf_mkNamed(VECSXP, fields));
    SET_VECTOR_ELT(rep, 0, Rf_lengthgets(rep_column, nrep));
    SET_VECTOR_ELT(rep, 1, Rf_lengthgets(rep_name, nrep));
    SET_VECTOR_ELT(rep, 2, Rf_lengthgets(rep_first, nrep));
    SET_VECTOR_ELT(rep, 3, Rf_lengthgets(rep_count, nrep));
    set_attr(df, "influx_repaired", rep);
    UNPROTECT(1);
  }
  UNPROTECT(9);
  return df;
}
