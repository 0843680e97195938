# DBRP mappings (2.x): listing, creating, dropping, and what InfluxQL does without one.

for_each_server("DBRP mappings are listed, created (dry run first), refused twice and dropped", {
  admin <- connect_admin(srv)
  all <- influx_dbrps(admin)
  expect_named(all, c("id", "database", "retention_policy", "default", "virtual", "bucket_id", "bucket", "org"))
  expect_true("influxtk_test" %in% all$bucket)
  expect_identical(unique(all$org), srv$org)
  bucket <- fresh_name("dbrp_bucket")
  influx_create_database(admin, bucket)
  on.exit(influx_drop_database(admin, bucket), add = TRUE)
  # 2.7 lists the bucket's virtual mapping (its own name, autogen) before any is created
  virtual <- influx_dbrps(admin, bucket = bucket)
  expect_identical(virtual[, c("database", "retention_policy", "default", "virtual", "bucket")],
                   data.frame(database = bucket, retention_policy = "autogen", default = TRUE, virtual = TRUE, bucket = bucket))
  e <- expect_error(influx_drop_dbrp(admin, database = bucket), class = "influx_error_argument")
  expect_match(conditionMessage(e), "virtual")

  mapped <- paste0(bucket, "_db")
  sent <- influx_create_dbrp(admin, bucket, database = mapped, retention_policy = "weekly", default = FALSE, dry_run = TRUE)
  expect_identical(sent, sprintf('{"org":"%s","bucketID":"<id of %s>","database":"%s","retention_policy":"weekly","default":false}',
                                 srv$org, bucket, mapped))
  expect_identical(nrow(influx_dbrps(admin, database = mapped)), 0L)
  expect_error(influx_create_dbrp(connect_reader(srv), bucket, database = mapped), class = "influx_error_readonly")
  expect_identical(nrow(influx_dbrps(admin, database = mapped)), 0L)

  made <- influx_create_dbrp(admin, bucket, database = mapped, retention_policy = "weekly")
  expect_identical(made[, c("database", "retention_policy", "virtual", "bucket")],
                   data.frame(database = mapped, retention_policy = "weekly", virtual = FALSE, bucket = bucket))
  listed <- influx_dbrps(admin, database = mapped)
  expect_identical(listed$id, made$id)
  expect_identical(listed$bucket_id, influxdbtoolkit:::v2_bucket(admin, bucket, NULL)$id)
  expect_true(made$id %in% influx_dbrps(admin, bucket = bucket)$id)

  # the same database and retention policy again: the server's refusal, with its words
  e <- expect_error(influx_create_dbrp(admin, bucket, database = mapped, retention_policy = "weekly"),
                    class = "influx_error_http_422")
  expect_match(conditionMessage(e), "another DBRP mapping with same orgID, db, and rp exists", fixed = TRUE)

  expect_error(influx_drop_dbrp(connect_reader(srv), id = made$id), class = "influx_error_readonly")
  expect_identical(influx_drop_dbrp(connect_reader(srv), id = made$id, dry_run = TRUE),
                   sprintf("DELETE /api/v2/dbrps/%s?org=%s", made$id, srv$org))
  expect_identical(influx_dbrps(admin, database = mapped)$id, made$id)
  influx_drop_dbrp(admin, database = mapped, retention_policy = "weekly")
  expect_identical(nrow(influx_dbrps(admin, database = mapped)), 0L)
  expect_error(influx_drop_dbrp(admin, id = made$id), "no DBRP mapping with id", class = "influx_error_argument")
}, generations = "v2")

for_each_server("creating a mapping is what InfluxQL on the bucket uses next (the looked-up one is forgotten)", {
  admin <- connect_admin(srv)
  bucket <- fresh_name("dbrp_cache")
  influx_create_database(admin, bucket)
  on.exit(influx_drop_database(admin, bucket), add = TRUE)
  con <- influx_connect(srv$url, token = srv$token, org = srv$org, bucket = bucket, writable = TRUE)
  influx_write(con, data.frame(time = as.POSIXct("2024-05-01", tz = "UTC"), v = 3), "m")
  expect_identical(influx_query(con, "SELECT v FROM m")$v, 3)
  expect_identical(influxdbtoolkit:::compat_target(con, bucket, NULL)$db, bucket) # the virtual mapping, cached
  mapped <- paste0(bucket, "_reports")
  influx_create_dbrp(con, bucket, database = mapped)
  expect_identical(influxdbtoolkit:::compat_target(con, bucket, NULL)$db, mapped)
  expect_identical(influx_query(con, "SELECT v FROM m")$v, 3)
  influx_drop_dbrp(con, database = mapped)
  expect_identical(influxdbtoolkit:::compat_target(con, bucket, NULL)$db, bucket)
}, generations = "v2")

test_that("InfluxQL on a bucket without a mapping says how to make one, and works once it is made", {
  fake <- start_fake_server()
  on.exit(fake$stop())
  con <- influx_connect(paste0(fake$url, "/dbrp-later"), version = "v2", token = "t", org = "o", bucket = "b",
                        writable = TRUE)
  e <- expect_error(influx_query(con, "SELECT v FROM m"), class = "influx_error_config")
  expect_match(conditionMessage(e), "bucket 'b' has no DBRP mapping")
  expect_match(conditionMessage(e), 'influx_create_dbrp(con, "b")', fixed = TRUE)
  # at the console it says what InfluxQL reaches now (knitting, it would not: see test-inform.R)
  expect_message(made <- influx_create_dbrp(con, "b"), "InfluxQL now reaches bucket 'b' as database 'b'",
                 class = "influx_message")
  expect_identical(made$id, "0d0000000000000d")
  expect_identical(influx_query(con, "SELECT v FROM m")$v, c(1L, 2L))
})

for_each_server("1.x and 3.x have no DBRP mappings: every call is refused, naming the server", {
  admin <- connect_admin(srv)
  for (attempt in list(quote(influx_dbrps(admin)), quote(influx_create_dbrp(admin, "influxtk_test")),
                       quote(influx_create_dbrp(admin, "influxtk_test", dry_run = TRUE)),
                       quote(influx_drop_dbrp(admin, database = "influxtk_test", dry_run = TRUE)))) {
    e <- expect_error(eval(attempt), class = "influx_error_unsupported", label = deparse(attempt))
    expect_match(conditionMessage(e), "DBRP mappings (only InfluxDB 2.x has them", fixed = TRUE)
    expect_match(conditionMessage(e), if (srv$generation == "v3") "InfluxDB 3" else "InfluxDB 1", fixed = TRUE)
  }
}, generations = c("v1", "v3"))

test_that("DBRP calls check their arguments before anything is sent", {
  v2 <- influx_connect("http://127.0.0.1:9", version = "v2", token = "t", org = "o", writable = TRUE)
  expect_error(influx_drop_dbrp(v2, id = "1", database = "d"), "by `id` or by `database`", class = "influx_error_argument")
  expect_error(influx_drop_dbrp(v2), "by `id` or by `database`", class = "influx_error_argument")
  expect_error(influx_create_dbrp(v2, "b", retention_policy = ""), "retention_policy", class = "influx_error_argument")
  expect_error(influx_create_dbrp(v2, "b", default = NA), "default", class = "influx_error_argument")
  expect_error(influx_dbrps(v2, bucket = 1), "bucket", class = "influx_error_argument")
  # a v1 authorization reaches no /api/v2
  basic <- influx_connect("http://127.0.0.1:9", version = "v2", username = "u", password = "p", org = "o")
  expect_error(influx_dbrps(basic), "needs a token", class = "influx_error_config")
  expect_identical(influx_create_dbrp(v2, "b", dry_run = TRUE),
                   '{"org":"o","bucketID":"<id of b>","database":"b","retention_policy":"autogen","default":true}')
})
