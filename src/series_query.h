/* What a time-series question asks, independent of the query language (plain C, no R API).
 * Each dialect (dialect_influxql.c, dialect_flux.c, dialect_sql.c) turns one into query text; nothing else
 * writes user input into a query. */
#ifndef INFLUXTK_SERIES_QUERY_H
#define INFLUXTK_SERIES_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "bytebuf.h"

typedef enum {
  AGG_NONE = 0, AGG_MEAN, AGG_MEDIAN, AGG_MIN, AGG_MAX, AGG_SUM, AGG_COUNT, AGG_FIRST, AGG_LAST,
  AGG_SPREAD, AGG_STDDEV
} series_aggregate;

/* A tag equal to any of its values. */
typedef struct {
  const char *key;
  const char *const *values;
  size_t nvalues;
} tag_filter;

typedef struct {
  const char *bucket;               /* Flux: the bucket to read */
  const char *measurement;
  const char *const *fields;        /* at least one */
  size_t nfields;
  const tag_filter *where;          /* AND across tags, OR within one */
  size_t nwhere;
  const char *const *group_by;      /* tags kept as columns, one series per combination */
  size_t ngroup;
  int64_t window_start_ns;          /* where the first window starts (<= data_start_ns) */
  int64_t data_start_ns;            /* first instant of data, inclusive */
  int64_t stop_ns;                  /* exclusive */
  series_aggregate aggregate;       /* AGG_NONE: the points themselves */
  int64_t every_ns, offset_ns;      /* window length, and shift of the window grid from the epoch */
  int create_empty;                 /* a row for every window, NULL where nothing was measured */
  const char *tz;                   /* IANA time zone the windows are aligned in; NULL: UTC */
  int64_t zone_offset_ns;           /* tz's UTC offset at the start (east positive) */
  /* Downsampling: the aggregates are written instead of answered. */
  const char *into;                 /* measurement written (SELECT ... INTO, Flux to()); NULL: a read */
  const char *into_bucket;          /* its database (InfluxQL) or bucket (Flux); NULL: the one read */
  int64_t lookback_ns;              /* > 0: no fixed range, the complete windows of the last
                                     * lookback before the server's now() (a CQ's SELECT, a task) */
  const char *task_name;            /* Flux: option task = {name, every: task_every, offset} */
  int64_t task_every_ns, task_offset_ns;
} series_query;

typedef enum { SQ_OK = 0, SQ_NOMEM = -1, SQ_INVALID = -2 } series_query_status;

/* AGG_* for a name ("mean", "median", ...), or -1. */
int series_aggregate_from_name(const char *name);

/* A duration literal in the largest unit that divides it exactly ("15m", "1d", "1w", "90s");
 * InfluxQL writes microseconds "u", Flux "us". out needs 32 bytes. */
void format_duration_literal(int64_t ns, int flux, char *out);

int iql_series_query(bytebuf *out, const series_query *q);
int flux_series_query(bytebuf *out, const series_query *q);
/* InfluxDB 3's SQL (dialect_sql.c): the same rows as the other two, windows computed per row. */
int sql_series_query(bytebuf *out, const series_query *q);

#endif
