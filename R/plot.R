#' Plot a time series read with influx_timeseries()
#'
#' One panel per field, its unit on the y axis (from `units` columns, else
#' from the unit lookup of [influx_units()]), one line per series (each
#' combination of the `group_by` tags, named in the legend), and the time
#' axis in the time zone of the `time` column. Points are placed at their
#' instants, so the days summer time begins and ends are drawn 23 and 25
#' hours long, never folded or doubled. `plot()` uses base graphics;
#' `autoplot()` returns a ggplot (ggplot2 must be installed).
#'
#' @param x,object A data frame from [influx_timeseries()] (wide or long).
#' @param y Unused.
#' @param ... Passed to [graphics::plot()] for each panel; unused by
#'   `autoplot()`.
#' @return `plot()`: invisibly, what it drew: a list with one element per
#'   panel (`field`, `unit`, `label`, and `series`, a list of data frames
#'   `time`, `value` per line). `autoplot()`: a ggplot object.
#' @name plot.influx_timeseries
#' @export
#' @examples
#' t <- seq(as.POSIXct("2024-10-26 12:00", tz = "Europe/Zurich"), by = 3600, length.out = 48)
#' df <- data.frame(time = t, room = rep(c("office", "lab"), each = 24),
#'                  temperature_degC = 20 + sin(seq_along(t) / 4))
#' class(df) <- c("influx_timeseries", "data.frame")
#' plot(df)
plot.influx_timeseries <- function(x, y, ...) {
  panels <- plot_panels(x)
  if (!length(panels)) abort_argument("nothing to plot: the frame has no numeric field with values")
  old <- graphics::par(mfrow = c(length(panels), 1), mar = c(2.5, 4.5, 1.5, 1), mgp = c(2.8, 0.8, 0))
  on.exit(graphics::par(old))
  series_names <- unique(unlist(lapply(panels, function(p) names(p$series))))
  colours <- stats::setNames(grDevices::hcl.colors(max(length(series_names), 2), "Dark 3")[seq_along(series_names)],
                             series_names)
  tz <- attr(x$time, "tzone") %||% ""
  for (i in seq_along(panels)) {
    p <- panels[[i]]
    all_t <- do.call(c, lapply(p$series, function(s) s$time))
    all_v <- unlist(lapply(p$series, function(s) s$value))
    span <- .POSIXct(range(as.double(all_t), na.rm = TRUE), tz = tz)
    graphics::plot(span, range(all_v, na.rm = TRUE), type = "n", xlab = "", ylab = p$label, xaxt = "n",
                   main = if (i == 1) attr(x, "series")$measurement, ...)
    at <- time_ticks(span, tz)
    graphics::axis(1, at = at, labels = attr(at, "labels"))
    graphics::grid(nx = NA, ny = NULL, col = "grey85", lty = 1)
    graphics::abline(v = at, col = "grey85")
    for (s in names(p$series)) {
      graphics::lines(p$series[[s]]$time, p$series[[s]]$value, col = colours[[s]], lwd = 1.5,
                      type = if (few_points(p$series)) "o" else "l", pch = 19, cex = 0.6)
    }
    if (length(p$series) > 1 || !identical(names(p$series), "all")) {
      graphics::legend("topright", legend = names(p$series), col = colours[names(p$series)], lwd = 1.5,
                       bty = "n", cex = 0.8)
    }
  }
  invisible(panels)
}

#' @rdname plot.influx_timeseries
#' @exportS3Method ggplot2::autoplot
autoplot.influx_timeseries <- function(object, ...) {
  if (!requireNamespace("ggplot2", quietly = TRUE)) {
    influx_abort("influx_error_dependency", "autoplot() needs the ggplot2 package (Debian: r-cran-ggplot2)",
                 package = "ggplot2", call = sys.call())
  }
  panels <- plot_panels(object)
  if (!length(panels)) abort_argument("nothing to plot: the frame has no numeric field with values")
  tz <- attr(object$time, "tzone") %||% ""
  labels <- vapply(panels, `[[`, "", "label")
  rows <- lapply(panels, function(p) {
    do.call(rbind, lapply(names(p$series), function(s) {
      data.frame(time = p$series[[s]]$time, value = p$series[[s]]$value, series = s, panel = p$label,
                 stringsAsFactors = FALSE)
    }))
  })
  long <- do.call(rbind, rows)
  long$panel <- factor(long$panel, levels = labels)
  long$series <- factor(long$series, levels = unique(unlist(lapply(panels, function(p) names(p$series)))))
  marks <- few_points(unlist(lapply(panels, `[[`, "series"), recursive = FALSE))
  one <- length(levels(long$series)) == 1 && identical(levels(long$series), "all")
  g <- ggplot2::ggplot(long, ggplot2::aes(x = .data[["time"]], y = .data[["value"]], colour = .data[["series"]])) +
    # a series of one point is no line (and ggplot2 would say so in the report): its point shows
    ggplot2::geom_line(data = function(d) d[stats::ave(seq_along(d$series), d$series, d$panel, FUN = length) > 1, ],
                       na.rm = TRUE) +
    (if (marks) ggplot2::geom_point(na.rm = TRUE, size = 1.2)) +
    ggplot2::scale_x_datetime(timezone = tz, breaks = function(limits) time_ticks(limits, tz),
                              labels = function(at) tick_labels(at, tz)) +
    ggplot2::labs(x = NULL, colour = paste(attr(object, "series")$group_by, collapse = ", "),
                  title = attr(object, "series")$measurement)
  if (length(panels) == 1) {
    g <- g + ggplot2::labs(y = labels)
  } else {
    g <- g + ggplot2::facet_wrap(ggplot2::vars(.data[["panel"]]), ncol = 1, scales = "free_y", strip.position = "left") +
      ggplot2::labs(y = NULL) +
      ggplot2::theme(strip.placement = "outside", strip.background = ggplot2::element_blank())
  }
  if (one) g <- g + ggplot2::theme(legend.position = "none")
  g
}

#' @describeIn plot.influx_timeseries The plain data frame: without the class
#'   and the `"series"` attribute (units columns and `"queries"` stay).
#' @param row.names,optional Unused (the generic's arguments).
#' @export
as.data.frame.influx_timeseries <- function(x, row.names = NULL, optional = FALSE, ...) {
  attr(x, "series") <- NULL
  class(x) <- "data.frame"
  x
}

# Few points per line (daily or weekly values): each is marked, so one value reads as one value.
few_points <- function(series) max(vapply(series, nrow, 0L), 0L) <= 60L

# Axis ticks on the local clock of `tz`: local midnights for spans of days (every k days), local
# hours for shorter ones (every k hours: on the day clocks go back, the repeated hour gets two
# ticks, as it has two instants; generic pretty() steps by fixed seconds and drifts off the
# hour after a clock change). Labels in attribute "labels".
time_ticks <- function(span, tz) {
  r <- range(as.double(span), na.rm = TRUE)
  if (!all(is.finite(r))) return(structure(.POSIXct(numeric(), tz = tz), labels = character()))
  hours <- max(diff(r) / 3600, 1)
  if (hours > 48) {
    step <- max(1, ceiling(hours / 24 / 8))
    day <- seq(as.Date(format(.POSIXct(r[1], tz = tz), "%Y-%m-%d", tz = tz)),
               as.Date(format(.POSIXct(r[2], tz = tz), "%Y-%m-%d", tz = tz)) + 1, by = step)
    at <- as.POSIXct(format(day), tz = tz)
  } else {
    step <- c(1, 2, 3, 6, 12)[findInterval(hours / 10, c(0, 1, 2, 3, 6)) ]
    every <- seq(floor(r[1] / 900) * 900, ceiling(r[2] / 900) * 900, by = 900)
    local <- as.POSIXlt(.POSIXct(every, tz = tz))
    at <- .POSIXct(every[local$min == 0 & local$hour %% step == 0], tz = tz)
  }
  at <- at[as.double(at) >= r[1] - 1 & as.double(at) <= r[2] + 1]
  structure(at, labels = tick_labels(at, tz))
}

tick_labels <- function(at, tz) {
  if (!length(at)) return(character())
  midnight <- format(at, "%H:%M", tz = tz) == "00:00"
  days <- diff(range(as.double(at))) / 86400
  ifelse(midnight, format(at, if (days > 300) "%d %b %Y" else "%a %d %b", tz = tz), format(at, "%H:%M", tz = tz))
}

# ggplot2's data pronoun, bound in aes() and vars() by ggplot2 itself.
utils::globalVariables(".data")

# The panels of a time-series frame: per field its unit, label and lines (one per series).
plot_panels <- function(x) {
  if (!is.data.frame(x) || !inherits(x$time, "POSIXct")) {
    abort_argument("`x` must be a data frame from influx_timeseries() with a POSIXct `time` column")
  }
  info <- attr(x, "series")
  long <- identical(info$shape, "long") || all(c("field", "value") %in% names(x)) && is.character(x$field)
  tags <- info$group_by %||% setdiff(names(x)[vapply(x, is.character, NA)], "field")
  tags <- intersect(tags, names(x))
  sid <- if (length(tags)) {
    do.call(paste, c(lapply(tags, function(g) ifelse(is.na(x[[g]]), "NA", x[[g]])), sep = ", "))
  } else rep("all", nrow(x))
  if (long) {
    fields <- unique(x$field)
    column <- function(f) { keep <- x$field == f; list(v = x$value[keep], keep = keep) }
  } else {
    fields <- info$fields %||% names(x)[vapply(x, value_column, NA)]
    fields <- setdiff(intersect(fields, names(x)), c("time", tags))
    column <- function(f) list(v = x[[f]], keep = rep(TRUE, nrow(x)))
  }
  # the unit lookup by field name (and measurement, tags) for columns that are not units objects
  known <- if (long) {
    resolve_units(data.frame(lapply(stats::setNames(fields, fields), function(f) 0)), unit_context(x), NULL)
  } else influx_units(x)
  panels <- lapply(fields, function(f) {
    col <- column(f)
    v <- col$v
    unit <- if (inherits(v, "units")) units::deparse_unit(v)
            else if (f %in% known$column) display_unit(known$unit[known$column == f])
            else NA_character_
    v <- as.double(if (inherits(v, "units")) units::drop_units(v) else v)
    v[!is.finite(v)] <- NA # an infinite value has no place on an axis: a gap, as NA
    if (!is.numeric(v) || all(is.na(v))) return(NULL)
    t <- x$time[col$keep]
    s <- sid[col$keep]
    series <- lapply(split(seq_along(v), factor(s, levels = unique(s))), function(i) {
      o <- i[order(as.double(t[i]))]
      data.frame(time = t[o], value = v[o])
    })
    list(field = f, unit = unit, label = if (is.na(unit)) f else sprintf("%s [%s]", f, unit), series = series)
  })
  stats::setNames(Filter(Negate(is.null), panels), NULL)
}

# A unit string of the lookup as the units package prints it ("degC" -> the degree sign), or as
# it is without that package.
display_unit <- function(u) {
  if (is.na(u) || !requireNamespace("units", quietly = TRUE)) return(u)
  units::deparse_unit(units::set_units(1, u, mode = "standard"))
}
