# influx_health(), influx_ready(), influx_wait_ready(): the same checks on every server, and the
# failure answers (503 with a JSON body, no server at all) against the fake server and a dead port.

for_each_server("influx_health() passes and names the version influx_ping() reports", {
  con <- connect_reader(srv)
  on.exit(influx_disconnect(con))
  h <- influx_health(con)
  expect_s3_class(h, "influx_health")
  expect_identical(h$status, "pass")
  expect_identical(sub("^v", "", h$version), sub("^v", "", influx_ping(con)$version))
  expect_gt(h$rtt, 0)
  expect_output(print(h), "pass")
})

for_each_server("influx_ready() is TRUE and influx_wait_ready() returns at once", {
  con <- connect_reader(srv)
  on.exit(influx_disconnect(con))
  expect_true(as.vector(influx_ready(con)))
  out <- influx_wait_ready(con, timeout = 5)
  expect_true(as.vector(out))
  expect_lt(attr(out, "waited"), 5)
})

for_each_server("influx_ready() on 2.x gives the started and up fields of /ready", {
  con <- connect_reader(srv)
  on.exit(influx_disconnect(con))
  r <- influx_ready(con)
  expect_true(nzchar(attr(r, "started")))
  expect_true(nzchar(attr(r, "up")))
}, generations = "v2")

test_that("a 503 /health with a JSON body is status fail with the server's message, not an error", {
  fake <- start_fake_server()
  on.exit(fake$stop())
  con <- influx_connect(paste0(fake$url, "/status-503"), version = "v2", token = "t")
  h <- influx_health(con)
  expect_identical(h$status, "fail")
  expect_match(h$message, "fake failure 503")
  expect_gt(h$rtt, 0)
  expect_false(as.vector(influx_ready(con)))
})

test_that("no server: influx_health() raises a transport error, influx_wait_ready() not ready after the timeout", {
  con <- influx_connect("http://127.0.0.1:9", version = "v2", token = "t")
  expect_error(influx_health(con), class = "influx_error_transport")
  started <- proc.time()[["elapsed"]]
  err <- tryCatch(influx_wait_ready(con, timeout = 1, interval = 0.1), influx_error_not_ready = function(e) e)
  expect_s3_class(err, "influx_error_not_ready")
  expect_gte(proc.time()[["elapsed"]] - started, 1)
  expect_gte(err$waited, 1)
  expect_s3_class(err$last, "influx_error_transport")
})

test_that("influx_wait_ready() checks its arguments", {
  con <- influx_connect("http://127.0.0.1:9", version = "v1")
  expect_error(influx_wait_ready(con, timeout = -1), class = "influx_error_argument")
  expect_error(influx_wait_ready(con, interval = "a"), class = "influx_error_argument")
  expect_error(influx_health(list()), class = "influx_error_argument")
})

for_each_server("a refused token on 3.x's /health is the HTTP 401 error, not a health outcome", {
  con <- influx_connect(srv$url, version = "v3", token = "not-the-token")
  on.exit(influx_disconnect(con))
  expect_error(influx_health(con), class = "influx_error_http_401")
  expect_error(influx_wait_ready(con, timeout = 0.2), class = "influx_error_http_401")
}, generations = "v3")

test_that("a closed connection is influx_error_closed for the health calls, as for every verb", {
  con <- influx_connect("http://127.0.0.1:9", version = "v2", token = "t")
  influx_disconnect(con)
  expect_error(influx_health(con), class = "influx_error_closed")
  expect_error(influx_ready(con), class = "influx_error_closed")
  expect_error(influx_wait_ready(con, timeout = 0), class = "influx_error_closed")
})
