# plot() and autoplot() of frames a report meets at the edges: one value per series (a weekly
# report's week), fields with infinite values (found in the review of issue 11).

edge_frame <- function(times, values) {
  n <- length(times)
  df <- data.frame(time = rep(times, 2), room = rep(c("office", "lab"), each = n),
                   temperature_degC = c(values, values - 1), co2_ppm = rep(420, 2 * n), stringsAsFactors = FALSE)
  attr(df, "series") <- list(measurement = "climate", fields = c("temperature_degC", "co2_ppm"), group_by = "room",
                             aggregate = "mean", shape = "wide")
  class(df) <- c("influx_timeseries", "data.frame")
  df
}

draw_quietly <- function(draw) {
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off())
  said <- character()
  withCallingHandlers(draw(), message = function(m) {
    said <<- c(said, conditionMessage(m))
    invokeRestart("muffleMessage")
  }, warning = function(w) {
    said <<- c(said, conditionMessage(w))
    invokeRestart("muffleWarning")
  })
  expect_identical(said, character())
}

test_that("autoplot() of one value per series draws its points without ggplot2's messages", {
  skip_if_not_installed("ggplot2")
  df <- edge_frame(as.POSIXct("2024-06-03", tz = "UTC"), 21.5)
  g <- ggplot2::autoplot(df)
  # knitr would put "geom_line(): Each group consists of only one observation" into the report
  draw_quietly(function() print(g))
  built <- NULL
  draw_quietly(function() built <<- ggplot2::ggplot_build(g))
  expect_identical(sum(vapply(built$data, nrow, 0L)), 4L) # the four points, no line
})

test_that("plot() and autoplot() leave out infinite values without warnings", {
  t <- as.POSIXct("2024-06-03", tz = "UTC") + 3600 * 0:3
  some <- edge_frame(t, c(21, Inf, 22, -Inf))
  draw_quietly(function() plot(some))
  drawn <- suppressWarnings({ grDevices::pdf(NULL); on.exit(grDevices::dev.off()); plot(some) })
  expect_identical(vapply(drawn, `[[`, "", "field"), c("temperature_degC", "co2_ppm"))
  # A field with no finite value is no panel, as a field of NA is not.
  none <- edge_frame(t, rep(Inf, 4))
  draw_quietly(function() plot(none))
  expect_identical(vapply(influxdbtoolkit:::plot_panels(none), `[[`, "", "field"), "co2_ppm")
  skip_if_not_installed("ggplot2")
  draw_quietly(function() print(ggplot2::autoplot(some)))
})
