#include "lineproto.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What Go's parser does with a backslash (InfluxDB 1.6 to 2.7, models/points.go: scanKey,
 * scanTagsValue, scanFields, unescapeMeasurement/unescapeTag; checked by writing and reading back):
 * - the measurement, tag keys and tag values end at a comma, space or (tags) equals sign that does
 *   not directly follow a backslash; tag keys and values then turn "\," "\ " "\=" into the bare
 *   character and keep every other backslash, so "\ east" goes as "\\ east";
 * - measurement names are unescaped twice (1.x) or inconsistently (2.x: the point is stored under
 *   a key no query finds), so a backslash right before , space = or " cannot be written;
 * - field keys are scanned two bytes at a time from each backslash, so an odd run of backslashes
 *   before an escaped character splits the key; an even run works, and "\"" must go as "\\"";
 * - a line starting with # is a comment, and leading spaces and tabs are stripped (an escaped
 *   space survives, a tab cannot be escaped).
 * What Rust's parser does (InfluxDB 3.x, crate influxdb_line_protocol, src/lib.rs: measurement,
 * tag_key, tag_value, field_key, escaped_value, escape_or_fallback):
 * - "\\" is one backslash everywhere, as are "\," and "\ " (and "\=" outside the measurement);
 *   a backslash before any other character is kept with it, so doubling every backslash and
 *   escaping the separators reads back exactly;
 * - a name ends at a space, tab or newline (none of which an escape makes literal but the
 *   space), and a name that reads back ending in a backslash is refused;
 * - trim_leading drops leading blanks and '#' comment lines, as Go does.
 * String field values read the same in both: "\"" and "\\" are the escapes, a lone backslash
 * is kept. */
typedef enum { EL_MEASUREMENT, EL_TAG, EL_FIELD_KEY } element;

static int must_escape(element e, char c) { return c == ',' || c == ' ' || (c == '=' && e != EL_MEASUREMENT); }

/* Length of the valid UTF-8 sequence starting at s (a non-ASCII lead byte), 0 if invalid. */
static size_t utf8_sequence(const unsigned char *s) {
  unsigned c = s[0];
  size_t k = (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : 0;
  if (k == 0 || (k == 1 && c < 0xC2)) return 0;
  uint32_t cp = c & (0x3F >> k);
  for (size_t i = 1; i <= k; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if ((k == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (k == 3 && (cp < 0x10000 || cp > 0x10FFFF))) return 0;
  return k + 1;
}

static int utf8_valid(const unsigned char *s) {
  for (size_t k; *s; s += k)
    if ((k = *s < 0x80 ? 1 : utf8_sequence(s)) == 0) return 0;
  return 1;
}

/* Can s be written so that the servers store exactly s? NULL if so, else why not. One pass, as
 * it runs for every tag value; *backslash tells whether s has any. */
static const char *unwritable(const char *s, element e, lp_escaping esc, int *backslash) {
  *backslash = 0;
  if (esc == LP_ESCAPE_GO && e != EL_TAG && s[0] == '\t') return "starts with a tab, which the servers strip";
  if (e == EL_MEASUREMENT && s[0] == '#') return "starts with '#', which makes the line a comment the servers skip";
  for (size_t i = 0; s[i];) {
    unsigned char c = (unsigned char) s[i];
    if (c >= 0x80) {
      size_t k = utf8_sequence((const unsigned char *) s + i);
      if (k == 0) return "is not valid UTF-8";
      i += k;
      continue;
    }
    if (c == '\n' || c == '\r') return "contains a line break";
    if (c == '\t' && esc == LP_ESCAPE_RUST) return "contains a tab, which ends a name for InfluxDB 3.x";
    if (c != '\\') { i++; continue; }
    *backslash = 1;
    size_t run = 0;
    while (s[i + run] == '\\') run++;
    char next = s[i + run];
    if (next == '\0') return "ends with a backslash";
    if (esc == LP_ESCAPE_RUST) { i += run; continue; } /* every backslash is escaped */
    if (e == EL_MEASUREMENT && (must_escape(e, next) || next == '=' || next == '"'))
      return "has a backslash before a comma, space, equals sign or double quote, which the servers drop";
    if (e == EL_FIELD_KEY && (run & 1) && must_escape(e, next))
      return "has an odd number of backslashes before a comma, equals sign or space";
    i += run;
  }
  return NULL;
}

static void set_error(lp_error *err, size_t row, const char *column, const char *fmt, const char *what) {
  err->row = row;
  /* The column name goes into an R string: keep whole UTF-8 characters only, '?' for a byte that
   * is not one (the error may be about exactly that), and stop before the buffer cuts one. */
  size_t o = 0;
  for (size_t i = 0, k; column[i]; i += k) {
    const unsigned char *c = (const unsigned char *) column + i;
    k = *c < 0x80 ? 1 : utf8_sequence(c);
    if (o + (k ? k : 1) >= sizeof err->column) break;
    if (k == 0) { err->column[o++] = '?'; k = 1; continue; }
    memcpy(err->column + o, c, k);
    o += k;
  }
  err->column[o] = '\0';
  snprintf(err->message, sizeof err->message, fmt, what);
}

/* Where the servers' line splitter ends the line starting at b[0] (more text assumed to follow):
 * it skips each backslash with the byte after it, and after the first unescaped space treats a
 * double quote as opening a string when more '=' than ',' have gone by. A name with backslashes
 * can make it see a string where there is none and run on into the next line. */
static size_t server_line_end(const char *b, size_t n) {
  int quoted = 0, fields = 0;
  size_t equals = 0, commas = 0, i = 0;
  while (i < n) {
    if (b[i] == '\\' && i + 1 < n) { i += 2; continue; }
    if (b[i] == ' ') fields = 1;
    if (fields) {
      if (!quoted && b[i] == '=') { equals++; i++; continue; }
      if (!quoted && b[i] == ',') { commas++; i++; continue; }
      if (b[i] == '"' && equals > commas) { quoted = !quoted; i++; continue; }
    }
    if (b[i] == '\n' && !quoted) return i;
    i++;
  }
  return n;
}

static int has_backslash(const char *s) { return s != NULL && strchr(s, '\\') != NULL; }

static const lp_input *sort_input;
static int by_tag_key(const void *a, const void *b) {
  return strcmp(sort_input->tags[*(const size_t *) a].key, sort_input->tags[*(const size_t *) b].key);
}

void lp_tag_order(const lp_input *in, size_t *order) {
  for (size_t i = 0; i < in->ntags; i++) order[i] = i;
  sort_input = in;
  qsort(order, in->ntags, sizeof *order, by_tag_key);
}

/* The element's separators get a backslash; for Go so does a double quote after a backslash in a
 * field key (Go would otherwise take the pair for an escaped quote), for Rust every backslash. */
static int put_escaped(bytebuf *out, const char *s, element e, lp_escaping esc) {
  size_t run = 0, i = 0;
  for (; s[i]; i++) {
    int escape = must_escape(e, s[i]) ||
                 (esc == LP_ESCAPE_GO ? e == EL_FIELD_KEY && s[i] == '"' && i > 0 && s[i - 1] == '\\' : s[i] == '\\');
    if (!escape) continue;
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

/* Fewest significant digits whose %.*e text reads back as v (finite, nonzero). For a normal
 * double, a text of at most 15 digits that reads back is the 15-digit rounding of v (its rounding
 * interval is narrower than half a step in the 15th digit), so trying 15, 16, 17 and dropping
 * trailing zeros finds the shortest. A subnormal has fewer bits: 5e-324 needs one digit while its
 * 15-digit rounding also reads back, so count up from 1. */
static int shortest_digits(double v) {
  char tmp[40];
  int subnormal = fabs(v) < DBL_MIN;
  for (int prec = subnormal ? 1 : 15; prec < 17; prec++) {
    snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
    if (strtod(tmp, NULL) != v) continue;
    const char *e = strchr(tmp, 'e');
    while (prec > 1 && e[-1] == '0') { e--; prec--; }
    return prec;
  }
  return 17;
}

/* The shortest text that reads back as v. The fast path above covers most readings; %.15g is
 * that shortest text for any normal double that 15 digits can hold (%g drops trailing zeros). */
static int put_double(bytebuf *out, double v) {
  int fast = put_double_short(out, v);
  if (fast != 0) return fast == 1 ? 0 : -1;
  char tmp[40];
  int n = 0;
  if (v != 0 && fabs(v) < DBL_MIN) {
    n = snprintf(tmp, sizeof tmp, "%.*g", shortest_digits(v), v);
  } else {
    for (int prec = 15; prec <= 17; prec++) {
      n = snprintf(tmp, sizeof tmp, "%.*g", prec, v);
      if (prec == 17 || strtod(tmp, NULL) == v) break;
    }
  }
  return bytebuf_append(out, tmp, (size_t) n);
}

size_t lp_plain_double(double v, char *buf) {
  if (isnan(v)) return (size_t) snprintf(buf, LP_PLAIN_MAX, "NaN");
  if (isinf(v)) return (size_t) snprintf(buf, LP_PLAIN_MAX, v > 0 ? "Inf" : "-Inf");
  if (v == 0) return (size_t) snprintf(buf, LP_PLAIN_MAX, "0");
  /* The shortest digits d1.d2...dk and exponent x of v, laid out without an exponent. */
  char sci[40];
  int k = shortest_digits(v);
  snprintf(sci, sizeof sci, "%.*e", k - 1, fabs(v));
  char digits[20];
  int nd = 0;
  const char *p = sci;
  for (; *p != 'e'; p++)
    if (*p != '.') digits[nd++] = *p;
  int x = atoi(p + 1);
  char *o = buf;
  if (v < 0) *o++ = '-';
  if (x < 0) {
    *o++ = '0';
    *o++ = '.';
    for (int i = 0; i < -x - 1; i++) *o++ = '0';
    memcpy(o, digits, (size_t) nd);
    o += nd;
  } else {
    for (int i = 0; i < nd || i <= x; i++) {
      if (i == x + 1) *o++ = '.';
      *o++ = i < nd ? digits[i] : '0';
    }
  }
  *o = '\0';
  return (size_t) (o - buf);
}

/* Writes field c of row r (with its leading separator) unless it is NA; *wrote says whether. */
static int put_field(bytebuf *out, const lp_column *f, size_t r, int first, lp_escaping esc, int *wrote) {
  *wrote = 0;
  switch (f->type) {
  case LP_DOUBLE: if (!isfinite(f->dbl[r])) return 0; break;
  case LP_INT32: case LP_BOOL: if (f->i32[r] == INT32_MIN) return 0; break;
  case LP_INT64: if (f->i64[r] == INT64_MIN) return 0; break;
  case LP_STRING: if (f->str[r] == NULL) return 0; break;
  }
  if (bytebuf_append(out, first ? " " : ",", 1) != 0 || put_escaped(out, f->key, EL_FIELD_KEY, esc) != 0 ||
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
    if (put_escaped(out, m, EL_MEASUREMENT, in->escaping) != 0) return LP_NOMEM;
    for (size_t k = 0; k < in->ntags; k++) {
      const lp_column *t = &in->tags[tag_order[k]];
      const char *v = t->str[r];
      if (v == NULL || v[0] == '\0') continue; /* empty tag values are not allowed: leave out */
      if (bytebuf_append(out, ",", 1) != 0 || put_escaped(out, t->key, EL_TAG, in->escaping) != 0 ||
          bytebuf_append(out, "=", 1) != 0 || put_escaped(out, v, EL_TAG, in->escaping) != 0)
        return LP_NOMEM;
    }
    int any = 0;
    for (size_t c = 0; c < in->nfields; c++) {
      int wrote;
      if (put_field(out, &in->fields[c], r, !any, in->escaping, &wrote) != 0) return LP_NOMEM;
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

/* The first key with a backslash in row r, to name in an error. */
static const char *backslash_column(const lp_input *in, size_t r) {
  if (has_backslash(in->measurement[in->measurement_one ? 0 : r])) return "measurement";
  for (size_t c = 0; c < in->ntags; c++)
    if (has_backslash(in->tags[c].key) || has_backslash(in->tags[c].str[r])) return in->tags[c].key;
  for (size_t c = 0; c < in->nfields; c++)
    if (has_backslash(in->fields[c].key)) return in->fields[c].key;
  return "";
}

int lp_validate(const lp_input *in, const size_t *tag_order, lp_error *err) {
  const char *why;
  int keys_backslash = 0, bs, measurement_backslash = 0;
  for (size_t c = 0; c < in->ntags; c++) {
    if (in->tags[c].key[0] == '\0') return set_error(err, 0, "", "a tag key is empty%s", ""), LP_BAD_INPUT;
    if ((why = unwritable(in->tags[c].key, EL_TAG, in->escaping, &bs)))
      return set_error(err, 0, in->tags[c].key, "the tag key %s", why), LP_BAD_INPUT;
    keys_backslash |= bs;
  }
  for (size_t c = 0; c < in->nfields; c++) {
    if (in->fields[c].key[0] == '\0') return set_error(err, 0, "", "a field key is empty%s", ""), LP_BAD_INPUT;
    if ((why = unwritable(in->fields[c].key, EL_FIELD_KEY, in->escaping, &bs)))
      return set_error(err, 0, in->fields[c].key, "the field key %s", why), LP_BAD_INPUT;
    keys_backslash |= bs;
  }
  bytebuf line;
  bytebuf_init(&line);
  int rc = LP_OK;
  for (size_t r = 0; r < in->nrow && rc == LP_OK; r++) {
    const char *m = in->measurement[in->measurement_one ? 0 : r];
    if (!in->measurement_one || r == 0) {
      if (m == NULL || m[0] == '\0') { set_error(err, r, "measurement", "the measurement is empty or NA%s", ""); rc = LP_BAD_INPUT; break; }
      if ((why = unwritable(m, EL_MEASUREMENT, in->escaping, &measurement_backslash))) { set_error(err, r, "measurement", "the measurement %s", why); rc = LP_BAD_INPUT; break; }
    }
    int check_line = keys_backslash || measurement_backslash;
    for (size_t c = 0; c < in->ntags && rc == LP_OK; c++) {
      const char *v = in->tags[c].str[r];
      if (v == NULL) continue;
      if ((why = unwritable(v, EL_TAG, in->escaping, &bs))) { set_error(err, r, in->tags[c].key, "the tag value %s", why); rc = LP_BAD_INPUT; }
      check_line |= bs;
    }
    for (size_t c = 0; c < in->nfields && rc == LP_OK; c++) {
      const char *v = in->fields[c].type == LP_STRING ? in->fields[c].str[r] : NULL;
      if (v != NULL && !utf8_valid((const unsigned char *) v)) { set_error(err, r, in->fields[c].key, "the string value %s", "is not valid UTF-8"); rc = LP_BAD_INPUT; }
    }
    if (rc != LP_OK) break;
    if (in->time && in->time[r] == INT64_MIN) { set_error(err, r, "time", "the time is NA%s", ""); rc = LP_BAD_INPUT; break; }
    if (!check_line) continue;
    size_t nl = 0, dropped = 0;
    line.len = 0;
    if (lp_write(in, tag_order, r, r + 1, &line, &nl, &dropped) != LP_OK) { rc = LP_NOMEM; break; }
    if (nl == 1 && server_line_end((const char *) line.data, line.len) != line.len - 1) {
      set_error(err, r, backslash_column(in, r), "%s",
                "the servers would read this line and the next as one: a backslash before an escaped character "
                "in a name, then a double quote");
      rc = LP_BAD_INPUT;
    }
  }
  bytebuf_free(&line);
  return rc;
}
