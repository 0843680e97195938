# Query benchmark on the local InfluxDB 1.x that `make bench` starts.
#
# Loads 1,000,000 rows (3 float fields, 2 tags: 100 series of 10,000 points) once, then compares,
# in the same run and on the same server:
#   influx_query()                 request + streaming MessagePack decode into a data.frame
#   libcurl download (baseline)    the identical request, body bytes collected in memory only
#   jsonlite::fromJSON             parsing the JSON body of the same query (second baseline)
# and reports the peak memory of influx_query() against object.size() of its result.
# Each timing is the median of REPS runs (default 3; env BENCH_REPS).
suppressPackageStartupMessages(library(influxdbtoolkit))
source("bench/common.R")
admin <- bench_connect(writable = TRUE)
load_data(admin, rows)

con <- bench_connect()
query <- "SELECT * FROM bench"
chunk <- as.character(getOption("influxdbtoolkit.chunk_size", 10000L))

download <- function(accept, chunked = TRUE) {
  params <- c(db = "influxtk_bench", q = query)
  if (chunked) params <- c(params, chunked = "true", chunk_size = chunk)
  http(con, "GET", "/query", query = params, headers = paste("Accept:", accept), sink = "raw")$body
}

ours <- function() influx_query(con, query)
mem <- peak_rss(ours)
df <- mem$result
stopifnot(nrow(df) == rows, identical(names(df), c("time", "building", "co2", "humidity", "room", "temperature")))
body <- download("application/x-msgpack")

t_ours <- median_time(ours)
t_curl <- median_time(function() download("application/x-msgpack"))
json <- download("application/json", chunked = FALSE)
t_curl_json <- median_time(function() download("application/json", chunked = FALSE))
have_jsonlite <- requireNamespace("jsonlite", quietly = TRUE)
t_jsonlite <- if (have_jsonlite) median_time(function() jsonlite::fromJSON(rawToChar(json))) else NA

size <- as.numeric(object.size(df))
cat("\n")
cat(sprintf("InfluxDB %s, %d rows x %d columns, median of %d runs\n", con$server_version, nrow(df), ncol(df), reps))
cat(sprintf("%-46s %8.2f s\n", "influx_query (MessagePack, decoded streaming)", t_ours))
cat(sprintf("%-46s %8.2f s   (%.1f MB)\n", "libcurl download of the same bytes", t_curl, length(body) / 1e6))
cat(sprintf("%-46s %8.2f s   (%.1f MB)\n", "libcurl download of the JSON body", t_curl_json, length(json) / 1e6))
cat(sprintf("%-46s %8.2f s\n", "jsonlite::fromJSON on the JSON body (parse only)", t_jsonlite))
cat(sprintf("ratio influx_query / plain download:     %.2f   (target <= 1.3)\n", t_ours / t_curl))
cat(sprintf("ratio (JSON download + fromJSON) / ours: %.1f\n", (t_curl_json + t_jsonlite) / t_ours))
cat(sprintf("peak memory of influx_query: %.0f MB for a result of %.0f MB (object.size): %.2fx\n",
            mem$peak / 1e6, size / 1e6, mem$peak / size))
