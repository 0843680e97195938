# Shared by the benchmarks: the 1.x data set, timing, and peak memory.
http <- influxdbtoolkit:::influx_http

# 1,000,000 rows by default: 100 series (building, room) of 10,000 points 10 s apart from
# 2024-01-01, with fields temperature, humidity and co2, in database influxtk_bench.
load_data <- function(admin, rows) {
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

# The same points as a data frame (time, building, room, temperature, humidity, co2), for
# influx_write() and for the peers that write a data frame.
bench_points <- function(rows) {
  per <- rows %/% 100L
  i <- rep(seq_len(per) - 1L, times = 100L)
  s <- rep(seq_len(100L) - 1L, each = per)
  data.frame(time = as.POSIXct(1704067200 + i * 10, origin = "1970-01-01", tz = "UTC"),
             building = sprintf("b%d", s %/% 20L), room = sprintf("r%02d", s %% 20L),
             temperature = round(20 + sin(i / 100), 3), humidity = round(40 + cos(i / 50) * 5, 2),
             co2 = 400 + (i %% 600))
}

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


reps <- as.integer(Sys.getenv("BENCH_REPS", "3"))
rows <- as.integer(Sys.getenv("BENCH_ROWS", "1000000"))
bench_url <- Sys.getenv("INFLUXTK_V1_6_7_URL")
if (!nzchar(bench_url)) stop("no server: run this through `make bench`")

bench_connect <- function(writable = FALSE, tz = "Europe/Zurich") {
  influx_connect(bench_url, username = Sys.getenv("INFLUXTK_ADMIN_USER"),
                 password = Sys.getenv("INFLUXTK_ADMIN_PASSWORD"), database = "influxtk_bench",
                 writable = writable, tz = tz)
}
