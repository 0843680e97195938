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

/* Columns are read a segment at a time: rows [first, first + len) are elements d[0, len) and
 * bits 0 to len - 1 of the segment's NA map (`first` is where a segment begins). */
static const uint8_t *seg_na(const column *c, size_t first) { return c->segs[first >> COL_SEG_SHIFT].na; }
static int na_bit(const uint8_t *na, size_t k) { return na != NULL && (na[k >> 3] >> (k & 7)) & 1; }

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

/* Recently made CHARSXPs by arena entry (a string is stored once in the arena, so its entry names
 * it): rows of tags that take turns cost a look-up here, not a UTF-8 check and R's hashing. */
#define CHARSXP_CACHE 256
typedef struct {
  uint64_t entry; /* 1 + entry, 0 = empty */
  SEXP value;     /* held by the vector being filled */
  int repaired;
} charsxp_slot;

static SEXP strings_column(const table *t, const column *c, scratch *sc, repair_note *rep) {
  SEXP out = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t) c->n));
  charsxp_slot cache[CHARSXP_CACHE];
  memset(cache, 0, sizeof cache);
  for (size_t first = 0, len; first < c->n; first += len) {
    const uint64_t *d = col_rows(c, first, &len);
    const uint8_t *na = seg_na(c, first);
    for (size_t k = 0; k < len; k++) {
      R_xlen_t i = (R_xlen_t) (first + k);
      if (na_bit(na, k)) { SET_STRING_ELT(out, i, NA_STRING); continue; }
      charsxp_slot *slot = &cache[(d[k] * 0x9e3779b97f4a7c15ULL) >> 56];
      if (slot->entry != d[k] + 1) {
        size_t n;
        const char *s = table_entry(t, d[k], &n);
        slot->value = clean_charsxp(s, n, sc, &slot->repaired);
        slot->entry = d[k] + 1;
      }
      SET_STRING_ELT(out, i, slot->value);
      if (slot->repaired && rep->count++ == 0) rep->first = (size_t) i;
    }
  }
  UNPROTECT(1);
  return out;
}

/* *min_seen: a value was -2^63, which integer64 cannot tell from its NA. */
static SEXP integer64_from(const column *c, int *min_seen) {
  SEXP out = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t) c->n));
  double *o = REAL(out);
  for (size_t first = 0, len; first < c->n; first += len) {
    const int64_t *d = col_rows(c, first, &len);
    const uint8_t *na = seg_na(c, first);
    for (size_t k = 0; k < len; k++) {
      int64_t v = INT64_MIN; /* bit64's NA */
      if (!na_bit(na, k)) {
        v = d[k];
        if (v == INT64_MIN) *min_seen = 1;
      }
      memcpy(&o[first + k], &v, sizeof v);
    }
  }
  Rf_setAttrib(out, R_ClassSymbol, Rf_mkString("integer64"));
  UNPROTECT(1);
  return out;
}

static SEXP int_column(const column *c, const frame_options *o, int *inexact, int *min_seen) {
  R_xlen_t n = (R_xlen_t) c->n;
  if (c->all_int32) {
    SEXP out = Rf_allocVector(INTSXP, n);
    int *p = INTEGER(out);
    for (size_t first = 0, len; first < c->n; first += len) {
      const int64_t *d = col_rows(c, first, &len);
      const uint8_t *na = seg_na(c, first);
      for (size_t k = 0; k < len; k++) p[first + k] = na_bit(na, k) ? NA_INTEGER : (int) d[k];
    }
    return out;
  }
  if (o->bigint == BIGINT_INTEGER64) return integer64_from(c, min_seen);
  if (o->bigint == BIGINT_DOUBLE) {
    SEXP out = Rf_allocVector(REALSXP, n);
    double *p = REAL(out);
    for (size_t first = 0, len; first < c->n; first += len) {
      const int64_t *d = col_rows(c, first, &len);
      const uint8_t *na = seg_na(c, first);
      for (size_t k = 0; k < len; k++) {
        double *x = &p[first + k];
        if (na_bit(na, k)) { *x = NA_REAL; continue; }
        *x = (double) d[k];
        /* Values next to INT64_MAX round to 2^63, which no int64 holds: casting it back would be
         * undefined, so it is compared first. */
        if (*x >= 9223372036854775808.0 || (int64_t) *x != d[k]) *inexact = 1;
      }
    }
    return out;
  }
  SEXP out = PROTECT(Rf_allocVector(STRSXP, n));
  char tmp[32];
  for (size_t first = 0, len; first < c->n; first += len) {
    const int64_t *d = col_rows(c, first, &len);
    const uint8_t *na = seg_na(c, first);
    for (size_t k = 0; k < len; k++) {
      R_xlen_t i = (R_xlen_t) (first + k);
      if (na_bit(na, k)) { SET_STRING_ELT(out, i, NA_STRING); continue; }
      snprintf(tmp, sizeof tmp, "%lld", (long long) d[k]);
      SET_STRING_ELT(out, i, Rf_mkChar(tmp));
    }
  }
  UNPROTECT(1);
  return out;
}

static SEXP time_column(const column *c, const frame_options *o) {
  SEXP out = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t) c->n));
  double *p = REAL(out);
  for (size_t first = 0, len; first < c->n; first += len) {
    const int64_t *d = col_rows(c, first, &len);
    const uint8_t *na = seg_na(c, first);
    for (size_t k = 0; k < len; k++) {
      if (na_bit(na, k)) { p[first + k] = NA_REAL; continue; }
      /* Whole seconds and the fraction apart: the nearest double to the exact instant. */
      int64_t sec = d[k] / 1000000000, ns = d[k] % 1000000000;
      if (ns < 0) { sec -= 1; ns += 1000000000; }
      p[first + k] = (double) sec + (double) ns / 1e9;
    }
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
    int *p = LOGICAL(out);
    for (size_t first = 0, len; first < c->n; first += len) {
      const int8_t *d = col_rows(c, first, &len);
      const uint8_t *na = seg_na(c, first);
      for (size_t k = 0; k < len; k++) p[first + k] = na_bit(na, k) ? NA_LOGICAL : d[k];
    }
    return out;
  }
  case COL_INT: return int_column(c, o, &notes->inexact, &notes->min_seen);
  case COL_DOUBLE: {
    SEXP out = Rf_allocVector(REALSXP, n);
    double *p = REAL(out);
    for (size_t first = 0, len; first < c->n; first += len) {
      const double *d = col_rows(c, first, &len);
      const uint8_t *na = seg_na(c, first);
      if (na == NULL) { memcpy(p + first, d, len * sizeof *d); continue; }
      for (size_t k = 0; k < len; k++) p[first + k] = na_bit(na, k) ? NA_REAL : d[k];
    }
    if (c->inexact) notes->inexact = 1;
    return out;
  }
  case COL_TIME: return time_column(c, o);
  case COL_STRING: return strings_column(t, c, sc, &notes->rep);
  case COL_DURATION: {
    /* difftime in seconds: exact to the microsecond for durations up to about 285 years */
    SEXP out = PROTECT(Rf_allocVector(REALSXP, n));
    double *p = REAL(out);
    for (size_t first = 0, len; first < c->n; first += len) {
      const int64_t *d = col_rows(c, first, &len);
      const uint8_t *na = seg_na(c, first);
      for (size_t k = 0; k < len; k++) p[first + k] = na_bit(na, k) ? NA_REAL : (double) d[k] / 1e9;
    }
    Rf_setAttrib(out, R_ClassSymbol, Rf_mkString("difftime"));
    set_attr(out, "units", Rf_mkString("secs"));
    UNPROTECT(1);
    return out;
  }
  case COL_BYTES: {
    SEXP out = PROTECT(Rf_allocVector(VECSXP, n));
    for (size_t first = 0, len; first < c->n; first += len) {
      const uint64_t *d = col_rows(c, first, &len);
      const uint8_t *na = seg_na(c, first);
      for (size_t k = 0; k < len; k++) {
        if (na_bit(na, k)) continue;
        size_t bytes;
        const char *s = table_entry(t, d[k], &bytes);
        SEXP raw = Rf_allocVector(RAWSXP, (R_xlen_t) bytes);
        SET_VECTOR_ELT(out, (R_xlen_t) (first + k), raw);
        if (bytes) memcpy(RAW(raw), s, bytes);
      }
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
  int have = 0;
  uint64_t first_entry = 0;
  for (size_t first = 0, len; first < c->n; first += len) {
    const uint64_t *d = col_rows(c, first, &len);
    const uint8_t *na = seg_na(c, first);
    for (size_t k = 0; k < len; k++) {
      if (na_bit(na, k)) continue;
      if (!have) { first_entry = d[k]; have = 1; continue; }
      if (d[k] == first_entry) continue;
      size_t n1, n2;
      const char *s1 = table_entry(t, d[k], &n1), *s2 = table_entry(t, first_entry, &n2);
      if (n1 != n2 || memcmp(s1, s2, n1) != 0) return 1;
    }
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

static int is_time_name(const column *c) { return c->name_len == 4 && memcmp(c->name, "time", 4) == 0; }

SEXP table_to_data_frame(table *t, const frame_options *o) {
  /* Output order: measurement (when several), time, tags by name, then the other columns as the
   * server sent them. */
  if (t->nrow > INT_MAX) Rf_error("a result of %zu rows is more than a data.frame holds", t->nrow);
  size_t nc = t->ncol;
  col_entry *order = (col_entry *) R_alloc(nc + 1, sizeof *order);
  size_t k = 0, ntags = 0;
  const column *mcol = NULL;
  for (size_t i = 0; i < nc; i++) {
    const column *c = &t->cols[i];
    if (c->role == ROLE_MEASUREMENT && mcol == NULL && several_names(t, c)) mcol = c;
  }
  /* A measurement column that is not output is freed before R allocates anything. */
  for (size_t i = 0; i < nc; i++)
    if (t->cols[i].role == ROLE_MEASUREMENT && &t->cols[i] != mcol) col_release(t, (int) i);
  if (mcol) order[k++].col = mcol;
  for (size_t i = 0; i < nc; i++) {
    const column *c = &t->cols[i];
    if (c->role == ROLE_VALUE && is_time_name(c)) order[k++].col = c;
  }
  size_t tag_start = k;
  for (size_t i = 0; i < nc; i++)
    if (t->cols[i].role == ROLE_TAG) { order[k++].col = &t->cols[i]; ntags++; }
  qsort(order + tag_start, ntags, sizeof *order, by_name);
  for (size_t i = 0; i < nc; i++) {
    const column *c = &t->cols[i];
    if (c->role == ROLE_VALUE && !is_time_name(c)) order[k++].col = c;
  }
  /* Where each goes in the frame: a time column is followed by its integer64 twin (time_ns). */
  R_xlen_t *at = (R_xlen_t *) R_alloc(k + 1, sizeof *at);
  R_xlen_t ncol = 0;
  for (size_t i = 0; i < k; i++) {
    at[i] = ncol;
    ncol += o->time_ns && order[i].col->type == COL_TIME ? 2 : 1;
  }

  SEXP df = PROTECT(Rf_allocVector(VECSXP, ncol));
  SEXP names = PROTECT(Rf_allocVector(STRSXP, ncol));
  column_notes *notes = (column_notes *) R_alloc(k + 1, sizeof *notes);
  memset(notes, 0, (k + 1) * sizeof *notes);
  scratch sc = {NULL, 0};
  int has_measurement_name = table_find(t, "measurement", 11) >= 0;
  /* Each column is freed as soon as its vector is made, so that at most one column exists twice;
   * text first, then the strings they share, then the rest. */
  for (int pass = 0; pass < 2; pass++) {
    for (size_t i = 0; i < k; i++) {
      column *c = (column *) order[i].col;
      int text = c->type == COL_STRING || c->type == COL_BYTES;
      if (text != (pass == 0)) continue;
      R_xlen_t j = at[i];
      SET_VECTOR_ELT(df, j, column_to_sexp(t, c, o, &sc, &notes[i]));
      if (c == mcol) SET_STRING_ELT(names, j, Rf_mkChar(has_measurement_name ? "_measurement" : "measurement"));
      else SET_STRING_ELT(names, j, clean_charsxp(c->name, c->name_len, &sc, &notes[i].rep.name));
      if (o->time_ns && c->type == COL_TIME) {
        SET_VECTOR_ELT(df, j + 1, integer64_from(c, &notes[i].min_seen));
        const char *base = CHAR(STRING_ELT(names, j));
        size_t len = strlen(base) + 4;
        char *nm = R_alloc(len, 1);
        snprintf(nm, len, "%s_ns", base);
        SET_STRING_ELT(names, j + 1, mk_utf8(nm));
      }
      col_release(t, (int) (c - t->cols));
    }
    if (pass == 0) table_release_strings(t);
  }

  /* The notes, in the frame's order. */
  SEXP inexact_names = PROTECT(Rf_allocVector(STRSXP, ncol));
  SEXP min_names = PROTECT(Rf_allocVector(STRSXP, ncol));
  SEXP rep_column = PROTECT(Rf_allocVector(STRSXP, ncol));
  SEXP rep_name = PROTECT(Rf_allocVector(LGLSXP, ncol));
  SEXP rep_first = PROTECT(Rf_allocVector(INTSXP, ncol));
  SEXP rep_count = PROTECT(Rf_allocVector(INTSXP, ncol));
  int ninexact = 0, nmin = 0, nrep = 0;
  for (size_t i = 0; i < k; i++) {
    R_xlen_t j = at[i], last = i + 1 < k ? at[i + 1] - 1 : ncol - 1;
    const column_notes *nt = &notes[i];
    if (nt->inexact) SET_STRING_ELT(inexact_names, ninexact++, STRING_ELT(names, j));
    if (nt->rep.name || nt->rep.count > 0) {
      SET_STRING_ELT(rep_column, nrep, STRING_ELT(names, j));
      LOGICAL(rep_name)[nrep] = nt->rep.name;
      INTEGER(rep_first)[nrep] = nt->rep.count > 0 ? (int) nt->rep.first + 1 : NA_INTEGER;
      INTEGER(rep_count)[nrep] = (int) nt->rep.count;
      nrep++;
    }
    /* named as the last vector the column made: time_ns, when it has one */
    if (nt->min_seen) SET_STRING_ELT(min_names, nmin++, STRING_ELT(names, last));
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
