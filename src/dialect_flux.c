#include "dialect_flux.h"
#include "series_query.h"
#include "timeparse.h"

#include <ctype.h>
#include <stdint.h>
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

/* ---- time-series queries ------------------------------------------------------------------- */

#define TRY(x) do { if ((x) != 0) return SQ_NOMEM; } while (0)
#define HOUR_NS 3600000000000LL

/* aggregateWindow's fn for each aggregate; median is the exact one, as InfluxQL's. */
static const char *const flux_aggregate_fns[] = {
  "", "mean", "(column, tables=<-) => tables |> toFloat() |> median(column: column, method: \"exact_mean\")",
  "min", "max", "sum", "count", "first", "last", "spread", "stddev"};

static int flux_str_z(bytebuf *out, const char *s) { return flux_quote_string(out, s, strlen(s)); }

static int flux_time_literal(bytebuf *out, int64_t ns) {
  char text[RFC3339_BUF];
  format_rfc3339_ns(ns, text);
  return bytebuf_append_str(out, text);
}

static int flux_column_list(bytebuf *out, const char *const *fixed, size_t nfixed,
                            const char *const *tags, size_t ntags) {
  TRY(bytebuf_append_str(out, "["));
  for (size_t i = 0; i < nfixed + ntags; i++) {
    if (i) TRY(bytebuf_append_str(out, ", "));
    TRY(flux_str_z(out, i < nfixed ? fixed[i] : tags[i - nfixed]));
  }
  return bytebuf_append_str(out, "]");
}

/* from |> range |> filter(measurement, fields) |> filter(tags) [|> filter(_time)]
 * |> group(_field, tags) [|> aggregateWindow(...)] |> keep(_time, _field, _value, tags)
 * [|> set(_measurement: into) |> to(bucket)]   (downsampling; a task also gets option task and a
 * range relative to now())
 *
 * aggregateWindow truncates the first window at range start, so the range starts where the
 * first window starts and a separate filter drops what lies before the data start: window times
 * then match InfluxQL's, which stamps every window with its aligned start. */
int flux_series_query(bytebuf *out, const series_query *q) {
  if (q->nfields == 0 || q->measurement == NULL || q->bucket == NULL) return SQ_INVALID;
  if (q->aggregate < AGG_NONE || q->aggregate > AGG_STDDEV) return SQ_INVALID;
  if (q->aggregate != AGG_NONE && q->every_ns <= 0) return SQ_INVALID;
  int windowed = q->aggregate != AGG_NONE;
  int relative = q->lookback_ns > 0; /* a task: the range ends at the run's now() */
  if (relative && !windowed) return SQ_INVALID;
  if (q->task_name != NULL && (!relative || q->task_every_ns <= 0)) return SQ_INVALID;
  int64_t range_start = windowed ? q->window_start_ns : q->data_start_ns;
  if (relative) TRY(bytebuf_append_str(out, "import \"date\"\n"));
  if (windowed && q->tz != NULL && q->every_ns > HOUR_NS) TRY(bytebuf_append_str(out, "import \"timezone\"\n"));
  if (relative || (windowed && q->tz != NULL && q->every_ns > HOUR_NS)) TRY(bytebuf_append_str(out, "\n"));
  if (q->task_name != NULL) {
    char every[32], offset[32];
    format_duration_literal(q->task_every_ns, 1, every);
    format_duration_literal(q->task_offset_ns, 1, offset);
    TRY(bytebuf_append_str(out, "option task = {name: "));
    TRY(flux_str_z(out, q->task_name));
    TRY(bytebuf_append_str(out, ", every: "));
    TRY(bytebuf_append_str(out, every));
    TRY(bytebuf_append_str(out, ", offset: "));
    TRY(bytebuf_append_str(out, offset));
    TRY(bytebuf_append_str(out, "}\n\n"));
  }
  TRY(bytebuf_append_str(out, "from(bucket: "));
  TRY(flux_str_z(out, q->bucket));
  TRY(bytebuf_append_str(out, ")\n  |> range(start: "));
  if (relative) {
    char lookback[32];
    format_duration_literal(q->lookback_ns, 1, lookback);
    TRY(bytebuf_append_str(out, "-"));
    TRY(bytebuf_append_str(out, lookback));
  } else {
    TRY(flux_time_literal(out, range_start));
    TRY(bytebuf_append_str(out, ", stop: "));
    TRY(flux_time_literal(out, q->stop_ns));
  }
  TRY(bytebuf_append_str(out, ")\n  |> filter(fn: (r) => r._measurement == "));
  TRY(flux_str_z(out, q->measurement));
  TRY(bytebuf_append_str(out, " and ("));
  for (size_t i = 0; i < q->nfields; i++) {
    if (i) TRY(bytebuf_append_str(out, " or "));
    TRY(bytebuf_append_str(out, "r._field == "));
    TRY(flux_str_z(out, q->fields[i]));
  }
  TRY(bytebuf_append_str(out, "))\n"));
  if (q->nwhere) {
    TRY(bytebuf_append_str(out, "  |> filter(fn: (r) => "));
    for (size_t i = 0; i < q->nwhere; i++) {
      const tag_filter *f = &q->where[i];
      if (f->nvalues == 0) return SQ_INVALID;
      if (i) TRY(bytebuf_append_str(out, " and "));
      TRY(bytebuf_append_str(out, "("));
      for (size_t j = 0; j < f->nvalues; j++) {
        if (j) TRY(bytebuf_append_str(out, " or "));
        TRY(bytebuf_append_str(out, "r["));
        TRY(flux_str_z(out, f->key));
        TRY(bytebuf_append_str(out, "] == "));
        TRY(flux_str_z(out, f->values[j]));
      }
      TRY(bytebuf_append_str(out, ")"));
    }
    TRY(bytebuf_append_str(out, ")\n"));
  }
  if (!relative && range_start < q->data_start_ns) {
    TRY(bytebuf_append_str(out, "  |> filter(fn: (r) => r._time >= "));
    TRY(flux_time_literal(out, q->data_start_ns));
    TRY(bytebuf_append_str(out, ")\n"));
  }
  static const char *const group_fixed[] = {"_field"};
  TRY(bytebuf_append_str(out, "  |> group(columns: "));
  TRY(flux_column_list(out, group_fixed, 1, q->group_by, q->ngroup));
  TRY(bytebuf_append_str(out, ")\n"));
  /* first and last take the first and last row of each window as it comes, and group() has put
   * the rows of the merged series one series after the other */
  if (q->aggregate == AGG_FIRST || q->aggregate == AGG_LAST)
    TRY(bytebuf_append_str(out, "  |> sort(columns: [\"_time\"])\n"));
  if (windowed) {
    /* Flux 0.19x windows in a location go wrong when a DST change is not shorter than the window
     * (an extra window spanning the whole range appears). Windows of an hour or less do not
     * follow DST changes anyway (InfluxQL neither): they are the UTC grid shifted by the zone's
     * offset, which is what an offset without a location gives. */
    int located = q->tz != NULL && q->every_ns > HOUR_NS;
    int64_t shift = q->offset_ns;
    if (q->tz != NULL && !located) {
      shift = (q->offset_ns - q->zone_offset_ns) % q->every_ns;
      if (shift < 0) shift += q->every_ns;
    }
    char every[32], offset[32];
    format_duration_literal(q->every_ns, 1, every);
    format_duration_literal(shift, 1, offset);
    TRY(bytebuf_append_str(out, "  |> aggregateWindow(every: "));
    TRY(bytebuf_append_str(out, every));
    TRY(bytebuf_append_str(out, ", offset: "));
    TRY(bytebuf_append_str(out, offset));
    TRY(bytebuf_append_str(out, ", fn: "));
    TRY(bytebuf_append_str(out, flux_aggregate_fns[q->aggregate]));
    TRY(bytebuf_append_str(out, q->create_empty ? ", createEmpty: true" : ", createEmpty: false"));
    TRY(bytebuf_append_str(out, ", timeSrc: \"_start\""));
    if (located) {
      TRY(bytebuf_append_str(out, ", location: timezone.location(name: "));
      TRY(flux_str_z(out, q->tz));
      TRY(bytebuf_append_str(out, ")"));
    }
    TRY(bytebuf_append_str(out, ")\n"));
    if (relative) {
      /* Only complete windows: the range start cuts the first window (stamped with the range
       * start by timeSrc "_start"), the run's now() the last one. */
      TRY(bytebuf_append_str(out, "  |> filter(fn: (r) => r._time > r._start and date.add(d: "));
      TRY(bytebuf_append_str(out, every));
      TRY(bytebuf_append_str(out, ", to: r._time) <= r._stop)\n"));
    }
  }
  static const char *const keep_fixed[] = {"_time", "_field", "_value"};
  TRY(bytebuf_append_str(out, "  |> keep(columns: "));
  TRY(flux_column_list(out, keep_fixed, 3, q->group_by, q->ngroup));
  TRY(bytebuf_append_str(out, ")\n"));
  if (q->into != NULL) {
    if (!windowed) return SQ_INVALID;
    TRY(bytebuf_append_str(out, "  |> set(key: \"_measurement\", value: "));
    TRY(flux_str_z(out, q->into));
    TRY(bytebuf_append_str(out, ")\n  |> to(bucket: "));
    TRY(flux_str_z(out, q->into_bucket != NULL ? q->into_bucket : q->bucket));
    TRY(bytebuf_append_str(out, ")\n"));
  }
  return SQ_OK;
}
