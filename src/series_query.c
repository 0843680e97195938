#include "series_query.h"

#include <stdio.h>
#include <string.h>

int series_aggregate_from_name(const char *name) {
  static const char *const names[] = {"", "mean", "median", "min", "max", "sum", "count",
                                      "first", "last", "spread", "stddev"};
  for (int i = 1; i < (int) (sizeof names / sizeof names[0]); i++)
    if (strcmp(name, names[i]) == 0) return i;
  return -1;
}

void format_duration_literal(int64_t ns, int flux, char *out) {
  static const struct { int64_t ns; const char *iql, *flux; } units[] = {
    {604800000000000LL, "w", "w"}, {86400000000000LL, "d", "d"}, {3600000000000LL, "h", "h"},
    {60000000000LL, "m", "m"}, {1000000000LL, "s", "s"}, {1000000LL, "ms", "ms"},
    {1000LL, "u", "us"}, {1LL, "ns", "ns"}};
  if (ns == 0) { snprintf(out, 32, "0s"); return; }
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
    if (ns % units[i].ns == 0) {
      snprintf(out, 32, "%lld%s", (long long) (ns / units[i].ns), flux ? units[i].flux : units[i].iql);
      return;
    }
  }
}
