/* The span of times of each batch of a write, so that the pipelined writer (R/write.R) can tell
 * which batches may hold the same point (same series and time) and must reach the server in
 * order: batches whose spans do not meet cannot. */
#include <stdint.h>
#include <string.h>

#include "glue.h"

/* times: integer64 (as C_time_to_precision makes them), rows in batches of `size`. Returns a
 * matrix of one row per batch: the earliest and latest time as doubles (NaN: no time). */
SEXP C_batch_spans(SEXP times, SEXP size) {
  int bs = Rf_asInteger(size);
  if (TYPEOF(times) != REALSXP || bs == NA_INTEGER || bs < 1) Rf_error("expected integer64 times and a batch size");
  R_xlen_t n = XLENGTH(times);
  R_xlen_t nb = n == 0 ? 0 : (n - 1) / bs + 1;
  SEXP out = PROTECT(Rf_allocMatrix(REALSXP, (int) nb, 2));
  double *o = REAL(out);
  const double *t = REAL(times);
  for (R_xlen_t b = 0; b < nb; b++) {
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    R_xlen_t end = (b + 1) * bs < n ? (b + 1) * bs : n;
    for (R_xlen_t i = b * bs; i < end; i++) {
      int64_t v;
      memcpy(&v, &t[i], sizeof v);
      if (v == INT64_MIN) continue; /* NA: refused before anything is sent */
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    /* Converting to double rounds, but never past another value: equal times stay equal and the
     * order stays, so spans that share a time still meet. */
    o[b] = lo > hi ? R_NaN : (double) lo;
    o[b + nb] = lo > hi ? R_NaN : (double) hi;
  }
  UNPROTECT(1);
  return out;
}
