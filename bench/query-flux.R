# Flux benchmark on the local InfluxDB 2.7 that `make bench` starts.
#
# Loads 1,000,000 points (3 float fields, 2 tags: 100 series of 10,000 points) once, then compares
# in the same run, on the same server:
#   influx_query(flux)                one field, long form: 1,000,000 rows
#   influx_query(flux, pivot = TRUE)  all three fields as columns: 1,000,000 rows (3,000,000 CSV rows)
#   libcurl download (baseline)       the identical requests, CSV bytes collected in memory only
#   data.table::fread                 the same CSV text (annotations and repeated headers removed
#                                     beforehand, untimed) parsed into a data.table
# Each timing is the median of BENCH_REPS runs (default 3).
suppressPackageStartupMessages(library(influxdbtoolkit))
reps <- as.integer(Sys.getenv("BENCH_REPS", "3"))
points <- as.integer(Sys.getenv("BENCH_ROWS", "1000000"))
url <- Sys.getenv("INFLUXTK_V2_7_12_URL")
if (!nzchar(url)) stop("no 2.x server: run this through `make bench`")
http <- influxdbtoolkit:::influx_http
con <- influx_connect(url, token = Sys.getenv("INFLUXTK_ADMIN_TOKEN"), org = Sys.getenv("INFLUXTK_ORG"),
                      bucket = "influxtk_test", writable = TRUE)
t0 <- 1704067200 # 2024-01-01
series <- 100L
per <- points %/% series
range <- sprintf("range(start: 2024-01-01T00:00:00Z, stop: %s)",
                 format(as.POSIXct(t0 + per * 10, origin = "1970-01-01", tz = "UTC"), "%Y-%m-%dT%H:%M:%SZ"))
base <- sprintf('from(bucket: "influxtk_test") |> %s |> filter(fn: (r) => r._measurement == "bench")', range)

have <- influx_query(con, paste(base, '|> filter(fn: (r) => r._field == "temperature") |> group() |> count()'))
if (nrow(have) != 1 || have$`_value` != points) {
  cat(sprintf("loading %d points ...\n", points))
  started <- Sys.time()
  i <- rep(seq_len(per) - 1L, times = series)
  s <- rep(seq_len(series) - 1L, each = per)
  for (from in seq(1L, length(i), by = 100000L)) {
    k <- from:min(from + 99999L, length(i))
    lines <- sprintf("bench,building=b%d,room=r%02d temperature=%.3f,humidity=%.2f,co2=%.1f %d",
                     s[k] %/% 20L, s[k] %% 20L, 20 + sin(i[k] / 100), 40 + cos(i[k] / 50) * 5,
                     400 + (i[k] %% 600), t0 + i[k] * 10L)
    http(con, "POST", "/api/v2/write", query = c(org = con$org, bucket = "influxtk_test", precision = "s"),
         body = charToRaw(paste(lines, collapse = "\n")), sink = "none")
  }
  cat(sprintf("loaded in %.1f s\n", as.numeric(Sys.time() - started, units = "secs")))
}
reader <- influx_connect(url, token = Sys.getenv("INFLUXTK_ADMIN_TOKEN"), org = Sys.getenv("INFLUXTK_ORG"))

median_time <- function(f) median(vapply(seq_len(reps), function(r) { gc(); system.time(f())[["elapsed"]] }, 0))

download <- function(flux) {
  body <- paste0('{"query":', .Call(influxdbtoolkit:::C_json_quote, flux), ',"type":"flux",',
                 '"dialect":{"header":true,"delimiter":",","annotations":["datatype","group","default"],',
                 '"commentPrefix":"#","dateTimeFormat":"RFC3339"}}')
  http(reader, "POST", "/api/v2/query", query = c(org = reader$org), body = charToRaw(body),
       headers = c("Content-Type: application/json", "Accept: application/csv"), sink = "raw")$body
}

# The CSV rows without annotations, blank lines and the repeated headers of later tables.
plain_csv <- function(body) {
  lines <- strsplit(rawToChar(body), "\r\n", fixed = TRUE)[[1]]
  lines <- lines[nzchar(lines) & !startsWith(lines, "#")]
  header <- lines[1]
  paste(c(header, lines[lines != header]), collapse = "\n")
}

cases <- list(
  list(label = "long, one field", flux = paste(base, '|> filter(fn: (r) => r._field == "temperature")'), pivot = FALSE),
  list(label = "pivot, three fields", flux = base, pivot = TRUE)
)
have_dt <- requireNamespace("data.table", quietly = TRUE)
cat(sprintf("\nInfluxDB %s, %d points (100 series, 3 float fields, 2 tags), median of %d runs\n",
            reader$server_version, points, reps))
for (case in cases) {
  df <- influx_query(reader, case$flux, pivot = case$pivot)
  stopifnot(nrow(df) == points)
  body <- download(case$flux)
  t_ours <- median_time(function() influx_query(reader, case$flux, pivot = case$pivot))
  t_curl <- median_time(function() download(case$flux))
  t_fread <- NA
  if (have_dt) {
    text <- plain_csv(body)
    t_fread <- median_time(function() data.table::fread(text = text, showProgress = FALSE))
  }
  cat(sprintf("\n%s: %d rows x %d columns from %.1f MB of CSV\n", case$label, nrow(df), ncol(df), length(body) / 1e6))
  cat(sprintf("  %-44s %7.2f s\n", "influx_query", t_ours))
  cat(sprintf("  %-44s %7.2f s\n", "libcurl download of the same bytes", t_curl))
  cat(sprintf("  %-44s %7.2f s\n", "data.table::fread on the same CSV (parse only)", t_fread))
  cat(sprintf("  ratio influx_query / plain download: %.2f (target <= 1.3)\n", t_ours / t_curl))
  cat(sprintf("  ratio (download + fread) / influx_query: %.2f\n", (t_curl + t_fread) / t_ours))
}
