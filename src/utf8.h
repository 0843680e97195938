/* Checking and repairing UTF-8 from a server (plain C, no R API). An R string cannot hold a NUL,
 * and R trusts strings marked UTF-8 to be valid (nchar() and regex fail later otherwise), while
 * InfluxDB stores any bytes. Repair drops NULs and replaces each maximal invalid subpart by one
 * U+FFFD, as the Unicode standard recommends (and as Go's and Python's decoders do). */
#ifndef INFLUXTK_UTF8_H
#define INFLUXTK_UTF8_H

#include <stddef.h>

/* 1 when s[0, len) is valid UTF-8 (RFC 3629: no overlongs, surrogates or code points above
 * U+10FFFF) without a NUL byte; 0 when it needs utf8_repair. */
int utf8_is_clean(const char *s, size_t len);

/* The most bytes utf8_repair writes for len input bytes: an invalid byte (1) becomes U+FFFD (3). */
#define UTF8_REPAIR_MAX(len) (3 * (len))

/* Writes the repaired copy of s[0, len) to out (room for UTF8_REPAIR_MAX(len) bytes) and returns
 * its length. */
size_t utf8_repair(const char *s, size_t len, char *out);

/* Writes the repaired copy of s[0, len) to dst (cap bytes, cap > 0), NUL-terminated and, where it
 * does not fit, cut between characters; returns its length. dst must not overlap s. */
size_t utf8_copy_clean(char *dst, size_t cap, const char *s, size_t len);

#endif
