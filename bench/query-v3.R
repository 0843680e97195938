# JSON-lines benchmark (InfluxDB 3): decoding 1,000,000 rows in C as they arrive, against a plain
# libcurl download of the same bytes.
#
# A tiny server (Python's http.server handing a prepared file to the kernel with sendfile, so no
# Python runs per byte) answers /ping as a 3.x server and every query with the same JSONL body:
# 1,000,000 rows of time, room, sensor, temperature, humidity and co2 (about 110 MB). Measured in
# one run, BENCH_REPS times (default 5), download and decode taking turns so that a shared, loaded
# machine slows both alike; medians of the elapsed times, of the per-run ratios, and of the CPU
# time of this process (user + system: what a busy machine disturbs least):
#   download   the package's libcurl transfer of the body into a raw vector (sink = "raw")
#   curl CLI   `curl -s -o /dev/null`, for reference
#   decode     influx_query() on a 3.x connection when the 3.x backend exists; until then the
#              lowest entry that streams a live response into the decoder (influx_http with
#              sink = "jsonl"). The output says which path was measured.
# Target: decode / download <= 1.3.
suppressPackageStartupMessages(library(influxdbtoolkit))
reps <- as.integer(Sys.getenv("BENCH_REPS", "5"))
rows <- as.integer(Sys.getenv("BENCH_ROWS", "1000000"))
python <- Sys.which("python3")
if (!nzchar(python)) stop("python3 is needed for the static server")

dir <- tempfile("influxtk-bench-v3-")
dir.create(dir)
body_file <- file.path(dir, "body.jsonl")
i <- seq_len(rows) - 1L
t0 <- as.POSIXct("2024-01-01", tz = "UTC")
times <- format(t0 + i * 10 + 0.123, "%Y-%m-%dT%H:%M:%OS3", tz = "UTC")
writeLines(sprintf('{"time":"%s","room":"%s","sensor":"s%d","temperature":%.1f,"humidity":%.2f,"co2":%d}',
                   times, c("office", "lab", "hall")[i %% 3L + 1L], i %% 7L, 18 + (i %% 80) / 10,
                   40 + (i %% 400) / 20, 400L + i %% 600L), body_file, useBytes = TRUE)
bytes <- file.size(body_file)

server_py <- file.path(dir, "server.py")
writeLines(c(
  "import http.server, os, sys",
  "body = sys.argv[1]",
  "class H(http.server.BaseHTTPRequestHandler):",
  "    protocol_version = 'HTTP/1.1'",
  "    def log_message(self, *a): pass",
  "    def answer(self):",
  "        n = int(self.headers.get('Content-Length') or 0)",
  "        asked = self.rfile.read(n) if n else b''",
  "        if b'information_schema' in asked:",
  "            # the column types influx_query() asks for before SELECT *, answered as 3.x does",
  "            cols = [('co2', 'Int64'), ('humidity', 'Float64'), ('room', 'Dictionary(Int32, Utf8)'),",
  "                    ('sensor', 'Dictionary(Int32, Utf8)'), ('temperature', 'Float64'), ('time', 'Timestamp(Nanosecond, None)')]",
  "            out = ''.join('{\"table_name\":\"bench\",\"column_name\":\"%s\",\"data_type\":\"%s\"}\\n' % c for c in cols).encode()",
  "            self.send_response(200)",
  "            self.send_header('Content-Type', 'application/jsonl')",
  "            self.send_header('Content-Length', str(len(out)))",
  "            self.end_headers()",
  "            self.wfile.write(out)",
  "            return",
  "        if self.path.startswith('/ping'):",
  "            self.send_response(204)",
  "            self.send_header('X-Influxdb-Version', '3.0.0-bench')",
  "            self.send_header('X-Influxdb-Build', 'Core')",
  "            self.send_header('Content-Length', '0')",
  "            self.end_headers()",
  "            return",
  "        with open(body, 'rb') as f:",
  "            size = os.fstat(f.fileno()).st_size",
  "            self.send_response(200)",
  "            self.send_header('Content-Type', 'application/jsonl')",
  "            self.send_header('Content-Length', str(size))",
  "            self.end_headers()",
  "            self.wfile.flush()",
  "            self.connection.sendfile(f)",
  "    do_GET = do_POST = answer",
  "s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)",
  "print(s.server_address[1], flush=True)",
  "s.serve_forever()"
), server_py)
port_file <- file.path(dir, "port")
pid <- as.integer(system(sprintf("%s %s %s > %s 2>&1 & echo $!", shQuote(python), shQuote(server_py),
                                 shQuote(body_file), shQuote(port_file)), intern = TRUE))
on.exit({ tools::pskill(pid); unlink(dir, recursive = TRUE) }, add = TRUE)
for (k in 1:100) if (length(port <- readLines(port_file, warn = FALSE)) && nzchar(port[1])) break else Sys.sleep(0.1)
url <- sprintf("http://127.0.0.1:%s", port[1])

median_time <- function(f) median(vapply(seq_len(reps), function(r) { gc(); system.time(f())[["elapsed"]] }, 0))

con1 <- influx_connect(url, version = "v1", database = "bench", tz = "Europe/Zurich")
con3 <- tryCatch(influx_connect(url, version = "3", token = "bench", database = "bench", tz = "Europe/Zurich"),
                 error = function(e) NULL)
http <- influxdbtoolkit:::influx_http
if (!is.null(con3)) {
  path <- "influx_query() on a 3.x connection"
  decode <- function() influx_query(con3, "SELECT * FROM bench")
} else {
  path <- "influx_http(sink = \"jsonl\") on a v1 connection (no 3.x backend yet)"
  frame <- list(tz = "Europe/Zurich", bigint = "integer64", time_ns = FALSE)
  decode <- function() http(con1, "GET", "/api/v3/query_sql", query = c(db = "bench", q = "SELECT * FROM bench", format = "jsonl"),
                            sink = "jsonl", frame = frame)$tables[[1]]
}
download <- function() http(con1, "GET", "/api/v3/query_sql", query = c(db = "bench", q = "SELECT * FROM bench", format = "jsonl"),
                            sink = "raw")$body

got <- decode()
stopifnot(nrow(got) == rows, inherits(got$time, "POSIXct"), is.double(got$temperature), is.integer(got$co2),
          identical(got$room[1:3], c("office", "lab", "hall")))
stopifnot(length(download()) == bytes)

# elapsed and CPU seconds of one call
timed <- function(f) { gc(); t <- system.time(f()); c(t[["elapsed"]], t[["user.self"]] + t[["sys.self"]]) }
runs <- t(vapply(seq_len(reps), function(r) c(timed(download), timed(decode)), numeric(4)))
t_download <- median(runs[, 1])
t_decode <- median(runs[, 3])
cpu_download <- median(runs[, 2])
cpu_decode <- median(runs[, 4])
t_curl <- median_time(function() system2("curl", c("-s", "-o", "/dev/null", shQuote(paste0(url, "/body.jsonl")))))
size <- as.numeric(object.size(got))
rm(got)
# Peak resident memory of one decode, in a fresh R (this one holds freed pages from the runs above):
# VmHWM after the decode above VmRSS before it.
child <- sprintf(paste(
  'suppressPackageStartupMessages(library(influxdbtoolkit))',
  'status_bytes <- function(key) as.numeric(gsub("[^0-9]", "", grep(key, readLines("/proc/self/status"), value = TRUE))) * 1024',
  'con <- influx_connect("%s", version = "v1", database = "bench")',
  'frame <- list(tz = "UTC", bigint = "integer64", time_ns = FALSE)',
  'invisible(gc()); held <- status_bytes("^VmRSS:"); cat("5", file = "/proc/self/clear_refs")',
  'df <- influxdbtoolkit:::influx_http(con, "GET", "/api/v3/query_sql", query = c(format = "jsonl"), sink = "jsonl", frame = frame)$tables[[1]]',
  'cat(status_bytes("^VmHWM:") - held)', sep = "; "), url)
peak <- suppressWarnings(as.numeric(system2(file.path(R.home("bin"), "Rscript"), c("-e", shQuote(child)), stdout = TRUE)))
cat(sprintf("JSON lines, %d rows, %.0f MB body, median of %d\n", rows, bytes / 1e6, reps))
cat(sprintf("  download (libcurl, raw sink)  %6.3f s  (%.0f MB/s)\n", t_download, bytes / 1e6 / t_download))
cat(sprintf("  curl CLI to /dev/null         %6.3f s\n", t_curl))
cat(sprintf("  decode: %s\n                                %6.3f s  (%.0f MB/s)\n", path, t_decode, bytes / 1e6 / t_decode))
cat(sprintf("  ratio decode / download       %6.2f  (target <= 1.3); median of the per-run ratios %.2f\n",
            t_decode / t_download, median(runs[, 3] / runs[, 1])))
cat(sprintf("  CPU time of this process      download %.3f s, decode %.3f s: ratio %.2f\n",
            cpu_download, cpu_decode, cpu_decode / cpu_download))
cat(sprintf("  result: %.0f MB data frame; peak memory of the decode %.0f MB (%.1fx the result)\n",
            size / 1e6, peak / 1e6, peak / size))
