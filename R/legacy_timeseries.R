#' Time series the way the older in-house wrapper returned them
#'
#' The interface of the former `influxdbGetTimeseries()`, on 1.x and 2.x, on
#' top of [influx_timeseries()].
#'
#' * `func = "raw"` returns the points; `"mean"`, `"median"`, `"min"`, `"max"`
#'   aggregate per window of `agg`; `"diffMax"` is the difference between the
#'   maxima of consecutive windows (consumption from meter readings), so the
#'   first window of the period, which has no predecessor, is not returned.
#' * `agg` `"15m"`, `"1h"` and `"1d"` are windows aligned in `locTimeZone`
#'   (days from local midnight, also on the days clocks change). `"1W"`,
#'   `"1M"` and `"1Y"` are calendar weeks (Monday to Sunday), months and years
#'   in `locTimeZone`, computed from daily values: the mean, median, minimum or
#'   maximum of the daily values, or for `diffMax` their sum. The `time` of
#'   calendar results is a `Date` (the first day).
#' * `valueType = "counterVal"`: the field holds a counter; its increments
#'   (each reading minus the one before) are what gets aggregated (`diffMax`
#'   then sums them, `raw` returns them).
#' * `valueFactor` multiplies the values. Start and end are wall-clock times in
#'   `locTimeZone` (start inclusive, end exclusive); `NULL` means since 1970 and
#'   until now. Times are shown in `locTimeZone`, rounded to the second. Rows
#'   without a value are dropped; a single row is returned as a one-row data
#'   frame (the old wrapper returned `NULL`).
#'
#' @inheritParams legacy
#' @param measurement Measurement to read.
#' @param datetimeStart,datetimeEnd Period, as text (`"2024-03-01 00:00"`),
#'   `POSIXct` or `Date`.
#' @param func `"raw"`, `"mean"`, `"median"`, `"min"`, `"max"` or `"diffMax"`.
#' @param agg `"15m"`, `"1h"`, `"1d"`, `"1W"`, `"1M"` or `"1Y"`.
#' @param fieldKey Field to read.
#' @param fill Empty windows: `"null"` (dropped here, as rows without value
#'   are), `"none"`, `"previous"`, `"linear"` or a number.
#' @param valueFactor Number the values are multiplied by.
#' @param valueType `"absVal"` (the values themselves) or `"counterVal"`.
#' @param locTimeZone Time zone of the period, the windows and the result.
#' @return `data.frame(time, <measurement>)`: the values in a column named
#'   after the measurement.
#' @export
#' @examplesIf nzchar(Sys.getenv("INFLUXTK_EXAMPLE_HOST"))
#' influxdbGetTimeseries(Sys.getenv("INFLUXTK_EXAMPLE_HOST"), Sys.getenv("INFLUXTK_EXAMPLE_PORT"),
#'                       database = "influxtk_demo", measurement = "climate",
#'                       fieldKey = "temperature", datetimeStart = "2024-03-30",
#'                       datetimeEnd = "2024-04-02", func = "mean", agg = "1d")
influxdbGetTimeseries <- function(host, port = "8086", user = NULL, pwd = NULL, database, measurement,
                                  datetimeStart = NULL, datetimeEnd = NULL, func = "raw", agg = "1d",
                                  fieldKey = "value", fill = "null", valueFactor = 1, valueType = "absVal",
                                  locTimeZone = "Europe/Zurich", ...) {
  call <- sys.call()
  check_legacy_dots(host, list(...), "influxdbGetTimeseries", call)
  func <- check_choice(func, c("raw", "mean", "median", "min", "max", "diffMax"), "func", call)
  agg <- check_choice(agg, c("15m", "1h", "1d", "1W", "1M", "1Y"), "agg", call)
  valueType <- check_choice(valueType, c("absVal", "counterVal"), "valueType", call)
  if (!is.numeric(valueFactor) || length(valueFactor) != 1 || !is.finite(valueFactor)) {
    abort_argument("`valueFactor` must be one finite number", call)
  }
  check_tz(locTimeZone, call)
  fill <- check_fill(fill, call)
  start <- datetimeStart %||% .POSIXct(0, tz = "UTC")
  end <- datetimeEnd %||% Sys.time()
  db <- if (missing(database)) NULL else database

  with_legacy_connection(host, port, user, pwd, ..., fun = function(con) {
    read <- function(aggregate, every) {
      df <- influx_timeseries(con, measurement, fieldKey, start = start, end = end, aggregate = aggregate,
                              every = every, fill = if (is.null(aggregate)) "none" else fill,
                              tz = locTimeZone, database = db,
                              group_by = character(), progress = FALSE)
      data.frame(time = df$time, value = as.double(df[[fieldKey]]))
    }
    calendar <- agg %in% c("1W", "1M", "1Y")
    if (valueType == "counterVal") {
      points <- read(NULL, NULL)
      increments <- data.frame(time = points$time[-1], value = diff(points$value))
      out <- if (func == "raw") increments
             else aggregate_by_period(increments, agg, if (func == "diffMax") "sum" else func, locTimeZone)
    } else if (func == "raw") {
      out <- read(NULL, NULL)
    } else {
      server_func <- if (func == "diffMax") "diffmax" else func
      out <- read(server_func, if (calendar) "1d" else agg)
      if (calendar) out <- aggregate_by_period(out, agg, if (func == "diffMax") "sum" else func, locTimeZone)
    }
    out$value <- out$value * valueFactor
    out <- out[!is.na(out$value), , drop = FALSE]
    if (inherits(out$time, "POSIXct")) out$time <- .POSIXct(round(as.double(out$time)), tz = locTimeZone)
    names(out)[2] <- measurement
    rownames(out) <- NULL
    out
  })
}

# Values per window of `agg` in local time, reduced by `func`: 15m/1h/1d windows as the servers
# lay them out (stamped with their start, POSIXct), calendar weeks (from Monday), months and
# years as Dates of their first day.
aggregate_by_period <- function(df, agg, func, tz) {
  df <- df[!is.na(df$value), , drop = FALSE]
  t <- as.double(df$time)
  if (agg %in% c("15m", "1h", "1d")) {
    every <- c("15m" = 900, "1h" = 3600, "1d" = 86400)[[agg]]
    key <- window_start(t, every, 0, tz)
  } else {
    day <- as.Date(format(df$time, "%Y-%m-%d", tz = tz))
    key <- switch(agg,
      "1W" = day - (as.integer(format(day, "%u")) - 1L),
      "1M" = as.Date(format(day, "%Y-%m-01")),
      "1Y" = as.Date(format(day, "%Y-01-01")))
    key <- as.double(key)
  }
  reduce <- switch(func, mean = mean, median = stats::median, min = min, max = max, sum = sum)
  groups <- split(df$value, key)
  starts <- as.double(names(groups))
  values <- vapply(groups, reduce, 0, USE.NAMES = FALSE)
  time <- if (agg %in% c("15m", "1h", "1d")) .POSIXct(starts, tz = tz) else as.Date(starts, origin = "1970-01-01")
  o <- order(starts)
  data.frame(time = time[o], value = values[o])
}
