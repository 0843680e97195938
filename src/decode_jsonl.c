#include "decode_jsonl.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timeparse.h"
#include "utf8.h"

/* Arrays and objects nested deeper than this are refused rather than risking the C stack. */
#define MAX_DEPTH 256

int jsonl_type_from_name(const char *name) {
  static const struct { const char *name; jsonl_type type; } names[] = {
    {"timestamp", JSONL_TIMESTAMP}, {"float", JSONL_FLOAT}, {"int", JSONL_INT}, {"uint", JSONL_UINT},
    {"bool", JSONL_BOOL}, {"string", JSONL_STRING}, {"tag", JSONL_TAG}, {"auto", JSONL_AUTO},
  };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(name, names[i].name) == 0) return (int) names[i].type;
  return -1;
}

static int hint_cmp(const char *a, size_t alen, const char *b, size_t blen) {
  if (alen != blen) return alen < blen ? -1 : 1;
  return memcmp(a, b, alen);
}

static int hint_order(const void *x, const void *y) {
  const jsonl_hint *a = x, *b = y;
  return hint_cmp(a->name, a->len, b->name, b->len);
}

static const jsonl_hint *find_hint(const jsonl_decoder *d, const char *name, size_t len) {
  size_t lo = 0, hi = d->opt.nhints;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = hint_cmp(name, len, d->hints[mid].name, d->hints[mid].len);
    if (c == 0) return &d->hints[mid];
    if (c < 0) hi = mid; else lo = mid + 1;
  }
  return NULL;
}

void jsonl_free(jsonl_decoder *d) {
  if (d->worker != NULL) feed_thread_cancel(d->worker); /* an interrupted transfer */
  d->worker = NULL;
  table_free(d->out);
  d->out = NULL;
  bytebuf_free(&d->pending);
  bytebuf_free(&d->text);
  free(d->hints);
  free(d->hint_names);
  for (size_t c = 0; c < d->cap_cols; c++) free(d->cols[c].key);
  free(d->cols);
  free(d->order);
  d->hints = NULL;
  d->hint_names = NULL;
  d->cols = NULL;
  d->order = NULL;
}

/* The decoder's state for table column c, grown with the table. */
static int track_column(jsonl_decoder *d, int c, jsonl_type type) {
  if ((size_t) c >= d->cap_cols) {
    size_t cap = d->cap_cols ? 2 * d->cap_cols : 16;
    while (cap <= (size_t) c) cap *= 2;
    jsonl_column *cols = realloc(d->cols, cap * sizeof *cols);
    if (cols == NULL) return -1;
    memset(cols + d->cap_cols, 0, (cap - d->cap_cols) * sizeof *cols);
    d->cols = cols;
    d->cap_cols = cap;
  }
  d->cols[c].type = type;
  return 0;
}

/* The key as it stands in a line, quotes and colon included, for a name the body writes without
 * escapes; 0 without it (an escaped name is then read the slow way), -1 out of memory. */
static int raw_key(jsonl_column *jc, const char *name, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (name[i] == '"' || name[i] == '\\' || (unsigned char) name[i] < 0x20) return 0;
  if ((jc->key = malloc(len + 3)) == NULL) return -1;
  jc->key[0] = '"';
  memcpy(jc->key + 1, name, len);
  jc->key[len + 1] = '"';
  jc->key[len + 2] = ':';
  jc->key_len = len + 3;
  return 0;
}

/* An output column of the given type; its role from the type and the options. */
static int create_column(jsonl_decoder *d, const char *name, size_t len, jsonl_type type) {
  col_role role = ROLE_VALUE;
  if (type == JSONL_TAG) {
    role = ROLE_TAG;
  } else if (d->opt.measurement_role && len == 16 && memcmp(name, "iox::measurement", 16) == 0) {
    /* r_columns.c reads a measurement column as strings: whatever a hostile body puts there */
    role = ROLE_MEASUREMENT;
    type = JSONL_STRING;
  }
  int c = table_column(d->out, name, len, role);
  if (c < 0 || track_column(d, c, type) != 0 || raw_key(&d->cols[c], name, len) != 0) return -1;
  return c;
}

/* A column's type: its hint's, else a timestamp for "time" (the server's time column). */
static jsonl_type column_type(const jsonl_hint *h, const char *name, size_t len) {
  if (h && h->type != JSONL_AUTO) return h->type;
  return len == 4 && memcmp(name, "time", 4) == 0 ? JSONL_TIMESTAMP : JSONL_AUTO;
}

/* The output column of a key seen for the first time. */
static int new_column(jsonl_decoder *d, const char *name, size_t len) {
  return create_column(d, name, len, column_type(find_hint(d, name, len), name, len));
}

int jsonl_init(jsonl_decoder *d, const jsonl_options *opt) {
  memset(d, 0, sizeof *d);
  d->opt = *opt;
  d->thread_after = JSONL_THREAD_AFTER;
  bytebuf_init(&d->pending);
  bytebuf_init(&d->text);
  d->out = table_new();
  if (d->out == NULL) return -1;
  size_t n = opt->nhints, total = 0;
  for (size_t i = 0; i < n; i++) total += opt->hints[i].len;
  d->hints = malloc((n ? n : 1) * sizeof *d->hints);
  d->hint_names = malloc(total ? total : 1);
  if (d->hints == NULL || d->hint_names == NULL) return -1;
  for (size_t i = 0, off = 0; i < n; i++) {
    d->hints[i] = opt->hints[i];
    if (opt->hints[i].len) memcpy(d->hint_names + off, opt->hints[i].name, opt->hints[i].len);
    d->hints[i].name = d->hint_names + off;
    off += opt->hints[i].len;
  }
  /* Sorted for lookup; hints that name one column twice become one (a type wins over none). */
  qsort(d->hints, n, sizeof *d->hints, hint_order);
  size_t kept = 0;
  for (size_t i = 0; i < n; i++) {
    jsonl_hint *h = &d->hints[i], *prev = kept ? &d->hints[kept - 1] : NULL;
    if (prev && hint_order(prev, h) == 0) {
      prev->required |= h->required;
      if (h->type != JSONL_AUTO) prev->type = h->type;
    } else {
      d->hints[kept++] = *h;
    }
  }
  d->opt.hints = d->hints;
  d->opt.nhints = kept;
  /* Required columns come first, in the order given (the query's column order, if the caller
   * knows it); keys of the body that are not hinted follow as they appear. */
  for (size_t i = 0; i < n; i++) {
    const jsonl_hint *h = find_hint(d, opt->hints[i].name, opt->hints[i].len);
    if (h->required && table_find(d->out, h->name, h->len) < 0 &&
        create_column(d, h->name, h->len, column_type(h, h->name, h->len)) < 0)
      return -1;
  }
  return 0;
}

/* ---- errors ------------------------------------------------------------------------------- */

static jsonl_status nomem(jsonl_decoder *d) {
  if (d->status == JSONL_OK) {
    d->status = JSONL_ERR_NOMEM;
    snprintf(d->message, sizeof d->message, "out of memory while decoding the response (line %zu)", d->line + 1);
  }
  return d->status;
}

/* The line being decoded. */
typedef struct {
  jsonl_decoder *d;
  const char *s, *e;
  int last;   /* the body ended inside this line (no "\n" after it) */
  size_t row;
} line_ctx;

/* A problem at p in the line: a cut body when the last line ran out there, else malformed. The
 * message quotes server text and becomes an R string: formatted at twice the size, then cut
 * between characters with invalid UTF-8 replaced. */
static jsonl_status bad(line_ctx *x, const char *p, const char *fmt, ...) {
  jsonl_decoder *d = x->d;
  if (d->status != JSONL_OK) return d->status;
  char what[sizeof d->message];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  size_t at = (size_t) (p - x->s) + 1;
  char text[2 * sizeof d->message];
  if (p >= x->e && x->last) {
    d->status = JSONL_ERR_TRUNCATED;
    snprintf(text, sizeof text, "the response ended inside line %zu, after %zu bytes of it (%s): the body was cut",
             d->line + 1, at - 1, what);
  } else {
    d->status = JSONL_ERR_MALFORMED;
    snprintf(text, sizeof text, "malformed JSON line %zu at byte %zu (byte %llu of the body): %s", d->line + 1, at,
             (unsigned long long) (d->line_start + at), what);
  }
  utf8_copy_clean(d->message, sizeof d->message, text, strlen(text));
  return d->status;
}

/* ---- values ------------------------------------------------------------------------------- */

static const char *skip_ws(const char *p, const char *e) {
  if (p < e && (unsigned char) *p > ' ') return p; /* the server writes no whitespace */
  while (p < e && (*p == ' ' || *p == '\t' || *p == '\r')) p++;
  return p;
}

/* Bytes that end the plain run of a string: the quote, a backslash, control bytes. */
static const unsigned char string_stop[256] = {
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  ['"'] = 1, ['\\'] = 1,
};

/* The end of the plain run at p: eight bytes at a time while none of them is a quote, a
 * backslash or below 0x20 (the exact "has a zero byte" and "has a byte below n" word tests), then
 * byte by byte. The tests can flag a byte above a stop byte (a borrow), never one below it, so on
 * a little-endian machine the lowest flag is the stop byte itself. */
static inline const char *plain_run(const char *p, const char *e) {
  const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
  while (e - p >= 8) {
    uint64_t v, q, b, stop;
    memcpy(&v, p, 8);
    q = v ^ (ones * '"');
    b = v ^ (ones * '\\');
    stop = (((q - ones) & ~q) | ((b - ones) & ~b) | ((v - ones * 0x20) & ~v)) & highs;
    if (stop) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
      return p + (__builtin_ctzll(stop) >> 3);
#else
      break;
#endif
    }
    p += 8;
  }
  while (p < e && !string_stop[(unsigned char) *p]) p++;
  return p;
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* The 4 hex digits of a \u escape at p (after "\u"); NULL with the status set. */
static const char *read_hex4(line_ctx *x, const char *p, unsigned *out) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++, p++) {
    if (p >= x->e) { bad(x, p, "an unfinished \\u escape"); return NULL; }
    int h = hex_digit(*p);
    if (h < 0) { bad(x, p, "a \\u escape needs four hex digits"); return NULL; }
    v = v << 4 | (unsigned) h;
  }
  *out = v;
  return p;
}

static int append_utf8(bytebuf *b, unsigned cp) {
  unsigned char u[4];
  size_t n;
  if (cp < 0x80) { u[0] = (unsigned char) cp; n = 1; }
  else if (cp < 0x800) { u[0] = (unsigned char) (0xC0 | cp >> 6); u[1] = (unsigned char) (0x80 | (cp & 0x3F)); n = 2; }
  else if (cp < 0x10000) {
    u[0] = (unsigned char) (0xE0 | cp >> 12); u[1] = (unsigned char) (0x80 | (cp >> 6 & 0x3F));
    u[2] = (unsigned char) (0x80 | (cp & 0x3F)); n = 3;
  } else {
    u[0] = (unsigned char) (0xF0 | cp >> 18); u[1] = (unsigned char) (0x80 | (cp >> 12 & 0x3F));
    u[2] = (unsigned char) (0x80 | (cp >> 6 & 0x3F)); u[3] = (unsigned char) (0x80 | (cp & 0x3F)); n = 4;
  }
  return bytebuf_append(b, u, n);
}

/* One escape at p (the backslash) appended to b; the position after it, or NULL. */
static const char *read_escape(line_ctx *x, const char *p, bytebuf *b) {
  if (p + 1 >= x->e) { bad(x, x->e, "an unfinished escape"); return NULL; }
  static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
  const char *hit = memchr(from, p[1], sizeof from - 1);
  if (hit != NULL) {
    if (bytebuf_append(b, &to[hit - from], 1) != 0) { nomem(x->d); return NULL; }
    return p + 2;
  }
  if (p[1] != 'u') { bad(x, p + 1, "'\\%c' is not a JSON escape", p[1]); return NULL; }
  unsigned cp, lo;
  const char *q = read_hex4(x, p + 2, &cp);
  if (q == NULL) return NULL;
  if (cp >= 0xDC00 && cp <= 0xDFFF) { bad(x, p, "a lone low surrogate \\u%04X", cp); return NULL; }
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    if (q + 2 > x->e && x->last) { bad(x, x->e, "a surrogate pair cut after its first half"); return NULL; }
    if (q + 2 > x->e || q[0] != '\\' || q[1] != 'u') { bad(x, p, "a lone high surrogate \\u%04X", cp); return NULL; }
    const char *r = read_hex4(x, q + 2, &lo);
    if (r == NULL) return NULL;
    if (lo < 0xDC00 || lo > 0xDFFF) { bad(x, p, "a high surrogate \\u%04X without its low half", cp); return NULL; }
    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    q = r;
  }
  if (append_utf8(b, cp) != 0) { nomem(x->d); return NULL; }
  return q;
}

/* The string whose opening quote is at p: its bytes in the line when it has no escapes, else
 * decoded into d->text. Returns the position after the closing quote, or NULL (status set). */
static inline const char *read_string(line_ctx *x, const char *p, const char **out, size_t *len) {
  const char *start = ++p, *e = x->e;
  p = plain_run(p, e);
  if (p < e && *p == '"') {
    *out = start;
    *len = (size_t) (p - start);
    return p + 1;
  }
  bytebuf *b = &x->d->text;
  b->len = 0;
  for (;;) {
    if (p > start && bytebuf_append(b, start, (size_t) (p - start)) != 0) { nomem(x->d); return NULL; }
    if (p >= e) { bad(x, p, "a string without its closing quote"); return NULL; }
    if (*p == '"') break;
    if (*p != '\\') { bad(x, p, "a control character (0x%02X) inside a string", (unsigned) *p); return NULL; }
    if ((p = read_escape(x, p, b)) == NULL) return NULL;
    start = p;
    p = plain_run(p, e);
  }
  *out = (const char *) b->data;
  *len = b->len;
  return p + 1;
}

typedef struct {
  int is_int;
  int64_t i;
  double f;
  int inexact;
} number;

static int is_digit(const char *p, const char *e) { return p < e && *p >= '0' && *p <= '9'; }

/* Exact powers of ten: a decimal of at most 2^53 times or over one of these is correctly rounded
 * by one IEEE operation (Clinger's fast path). */
static const double pow10_exact[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                     1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Digits at p into *m (up to 19 significant ones, *sig counts them all); the end of the digits. */
static const char *digits(const char *p, const char *e, uint64_t *m, int *sig) {
  if (*m == 0) /* leading zeros are not significant */
    while (p < e && *p == '0') p++;
  uint64_t v = *m;
  int n = *sig;
  for (; p < e && (unsigned) (*p - '0') <= 9; p++)
    if (++n <= 19) v = v * 10 + (uint64_t) (*p - '0');
  *m = v;
  *sig = n;
  return p;
}

/* The numbers a server writes most, on a short path that read_value tries first:
 * -?digits(.digits)? of at most 15 digits in all (exact in a double's 53 bits, so a fraction is
 * one correctly rounded division). NULL for anything else (an exponent, more digits, a leading
 * zero, no digits), left to read_number. */
static inline const char *read_short_number(const char *p, const char *e, number *v) {
  int neg = *p == '-';
  const char *q = p + neg, *int_start = q;
  const char *lim = e - q > 16 ? q + 16 : e; /* 15 digits and a point */
  uint64_t m = 0;
  unsigned digit;
  while (q < lim && (digit = (unsigned) (*q - '0')) <= 9) { m = m * 10 + digit; q++; }
  size_t nint = (size_t) (q - int_start);
  if (nint == 0 || (nint > 1 && *int_start == '0')) return NULL;
  if (q < lim && *q == '.') {
    const char *frac = ++q;
    while (q < lim && (digit = (unsigned) (*q - '0')) <= 9) { m = m * 10 + digit; q++; }
    size_t nfrac = (size_t) (q - frac);
    if (nfrac == 0 || nint + nfrac > 15 || (q < e && ((unsigned) (*q - '0') <= 9 || *q == 'e' || *q == 'E'))) return NULL;
    double r = (double) m / pow10_exact[nfrac];
    v->is_int = 0;
    v->f = neg ? -r : r;
    v->inexact = 0;
    return q;
  }
  if (nint > 15 || (q < e && ((unsigned) (*q - '0') <= 9 || *q == '.' || *q == 'e' || *q == 'E'))) return NULL;
  v->is_int = 1;
  v->i = neg ? -(int64_t) m : (int64_t) m;
  v->inexact = 0;
  return q;
}

/* The JSON number at p, checked and read in one pass: an exact int64 for an integer literal in
 * range, else a double (short decimals exactly by the fast path, the rest by strtod). */
static const char *read_number(line_ctx *x, const char *p, number *v) {
  const char *start = p, *e = x->e;
  v->is_int = 0;
  v->inexact = 0;
  int neg = p < e && *p == '-';
  if (neg) p++;
  if (!is_digit(p, e)) {
    bad(x, p, p == start ? "expected a value (string, number, true, false, null, array or object)" : "a number without digits");
    return NULL;
  }
  uint64_t m = 0;
  int sig = 0;
  const char *int_start = p;
  if (*p == '0') p++;
  else p = digits(p, e, &m, &sig);
  size_t int_digits = (size_t) (p - int_start);
  long exp10 = 0;
  int is_integer = 1;
  if (p < e && *p == '.') {
    const char *frac = ++p;
    if (!is_digit(p, e)) { bad(x, p, "a number without digits after its decimal point"); return NULL; }
    p = digits(p, e, &m, &sig);
    exp10 -= (long) (p - frac); /* exact while sig <= 19; beyond that strtod reads the text */
    is_integer = 0;
  }
  if (p < e && (*p == 'e' || *p == 'E')) {
    p++;
    int eneg = p < e && *p == '-';
    if (p < e && (*p == '+' || *p == '-')) p++;
    if (!is_digit(p, e)) { bad(x, p, "a number without digits in its exponent"); return NULL; }
    long ex = 0;
    for (; is_digit(p, e); p++) if (ex < 100000) ex = ex * 10 + (*p - '0');
    exp10 += eneg ? -ex : ex;
    is_integer = 0;
  }
  if (is_integer && int_digits <= 19 && sig <= 19) {
    if (!neg && m <= (uint64_t) INT64_MAX) { v->is_int = 1; v->i = (int64_t) m; return p; }
    if (neg && m <= (uint64_t) INT64_MAX + 1) {
      v->is_int = 1;
      v->i = m == (uint64_t) INT64_MAX + 1 ? INT64_MIN : -(int64_t) m;
      return p;
    }
  }
  if (is_integer && !neg && int_digits == 20) { /* uint64, as the Flux decoder reads unsignedLong */
    uint64_t u = 0;
    const char *q = int_start;
    for (; q < p && u <= (UINT64_MAX - (uint64_t) (*q - '0')) / 10; q++) u = u * 10 + (uint64_t) (*q - '0');
    if (q == p) { v->f = (double) u; v->inexact = 1; return p; }
  }
  if (is_integer) v->inexact = 1; /* an integer literal beyond 64 bits */
  if (sig <= 19 && m <= (UINT64_C(1) << 53) && exp10 >= -22 && exp10 <= 22) {
    double r = exp10 < 0 ? (double) m / pow10_exact[-exp10] : (double) m * pow10_exact[exp10];
    v->f = neg ? -r : r;
    return p;
  }
  bytebuf *b = &x->d->text;
  b->len = 0;
  if (bytebuf_append(b, start, (size_t) (p - start)) != 0 || bytebuf_append(b, "", 1) != 0) { nomem(x->d); return NULL; }
  errno = 0;
  v->f = strtod((const char *) b->data, NULL);
  if (errno == ERANGE && isinf(v->f)) v->inexact = 1;
  return p;
}

/* true, false or null at p. */
static const char *read_literal(line_ctx *x, const char *p, const char *word) {
  size_t n = strlen(word), avail = (size_t) (x->e - p);
  if (avail >= n && memcmp(p, word, n) == 0) return p + n;
  if (avail < n && memcmp(p, word, avail) == 0) bad(x, x->e, "an unfinished '%s'", word);
  else bad(x, p, "expected a value (string, number, true, false, null, array or object)");
  return NULL;
}

/* Checks the array or object at p and returns the position after it. */
static const char *skip_nested(line_ctx *x, const char *p, int depth) {
  if (depth > MAX_DEPTH) { bad(x, p, "arrays or objects nested more than %d deep", MAX_DEPTH); return NULL; }
  char close = *p == '{' ? '}' : ']';
  const char *e = x->e;
  p = skip_ws(p + 1, e);
  if (p < e && *p == close) return p + 1;
  for (;;) {
    const char *s;
    size_t len;
    if (close == '}') {
      if (p >= e || *p != '"') { bad(x, p, "expected a key in double quotes"); return NULL; }
      if ((p = read_string(x, p, &s, &len)) == NULL) return NULL;
      p = skip_ws(p, e);
      if (p >= e || *p != ':') { bad(x, p, "expected ':' after a key"); return NULL; }
      p = skip_ws(p + 1, e);
    }
    if (p >= e) { bad(x, p, "expected a value"); return NULL; }
    number v;
    switch (*p) {
    case '"': p = read_string(x, p, &s, &len); break;
    case '{': case '[': p = skip_nested(x, p, depth + 1); break;
    case 't': p = read_literal(x, p, "true"); break;
    case 'f': p = read_literal(x, p, "false"); break;
    case 'n': p = read_literal(x, p, "null"); break;
    default: p = read_number(x, p, &v);
    }
    if (p == NULL) return NULL;
    p = skip_ws(p, e);
    if (p < e && *p == ',') { p = skip_ws(p + 1, e); continue; }
    if (p < e && *p == close) return p + 1;
    bad(x, p, "expected ',' or '%c'", close);
    return NULL;
  }
}

/* memcmp(a, b, n) == 0 for the short keys and tags of every line, eight bytes at a time. */
static inline int same_bytes(const char *a, const char *b, size_t n) {
  uint64_t x, y;
  uint32_t u, v;
  if (n >= 8) { /* whole words, then the last eight bytes (overlapping) */
    for (size_t i = 0; i + 8 <= n; i += 8) {
      memcpy(&x, a + i, 8);
      memcpy(&y, b + i, 8);
      if (x != y) return 0;
    }
    memcpy(&x, a + n - 8, 8);
    memcpy(&y, b + n - 8, 8);
    return x == y;
  }
  if (n >= 4) { /* the first and the last four */
    memcpy(&u, a, 4);
    memcpy(&v, b, 4);
    if (u != v) return 0;
    memcpy(&u, a + n - 4, 4);
    memcpy(&v, b + n - 4, 4);
    return u == v;
  }
  for (; n > 0; n--) if (*a++ != *b++) return 0;
  return 1;
}

/* A time without a zone is UTC (the server's Timestamp(ns) without a time zone); one with a zone
 * (Timestamp with a time zone, "+01:00") is read as written. */
static int parse_time_any(const char *s, size_t len, int64_t *ns) {
  int zoned = len > 0 && (s[len - 1] == 'Z' || s[len - 1] == 'z' ||
                          (len >= 6 && (s[len - 6] == '+' || s[len - 6] == '-') && s[len - 3] == ':'));
  if (zoned) return parse_rfc3339_ns(s, len, ns);
  char buf[48];
  if (len + 1 > sizeof buf) return -1;
  memcpy(buf, s, len);
  buf[len] = 'Z';
  return parse_rfc3339_ns(buf, len + 1, ns);
}

static int two_digits(const char *s, int *v) {
  if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9') return -1;
  *v = (s[0] - '0') * 10 + (s[1] - '0');
  return 0;
}

/* The server's own form, "YYYY-MM-DDTHH:MM:SS" and 0 to 9 fraction digits, on the fast path: the
 * date's midnight is computed once per date (rows come in runs of one day), the time of day here.
 * Anything else goes through parse_rfc3339_ns. */
static int parse_time(jsonl_decoder *d, const char *s, size_t len, int64_t *ns) {
  int h, mi, se;
  if (len < 19 || len > 29 || s[10] != 'T' || s[13] != ':' || s[16] != ':' || two_digits(s + 11, &h) ||
      two_digits(s + 14, &mi) || two_digits(s + 17, &se) || h > 23 || mi > 59 || se > 59 || (len > 19 && s[19] != '.') ||
      len == 20)
    return parse_time_any(s, len, ns);
  /* nanoseconds per unit of a fraction of n digits */
  static const int64_t frac_unit[10] = {1000000000, 100000000, 10000000, 1000000, 100000, 10000, 1000, 100, 10, 1};
  int64_t frac = 0;
  for (size_t i = 20; i < len; i++) {
    unsigned digit = (unsigned) (s[i] - '0');
    if (digit > 9) return parse_time_any(s, len, ns);
    frac = frac * 10 + digit;
  }
  frac *= frac_unit[len > 20 ? len - 20 : 0];
  /* Compared only once a date was parsed: the zeroed date would otherwise match ten NUL bytes,
   * and a failed parse leaves date_ns of no date at all. */
  if (!d->date_valid || !same_bytes(s, d->date, 10)) {
    char midnight[] = "YYYY-MM-DDT00:00:00Z";
    memcpy(midnight, s, 10);
    d->date_valid = parse_rfc3339_ns(midnight, sizeof midnight - 1, &d->date_ns) == 0;
    if (!d->date_valid) return parse_time_any(s, len, ns);
    memcpy(d->date, s, 10);
  }
  int64_t tod = ((int64_t) h * 3600 + mi * 60 + se) * 1000000000 + frac;
  if (d->date_ns > INT64_MAX - tod) return -1; /* past 2262-04-11T23:47:16.854775807 */
  *ns = d->date_ns + tod;
  return 0;
}

/* A string's place in a column's cache: its length and first and last bytes, which tell apart
 * the few values of a tag at the cost of two loads. */
static unsigned cache_slot(const char *s, size_t len) {
  uint64_t h = len, a, b;
  uint32_t u, v;
  if (len >= 8) {
    memcpy(&a, s, 8);
    memcpy(&b, s + len - 8, 8);
    h ^= a ^ (b << 29 | b >> 35);
  } else if (len >= 4) {
    memcpy(&u, s, 4);
    memcpy(&v, s + len - 4, 4);
    h ^= (uint64_t) u << 3 ^ (uint64_t) v << 32;
  } else {
    for (size_t i = 0; i < len; i++) h = h << 8 | (unsigned char) s[i];
  }
  return (unsigned) ((h * 0x9e3779b97f4a7c15ULL) >> 60) % JSONL_STRING_CACHE;
}

/* A string value, stored once per distinct value among the ones the column's cache holds (the
 * zero strref of an empty slot is "", itself a right answer for ""). */
static int put_string(jsonl_decoder *d, int c, size_t row, const char *s, size_t len) {
  table *t = d->out;
  strref *slot = &d->cols[c].cache[cache_slot(s, len)];
  if (slot->len == len && same_bytes(table_str(t, *slot), s, len)) return col_put_ref(t, c, row, *slot);
  if (table_intern(t, s, len, slot) != 0) return -1;
  return col_put_ref(t, c, row, *slot);
}

static int int64_fits_double(int64_t v) {
  double f = (double) v;
  return f < 9223372036854775808.0 && (int64_t) f == v;
}

static int texty(jsonl_type type) { return type == JSONL_STRING || type == JSONL_TAG; }

/* The value text [start, end) cannot go into column c: malformed, quoting the value as written. */
static const char *refuse(line_ctx *x, const char *start, const char *end, int c, const char *why) {
  size_t len = (size_t) (end - start);
  bad(x, start, "%.*s in column %s %s", len > 64 ? 64 : (int) len, start, x->d->out->cols[c].name, why);
  return NULL;
}

/* The value at p into column c of the current row. */
static const char *read_value(line_ctx *x, const char *p, int c) {
  jsonl_decoder *d = x->d;
  table *t = d->out;
  jsonl_type type = d->cols[c].type;
  const char *start = p;
  int rc = 0;
  switch (*p) {
  case '"': {
    const char *s;
    size_t len;
    if ((p = read_string(x, p, &s, &len)) == NULL) return NULL;
    if (type != JSONL_TIMESTAMP) { rc = put_string(d, c, x->row, s, len); break; }
    int64_t ns;
    if (parse_time(d, s, len, &ns) != 0) return refuse(x, start, p, c, "is not a time");
    rc = col_put_time(t, c, x->row, ns);
    break;
  }
  case 't': case 'f':
    if ((p = read_literal(x, p, *p == 't' ? "true" : "false")) == NULL) return NULL;
    if (type == JSONL_TIMESTAMP) return refuse(x, start, p, c, "is not a time");
    rc = texty(type) ? put_string(d, c, x->row, start, (size_t) (p - start)) : col_put_bool(t, c, x->row, *start == 't');
    break;
  case 'n': /* an explicit null (NaN and infinities, or a writer with explicit nulls): NA */
    return read_literal(x, p, "null");
  case '{': case '[':
    if ((p = skip_nested(x, p, 1)) == NULL) return NULL;
    if (type == JSONL_TIMESTAMP) return refuse(x, start, p, c, "is not a time");
    rc = put_string(d, c, x->row, start, (size_t) (p - start));
    break;
  default: {
    number v;
    const char *end = read_short_number(p, x->e, &v);
    if ((p = end ? end : read_number(x, p, &v)) == NULL) return NULL;
    /* The server writes times as strings: a number there is not one (nor, read as text, a time
     * column). Nor does it write a negative UInt64. */
    if (type == JSONL_TIMESTAMP) return refuse(x, start, p, c, "is not a time");
    if (type == JSONL_UINT && (v.is_int ? v.i < 0 : v.f < 0))
      return refuse(x, start, p, c, "is negative: the column holds unsigned integers");
    /* In a column that is text (by its hint, or widened by a string), the number as written: its
     * digits, not a double's round trip through printf. */
    if (texty(type) || t->cols[c].type == COL_STRING) rc = put_string(d, c, x->row, start, (size_t) (p - start));
    else if (v.is_int && type != JSONL_FLOAT) rc = col_put_int(t, c, x->row, v.i);
    else if (v.is_int) rc = col_put_double(t, c, x->row, (double) v.i, !int64_fits_double(v.i));
    else rc = col_put_double(t, c, x->row, v.f, v.inexact);
  }
  }
  if (rc != 0) { nomem(d); return NULL; }
  return p;
}

/* ---- lines -------------------------------------------------------------------------------- */

/* The column of the k-th key of a line: most lines name the same keys in the same order as the
 * line before, which is checked first; else the table's name index. */
static int key_column(jsonl_decoder *d, size_t k, const char *name, size_t len) {
  if (k < d->cap_order && d->order[k] >= 0) {
    const column *col = &d->out->cols[d->order[k]];
    if (col->name_len == len && memcmp(col->name, name, len) == 0) return d->order[k];
  }
  int c = table_find(d->out, name, len);
  if (c < 0) c = new_column(d, name, len);
  if (c < 0) return -1;
  if (k >= d->cap_order) {
    size_t cap = d->cap_order ? 2 * d->cap_order : 16;
    while (cap <= k) cap *= 2;
    int *order = realloc(d->order, cap * sizeof *order);
    if (order == NULL) return -1;
    for (size_t i = d->cap_order; i < cap; i++) order[i] = -1;
    d->order = order;
    d->cap_order = cap;
  }
  d->order[k] = c;
  return c;
}

/* One line (without its "\n"): a JSON object, one row. Blank lines are skipped. */
static jsonl_status decode_line(jsonl_decoder *d, const char *s, size_t n, int last) {
  line_ctx x = {d, s, s + n, last, d->out->nrow};
  const char *e = x.e, *p = skip_ws(s, e);
  if (p == e) return JSONL_OK;
  if (*p != '{') return bad(&x, p, "expected '{': each line must be one JSON object");
  p = skip_ws(p + 1, e);
  if (p < e && *p == '}') {
    p++;
  } else {
    /* Whitespace is looked for only where the expected byte is not (the server writes none). */
    for (size_t k = 0;; k++) {
      int c = k < d->cap_order ? d->order[k] : -1;
      const jsonl_column *expected = c >= 0 ? &d->cols[c] : NULL;
      if (expected && expected->key && (size_t) (e - p) >= expected->key_len &&
          same_bytes(p, expected->key, expected->key_len)) {
        p += expected->key_len; /* the key of the line before in the same place, and its ':' */
      } else {
        const char *name;
        size_t len;
        p = skip_ws(p, e);
        if (p >= e || *p != '"') return bad(&x, p, "expected a key in double quotes");
        if ((p = read_string(&x, p, &name, &len)) == NULL) return d->status;
        if ((c = key_column(d, k, name, len)) < 0) return nomem(d);
        p = skip_ws(p, e);
        if (p >= e || *p != ':') return bad(&x, p, "expected ':' after a key");
        p++;
      }
      if (d->cols[c].seen_row == x.row + 1) return bad(&x, p, "the key %s twice in one object", d->out->cols[c].name);
      d->cols[c].seen_row = x.row + 1;
      if (p >= e || (unsigned char) *p <= ' ') {
        p = skip_ws(p, e);
        if (p >= e) return bad(&x, p, "expected a value");
      }
      if ((p = read_value(&x, p, c)) == NULL) return d->status;
      if (p < e && *p == ',') { p++; continue; }
      p = skip_ws(p, e);
      if (p < e && *p == ',') { p++; continue; }
      if (p < e && *p == '}') { p++; break; }
      return bad(&x, p, "expected ',' or '}' after a value");
    }
  }
  p = skip_ws(p, e);
  if (p != e) return bad(&x, p, "text after the object: one object per line");
  d->out->nrow++;
  return JSONL_OK;
}

static jsonl_status next_line(jsonl_decoder *d, const char *s, size_t n, int last) {
  jsonl_status st = decode_line(d, s, n, last);
  d->line++;
  d->line_start += n + 1;
  return st;
}

/* Whole lines of a piece are decoded; the unfinished one waits for the next piece. */
static jsonl_status feed_lines(jsonl_decoder *d, const void *data, size_t len) {
  if (d->status != JSONL_OK) return d->status;
  const char *p = data, *e = p + len;
  if (d->pending.len > 0) { /* scan only the new bytes for the end of the unfinished line */
    const char *nl = memchr(p, '\n', len);
    if (bytebuf_append(&d->pending, p, nl ? (size_t) (nl - p) : len) != 0) return nomem(d);
    if (nl == NULL) return JSONL_OK;
    jsonl_status st = next_line(d, (const char *) d->pending.data, d->pending.len, 0);
    d->pending.len = 0;
    if (st != JSONL_OK) return st;
    p = nl + 1;
  }
  while (p < e) { /* whole lines inside this piece are read in place */
    const char *nl = memchr(p, '\n', (size_t) (e - p));
    if (nl == NULL) return bytebuf_append(&d->pending, p, (size_t) (e - p)) == 0 ? JSONL_OK : nomem(d);
    jsonl_status st = next_line(d, p, (size_t) (nl - p), 0);
    if (st != JSONL_OK) return st;
    p = nl + 1;
  }
  return JSONL_OK;
}

static int worker_feed(void *d, const void *data, size_t len) { return (int) feed_lines(d, data, len); }

/* The worker is done with the decoder: its status, or memory that ran out while pushing. */
static jsonl_status worker_ended(jsonl_decoder *d, int st) {
  d->worker = NULL;
  return st < 0 ? nomem(d) : d->status;
}

jsonl_status jsonl_feed(jsonl_decoder *d, const void *data, size_t len) {
  if (d->worker == NULL) {
    jsonl_status st = feed_lines(d, data, len);
    d->fed += len;
    if (st == JSONL_OK && d->fed >= d->thread_after && (d->worker = feed_thread_start(worker_feed, d)) == NULL)
      d->thread_after = SIZE_MAX; /* no thread: this thread decodes it all */
    return st;
  }
  int st = feed_thread_push(d->worker, data, len);
  if (st == 0) return JSONL_OK;
  feed_thread_cancel(d->worker);
  return worker_ended(d, st);
}

/* NA of the hinted type in a hinted column that got no value (only nulls, or no line named it),
 * so that R sees a double (say) and not a logical. Needs a row: with none, the column stays
 * untyped (a zero-length logical). */
static int type_empty_column(table *t, int c, jsonl_type type) {
  size_t row = t->nrow - 1;
  int rc;
  switch (type) {
  case JSONL_TIMESTAMP: rc = col_put_time(t, c, row, 0); break;
  case JSONL_FLOAT: rc = col_put_double(t, c, row, 0, 0); break;
  case JSONL_INT: case JSONL_UINT: rc = col_put_int(t, c, row, 0); break;
  case JSONL_BOOL: rc = col_put_bool(t, c, row, 0); break;
  case JSONL_STRING: case JSONL_TAG: rc = col_put_str(t, c, row, "", 0); break;
  default: return 0;
  }
  return rc == 0 ? col_put_na(t, c, row) : -1;
}

static jsonl_status jsonl_complete(jsonl_decoder *d);

jsonl_status jsonl_finish(jsonl_decoder *d) {
  if (d->worker != NULL) {
    int st = feed_thread_finish(d->worker);
    if (st != 0) return worker_ended(d, st);
    d->worker = NULL;
  }
  if (d->status != JSONL_OK) return d->status;
  if (d->pending.len > 0) {
    jsonl_status st = next_line(d, (const char *) d->pending.data, d->pending.len, 1);
    d->pending.len = 0;
    if (st != JSONL_OK) return st;
  }
  return jsonl_complete(d);
}

/* The table once the lines are read (a line is decoded whole once it has ended). */
static jsonl_status jsonl_complete(jsonl_decoder *d) {
  table *t = d->out;
  for (size_t c = 0; c < t->ncol && t->nrow > 0; c++)
    if (t->cols[c].type == COL_EMPTY && type_empty_column(t, (int) c, d->cols[c].type) != 0) return nomem(d);
  if (table_finish(t) != 0) return nomem(d);
  return JSONL_OK;
}

/* ---- the common decoder interface (decoder.h) ------------------------------------------------ */

static int vt_init(void *s, const decoder_options *opt) {
  jsonl_options o = {opt->hints, opt->nhints, opt->measurement_role};
  int rc = jsonl_init(s, &o);
  if (opt->row_limit > 0) ((jsonl_decoder *) s)->thread_after = SIZE_MAX; /* rows() between feeds */
  return rc;
}
static int vt_feed(void *s, const void *data, size_t len) { return (int) jsonl_feed(s, data, len); }
static int vt_finish(void *s) { return (int) jsonl_finish(s); }
static void vt_free(void *s) { jsonl_free(s); }
/* Asked between feeds only without a worker thread, which a row limit keeps from starting. */
static size_t vt_rows(void *s) {
  jsonl_decoder *d = s;
  return d->worker ? 0 : d->out->nrow;
}
/* The unfinished line is dropped: the body was cut there on purpose. */
static int vt_finish_stopped(void *s) {
  jsonl_decoder *d = s;
  if (d->worker != NULL) {
    int st = feed_thread_finish(d->worker);
    if (st != 0) return (int) worker_ended(d, st);
    d->worker = NULL;
  }
  if (d->status != JSONL_OK) return (int) d->status;
  d->pending.len = 0;
  return (int) jsonl_complete(d);
}
static const char *vt_message(void *s) { return ((jsonl_decoder *) s)->message; }
/* One data frame per query. */
static size_t vt_ntables(void *s) { (void) s; return 1; }
static table *vt_table(void *s, size_t i) { (void) i; return ((jsonl_decoder *) s)->out; }

static const char *const jsonl_content_types[] = {"application/jsonl", "application/x-ndjson", "application/json-lines", NULL};

const decoder_vtable jsonl_decoder_vtable = {
  "jsonl", jsonl_content_types, sizeof(jsonl_decoder), vt_init, vt_feed, vt_finish, vt_free, vt_message,
  vt_ntables, vt_table, NULL, NULL, vt_rows, vt_finish_stopped
};
