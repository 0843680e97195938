# influx_write() with several batches in flight (the transfer pool): the same points arrive, a
# point written twice keeps the later value, and a failure says exactly which rows were written.

pool_easy <- function(con) influxdbtoolkit:::pool_counts(con)[["easy"]]

# A range result (integer(), c(from, to) or a from/to matrix) as the row numbers it covers.
covered <- function(r) {
  if (length(r) == 0) return(integer())
  if (!is.matrix(r)) r <- matrix(r, 1)
  unlist(lapply(seq_len(nrow(r)), function(i) seq.int(r[i, 1], r[i, 2])))
}

test_that("batches whose times cannot meet are in flight together; those that may meet go one by one", {
  fake <- start_fake_server()
  on.exit(fake$stop())
  con <- function() influx_connect(paste0(fake$url, "/plain"), version = "v1", database = "d", writable = TRUE)
  t0 <- as.POSIXct("2024-01-01", tz = "UTC")
  apart <- data.frame(time = t0 + 1:40, v = as.numeric(1:40))
  c1 <- con()
  res <- influx_write(c1, apart, "m", batch_size = 5, concurrency = 4)
  expect_equal(res$points, 40)
  expect_equal(pool_easy(c1), 4L) # four in flight at once
  # Every batch holds the same instant (40 series): each waits for the one before.
  same <- data.frame(time = rep(t0 + 1, 40), s = sprintf("s%02d", 1:40), v = as.numeric(1:40))
  c2 <- con()
  influx_write(c2, same, "m", batch_size = 5, concurrency = 4)
  expect_equal(pool_easy(c2), 1L)
  # Line protocol: its times are the lines' last words.
  c3 <- con()
  influx_write(c3, sprintf("m v=%d %d", 1:40, 1:40), batch_size = 5, concurrency = 4)
  expect_equal(pool_easy(c3), 4L)
  c4 <- con()
  influx_write(c4, sprintf("m v=%d %d", 1:40, rep(7, 40)), batch_size = 5, concurrency = 4)
  expect_equal(pool_easy(c4), 1L)
  # Without times the server stamps the points: in ns no two batches can share one; in seconds they may.
  c5 <- con()
  influx_write(c5, sprintf("m v=%d", 1:40), batch_size = 5, concurrency = 4)
  expect_equal(pool_easy(c5), 4L)
  c6 <- con()
  influx_write(c6, sprintf("m v=%d", 1:40), batch_size = 5, concurrency = 4, precision = "s")
  expect_equal(pool_easy(c6), 1L)
  # concurrency = 1 is one request after another.
  c7 <- con()
  influx_write(c7, apart, "m", batch_size = 5, concurrency = 1)
  expect_equal(pool_easy(c7), 1L)
  expect_equal(fake$requests("plain"), 8 + 8 + 8 + 8 + 8 + 8 + 8)
  expect_error(influx_write(c7, apart, "m", concurrency = 0), class = "influx_error_argument")
})

test_that("one failed batch of several in flight: the error names every range exactly", {
  fake <- start_fake_server()
  on.exit(fake$stop())
  con <- influx_connect(paste0(fake$url, "/fails-v13"), version = "v1", database = "d", writable = TRUE)
  df <- data.frame(time = as.POSIXct("2024-01-01", tz = "UTC") + 1:24, v = as.numeric(1:24))
  for (k in c(1L, 2L, 4L)) {
    before <- fake$requests("fails-v13")
    e <- expect_error(influx_write(con, df, "m", batch_size = 4, concurrency = k, gzip = FALSE), class = "influx_error_write")
    expect_s3_class(e, "influx_error_http_400")
    # Rows 13-16 are the fourth batch, the only one the server refuses.
    expect_equal(e$rows_failed, c(13L, 16L))
    written <- covered(e$rows_written)
    not_sent <- covered(e$rows_not_sent)
    # Every row is in exactly one of the three.
    expect_equal(sort(c(written, 13:16, not_sent)), 1:24)
    expect_true(all(1:12 %in% written)) # started before the failing batch, and never refused
    # What the server received is what the error says was sent.
    expect_equal(fake$requests("fails-v13") - before, (length(written) + 4) / 4)
    expect_match(conditionMessage(e), "writing stopped at batch 4 of 6 (rows 13-16)", fixed = TRUE)
    expect_match(conditionMessage(e), "thirteenth point")
    if (k == 1L) {
      expect_equal(e$rows_written, c(1L, 12L))
      expect_equal(e$rows_not_sent, c(17L, 24L))
    }
  }
})

test_that("retries go per batch while others are in flight", {
  fake <- start_fake_server()
  on.exit(fake$stop())
  con <- influx_connect(paste0(fake$url, "/flaky"), version = "v1", database = "d", writable = TRUE)
  df <- data.frame(time = as.POSIXct("2024-01-01", tz = "UTC") + 1:20, v = as.numeric(1:20))
  res <- influx_write(con, df, "m", batch_size = 4, concurrency = 3)
  expect_equal(res$retries, 2L)
  expect_equal(res$points, 20)
  expect_equal(fake$requests("flaky"), 5 + 2)
  # A batch that keeps failing still stops the call after its retries, with the others accounted.
  down <- influx_connect(paste0(fake$url, "/always-503"), version = "v1", database = "d", writable = TRUE)
  e <- expect_error(influx_write(down, df, "m", batch_size = 4, concurrency = 3, max_retries = 1),
                    class = "influx_error_write")
  expect_s3_class(e, "influx_error_http_503")
  expect_equal(e$rows_written, integer())
  expect_equal(sort(c(covered(e$rows_failed), covered(e$rows_not_sent))), 1:20)
})

for_each_server("a point written twice in batches in flight together keeps the later value", {
  con <- connect_admin(srv)
  on.exit(influx_disconnect(con))
  m <- sprintf("lww_%d", Sys.getpid())
  t0 <- as.POSIXct("2021-03-01", tz = "UTC")
  # Each round: a large batch ending with the point at value 1, then a small batch with the same
  # point at value 2, which the server would finish first if both were in flight.
  rounds <- 12L
  filler <- 1999L
  frames <- lapply(seq_len(rounds), function(r) {
    point <- t0 + r * 3600
    rbind(data.frame(time = point - seq_len(filler), s = "filler", v = as.numeric(seq_len(filler))),
          data.frame(time = point, s = "p", v = c(1, 2)))
  })
  df <- do.call(rbind, frames)
  influx_write(con, df, m, batch_size = filler + 1L, concurrency = 4)
  back <- influx_query(con, sprintf("SELECT v FROM \"%s\" WHERE s = 'p'", m))
  expect_equal(nrow(back), rounds)
  expect_equal(back$v, rep(2, rounds))
  expect_equal(influx_query(con, sprintf("SELECT count(v) FROM \"%s\"", m))$count, rounds * (filler + 1))
}, generations = c("v1", "v2"))

for_each_server("rows said to be written are stored; rows not sent are not", {
  con <- connect_admin(srv)
  on.exit(influx_disconnect(con))
  m <- sprintf("wfail_%d", Sys.getpid())
  # Line 13 changes the field's type: the server refuses it (1.x and 2.x keep the rest of a
  # batch, so only whole batches not sent are missing).
  lines <- sprintf("%s v=%s %s", m, ifelse(seq_len(40) == 13, '"text"', as.character(seq_len(40))), format(seq_len(40) * 1e9, scientific = FALSE))
  influx_write(con, lines[1], concurrency = 1)
  e <- expect_error(influx_write(con, lines, batch_size = 4, concurrency = 4), class = "influx_error_write")
  expect_equal(e$rows_failed, c(13L, 16L))
  stored <- influx_query(con, sprintf("SELECT v FROM \"%s\"", m))
  stored_rows <- as.integer(round(as.numeric(stored$time)))
  expect_true(all(covered(e$rows_written) %in% stored_rows))
  expect_false(any(covered(e$rows_not_sent) %in% stored_rows))
  expect_setequal(setdiff(stored_rows, 13:16), covered(e$rows_written))
}, generations = c("v1", "v2"))

test_that("bodies are compressed unless the server is on this machine", {
  fake <- start_fake_server()
  on.exit(fake$stop())
  con <- influx_connect(paste0(fake$url, "/fails-v13"), version = "v1", database = "d", writable = TRUE)
  df <- data.frame(time = as.POSIXct("2024-01-01", tz = "UTC") + 1:20, v = as.numeric(1:20))
  # The route reads the body as text: it finds the point only in an uncompressed body.
  expect_error(influx_write(con, df, "m"), class = "influx_error_write")
  expect_equal(influx_write(con, df, "m", gzip = TRUE)$points, 20)
  expect_error(influx_write(con, df, "m", gzip = NA), class = "influx_error_argument")
})
