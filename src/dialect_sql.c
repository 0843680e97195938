#include "dialect_sql.h"
#include "series_query.h"
#include "timeparse.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int quote_doubling(bytebuf *out, const char *s, size_t len, char q) {
  if (bytebuf_reserve(out, len + 2) != 0 || bytebuf_append(out, &q, 1) != 0) return -1;
  size_t run = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] != q) continue;
    /* the delimiter goes out twice: once with the run before it, once more on its own */
    if (bytebuf_append(out, s + run, i + 1 - run) != 0 || bytebuf_append(out, &q, 1) != 0) return -1;
    run = i + 1;
  }
  if (bytebuf_append(out, s + run, len - run) != 0) return -1;
  return bytebuf_append(out, &q, 1);
}

int sql_quote_ident(bytebuf *out, const char *s, size_t len) { return quote_doubling(out, s, len, '"'); }
int sql_quote_string(bytebuf *out, const char *s, size_t len) { return quote_doubling(out, s, len, '\''); }

/* ---- time-series queries ------------------------------------------------------------------- */

#define TRY(x) do { if ((x) != 0) return SQ_NOMEM; } while (0)
#define DAY_NS 86400000000000LL

static int ident_z(bytebuf *out, const char *s) { return sql_quote_ident(out, s, strlen(s)); }

static int append_i64(bytebuf *out, int64_t v) {
  char text[32];
  snprintf(text, sizeof text, "%lld", (long long) v);
  return bytebuf_append_str(out, text);
}

/* Internal column names (g1, v2, ...): the user's names appear only as quoted sources in the
 * innermost SELECT and as aliases in the outermost, so no name can capture another. */
static int internal(bytebuf *out, char kind, size_t i) {
  char text[32];
  snprintf(text, sizeof text, "%c%zu", kind, i + 1);
  return bytebuf_append_str(out, text);
}

static int time_literal(bytebuf *out, int64_t ns) {
  char text[RFC3339_BUF];
  format_rfc3339_ns(ns, text);
  TRY(bytebuf_append_str(out, "TIMESTAMP "));
  return sql_quote_string(out, text, strlen(text));
}

/* An IANA zone name goes inside an Arrow type text inside a string literal: allow only the
 * characters zone names are made of, so it needs no quoting at either level. */
static int zone_name_ok(const char *tz) {
  if (*tz == '\0') return 0;
  for (const char *p = tz; *p; p++) {
    char c = *p;
    int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
             c == '/' || c == '_' || c == '+' || c == '-';
    if (!ok) return 0;
  }
  return 1;
}

/* The wall-clock time in tz of the instant x (Int64 nanoseconds), as nanoseconds since the local
 * epoch: local date * day + local time of day. Arrow reads an Int64 cast to a zoned timestamp as
 * UTC nanoseconds, and a zoned timestamp cast to DATE or TIME as local fields. */
static int local_ns(bytebuf *out, const char *x, const char *tz) {
  for (int part = 0; part < 2; part++) {
    TRY(bytebuf_append_str(out, part ? " + arrow_cast(CAST(arrow_cast(" : "(arrow_cast(CAST(arrow_cast("));
    TRY(bytebuf_append_str(out, x));
    TRY(bytebuf_append_str(out, ", 'Timestamp(Nanosecond, Some(\""));
    TRY(bytebuf_append_str(out, tz));
    TRY(bytebuf_append_str(out, part ? "\"))') AS TIME), 'Int64'))" : "\"))') AS DATE), 'Int64') * "));
    if (!part) TRY(append_i64(out, DAY_NS));
  }
  return 0;
}

/* "time" >= start AND "time" < stop AND ("tag" IN (...)) ... AND (one field IS NOT NULL): a row
 * of an InfluxDB 3 table has every column, and a field a point lacks is NULL there, where 1.x and
 * 2.x hold no point at all. */
static int where_clause(bytebuf *out, const series_query *q) {
  TRY(bytebuf_append_str(out, " WHERE \"time\" >= "));
  TRY(time_literal(out, q->data_start_ns));
  TRY(bytebuf_append_str(out, " AND \"time\" < "));
  TRY(time_literal(out, q->stop_ns));
  for (size_t i = 0; i < q->nwhere; i++) {
    const tag_filter *f = &q->where[i];
    TRY(bytebuf_append_str(out, " AND "));
    TRY(ident_z(out, f->key));
    TRY(bytebuf_append_str(out, " IN ("));
    for (size_t j = 0; j < f->nvalues; j++) {
      if (j) TRY(bytebuf_append_str(out, ", "));
      TRY(sql_quote_string(out, f->values[j], strlen(f->values[j])));
    }
    TRY(bytebuf_append_str(out, ")"));
  }
  TRY(bytebuf_append_str(out, " AND ("));
  for (size_t i = 0; i < q->nfields; i++) {
    if (i) TRY(bytebuf_append_str(out, " OR "));
    TRY(ident_z(out, q->fields[i]));
    TRY(bytebuf_append_str(out, " IS NOT NULL"));
  }
  return bytebuf_append_str(out, ")");
}

/* ", g1, ..., v1, ..." : the columns every level passes on */
static int pass_on(bytebuf *out, const series_query *q) {
  for (size_t i = 0; i < q->ngroup; i++) {
    TRY(bytebuf_append_str(out, ", "));
    TRY(internal(out, 'g', i));
  }
  for (size_t i = 0; i < q->nfields; i++) {
    TRY(bytebuf_append_str(out, ", "));
    TRY(internal(out, 'v', i));
  }
  return 0;
}

/* The aggregate of internal column v<i>. count gives NULL, not 0, for a window that has rows
 * but none of this field unless empty windows are asked for (InfluxQL's fill(none) and fill(null)
 * do the same); first and last skip the NULLs of points that lack the field. */
static int aggregate_expr(bytebuf *out, const series_query *q, size_t i) {
  char name[32];
  snprintf(name, sizeof name, "v%zu", i + 1);
  switch (q->aggregate) {
  case AGG_MEAN: TRY(bytebuf_append_str(out, "avg(")); TRY(bytebuf_append_str(out, name)); break;
  case AGG_MEDIAN:
    /* exact, as InfluxQL's: the mean of the two middle values, also for integers */
    TRY(bytebuf_append_str(out, "median(CAST("));
    TRY(bytebuf_append_str(out, name));
    TRY(bytebuf_append_str(out, " AS DOUBLE)"));
    break;
  case AGG_MIN: TRY(bytebuf_append_str(out, "min(")); TRY(bytebuf_append_str(out, name)); break;
  case AGG_MAX: TRY(bytebuf_append_str(out, "max(")); TRY(bytebuf_append_str(out, name)); break;
  case AGG_SUM: TRY(bytebuf_append_str(out, "sum(")); TRY(bytebuf_append_str(out, name)); break;
  case AGG_COUNT:
    TRY(bytebuf_append_str(out, q->create_empty ? "count(" : "NULLIF(count("));
    TRY(bytebuf_append_str(out, name));
    if (!q->create_empty) TRY(bytebuf_append_str(out, "), 0"));
    break;
  case AGG_FIRST: case AGG_LAST:
    TRY(bytebuf_append_str(out, q->aggregate == AGG_FIRST ? "first_value(" : "last_value("));
    TRY(bytebuf_append_str(out, name));
    TRY(bytebuf_append_str(out, " ORDER BY t) FILTER (WHERE "));
    TRY(bytebuf_append_str(out, name));
    TRY(bytebuf_append_str(out, " IS NOT NULL"));
    break;
  case AGG_SPREAD:
    TRY(bytebuf_append_str(out, "max("));
    TRY(bytebuf_append_str(out, name));
    TRY(bytebuf_append_str(out, ") - min("));
    TRY(bytebuf_append_str(out, name));
    break;
  case AGG_STDDEV: /* sample, as InfluxQL's and Flux's */
    TRY(bytebuf_append_str(out, "stddev_samp("));
    TRY(bytebuf_append_str(out, name));
    break;
  default: return SQ_INVALID;
  }
  return bytebuf_append_str(out, ")");
}

/* SELECT "time", "tag", ..., "field", ... FROM "m" WHERE ... ORDER BY "tag", ..., "time" */
static int points_query(bytebuf *out, const series_query *q) {
  TRY(bytebuf_append_str(out, "SELECT \"time\""));
  for (size_t i = 0; i < q->ngroup; i++) {
    TRY(bytebuf_append_str(out, ", "));
    TRY(ident_z(out, q->group_by[i]));
  }
  for (size_t i = 0; i < q->nfields; i++) {
    TRY(bytebuf_append_str(out, ", "));
    TRY(ident_z(out, q->fields[i]));
  }
  TRY(bytebuf_append_str(out, " FROM "));
  TRY(ident_z(out, q->measurement));
  TRY(where_clause(out, q));
  TRY(bytebuf_append_str(out, " ORDER BY "));
  for (size_t i = 0; i < q->ngroup; i++) {
    TRY(ident_z(out, q->group_by[i]));
    TRY(bytebuf_append_str(out, ", "));
  }
  return bytebuf_append_str(out, "\"time\"");
}

/* The innermost level: the user's names read once, renamed to t, g<i>, v<i>; with a zone also
 * ti, the instant as Int64 nanoseconds moved back by `shift`. */
static int source_level(bytebuf *out, const series_query *q, int64_t shift) {
  TRY(bytebuf_append_str(out, "SELECT \"time\" AS t"));
  if (q->tz != NULL) {
    TRY(bytebuf_append_str(out, ", arrow_cast(\"time\", 'Int64')"));
    if (shift) {
      TRY(bytebuf_append_str(out, " - "));
      TRY(append_i64(out, shift));
    }
    TRY(bytebuf_append_str(out, " AS ti"));
  }
  for (size_t i = 0; i < q->ngroup; i++) {
    TRY(bytebuf_append_str(out, ", "));
    TRY(ident_z(out, q->group_by[i]));
    TRY(bytebuf_append_str(out, " AS "));
    TRY(internal(out, 'g', i));
  }
  for (size_t i = 0; i < q->nfields; i++) {
    TRY(bytebuf_append_str(out, ", "));
    TRY(ident_z(out, q->fields[i]));
    TRY(bytebuf_append_str(out, " AS "));
    TRY(internal(out, 'v', i));
  }
  TRY(bytebuf_append_str(out, " FROM "));
  TRY(ident_z(out, q->measurement));
  return where_clause(out, q);
}

/* Windows in a zone, placed as R/windows.R window_start() and InfluxQL place them. With
 * x = time - shift, L(x) its wall clock and every the window length:
 *   u  = x - ((L(x) - grid) mod every)            the window start by the wall clock
 *   dz = (L(x) - x) - (L(u) - u)                  the change of UTC offset between u and x
 *   start = u + (dz if 0 < |dz| < every) + shift
 * Whole days (and weeks from Monday): shift 0, grid = offset, so days start at local midnight
 * and last 23 or 25 hours. Shorter windows: shift = offset, grid 0, as InfluxQL does (an hour
 * window is not stretched by a one-hour clock change). Three levels keep each step readable. */
static int zoned_levels(bytebuf *out, const series_query *q) {
  int calendar = q->every_ns % DAY_NS == 0 && q->offset_ns % DAY_NS == 0;
  int64_t shift = calendar ? 0 : q->offset_ns, grid = calendar ? q->offset_ns % q->every_ns : 0;
  TRY(bytebuf_append_str(out, "SELECT t"));
  TRY(pass_on(out, q));
  TRY(bytebuf_append_str(out, ", u, z - "));
  TRY(local_ns(out, "u", q->tz));
  TRY(bytebuf_append_str(out, " + u AS dz FROM (SELECT t"));
  TRY(pass_on(out, q));
  TRY(bytebuf_append_str(out, ", ti - ((("));
  TRY(local_ns(out, "ti", q->tz));
  if (grid) {
    TRY(bytebuf_append_str(out, " - "));
    TRY(append_i64(out, grid));
  }
  TRY(bytebuf_append_str(out, ") % "));
  TRY(append_i64(out, q->every_ns));
  TRY(bytebuf_append_str(out, " + "));
  TRY(append_i64(out, q->every_ns));
  TRY(bytebuf_append_str(out, ") % "));
  TRY(append_i64(out, q->every_ns));
  TRY(bytebuf_append_str(out, ") AS u, "));
  TRY(local_ns(out, "ti", q->tz));
  TRY(bytebuf_append_str(out, " - ti AS z FROM ("));
  TRY(source_level(out, q, shift));
  return bytebuf_append_str(out, ") AS p) AS s");
}

static int zoned_window(bytebuf *out, const series_query *q) {
  int calendar = q->every_ns % DAY_NS == 0 && q->offset_ns % DAY_NS == 0;
  int64_t shift = calendar ? 0 : q->offset_ns;
  TRY(bytebuf_append_str(out, "arrow_cast(u + CASE WHEN dz <> 0 AND abs(dz) < "));
  TRY(append_i64(out, q->every_ns));
  TRY(bytebuf_append_str(out, " THEN dz ELSE 0 END"));
  if (shift) {
    TRY(bytebuf_append_str(out, " + "));
    TRY(append_i64(out, shift));
  }
  return bytebuf_append_str(out, ", 'Timestamp(Nanosecond, None)')");
}

/* In UTC the grid is the epoch plus the offset: date_bin from that origin. */
static int utc_window(bytebuf *out, const series_query *q) {
  int64_t origin = q->offset_ns % q->every_ns;
  if (origin < 0) origin += q->every_ns;
  TRY(bytebuf_append_str(out, "date_bin(INTERVAL '"));
  TRY(append_i64(out, q->every_ns));
  TRY(bytebuf_append_str(out, " nanoseconds', t, "));
  TRY(time_literal(out, origin));
  return bytebuf_append_str(out, ")");
}

/* SELECT <window start> AS "time", g1 AS "tag", ..., <agg>(v1) AS "field", ...
 * FROM (<levels>) GROUP BY 1, 2, ... ORDER BY 2, ..., 1
 * Each row is stamped with the start of its window, as InfluxQL does (a window cut by the start
 * of the range is still stamped with its own start). Only windows with data come back: empty
 * windows are added by the caller, as for Flux. Positions, not names, in GROUP BY and ORDER BY:
 * an output name may equal an internal one. */
static int windows_query(bytebuf *out, const series_query *q) {
  TRY(bytebuf_append_str(out, "SELECT "));
  TRY(q->tz != NULL ? zoned_window(out, q) : utc_window(out, q));
  TRY(bytebuf_append_str(out, " AS \"time\""));
  for (size_t i = 0; i < q->ngroup; i++) {
    TRY(bytebuf_append_str(out, ", "));
    TRY(internal(out, 'g', i));
    TRY(bytebuf_append_str(out, " AS "));
    TRY(ident_z(out, q->group_by[i]));
  }
  for (size_t i = 0; i < q->nfields; i++) {
    TRY(bytebuf_append_str(out, ", "));
    int st = aggregate_expr(out, q, i);
    if (st != 0) return st;
    TRY(bytebuf_append_str(out, " AS "));
    TRY(ident_z(out, q->fields[i]));
  }
  TRY(bytebuf_append_str(out, " FROM ("));
  TRY(q->tz != NULL ? zoned_levels(out, q) : source_level(out, q, 0));
  TRY(bytebuf_append_str(out, ") AS w GROUP BY 1"));
  for (size_t i = 0; i < q->ngroup; i++) {
    TRY(bytebuf_append_str(out, ", "));
    TRY(append_i64(out, (int64_t) i + 2));
  }
  TRY(bytebuf_append_str(out, " ORDER BY "));
  for (size_t i = 0; i < q->ngroup; i++) {
    TRY(append_i64(out, (int64_t) i + 2));
    TRY(bytebuf_append_str(out, ", "));
  }
  return bytebuf_append_str(out, "1");
}

/* The answer has the columns time, the group_by tags in their order, the fields in their order,
 * under the names asked for, sorted by tags then time. time is a Timestamp(ns) without zone (UTC):
 * the point's time, or its window's start. Aggregates keep the field's type, except mean, median
 * and stddev (double) and count (int64). Only windows with data come back. */
int sql_series_query(bytebuf *out, const series_query *q) {
  if (q->nfields == 0 || q->measurement == NULL) return SQ_INVALID;
  if (q->aggregate < AGG_NONE || q->aggregate > AGG_STDDEV) return SQ_INVALID;
  if (q->aggregate != AGG_NONE && q->every_ns <= 0) return SQ_INVALID;
  if (q->tz != NULL && !zone_name_ok(q->tz)) return SQ_INVALID;
  for (size_t i = 0; i < q->nwhere; i++)
    if (q->where[i].nvalues == 0) return SQ_INVALID;
  return q->aggregate == AGG_NONE ? points_query(out, q) : windows_query(out, q);
}
