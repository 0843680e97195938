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
  system_dbs <- if (srv$generation == "v1") "_internal" else c("_monitoring", "_tasks")
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
  expect_error(influxdbGetMeasurements("127.0.0.1", port, "admin", "wrong", database = "influxtk_test"),
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
