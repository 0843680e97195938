# Copy benchmark: influx_copy() from 1.x (1.8.10) to 2.x (2.7.12), against the same data read
# once and written once without chunks or count checks.
#
# BENCH_ROWS rows (default 200,000: 100 series of 2 tags x 3 float fields, 10 s apart) in
# influxtk_bench on 1.x (bench/common.R loads them);
#   influx_copy():  chunks of BENCH_CHUNK (default "1 hour"), each read, written and counted on both sides
#   baseline:       one SELECT * ... GROUP BY * of the whole range, then one influx_write() of it
# into fresh buckets on 2.x. Each timing is the median of BENCH_REPS runs (default 3).
suppressPackageStartupMessages(library(influxdbtoolkit))
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "common.R"))
chunk <- Sys.getenv("BENCH_CHUNK", "1 hour")
rows <- as.integer(Sys.getenv("BENCH_ROWS", "200000"))
v1 <- Sys.getenv("INFLUXTK_V1_8_10_URL")
v2 <- Sys.getenv("INFLUXTK_V2_7_12_URL")
if (!nzchar(v1) || !nzchar(v2)) stop("no servers: run this with the environment of tools/test-servers.sh env")
src <- influx_connect(v1, username = Sys.getenv("INFLUXTK_ADMIN_USER"), password = Sys.getenv("INFLUXTK_ADMIN_PASSWORD"),
                      database = "influxtk_bench", writable = TRUE)
load_data(src, rows)
admin <- influx_connect(v2, token = Sys.getenv("INFLUXTK_ADMIN_TOKEN"), org = Sys.getenv("INFLUXTK_ORG"), writable = TRUE)
start <- as.POSIXct("2024-01-01", tz = "UTC")
end <- start + (rows %/% 100L) * 10

fresh_bucket <- function(name) {
  if (name %in% influx_databases(admin)$name) influx_drop_database(admin, name)
  influx_create_database(admin, name)
  influx_connect(v2, token = Sys.getenv("INFLUXTK_ADMIN_TOKEN"), org = Sys.getenv("INFLUXTK_ORG"), bucket = name,
                 writable = TRUE)
}

copy_once <- function() {
  to <- fresh_bucket("influxtk_copy_bench")
  t <- system.time(res <- influx_copy(src, to, "bench", start, end, chunk = chunk))[["elapsed"]]
  stopifnot(res$complete, sum(res$progress$values) == 3 * rows)
  t
}
baseline_once <- function() {
  to <- fresh_bucket("influxtk_copy_bench_base")
  system.time({
    df <- influx_query(src, "SELECT * FROM bench GROUP BY *", time_ns = TRUE)
    df$time <- NULL
    influx_write(to, df, "bench", tags = c("building", "room"), time = "time_ns")
  })[["elapsed"]]
}

# alternating, so that both see the same load of a shared machine
times <- vapply(seq_len(reps), function(r) c(copy = copy_once(), base = baseline_once()), c(copy = 0, base = 0))
copy_t <- median(times["copy", ])
base_t <- median(times["base", ])
cat(sprintf("rows %d, chunk %s, %d reps (median)\n", rows, chunk, reps))
cat(sprintf("influx_copy():          %6.2f s  %8.0f rows/s\n", copy_t, rows / copy_t))
cat(sprintf("read once + write once: %6.2f s  %8.0f rows/s\n", base_t, rows / base_t))
cat(sprintf("ratio copy / baseline:  %6.2f\n", copy_t / base_t))
for (b in c("influxtk_copy_bench", "influxtk_copy_bench_base")) influx_drop_database(admin, b)
