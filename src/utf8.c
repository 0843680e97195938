#include "utf8.h"

#include <string.h>

/* Length of the valid sequence at p[0, n), or 0 with *bad set to the length of the maximal
 * subpart (a valid lead byte and the continuation bytes that fit it, or one byte). The ranges of
 * the second byte exclude overlongs (E0, F0), surrogates (ED) and code points above U+10FFFF (F4). */
static size_t sequence(const unsigned char *p, size_t n, size_t *bad) {
  unsigned char c = p[0], lo = 0x80, hi = 0xBF;
  size_t need;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) need = 1;
  else if (c >= 0xE0 && c <= 0xEF) { need = 2; if (c == 0xE0) lo = 0xA0; else if (c == 0xED) hi = 0x9F; }
  else if (c >= 0xF0 && c <= 0xF4) { need = 3; if (c == 0xF0) lo = 0x90; else if (c == 0xF4) hi = 0x8F; }
  else { *bad = 1; return 0; }
  size_t i = 1;
  for (; i <= need && i < n; i++) {
    unsigned char b = p[i];
    if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) break;
  }
  if (i == need + 1) return i;
  *bad = i;
  return 0;
}

int utf8_is_clean(const char *s, size_t len) {
  const unsigned char *p = (const unsigned char *) s;
  size_t i = 0, bad;
  while (i < len) {
    if (p[i] == 0) return 0;
    if (p[i] < 0x80) { i++; continue; }
    size_t n = sequence(p + i, len - i, &bad);
    if (n == 0) return 0;
    i += n;
  }
  return 1;
}

/* The repaired copy of s[0, len), stopping before a character that would take it past `limit`
 * bytes: output is cut between characters, never inside one. */
static size_t repair_bounded(const char *s, size_t len, char *out, size_t limit) {
  const unsigned char *p = (const unsigned char *) s;
  size_t i = 0, o = 0, bad = 0;
  while (i < len) {
    if (p[i] == 0) { i++; continue; }
    size_t n = sequence(p + i, len - i, &bad);
    const char *piece = n > 0 ? (const char *) p + i : "\xEF\xBF\xBD";
    size_t piece_len = n > 0 ? n : 3;
    if (piece_len > limit - o) break;
    memcpy(out + o, piece, piece_len);
    o += piece_len;
    i += n > 0 ? n : bad;
  }
  return o;
}

size_t utf8_repair(const char *s, size_t len, char *out) {
  return repair_bounded(s, len, out, UTF8_REPAIR_MAX(len));
}

size_t utf8_copy_clean(char *dst, size_t cap, const char *s, size_t len) {
  if (cap == 0) return 0;
  size_t n = repair_bounded(s, len, dst, cap - 1);
  dst[n] = '\0';
  return n;
}
