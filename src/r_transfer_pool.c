/* .Call glue of the transfer pool (transfer_pool.h): R submits requests one by one, each held by
 * a guard that owns its request state, response and place in the pool, waits for the next ones
 * to end, and reads each result as C_request returns it. A guard collected or released while its
 * transfer is in flight abandons the transfer first; the pool, freed with the connection, lets go
 * of its transfers' owners, so either can go first. */
#include <stdlib.h>
#include <string.h>

#include "glue.h"
#include "r_guard.h"
#include "request.h"
#include "transfer_pool.h"

typedef struct {
  request_state state;
  influx_request req;
  influx_response resp;
  pool_slot *slot;     /* while in flight; cleared by the pool when it ends */
} pooled_request;

static void pooled_release(void *p) {
  pooled_request *r = p;
  transfer_pool_cancel(r->slot);
  request_state_clear(&r->state);
  free(r);
}

/* The handle, open; busy only with the pool's own transfers. */
static influx_handle *pool_handle(SEXP ptr) {
  if (TYPEOF(ptr) != EXTPTRSXP || !Rf_inherits(ptr, "influx_handle")) Rf_error("not an influx connection handle");
  influx_handle *h = R_ExternalPtrAddr(ptr);
  if (h == NULL) Rf_error("the connection is closed");
  return h;
}

/* -> the request's guard (its tag keeps the body and the connection alive), or an error string
 * when the pool could not start it. */
SEXP C_pool_submit(SEXP handle, SEXP id, SEXP method, SEXP path, SEXP query, SEXP headers, SEXP body,
                   SEXP sink_name, SEXP opts) {
  influx_handle *h = pool_handle(handle);
  SEXP guard = PROTECT(guard_new(pooled_release));
  pooled_request *r = calloc(1, sizeof *r);
  if (r == NULL) Rf_error("out of memory");
  guard_set(guard, r);
  SEXP keep = PROTECT(Rf_allocVector(VECSXP, 3));
  SET_VECTOR_ELT(keep, 0, body);
  SET_VECTOR_ELT(keep, 1, handle);
  SET_VECTOR_ELT(keep, 2, opts);
  R_SetExternalPtrTag(guard, keep);
  request_prepare(h, &r->state, &r->req, method, path, query, headers, body, sink_name, opts);
  if (transfer_pool_submit(h, &r->req, &r->resp, Rf_asInteger(id), &r->slot) != 0) {
    SEXP msg = PROTECT(Rf_mkString(r->resp.curl_error));
    guard_release(guard);
    UNPROTECT(3);
    return msg;
  }
  UNPROTECT(2);
  return guard;
}

/* -> list(done = ids of the requests that ended, interrupted = TRUE when Ctrl-C abandoned all). */
SEXP C_pool_wait(SEXP handle, SEXP timeout) {
  influx_handle *h = pool_handle(handle);
  double t = Rf_asReal(timeout);
  long timeout_ms = ISNAN(t) || t < 0 ? -1 : (long) (t * 1000);
  int cap = transfer_pool_easy_count(h);
  int *done = (int *) R_alloc((size_t) (cap > 0 ? cap : 1), sizeof *done);
  int interrupted = 0;
  int n = transfer_pool_wait(h, timeout_ms, done, cap, &interrupted);
  const char *names[] = {"done", "interrupted", ""};
  SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
  SEXP ids = Rf_allocVector(INTSXP, n);
  SET_VECTOR_ELT(out, 0, ids);
  if (n > 0) memcpy(INTEGER(ids), done, (size_t) n * sizeof *done);
  SET_VECTOR_ELT(out, 1, Rf_ScalarLogical(interrupted));
  UNPROTECT(1);
  return out;
}

/* The result of an ended request, as C_request gives it; frees its state. */
SEXP C_pool_result(SEXP guard) {
  if (TYPEOF(guard) != EXTPTRSXP) Rf_error("not a pooled request");
  pooled_request *r = R_ExternalPtrAddr(guard);
  if (r == NULL) Rf_error("the request's result was already read");
  if (r->slot != NULL) Rf_error("the request is still in flight");
  SEXP out = PROTECT(request_result(&r->state, &r->resp, VECTOR_ELT(R_ExternalPtrTag(guard), 2)));
  guard_release(guard);
  UNPROTECT(1);
  return out;
}

SEXP C_pool_cancel_all(SEXP handle) {
  if (TYPEOF(handle) != EXTPTRSXP) return R_NilValue;
  influx_handle *h = R_ExternalPtrAddr(handle);
  if (h != NULL) transfer_pool_cancel_all(h);
  return R_NilValue;
}

/* For leak tests: c(active, easy handles of this connection's pool, of every pool). */
SEXP C_pool_counts(SEXP handle) {
  influx_handle *h = TYPEOF(handle) == EXTPTRSXP ? R_ExternalPtrAddr(handle) : NULL;
  const char *names[] = {"active", "easy", "live_easy", ""};
  SEXP out = PROTECT(Rf_mkNamed(INTSXP, names));
  INTEGER(out)[0] = h ? transfer_pool_active(h) : 0;
  INTEGER(out)[1] = h ? transfer_pool_easy_count(h) : 0;
  INTEGER(out)[2] = transfer_pool_live_easy();
  UNPROTECT(1);
  return out;
}
