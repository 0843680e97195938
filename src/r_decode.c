/* .Call glue of the decoders: options from R, results to R, and the decoding of recorded bodies
 * through exactly the calls a live response takes (request.c). */
#include <stdlib.h>
#include <string.h>

#include "r_decode.h"
#include "r_decode_jsonl.h"
#include "r_guard.h"

const decoder_vtable *decoder_named(const char *name) {
  const decoder_vtable *vt = decoder_by_name(name);
  if (vt == NULL) Rf_error("unknown decoder '%s'", name);
  return vt;
}

/* The one reader of the decoders' options; R checked them (decode_options() in query.R). */
static void decoder_options_from_list(SEXP opts, decoder_options *o) {
  memset(o, 0, sizeof *o);
  SEXP statements = list_get(opts, "statements");
  if (statements != R_NilValue) {
    int n = Rf_asInteger(statements);
    o->statements = n == NA_INTEGER ? 0 : n;
  }
  flux_options fo = flux_options_from_list(opts);
  o->pivot = fo.pivot;
  o->table_columns = fo.table_columns;
  o->value_empty_string = fo.value_empty_string;
  jsonl_options jo;
  jsonl_options_from_list(opts, &jo);
  o->hints = jo.hints;
  o->nhints = jo.nhints;
  o->measurement_role = jo.measurement_role;
  o->row_limit = decoder_row_limit(opts);
}

size_t decoder_row_limit(SEXP opts) {
  SEXP limit = list_get(opts, "row_limit");
  if (limit == R_NilValue) return 0;
  double n = Rf_asReal(limit);
  return ISNAN(n) || n < 1 ? 0 : n >= 1e15 ? (size_t) 1e15 : (size_t) n;
}

void decoder_start(decoder *d, const decoder_vtable *vt, SEXP opts) {
  decoder_options o;
  decoder_options_from_list(opts, &o);
  if (decoder_open(d, vt, &o) != 0) Rf_error("out of memory");
}

SEXP decoder_finish_to_r(decoder *d, SEXP opts, int stopped) {
  const decoder_vtable *vt = d->vt;
  int st = stopped ? vt->finish_stopped(d->state) : vt->finish(d->state);
  const char *names[] = {"status", "message", "statement", "tables", "notices", ""};
  SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
  SET_VECTOR_ELT(out, DECODED_STATUS, Rf_ScalarInteger(st));
  SET_VECTOR_ELT(out, DECODED_MESSAGE, Rf_ScalarString(st == DECODE_OK ? NA_STRING : mk_utf8(vt->message(d->state))));
  SET_VECTOR_ELT(out, DECODED_STATEMENT,
                 Rf_ScalarInteger(st != DECODE_OK && vt->error_statement ? vt->error_statement(d->state) : -1));
  if (st == DECODE_OK) {
    frame_options fo;
    frame_options_from_list(opts, &fo);
    size_t n = vt->ntables(d->state);
    SEXP tables = Rf_allocVector(VECSXP, (R_xlen_t) n);
    SET_VECTOR_ELT(out, DECODED_TABLES, tables);
    for (size_t i = 0; i < n; i++)
      SET_VECTOR_ELT(tables, (R_xlen_t) i, table_to_data_frame(vt->table(d->state, i), &fo));
  }
  size_t len = 0;
  const char *notices = vt->notices ? vt->notices(d->state, &len) : NULL;
  if (notices != NULL && len > 0) SET_VECTOR_ELT(out, DECODED_NOTICES, Rf_ScalarString(mk_utf8_len(notices, len)));
  UNPROTECT(1);
  return out;
}

static void decoder_release(void *p) {
  decoder_close(p);
  free(p);
}

/* A recorded body fed to the decoder R calls `name` in pieces of `piece` bytes, as a network
 * would deliver it: what decoder_finish_to_r returns. */
static SEXP decode_recorded(SEXP body, SEXP piece, const char *name, SEXP opts) {
  if (TYPEOF(body) != RAWSXP) Rf_error("body must be a raw vector");
  int step = Rf_asInteger(piece);
  if (step == NA_INTEGER || step < 1) Rf_error("piece must be a positive integer");
  const decoder_vtable *vt = decoder_named(name);
  SEXP guard = PROTECT(guard_new(decoder_release));
  decoder *d = calloc(1, sizeof *d);
  if (d == NULL) Rf_error("out of memory");
  guard_set(guard, d);
  decoder_start(d, vt, opts);
  const unsigned char *p = RAW(body);
  size_t total = (size_t) XLENGTH(body);
  /* As request.c's sink: a row limit stops feeding once the decoder has that many rows. */
  size_t limit = vt->rows ? decoder_row_limit(opts) : 0;
  int stopped = 0;
  for (size_t off = 0; off < total && !stopped; off += (size_t) step) {
    size_t len = total - off < (size_t) step ? total - off : (size_t) step;
    if (vt->feed(d->state, p + off, len) != DECODE_OK) break;
    stopped = limit > 0 && vt->rows(d->state) >= limit;
  }
  SEXP out = PROTECT(decoder_finish_to_r(d, opts, stopped));
  guard_release(guard);
  UNPROTECT(2);
  return out;
}

SEXP C_decode_recorded(SEXP body, SEXP piece, SEXP name, SEXP opts) {
  const char *n = scalar_string_or_null(name);
  if (n == NULL) Rf_error("decoder must be a string");
  return decode_recorded(body, piece, n, opts);
}

/* The decoders' own entry points, for the R code and tests that name them. */
SEXP C_decode_v1(SEXP body, SEXP piece, SEXP opts) { return decode_recorded(body, piece, "v1", opts); }
SEXP C_decode_flux(SEXP body, SEXP piece, SEXP opts) { return decode_recorded(body, piece, "flux", opts); }
SEXP C_decode_jsonl(SEXP body, SEXP piece, SEXP opts) { return decode_recorded(body, piece, "jsonl", opts); }
