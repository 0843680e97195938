#include "series_index.h"

void series_neighbours(const int *missing, const int *series, size_t n, long *prev, long *next) {
  long last = -1;
  for (size_t i = 0; i < n; i++) {
    if (i > 0 && series[i] != series[i - 1]) last = -1;
    prev[i] = last;
    if (!missing[i]) last = (long) i;
  }
  last = -1;
  for (size_t i = n; i-- > 0;) {
    if (i + 1 < n && series[i] != series[i + 1]) last = -1;
    next[i] = last;
    if (!missing[i]) last = (long) i;
  }
}
