# The exploration functions answer alike on every server; on 2.x beyond Flux's 30-day default.

for_each_server("databases, measurements, tag keys and values, field keys and retention policies", {
  con <- connect_admin(srv)
  m <- parity_measurement(srv, con) # points from 2024: far older than 30 days
  dbs <- influx_databases(con)$name
  expect_true(all(c("influxtk_test", "influxtk_demo") %in% dbs))
  expect_false(any(startsWith(dbs, "_")))
  system <- influx_databases(con, system = TRUE)$name
  expect_true(any(c("_internal", "_monitoring") %in% system))
  expect_true(m %in% influx_measurements(con)$name)
  expect_identical(influx_tag_keys(con, m), data.frame(key = c("room", "sensor")))
  expect_identical(influx_tag_values(con, m, "sensor"), data.frame(value = c("a", "b", "c")))
  expect_identical(influx_tag_values(con, m, "room"), data.frame(value = c("lab", "office")))
  expect_identical(influx_field_keys(con, m), data.frame(field = c("meter", "temp"), type = c("integer", "float")))
  expect_identical(nrow(influx_tag_values(con, m, "no such key")), 0L)
  rp <- influx_retention_policies(con)
  expect_identical(names(rp), c("name", "duration", "shard_duration", "replication", "default"))
  expect_true("autogen" %in% rp$name)
  expect_s3_class(rp$duration, "difftime")
  expect_identical(as.numeric(rp$duration[rp$name == "autogen"]), Inf)
  expect_true(rp$default[rp$name == "autogen"])
})

for_each_server("all pages of buckets are read", generations = "v2", {
  con <- connect_admin(srv)
  all <- influx_databases(con, system = TRUE)
  paged <- with_options(list(influxdbtoolkit.page_size = 1L), influx_databases(con, system = TRUE))
  expect_gt(nrow(all), 3)
  expect_identical(paged, all)
})

for_each_server("a database without any data has no measurements, and says so with a frame", {
  con <- connect_admin(srv)
  db <- "influxtk_explore_empty"
  try(influx_drop_database(con, db), silent = TRUE)
  influx_create_database(con, db)
  on.exit(try(influx_drop_database(con, db), silent = TRUE), add = TRUE)
  got <- influx_measurements(con, database = db)
  expect_s3_class(got, "data.frame")
  expect_identical(nrow(got), 0L)
})
