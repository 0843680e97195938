# Backends dispatch on the connection's class: the verbs never ask which generation they talk to,
# and one rule (influx_target()) decides which database or bucket every verb addresses.

# Lines of R code (comments dropped) in `dir` outside the backend files that test the generation.
generation_tests <- function(dir) {
  files <- list.files(dir, pattern = "[.][Rr]$", full.names = TRUE)
  files <- files[!grepl("^backend-v[0-9]+[.]R$", basename(files))]
  patterns <- c(
    "generation[[:space:]]*(==|!=|%in%)",                 # con$generation == "v2"
    "(==|!=)[[:space:]]*[[:alnum:]_.]*[$]generation",     # "v2" == con$generation
    "identical[(][^)]*generation",                         # identical(con$generation, "v2")
    "switch[(][^,]*generation",                            # switch(con$generation, ...)
    "inherits[(][^)]*influx_v[0-9]+_connection"            # inherits(con, "influx_v1_connection")
  )
  hits <- character()
  for (f in files) {
    code <- sub("#.*$", "", readLines(f, warn = FALSE))
    for (p in patterns) {
      at <- grep(p, code)
      hits <- c(hits, sprintf("%s:%d: %s", basename(f), at, trimws(code[at])))
    }
  }
  unique(hits)
}

test_that("no code outside R/backend-v*.R tests the server generation", {
  dir <- test_path("..", "..", "R")
  skip_if_not(dir.exists(dir), "the package sources are not here (an installed copy of the tests)")
  expect_identical(generation_tests(dir), character())
})

test_that("the generation grep finds each kind of generation test", {
  dir <- tempfile("rsrc")
  dir.create(dir)
  on.exit(unlink(dir, recursive = TRUE))
  writeLines(c(
    'a <- function(con) if (con$generation == "v2") 1',
    'b <- function(con) if ("v1" != con$generation) 1',
    'c <- function(con) identical(con$generation, "v2")',
    'd <- function(con) switch(con$generation, v1 = 1, v2 = 2)',
    'e <- function(con) inherits(con, "influx_v1_connection")',
    '# a comment: con$generation == "v2" is fine here',
    'f <- function(con) con$generation'
  ), file.path(dir, "verbs.R"))
  writeLines('g <- function(con) con$generation == "v1"', file.path(dir, "backend-v1.R"))
  expect_length(generation_tests(dir), 5)
})

test_that("a connection's class names its generation", {
  v1 <- influx_connect("http://127.0.0.1:9", version = "v1")
  v2 <- influx_connect("http://127.0.0.1:9", version = "2", token = "t", org = "o")
  expect_identical(class(v1), c("influx_v1_connection", "influx_connection"))
  expect_identical(class(v2), c("influx_v2_connection", "influx_connection"))
  expect_output(print(v1), "InfluxDB 1.x \\(v1, influxql/flux\\)")
  expect_output(print(v2), "InfluxDB 2.x \\(v2, flux/influxql\\)")
})

test_that("InfluxDB 3 is refused as unsupported, and nothing suggests version = \"v1\" for it", {
  for (v in c("3", "v3", "3.1.0")) {
    e <- expect_error(influx_connect("http://127.0.0.1:9", version = v), class = "influx_error_unsupported")
    expect_match(conditionMessage(e), "InfluxDB 3 is not supported by this build")
    expect_false(grepl("v1", conditionMessage(e), fixed = TRUE))
  }
  fake <- start_fake_server()
  on.exit(fake$stop())
  e <- expect_error(influx_connect(paste0(fake$url, "/v3")), class = "influx_error_unsupported")
  expect_match(conditionMessage(e), "InfluxDB 3 is not supported")
  expect_identical(e$operation, "connect")
})

test_that("a generation without a method for an operation raises influx_error_unsupported naming both", {
  # A connection of a generation no backend file has methods for: every verb reaches the default.
  con <- influx_connect("http://127.0.0.1:9", version = "v1", database = "d", writable = TRUE)
  class(con) <- c("influx_v9_connection", "influx_connection")
  con$generation <- "v9"
  expect_unsupported <- function(expr, operation) {
    e <- expect_error(expr, class = "influx_error_unsupported")
    expect_identical(e$version, "v9")
    expect_match(e$operation, operation, fixed = TRUE)
    expect_match(conditionMessage(e), paste0(operation, ".*not supported by InfluxDB"))
  }
  expect_unsupported(influx_query(con, "SELECT 1", language = "influxql"), "queries in influxql")
  expect_unsupported(influx_measurements(con), "listing measurements")
  expect_unsupported(influx_databases(con), "listing databases")
  expect_unsupported(influx_write(con, "m v=1"), "writing")
  expect_unsupported(influx_delete(con, "m", "2024-01-01", "2024-01-02"), "deleting points")
  expect_unsupported(influx_create_database(con, "x"), "creating a database")
  expect_unsupported(influx_users(con), "users")
  expect_unsupported(influx_tokens(con), "API tokens")
  expect_unsupported(influx_timeseries(con, "m", "v", start = "2024-01-01", end = "2024-01-02"), "time series")
})

test_that("a language no generation knows is an argument error; another generation's is unsupported", {
  v1 <- influx_connect("http://127.0.0.1:9", version = "v1", database = "d")
  expect_error(influx_query(v1, "SELECT 1", language = "sparql"), class = "influx_error_argument")
  expect_error(influx_query(v1, "SELECT 1", language = c("influxql", "flux")), class = "influx_error_argument")
  expect_error(influx_timeseries(v1, "m", "v", start = "2024-01-01", end = "2024-01-02", language = "sparql"),
               class = "influx_error_argument")
  # 1.x's Flux cannot align windows in a time zone: refused before anything is sent
  expect_error(influx_timeseries(v1, "m", "v", start = "2024-01-01", end = "2024-01-02", language = "flux"),
               class = "influx_error_unsupported")
})

test_that("one rule picks the target: the argument, else the bucket (2.x) or the database", {
  target <- influxdbtoolkit:::influx_target
  v1 <- influx_connect("http://127.0.0.1:9", version = "v1", database = "db1", bucket = "ignored")
  v2 <- influx_connect("http://127.0.0.1:9", version = "v2", token = "t", org = "o", bucket = "b2", database = "db2")
  v2_db <- influx_connect("http://127.0.0.1:9", version = "v2", token = "t", org = "o", database = "db2")
  none <- influx_connect("http://127.0.0.1:9", version = "v2", token = "t", org = "o", writable = TRUE)
  expect_identical(target(v1), "db1")
  expect_identical(target(v2), "b2")
  expect_identical(target(v2_db), "db2")
  expect_identical(target(v2, "given"), "given")
  expect_null(target(none, required = FALSE))
  expect_error(target(none), "no database or bucket", class = "influx_error_argument")
  expect_error(target(v1, c("a", "b")), class = "influx_error_argument")
  # the verbs go through it
  expect_match(influx_create_retention_policy(v1, "short", "1d", dry_run = TRUE), 'ON "db1"', fixed = TRUE)
  for (verb in list(influx_measurements, influx_retention_policies, function(con) influx_write(none, "m v=1"))) {
    expect_error(verb(none), "no database or bucket", class = "influx_error_argument")
  }
})

test_that("a bucket without a DBRP mapping: InfluxQL says so instead of asking another database", {
  fake <- start_fake_server()
  on.exit(fake$stop())
  con <- influx_connect(paste0(fake$url, "/no-dbrp"), version = "v2", token = "t", org = "o", bucket = "b")
  e <- expect_error(influx_query(con, "SELECT v FROM m"), class = "influx_error_config")
  expect_match(conditionMessage(e), "bucket 'b' has no DBRP mapping")
  expect_error(influx_timeseries(con, "m", "v", start = "2024-01-01", end = "2024-01-02", language = "influxql"),
               "no DBRP mapping", class = "influx_error_config")
  # nothing was asked of /query
  expect_identical(fake$requests("no-dbrp"), 4L) # buckets + dbrps, twice
})

test_that("a token that may not read buckets or mappings queries the name as given", {
  fake <- start_fake_server()
  on.exit(fake$stop())
  con <- influx_connect(paste0(fake$url, "/status-403"), version = "v2", token = "t", org = "o", bucket = "b")
  e <- expect_error(influx_query(con, "SELECT v FROM m"), class = "influx_error_http_403")
  expect_identical(e$path, "/query") # the lookups were refused too, and the query was still sent
})

for_each_server("a 2.x connection writes and reads the same bucket, whatever its `database` says", {
  con <- influx_connect(srv$url, token = srv$token, org = srv$org, bucket = "influxtk_test",
                        database = "influxtk_not_a_bucket", writable = TRUE)
  m <- fresh_name("dispatch")
  t0 <- as.POSIXct("2024-05-01 00:00:00", tz = "UTC")
  df <- data.frame(time = t0 + c(0, 60, 120), room = c("lab", "lab", "office"), v = c(1.5, 2.5, 4))
  influx_write(con, df, m)
  back <- influx_query(con, sprintf("SELECT v, room FROM %s", m), tz = "UTC")
  expect_identical(back$v, df$v)
  expect_identical(back$room, df$room)
  for (language in c("influxql", "flux")) {
    ts <- influx_timeseries(con, m, "v", start = t0, end = t0 + 3600, tz = "UTC", language = language)
    expect_identical(ts$v, df$v, info = language)
  }
  expect_true(m %in% influx_measurements(con)$name)
  expect_identical(influx_field_keys(con, m), data.frame(field = "v", type = "float"))
  expect_identical(influx_tag_values(con, m, "room")$value, c("lab", "office"))
  influx_delete(con, m, t0, t0 + 61)
  expect_identical(influx_query(con, sprintf("SELECT v FROM %s", m))$v, 4)
}, generations = "v2")

for_each_server("InfluxQL reaches a bucket through its DBRP mapping's database name", {
  admin <- connect_admin(srv)
  stamp <- format(Sys.time(), "%H%M%OS3")
  bucket <- paste0("influxtk_dispatch_", gsub("[.]", "", stamp))
  mapped <- paste0("influxtk_mapped_", gsub("[.]", "", stamp))
  influx_create_database(admin, bucket)
  on.exit(influx_drop_database(admin, bucket), add = TRUE)
  b <- influxdbtoolkit:::v2_bucket(admin, bucket, NULL)
  influxdbtoolkit:::v2_api(admin, "POST", "/api/v2/dbrps", body = list(
    bucketID = b$id, orgID = b$orgID, database = mapped, retention_policy = "autogen", default = TRUE))

  con <- influx_connect(srv$url, token = srv$token, org = srv$org, bucket = bucket, writable = TRUE)
  expect_identical(influxdbtoolkit:::compat_target(con, bucket, NULL)$db, mapped)
  t0 <- as.POSIXct("2024-05-01 00:00:00", tz = "UTC")
  influx_write(con, data.frame(time = t0 + 0:1, v = c(7, 8)), "m")
  expect_identical(influx_query(con, "SELECT v FROM m")$v, c(7, 8))
  ts <- influx_timeseries(con, "m", "v", start = t0, end = t0 + 60, aggregate = "sum", every = "1m",
                          tz = "UTC", language = "influxql")
  expect_identical(ts$v, 15)
  # the mapping's database name, which is no bucket, is taken as it is
  expect_identical(influx_query(con, "SELECT v FROM m", database = mapped)$v, c(7, 8))
}, generations = "v2")

test_that("a connection's query_language is what language = \"auto\" means", {
  fake <- start_fake_server()
  on.exit(fake$stop())
  flux_text <- 'from(bucket: "b") |> range(start: -1h)'
  # Detected from the text: Flux, whose endpoint gets MessagePack here and says so.
  detected <- influx_connect(paste0(fake$url, "/ok"), version = "v1")
  expect_error(influx_query(detected, flux_text), "annotated CSV", class = "influx_error_decode")
  # Set on the connection: the same text goes to /query as InfluxQL.
  # (writable: read-only connections send only statements that read, which this text is not)
  set <- influx_connect(paste0(fake$url, "/ok"), version = "v1", query_language = "InfluxQL", writable = TRUE)
  expect_identical(set$query_language, "influxql")
  expect_identical(influx_query(set, flux_text)$v, c(1L, 2L))
  expect_error(influx_connect(fake$url, version = "v1", query_language = "sql"), "query_language",
               class = "influx_error_config")
  withr_env <- Sys.getenv("INFLUXDB_QUERY_LANGUAGE", NA)
  Sys.setenv(INFLUXDB_QUERY_LANGUAGE = "flux")
  on.exit(if (is.na(withr_env)) Sys.unsetenv("INFLUXDB_QUERY_LANGUAGE") else Sys.setenv(INFLUXDB_QUERY_LANGUAGE = withr_env),
          add = TRUE)
  from_env <- influx_connect(fake$url, version = "v2", token = "t", org = "o")
  expect_identical(from_env$query_language, "flux")
})
