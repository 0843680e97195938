/* .Call entry for one HTTP request: builds the URL and body, runs the transport with a sink that
 * streams the response into the decoder R named (decoder.h), or collects raw bytes, and returns
 * what R needs to build a result or a classed condition. Nothing here raises an R error while C
 * owns memory: all request state hangs off a guard (r_guard.h). */
#include <stdlib.h>
#include <string.h>

#include "bytebuf.h"
#include "glue.h"
#include "r_decode.h"
#include "r_guard.h"
#include "request.h"

#define MAX_ERROR_BODY (1 << 20)

void request_state_clear(request_state *s) {
  bytebuf_free(&s->url);
  bytebuf_free(&s->form);
  bytebuf_free(&s->raw);
  curl_slist_free_all(s->headers);
  s->headers = NULL;
  decoder_close(&s->dec);
}

static void state_release(void *s) {
  request_state_clear(s);
  free(s);
}

/* A successful response in a media type the decoder reads goes to the decoder; anything else
 * (an error body, JSON where MessagePack was asked for) is kept raw, for R to report. */
static int sink(void *ctx, const char *data, size_t len, long status, const char *ctype) {
  request_state *s = ctx;
  int ok = status >= 200 && status < 300;
  s->received += (double) len;
  if (s->kind == SINK_DECODE && (s->decoding || (ok && decoder_for_content_type(ctype) == s->dec.vt))) {
    s->decoding = 1;
    if (s->dec.vt->feed(s->dec.state, data, len) != DECODE_OK) return 1;
    /* Enough rows: aborting the write is how libcurl stops a transfer (and closes that
     * connection; the handle stays usable). */
    if (s->row_limit > 0 && s->dec.vt->rows(s->dec.state) >= s->row_limit) {
      s->stopped = 1;
      return 1;
    }
    return 0;
  }
  if (s->kind == SINK_NONE) return 0;
  /* Error bodies are kept up to MAX_ERROR_BODY: enough for any server message. */
  size_t room = s->kind == SINK_RAW ? len : (s->raw.len < MAX_ERROR_BODY ? MAX_ERROR_BODY - s->raw.len : 0);
  size_t n = len < room ? len : room;
  return bytebuf_append(&s->raw, data, n) == 0 ? 0 : 1;
}

static int append_encoded(bytebuf *b, CURL *easy, const char *s) {
  char *e = curl_easy_escape(easy, s, 0);
  if (e == NULL) return -1;
  int rc = bytebuf_append_str(b, e);
  curl_free(e);
  return rc;
}

/* name=value&... from a named character vector. */
static int append_params(bytebuf *b, CURL *easy, SEXP params) {
  if (params == R_NilValue || XLENGTH(params) == 0) return 0;
  SEXP names = Rf_getAttrib(params, R_NamesSymbol);
  for (R_xlen_t i = 0; i < XLENGTH(params); i++) {
    if (i > 0 && bytebuf_append(b, "&", 1) != 0) return -1;
    if (append_encoded(b, easy, Rf_translateCharUTF8(STRING_ELT(names, i))) != 0) return -1;
    if (bytebuf_append(b, "=", 1) != 0) return -1;
    if (append_encoded(b, easy, Rf_translateCharUTF8(STRING_ELT(params, i))) != 0) return -1;
  }
  return 0;
}

static SEXP string_or_na(const char *s) {
  return s && s[0] ? Rf_ScalarString(mk_utf8(s)) : Rf_ScalarString(NA_STRING);
}

SEXP request_result(request_state *s, const influx_response *resp, SEXP opts) {
  static const char *names[] = {"status", "content_type", "version", "build", "retry_after",
                                "influx_error", "seconds", "curl_code", "curl_message",
                                "interrupted", "body", "tables",
                                "decode_status", "decode_message", "decode_statement",
                                "notices", "timeout_limit", "location", "stopped", "received", ""};
  SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
  SET_VECTOR_ELT(out, 0, Rf_ScalarInteger((int) resp->status));
  SET_VECTOR_ELT(out, 1, string_or_na(resp->content_type));
  SET_VECTOR_ELT(out, 2, string_or_na(resp->version));
  SET_VECTOR_ELT(out, 3, string_or_na(resp->build));
  SET_VECTOR_ELT(out, 4, string_or_na(resp->retry_after));
  SET_VECTOR_ELT(out, 5, string_or_na(resp->influx_error));
  SET_VECTOR_ELT(out, 6, Rf_ScalarReal(resp->seconds));
  /* Our own abort of a transfer is not a transport failure: the decoder says why. Without a
   * decoder, only memory running out stops the sink. */
  int curl_code = resp->sink_aborted ? (s->decoding ? 0 : (int) CURLE_OUT_OF_MEMORY) : (int) resp->curl_code;
  SET_VECTOR_ELT(out, 7, Rf_ScalarInteger(curl_code));
  SET_VECTOR_ELT(out, 8, string_or_na(curl_code == 0 ? NULL
                                      : resp->sink_aborted ? "out of memory while receiving the response"
                                                           : resp->curl_error));
  SET_VECTOR_ELT(out, 9, Rf_ScalarLogical(resp->interrupted));
  /* A body without a byte never reaches the sink, yet can be a whole answer (3.x answers a query
   * without rows with an empty JSON-lines body): the decoder of its media type says what it is. */
  if (s->kind == SINK_DECODE && !s->decoding && s->raw.len == 0 && resp->status >= 200 && resp->status < 300 &&
      !resp->interrupted && resp->curl_code == 0 && decoder_for_content_type(resp->content_type) == s->dec.vt)
    s->decoding = 1;
  if (!s->decoding && s->kind != SINK_NONE) {
    SEXP raw = Rf_allocVector(RAWSXP, (R_xlen_t) s->raw.len);
    SET_VECTOR_ELT(out, 10, raw);
    if (s->raw.len) memcpy(RAW(raw), s->raw.data, s->raw.len);
  }

  int dstatus = -1;
  if (s->decoding && !resp->interrupted && curl_code == 0) {
    SEXP dec = PROTECT(decoder_finish_to_r(&s->dec, opts, s->stopped));
    dstatus = INTEGER(VECTOR_ELT(dec, DECODED_STATUS))[0];
    SET_VECTOR_ELT(out, 11, VECTOR_ELT(dec, DECODED_TABLES));
    SET_VECTOR_ELT(out, 13, VECTOR_ELT(dec, DECODED_MESSAGE));
    SET_VECTOR_ELT(out, 14, VECTOR_ELT(dec, DECODED_STATEMENT));
    SET_VECTOR_ELT(out, 15, VECTOR_ELT(dec, DECODED_NOTICES));
    UNPROTECT(1);
  }
  SET_VECTOR_ELT(out, 12, Rf_ScalarInteger(dstatus));
  SET_VECTOR_ELT(out, 16, string_or_na(timeout_kind_name(resp->timeout)));
  SET_VECTOR_ELT(out, 17, string_or_na(resp->location));
  SET_VECTOR_ELT(out, 18, Rf_ScalarLogical(s->stopped));
  SET_VECTOR_ELT(out, 19, Rf_ScalarReal(s->received));
  UNPROTECT(1);
  return out;
}

void request_prepare(influx_handle *h, request_state *s, influx_request *req, SEXP method, SEXP path,
                     SEXP query, SEXP headers, SEXP body, SEXP sink_name, SEXP opts) {
  const char *m = scalar_string_or_null(method);
  const char *p = scalar_string_or_null(path);
  const char *k = scalar_string_or_null(sink_name);
  if (m == NULL || p == NULL || k == NULL) Rf_error("method, path and sink must be strings");
  if (strlen(m) >= sizeof s->method) Rf_error("unknown HTTP method");
  if (query != R_NilValue && TYPEOF(query) != STRSXP) Rf_error("query must be a named character vector");
  if (headers != R_NilValue && TYPEOF(headers) != STRSXP) Rf_error("headers must be a character vector");
  if (body != R_NilValue && TYPEOF(body) != RAWSXP && TYPEOF(body) != STRSXP)
    Rf_error("body must be NULL, a raw vector or a named character vector (form fields)");
  strcpy(s->method, m);

  sink_kind kind = strcmp(k, "raw") == 0 ? SINK_RAW : strcmp(k, "none") == 0 ? SINK_NONE : SINK_DECODE;
  const decoder_vtable *vt = kind == SINK_DECODE ? decoder_named(k) : NULL;
  s->kind = kind;
  if (vt != NULL) {
    decoder_start(&s->dec, vt, opts);
    if (vt->rows != NULL) s->row_limit = decoder_row_limit(opts);
  }
  int oom = bytebuf_append_str(&s->url, h->base_url) || bytebuf_append_str(&s->url, p);
  if (query != R_NilValue && XLENGTH(query) > 0) {
    oom = oom || bytebuf_append(&s->url, strchr(p, '?') ? "&" : "?", 1) ||
          append_params(&s->url, h->easy, query);
  }
  oom = oom || bytebuf_append(&s->url, "", 1);

  const void *body_ptr = NULL;
  size_t body_len = 0;
  if (TYPEOF(body) == RAWSXP) {
    body_ptr = RAW(body);
    body_len = (size_t) XLENGTH(body);
  } else if (TYPEOF(body) == STRSXP) {
    oom = oom || append_params(&s->form, h->easy, body) || bytebuf_append(&s->form, "", 1);
    body_ptr = s->form.data ? (const void *) s->form.data : "";
    body_len = s->form.len ? s->form.len - 1 : 0;
    struct curl_slist *l = curl_slist_append(s->headers, "Content-Type: application/x-www-form-urlencoded");
    if (l == NULL) oom = 1; else s->headers = l;
  }
  for (R_xlen_t i = 0; headers != R_NilValue && i < XLENGTH(headers); i++) {
    struct curl_slist *l = curl_slist_append(s->headers, Rf_translateCharUTF8(STRING_ELT(headers, i)));
    if (l == NULL) oom = 1; else s->headers = l;
  }
  if (h->token_header) {
    struct curl_slist *l = curl_slist_append(s->headers, h->token_header);
    if (l == NULL) oom = 1; else s->headers = l;
  }
  /* libcurl would otherwise send "Expect: 100-continue" on large bodies and wait for it. */
  struct curl_slist *l = curl_slist_append(s->headers, "Expect:");
  if (l == NULL) oom = 1; else s->headers = l;
  if (oom) Rf_error("out of memory while building the request");

  influx_request r = {s->method, (const char *) s->url.data, s->headers, body_ptr, body_len, sink, s};
  *req = r;
}

SEXP C_request(SEXP handle, SEXP method, SEXP path, SEXP query, SEXP headers, SEXP body,
               SEXP sink_name, SEXP opts) {
  influx_handle *h = handle_from_sexp(handle);
  SEXP guard = PROTECT(guard_new(state_release));
  request_state *s = calloc(1, sizeof *s);
  if (s == NULL) Rf_error("out of memory");
  guard_set(guard, s);
  influx_request req;
  request_prepare(h, s, &req, method, path, query, headers, body, sink_name, opts);
  influx_response resp;
  transport_perform(h, &req, &resp);

  SEXP out = PROTECT(request_result(s, &resp, opts));
  guard_release(guard);
  UNPROTECT(2);
  return out;
}
