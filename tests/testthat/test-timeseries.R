# influx_timeseries() beyond the parity matrix: points, shapes, chunks, query text, injection,
# and arguments.

series_query_text <- function(language, ...) {
  spec <- utils::modifyList(list(
    bucket = "b", measurement = "m", fields = "v", where = NULL, group_by = character(),
    window_start = 1711839600, data_start = 1711839600, stop = 1711926000, aggregate = "mean",
    every = 3600e9, offset = 0, create_empty = TRUE, tz = "Europe/Zurich", zone_offset = 3600e9
  ), list(...))
  spec[c("window_start", "data_start", "stop")] <- lapply(spec[c("window_start", "data_start", "stop")],
                                                         function(s) s * 1e9)
  .Call(influxdbtoolkit:::C_series_query, spec, language)
}

test_that("the InfluxQL dialect quotes every name and value and writes exact time literals", {
  q <- series_query_text("influxql", measurement = "m\"x", fields = c("te'mp", "b\\c"),
                         where = list("ro\"om" = c("it's", "a\nb", "${x}")), group_by = "ro\"om",
                         aggregate = "median", every = 900e9, data_start = 1711841400.5)
  expect_identical(q, paste0(
    "SELECT median(\"te'mp\") AS \"te'mp\", median(\"b\\\\c\") AS \"b\\\\c\" FROM \"m\\\"x\" ",
    "WHERE time >= '2024-03-30T23:30:00.500000000Z' AND time < '2024-03-31T23:00:00.000000000Z' ",
    "AND (\"ro\\\"om\"::tag = 'it\\'s' OR \"ro\\\"om\"::tag = 'a\\nb' OR \"ro\\\"om\"::tag = '${x}') ",
    "GROUP BY time(15m, 0s), \"ro\\\"om\" fill(null) tz('Europe/Zurich')"))
  raw <- series_query_text("influxql", aggregate = NULL, tz = NULL)
  expect_identical(raw, "SELECT \"v\" FROM \"m\" WHERE time >= '2024-03-30T23:00:00.000000000Z' AND time < '2024-03-31T23:00:00.000000000Z'")
  whole <- series_query_text("influxql", every = 0, create_empty = FALSE)
  expect_false(grepl("GROUP BY|fill", whole))
})

test_that("the Flux dialect quotes strings with ${ and aligns windows by range and filter", {
  q <- series_query_text("flux", bucket = "b\"k", measurement = "${m}", fields = "f\\",
                         where = list("t\"g" = "${r._value}"), group_by = "t\"g", aggregate = "last",
                         every = 86400e9, data_start = 1711846800)
  expect_identical(q, paste0(
    "import \"timezone\"\n\n",
    "from(bucket: \"b\\\"k\")\n",
    "  |> range(start: 2024-03-30T23:00:00.000000000Z, stop: 2024-03-31T23:00:00.000000000Z)\n",
    "  |> filter(fn: (r) => r._measurement == \"\\${m}\" and (r._field == \"f\\\\\"))\n",
    "  |> filter(fn: (r) => (r[\"t\\\"g\"] == \"\\${r._value}\"))\n",
    "  |> filter(fn: (r) => r._time >= 2024-03-31T01:00:00.000000000Z)\n",
    "  |> group(columns: [\"_field\", \"t\\\"g\"])\n",
    "  |> sort(columns: [\"_time\"])\n",
    "  |> aggregateWindow(every: 1d, offset: 0s, fn: last, createEmpty: true, timeSrc: \"_start\", ",
    "location: timezone.location(name: \"Europe/Zurich\"))\n",
    "  |> keep(columns: [\"_time\", \"_field\", \"_value\", \"t\\\"g\"])\n"))
  # an hour or less: no location (Flux adds a bogus window across DST); the zone's offset shifts the grid
  q <- series_query_text("flux", every = 3600e9, zone_offset = 19800e9, tz = "Asia/Kolkata")
  expect_match(q, "aggregateWindow(every: 1h, offset: 30m, fn: mean", fixed = TRUE)
  expect_false(grepl("location", q))
})

test_that("window starts follow local midnight, and the server's rule for shorter windows", {
  ws <- influxdbtoolkit:::window_start
  tz <- "Europe/Zurich"
  at <- function(x) as.double(as.POSIXct(x, tz = tz))
  expect_identical(ws(at("2024-03-31 12:00"), 86400, 0, tz), at("2024-03-31 00:00"))
  expect_identical(ws(at("2024-10-27 23:59"), 86400, 0, tz), at("2024-10-27 00:00"))
  expect_identical(ws(at("2024-03-31 05:10"), 6 * 3600, 0, tz), at("2024-03-31 00:00"))
  expect_identical(ws(at("2024-04-03 10:00"), 7 * 86400, 4 * 86400, tz), at("2024-04-01 00:00"))
  expect_identical(ws(at("2024-03-31 03:20"), 900, 0, tz), at("2024-03-31 03:15"))
  grid <- influxdbtoolkit:::window_grid(at("2024-10-27 00:00"), at("2024-10-27 03:00"), 3600, 0, tz)
  expect_identical(length(grid), 4L) # 00, 01, 02 (summer time), 02 (winter time)
})

test_that("arguments are checked before anything is sent", {
  # a connection that is never used: the version is given, so nothing is asked of the server
  con <- influx_connect("http://127.0.0.1:9", version = "v1", database = "db")
  on.exit(influx_disconnect(con))
  call <- function(...) influx_timeseries(con, "m", "v", start = "2024-03-01", end = "2024-03-02", ...)
  expect_error(call(fill = "zero"), class = "influx_error_argument")
  expect_error(call(fill = NA_real_), class = "influx_error_argument")
  expect_error(call(aggregate = "avg", every = "1h"), class = "influx_error_argument")
  expect_error(call(aggregate = "mean"), class = "influx_error_argument")
  expect_error(call(every = "1h"), class = "influx_error_argument")
  expect_error(call(aggregate = "mean", every = "1mo"), class = "influx_error_argument")
  expect_error(call(aggregate = "mean", every = "0m"), class = "influx_error_argument")
  expect_error(call(where = list("a")), class = "influx_error_argument")
  expect_error(call(where = list(a = NA_character_)), class = "influx_error_argument")
  expect_error(call(where = list(time = "x")), class = "influx_error_argument")
  expect_error(call(shape = "tall"), class = "influx_error_argument")
  expect_error(call(tz = "Mars/Olympus"), class = "influx_error_argument")
  expect_error(call(language = "flux"), class = "influx_error_unsupported")
  expect_error(influx_timeseries(con, "m", "v", start = "2024-03-31 02:30", end = "2024-04-01"),
               class = "influx_error_argument")
  expect_error(influx_timeseries(con, "m", "v", start = "2024-03-02", end = "2024-03-01"),
               class = "influx_error_argument")
  expect_error(influx_timeseries(con, c("m", "n"), "v", start = "2024-03-01", end = "2024-03-02"),
               class = "influx_error_argument")
})

for_each_server("points come back as written, wide and long, grouped by the tags asked for", {
  con <- connect_admin(srv)
  m <- parity_measurement(srv, con)
  p <- parity_points()
  start <- as.POSIXct("2024-10-26 20:00", tz = parity_tz)
  end <- as.POSIXct("2024-10-27 04:00", tz = parity_tz)
  want <- p[p$time >= start & p$time < end & p$sensor %in% c("a", "c"), c("time", "sensor", "meter", "temp")]
  want <- want[order(want$sensor, want$time), ]
  rownames(want) <- NULL
  got <- influx_timeseries(con, m, c("meter", "temp"), start = start, end = end, where = list(sensor = c("a", "c")))
  expect_s3_class(got, "influx_timeseries")
  got <- as.data.frame(got)
  attr(got, "queries") <- NULL
  expect_equal(got, want)
  expect_identical(attr(got$time, "tzone"), "Europe/Zurich")
  expect_type(got$meter, "integer")
  long <- influx_timeseries(con, m, c("meter", "temp"), start = start, end = end, where = list(sensor = c("a", "c")),
                            shape = "long")
  expect_identical(names(long), c("time", "sensor", "field", "value"))
  expect_identical(nrow(long), 2L * nrow(want))
  expect_equal(sort(long$value[long$field == "temp"]), sort(want$temp))
  # all fields when none are named; tags not asked for are not columns
  all <- influx_timeseries(con, m, start = start, end = end, where = list(room = "lab"), group_by = NULL)
  expect_identical(names(all), c("time", "meter", "temp"))
  expect_identical(nrow(all), sum(p$time >= start & p$time < end & p$room == "lab"))
})

for_each_server("a range fetched in chunks gives the frame of one request", {
  con <- connect_admin(srv)
  m <- parity_measurement(srv, con)
  args <- list(con, m, c("meter", "temp"), start = "2024-03-29 06:00", end = "2024-04-01 18:00",
               where = list(sensor = c("a", "b")), every = "1h")
  for (agg in c("mean", "diffmax", "first")) for (fill in list("none", "null", "previous", "linear", 0)) {
    whole <- do.call(influx_timeseries, c(args, aggregate = agg, fill = list(fill)))
    chunked <- with_options(list(influxdbtoolkit.chunk_windows = 7L),
                             do.call(influx_timeseries, c(args, aggregate = agg, fill = list(fill), progress = TRUE)))
    expect_gt(length(attr(chunked, "queries")), 10)
    attr(whole, "queries") <- attr(chunked, "queries") <- NULL
    expect_equal(chunked, whole, label = paste(agg, format(fill)))
  }
  raw_whole <- influx_timeseries(con, m, "temp", start = "2024-03-29", end = "2024-04-02")
  raw_chunked <- with_options(list(influxdbtoolkit.chunk_seconds = 6 * 3600),
                               influx_timeseries(con, m, "temp", start = "2024-03-29", end = "2024-04-02"))
  expect_identical(length(attr(raw_chunked, "queries")), 16L)
  attr(raw_whole, "queries") <- attr(raw_chunked, "queries") <- NULL
  expect_identical(raw_chunked, raw_whole)
})

for_each_server("nothing in the period: a zero-row frame with the asked-for columns", {
  con <- connect_admin(srv)
  m <- parity_measurement(srv, con)
  for (agg in list(NULL, "mean")) {
    df <- influx_timeseries(con, m, c("meter", "temp"), start = "2023-01-01", end = "2023-01-02",
                            where = list(sensor = "a"), aggregate = agg, every = if (!is.null(agg)) "1h", fill = "null")
    expect_identical(names(df), c("time", "sensor", "meter", "temp"))
    expect_identical(nrow(df), 0L)
    expect_s3_class(df$time, "POSIXct")
  }
})

hostile_values <- c("it's", "say \"hi\"", "back\\slash", "two\\\\back", "${r._value}", "${x}", "ünï 😀",
                    "a' OR 'x'='x", "\") or true or (\"", "com,ma=eq ual", "/.*/")

for_each_server("names and values with quotes, backslashes, ${, newlines and unicode never change a query", {
  con <- connect_admin(srv)
  m <- fresh_name("hostile'\"${m}\\")
  key <- "k\"e'y\\${k}"
  field <- "f\"i'eld\\${f} ü"
  base <- as.POSIXct("2024-05-01 12:00", tz = "UTC")
  df <- data.frame(time = base + seq_along(hostile_values) * 60, tag = hostile_values,
                   value = seq_along(hostile_values) * 1.5)
  df <- rbind(df, data.frame(time = base + 3600, tag = "decoy", value = -1))
  names(df) <- c("time", key, field)
  influx_write(con, df, measurement = m, tags = key, fields = field)
  window <- list(start = base, end = base + 7200)
  for (i in seq_along(hostile_values)) {
    where <- stats::setNames(list(hostile_values[i]), key)
    got <- do.call(influx_timeseries, c(list(con, m, field), window, list(where = where, tz = "UTC")))
    expect_identical(got[[key]], hostile_values[i], label = hostile_values[i])
    expect_identical(got[[field]], i * 1.5, label = hostile_values[i])
    agg <- do.call(influx_timeseries, c(list(con, m, field), window,
                                        list(where = where, aggregate = "count", every = "1d", tz = "UTC")))
    expect_identical(agg[[field]], 1L, label = hostile_values[i])
  }
  for (probe in c("x' OR ''='", "x\") or r._value > 0 or (\"", "${0}", "a\nb", "decoy\\")) {
    got <- do.call(influx_timeseries, c(list(con, m, field), window, list(where = stats::setNames(list(probe), key))))
    expect_identical(nrow(got), 0L, label = probe)
  }
  all <- do.call(influx_timeseries, c(list(con, m, field), window, list(group_by = key, tz = "UTC")))
  expect_setequal(all[[key]], c(hostile_values, "decoy"))
  expect_identical(influx_tag_values(con, m, key)$value, sort(c(hostile_values, "decoy"), method = "radix"))
  expect_identical(influx_tag_keys(con, m)$key, key)
  expect_identical(influx_field_keys(con, m)$field, field)
  expect_true(m %in% influx_measurements(con)$name)
})
