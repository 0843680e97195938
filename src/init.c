/* Routine registration and libcurl's process-wide set-up. */
#include <R_ext/Rdynload.h>

#include "glue.h"
#include "r_guard.h"

SEXP C_handle_new(SEXP opts);
SEXP C_handle_close(SEXP ptr);
SEXP C_handle_is_open(SEXP ptr);
SEXP C_handle_busy(SEXP ptr);
SEXP C_handle_count(void);
SEXP C_handle_clone(SEXP ptr, SEXP limits);
SEXP C_request(SEXP, SEXP, SEXP, SEXP, SEXP, SEXP, SEXP, SEXP);
SEXP C_pool_submit(SEXP, SEXP, SEXP, SEXP, SEXP, SEXP, SEXP, SEXP, SEXP);
SEXP C_pool_wait(SEXP handle, SEXP timeout);
SEXP C_pool_result(SEXP guard);
SEXP C_pool_cancel_all(SEXP handle);
SEXP C_pool_counts(SEXP handle);
SEXP C_batch_spans(SEXP times, SEXP size);
SEXP C_json_parse(SEXP text);
SEXP C_json_encode_object(SEXP x);
SEXP C_iql_quote_ident(SEXP x);
SEXP C_iql_quote_string(SEXP x);
SEXP C_iql_split(SEXP query);
SEXP C_decode_v1(SEXP body, SEXP piece, SEXP opts);
SEXP C_curl_version(void);
SEXP C_decode_flux(SEXP body, SEXP piece, SEXP opts);
SEXP C_decode_jsonl(SEXP body, SEXP piece, SEXP opts);
SEXP C_decode_recorded(SEXP body, SEXP piece, SEXP name, SEXP opts);
SEXP C_json_quote(SEXP x);
SEXP C_flux_quote_string(SEXP x);
SEXP C_flux_write_call(SEXP query);
SEXP C_sql_quote_ident(SEXP x);
SEXP C_sql_quote_string(SEXP x);
SEXP C_time_to_precision(SEXP x, SEXP kind, SEXP precision);
SEXP C_lp_serialize(SEXP spec, SEXP batch_size, SEXP gzip);
SEXP C_gzip(SEXP x, SEXP piece);
SEXP C_ns_to_rfc3339(SEXP x);
SEXP C_ns_add(SEXP a, SEXP b);
SEXP C_ns_less(SEXP a, SEXP b);
SEXP C_series_query(SEXP spec, SEXP language);
SEXP C_series_neighbours(SEXP missing, SEXP series);
SEXP C_parse_duration(SEXP x);
SEXP C_live_allocations(void);
SEXP C_release_all(void);

SEXP C_curl_version(void) { return Rf_mkString(curl_version_info(CURLVERSION_NOW)->version); }

/* Through void (*)(void), which GCC accepts as a generic function pointer type. */
#define CALLDEF(name, n) {#name, (DL_FUNC) (void (*)(void)) &name, n}

static const R_CallMethodDef call_methods[] = {
  CALLDEF(C_handle_new, 1),
  CALLDEF(C_handle_close, 1),
  CALLDEF(C_handle_is_open, 1),
  CALLDEF(C_handle_busy, 1),
  CALLDEF(C_handle_count, 0),
  CALLDEF(C_handle_clone, 2),
  CALLDEF(C_request, 8),
  CALLDEF(C_pool_submit, 9),
  CALLDEF(C_pool_wait, 2),
  CALLDEF(C_pool_result, 1),
  CALLDEF(C_pool_cancel_all, 1),
  CALLDEF(C_pool_counts, 1),
  CALLDEF(C_batch_spans, 2),
  CALLDEF(C_json_parse, 1),
  CALLDEF(C_json_encode_object, 1),
  CALLDEF(C_iql_quote_ident, 1),
  CALLDEF(C_iql_quote_string, 1),
  CALLDEF(C_iql_split, 1),
  CALLDEF(C_decode_v1, 3),
  CALLDEF(C_curl_version, 0),
  CALLDEF(C_decode_flux, 3),
  CALLDEF(C_decode_jsonl, 3),
  CALLDEF(C_decode_recorded, 4),
  CALLDEF(C_json_quote, 1),
  CALLDEF(C_flux_quote_string, 1),
  CALLDEF(C_flux_write_call, 1),
  CALLDEF(C_sql_quote_ident, 1),
  CALLDEF(C_sql_quote_string, 1),
  CALLDEF(C_time_to_precision, 3),
  CALLDEF(C_lp_serialize, 3),
  CALLDEF(C_gzip, 2),
  CALLDEF(C_ns_to_rfc3339, 1),
  CALLDEF(C_ns_add, 2),
  CALLDEF(C_ns_less, 2),
  CALLDEF(C_series_query, 2),
  CALLDEF(C_series_neighbours, 2),
  CALLDEF(C_parse_duration, 1),
  CALLDEF(C_live_allocations, 0),
  CALLDEF(C_release_all, 0),
  {NULL, NULL, 0}
};

void R_init_influxdbtoolkit(DllInfo *dll) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  R_registerRoutines(dll, NULL, call_methods, NULL, NULL);
  R_useDynamicSymbols(dll, FALSE);
  R_forceSymbols(dll, TRUE);
}

/* library.dynam.unload() unmaps this DLL, but R would still call the finalizers of live
 * connections and buffers, which are code here. .onUnload (R/unload.R) runs them when the
 * namespace goes, since R finds this hook only through dynamic lookup, which R_init turns off;
 * where an R finds it anyway, it does the same. libcurl's global state goes last, and only
 * once no handle is left to use it. */
void R_unload_influxdbtoolkit(DllInfo *dll) {
  (void) dll;
  guard_release_all();
  if (handle_live_count() == 0) curl_global_cleanup();
}
