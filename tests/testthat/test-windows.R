# Window starts in a time zone: whole days begin at the first instant of the local date, also on
# days whose midnight does not exist because the clocks jump forward at 00:00.

test_that("a day whose midnight is skipped starts when the clocks jump (Santiago, 2024-09-08)", {
  ws <- influxdbtoolkit:::window_start
  tz <- "America/Santiago"
  noon <- as.numeric(as.POSIXct("2024-09-08 12:00", tz = tz))
  # 00:00 -04 does not exist: the clocks went from 23:59:59 -04 to 01:00 -03, 04:00 UTC.
  expect_equal(ws(noon, 86400, 0, tz), as.numeric(as.POSIXct("2024-09-08 04:00", tz = "UTC")))
  # the day before is a normal day again and ends where the short day begins
  before <- as.numeric(as.POSIXct("2024-09-07 12:00", tz = tz))
  expect_equal(ws(before, 86400, 0, tz), as.numeric(as.POSIXct("2024-09-07 04:00", tz = "UTC")))
  grid <- influxdbtoolkit:::window_grid(ws(before, 86400, 0, tz), noon + 86400, 86400, 0, tz)
  expect_equal(diff(grid) / 3600, c(24, 23))
})

test_that("days and Monday weeks elsewhere keep local midnight, 23 and 25 hour days included", {
  ws <- influxdbtoolkit:::window_start
  zurich <- function(x) as.numeric(as.POSIXct(x, tz = "Europe/Zurich"))
  expect_equal(ws(zurich("2024-03-31 12:00"), 86400, 0, "Europe/Zurich"), zurich("2024-03-31 00:00"))
  expect_equal(ws(zurich("2024-10-27 23:30"), 86400, 0, "Europe/Zurich"), zurich("2024-10-27 00:00"))
  expect_equal(ws(zurich("2024-10-30 08:00"), 604800, 4 * 86400, "Europe/Zurich"), zurich("2024-10-28 00:00"))
  grid <- influxdbtoolkit:::window_grid(zurich("2024-10-26 00:00"), zurich("2024-10-29 00:00"), 86400, 0, "Europe/Zurich")
  expect_equal(diff(grid) / 3600, c(24, 25))
})
