#include "dialect_influxql.h"
#include "series_query.h"
#include "timeparse.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>

static int quote(bytebuf *out, const char *s, size_t len, char q) {
  if (bytebuf_reserve(out, len + 2) != 0) return -1;
  if (bytebuf_append(out, &q, 1) != 0) return -1;
  size_t run = 0;
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    const char *esc = NULL;
    if (c == q) esc = q == '"' ? "\\\"" : "\\'";
    else if (c == '\\') esc = "\\\\";
    else if (c == '\n') esc = "\\n";
    if (esc == NULL) continue;
    if (bytebuf_append(out, s + run, i - run) != 0 || bytebuf_append(out, esc, 2) != 0) return -1;
    run = i + 1;
  }
  if (bytebuf_append(out, s + run, len - run) != 0) return -1;
  return bytebuf_append(out, &q, 1);
}

int iql_quote_ident(bytebuf *out, const char *s, size_t len) { return quote(out, s, len, '"'); }
int iql_quote_string(bytebuf *out, const char *s, size_t len) { return quote(out, s, len, '\''); }

static int is_ident_char(char c) {
  return isalnum((unsigned char) c) || c == '_' || (unsigned char) c >= 0x80;
}

/* Skips a delimited token starting at q[i] (the opening delimiter); returns the index after the
 * closing delimiter, or len + 1 when it is not closed. Backslash escapes the next character. */
static size_t skip_delimited(const char *q, size_t len, size_t i, char delim) {
  for (i++; i < len; i++) {
    if (q[i] == '\\') { i++; continue; }
    if (q[i] == delim) return i + 1;
    if (q[i] == '\n' && delim != '/') return len + 1;
  }
  return len + 1;
}

static int word_is(const char *w, size_t n, const char *kw) {
  size_t k = strlen(kw);
  if (n != k) return 0;
  for (size_t i = 0; i < n; i++)
    if (toupper((unsigned char) w[i]) != kw[i]) return 0;
  return 1;
}

/* After which token does a '/' open a regular expression rather than divide? After an operator
 * or opening punctuation, and after the keywords that take a regex operand. */
typedef enum { PREV_NONE, PREV_VALUE, PREV_OPERATOR } prev_kind;

static void finish_statement(const char *q, size_t start, size_t end, iql_statement *st,
                             int has_into) {
  while (start < end && isspace((unsigned char) q[start])) start++;
  while (end > start && isspace((unsigned char) q[end - 1])) end--;
  st->start = start;
  st->end = end;
  int ro = word_is(st->keyword, strlen(st->keyword), "SHOW") ||
           word_is(st->keyword, strlen(st->keyword), "EXPLAIN") ||
           (word_is(st->keyword, strlen(st->keyword), "SELECT") && !has_into);
  st->read_only = ro;
}

int iql_split(const char *q, size_t len, iql_statement *out, int max) {
  int count = 0;
  size_t start = 0;
  int has_into = 0, has_word = 0;
  char keyword[16] = "";
  prev_kind prev = PREV_NONE;
  size_t i = 0;
  while (i <= len) {
    char c = i < len ? q[i] : ';';
    if (c == ';') {
      if (has_word) {
        if (count < max) {
          memcpy(out[count].keyword, keyword, sizeof keyword);
          finish_statement(q, start, i, &out[count], has_into);
        }
        if (++count > 100000) return IQL_TOO_MANY;
      }
      start = i + 1;
      has_into = has_word = 0;
      keyword[0] = '\0';
      prev = PREV_NONE;
      i++;
      continue;
    }
    if (isspace((unsigned char) c)) { i++; continue; }
    if (c == '-' && i + 1 < len && q[i + 1] == '-') {
      while (i < len && q[i] != '\n') i++;
      continue;
    }
    if (c == '/' && i + 1 < len && q[i + 1] == '*') {
      const char *e = NULL;
      for (size_t j = i + 2; j + 1 < len; j++)
        if (q[j] == '*' && q[j + 1] == '/') { e = q + j; break; }
      if (e == NULL) return IQL_UNTERMINATED;
      i = (size_t) (e - q) + 2;
      continue;
    }
    if (c == '"' || c == '\'' || (c == '/' && prev != PREV_VALUE)) {
      size_t next = skip_delimited(q, len, i, c);
      if (next > len) return IQL_UNTERMINATED;
      i = next;
      has_word = 1;
      prev = PREV_VALUE;
      continue;
    }
    if (is_ident_char(c)) {
      size_t j = i;
      while (j < len && is_ident_char(q[j])) j++;
      if (!has_word) {
        size_t n = j - i < sizeof keyword - 1 ? j - i : sizeof keyword - 1;
        for (size_t k = 0; k < n; k++) keyword[k] = (char) toupper((unsigned char) q[i + k]);
        keyword[n] = '\0';
      }
      if (word_is(q + i, j - i, "INTO")) has_into = 1;
      int takes_regex = word_is(q + i, j - i, "FROM") || word_is(q + i, j - i, "SELECT") ||
                        word_is(q + i, j - i, "BY") || word_is(q + i, j - i, "MEASUREMENT") ||
                        word_is(q + i, j - i, "KEY");
      prev = takes_regex ? PREV_OPERATOR : PREV_VALUE;
      has_word = 1;
      i = j;
      continue;
    }
    has_word = 1;
    prev = c == ')' ? PREV_VALUE : PREV_OPERATOR;
    i++;
  }
  return count;
}

/* ---- time-series queries ------------------------------------------------------------------- */

static const char *const iql_aggregate_names[] = {"", "mean", "median", "min", "max", "sum", "count",
                                                  "first", "last", "spread", "stddev"};

#define TRY(x) do { if ((x) != 0) return SQ_NOMEM; } while (0)

static int iql_time_literal(bytebuf *out, int64_t ns) {
  char text[RFC3339_BUF];
  format_rfc3339_ns(ns, text);
  return iql_quote_string(out, text, strlen(text));
}

static int iql_ident_z(bytebuf *out, const char *s) { return iql_quote_ident(out, s, strlen(s)); }

/* SELECT <agg>("f") AS "f", ... [INTO ["db"..]"into"] FROM "m" WHERE time >= ... AND time < ... AND ("t"::tag = 'v' OR
 * ...) GROUP BY time(every, offset), "tag" fill(null|none) tz('zone')
 *
 * Tags are compared as tags (::tag), so a field of the same name cannot change the meaning.
 * every_ns 0 asks for one aggregate over the whole range (no GROUP BY time). With lookback_ns
 * (a continuous query's SELECT) the time conditions are left out.
 * Windows need no explicit alignment: the server aligns them to the epoch (plus offset) in tz. */
int iql_series_query(bytebuf *out, const series_query *q) {
  if (q->nfields == 0 || q->measurement == NULL) return SQ_INVALID;
  if (q->aggregate < AGG_NONE || q->aggregate > AGG_STDDEV) return SQ_INVALID;
  if (q->aggregate != AGG_NONE && q->every_ns < 0) return SQ_INVALID;
  int windowed = q->aggregate != AGG_NONE && q->every_ns > 0; /* every 0: one window, the range */
  TRY(bytebuf_append_str(out, "SELECT "));
  for (size_t i = 0; i < q->nfields; i++) {
    if (i) TRY(bytebuf_append_str(out, ", "));
    if (q->aggregate == AGG_NONE) {
      TRY(iql_ident_z(out, q->fields[i]));
      continue;
    }
    TRY(bytebuf_append_str(out, iql_aggregate_names[q->aggregate]));
    TRY(bytebuf_append_str(out, "("));
    TRY(iql_ident_z(out, q->fields[i]));
    TRY(bytebuf_append_str(out, ") AS "));
    TRY(iql_ident_z(out, q->fields[i]));
  }
  if (q->into != NULL) {
    if (!windowed) return SQ_INVALID;
    TRY(bytebuf_append_str(out, " INTO "));
    if (q->into_bucket != NULL) { /* "db".."m": the database's default retention policy */
      TRY(iql_ident_z(out, q->into_bucket));
      TRY(bytebuf_append_str(out, ".."));
    }
    TRY(iql_ident_z(out, q->into));
  }
  TRY(bytebuf_append_str(out, " FROM "));
  TRY(iql_ident_z(out, q->measurement));
  /* A continuous query names no time range: the server supplies it at each run. */
  int conditions = 0;
  if (q->lookback_ns <= 0) {
    TRY(bytebuf_append_str(out, " WHERE time >= "));
    TRY(iql_time_literal(out, q->data_start_ns));
    TRY(bytebuf_append_str(out, " AND time < "));
    TRY(iql_time_literal(out, q->stop_ns));
    conditions = 1;
  }
  for (size_t i = 0; i < q->nwhere; i++) {
    const tag_filter *f = &q->where[i];
    if (f->nvalues == 0) return SQ_INVALID;
    TRY(bytebuf_append_str(out, conditions++ ? " AND (" : " WHERE ("));
    for (size_t j = 0; j < f->nvalues; j++) {
      if (j) TRY(bytebuf_append_str(out, " OR "));
      TRY(iql_ident_z(out, f->key));
      TRY(bytebuf_append_str(out, "::tag = "));
      TRY(iql_quote_string(out, f->values[j], strlen(f->values[j])));
    }
    TRY(bytebuf_append_str(out, ")"));
  }
  if (windowed || q->ngroup > 0) TRY(bytebuf_append_str(out, " GROUP BY "));
  if (windowed) {
    char every[32], offset[32];
    format_duration_literal(q->every_ns, 0, every);
    format_duration_literal(q->offset_ns, 0, offset);
    TRY(bytebuf_append_str(out, "time("));
    TRY(bytebuf_append_str(out, every));
    TRY(bytebuf_append_str(out, ", "));
    TRY(bytebuf_append_str(out, offset));
    TRY(bytebuf_append_str(out, ")"));
  }
  for (size_t i = 0; i < q->ngroup; i++) {
    if (i || windowed) TRY(bytebuf_append_str(out, ", "));
    TRY(iql_ident_z(out, q->group_by[i]));
  }
  if (windowed) TRY(bytebuf_append_str(out, q->create_empty ? " fill(null)" : " fill(none)"));
  if (q->tz != NULL) {
    TRY(bytebuf_append_str(out, " tz("));
    TRY(iql_quote_string(out, q->tz, strlen(q->tz)));
    TRY(bytebuf_append_str(out, ")"));
  }
  return SQ_OK;
}
