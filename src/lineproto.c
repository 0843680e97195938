#include "lineproto.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Which characters need a backslash in each element. */
static int special_measurement(char c) { return c == ',' || c == ' '; }
static int special_key(char c) { return c == ',' || c == '=' || c == ' '; }

/* Can s be written with backslash escapes so that the server reads back exactly s? */
static const char *unwritable(const char *s, int (*special)(char)) {
  size_t n = strlen(s);
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '\n' || s[i] == '\r') return "contains a line break";
    if (s[i] != '\\') continue;
    size_t run = 0;
    while (i + run < n && s[i + run] == '\\') run++;
    if (i + run == n) return "ends with a backslash";
    if ((run & 1) && special(s[i + run])) return "has a backslash before a character that must be escaped";
    i += run - 1;
  }
  return NULL;
}

static void set_error(lp_error *err, size_t row, const char *column, const char *fmt, const char *what) {
  err->row = row;
  snprintf(err->column, sizeof err->column, "%s", column);
  snprintf(err->message, sizeof err->message, fmt, what);
}

int lp_validate(const lp_input *in, lp_error *err) {
  const char *why;
  for (size_t c = 0; c < in->ntags; c++) {
    if (in->tags[c].key[0] == '\0') return set_error(err, 0, "", "a tag key is empty%s", ""), LP_BAD_INPUT;
    if ((why = unwritable(in->tags[c].key, special_key)))
      return set_error(err, 0, in->tags[c].key, "the tag key %s", why), LP_BAD_INPUT;
  }
  for (size_t c = 0; c < in->nfields; c++) {
    if (in->fields[c].key[0] == '\0') return set_error(err, 0, "", "a field key is empty%s", ""), LP_BAD_INPUT;
    if ((why = unwritable(in->fields[c].key, special_key)))
      return set_error(err, 0, in->fields[c].key, "the field key %s", why), LP_BAD_INPUT;
  }
  for (size_t r = 0; r < in->nrow; r++) {
    if (!in->measurement_one || r == 0) {
      const char *m = in->measurement[in->measurement_one ? 0 : r];
      if (m == NULL || m[0] == '\0') return set_error(err, r, "measurement", "the measurement is empty or NA%s", ""), LP_BAD_INPUT;
      if ((why = unwritable(m, special_measurement)))
        return set_error(err, r, "measurement", "the measurement %s", why), LP_BAD_INPUT;
    }
    for (size_t c = 0; c < in->ntags; c++) {
      const char *v = in->tags[c].str[r];
      if (v != NULL && (why = unwritable(v, special_key)))
        return set_error(err, r, in->tags[c].key, "the tag value %s", why), LP_BAD_INPUT;
    }
    if (in->time && in->time[r] == INT64_MIN) return set_error(err, r, "time", "the time is NA%s", ""), LP_BAD_INPUT;
  }
  return LP_OK;
}

static const lp_input *sort_input;
static int by_tag_key(const void *a, const void *b) {
  return strcmp(sort_input->tags[*(const size_t *) a].key, sort_input->tags[*(const size_t *) b].key);
}

void lp_tag_order(const lp_input *in, size_t *order) {
  for (size_t i = 0; i < in->ntags; i++) order[i] = i;
  sort_input = in;
  qsort(order, in->ntags, sizeof *order, by_tag_key);
}

static int put_escaped(bytebuf *out, const char *s, int (*special)(char)) {
  size_t run = 0, i = 0;
  for (; s[i]; i++) {
    if (!special(s[i])) continue;
    if (bytebuf_append(out, s + run, i - run) != 0 || bytebuf_append(out, "\\", 1) != 0) return -1;
    run = i;
  }
  return bytebuf_append(out, s + run, i - run);
}

static int put_string_value(bytebuf *out, const char *s) {
  if (bytebuf_append(out, "\"", 1) != 0) return -1;
  size_t run = 0, i = 0;
  for (; s[i]; i++) {
    if (s[i] != '"' && s[i] != '\\') continue;
    if (bytebuf_append(out, s + run, i - run) != 0 || bytebuf_append(out, "\\", 1) != 0) return -1;
    run = i;
  }
  if (bytebuf_append(out, s + run, i - run) != 0) return -1;
  return bytebuf_append(out, "\"", 1);
}

/* Decimal digits of v into the end of buf; returns where they start. */
static char *digits_u64(char *end, uint64_t v) {
  do { *--end = (char) ('0' + v % 10); v /= 10; } while (v);
  return end;
}

static int put_int64(bytebuf *out, int64_t v) {
  char buf[24], *end = buf + sizeof buf;
  uint64_t u = v < 0 ? (uint64_t) 0 - (uint64_t) v : (uint64_t) v;
  char *p = digits_u64(end, u);
  if (v < 0) *--p = '-';
  return bytebuf_append(out, p, (size_t) (end - p));
}

/* Sensor readings mostly have a few decimals: write those as integer digits, and keep the text
 * only if it reads back as exactly the same double. Returns 1 when done, 0 to fall back. */
static int put_double_short(bytebuf *out, double v) {
  static const double p10[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6};
  if (!(fabs(v) < 1e9) || (v == 0 && signbit(v))) return 0;
  for (int k = 0; k <= 6; k++) {
    double scaled = v * p10[k];
    if (scaled != nearbyint(scaled)) continue;
    int64_t m = (int64_t) scaled;
    uint64_t u = m < 0 ? (uint64_t) 0 - (uint64_t) m : (uint64_t) m;
    char buf[32], *end = buf + sizeof buf, *p = end;
    for (int i = 0; i < k; i++) { *--p = (char) ('0' + u % 10); u /= 10; }
    if (k > 0) *--p = '.';
    p = digits_u64(p, u);
    if (m < 0) *--p = '-';
    /* m and 10^k are exact doubles, so m / 10^k is correctly rounded: the very double that
     * strtod gives for this text. Equal to v means the text reads back as v. */
    if ((double) m / p10[k] != v) return 0;
    return bytebuf_append(out, p, (size_t) (end - p)) == 0 ? 1 : -1;
  }
  return 0;
}

/* The shortest of %.15g, %.16g, %.17g that reads back as the same double. */
static int put_double(bytebuf *out, double v) {
  int fast = put_double_short(out, v);
  if (fast != 0) return fast == 1 ? 0 : -1;
  char tmp[40];
  int n = 0;
  for (int prec = 15; prec <= 17; prec++) {
    n = snprintf(tmp, sizeof tmp, "%.*g", prec, v);
    if (prec == 17 || strtod(tmp, NULL) == v) break;
  }
  return bytebuf_append(out, tmp, (size_t) n);
}

/* Writes field c of row r (with its leading separator) unless it is NA; *wrote says whether. */
static int put_field(bytebuf *out, const lp_column *f, size_t r, int first, int *wrote) {
  *wrote = 0;
  switch (f->type) {
  case LP_DOUBLE: if (!isfinite(f->dbl[r])) return 0; break;
  case LP_INT32: case LP_BOOL: if (f->i32[r] == INT32_MIN) return 0; break;
  case LP_INT64: if (f->i64[r] == INT64_MIN) return 0; break;
  case LP_STRING: if (f->str[r] == NULL) return 0; break;
  }
  if (bytebuf_append(out, first ? " " : ",", 1) != 0 || put_escaped(out, f->key, special_key) != 0 ||
      bytebuf_append(out, "=", 1) != 0)
    return -1;
  int rc = 0;
  switch (f->type) {
  case LP_DOUBLE: rc = put_double(out, f->dbl[r]); break;
  case LP_INT32: rc = put_int64(out, f->i32[r]) || bytebuf_append(out, "i", 1); break;
  case LP_INT64: rc = put_int64(out, f->i64[r]) || bytebuf_append(out, "i", 1); break;
  case LP_BOOL: rc = bytebuf_append_str(out, f->i32[r] ? "true" : "false"); break;
  case LP_STRING: rc = put_string_value(out, f->str[r]); break;
  }
  *wrote = 1;
  return rc;
}

int lp_write(const lp_input *in, const size_t *tag_order, size_t from, size_t to, bytebuf *out,
             size_t *lines, size_t *dropped) {
  for (size_t r = from; r < to; r++) {
    size_t mark = out->len;
    const char *m = in->measurement[in->measurement_one ? 0 : r];
    if (put_escaped(out, m, special_measurement) != 0) return LP_NOMEM;
    for (size_t k = 0; k < in->ntags; k++) {
      const lp_column *t = &in->tags[tag_order[k]];
      const char *v = t->str[r];
      if (v == NULL || v[0] == '\0') continue; /* empty tag values are not allowed: leave out */
      if (bytebuf_append(out, ",", 1) != 0 || put_escaped(out, t->key, special_key) != 0 ||
          bytebuf_append(out, "=", 1) != 0 || put_escaped(out, v, special_key) != 0)
        return LP_NOMEM;
    }
    int any = 0;
    for (size_t c = 0; c < in->nfields; c++) {
      int wrote;
      if (put_field(out, &in->fields[c], r, !any, &wrote) != 0) return LP_NOMEM;
      any |= wrote;
    }
    if (!any) { /* a line needs a field: drop the row, and what was written of it */
      out->len = mark;
      (*dropped)++;
      continue;
    }
    if (in->time && (bytebuf_append(out, " ", 1) != 0 || put_int64(out, in->time[r]) != 0)) return LP_NOMEM;
    if (bytebuf_append(out, "\n", 1) != 0) return LP_NOMEM;
    (*lines)++;
  }
  return LP_OK;
}
