# The old wrappers' names and arguments, on the real servers.

for_each_server("influxdbCon returns a working connection from host, port, user and password", {
  port <- sub("^.*:", "", srv$url)
  con <- do.call(influxdbCon, c(list("127.0.0.1", port = port), legacy_args(srv)))
  on.exit(influx_disconnect(con))
  expect_s3_class(con, "influx_connection")
  expect_equal(con$url, srv$url)
  expect_identical(influxdbCon(con), con)
  expect_true("influxtk_test" %in% influx_databases(con)$name)
})

for_each_server("influxdbGetDatabases hides _internal and returns a name column", {
  port <- sub("^.*:", "", srv$url)
  all <- influx_databases(connect_reader(srv), system = TRUE)$name
  system_dbs <- switch(srv$generation, v1 = "_internal", v2 = c("_monitoring", "_tasks"), v3 = "_internal")
  expect_true(all(system_dbs %in% all))
  dbs <- do.call(influxdbGetDatabases, c(list("127.0.0.1", port = port), legacy_args(srv)))
  expect_s3_class(dbs, "data.frame")
  expect_equal(names(dbs), "name")
  expect_false(any(system_dbs %in% dbs$name))
  expect_true(all(c("influxtk_test", "influxtk_demo") %in% dbs$name))
  gc()
  before <- .Call(influxdbtoolkit:::C_handle_count)
  do.call(influxdbGetDatabases, c(list(srv$url, port = port), legacy_args(srv)))
  expect_equal(.Call(influxdbtoolkit:::C_handle_count), before)
})

for_each_server("influxdbGetMeasurements and influxdbGetFieldKeys have the old shapes", {
  admin <- connect_admin(srv)
  m <- fresh_name("legacy")
  write_lines(admin, sprintf("%s,sensor=s1 value=1.5,count=2i 1700000000000000000", m))
  port <- sub("^.*:", "", srv$url)
  a <- legacy_args(srv)
  ms <- do.call(influxdbGetMeasurements, c(list("127.0.0.1", port), a, list(database = "influxtk_test")))
  expect_equal(names(ms), "name")
  expect_true(m %in% ms[, 1])
  fk <- do.call(influxdbGetFieldKeys, c(list("127.0.0.1", port), a, list(database = "influxtk_test", datapoint = m)))
  expect_equal(fk, data.frame(fieldKey = c("count", "value")))
  empty <- influxdbGetFieldKeys(admin, database = "influxtk_test", datapoint = "no_such_measurement")
  expect_equal(empty, data.frame(fieldKey = character()))
  wrong <- if (srv$generation == "v3") list(token = "wrong") else list(user = "admin", pwd = "wrong")
  expect_error(do.call(influxdbGetMeasurements, c(list("127.0.0.1", port), wrong, list(database = "influxtk_test"))),
               class = "influx_error_http_401")
})

for_each_server("the legacy wrappers also take a 2.x token and organisation", {
  port <- sub("^.*:", "", srv$url)
  dbs <- influxdbGetDatabases("127.0.0.1", port, token = srv$token, org = srv$org)
  expect_true("influxtk_test" %in% dbs$name)
  m <- fresh_name("legacy_tok")
  influxdbWriteDf("127.0.0.1", port, database = "influxtk_test", token = srv$token, org = srv$org,
                  df = data.frame(time = as.POSIXct("2024-01-01", tz = "UTC"), value = 1), measurement = m)
  expect_equal(influxdbGetFieldKeys("127.0.0.1", port, database = "influxtk_test", datapoint = m, token = srv$token,
                                    org = srv$org)$fieldKey, "value")
}, generations = "v2")

test_that("legacy calls refuse unknown or misspelled arguments, given a connection or a host", {
  # Nothing listens on port 9: an argument error proves the call stopped before any request.
  con <- influx_connect("http://127.0.0.1:9", version = "v1", database = "d", writable = TRUE)
  df <- data.frame(time = as.POSIXct("2024-01-01", tz = "UTC"), value = 1)
  refused <- function(expr, names) {
    expect_error(expr, sprintf("unknown argument.*%s", names), class = "influx_error_argument")
  }
  for (host in list(con, "127.0.0.1")) {
    # The old wrapper's real names are datetimeStart and datetimeEnd: reading the whole
    # measurement instead would be silent data loss of the period asked for.
    refused(influxdbGetTimeseries(host, "9", database = "d", measurement = "m",
                                  startDate = "2024-01-01", endDate = "2024-02-01"), "startDate.*endDate")
    refused(influxdbCon(host, "9", datbase = "d"), "datbase")
    refused(influxdbGetDatabases(host, "9", sytem = TRUE), "sytem")
    refused(influxdbGetMeasurements(host, "9", databse = "d"), "databse")
    refused(influxdbGetFieldKeys(host, "9", database = "d", measurement = "m"), "measurement")
    refused(influxdbWriteDf(host, "9", database = "d", df = df, measurement = "m", precision = "ms"), "precision")
    refused(influxdbGetTimeseries(host, "9", NULL, NULL, "d", "m", NULL, NULL, "raw", "1d", "value", "null",
                                  1, "absVal", "UTC", "surplus"), "unnamed")
  }
  # Settings of influx_connect() mean nothing to a connection that is already open.
  expect_error(influxdbCon(con, token = "t"), "token.*open connection", class = "influx_error_argument")
  expect_error(influxdbGetDatabases(con, version = "v2"), "version.*open connection", class = "influx_error_argument")
  # With a host they still configure the connection the call opens.
  opened <- influxdbCon("127.0.0.1", "9", version = "v1", database = "d", tz = "UTC")
  expect_equal(opened$database, "d")
  expect_equal(opened$tz, "UTC")
})

test_that("influxdbGetMeasurements uses the database of the connection it is given", {
  con <- influx_connect("http://127.0.0.1:9", version = "v1", database = "d")
  # It gets as far as asking the server (no server on port 9) instead of missing `database`.
  expect_error(influxdbGetMeasurements(con), class = "influx_error_transport")
  expect_error(influxdbGetMeasurements(influx_connect("http://127.0.0.1:9", version = "v1")),
               "no database", class = "influx_error_argument")
})

for_each_server("influxdbGetMeasurements(con) lists the connection's database", {
  admin <- connect_admin(srv)
  m <- fresh_name("legacy_con")
  write_lines(admin, sprintf("%s value=1 1700000000000000000", m))
  expect_true(m %in% influxdbGetMeasurements(connect_reader(srv))$name)
})
