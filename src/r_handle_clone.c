/* A second handle with the address, credentials and settings of a connection's handle, and
 * optionally other time limits. The buffered writer sends on one of its own, so it never finds the
 * connection busy with a query in progress; the credentials are copied in C and never pass
 * through R. */
#include <stdlib.h>
#include <string.h>

#include "glue.h"
#include "r_guard.h"

static void clone_release(void *h) { handle_free(h); }

/* A malloc'd copy of s (NULL stays NULL); *failed is set when memory runs out. */
static char *copy_text(const char *s, int *failed) {
  if (s == NULL) return NULL;
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d == NULL) { *failed = 1; return NULL; }
  memcpy(d, s, n);
  return d;
}

/* limits: a named list of seconds (connect, first_byte, stall, total), each optional. */
SEXP C_handle_clone(SEXP ptr, SEXP limits) {
  if (TYPEOF(ptr) != EXTPTRSXP || !Rf_inherits(ptr, "influx_handle")) Rf_error("not an influx connection handle");
  /* Only read here, so a handle busy with a request may be cloned. */
  influx_handle *from = R_ExternalPtrAddr(ptr);
  if (from == NULL) Rf_error("the connection is closed");
  SEXP out = PROTECT(guard_new(clone_release));
  influx_handle *h = handle_new();
  if (h == NULL) Rf_error("could not create a curl handle");
  guard_set(out, h);
  Rf_setAttrib(out, R_ClassSymbol, Rf_mkString("influx_handle"));
  int failed = 0;
  h->base_url = copy_text(from->base_url, &failed);
  h->username = copy_text(from->username, &failed);
  h->password = copy_text(from->password, &failed);
  h->token_header = copy_text(from->token_header, &failed);
  h->ca_bundle = copy_text(from->ca_bundle, &failed);
  h->user_agent = copy_text(from->user_agent, &failed);
  if (failed) Rf_error("out of memory"); /* the guard frees what was copied */
  h->verify_tls = from->verify_tls;
  h->gzip = from->gzip;
  h->connect_timeout_ms = ms_opt(limits, "connect", from->connect_timeout_ms);
  h->first_byte_timeout_ms = ms_opt(limits, "first_byte", from->first_byte_timeout_ms);
  h->stall_timeout_ms = ms_opt(limits, "stall", from->stall_timeout_ms);
  h->timeout_ms = ms_opt(limits, "total", from->timeout_ms);
  UNPROTECT(1);
  return out;
}
