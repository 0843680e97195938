/* .Call glue of the JSON-lines decoder: its options from the R list of the query (`frame`), read
 * by r_decode.c's decoder_options_from_list. */
#include <string.h>

#include "decode_jsonl.h"
#include "glue.h"
#include "r_decode_jsonl.h"

/* Reads, from the list `opts`:
 *   types        named character vector, column -> "timestamp", "float", "int", "uint", "bool",
 *                "string" or "tag" (e.g. from information_schema.columns)
 *   columns      character vector: the result's columns in order, created even when no line names
 *                them (all NA of their type); the others follow as they first appear
 *   measurement  TRUE: "iox::measurement" is the 1.x measurement column (r_columns.c keeps it,
 *                as `measurement`, only when it holds several names)
 * The hints live in R memory until the .Call returns; jsonl_init copies them. */
void jsonl_options_from_list(SEXP opts, jsonl_options *o) {
  memset(o, 0, sizeof *o);
  o->measurement_role = Rf_asLogical(list_get(opts, "measurement")) == TRUE;
  SEXP types = list_get(opts, "types"), columns = list_get(opts, "columns");
  SEXP type_names = types == R_NilValue ? R_NilValue : Rf_getAttrib(types, R_NamesSymbol);
  if (types != R_NilValue && (TYPEOF(types) != STRSXP || TYPEOF(type_names) != STRSXP))
    Rf_error("types must be a named character vector");
  if (columns != R_NilValue && TYPEOF(columns) != STRSXP) Rf_error("columns must be a character vector");
  R_xlen_t ntypes = types == R_NilValue ? 0 : XLENGTH(types), ncolumns = columns == R_NilValue ? 0 : XLENGTH(columns);
  jsonl_hint *h = (jsonl_hint *) R_alloc((size_t) (ntypes + ncolumns) + 1, sizeof *h);
  size_t n = 0;
  /* the required columns first, in their order, typed by `types` where it names them */
  for (R_xlen_t i = 0; i < ncolumns; i++) {
    if (STRING_ELT(columns, i) == NA_STRING) Rf_error("columns must not be NA");
    const char *name = Rf_translateCharUTF8(STRING_ELT(columns, i));
    h[n++] = (jsonl_hint) {name, strlen(name), JSONL_AUTO, 1};
  }
  for (R_xlen_t i = 0; i < ntypes; i++) {
    if (STRING_ELT(type_names, i) == NA_STRING || STRING_ELT(types, i) == NA_STRING)
      Rf_error("types must not hold NA");
    const char *name = Rf_translateCharUTF8(STRING_ELT(type_names, i));
    int type = jsonl_type_from_name(CHAR(STRING_ELT(types, i)));
    if (type < 0) Rf_error("unknown column type '%s' for column '%s'", CHAR(STRING_ELT(types, i)), name);
    h[n++] = (jsonl_hint) {name, strlen(name), (jsonl_type) type, 0}; /* jsonl_init merges names given twice */
  }
  o->hints = h;
  o->nhints = n;
}

