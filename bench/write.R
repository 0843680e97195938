# Write benchmark on a 1.x (1.8.10, else 1.6.7) and the 2.x server of tools/test-servers.sh, in
# one run: 1,000,000 rows x (2 tags, 3 float fields).
#
#   influx_write():      the defaults (batch_size, concurrency, gzip), end to end: serialization in
#                        C, batches pipelined through the transfer pool
#   sequential:          influx_write(concurrency = 1): one batch after another; and as before
#                        this change (concurrency 1, batches of 5000, gzip)
#   pre-built POSTs:     the same points as line protocol built before the clock starts, POSTed with
#                        libcurl in bodies as large as the server takes (1.x refuses bodies over
#                        25 MB: ~24 MB each), one after another; plain and gzip, the faster counts
#   grid:                batch_size x concurrency x gzip on BENCH_GRID_ROWS rows (default 200,000),
#                        one run each, as ratios to the pre-built POSTs of the same rows
#                        (BENCH_WRITE_GRID=0 skips it)
# Every timed write goes into a fresh database/bucket. Timings are the median of BENCH_REPS runs
# (default 1: 2.x takes about 30 s a run on the shared 2-core machine, and the whole benchmark stays
# under 10 minutes). Run it by `make bench` or alone with the environment of
# `tools/test-servers.sh env`.
suppressPackageStartupMessages(library(influxdbtoolkit))
reps <- as.integer(Sys.getenv("BENCH_REPS", "1"))
rows <- as.integer(Sys.getenv("BENCH_ROWS", "1000000"))
grid_rows <- as.integer(Sys.getenv("BENCH_GRID_ROWS", "200000"))
grid <- Sys.getenv("BENCH_WRITE_GRID", "1") != "0"
env <- function(name) Sys.getenv(paste0("INFLUXTK_", name))
v1_url <- if (nzchar(env("V1_8_10_URL"))) env("V1_8_10_URL") else env("V1_6_7_URL")
if (!nzchar(v1_url) || !nzchar(env("V2_7_12_URL"))) stop("no servers: run this through `make bench`")
db <- "influxtk_wbench"
servers <- list(
  v1 = influx_connect(v1_url, username = env("ADMIN_USER"), password = env("ADMIN_PASSWORD"), database = db,
                      writable = TRUE),
  v2 = influx_connect(env("V2_7_12_URL"), token = env("ADMIN_TOKEN"), org = env("ORG"), bucket = db,
                      database = db, writable = TRUE)
)

points <- function(rows) {
set.seed(7)
i <- seq_len(rows) - 1L
data.frame(
  time = as.POSIXct("2024-06-01", tz = "UTC") + (i %/% 100L) * 10,
  building = sprintf("b%d", (i %% 100L) %/% 20L),
  room = sprintf("r%02d", i %% 20L),
  temperature = round(20 + rnorm(rows), 3),
  humidity = round(45 + rnorm(rows) * 5, 2),
  co2 = round(400 + runif(rows) * 600, 1),
  stringsAsFactors = FALSE
)
}
ns <- asNamespace("influxdbtoolkit")

fresh <- function(con) {
  suppressWarnings(try(influx_drop_database(con, db), silent = TRUE))
  influx_create_database(con, db)
}
# Median elapsed time of `f` over `n` runs, each into a fresh database/bucket.
timed <- function(con, f, n = reps) {
  median(vapply(seq_len(n), function(r) { fresh(con); gc(); system.time(f())[["elapsed"]] }, 0))
}
stored <- function(con, rows) {
  n <- influx_query(con, sprintf("SELECT count(temperature) FROM bench_w"))$count
  if (!identical(as.numeric(n), as.numeric(rows))) stop(sprintf("%s rows stored, not %d", format(n), rows))
}

# The pre-built bodies: all of the line protocol, in bodies of at most ~24 MB.
prebuilt <- function(df) {
  sample <- df[seq_len(min(10000L, nrow(df))), ]
  line_bytes <- sum(lengths(ns$write_batches(sample, "bench_w", NULL, NULL, "time", "ns", nrow(sample), FALSE, NULL,
                                             "go")$batches)) / nrow(sample)
  body_rows <- as.integer(floor(24e6 / line_bytes))
  build <- function(gzip) ns$write_batches(df, "bench_w", NULL, NULL, "time", "ns", body_rows, gzip, NULL, "go")$batches
  list(plain = build(FALSE), gzip = build(TRUE))
}
post_all <- function(con, bodies, gzip) {
  ep <- ns$write_endpoint(con, ns$influx_target(con, NULL, NULL), "ns", NULL)
  headers <- c("Content-Type: text/plain; charset=utf-8", if (gzip) "Content-Encoding: gzip")
  for (body in bodies[[if (gzip) "gzip" else "plain"]]) {
    ns$influx_http(con, "POST", ep$path, query = ep$query, body = body, headers = headers, sink = "none")
  }
}
defaults <- formals(influx_write)

# -> c(plain, gzip): the pre-built POSTs of df's rows, each the median of n runs.
time_posts <- function(con, df, bodies, n) {
  t_plain <- timed(con, function() post_all(con, bodies, FALSE), n)
  stored(con, nrow(df))
  c(plain = t_plain, gzip = timed(con, function() post_all(con, bodies, TRUE), n))
}

df <- points(rows)
bodies <- prebuilt(df)
for (name in names(servers)) {
  con <- servers[[name]]
  posts <- time_posts(con, df, bodies, reps)
  t_plain <- posts[["plain"]]
  t_gzip <- posts[["gzip"]]
  t_post <- min(posts)
  t_ours <- timed(con, function() influx_write(con, df, "bench_w"))
  stored(con, rows)
  t_seq <- timed(con, function() influx_write(con, df, "bench_w", concurrency = 1))
  t_old <- timed(con, function() influx_write(con, df, "bench_w", concurrency = 1, batch_size = 5000, gzip = TRUE))
  cat(sprintf("\nInfluxDB %s, %d rows x (2 tags, 3 floats), median of %d runs\n", con$server_version, rows, reps))
  cat(sprintf("%-70s %6.2f s\n", sprintf("pre-built POSTs, %d bodies of <= 24 MB, plain", length(bodies$plain)), t_plain))
  cat(sprintf("%-70s %6.2f s\n", "pre-built POSTs, gzip", t_gzip))
  cat(sprintf("%-70s %6.2f s\n", sprintf("influx_write (defaults: batch_size %s, concurrency %s, gzip %s)", defaults$batch_size,
                                         eval(defaults$concurrency), !ns$parse_server_url(con$url)$loopback), t_ours))
  cat(sprintf("%-70s %6.2f s\n", "influx_write, concurrency = 1 (one batch after another)", t_seq))
  cat(sprintf("%-70s %6.2f s\n", "influx_write as before (sequential, 5000 rows, gzip)", t_old))
  cat(sprintf("ratio influx_write / pre-built POSTs: %.2f (target <= 1.1); concurrency 1 / pre-built: %.2f; as before / pre-built: %.2f\n",
              t_ours / t_post, t_seq / t_post, t_old / t_post))
}

if (grid) {
  df <- points(grid_rows)
  bodies <- prebuilt(df)
  g <- expand.grid(batch_size = c(5000L, 10000L, 25000L, 50000L, 100000L), concurrency = c(1L, 2L, 4L),
                   gzip = c(TRUE, FALSE))
  base <- list()
  for (name in names(servers)) {
    con <- servers[[name]]
    base[[name]] <- min(time_posts(con, df, bodies, 1))
    g[[name]] <- vapply(seq_len(nrow(g)), function(r) {
      timed(con, function() influx_write(con, df, "bench_w", batch_size = g$batch_size[r], concurrency = g$concurrency[r],
                                         gzip = g$gzip[r]), n = 1)
    }, 0)
    g[[paste0(name, "_ratio")]] <- round(g[[name]] / base[[name]], 2)
  }
  cat(sprintf("\n%d rows: influx_write seconds by batch_size x concurrency x gzip (one run each), and the ratio to the\npre-built POSTs of the same rows (%s)\n",
              grid_rows, paste(sprintf("%s %.2f s", names(base), unlist(base)), collapse = ", ")))
  print(g, row.names = FALSE)
}
for (con in servers) {
  fresh(con)
  influx_drop_database(con, db)
}
