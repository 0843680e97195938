/* JSON text -> R values: objects become named lists, arrays of one scalar type become atomic
 * vectors (null -> NA), other arrays lists; and R values -> JSON text. */
#include <stdlib.h>
#include <string.h>

#include "glue.h"
#include "json.h"
#include "r_guard.h"

static int scalar_type(const json_node *n) {
  switch (n->type) {
  case JSON_BOOL: return LGLSXP;
  case JSON_NUMBER: return REALSXP;
  case JSON_STRING: return STRSXP;
  default: return NILSXP;
  }
}

static SEXP json_to_sexp(const void *p) {
  const json_node *n = p;
  switch (n->type) {
  case JSON_NULL: return R_NilValue;
  case JSON_BOOL: return Rf_ScalarLogical(n->boolean);
  case JSON_NUMBER: return Rf_ScalarReal(n->number);
  case JSON_STRING: return Rf_ScalarString(mk_utf8_len(n->str, n->len));
  case JSON_OBJECT: {
    SEXP out = PROTECT(Rf_allocVector(VECSXP, (R_xlen_t) n->count));
    SEXP names = PROTECT(Rf_allocVector(STRSXP, (R_xlen_t) n->count));
    R_xlen_t i = 0;
    for (const json_node *c = n->child; c; c = c->next, i++) {
      SET_VECTOR_ELT(out, i, json_to_sexp(c));
      SET_STRING_ELT(names, i, mk_utf8_len(c->key, c->key_len));
    }
    Rf_setAttrib(out, R_NamesSymbol, names);
    UNPROTECT(2);
    return out;
  }
  case JSON_ARRAY: {
    int type = NILSXP, uniform = n->count > 0;
    for (const json_node *c = n->child; c; c = c->next) {
      if (c->type == JSON_NULL) continue;
      int t = scalar_type(c);
      if (t == NILSXP || (type != NILSXP && t != type)) { uniform = 0; break; }
      type = t;
    }
    if (type == NILSXP) uniform = 0;
    R_xlen_t i = 0;
    if (!uniform) {
      SEXP out = PROTECT(Rf_allocVector(VECSXP, (R_xlen_t) n->count));
      for (const json_node *c = n->child; c; c = c->next, i++) SET_VECTOR_ELT(out, i, json_to_sexp(c));
      UNPROTECT(1);
      return out;
    }
    SEXP out = PROTECT(Rf_allocVector(type, (R_xlen_t) n->count));
    for (const json_node *c = n->child; c; c = c->next, i++) {
      int null = c->type == JSON_NULL;
      if (type == LGLSXP) LOGICAL(out)[i] = null ? NA_LOGICAL : c->boolean;
      else if (type == REALSXP) REAL(out)[i] = null ? NA_REAL : c->number;
      else SET_STRING_ELT(out, i, null ? NA_STRING : mk_utf8_len(c->str, c->len));
    }
    UNPROTECT(1);
    return out;
  }
  }
  return R_NilValue;
}

static void doc_release(void *p) {
  json_free(p);
  free(p);
}

/* list(ok = TRUE, value = ...) or list(ok = FALSE, error = "...") */
SEXP C_json_parse(SEXP text) {
  const char *s;
  size_t len;
  if (TYPEOF(text) == RAWSXP) {
    s = (const char *) RAW(text);
    len = (size_t) XLENGTH(text);
  } else if (TYPEOF(text) == STRSXP && XLENGTH(text) == 1 && STRING_ELT(text, 0) != NA_STRING) {
    s = Rf_translateCharUTF8(STRING_ELT(text, 0));
    len = strlen(s);
  } else {
    Rf_error("text must be a raw vector or a string");
  }
  const char *names[] = {"ok", "value", "error", ""};
  SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
  /* The tree is freed by the guard even if building the R value fails. */
  SEXP guard = PROTECT(guard_new(doc_release));
  json_doc *doc = calloc(1, sizeof *doc);
  if (doc == NULL) Rf_error("out of memory");
  guard_set(guard, doc);
  if (json_parse(doc, s, len) != 0) {
    SET_VECTOR_ELT(out, 0, Rf_ScalarLogical(FALSE));
    SET_VECTOR_ELT(out, 2, Rf_mkString(doc->error));
  } else {
    SET_VECTOR_ELT(out, 0, Rf_ScalarLogical(TRUE));
    SET_VECTOR_ELT(out, 1, json_to_sexp(doc->root));
  }
  guard_release(guard);
  UNPROTECT(2);
  return out;
}

static int is_json_scalar(SEXP v) {
  int t = TYPEOF(v);
  return (t == STRSXP || t == REALSXP || t == INTSXP || t == LGLSXP) && XLENGTH(v) == 1;
}

/* A named list of scalars (character, double, integer, logical) as a JSON object, for InfluxQL
 * bind parameters. */
SEXP C_json_encode_object(SEXP x) {
  SEXP names = Rf_getAttrib(x, R_NamesSymbol);
  if (TYPEOF(x) != VECSXP || (XLENGTH(x) > 0 && TYPEOF(names) != STRSXP)) Rf_error("params must be a named list");
  /* The text grows in C memory that the guard owns: the R calls below (translating strings) can
   * raise errors. */
  bytebuf *b;
  SEXP guard = PROTECT(guard_bytebuf(&b));
  int oom = bytebuf_append(b, "{", 1);
  const char *bad = NULL;
  for (R_xlen_t i = 0; i < XLENGTH(x) && !oom && !bad; i++) {
    SEXP v = VECTOR_ELT(x, i);
    if (STRING_ELT(names, i) == NA_STRING) { bad = "NA"; break; }
    const char *key = Rf_translateCharUTF8(STRING_ELT(names, i));
    if (i > 0) oom = bytebuf_append(b, ",", 1);
    oom = oom || json_write_string(b, key, strlen(key)) || bytebuf_append(b, ":", 1);
    if (!is_json_scalar(v)) { bad = key; break; }
    char tmp[64];
    switch (TYPEOF(v)) {
    case STRSXP: {
      if (STRING_ELT(v, 0) == NA_STRING) { bad = key; break; }
      const char *s = Rf_translateCharUTF8(STRING_ELT(v, 0));
      oom = oom || json_write_string(b, s, strlen(s));
      break;
    }
    case REALSXP:
      if (!R_FINITE(REAL(v)[0])) { bad = key; break; }
      snprintf(tmp, sizeof tmp, "%.17g", REAL(v)[0]);
      oom = oom || bytebuf_append_str(b, tmp);
      break;
    case INTSXP:
      if (INTEGER(v)[0] == NA_INTEGER) { bad = key; break; }
      snprintf(tmp, sizeof tmp, "%d", INTEGER(v)[0]);
      oom = oom || bytebuf_append_str(b, tmp);
      break;
    default: /* LGLSXP */
      if (LOGICAL(v)[0] == NA_LOGICAL) { bad = key; break; }
      oom = oom || bytebuf_append_str(b, LOGICAL(v)[0] ? "true" : "false");
      break;
    }
  }
  oom = oom || bytebuf_append(b, "}", 1);
  if (oom) Rf_error("out of memory");
  /* `bad` is R memory (from Rf_translateCharUTF8), valid after the buffer is freed. */
  if (bad) Rf_error("parameter '%s' must be one non-missing, finite string, number or logical", bad);
  SEXP out = PROTECT(Rf_ScalarString(mk_utf8_len((const char *) b->data, b->len)));
  guard_release(guard);
  UNPROTECT(2);
  return out;
}

/* One string as a JSON string literal (Flux request bodies). */
SEXP C_json_quote(SEXP x) {
  const char *s = scalar_string_or_null(x);
  if (s == NULL) Rf_error("expected one string");
  bytebuf *b;
  SEXP guard = PROTECT(guard_bytebuf(&b));
  if (json_write_string(b, s, strlen(s)) != 0) Rf_error("out of memory");
  SEXP out = PROTECT(Rf_ScalarString(mk_utf8_len((const char *) b->data, b->len)));
  guard_release(guard);
  UNPROTECT(2);
  return out;
}
