/* .Call glue of series_index.h: the neighbours that fills in R (influx_timeseries) interpolate
 * between. */
#include <limits.h>

#include "glue.h"
#include "series_index.h"

/* list(prev, next): 1-based neighbours with a value in the same series (NA: none); see
 * series_index.h. */
SEXP C_series_neighbours(SEXP missing, SEXP series) {
  if (TYPEOF(missing) != LGLSXP || TYPEOF(series) != INTSXP || XLENGTH(missing) != XLENGTH(series))
    Rf_error("missing must be logical and series integer, of the same length");
  size_t n = (size_t) XLENGTH(missing);
  if (n > (size_t) INT_MAX) Rf_error("too many rows");
  long *prev = (long *) R_alloc(n + 1, sizeof *prev), *next = (long *) R_alloc(n + 1, sizeof *next);
  series_neighbours(LOGICAL(missing), INTEGER(series), n, prev, next);
  const char *names[] = {"prev", "next", ""};
  SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
  SEXP p = PROTECT(Rf_allocVector(INTSXP, (R_xlen_t) n));
  SEXP x = PROTECT(Rf_allocVector(INTSXP, (R_xlen_t) n));
  for (size_t i = 0; i < n; i++) {
    INTEGER(p)[i] = prev[i] < 0 ? NA_INTEGER : (int) prev[i] + 1;
    INTEGER(x)[i] = next[i] < 0 ? NA_INTEGER : (int) next[i] + 1;
  }
  SET_VECTOR_ELT(out, 0, p);
  SET_VECTOR_ELT(out, 1, x);
  UNPROTECT(3);
  return out;
}
