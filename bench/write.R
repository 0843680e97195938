# Write benchmark on the local InfluxDB 1.x that `make bench` starts.
#
# 1,000,000 rows x 3 float fields + 2 tags:
#   serialization: the C line-protocol writer alone (plain and gzip), rows per second
#   influx_write():  serialization + gzip + POST of batches of 5000 rows, end to end
#   baseline:        POSTing the same pre-serialized gzip batches with libcurl, same batch size
# Each timing is the median of BENCH_REPS runs (default 3).
suppressPackageStartupMessages(library(influxdbtoolkit))
reps <- as.integer(Sys.getenv("BENCH_REPS", "3"))
rows <- as.integer(Sys.getenv("BENCH_ROWS", "1000000"))
url <- Sys.getenv("INFLUXTK_V1_6_7_URL")
if (!nzchar(url)) stop("no server: run this through `make bench`")
con <- influx_connect(url, username = Sys.getenv("INFLUXTK_ADMIN_USER"),
                      password = Sys.getenv("INFLUXTK_ADMIN_PASSWORD"), database = "influxtk_bench",
                      writable = TRUE)
influx_query(con, "CREATE DATABASE influxtk_bench")
set.seed(7)
i <- seq_len(rows) - 1L
df <- data.frame(
  time = as.POSIXct("2024-06-01", tz = "UTC") + (i %/% 100L) * 10,
  building = sprintf("b%d", (i %% 100L) %/% 20L),
  room = sprintf("r%02d", i %% 20L),
  temperature = round(20 + rnorm(rows), 3),
  humidity = round(45 + rnorm(rows) * 5, 2),
  co2 = round(400 + runif(rows) * 600, 1),
  stringsAsFactors = FALSE
)
median_time <- function(f) median(vapply(seq_len(reps), function(r) { gc(); system.time(f())[["elapsed"]] }, 0))
serialize <- function(gzip) influxdbtoolkit:::write_batches(df, "bench_w", NULL, NULL, "time", "ns", 5000L, gzip, NULL,
                                                             influxdbtoolkit:::line_protocol_escaping(con))

t_plain <- median_time(function() serialize(FALSE))
t_gzip <- median_time(function() serialize(TRUE))
b <- serialize(TRUE)
plain_mb <- sum(lengths(serialize(FALSE)$batches)) / 1e6
gzip_mb <- sum(lengths(b$batches)) / 1e6

post_all <- function() {
  for (body in b$batches) {
    influxdbtoolkit:::influx_http(con, "POST", "/write", query = c(db = "influxtk_bench", precision = "n"),
                                  body = body, headers = c("Content-Type: text/plain; charset=utf-8", "Content-Encoding: gzip"),
                                  sink = "none")
  }
}
t_ours <- median_time(function() influx_write(con, df, "bench_w", batch_size = 5000))
t_curl <- median_time(post_all)
n <- influx_query(con, "SELECT count(temperature) FROM bench_w")$count
stopifnot(n == rows)

cat(sprintf("\nInfluxDB %s, %d rows x 3 float fields + 2 tags, batches of 5000, median of %d runs\n",
            con$server_version, rows, reps))
cat(sprintf("%-50s %7.2f s  (%.1f M rows/s, %.0f MB)\n", "serialization to line protocol (C)", t_plain, rows / t_plain / 1e6, plain_mb))
cat(sprintf("%-50s %7.2f s  (%.1f M rows/s, %.0f MB)\n", "serialization + gzip (C)", t_gzip, rows / t_gzip / 1e6, gzip_mb))
cat(sprintf("%-50s %7.2f s\n", "influx_write end to end (gzip)", t_ours))
cat(sprintf("%-50s %7.2f s\n", "libcurl POST of the same gzip batches", t_curl))
cat(sprintf("ratio influx_write / plain POST: %.2f (target <= 1.3)\n", t_ours / t_curl))
