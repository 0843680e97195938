# Peak memory of influx_query() against the size of what it returns, for every server generation:
#   1.x  SELECT * (MessagePack)            on the data set of bench/query-v1.R (InfluxDB 1.6.7)
#   2.x  Flux, long form (one field)       and Flux with pivot = TRUE (three fields), InfluxDB 2.7
#   3.x  SQL SELECT * (JSON lines)         when a 3.x server answers at INFLUXTK_V3_STANDIN_URL
# Each data set is 1,000,000 rows (BENCH_ROWS) of 100 series with 2 tags and 3 float fields,
# written once. The peak is the growth of the process's resident high-water mark (VmHWM, reset
# through /proc/self/clear_refs, Linux) over its resident size after gc(), during one call; the
# ratio is that peak over object.size() of the result. Every case runs once unmeasured first
# (BENCH_WARMUP=0: not), so one-time costs (namespaces, R's string cache) do not count.
# Target: ratio <= 1.5.
suppressPackageStartupMessages(library(influxdbtoolkit))
source("bench/common.R")
if (!isTRUE(tryCatch({ cat("5", file = "/proc/self/clear_refs"); TRUE }, error = function(e) FALSE))) {
  stop("the peak needs /proc/self/clear_refs (Linux) to reset the high-water mark")
}

t0 <- 1704067200 # 2024-01-01, as bench/common.R's load_data
series <- 100L
per <- rows %/% series

# Writes the points into `measurement` unless it already holds them all.
ensure_points <- function(con, measurement, count_query, database = NULL) {
  have <- tryCatch(count_query(), influx_error = function(e) NULL)
  if (!is.null(have) && nrow(have) == 1 && have[[ncol(have)]] == rows) return(invisible())
  cat(sprintf("writing %d rows into %s ...\n", rows, measurement))
  started <- Sys.time()
  influx_write(con, bench_points(rows), measurement = measurement, tags = c("building", "room"),
               precision = "s", database = database, batch_size = 50000)
  cat(sprintf("written in %.1f s\n", as.numeric(Sys.time() - started, units = "secs")))
}

warmup <- Sys.getenv("BENCH_WARMUP", "1") != "0"
results <- list()
measure <- function(label, f) {
  if (warmup) invisible(f())
  m <- peak_rss(f)
  size <- as.numeric(object.size(m$result))
  results[[length(results) + 1L]] <<- data.frame(case = label, rows = nrow(m$result), columns = ncol(m$result),
                                                 result_mb = size / 1e6, peak_mb = m$peak / 1e6,
                                                 ratio = m$peak / size)
  cat(sprintf("%-34s %8d x %d   result %6.1f MB   peak %6.1f MB   %.2fx\n", label, nrow(m$result),
              ncol(m$result), size / 1e6, m$peak / 1e6, m$peak / size))
  stopifnot(nrow(m$result) == rows)
}

# 1.x
admin <- bench_connect(writable = TRUE)
load_data(admin, rows)
v1 <- bench_connect()
cat(sprintf("\n%d rows per case; peak = growth of VmHWM during one influx_query() call\n\n", rows))
measure(sprintf("1.x %s SELECT *", v1$server_version), function() influx_query(v1, "SELECT * FROM bench"))

# 2.x
url2 <- Sys.getenv("INFLUXTK_V2_7_12_URL")
if (nzchar(url2)) {
  v2 <- influx_connect(url2, token = Sys.getenv("INFLUXTK_ADMIN_TOKEN"), org = Sys.getenv("INFLUXTK_ORG"),
                       bucket = "influxtk_test", writable = TRUE)
  stop_at <- format(as.POSIXct(t0 + per * 10, origin = "1970-01-01", tz = "UTC"), "%Y-%m-%dT%H:%M:%SZ")
  base <- sprintf('from(bucket: "influxtk_test") |> range(start: 2024-01-01T00:00:00Z, stop: %s) |> filter(fn: (r) => r._measurement == "membench")', stop_at)
  ensure_points(v2, "membench", function() {
    influx_query(v2, paste(base, '|> filter(fn: (r) => r._field == "temperature") |> group() |> count()'))
  })
  measure(sprintf("2.x %s Flux long (one field)", v2$server_version),
          function() influx_query(v2, paste(base, '|> filter(fn: (r) => r._field == "temperature")')))
  measure(sprintf("2.x %s Flux pivot = TRUE", v2$server_version),
          function() influx_query(v2, base, pivot = TRUE))
} else {
  cat("2.x skipped: no INFLUXTK_V2_7_12_URL\n")
}

# 3.x, when the package can connect to one
v3 <- tryCatch(influx_connect(Sys.getenv("INFLUXTK_V3_STANDIN_URL"), token = Sys.getenv("INFLUXTK_V3_STANDIN_TOKEN"),
                              database = "influxtk_bench", writable = TRUE),
               error = function(e) e)
if (!inherits(v3, "error")) {
  ensure_points(v3, "membench", function() influx_query(v3, "SELECT count(*) FROM membench"), database = "influxtk_bench")
  measure(sprintf("3.x %s SQL SELECT *", v3$server_version), function() influx_query(v3, "SELECT * FROM membench"))
} else {
  cat(sprintf("3.x skipped: no 3.x connection (%s)\n", conditionMessage(v3)))
}

all <- do.call(rbind, results)
cat(sprintf("\nworst ratio %.2f (%s); target <= 1.5\n", max(all$ratio), all$case[which.max(all$ratio)]))
