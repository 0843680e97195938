/* Shared helpers of the .Call glue (the only files besides r_columns.c that touch SEXP). */
#ifndef INFLUXTK_GLUE_H
#define INFLUXTK_GLUE_H

#ifndef R_NO_REMAP
#define R_NO_REMAP
#endif
#ifndef STRICT_R_HEADERS
#define STRICT_R_HEADERS
#endif
#include <R.h>
#include <Rinternals.h>

#include "columns.h"
#include "decode_flux.h"
#include "transport.h"

/* NULL when x is not a string scalar (NA included). */
const char *scalar_string_or_null(SEXP x);
influx_handle *handle_from_sexp(SEXP ptr);
SEXP mk_utf8(const char *s);
SEXP mk_utf8_len(const char *s, size_t len);
/* Element `name` of a named list, or R_NilValue. */
SEXP list_get(SEXP list, const char *name);
/* Element `name` of opts, seconds, as libcurl milliseconds (0 = no limit); `fallback` when absent. */
long ms_opt(SEXP opts, const char *name, long fallback);

typedef enum { BIGINT_INTEGER64 = 0, BIGINT_DOUBLE = 1, BIGINT_CHARACTER = 2 } bigint_policy;

typedef struct {
  const char *tz;
  bigint_policy bigint;
  int time_ns;          /* add an integer64 `time_ns` column next to each time column */
} frame_options;

void frame_options_from_list(SEXP opts, frame_options *o);
/* The Flux decoder's options from the same list (pivot, table_columns, value_empty_string). */
flux_options flux_options_from_list(SEXP opts);
/* One table as a data.frame; measurement column dropped when it holds a single name. Each column
 * is freed as soon as R has it (the frame is the table's only use): the table is empty after. */
SEXP table_to_data_frame(table *t, const frame_options *o);

#endif
