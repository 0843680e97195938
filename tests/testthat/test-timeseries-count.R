# count in a window where another field has points but the counted one has none: InfluxQL's
# fill(null) says 0 (nothing was counted), and so must every generation; fill "none" leaves it NA
# (no value: the window exists only because of the other field).

for_each_server("count is 0, not NA, for a field absent from a window another field fills", {
  con <- connect_admin(srv)
  m <- fresh_name("count_gap")
  t0 <- as.POSIXct("2024-05-01 10:00:00", tz = "UTC")
  ns <- function(t) format(as.numeric(t) * 1e9, scientific = FALSE)
  write_lines(con, c(
    sprintf("%s a=1,b=1 %s", m, ns(t0)),
    sprintf("%s a=2 %s", m, ns(t0 + 3600)),            # window 2: only a
    sprintf("%s a=3,b=3 %s", m, ns(t0 + 7200))
  ))
  got <- influx_timeseries(con, m, c("a", "b"), start = t0, end = t0 + 3 * 3600,
                           aggregate = "count", every = "1h", fill = "null", tz = "UTC")
  expect_equal(as.integer(got$a), c(1L, 1L, 1L))
  expect_equal(as.integer(got$b), c(1L, 0L, 1L))
  none <- influx_timeseries(con, m, c("a", "b"), start = t0, end = t0 + 3 * 3600,
                            aggregate = "count", every = "1h", fill = "none", tz = "UTC")
  expect_equal(as.integer(none$b), c(1L, NA, 1L))
})
