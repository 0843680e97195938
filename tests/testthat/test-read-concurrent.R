# Concurrent reads: the chunks of a long influx_timeseries() range, and influx_query() over
# several texts, with up to `concurrency` requests in flight, joined in order. Whatever the
# concurrency, the result is identical() to the sequential one (concurrency = 1), and an error
# is the one the sequential read raises: that of the first failing request, in order.

concurrencies <- c(2L, 4L, 8L)

# Long ranges cut into many chunks (small chunk options), over the parity data set: aggregates,
# fills, tag filters and group_by, points, and the DST days.
read_cases <- list(
  mean_15m_two_sensors = list(start = "2024-03-29", end = "2024-04-02", aggregate = "mean", every = "15m",
                              where = list(sensor = c("a", "c")), fill = "none", windows = 20),
  count_1h_office_autumn = list(start = "2024-10-25", end = "2024-10-29", aggregate = "count", every = "1h",
                                where = list(room = "office"), fill = "null", windows = 7),
  diffmax_1d_months = list(start = "2024-03-25", end = "2024-11-01", aggregate = "diffmax", every = "1d",
                           where = list(sensor = "b"), fill = "previous", windows = 5),
  median_6h_linear = list(start = "2024-03-28 13:00", end = "2024-10-30", aggregate = "median", every = "6h",
                          where = list(), fill = "linear", windows = 30),
  # Monday weeks: InfluxQL sends one statement per window, several per request
  last_1w_months = list(start = "2024-03-18", end = "2024-11-04", aggregate = "last", every = "1w",
                        where = list(sensor = "c"), fill = -1, windows = 3),
  points_spring = list(start = "2024-03-30 18:00", end = "2024-04-01 06:00", aggregate = NULL, every = NULL,
                       where = list(sensor = "a"), fill = "none", seconds = 2 * 3600)
)

read_case <- function(con, m, case, concurrency, language = "auto", shape = "wide") {
  opts <- list(influxdbtoolkit.chunk_windows = case$windows %||% 5000L,
               influxdbtoolkit.chunk_seconds = case$seconds %||% (31 * 86400),
               influxdbtoolkit.v3_chunk_hours = 30)
  with_options(opts, influx_timeseries(
    con, m, c("meter", "temp"), start = case$start, end = case$end, where = case$where,
    aggregate = case$aggregate, every = case$every, fill = case$fill, tz = parity_tz, language = language,
    shape = shape, concurrency = concurrency
  ))
}

`%||%` <- function(x, y) if (is.null(x)) y else x

format_utc <- function(t) format(t, "%Y-%m-%dT%H:%M:%SZ", tz = "UTC")

check_parity_over_concurrency <- function(con, m, language, server) {
  for (name in names(read_cases)) {
    case <- read_cases[[name]]
    sequential <- read_case(con, m, case, 1L, language)
    label <- sprintf("%s %s %s", server, language, name)
    # the case is really cut into many requests, and reads the data
    expect_gt(length(attr(sequential, "queries")), 3L, label = label)
    expect_gt(nrow(sequential), 0L, label = label)
    for (k in concurrencies) {
      expect_identical(read_case(con, m, case, k, language), sequential, label = paste(label, "concurrency", k))
    }
  }
  long <- read_case(con, m, read_cases$count_1h_office_autumn, 1L, language, shape = "long")
  expect_identical(read_case(con, m, read_cases$count_1h_office_autumn, 4L, language, shape = "long"), long)
}

for_each_server("influx_timeseries: chunks fetched concurrently give the sequential result, identical()", {
  con <- connect_admin(srv)
  m <- parity_measurement(srv, con)
  check_parity_over_concurrency(con, m, "auto", srv$name)
})

for_each_server("influx_timeseries on 2.x: InfluxQL and Flux chunks fetched concurrently, identical()", generations = "v2", {
  con <- connect_admin(srv)
  m <- parity_measurement(srv, con)
  check_parity_over_concurrency(con, m, "influxql", srv$name)
  check_parity_over_concurrency(con, m, "flux", srv$name)
})

test_that("concurrency is checked: a whole number from 1 to 64", {
  con <- influx_connect("http://127.0.0.1:9", version = "v1", database = "d")
  for (bad in list(0, 65, 2.5, NA, "4", c(1, 2))) {
    expect_error(influx_timeseries(con, "m", "v", start = 0, end = 1, concurrency = bad), class = "influx_error_argument")
    expect_error(influx_query(con, c("SELECT 1", "SELECT 2"), concurrency = bad), class = "influx_error_argument")
  }
})

# ---- an error in chunk k of n ----------------------------------------------------------------

# The series description influx_timeseries() hands the backends, for series_by_chunks() itself:
# 15-minute means over four days, 20 windows per chunk (20 chunks).
chunked_series <- function(m, concurrency) {
  start <- as.double(as.POSIXct("2024-03-29", tz = parity_tz))
  list(measurement = m, fields = c("meter", "temp"), where = stats::setNames(list(), character()), group_by = "sensor",
       aggregate = "mean", server_aggregate = "mean", every = 900, offset = 0, fill = "none",
       tz = parity_tz, target = "influxtk_test", start = start, end = start + 4 * 86400,
       language = "influxql", progress = FALSE, concurrency = concurrency)
}

# The InfluxQL exchanges of series_by_chunks(), with the request of chunk k replaced by `bad[[k]]`
# (text the server refuses).
sabotaged_fetch <- function(con, bad) {
  fetch <- influxdbtoolkit:::influxql_series_fetch(con, "influxtk_test", parity_tz, NULL)
  n <- 0L
  function(text) {
    n <<- n + 1L
    if (!is.null(bad[[as.character(n)]])) text <- bad[[as.character(n)]]
    fetch(text)
  }
}

for_each_server("an error in chunk k of n raises what the sequential read raises: the first in order", generations = c("v1", "v2"), {
  con <- connect_admin(srv)
  m <- parity_measurement(srv, con)
  # chunk 6 and chunk 9 fail (differently): chunk 6's error is the one, whatever the concurrency
  bad <- list("6" = "SELECT mean(\"temp\") FROM", "9" = "SELECT nonsense(\"temp\") FROM \"m\"")
  run <- function(concurrency) {
    with_options(list(influxdbtoolkit.chunk_windows = 20), tryCatch(
      influxdbtoolkit:::series_by_chunks(con, chunked_series(m, concurrency), sabotaged_fetch(con, bad), NULL),
      error = identity))
  }
  sequential <- run(1L)
  expect_s3_class(sequential, "influx_error")
  # the refusal of chunk 6's text, as the server gives it alone
  alone <- tryCatch(influx_query(con, bad[["6"]]), error = identity)
  expect_identical(conditionMessage(sequential), conditionMessage(alone))
  for (k in concurrencies) {
    got <- run(k)
    expect_identical(class(got), class(sequential), label = paste("concurrency", k))
    expect_identical(conditionMessage(got), conditionMessage(sequential), label = paste("concurrency", k))
  }
  # without sabotage the same reads succeed
  ok <- with_options(list(influxdbtoolkit.chunk_windows = 20),
                     influxdbtoolkit:::series_by_chunks(con, chunked_series(m, 4L), sabotaged_fetch(con, list()), NULL))
  expect_length(attr(ok, "queries"), 20L)
})

# ---- influx_query over several texts ---------------------------------------------------------

for_each_server("influx_query over several texts: a list in order, identical to one query at a time", {
  con <- connect_admin(srv)
  m <- parity_measurement(srv, con)
  mi <- influxdbtoolkit:::iql_ident(m)
  # (ranges of at most 72 hours: 3.x Core reads no more files per query)
  day1 <- "AND time >= '2024-03-29T00:00:00Z' AND time < '2024-03-30T00:00:00Z'"
  texts <- c(
    a = paste("SELECT count(temp) FROM", mi, "WHERE sensor = 'a'", day1),
    office = paste("SELECT max(meter) FROM", mi, "WHERE room = 'office'", day1, "GROUP BY sensor"),
    spring = paste("SELECT temp, meter FROM", mi, "WHERE time >= '2024-03-31T00:00:00Z' AND time < '2024-03-31T06:00:00Z' AND sensor = 'c'"),
    autumn = paste("SELECT mean(temp) FROM", mi, "WHERE time >= '2024-10-26T00:00:00Z' AND time < '2024-10-28T00:00:00Z' GROUP BY time(1h)")
  )
  one_by_one <- lapply(texts, function(q) influx_query(con, q))
  for (k in c(1L, concurrencies)) {
    expect_identical(influx_query(con, texts, concurrency = k), one_by_one, label = paste("concurrency", k))
  }
  expect_identical(influx_query(con, unname(texts), concurrency = 4L), unname(one_by_one))
  # a text of two statements gives its named list, as alone
  two <- paste(texts[["a"]], texts[["office"]], sep = "; ")
  expect_identical(influx_query(con, c(texts[["spring"]], two), concurrency = 4L),
                   list(influx_query(con, texts[["spring"]]), influx_query(con, two)))
  # one text is one result, not a list
  expect_identical(influx_query(con, texts[["a"]], concurrency = 4L), one_by_one$a)
})

for_each_server("influx_query over several texts: the first failing text, in order, raises its own error", {
  con <- connect_admin(srv)
  m <- parity_measurement(srv, con)
  good <- paste("SELECT count(temp) FROM", influxdbtoolkit:::iql_ident(m),
                "WHERE time >= '2024-03-29T00:00:00Z' AND time < '2024-03-30T00:00:00Z'")
  bad2 <- "SELECT mean(temp) FROM"
  bad4 <- "SELECT temp FROM \"nope\" WHERE time > 'not a time'"
  texts <- c(good, bad2, good, bad4, good)
  alone <- tryCatch(influx_query(con, bad2), error = identity)
  expect_s3_class(alone, "influx_error")
  for (k in c(1L, concurrencies)) {
    got <- tryCatch(influx_query(con, texts, concurrency = k), error = identity)
    expect_identical(class(got), class(alone), label = paste("concurrency", k))
    expect_identical(conditionMessage(got), conditionMessage(alone), label = paste("concurrency", k))
  }
})

for_each_server("influx_query with one text and a parameter set per range: one result per range", generations = c("v1", "v2"), {
  con <- connect_admin(srv)
  m <- parity_measurement(srv, con)
  q <- paste("SELECT count(temp) AS n, max(meter) AS top FROM", influxdbtoolkit:::iql_ident(m),
             "WHERE time >= $start AND time < $end GROUP BY sensor")
  days <- seq(as.POSIXct("2024-03-29", tz = "UTC"), by = "day", length.out = 4)
  ranges <- stats::setNames(lapply(days, function(d) list(start = format_utc(d), end = format_utc(d + 86400))),
                            format(days, "%m-%d"))
  one_by_one <- lapply(ranges, function(p) influx_query(con, q, params = p))
  expect_identical(influx_query(con, q, params = ranges, concurrency = 4L), one_by_one)
  # per range, what the data set holds: 144 ten-minute points per sensor and day, less the gaps
  points <- parity_points()
  for (d in names(ranges)) {
    t <- as.double(points$time)
    inside <- t >= as.double(as.POSIXct(ranges[[d]]$start, "%Y-%m-%dT%H:%M:%SZ", tz = "UTC")) &
      t < as.double(as.POSIXct(ranges[[d]]$end, "%Y-%m-%dT%H:%M:%SZ", tz = "UTC"))
    want <- as.integer(table(factor(points$sensor[inside], levels = c("a", "b", "c"))))
    got <- one_by_one[[d]]
    expect_identical(as.integer(got$n[order(got$sensor)]), want[want > 0], label = d)
  }
  expect_error(influx_query(con, c(q, q, q), params = ranges), class = "influx_error_argument")
})

# (DELETE is InfluxQL of 1.x only: 2.x's /query does not take it)
for_each_server("influx_query over several texts runs those that change data one after another, in order", generations = "v1", {
  con <- connect_admin(srv)
  m <- fresh_name("seq")
  mi <- influxdbtoolkit:::iql_ident(m)
  write_lines(con, sprintf("%s v=%d %d", m, 1:3, 1704067200 + 0:2), precision = "s")
  # the read after the delete sees it: a concurrent run could read first
  texts <- c(paste("SELECT count(v) FROM", mi), paste("DELETE FROM", mi, "WHERE time < '2024-01-01T00:00:01Z'"),
             paste("SELECT count(v) FROM", mi))
  got <- influx_query(con, texts, concurrency = 8L)
  expect_identical(got[[1]]$count, 3L)
  expect_identical(got[[3]]$count, 2L)
})

# ---- Ctrl-C ----------------------------------------------------------------------------------

test_that("Ctrl-C during a concurrent chunked read raises influx_interrupt and leaves nothing in flight", {
  skip_on_os("windows")
  s <- silent_port() # a server that never answers: every chunk request waits
  on.exit(close(s$socket))
  # the child sends itself SIGINT (Ctrl-C) a second after the read has begun
  out <- run_in_child(c(
    sprintf("con <- influx_connect('http://127.0.0.1:%d', version = 'v1', database = 'd', timeout = 120)", s$port),
    "options(influxdbtoolkit.chunk_windows = 10)",
    "system(sprintf(\"sh -c 'sleep 1; kill -INT %d' &\", Sys.getpid()))",
    "r <- tryCatch(influx_timeseries(con, 'm', 'v', start = 0, end = 86400, aggregate = 'mean', every = '1m', concurrency = 4),",
    "              interrupt = function(e) paste(class(e), collapse = ' '))",
    "writeLines(c(r, influxdbtoolkit:::pool_counts(con)[['active']]), outfile)"
  ))$out
  expect_equal(out, c("influx_interrupt interrupt condition", "0"))
})
