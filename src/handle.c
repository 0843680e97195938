/* The connection handle as a classed external pointer whose finalizer frees curl and secrets. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glue.h"
#include "r_guard.h"

const char *scalar_string_or_null(SEXP x) {
  if (TYPEOF(x) != STRSXP || XLENGTH(x) != 1 || STRING_ELT(x, 0) == NA_STRING) return NULL;
  return Rf_translateCharUTF8(STRING_ELT(x, 0));
}

SEXP mk_utf8(const char *s) { return Rf_mkCharCE(s, CE_UTF8); }

SEXP mk_utf8_len(const char *s, size_t len) {
  if (len > INT_MAX) Rf_error("string too long for R");
  return Rf_mkCharLenCE(s, (int) len, CE_UTF8);
}

SEXP list_get(SEXP list, const char *name) {
  SEXP names = Rf_getAttrib(list, R_NamesSymbol);
  if (TYPEOF(list) != VECSXP || names == R_NilValue) return R_NilValue;
  for (R_xlen_t i = 0; i < XLENGTH(list); i++)
    if (strcmp(CHAR(STRING_ELT(names, i)), name) == 0) return VECTOR_ELT(list, i);
  return R_NilValue;
}

static void handle_release(void *h) { handle_free(h); }

influx_handle *handle_from_sexp(SEXP ptr) {
  if (TYPEOF(ptr) != EXTPTRSXP || !Rf_inherits(ptr, "influx_handle"))
    Rf_error("not an influx connection handle");
  influx_handle *h = R_ExternalPtrAddr(ptr);
  if (h == NULL) Rf_error("the connection is closed");
  if (h->busy) Rf_error("connection busy: a request on this connection is still running");
  return h;
}

static char *dup_opt(SEXP opts, const char *name) {
  const char *s = scalar_string_or_null(list_get(opts, name));
  if (s == NULL || s[0] == '\0') return NULL;
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d == NULL) Rf_error("out of memory");
  memcpy(d, s, n);
  return d;
}

long ms_opt(SEXP opts, const char *name, long fallback) {
  SEXP v = list_get(opts, name);
  if (!Rf_isReal(v) && !Rf_isInteger(v)) return fallback;
  double s = Rf_asReal(v);
  if (ISNAN(s) || s < 0) return fallback;
  if (!R_FINITE(s) || s * 1000 > 2147483647.0) return 0; /* curl: 0 = no limit */
  long ms = (long) (s * 1000);
  return ms > 0 ? ms : 1;
}

SEXP C_handle_new(SEXP opts) {
  /* The guard owns h from its creation, so an R error below cannot leak it; unloading the
   * package frees it while the code to do so is still there. */
  SEXP ptr = PROTECT(guard_new(handle_release));
  influx_handle *h = handle_new();
  if (h == NULL) Rf_error("could not create a curl handle");
  guard_set(ptr, h);
  Rf_setAttrib(ptr, R_ClassSymbol, Rf_mkString("influx_handle"));
  h->base_url = dup_opt(opts, "base_url");
  if (h->base_url == NULL) Rf_error("base_url is required");
  size_t n = strlen(h->base_url);
  while (n > 0 && h->base_url[n - 1] == '/') h->base_url[--n] = '\0';
  h->username = dup_opt(opts, "username");
  h->password = dup_opt(opts, "password");
  const char *token = scalar_string_or_null(list_get(opts, "token"));
  if (token && token[0]) {
    size_t len = strlen(token) + 32;
    h->token_header = malloc(len);
    if (h->token_header == NULL) Rf_error("out of memory");
    /* "Token" (2.x) unless told otherwise: InfluxDB 3 documents "Bearer". */
    const char *scheme = scalar_string_or_null(list_get(opts, "auth_scheme"));
    if (scheme == NULL || strcmp(scheme, "Bearer") != 0) scheme = "Token";
    snprintf(h->token_header, len, "Authorization: %s %s", scheme, token);
  }
  h->connect_timeout_ms = ms_opt(opts, "connect_timeout", 10000);
  h->timeout_ms = ms_opt(opts, "timeout", 0);
  h->first_byte_timeout_ms = ms_opt(opts, "first_byte_timeout", 600000);
  h->stall_timeout_ms = ms_opt(opts, "stall_timeout", 60000);
  h->verify_tls = Rf_asLogical(list_get(opts, "verify_tls")) != FALSE;
  h->ca_bundle = dup_opt(opts, "ca_bundle");
  h->gzip = Rf_asLogical(list_get(opts, "gzip")) == TRUE;
  h->user_agent = dup_opt(opts, "user_agent");
  UNPROTECT(1);
  return ptr;
}

SEXP C_handle_close(SEXP ptr) {
  if (TYPEOF(ptr) != EXTPTRSXP || !Rf_inherits(ptr, "influx_handle")) return R_NilValue;
  influx_handle *h = R_ExternalPtrAddr(ptr);
  /* Freeing it under a running transfer would pull curl's handles from under it. */
  if (h != NULL && h->busy) Rf_error("connection busy: a request on this connection is still running");
  guard_release(ptr);
  return R_NilValue;
}

/* TRUE while a request on this connection is in progress (R code can run then: see transport.h). */
SEXP C_handle_busy(SEXP ptr) {
  influx_handle *h = TYPEOF(ptr) == EXTPTRSXP ? R_ExternalPtrAddr(ptr) : NULL;
  return Rf_ScalarLogical(h != NULL && h->busy);
}

SEXP C_handle_is_open(SEXP ptr) {
  return Rf_ScalarLogical(TYPEOF(ptr) == EXTPTRSXP && R_ExternalPtrAddr(ptr) != NULL);
}

SEXP C_handle_count(void) { return Rf_ScalarInteger(handle_live_count()); }
