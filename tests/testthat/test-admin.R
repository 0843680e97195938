# Deleting and administering, against the real servers: what changed is read back.

for_each_server("a time range is deleted, only for the tags asked", {
  admin <- connect_admin(srv)
  m <- fresh_name("del")
  t <- as.POSIXct("2024-10-27 00:00:00", tz = "UTC") + (0:5) * 3600
  df <- data.frame(time = rep(t, 3), room = rep(c("a", "b", "c c"), each = 6), v = seq_len(18) + 0.5, stringsAsFactors = FALSE)
  influx_write(admin, df, m, tags = "room")
  if (srv$generation == "v3") {
    # 3.x has no delete of points by time range: refused naming version and operation, before
    # anything is sent, and every point is still there.
    e <- expect_error(influx_delete(admin, m, t[2], t[5], where = list(room = c("a", "c c"))),
                      class = "influx_error_unsupported")
    expect_match(conditionMessage(e), "3\\.")
    expect_match(conditionMessage(e), "delet")
    expect_error(influx_delete(admin, m, t[2], t[5], dry_run = TRUE), class = "influx_error_unsupported")
    expect_equal(sort(influx_query(connect_reader(srv), sprintf("SELECT v, room FROM %s", m))$v), sort(df$v))
  } else {
    influx_delete(admin, m, t[2], t[5], where = list(room = c("a", "c c")))
    back <- influx_query(connect_reader(srv), sprintf("SELECT v, room FROM %s", m))
    gone <- df$room != "b" & df$time >= t[2] & df$time < t[5]
    expect_equal(sort(back$v), sort(df$v[!gone]))
    # text times are read in the connection's time zone (Europe/Zurich): 03:00 CET is 02:00 UTC
    influx_delete(admin, m, "2024-10-27 03:00", "2024-10-27 04:00")
    back <- influx_query(connect_reader(srv), sprintf("SELECT v FROM %s", m))
    expect_false(any(as.numeric(back$time) == as.numeric(t[3])))
    expect_equal(nrow(back), sum(!gone) - 1)
  }
})

for_each_server("a measurement is dropped", {
  admin <- connect_admin(srv)
  m <- fresh_name("dropme")
  influx_write(admin, data.frame(time = as.POSIXct("2024-01-01", tz = "UTC"), v = 1), m)
  expect_true(m %in% influx_measurements(admin)$name)
  expect_match(influx_drop_measurement(admin, m, dry_run = TRUE), m, fixed = TRUE)
  expect_true(m %in% influx_measurements(admin)$name)
  influx_drop_measurement(admin, m)
  # 3.x deletes the table (DELETE /api/v3/configure/table), 1.x and 2.x its points
  expect_false(m %in% influx_measurements(admin)$name)
})

for_each_server("databases and buckets are created with retention and dropped", {
  admin <- connect_admin(srv)
  db <- fresh_name("tmpdb")
  influx_create_database(admin, db, retention = "30d")
  expect_true(db %in% influx_databases(admin)$name)
  if (srv$generation == "v1") {
    rp <- influx_query(admin, paste("SHOW RETENTION POLICIES ON", db))
    expect_equal(rp$duration[rp$default], "720h0m0s")
    influx_create_retention_policy(admin, "short", "1d", database = db)
    expect_true("short" %in% influx_query(admin, paste("SHOW RETENTION POLICIES ON", db))$name)
    influx_drop_retention_policy(admin, "short", database = db)
    expect_false("short" %in% influx_query(admin, paste("SHOW RETENTION POLICIES ON", db))$name)
  } else if (srv$generation == "v2") {
    b <- influxdbtoolkit:::v2_bucket(admin, db, NULL)
    expect_equal(b$retentionRules[[1]]$everySeconds, 30 * 86400)
    expect_error(influx_create_retention_policy(admin, "short", "1d", database = db), class = "influx_error_unsupported")
  } else {
    # 3.x keeps one retention period per database, and no retention policies beside it
    rp <- influx_retention_policies(admin, database = db)
    expect_equal(as.numeric(rp$duration[rp$default], units = "secs"), 30 * 86400)
    expect_error(influx_create_retention_policy(admin, "short", "1d", database = db), class = "influx_error_unsupported")
    expect_error(influx_drop_retention_policy(admin, "autogen", database = db), class = "influx_error_unsupported")
  }
  influx_drop_database(admin, db)
  expect_false(db %in% influx_databases(admin)$name)
})

for_each_server("users are created, listed and dropped", {
  admin <- connect_admin(srv)
  u <- fresh_name("user")
  influx_create_user(admin, u, "pw 'with' \"quotes\"")
  expect_true(u %in% influx_users(admin)$name)
  influx_drop_user(admin, u)
  expect_false(u %in% influx_users(admin)$name)
}, generations = c("v1", "v2"))

for_each_server("3.x has no users, grants or read-only tokens: each is refused naming version and operation", {
  admin <- connect_admin(srv)
  for (attempt in list(
    quote(influx_users(admin)),
    quote(influx_create_user(admin, "u", "pw")),
    quote(influx_create_user(admin, "u", "pw", dry_run = TRUE)),
    quote(influx_drop_user(admin, "u")),
    quote(influx_grant(admin, "u", "influxtk_test", "read")),
    quote(influx_revoke(admin, "u", "influxtk_test", "read")),
    # 3.x Core's tokens are admin tokens: none can be limited to reading a database
    quote(influx_create_token(admin, "influxdbtoolkit test reader", read = "influxtk_test"))
  )) {
    e <- expect_error(eval(attempt), class = "influx_error_unsupported", label = deparse(attempt))
    expect_match(conditionMessage(e), "3\\.", label = deparse(attempt))
  }
}, generations = "v3")

for_each_server("a read-only user reads, and the server refuses its writes", {
  admin <- connect_admin(srv)
  u <- fresh_name("reader")
  influx_create_user(admin, u, "reader-pw")
  on.exit(influx_drop_user(admin, u))
  influx_grant(admin, u, "influxtk_test", "read")
  m <- fresh_name("granted")
  influx_write(admin, data.frame(time = as.POSIXct("2024-01-01", tz = "UTC"), v = 1), m)
  reader <- influx_connect(srv$url, username = u, password = "reader-pw", database = "influxtk_test", writable = TRUE)
  expect_equal(influx_query(reader, sprintf("SELECT v FROM %s", m))$v, 1)
  e <- expect_error(influx_write(reader, data.frame(time = Sys.time(), v = 2), m), class = "influx_error_write")
  expect_s3_class(e, "influx_error_http_403")
  influx_revoke(admin, u, "influxtk_test", "read")
  expect_error(influx_query(reader, sprintf("SELECT v FROM %s", m)), class = "influx_error")
  expect_error(influx_create_token(admin, "t", read = "influxtk_test"), class = "influx_error_unsupported")
}, generations = "v1")

for_each_server("a read-only token reads, and the server refuses its writes", {
  admin <- connect_admin(srv)
  m <- fresh_name("tokened")
  influx_write(admin, data.frame(time = as.POSIXct("2024-01-01", tz = "UTC"), v = 1), m)
  tok <- influx_create_token(admin, "influxdbtoolkit test reader", read = "influxtk_test")
  expect_s3_class(tok, "influx_token")
  expect_false(any(grepl(tok$token, capture.output(print(tok)), fixed = TRUE)))
  expect_true(tok$id %in% influx_tokens(admin)$id)
  reader <- influx_connect(srv$url, token = tok$token, org = srv$org, bucket = "influxtk_test", writable = TRUE)
  expect_equal(influx_query(reader, sprintf("SELECT v FROM %s", m))$v, 1)
  expect_equal(influx_query(reader, sprintf('from(bucket: "influxtk_test") |> range(start: 2023-12-31T00:00:00Z, stop: 2024-01-02T00:00:00Z) |> filter(fn: (r) => r._measurement == "%s")', m))$`_value`, 1)
  e <- expect_error(influx_write(reader, data.frame(time = Sys.time(), v = 2), m), class = "influx_error_write")
  expect_true(inherits(e, "influx_error_http_401") || inherits(e, "influx_error_http_403"))
  influx_delete_token(admin, tok$id)
  expect_false(tok$id %in% influx_tokens(admin)$id)
  expect_error(influx_query(reader, sprintf("SELECT v FROM %s", m)), class = "influx_error_http_401")
  expect_error(influx_grant(admin, "someone", "influxtk_test"), class = "influx_error_unsupported")
}, generations = "v2")

for_each_server("changes are refused on read-only connections; dry runs say what would be sent", {
  ro <- connect_reader(srv)
  expect_error(influx_delete(ro, "m", "2024-01-01", "2024-01-02"), class = "influx_error_readonly")
  expect_error(influx_drop_measurement(ro, "m"), class = "influx_error_readonly")
  expect_error(influx_create_database(ro, "x"), class = "influx_error_readonly")
  expect_error(influx_drop_database(ro, "influxtk_test"), class = "influx_error_readonly")
  expect_error(influx_create_user(ro, "x", "y"), class = "influx_error_readonly")
  expect_error(influx_drop_user(ro, "x"), class = "influx_error_readonly")
  expect_true("influxtk_test" %in% influx_databases(ro)$name)
  if (srv$generation == "v3") {
    expect_error(influx_delete(ro, "m", "2024-10-27 04:30", "2024-10-27 05:00", dry_run = TRUE), class = "influx_error_unsupported")
    expect_error(influx_create_user(ro, "u", "secret", dry_run = TRUE), class = "influx_error_unsupported")
    return(invisible())
  }
  d <- influx_delete(ro, "m\"x", "2024-10-27 04:30", "2024-10-27 05:00", where = list(`r'oom` = c("a", "b\"c")), dry_run = TRUE)
  if (srv$generation == "v1") {
    expect_equal(d, paste0("DELETE FROM \"m\\\"x\" WHERE time >= '2024-10-27T03:30:00.000000000Z' AND ",
                           "time < '2024-10-27T04:00:00.000000000Z' AND (\"r'oom\" = 'a' OR \"r'oom\" = 'b\"c')"))
  } else {
    expect_length(d, 2)
    expect_match(d[2], "\"stop\":\"2024-10-27T03:59:59.999999999Z\"", fixed = TRUE)
    expect_match(d[2], "\\\"_measurement\\\"=\\\"m\\\\\\\"x\\\" AND \\\"r'oom\\\"=\\\"b\\\\\\\"c\\\"", fixed = TRUE)
  }
  expect_match(influx_create_user(ro, "u", "secret", dry_run = TRUE), "u", fixed = TRUE)
  expect_false(grepl("secret", influx_create_user(ro, "u", "secret", dry_run = TRUE)))
})

test_that("admin arguments are checked", {
  con <- influx_connect("http://127.0.0.1:9", version = "v1", writable = TRUE, database = "d")
  expect_error(influx_create_database(con, "x", retention = "5 years"), class = "influx_error_argument")
  expect_error(influx_delete(con, "m", "2024-01-02", "2024-01-01"), "before", class = "influx_error_argument")
  expect_error(influx_delete(con, "m", "nonsense", "2024-01-01"), class = "influx_error_argument")
  expect_error(influx_delete(con, "m", "2024-01-01", "2024-01-02", where = list("a")), class = "influx_error_argument")
  expect_error(influx_grant(con, "u", "db", "superuser"), class = "influx_error_argument")
  expect_equal(influxdbtoolkit:::duration_seconds("1w", NULL), 604800L)
  expect_warning(influx_delete(con, "m", "2024-10-27 02:30", "2024-10-27 04:00", dry_run = TRUE),
                 class = "influx_warning_ambiguous_time")
  expect_error(influx_delete(con, "m", "2024-03-31 02:30", "2024-03-31 04:00", dry_run = TRUE),
               class = "influx_error_argument")
  expect_equal(influx_delete(con, "m", "2024-03-31T00:30:00Z", "2024-03-31T03:30:00+02:00", dry_run = TRUE),
               "DELETE FROM \"m\" WHERE time >= '2024-03-31T00:30:00.000000000Z' AND time < '2024-03-31T01:30:00.000000000Z'")
})
