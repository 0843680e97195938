/* Text forms of time used by InfluxDB, to and from int64 nanoseconds (plain C, no R API). */
#ifndef INFLUXTK_TIMEPARSE_H
#define INFLUXTK_TIMEPARSE_H

#include <stddef.h>
#include <stdint.h>

/* RFC 3339 with 0 to 9 fraction digits and Z or +hh:mm; 0 on success, -1 if malformed or out of
 * the int64 nanosecond range (years 1677 to 2262). */
int parse_rfc3339_ns(const char *s, size_t len, int64_t *ns);
/* A duration as integer nanoseconds ("3600000000000") or in Go's notation ("1h2m3.5s", "-250ms",
 * "1us", "1\u00b5s", "7ns"). */
int parse_duration_ns(const char *s, size_t len, int64_t *ns);
/* RFC 3339 in UTC with nanoseconds ("2024-10-27T01:30:00.000000001Z"); out needs RFC3339_BUF bytes
 * (room for any int the compiler cannot prove smaller). */
#define RFC3339_BUF 96
void format_rfc3339_ns(int64_t ns, char *out);
/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);
/* Standard base64 (with or without padding) into out (room for len * 3 / 4 + 3 bytes); returns the
 * decoded length or -1. */
long base64_decode(const char *s, size_t len, unsigned char *out);

#endif
