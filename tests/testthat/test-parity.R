# One data set on every server; a matrix of influx_timeseries() calls must return the same data
# frame everywhere (3.x through its SQL dialect), and the frame the oracle (helper-parity.R)
# computes from the points.

parity_days <- list(
  spring = c("2024-03-30 17:10", "2024-04-01 06:30"),
  autumn = c("2024-10-26 17:10", "2024-10-28 06:30")
)
parity_wheres <- list(
  one_sensor = list(sensor = "a"),
  room_together = list(room = "office"),
  two_sensors = list(sensor = c("a", "c"))
)
parity_everys <- c("15m", "1h", "6h", "1d")
parity_fills <- list("none", "null", "previous", "linear", -1)
parity_aggregates <- c("mean", "median", "min", "max", "sum", "count", "first", "last", "spread", "stddev", "diffmax")

# Results of the first server, to compare the others with: same columns, same classes.
parity_reference <- new.env()
parity_oracle <- new.env()

strip_queries <- function(df) {
  attr(df, "queries") <- NULL
  df
}

column_classes <- function(df) vapply(df, function(v) paste(class(v), collapse = "/"), "")

for_each_server("influx_timeseries: every aggregate x every x fill x DST day x tag filter", {
  con <- connect_admin(srv)
  m <- parity_measurement(srv, con)
  points <- parity_points()
  fields <- c("meter", "temp")
  for (day in names(parity_days)) for (wn in names(parity_wheres)) for (agg in parity_aggregates)
  for (every in parity_everys) for (fill in parity_fills) {
    label <- sprintf("%s %s %s every %s fill %s", day, wn, agg, every, format(fill))
    start <- parity_days[[day]][1]
    end <- parity_days[[day]][2]
    where <- parity_wheres[[wn]]
    got <- strip_queries(influx_timeseries(con, m, fields, start = start, end = end, where = where,
                                           aggregate = agg, every = every, fill = fill, tz = parity_tz))
    if (is.null(parity_oracle[[label]])) {
      parity_oracle[[label]] <- oracle_timeseries(points, fields, as.POSIXct(start, tz = parity_tz),
                                                  as.POSIXct(end, tz = parity_tz), where, agg, every, fill)
    }
    want <- parity_oracle[[label]]
    expect_equal(as.data.frame(lapply(got, function(v) if (inherits(v, "integer64")) as.double(v) else v)),
                 want, tolerance = 1e-9, label = paste(srv$name, label))
    ref <- parity_reference[[label]]
    if (is.null(ref)) {
      parity_reference[[label]] <- got
    } else {
      expect_identical(column_classes(got), column_classes(ref), label = paste(srv$name, label, "classes"))
      expect_equal(got, ref, tolerance = 1e-12, label = paste(srv$name, label, "vs first server"))
    }
  }
})

for_each_server("InfluxQL and Flux agree on 2.x for every aggregate across both DST days", generations = "v2", {
  con <- connect_admin(srv)
  m <- parity_measurement(srv, con)
  for (day in names(parity_days)) for (agg in parity_aggregates) for (every in c("1h", "1d")) {
    args <- list(con, m, c("meter", "temp"), start = parity_days[[day]][1], end = parity_days[[day]][2],
                 where = list(sensor = c("a", "b")), aggregate = agg, every = every, fill = "null", tz = parity_tz)
    flux <- strip_queries(do.call(influx_timeseries, c(args, language = "flux")))
    iql <- strip_queries(do.call(influx_timeseries, c(args, language = "influxql")))
    expect_equal(flux, iql, tolerance = 1e-12, label = paste(day, agg, every))
  }
})

for_each_server("time series on 3.x go through SQL; InfluxQL is refused, naming the way that works", generations = "v3", {
  con <- connect_admin(srv)
  m <- parity_measurement(srv, con)
  args <- list(con, m, "temp", start = parity_days$spring[1], end = parity_days$spring[2], aggregate = "mean",
               every = "1h", tz = parity_tz)
  e <- expect_error(do.call(influx_timeseries, c(args, language = "influxql")), class = "influx_error_unsupported")
  expect_match(conditionMessage(e), "language = \"sql\"", fixed = TRUE)
  expect_identical(strip_queries(do.call(influx_timeseries, c(args, language = "sql"))),
                   strip_queries(do.call(influx_timeseries, args)))
})

for_each_server("daily windows start at local midnight and last 23 and 25 hours on the change days", {
  con <- connect_admin(srv)
  m <- parity_measurement(srv, con)
  for (day in c("2024-03-31", "2024-10-27")) {
    df <- influx_timeseries(con, m, "temp", start = as.Date(day) - 1, end = as.Date(day) + 2,
                            aggregate = "count", every = "1d", fill = "null", tz = parity_tz)
    expect_identical(format(df$time, "%Y-%m-%d %H:%M:%S"),
                     format(as.Date(day) + (-1):1, "%Y-%m-%d 00:00:00"))
    hours <- as.numeric(diff(c(df$time, as.POSIXct(format(as.Date(day) + 2), tz = parity_tz))), units = "hours")
    expect_identical(hours, if (day == "2024-03-31") c(24, 23, 24) else c(24, 25, 24))
  }
})

for_each_server("weekly windows start on Monday in local time", {
  con <- connect_admin(srv)
  m <- parity_measurement(srv, con)
  df <- influx_timeseries(con, m, "temp", start = "2024-03-20", end = "2024-04-10", aggregate = "count",
                          every = "1w", fill = "null", tz = parity_tz)
  expect_identical(format(df$time, "%Y-%m-%d %H:%M %a", tz = parity_tz),
                   c("2024-03-18 00:00 Mon", "2024-03-25 00:00 Mon", "2024-04-01 00:00 Mon", "2024-04-08 00:00 Mon"))
  p <- parity_points()
  p <- p[p$time >= as.POSIXct("2024-03-25", tz = parity_tz) & p$time < as.POSIXct("2024-04-01", tz = parity_tz), ]
  expect_identical(df$temp[2], nrow(p))
})

for_each_server("weekly aggregates over both clock changes match across servers", {
  con <- connect_admin(srv)
  m <- parity_measurement(srv, con)
  for (agg in parity_aggregates) for (fill in list("none", "null", "linear")) {
    label <- paste("weekly", agg, format(fill))
    got <- strip_queries(influx_timeseries(con, m, c("meter", "temp"), start = "2024-03-13 12:00", end = "2024-11-05",
                                           where = list(sensor = c("a", "b")), aggregate = agg, every = "1w",
                                           fill = fill, tz = parity_tz))
    expect_true(all(format(got$time, "%a %H:%M", tz = parity_tz) == "Mon 00:00"), label = label)
    ref <- parity_reference[[label]]
    if (is.null(ref)) parity_reference[[label]] <- got
    else expect_equal(got, ref, tolerance = 1e-12, label = paste(srv$name, label))
  }
})
