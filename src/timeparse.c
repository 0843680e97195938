#include "timeparse.h"

#include <stdio.h>
#include <string.h>

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  /* Howard Hinnant's algorithm: eras of 400 years starting in March. */
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = (unsigned) (y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t) doe - 719468;
}

void format_rfc3339_ns(int64_t ns, char *out) {
  int64_t secs = ns / 1000000000, frac = ns % 1000000000;
  if (frac < 0) { frac += 1000000000; secs -= 1; }
  int64_t days = secs / 86400, rem = secs % 86400;
  if (rem < 0) { rem += 86400; days -= 1; }
  /* civil_from_days, the inverse of days_from_civil */
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = (unsigned) (days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = (int64_t) yoe + era * 400 + (m <= 2);
  snprintf(out, RFC3339_BUF, "%04d-%02u-%02uT%02d:%02d:%02d.%09dZ", (int) y, m, d, (int) (rem / 3600),
           (int) (rem / 60 % 60), (int) (rem % 60), (int) frac);
}

static int digits(const char *s, size_t n, int64_t *out) {
  int64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return 0;
}

static int days_in_month(int64_t y, int64_t m) {
  static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 ? 28 + leap : dim[m - 1];
}

int parse_rfc3339_ns(const char *s, size_t len, int64_t *ns) {
  int64_t y, mo, d, h, mi, se, frac = 0;
  if (len < 20) return -1;
  if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d) ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || digits(s + 11, 2, &h) || s[13] != ':' ||
      digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &se))
    return -1;
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 60) return -1;
  size_t i = 19;
  if (i < len && s[i] == '.') {
    size_t start = ++i;
    while (i < len && s[i] >= '0' && s[i] <= '9') i++;
    size_t n = i - start;
    if (n == 0) return -1;
    for (size_t k = 0; k < 9; k++) frac = frac * 10 + (k < n ? s[start + k] - '0' : 0);
  }
  int64_t offset = 0;
  if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
    i++;
  } else if (i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
    int64_t oh, om;
    if (digits(s + i + 1, 2, &oh) || digits(s + i + 4, 2, &om) || oh > 23 || om > 59) return -1;
    offset = (oh * 60 + om) * 60 * (s[i] == '-' ? -1 : 1);
    i += 6;
  } else {
    return -1;
  }
  if (i != len) return -1;
  int64_t secs = days_from_civil(y, (unsigned) mo, (unsigned) d) * 86400 + h * 3600 + mi * 60 + se - offset;
  /* int64 nanoseconds reach exactly from 1677-09-21T00:12:43.145224192Z (-2^63) to
   * 2262-04-11T23:47:16.854775807Z (2^63 - 1): the second at either end is partly inside. */
  const int64_t max_s = INT64_MAX / 1000000000, max_frac = INT64_MAX % 1000000000;
  const int64_t min_s = INT64_MIN / 1000000000 - 1, min_frac = 1000000000 + INT64_MIN % 1000000000;
  if (secs > max_s || (secs == max_s && frac > max_frac)) return -1;
  if (secs < min_s || (secs == min_s && frac < min_frac)) return -1;
  /* Below zero (secs + 1) first, as min_s * 1e9 alone is below INT64_MIN; at or above zero
   * secs * 1e9 first, as (max_s + 1) * 1e9 is above INT64_MAX. */
  *ns = secs < 0 ? (secs + 1) * 1000000000 + (frac - 1000000000) : secs * 1000000000 + frac;
  return 0;
}

int parse_duration_ns(const char *s, size_t len, int64_t *ns) {
  size_t i = 0;
  int neg = 0;
  if (len == 0) return -1;
  if (s[0] == '-' || s[0] == '+') { neg = s[0] == '-'; i++; }
  /* Plain integer nanoseconds. */
  size_t j = i;
  while (j < len && s[j] >= '0' && s[j] <= '9') j++;
  if (j == len && j > i) {
    int64_t v;
    if (len - i > 18 || digits(s + i, len - i, &v)) return -1;
    *ns = neg ? -v : v;
    return 0;
  }
  int64_t total = 0;
  while (i < len) {
    int64_t whole = 0, frac = 0, fscale = 1;
    int seen = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
      if (whole > (INT64_MAX - 9) / 10) return -1;
      whole = whole * 10 + (s[i] - '0');
      i++;
      seen = 1;
    }
    if (i < len && s[i] == '.') {
      i++;
      while (i < len && s[i] >= '0' && s[i] <= '9') {
        if (fscale < 1000000000) { frac = frac * 10 + (s[i] - '0'); fscale *= 10; }
        i++;
        seen = 1;
      }
    }
    if (!seen) return -1;
    int64_t unit;
    if (len - i >= 2 && memcmp(s + i, "ns", 2) == 0) { unit = 1; i += 2; }
    else if (len - i >= 2 && memcmp(s + i, "us", 2) == 0) { unit = 1000; i += 2; }
    else if (len - i >= 3 && memcmp(s + i, "\xc2\xb5s", 3) == 0) { unit = 1000; i += 3; }
    else if (len - i >= 2 && memcmp(s + i, "ms", 2) == 0) { unit = 1000000; i += 2; }
    else if (len - i >= 1 && s[i] == 's') { unit = 1000000000; i += 1; }
    else if (len - i >= 1 && s[i] == 'm') { unit = INT64_C(60000000000); i += 1; }
    else if (len - i >= 1 && s[i] == 'h') { unit = INT64_C(3600000000000); i += 1; }
    else return -1;
    /* frac < fscale <= 1e9 and unit <= 3.6e12: the product can overflow, so divide first. The
     * fraction's part is below one unit; whole * unit must fit beside it and the total so far. */
    int64_t frac_part = unit >= fscale ? frac * (unit / fscale) : frac / (fscale / unit);
    if (whole > (INT64_MAX - total - frac_part) / unit) return -1;
    total += whole * unit + frac_part;
  }
  *ns = neg ? -total : total;
  return 0;
}

static int b64_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

long base64_decode(const char *s, size_t len, unsigned char *out) {
  while (len > 0 && s[len - 1] == '=') len--;
  if (len % 4 == 1) return -1;
  long n = 0;
  unsigned acc = 0;
  int bits = 0;
  for (size_t i = 0; i < len; i++) {
    int v = b64_value((unsigned char) s[i]);
    if (v < 0) return -1;
    acc = (acc << 6) | (unsigned) v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (unsigned char) (acc >> bits);
      acc &= (1u << bits) - 1;
    }
  }
  return n;
}
