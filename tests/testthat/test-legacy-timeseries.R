# influxdbGetTimeseries() against a computation in plain R on the points that were written.

legacy_tz <- "Europe/Zurich"

# A meter (a counter, read irregularly) and a room temperature, over both clock changes.
legacy_points <- function() {
  set.seed(7)
  t <- c(seq(as.POSIXct("2024-03-18", tz = legacy_tz), as.POSIXct("2024-04-16", tz = legacy_tz), by = 1800),
         seq(as.POSIXct("2024-10-14", tz = legacy_tz), as.POSIXct("2024-11-12", tz = legacy_tz), by = 1800))
  t <- t + sample(0:1500, length(t), replace = TRUE) + 0.25
  hour <- as.integer(format(t, "%H", tz = legacy_tz))
  t <- t[!(format(t, "%Y-%m-%d", tz = legacy_tz) %in% c("2024-03-27", "2024-10-30") & hour >= 8 & hour < 14)]
  data.frame(time = t, meter = 5000 + cumsum(sample(0:40, length(t), replace = TRUE)) / 4,
             temp = sample(70:100, length(t), replace = TRUE) / 4)
}

legacy_measurements <- local({
  made <- list()
  function(srv, con) {
    if (is.null(made[[srv$name]])) {
      p <- legacy_points()
      names <- c(meter = fresh_name("legacy_meter"), temp = fresh_name("legacy_temp"))
      influx_write(con, data.frame(time = p$time, value = p$meter), measurement = names[["meter"]], tags = character())
      influx_write(con, data.frame(time = p$time, value = p$temp), measurement = names[["temp"]], tags = character())
      made[[srv$name]] <<- names
    }
    made[[srv$name]]
  }
})

# What the old wrapper computed, by a route of its own: windows from wall-clock fields
# (oracle_window), calendar periods from formatted local dates.
legacy_expected <- function(p, start, end, func, agg, value_type, factor) {
  p <- p[p$time >= start & p$time < end, ]
  if (value_type == "counterVal") {
    p <- data.frame(time = p$time[-1], value = diff(p$value))
    if (func == "diffMax") func <- "sum"
  }
  if (func == "raw") {
    out <- data.frame(time = .POSIXct(round(as.double(p$time)), tz = legacy_tz), value = p$value * factor)
    return(out[!is.na(out$value), ])
  }
  # increments of a counter are aggregated straight into calendar periods; values through days
  calendar <- agg %in% c("1W", "1M", "1Y") && value_type == "absVal"
  if (agg %in% c("1W", "1M", "1Y") && value_type == "counterVal") {
    p$time <- as.POSIXct(format(p$time, "%Y-%m-%d", tz = legacy_tz), tz = legacy_tz)
    day <- as.Date(format(p$time, "%Y-%m-%d", tz = legacy_tz))
    period <- switch(agg,
      "1W" = day - (as.POSIXlt(day)$wday + 6) %% 7,
      "1M" = as.Date(sprintf("%s-01", format(day, "%Y-%m"))),
      "1Y" = as.Date(sprintf("%s-01-01", format(day, "%Y"))))
    reduce <- list(mean = mean, median = stats::median, min = min, max = max, sum = sum)[[func]]
    periods <- sort(unique(period))
    return(data.frame(time = periods, value = vapply(periods, function(d) reduce(p$value[period == d]), 0) * factor))
  }
  every <- c("15m" = 900, "1h" = 3600, "1d" = 86400, "1W" = 86400, "1M" = 86400, "1Y" = 86400)[[agg]]
  reduce <- list(mean = mean, median = stats::median, min = min, max = max, sum = sum, diffMax = max)
  w <- oracle_window(p$time, every)
  keys <- sort(unique(w))
  v <- vapply(keys, function(k) reduce[[func]](p$value[w == k]), 0)
  if (func == "diffMax" && value_type == "absVal") {
    v <- c(NA, diff(v))
  }
  out <- data.frame(time = keys, value = v)
  out <- out[!is.na(out$value), ]
  if (calendar) {
    day <- as.Date(format(.POSIXct(out$time, tz = legacy_tz), "%Y-%m-%d", tz = legacy_tz))
    period <- switch(agg,
      "1W" = day - (as.POSIXlt(day)$wday + 6) %% 7,
      "1M" = as.Date(sprintf("%s-01", format(day, "%Y-%m"))),
      "1Y" = as.Date(sprintf("%s-01-01", format(day, "%Y"))))
    total <- if (func == "diffMax" || (func == "sum")) sum else reduce[[func]]
    periods <- sort(unique(period))
    out <- data.frame(time = periods, value = vapply(periods, function(d) total(out$value[period == d]), 0))
  } else {
    out$time <- .POSIXct(out$time, tz = legacy_tz)
  }
  out$value <- out$value * factor
  rownames(out) <- NULL
  out
}

for_each_server("influxdbGetTimeseries: every func x agg x valueType, as computed in plain R", {
  con <- connect_admin(srv)
  ms <- legacy_measurements(srv, con)
  p <- legacy_points()
  legacy_con <- if (srv$generation == "v2") con else NULL
  for (func in c("raw", "mean", "median", "min", "max", "diffMax"))
  for (agg in c("15m", "1h", "1d", "1W", "1M", "1Y"))
  for (value_type in c("absVal", "counterVal")) {
    if (func == "raw" && agg != "1d") next
    if (agg %in% c("15m", "1h") && value_type == "counterVal" && func != "mean") next
    start <- if (agg %in% c("1M", "1Y")) "2024-03-01 00:00" else "2024-03-24 06:00"
    end <- if (agg %in% c("1M", "1Y")) "2024-12-01 00:00" else "2024-04-02 18:00"
    if (agg %in% c("15m", "1h")) { start <- "2024-03-30 06:00"; end <- "2024-04-01 08:00" }
    m <- if (func == "diffMax" || value_type == "counterVal") ms[["meter"]] else ms[["temp"]]
    field_values <- if (m == ms[["meter"]]) p$meter else p$temp
    want <- legacy_expected(data.frame(time = p$time, value = field_values),
                            as.POSIXct(start, tz = legacy_tz), as.POSIXct(end, tz = legacy_tz),
                            func, agg, value_type, factor = 0.5)
    names(want)[2] <- m
    args <- list(database = "influxtk_test", measurement = m, datetimeStart = start, datetimeEnd = end,
                 func = func, agg = agg, valueType = value_type, valueFactor = 0.5, locTimeZone = legacy_tz)
    got <- if (is.null(legacy_con)) {
      do.call(influxdbGetTimeseries, c(list(host = srv$url, port = NULL), legacy_args(srv), args))
    } else {
      do.call(influxdbGetTimeseries, c(list(host = legacy_con), args))
    }
    expect_equal(got, want, tolerance = 1e-9, label = paste(srv$name, func, agg, value_type))
  }
})

for_each_server("influxdbGetTimeseries keeps a one-row result, drops NA rows and takes user and password", {
  con <- connect_admin(srv)
  ms <- legacy_measurements(srv, con)
  legacy <- function(...) do.call(influxdbGetTimeseries, c(list(srv$url, NULL), legacy_args(srv), list(...)))
  one <- legacy(database = "influxtk_test", measurement = ms[["temp"]], datetimeStart = "2024-03-20 00:00",
                datetimeEnd = "2024-03-21 00:00", func = "max", agg = "1d")
  expect_identical(nrow(one), 1L)
  expect_identical(names(one), c("time", ms[["temp"]]))
  expect_identical(format(one$time, "%Y-%m-%d %H:%M:%S %Z"), "2024-03-20 00:00:00 CET")
  # the gap on 2024-03-27 08:00-14:00 is empty hours: with fill null they are dropped, with a number kept
  gap <- list(database = "influxtk_test", measurement = ms[["temp"]],
              datetimeStart = "2024-03-27 06:00", datetimeEnd = "2024-03-27 16:00", func = "mean", agg = "1h")
  expect_identical(nrow(do.call(legacy, gap)), 4L)
  expect_identical(nrow(do.call(legacy, c(gap, fill = 0))), 10L)
  raw <- legacy(database = "influxtk_test", measurement = ms[["temp"]], datetimeStart = "2024-03-20 00:00",
                datetimeEnd = "2024-03-20 03:00")
  expect_true(all(as.double(raw$time) == round(as.double(raw$time))))
  expect_error(legacy(database = "influxtk_test", measurement = ms[["temp"]], func = "avg"), class = "influx_error_argument")
})
