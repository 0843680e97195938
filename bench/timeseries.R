# influx_timeseries() against influx_query() with the very same InfluxQL, on the data set of
# bench/query-v1.R (1M rows, 100 series), on the local InfluxDB 1.x that `make bench` starts:
# what the question layer costs (validation, query text, chunking, joining, sorting), and what a
# chunked read holds in memory against the size of its result.
suppressPackageStartupMessages(library(influxdbtoolkit))
source("bench/common.R")
admin <- bench_connect(writable = TRUE)
load_data(admin, rows)
con <- bench_connect(tz = "UTC")
start <- as.POSIXct("2024-01-01", tz = "UTC")
end <- start + rows / 100 * 10
fields <- c("co2", "humidity", "temperature")

cases <- list(
  list(name = "points, 1 request", aggregate = NULL, every = NULL, opts = list()),
  list(name = "points, 10 chunks", aggregate = NULL, every = NULL,
       opts = list(influxdbtoolkit.chunk_seconds = as.numeric(end - start, units = "secs") / 10)),
  list(name = "mean per minute, 1 request", aggregate = "mean", every = "1m", opts = list()),
  list(name = "mean per minute, 17 chunks", aggregate = "mean", every = "1m",
       opts = list(influxdbtoolkit.chunk_windows = 100L))
)
cat(sprintf("InfluxDB %s, %d rows in 100 series, median of %d runs\n\n", con$server_version, rows, reps))
cat(sprintf("%-30s %10s %10s %8s %14s %9s\n", "case", "timeseries", "query", "ratio", "peak/result", "rows"))
for (case in cases) {
  old <- options(case$opts)
  ts <- function() influx_timeseries(con, "bench", fields, start = start, end = end, aggregate = case$aggregate,
                                     every = case$every, group_by = c("building", "room"))
  first <- ts()
  texts <- attr(first, "queries")
  # the baseline runs the same statements through influx_query() and stacks them the plain way
  plain <- function() do.call(rbind, lapply(texts, function(q) influx_query(con, q)))
  stopifnot(nrow(plain()) == nrow(first))
  t_ts <- median_time(ts)
  t_plain <- median_time(plain)
  mem <- peak_rss(ts)
  size <- as.numeric(object.size(mem$result))
  cat(sprintf("%-30s %9.2fs %9.2fs %8.2f %13.2fx %9d\n", case$name, t_ts, t_plain, t_ts / t_plain,
              mem$peak / size, nrow(first)))
  options(old)
}
