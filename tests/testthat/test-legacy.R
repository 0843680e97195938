# The old wrappers' names and arguments, on the real servers.

for_each_server("influxdbCon returns a working connection from host, port, user and password", {
  port <- sub("^.*:", "", srv$url)
  con <- influxdbCon("127.0.0.1", port = port, user = srv$username, pwd = srv$password)
  on.exit(influx_disconnect(con))
  expect_s3_class(con, "influx_connection")
  expect_equal(con$url, srv$url)
  expect_identical(influxdbCon(con), con)
  expect_true("influxtk_test" %in% influx_databases(con)$name)
})

for_each_server("influxdbGetDatabases hides _internal and returns a name column", {
  port <- sub("^.*:", "", srv$url)
  all <- influx_databases(connect_reader(srv), system = TRUE)$name
  expect_true("_internal" %in% all)
  dbs <- influxdbGetDatabases("127.0.0.1", port = port, user = srv$username, pwd = srv$password)
  expect_s3_class(dbs, "data.frame")
  expect_equal(names(dbs), "name")
  expect_false("_internal" %in% dbs$name)
  expect_true(all(c("influxtk_test", "influxtk_demo") %in% dbs$name))
  gc()
  before <- .Call(influxdbtoolkit:::C_handle_count)
  influxdbGetDatabases(srv$url, port = port, user = srv$username, pwd = srv$password)
  expect_equal(.Call(influxdbtoolkit:::C_handle_count), before)
})

for_each_server("influxdbGetMeasurements and influxdbGetFieldKeys have the old shapes", {
  admin <- connect_admin(srv)
  m <- fresh_name("legacy")
  write_lines(admin, sprintf("%s,sensor=s1 value=1.5,count=2i 1700000000000000000", m))
  port <- sub("^.*:", "", srv$url)
  ms <- influxdbGetMeasurements("127.0.0.1", port, srv$username, srv$password, database = "influxtk_test")
  expect_equal(names(ms), "name")
  expect_true(m %in% ms[, 1])
  fk <- influxdbGetFieldKeys("127.0.0.1", port, srv$username, srv$password, database = "influxtk_test", datapoint = m)
  expect_equal(fk, data.frame(fieldKey = c("count", "value")))
  empty <- influxdbGetFieldKeys(admin, database = "influxtk_test", datapoint = "no_such_measurement")
  expect_equal(empty, data.frame(fieldKey = character()))
  expect_error(influxdbGetMeasurements("127.0.0.1", port, srv$username, "wrong", database = "influxtk_test"),
               class = "influx_error_http_401")
})
