# The buffered writer (influx_writer()) and the concurrent fake server it is tested against.

test_that("the fake server answers a request while another waits for its slow answer", {
  fake <- start_fake_server()
  on.exit(fake$stop(), add = TRUE)
  slow <- influx_connect(fake$url, version = "v1", timeout = 0.5)
  fast <- influx_connect(fake$url, version = "v1")
  # The slow request gives up after 0.5 s; the server still owes it its answer (for 2.5 s more),
  # and serves the fast one meanwhile.
  expect_error(influxdbtoolkit:::influx_http(slow, "GET", "/first-byte-3000/query"), class = "influx_error_timeout")
  started <- proc.time()[["elapsed"]]
  expect_identical(influxdbtoolkit:::influx_http(fast, "GET", "/ok/query")$status, 200L)
  expect_lt(proc.time()[["elapsed"]] - started, 1)
})
