# plot() and autoplot() of influx_timeseries() frames: panels per field with units, lines per
# series, the time zone of the frame, and the days clocks change.

# Hourly readings of two rooms over the three days around `day`, as influx_timeseries() shapes them.
dst_frame <- function(day, tz = "Europe/Zurich") {
  t <- seq(as.POSIXct(format(as.Date(day) - 1), tz = tz), as.POSIXct(format(as.Date(day) + 2), tz = tz) - 1, by = 3600)
  h <- as.POSIXlt(t)$hour
  df <- data.frame(time = rep(t, 2), room = rep(c("office", "lab"), each = length(t)),
                   temperature_degC = c(21 + sin(h / 4), 19 + sin(h / 4)), co2_ppm = c(420 + 10 * h, 450 + 5 * h),
                   stringsAsFactors = FALSE)
  attr(df, "series") <- list(measurement = "climate", fields = c("temperature_degC", "co2_ppm"), group_by = "room",
                             aggregate = NULL, shape = "wide")
  class(df) <- c("influx_timeseries", "data.frame")
  df
}

plot_to_null <- function(x) {
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off())
  withVisible(plot(x))
}

test_that("plot() draws one panel per field with its unit and returns invisibly what it drew", {
  df <- dst_frame("2024-10-27")
  drawn <- plot_to_null(df)
  expect_false(drawn$visible)
  panels <- drawn$value
  expect_identical(vapply(panels, `[[`, "", "field"), c("temperature_degC", "co2_ppm"))
  expect_identical(vapply(panels, `[[`, "", "label"), c("temperature_degC [\u00b0C]", "co2_ppm [ppm]"))
  expect_identical(names(panels[[1]]$series), c("office", "lab"))
  # the 25-hour day: every line has its points one hour apart, none folded onto another
  for (p in panels) for (s in p$series) expect_identical(unique(diff(as.double(s$time))), 3600)
  expect_identical(sum(format(panels[[1]]$series$office$time, "%Y-%m-%d") == "2024-10-27"), 25L)
  png_file <- tempfile(fileext = ".png")
  on.exit(unlink(png_file), add = TRUE)
  grDevices::png(png_file, width = 800, height = 500)
  plot(df)
  grDevices::dev.off()
  expect_gt(file.size(png_file), 1000)
})

test_that("the time axis ticks on the local clock, twice at the repeated hour", {
  tz <- "Europe/Zurich"
  ticks <- influxdbtoolkit:::time_ticks(as.POSIXct(c("2024-10-27 00:00", "2024-10-27 06:00"), tz = tz), tz)
  expect_identical(format(ticks, "%H:%M"), c("00:00", "01:00", "02:00", "02:00", "03:00", "04:00", "05:00", "06:00"))
  expect_identical(unique(diff(as.double(ticks))), 3600)
  days <- influxdbtoolkit:::time_ticks(as.POSIXct(c("2024-03-30 00:00", "2024-04-01 12:00"), tz = tz), tz)
  expect_identical(format(days, "%Y-%m-%d %H:%M"), c("2024-03-30 00:00", "2024-03-31 00:00", "2024-04-01 00:00"))
  expect_identical(diff(as.double(days)) / 3600, c(24, 23))
  expect_identical(attr(days, "labels")[2], "Sun 31 Mar")
  # hours after the spring change stay on the hour (pretty() would step to 13:00)
  half <- influxdbtoolkit:::time_ticks(as.POSIXct(c("2024-03-31 00:00", "2024-04-01 00:00"), tz = tz), tz)
  expect_true(all(format(half, "%M") == "00"))
  expect_true(all(as.POSIXlt(half)$hour %% 3 == 0))
})

test_that("autoplot() builds: panels = fields, legend = series, units on the axes, DST days unfolded", {
  skip_if_not_installed("ggplot2")
  for (day in c("2024-03-31", "2024-10-27")) {
    df <- dst_frame(day)
    b <- ggplot2::ggplot_build(ggplot2::autoplot(df))
    expect_identical(nrow(b$layout$layout), 2L)
    expect_identical(as.character(b$layout$layout$panel),
                     c("temperature_degC [\u00b0C]", "co2_ppm [ppm]"))
    expect_identical(b$plot$scales$get_scales("colour")$get_limits(), c("office", "lab"))
    xs <- split(b$data[[1]]$x, interaction(b$data[[1]]$PANEL, b$data[[1]]$group))
    for (x in xs) expect_identical(unique(diff(x)), 3600)
    # the axis in the frame's zone: breaks at local midnights
    breaks <- b$layout$panel_params[[1]]$x$breaks
    breaks <- breaks[!is.na(breaks)]
    expect_true(all(format(.POSIXct(breaks, tz = "Europe/Zurich"), "%H:%M") == "00:00"))
  }
  # one field: its unit is the y axis title; one series without tags: no legend
  one <- dst_frame("2024-03-31")[1:47, c("time", "co2_ppm")]
  attr(one, "series") <- NULL
  g <- ggplot2::autoplot(one)
  expect_identical(g$labels$y, "co2_ppm [ppm]")
  expect_identical(g$theme$legend.position, "none")
  expect_no_error(ggplot2::ggplot_build(g))
})

test_that("units columns and long frames are drawn with their units", {
  skip_if_not_installed("units")
  skip_if_not_installed("ggplot2")
  df <- dst_frame("2024-03-31")
  df$temperature_degC <- units::set_units(df$temperature_degC, "K", mode = "standard")
  expect_identical(plot_to_null(df)$value[[1]]$label, "temperature_degC [K]")
  long <- data.frame(time = rep(df$time[1:5], 2), field = rep(c("humidity", "co2_ppm_abs"), each = 5),
                     value = c(40:44, 400:404), stringsAsFactors = FALSE)
  attr(long, "series") <- list(measurement = "climate", fields = c("humidity", "co2_ppm_abs"), group_by = character(),
                               aggregate = "mean", shape = "long")
  class(long) <- c("influx_timeseries", "data.frame")
  expect_identical(vapply(plot_to_null(long)$value, `[[`, "", "label"), c("humidity [%]", "co2_ppm_abs [ppm]"))
  b <- ggplot2::ggplot_build(ggplot2::autoplot(long))
  expect_identical(as.character(b$layout$layout$panel), c("humidity [%]", "co2_ppm_abs [ppm]"))
  expect_error(plot(structure(data.frame(time = 1), class = c("influx_timeseries", "data.frame"))),
               class = "influx_error_argument")
})

for_each_server("frames read from the server plot: a panel per field, a line per series", {
  con <- connect_admin(srv)
  m <- fresh_name("climate")
  t <- 1711839600L + 0:47 * 1800L # 2024-03-31 00:00 Zurich, half-hourly over the clock change
  write_lines(con, c(sprintf("%s,room=office temperature_degC_abs=%.1f,co2_ppm_abs=%di %d", m, 20 + (0:47) / 10, 400L + 0:47, t),
                     sprintf("%s,room=lab temperature_degC_abs=%.1f,co2_ppm_abs=%di %d", m, 18 + (0:47) / 10, 500L + 0:47, t)),
              precision = "s")
  df <- influx_timeseries(con, m, c("co2_ppm_abs", "temperature_degC_abs"), start = "2024-03-31", end = "2024-04-01",
                          group_by = "room", aggregate = "mean", every = "1h", units = TRUE)
  expect_s3_class(df, "influx_timeseries")
  plain <- as.data.frame(df)
  expect_identical(class(plain), "data.frame")
  expect_null(attr(plain, "series"))
  expect_s3_class(plain$co2_ppm_abs, "units")
  drawn <- plot_to_null(df)$value
  expect_identical(vapply(drawn, `[[`, "", "label"), c("co2_ppm_abs [ppm]", "temperature_degC_abs [\u00b0C]"))
  expect_setequal(names(drawn[[1]]$series), c("lab", "office"))
  skip_if_not_installed("ggplot2")
  b <- ggplot2::ggplot_build(ggplot2::autoplot(df))
  expect_identical(nrow(b$layout$layout), 2L)
  expect_setequal(b$plot$scales$get_scales("colour")$get_limits(), c("lab", "office"))
  # the 23-hour day: 23 hourly windows per series, an hour apart
  for (x in split(b$data[[1]]$x, interaction(b$data[[1]]$PANEL, b$data[[1]]$group))) {
    expect_identical(length(x), 23L)
    expect_identical(unique(diff(x)), 3600)
  }
})
