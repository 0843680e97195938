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
reps <- as.integer(Sys.getenv("BENCH_REPS", "3"))
rows <- as.integer(Sys.getenv("BENCH_ROWS", "1000000"))
url <- Sys.getenv("INFLUXTK_V1_6_7_URL")
if (!nzchar(url)) stop("no server: run this through `make bench`")
http <- influxdbtoolkit:::influx_http
admin <- influx_connect(url, username = Sys.getenv("INFLUXTK_ADMIN_USER"),
                        password = Sys.getenv("INFLUXTK_ADMIN_PASSWORD"), database = "influxtk_bench",
                        writable = TRUE)

load_data <- function() {
  influx_query(admin, "CREATE DATABASE influxtk_bench")
  have <- influx_query(admin, "SELECT count(temperature) FROM bench")
  if (nrow(have) == 1 && have$count == rows) return(invisible())
  cat(sprintf("loading %d rows ...\n", rows))
  series <- 100L
  per <- rows %/% series
  i <- rep(seq_len(per) - 1L, times = series)
  s <- rep(seq_len(series) - 1L, each = per)
  t0 <- 1704067200 # 2024-01-01
  started <- Sys.time()
  batch <- 100000L
  for (from in seq(1L, length(i), by = batch)) {
    k <- from:min(from + batch - 1L, length(i))
    lines <- sprintf("bench,building=b%d,room=r%02d temperature=%.3f,humidity=%.2f,co2=%.1f %d",
                     s[k] %/% 20L, s[k] %% 20L, 20 + sin(i[k] / 100), 40 + cos(i[k] / 50) * 5,
                     400 + (i[k] %% 600), t0 + i[k] * 10L)
    http(admin, "POST", "/write", query = c(db = "influxtk_bench", precision = "s"),
         body = charToRaw(paste(lines, collapse = "\n")), sink = "none")
  }
  cat(sprintf("loaded in %.1f s\n", as.numeric(Sys.time() - started, units = "secs")))
}
load_data()

con <- influx_connect(url, username = Sys.getenv("INFLUXTK_ADMIN_USER"),
                      password = Sys.getenv("INFLUXTK_ADMIN_PASSWORD"), database = "influxtk_bench")
query <- "SELECT * FROM bench"
chunk <- as.character(getOption("influxdbtoolkit.chunk_size", 10000L))

median_time <- function(f) {
  times <- vapply(seq_len(reps), function(r) { gc(); system.time(f())[["elapsed"]] }, 0)
  median(times)
}

# Peak resident memory during f(), above what the process held before (Linux).
peak_rss <- function(f) {
  status <- function(key) {
    line <- grep(paste0("^", key, ":"), readLines("/proc/self/status"), value = TRUE)
    as.numeric(sub("^[^0-9]*([0-9]+).*$", "\\1", line)) * 1024
  }
  gc()
  before <- status("VmRSS")
  cleared <- tryCatch({ cat("5", file = "/proc/self/clear_refs"); TRUE }, error = function(e) FALSE)
  result <- f()
  list(peak = if (cleared) status("VmHWM") - before else NA_real_, result = result)
}

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
