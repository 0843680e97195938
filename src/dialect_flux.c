#include "dialect_flux.h"

#include <ctype.h>
#include <string.h>

int flux_quote_string(bytebuf *out, const char *s, size_t len) {
  if (bytebuf_append(out, "\"", 1) != 0) return -1;
  size_t run = 0;
  for (size_t i = 0; i < len; i++) {
    const char *esc = NULL;
    switch (s[i]) {
    case '\\': esc = "\\\\"; break;
    case '"': esc = "\\\""; break;
    case '\n': esc = "\\n"; break;
    case '\r': esc = "\\r"; break;
    case '\t': esc = "\\t"; break;
    case '$': if (i + 1 < len && s[i + 1] == '{') esc = "\\$"; break;
    default: break;
    }
    if (esc == NULL) continue;
    if (bytebuf_append(out, s + run, i - run) != 0 || bytebuf_append(out, esc, strlen(esc)) != 0) return -1;
    run = i + 1;
  }
  if (bytebuf_append(out, s + run, len - run) != 0) return -1;
  return bytebuf_append(out, "\"", 1);
}

static int ident_char(char c) { return isalnum((unsigned char) c) || c == '_'; }

static int is_word(const char *s, size_t n, const char *w) { return strlen(w) == n && memcmp(s, w, n) == 0; }

long flux_find_write_call(const char *q, size_t len) {
  size_t i = 0;
  while (i < len) {
    char c = q[i];
    if (c == '/' && i + 1 < len && q[i + 1] == '/') { /* comment to the end of the line */
      while (i < len && q[i] != '\n') i++;
      continue;
    }
    if (c == '"') { /* string; interpolated ${...} may hold code, which is scanned as string text */
      for (i++; i < len && q[i] != '"'; i++)
        if (q[i] == '\\') i++;
      if (i >= len) return -2;
      i++;
      continue;
    }
    if (c == '/') {
      /* A regex literal /.../ follows an operator or opening punctuation; otherwise division. */
      size_t k = i;
      while (k > 0 && isspace((unsigned char) q[k - 1])) k--;
      char prev = k > 0 ? q[k - 1] : '(';
      if (strchr("~(,:[={!", prev) != NULL) {
        for (i++; i < len && q[i] != '/' && q[i] != '\n'; i++)
          if (q[i] == '\\') i++;
      }
      i++;
      continue;
    }
    if (ident_char(c)) {
      size_t start = i;
      while (i < len && ident_char(q[i])) i++;
      size_t n = i - start;
      size_t j = i;
      while (j < len && isspace((unsigned char) q[j])) j++;
      int call = j < len && q[j] == '(';
      int member = start > 0 && q[start - 1] == '.';
      if (call && (is_word(q + start, n, "to") || is_word(q + start, n, "wideTo") ||
                   (member && is_word(q + start, n, "post")))) {
        return (long) (member ? start - 1 : start);
      }
      continue;
    }
    i++;
  }
  return -1;
}
