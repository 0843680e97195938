# The Python peers against influxdbtoolkit and the curl command-line tool, in one run, on the
# servers `make bench` starts (InfluxDB 1.6.7 and 2.7.12), for the comparison matrix in
# vignettes/design.Rmd. Three workloads, 200,000 rows each (BENCH_PEER_ROWS):
#   1.x query   SELECT * of 200,000 rows x (time, 2 tags, 3 floats), the first 2,000 points of
#               each of the 100 series of bench/common.R's data set (database influxtk_bench)
#                 influx_query()  |  curl (MessagePack chunked, as influx_query asks; JSON)  |
#                 Python influxdb 5.3.2 DataFrameClient.query (MessagePack, unchunked)
#   2.x query   Flux, 200,000 rows of one field, the same points in bucket influxtk_test
#                 influx_query()  |  curl (annotated CSV)  |  influxdb-client 1.50.0 query_data_frame
#   2.x write   a 200,000-row data frame (2 tags, 3 floats) into bucket influxtk_test
#                 influx_write() (batches of 5000, gzip: its defaults)  |  curl: one POST of the
#                 line protocol built beforehand  |  influxdb-client write_api (SYNCHRONOUS), DataFrame
# The Python side runs bench/peers.py in a virtual environment it creates once under
# ~/.cache/influxdbtoolkit/venv-peers from PyPI. Each figure is the median of BENCH_REPS runs
# (default 3) of the call that returns or writes the data frame; ratios are to influxdbtoolkit.
# Run it with the servers up: eval "$(tools/test-servers.sh env)"; R_LIBS=.lib Rscript bench/peers-python.R
suppressPackageStartupMessages(library(influxdbtoolkit))
source("bench/common.R")
# The 1-minute load average: the figures mean more when nothing else ran (Linux).
load_average <- function() {
  if (!file.exists("/proc/loadavg")) return(NA_real_)
  as.numeric(strsplit(readLines("/proc/loadavg"), " ", fixed = TRUE)[[1]][1])
}
load_at_start <- load_average()
peer_rows <- as.integer(Sys.getenv("BENCH_PEER_ROWS", "200000"))
url2 <- Sys.getenv("INFLUXTK_V2_7_12_URL")
if (!nzchar(url2)) stop("no 2.x server: run this with the servers of `make bench` up")
if (!nzchar(Sys.which("curl"))) stop("the curl command-line tool is needed for the baseline")

# --- the Python environment ------------------------------------------------------------------
venv <- path.expand("~/.cache/influxdbtoolkit/venv-peers")
python <- file.path(venv, "bin", "python")
python_packages <- c("influxdb==5.3.2", "influxdb-client==1.50.0", "pandas")
# Runs a Python program without R's LD_LIBRARY_PATH: with it, a Python built elsewhere (pyenv) can
# load the system's libpython of another patch level and fail on import (undefined symbols).
run_python <- function(command, args, ...) {
  saved <- Sys.getenv("LD_LIBRARY_PATH", unset = NA)
  Sys.unsetenv("LD_LIBRARY_PATH")
  on.exit(if (!is.na(saved)) Sys.setenv(LD_LIBRARY_PATH = saved))
  system2(command, args, ...)
}
if (!file.exists(python)) {
  cat("creating", venv, "from PyPI ...\n")
  if (run_python(Sys.which("python3"), c("-m", "venv", shQuote(venv))) != 0 ||
      run_python(python, c("-m", "pip", "install", "-q", python_packages)) != 0) {
    unlink(venv, recursive = TRUE)
    stop("could not create the Python environment")
  }
}

# Runs one workload of bench/peers.py with `settings` as PEERS_* environment variables (set in
# this process and inherited, so secrets never appear on a command line).
run_peer <- function(workload, settings) {
  names(settings) <- paste0("PEERS_", names(settings))
  do.call(Sys.setenv, as.list(settings))
  on.exit(Sys.unsetenv(names(settings)))
  out <- run_python(python, c("bench/peers.py", workload, reps), stdout = TRUE)
  if (!is.null(attr(out, "status"))) stop(sprintf("bench/peers.py %s failed", workload))
  fields <- strsplit(out, "\t", fixed = TRUE)
  value <- setNames(vapply(fields, `[`, "", 2), vapply(fields, `[`, "", 1))
  seconds <- as.numeric(strsplit(value[["seconds"]], " ", fixed = TRUE)[[1]])
  list(label = sprintf("Python %s + pandas %s", value[["library"]], value[["pandas"]]),
       seconds = median(seconds), rows = as.integer(value[["rows"]]))
}

# --- the curl baseline -------------------------------------------------------------------------
# Credentials go to curl through config files (-K), not its command line: basic auth for 1.x,
# the token for 2.x (an Authorization header would override the basic one). They live in R's
# temporary directory, which R removes when it exits, also after an error.
curl_config <- function(line) {
  path <- tempfile("curl-", fileext = ".cfg")
  writeLines(line, path)
  Sys.chmod(path, "600")
  path
}
curl_v1 <- curl_config(sprintf('user = "%s:%s"', Sys.getenv("INFLUXTK_ADMIN_USER"), Sys.getenv("INFLUXTK_ADMIN_PASSWORD")))
curl_v2 <- curl_config(sprintf('header = "Authorization: Token %s"', Sys.getenv("INFLUXTK_ADMIN_TOKEN")))
# Median seconds of `curl args` (the body is discarded) and the bytes it received.
curl_time <- function(config, args) {
  bytes <- NA_real_
  seconds <- median_time(function() {
    out <- system2("curl", c("-sS", "--fail", "-K", config, "-o", "/dev/null", "-w", "%{size_download}",
                             shQuote(args)), stdout = TRUE)
    if (!is.null(attr(out, "status"))) stop("curl failed: ", paste(out, collapse = " "))
    bytes <<- as.numeric(out)
  })
  list(seconds = seconds, mb = bytes / 1e6)
}

# --- the data -------------------------------------------------------------------------------------
stop_at <- format(as.POSIXct(1704067200 + (peer_rows %/% 100L) * 10, origin = "1970-01-01", tz = "UTC"),
                  "%Y-%m-%dT%H:%M:%SZ")
admin1 <- bench_connect(writable = TRUE)
in_range <- sprintf("time >= '2024-01-01T00:00:00Z' AND time < '%s'", stop_at)
have1 <- tryCatch(influx_query(admin1, paste("SELECT count(temperature) FROM bench WHERE", in_range)),
                  influx_error = function(e) NULL)
if (is.null(have1) || nrow(have1) != 1 || have1$count != peer_rows) load_data(admin1, peer_rows)

admin2 <- influx_connect(url2, token = Sys.getenv("INFLUXTK_ADMIN_TOKEN"), org = Sys.getenv("INFLUXTK_ORG"),
                         bucket = "influxtk_test", writable = TRUE)
flux_range <- sprintf('from(bucket: "influxtk_test") |> range(start: 2024-01-01T00:00:00Z, stop: %s)', stop_at)
flux_count <- function(measurement) {
  df <- influx_query(admin2, sprintf('%s |> filter(fn: (r) => r._measurement == "%s" and r._field == "temperature") |> group() |> count()',
                                     flux_range, measurement))
  if (nrow(df) == 1) df[["_value"]] else 0
}
frame <- bench_points(peer_rows)
if (flux_count("bench") != peer_rows) {
  cat(sprintf("writing %d rows into influxtk_test/bench ...\n", peer_rows))
  influx_write(admin2, frame, "bench", tags = c("building", "room"), precision = "s", batch_size = 50000)
}

# --- 1.x query --------------------------------------------------------------------------------------
reader1 <- bench_connect()
query1 <- paste("SELECT * FROM bench WHERE", in_range)
df1 <- influx_query(reader1, query1)
stopifnot(nrow(df1) == peer_rows, ncol(df1) == 6)
ours1 <- median_time(function() influx_query(reader1, query1))
chunk <- as.character(getOption("influxdbtoolkit.chunk_size", 10000L))
curl1 <- function(accept, chunked) {
  params <- c(db = "influxtk_bench", q = query1)
  if (chunked) params <- c(params, chunked = "true", chunk_size = chunk)
  curl_time(curl_v1, c("-G", paste0(bench_url, "/query"), "-H", paste("Accept:", accept),
              as.vector(rbind("--data-urlencode", paste0(names(params), "=", params)))))
}
curl1_msgpack <- curl1("application/x-msgpack", TRUE)
curl1_json <- curl1("application/json", FALSE)
py1 <- run_peer("v1-query", c(HOST = sub("^https?://([^:/]+).*$", "\\1", bench_url),
                              PORT = sub("^.*:([0-9]+)/?$", "\\1", bench_url),
                              USER = Sys.getenv("INFLUXTK_ADMIN_USER"), PASSWORD = Sys.getenv("INFLUXTK_ADMIN_PASSWORD"),
                              DATABASE = "influxtk_bench", QUERY = query1))
stopifnot(py1$rows == peer_rows)

# --- 2.x Flux query ---------------------------------------------------------------------------------
reader2 <- influx_connect(url2, token = Sys.getenv("INFLUXTK_ADMIN_TOKEN"), org = Sys.getenv("INFLUXTK_ORG"))
flux <- paste(flux_range, '|> filter(fn: (r) => r._measurement == "bench" and r._field == "temperature")')
df2 <- influx_query(reader2, flux)
stopifnot(nrow(df2) == peer_rows)
ours2 <- median_time(function() influx_query(reader2, flux))
flux_body <- tempfile("flux-", fileext = ".json")
writeLines(paste0('{"query":', .Call(influxdbtoolkit:::C_json_quote, flux), ',"type":"flux",',
                  '"dialect":{"header":true,"delimiter":",","annotations":["datatype","group","default"]}}'),
           flux_body)
curl2 <- curl_time(curl_v2, c("-X", "POST", paste0(url2, "/api/v2/query?org=", utils::URLencode(reader2$org, reserved = TRUE)),
                     "-H", "Content-Type: application/json", "-H", "Accept: application/csv",
                     "--data-binary", paste0("@", flux_body)))
py2 <- run_peer("v2-query", c(URL = url2, TOKEN = Sys.getenv("INFLUXTK_ADMIN_TOKEN"), ORG = reader2$org, QUERY = flux))
stopifnot(py2$rows == peer_rows)

# --- 2.x write ---------------------------------------------------------------------------------------
ours3 <- median_time(function() influx_write(admin2, frame, "peers_w_ours", tags = c("building", "room")))
lines_file <- tempfile("lines-", fileext = ".txt")
writeLines(influx_write(admin2, frame, "peers_w_curl", tags = c("building", "room"), dry_run = TRUE), lines_file)
curl3 <- curl_time(curl_v2, c("-X", "POST", paste0(url2, "/api/v2/write?org=", utils::URLencode(admin2$org, reserved = TRUE),
                                         "&bucket=influxtk_test&precision=ns"),
                     "-H", "Content-Type: text/plain; charset=utf-8", "--data-binary", paste0("@", lines_file)))
csv_file <- tempfile("frame-", fileext = ".csv")
utils::write.csv(transform(frame, time = as.numeric(time)), csv_file, row.names = FALSE)
py3 <- run_peer("v2-write", c(URL = url2, TOKEN = Sys.getenv("INFLUXTK_ADMIN_TOKEN"), ORG = admin2$org,
                              BUCKET = "influxtk_test", MEASUREMENT = "peers_w_python", CSV = csv_file))
for (m in c("peers_w_ours", "peers_w_curl", "peers_w_python")) {
  if (flux_count(m) != peer_rows) stop(sprintf("%s holds %d points, not %d", m, flux_count(m), peer_rows))
}
unlink(c(flux_body, lines_file, csv_file, curl_v1, curl_v2))

# --- the report -------------------------------------------------------------------------------------
row <- function(label, seconds, ours) cat(sprintf("  %-66s %6.2f s  %5.2fx\n", label, seconds, seconds / ours))
cat(sprintf("\n%s, %s, %d cores, load average %.1f at the start and %.1f at the end\n",
            format(Sys.time(), "%Y-%m-%d %H:%M UTC", tz = "UTC"), R.version.string, parallel::detectCores(),
            load_at_start, load_average()))
cat(sprintf("%d rows per workload, median of %d runs; ratio = time / influxdbtoolkit's in this run\n", peer_rows, reps))
cat(sprintf("\n1.x query (InfluxDB %s): %d rows x %d columns\n", reader1$server_version, nrow(df1), ncol(df1)))
row("influxdbtoolkit influx_query (MessagePack, chunked)", ours1, ours1)
row(sprintf("curl CLI, MessagePack chunked (%.1f MB)", curl1_msgpack$mb), curl1_msgpack$seconds, ours1)
row(sprintf("curl CLI, JSON (%.1f MB)", curl1_json$mb), curl1_json$seconds, ours1)
row(paste(py1$label, "DataFrameClient.query"), py1$seconds, ours1)
cat(sprintf("\n2.x Flux query (InfluxDB %s): %d rows, one field\n", reader2$server_version, nrow(df2)))
row("influxdbtoolkit influx_query (annotated CSV)", ours2, ours2)
row(sprintf("curl CLI, annotated CSV (%.1f MB)", curl2$mb), curl2$seconds, ours2)
row(paste(py2$label, "query_data_frame"), py2$seconds, ours2)
cat(sprintf("\n2.x write (InfluxDB %s): a %d-row data frame, 2 tags + 3 floats\n", admin2$server_version, nrow(frame)))
row("influxdbtoolkit influx_write (batches of 5000, gzip)", ours3, ours3)
row("curl CLI, one POST of the line protocol built beforehand", curl3$seconds, ours3)
row(paste(py3$label, "write (SYNCHRONOUS)"), py3$seconds, ours3)
