# Concurrent reads: influx_timeseries() of a 1,000,000-point range (100 series x 10,000 points,
# 3 float fields, BENCH_ROWS) cut into BENCH_CHUNKS chunks (20), fetched one after another
# (concurrency 1) and with 2, 4 and 8 requests in flight, on 1.x (InfluxQL) and 2.x (InfluxQL
# and Flux). First on loopback, then through tools/latency-proxy.py, which delivers every byte
# BENCH_LATENCY ms later in each direction (default "20 50": round trips of 40 and 100 ms; the
# kernel here has no netem qdisc). The proxy listens on 127.0.0.1 only and is started and
# stopped here. Prints the median of BENCH_REPS runs (3) and the ratio sequential / concurrent;
# every concurrent result is checked identical() to the sequential one.
# The data set goes to its own database and bucket, influxtk_read_bench, loaded once.
suppressPackageStartupMessages(library(influxdbtoolkit))
source("bench/common.R")

chunks <- as.integer(Sys.getenv("BENCH_CHUNKS", "20"))
latencies <- as.numeric(strsplit(Sys.getenv("BENCH_LATENCY", "20 50"), " +")[[1]])
concurrencies <- c(2L, 4L, 8L)
db <- "influxtk_read_bench"
v1_url <- Sys.getenv("BENCH_V1_URL", Sys.getenv("INFLUXTK_V1_8_10_URL"))
v2_url <- Sys.getenv("INFLUXTK_V2_7_12_URL")
if (!nzchar(v1_url) || !nzchar(v2_url)) stop("no 1.x or 2.x server: run this through `make bench`")

connect_to <- function(url, generation, writable = FALSE) {
  if (generation == "v2") {
    influx_connect(url, token = Sys.getenv("INFLUXTK_ADMIN_TOKEN"), org = Sys.getenv("INFLUXTK_ORG"),
                   bucket = db, database = db, writable = writable, tz = "UTC")
  } else {
    influx_connect(url, username = Sys.getenv("INFLUXTK_ADMIN_USER"), password = Sys.getenv("INFLUXTK_ADMIN_PASSWORD"),
                   database = db, writable = writable, tz = "UTC")
  }
}

load_once <- function(url, generation) {
  admin <- connect_to(url, generation, writable = TRUE)
  if (!db %in% influx_databases(admin)$name) {
    influx_create_database(admin, db)
    if (generation == "v2") influx_create_dbrp(admin, db)
  }
  have <- tryCatch(influx_query(admin, "SELECT count(temperature) FROM bench", language = "influxql"), influx_error = function(e) NULL)
  if (is.null(have) || nrow(have) != 1 || have$count != rows) {
    cat(sprintf("loading %d points into %s ...\n", rows, url))
    influx_write(admin, bench_points(rows), measurement = "bench", tags = c("building", "room"), precision = "s")
  }
  influx_disconnect(admin)
}

# The proxy to `port` with `ms` of one-way latency: list(url, stop()).
start_proxy <- function(port, ms) {
  portfile <- tempfile("proxyport")
  pid_file <- tempfile("proxypid")
  system2("sh", c("-c", shQuote(sprintf("python3 tools/latency-proxy.py 0 127.0.0.1 %d %g %s >/dev/null 2>&1 & echo $! > %s",
                                        port, ms, portfile, pid_file))))
  for (i in 1:100) if (file.exists(portfile)) break else Sys.sleep(0.05)
  if (!file.exists(portfile)) stop("the latency proxy did not start")
  pid <- as.integer(readLines(pid_file))
  list(url = sprintf("http://127.0.0.1:%s", readLines(portfile, warn = FALSE)), stop = function() tools::pskill(pid))
}

url_port <- function(url) as.integer(sub("^.*:([0-9]+)/?$", "\\1", url))

start <- as.POSIXct("2024-01-01", tz = "UTC")
end <- start + rows / 100 * 10
fields <- c("co2", "humidity", "temperature")
read <- function(con, language, concurrency) {
  influx_timeseries(con, "bench", fields, start = start, end = end, group_by = c("building", "room"),
                    language = language, progress = FALSE, concurrency = concurrency)
}

targets <- list(
  list(label = "1.x InfluxQL", url = v1_url, generation = "v1", language = "influxql"),
  list(label = "2.x InfluxQL", url = v2_url, generation = "v2", language = "influxql"),
  list(label = "2.x Flux", url = v2_url, generation = "v2", language = "flux")
)
load_once(v1_url, "v1")
load_once(v2_url, "v2")
old <- options(influxdbtoolkit.chunk_seconds = as.numeric(end - start, units = "secs") / chunks)

cat(sprintf("%d rows (100 series, 3 float fields), %d chunks, median of %d runs\n", rows, chunks, reps))
cat(sprintf("%-14s %-9s %8s %8s %8s %8s   %s\n", "server", "latency", "seq", "c=2", "c=4", "c=8",
            "ratio seq/c=2, 4, 8"))
for (ms in c(0, latencies)) {
  for (tg in targets) {
    proxy <- if (ms > 0) start_proxy(url_port(tg$url), ms)
    con <- connect_to(if (is.null(proxy)) tg$url else proxy$url, tg$generation)
    sequential <- read(con, tg$language, 1L)
    stopifnot(nrow(sequential) == rows, length(attr(sequential, "queries")) == chunks)
    times <- c(seq = median_time(function() read(con, tg$language, 1L)))
    for (k in concurrencies) {
      stopifnot(identical(read(con, tg$language, k), sequential))
      times[[paste0("c", k)]] <- median_time(function() read(con, tg$language, k))
    }
    influx_disconnect(con)
    if (!is.null(proxy)) proxy$stop()
    cat(sprintf("%-14s %-9s %7.2fs %7.2fs %7.2fs %7.2fs   %s\n", tg$label,
                if (ms > 0) sprintf("%g ms", ms) else "loopback", times[["seq"]], times[["c2"]], times[["c4"]],
                times[["c8"]], paste(sprintf("%.2f", times[["seq"]] / times[-1]), collapse = ", ")))
  }
}
options(old)
