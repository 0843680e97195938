/* Neighbours within series (plain C, no R API): for each row, the nearest earlier and later row
 * of the same series that has a value. Rows are sorted by series, then time. Filling
 * ("previous", "linear") and differences between windows are index arithmetic on these. */
#ifndef INFLUXTK_SERIES_INDEX_H
#define INFLUXTK_SERIES_INDEX_H

#include <stddef.h>

/* prev[i] / next[i]: 0-based index of the nearest row j < i (j > i) with series[j] == series[i]
 * and !missing[j]; -1 when there is none. */
void series_neighbours(const int *missing, const int *series, size_t n, long *prev, long *next);

#endif
