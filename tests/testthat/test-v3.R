# InfluxDB 3 through the package's verbs, against the 3.x server of the test set
# (INFLUXTK_V3_STANDIN_URL and _TOKEN from tools/test-servers.sh: the stand-in, or a real 3.x
# given its URL and an admin token). Every test works in databases of its own.
#
# What 3.x does, as these tests state it: SQL and InfluxQL answer one JSON object per row
# (format=jsonl) with a null left out of its line; InfluxQL rows carry "iox::measurement"; a
# query over more Parquet files than --query-file-limit (432, about 72 hours of data in 10-minute
# files) is refused with HTTP 500; /api/v3/write_lp keeps the good lines of a body and lists the
# refused ones with their number among the body's point lines; there are no users, grants,
# retention policies, deletes by time range or Flux.

v3_server <- function() {
  url <- Sys.getenv("INFLUXTK_V3_STANDIN_URL")
  if (!nzchar(url)) {
    expected <- grepl("v3-standin", Sys.getenv("INFLUXTK_EXPECTED_SERVERS"), fixed = TRUE)
    if (identical(tolower(Sys.getenv("CI")), "true") && expected) fail("the 3.x test server (v3-standin) is not running")
    skip("no 3.x test server (tools/test-servers.sh start v3-standin)")
  }
  list(url = url, token = Sys.getenv("INFLUXTK_V3_STANDIN_TOKEN"))
}

# A writable connection to a fresh database of its own; v3_drop() at the end of the test.
v3_fresh <- function(srv, ..., retention = NULL) {
  db <- fresh_name("v3db")
  con <- influx_connect(srv$url, token = srv$token, database = db, writable = TRUE, tz = "UTC", ...)
  influx_create_database(con, db, retention = retention)
  con
}

v3_drop <- function(con) try(influx_drop_database(con, con$database), silent = TRUE)

v3_lines <- function(con, lines, precision = "ns") {
  res <- influxdbtoolkit:::influx_http(con, "POST", "/api/v3/write_lp", sink = "raw",
                                       query = c(db = con$database, precision = precision),
                                       body = charToRaw(enc2utf8(paste(lines, collapse = "\n"))))
  expect_equal(res$status, 204L)
}

utc <- function(x) as.POSIXct(x, tz = "UTC")

test_that("3.x is recognised by /ping and sends its token as a bearer token", {
  fake <- start_fake_server()
  on.exit(fake$stop())
  # /ping is asked before the generation is known, with the scheme 2.x needs (3.x takes it too);
  # from then on the token goes as a bearer token (the fake answers "Token" only the first time)
  con <- influx_connect(paste0(fake$url, "/v3-bearer"), token = "sekrit")
  expect_identical(class(con), c("influx_v3_connection", "influx_connection"))
  expect_s3_class(influx_ping(con), "influx_ping")
  # a user name and password (the legacy influxdbCon()) give the password as the token
  legacy <- influx_connect(paste0(fake$url, "/v3-bearer"), version = "3", username = "analyst", password = "sekrit")
  expect_identical(influx_ping(legacy)$version, "3.1.0")
  expect_output(print(legacy), "auth: token \\(hidden\\)")
  wrong <- influx_connect(paste0(fake$url, "/v3-bearer"), version = "v3", token = "other")
  expect_error(influx_ping(wrong), class = "influx_error_http_401")
})

test_that("connect: version detection, settings from the environment, the default language", {
  srv <- v3_server()
  con <- influx_connect(srv$url, token = srv$token)
  expect_s3_class(con, "influx_v3_connection")
  expect_match(con$server_version, "^3\\.")
  expect_identical(influxdbtoolkit:::query_languages(con), c("sql", "influxql"))
  expect_output(print(con), "\\(v3, sql/influxql\\)")
  old <- Sys.getenv(c("INFLUXDB_URL", "INFLUXDB_TOKEN", "INFLUXDB_DATABASE", "INFLUXDB_QUERY_LANGUAGE"), unset = NA)
  on.exit({
    Sys.unsetenv(names(old))
    if (any(!is.na(old))) do.call(Sys.setenv, as.list(old[!is.na(old)]))
  })
  Sys.setenv(INFLUXDB_URL = srv$url, INFLUXDB_TOKEN = srv$token, INFLUXDB_DATABASE = "from_env",
             INFLUXDB_QUERY_LANGUAGE = "influxql")
  env_con <- influx_connect()
  expect_s3_class(env_con, "influx_v3_connection")
  expect_identical(env_con$database, "from_env")
  expect_identical(influxdbtoolkit:::default_query_language(env_con, "SELECT 1"), "influxql")
  expect_error(influx_connect(srv$url, token = srv$token, query_language = "flux"), class = "influx_error_config")
})

test_that("SQL: every type, times in tz, exact int64, params, and a column null in every row", {
  srv <- v3_server()
  con <- v3_fresh(srv)
  on.exit(v3_drop(con), add = TRUE)
  v3_lines(con, c(
    'plant,bed=north moisture=31.5,pump=true,visits=3i,big=9007199254740993i,counter=18446744073709551615u,note="caf\u00e9 \\"ajar\\"" 1700000000000000000',
    'plant,bed=south moisture=28,pump=false,visits=-7i,big=-9223372036854775807i,counter=7u 1700000000250000000',
    'plant,bed=south moisture=12.25 1700000001000001000'
  ))
  # uint64 as on 2.x: integers below 2^63, a double with a warning above
  expect_warning(df <- influx_query(con, "SELECT * FROM plant ORDER BY time", tz = "Europe/Zurich", time_ns = TRUE),
                 "counter")
  expect_equal(df$counter, c(18446744073709551615, 7, NA))
  expect_identical(names(df)[1], "time")
  expect_setequal(names(df), c("time", "time_ns", "bed", "big", "counter", "moisture", "note", "pump", "visits"))
  expect_identical(attr(df$time, "tzone"), "Europe/Zurich")
  expect_equal(as.numeric(df$time), c(1700000000, 1700000000.25, 1700000001.000001))
  expect_identical(as.character(df$time_ns), c("1700000000000000000", "1700000000250000000", "1700000001000001000"))
  expect_identical(df$bed, c("north", "south", "south"))
  expect_identical(df$moisture, c(31.5, 28, 12.25))
  expect_identical(df$pump, c(TRUE, FALSE, NA))
  expect_identical(df$visits, c(3L, -7L, NA))
  expect_identical(as.character(df$big), c("9007199254740993", "-9223372036854775807", NA))
  expect_identical(influx_query(con, "SELECT big FROM plant ORDER BY time", bigint = "character")$big,
                   c("9007199254740993", "-9223372036854775807", NA))
  expect_identical(df$note, c("caf\u00e9 \"ajar\"", NA, NA))
  # parameters are typed JSON values, never pasted into the text
  got <- influx_query(con, "SELECT moisture FROM plant WHERE bed = $bed AND time >= $from ORDER BY time",
                      params = list(bed = "south", from = utc("2023-11-14 22:13:20.5")))
  expect_identical(got$moisture, 12.25)
  injected <- influx_query(con, "SELECT moisture FROM plant WHERE bed = $bed", params = list(bed = "x' OR '1'='1"))
  expect_identical(nrow(injected), 0L)
  # pump and note are null in every row of the last point: they still come back, typed
  last <- influx_query(con, "SELECT * FROM plant WHERE time > '2023-11-14T22:13:20.5Z'")
  expect_identical(last$pump, NA)
  expect_identical(last$note, NA_character_)
  expect_identical(last$visits, NA_integer_)
  # an answer without rows keeps the table's columns and types
  none <- influx_query(con, "SELECT * FROM plant WHERE time < '2000-01-01T00:00:00Z'")
  expect_identical(nrow(none), 0L)
  expect_identical(none$note, character())
  expect_s3_class(none$time, "POSIXct")
})

test_that("InfluxQL: the 1.x shape (no iox::measurement, a measurement column for several), SHOW, several statements", {
  srv <- v3_server()
  con <- v3_fresh(srv, query_language = "influxql")
  on.exit(v3_drop(con), add = TRUE)
  v3_lines(con, c("air,room=lab temp=21.5 1700000000000000000", "air,room=office temp=19 1700000060000000000",
                  "soil,bed=a wet=0.5 1700000030000000000"))
  one <- influx_query(con, "SELECT temp, room FROM air")
  expect_identical(names(one), c("time", "temp", "room"))
  expect_identical(one$temp, c(21.5, 19))
  two <- influx_query(con, "SELECT * FROM air, soil")
  expect_identical(two$measurement, c("air", "air", "soil"))
  expect_identical(names(two), c("measurement", "time", "bed", "room", "temp", "wet")) # by name, as on 1.x
  expect_false("iox::measurement" %in% names(two))
  dbs <- influx_query(con, "SHOW DATABASES")
  expect_identical(names(dbs), "name")
  expect_true(con$database %in% dbs$name)
  both <- influx_query(con, "SHOW MEASUREMENTS; SELECT temp FROM air WHERE room = 'lab'")
  expect_identical(names(both), c("SHOW MEASUREMENTS", "SELECT temp FROM air WHERE room = 'lab'"))
  expect_identical(both[[1]]$name, c("air", "soil"))
  expect_identical(both[[2]]$temp, 21.5)
  # the language can be overridden per call; SQL folds unquoted names to lower case
  expect_identical(influx_query(con, "SELECT count(*) AS n FROM air", language = "sql")$n, 2L)
})

test_that("SQL errors carry the server's message; InfluxQL sent as SQL says to use language = \"influxql\"", {
  srv <- v3_server()
  con <- v3_fresh(srv)
  on.exit(v3_drop(con), add = TRUE)
  v3_lines(con, "air,room=lab temp=21.5 1700000000000000000")
  e <- expect_error(influx_query(con, "SELECT mean(temp) FROM air WHERE time > now() - 1h GROUP BY time(10m) fill(none)"),
                    class = "influx_error_query")
  expect_match(conditionMessage(e), "language = \"influxql\"", fixed = TRUE)
  expect_true(nzchar(e$server_message))
  e <- expect_error(influx_query(con, "SHOW TAG KEYS FROM air"), class = "influx_error_query")
  expect_match(conditionMessage(e), "looks like InfluxQL (SHOW)", fixed = TRUE)
  e <- expect_error(influx_query(con, "SELECT * FROM no_such_table"), class = "influx_error_query")
  expect_false(grepl("influxql", conditionMessage(e), fixed = TRUE))
  expect_match(e$server_message, "no_such_table")
  expect_error(influx_query(con, "SELECT 1", database = "no_such_database_v3"), class = "influx_error_query")
  nodb <- influx_connect(srv$url, token = srv$token)
  expect_error(influx_query(nodb, "SELECT 1"), "runs in a database", class = "influx_error_argument")
  expect_true(con$database %in% influx_query(nodb, "SHOW DATABASES", language = "influxql")$name)
  # in InfluxQL the same text runs
  expect_identical(nrow(influx_query(con, "SHOW TAG KEYS FROM air", language = "influxql")), 1L)
})

test_that("a read-only connection refuses InfluxQL that changes data, writes and administration", {
  srv <- v3_server()
  con <- v3_fresh(srv)
  on.exit(v3_drop(con), add = TRUE)
  ro <- influx_connect(srv$url, token = srv$token, database = con$database)
  expect_error(influx_query(ro, "DROP MEASUREMENT air", language = "influxql"), class = "influx_error_readonly")
  expect_error(influx_query(ro, "SELECT * INTO b FROM air", language = "influxql"), class = "influx_error_readonly")
  expect_error(influx_write(ro, "air temp=1"), class = "influx_error_readonly")
  expect_error(influx_create_database(ro, "x_v3"), class = "influx_error_readonly")
  expect_error(influx_drop_database(ro, con$database), class = "influx_error_readonly")
})

test_that("a body cut short is an error, never a short result", {
  srv <- v3_server()
  con <- v3_fresh(srv)
  on.exit(v3_drop(con), add = TRUE)
  v3_lines(con, sprintf("air temp=%d %d000000000", 1:50, 1700000000 + 1:50))
  body <- charToRaw(sprintf('{"db":"%s","q":"SELECT * FROM air","format":"jsonl"}', con$database))
  frame <- influxdbtoolkit:::default_decoding("UTC", NULL)
  for (cut in c(100, 1000)) {
    # the chunked transfer ends early (curl error 18), or a decoder that did get its bytes sees a
    # line cut short
    e <- expect_error({
      res <- influxdbtoolkit:::influx_http(con, "POST", "/api/v3/query_sql", body = body, sink = "jsonl", frame = frame,
                                           headers = c("Content-Type: application/json", paste("X-Standin-Cut-After:", cut)))
      influxdbtoolkit:::v3_decoded(res, "the query", NULL, frame, NULL)
    }, class = "influx_error")
    expect_true(inherits(e, c("influx_error_transport", "influx_error_decode")))
  }
})

# One point every 10 minutes for 80 hours: 480 Parquet files of the default 10-minute length, more
# than the 432 a query may read.
write_80_hours <- function(con) {
  t <- 1704067200 + 600 * 0:479 # from 2024-01-01 UTC
  influx_write(con, data.frame(time = .POSIXct(t, tz = "UTC"), site = rep(c("a", "b"), 240), v = as.double(0:479)),
               "meter", precision = "s")
  t
}

test_that("a query over more Parquet files than 3.x Core reads is influx_error_file_limit, with the way out", {
  srv <- v3_server()
  con <- v3_fresh(srv)
  on.exit(v3_drop(con), add = TRUE)
  write_80_hours(con)
  e <- expect_error(influx_query(con, "SELECT * FROM meter"), class = "influx_error_file_limit")
  expect_s3_class(e, "influx_error_query")
  expect_match(conditionMessage(e), "influx_timeseries()", fixed = TRUE)
  expect_match(conditionMessage(e), "shorter time range", fixed = TRUE)
  expect_identical(nrow(influx_query(con, "SELECT * FROM meter WHERE time < '2024-01-02T00:00:00Z'")), 144L)
})

test_that("influx_timeseries fetches long ranges in chunks and gives the frame of one request", {
  srv <- v3_server()
  con <- v3_fresh(srv)
  on.exit(v3_drop(con), add = TRUE)
  t <- write_80_hours(con)
  start <- utc("2024-01-01")
  end <- utc("2024-01-04 08:00")
  points <- influx_timeseries(con, "meter", "v", start = start, end = end)
  expect_identical(points$v, as.double(0:479))
  expect_equal(as.numeric(points$time), t)
  expect_length(attr(points, "queries"), 2L) # 70 hours, then 10
  hourly <- influx_timeseries(con, "meter", "v", start = start, end = end, aggregate = "mean", every = "1h",
                              group_by = "site")
  want <- data.frame(time = rep(.POSIXct(1704067200 + 3600 * 0:79, tz = "UTC"), 2), site = rep(c("a", "b"), each = 80),
                     v = c(6 * 0:79 + 2, 6 * 0:79 + 3))
  attr(hourly, "queries") <- NULL
  expect_equal(as.data.frame(hourly), want)
  # a chunk the server refuses all the same is halved (a limit lower than the chunk length)
  old <- options(influxdbtoolkit.v3_chunk_hours = 200)
  on.exit(options(old))
  halved <- influx_timeseries(con, "meter", "v", start = start, end = end, aggregate = "mean", every = "1h",
                              group_by = "site")
  expect_gt(length(attr(halved, "queries")), 1L)
  attr(halved, "queries") <- NULL
  expect_identical(halved, hourly)
  options(influxdbtoolkit.v3_chunk_hours = 5)
  small <- influx_timeseries(con, "meter", "v", start = start, end = end, aggregate = "mean", every = "1h",
                             group_by = "site")
  expect_length(attr(small, "queries"), 16L)
  attr(small, "queries") <- NULL
  expect_identical(small, hourly)
})

test_that("a window over more files than 3.x reads at once is aggregated from its points, exactly", {
  srv <- v3_server()
  con <- v3_fresh(srv)
  on.exit(v3_drop(con), add = TRUE)
  write_80_hours(con)
  # one Monday week over 80 hours of 10-minute files, too many for one query: v = 0..479, sites a and b alternate
  v3_lines(con, "meter,site=a w=7i 1704070000", precision = "s")
  week <- function(agg, fill = "none") {
    influx_timeseries(con, "meter", c("v", "w"), start = utc("2024-01-01"), end = utc("2024-01-08"),
                      aggregate = agg, every = "1w", group_by = "site", fill = fill)
  }
  a <- seq(0, 478, 2)
  b <- a + 1
  want <- list(mean = c(mean(a), mean(b)), median = c(median(a), median(b)), min = c(0, 1), max = c(478, 479),
               sum = c(sum(a), sum(b)), count = c(240, 240), first = c(0, 1), last = c(478, 479),
               spread = c(478, 478), stddev = c(sd(a), sd(b)))
  for (agg in names(want)) {
    got <- week(agg)
    expect_gt(length(attr(got, "queries")), 1L)
    expect_identical(format(got$time, tz = "UTC"), rep("2024-01-01", 2), label = agg)
    expect_identical(got$site, c("a", "b"))
    expect_equal(as.double(got$v), want[[agg]], label = agg)
  }
  # a field with one point in one series: stddev of one value, and count where it has none
  expect_equal(as.double(week("sum")$w), c(7, NA))
  expect_equal(as.double(week("stddev")$w), c(NA_real_, NA_real_))
  expect_equal(as.double(week("count")$w), c(1, NA))
  expect_equal(as.double(week("count", fill = "null")$w), c(1, 0))
})

test_that("tag values of a table longer than the file limit: walked in chunks over its files' time span", {
  srv <- v3_server()
  con <- v3_fresh(srv)
  on.exit(v3_drop(con), add = TRUE)
  write_80_hours(con)
  # a value in the first file only, one in the last only, one in the middle
  v3_lines(con, c("meter,site=first v=1 1704067201", "meter,site=last v=1 1704354659", "meter,site=mid v=1 1704200000"),
           precision = "s")
  want <- data.frame(value = c("a", "b", "first", "last", "mid"))
  expect_identical(influx_tag_values(con, "meter", "site"), want)
  expect_identical(with_options(list(influxdbtoolkit.v3_chunk_hours = 5), influx_tag_values(con, "meter", "site")), want)
  # a chunk refused all the same is halved (chunks longer than the limit)
  expect_identical(with_options(list(influxdbtoolkit.v3_chunk_hours = 200), influx_tag_values(con, "meter", "site")), want)
  # the table's span comes from system.parquet_files, as on the server: files with their first and last times
  files <- influx_query(con, paste("SELECT count(*) AS n, CAST(min(min_time) / 1000000000 AS DOUBLE) AS lo,",
                                   "CAST(max(max_time) / 1000000000 AS DOUBLE) AS hi FROM system.parquet_files WHERE table_name = 'meter'"))
  expect_identical(files$n, 480L)
  expect_identical(files$lo, 1704067200)
  expect_identical(files$hi, 1704354659)
})

test_that("3.x chunks: never a window cut in two, and the cap cuts only chunks longer than it", {
  s <- list(start = as.double(as.POSIXct("2024-10-14", tz = "Europe/Zurich")),
            end = as.double(as.POSIXct("2024-11-04", tz = "Europe/Zurich")),
            every = 604800, offset = 4 * 86400, tz = "Europe/Zurich")
  chunks <- influxdbtoolkit:::v3_chunks(s)
  # three Monday weeks, the middle one 169 hours long (the clocks go back on 27 October)
  expect_identical(format(.POSIXct(chunks$data_start, tz = s$tz), "%Y-%m-%d %H:%M"), paste(c("2024-10-14", "2024-10-21", "2024-10-28"), "00:00"))
  expect_identical(diff(c(chunks$data_start, s$end)) / 3600, c(168, 169, 168))
  # points: the chunks of chunk_seconds stay as they are; a longer one is cut in equal parts under the cap
  p <- list(start = as.double(as.POSIXct("2024-03-29", tz = "Europe/Zurich")),
            end = as.double(as.POSIXct("2024-04-02", tz = "Europe/Zurich")), every = NULL, tz = "Europe/Zurich")
  six <- with_options(list(influxdbtoolkit.chunk_seconds = 6 * 3600), influxdbtoolkit:::v3_chunks(p))
  expect_length(six$stop, 16L) # 95 hours (summer time begins on 31 March) in 6-hour chunks
  expect_true(all(six$stop - six$data_start <= 6 * 3600))
  whole <- influxdbtoolkit:::v3_chunks(p)
  expect_identical(diff(c(whole$data_start, p$end)), rep(95 * 3600 / 2, 2))
  expect_identical(whole$stop[2], p$end)
})

test_that("InfluxQL GROUP BY tags come in the 1.x order, by name", {
  tags <- influxdbtoolkit:::v3_group_by_tags
  expect_identical(tags("SELECT v FROM m GROUP BY room, floor"), c("room", "floor"))
  expect_identical(tags('SELECT mean(v) FROM m WHERE time > 0 GROUP BY time(1h), "b\\"x",a fill(null) tz(\'UTC\')'), c('b"x', "a"))
  expect_identical(tags("select v from m group by time (1h), * limit 3"), character())
  expect_identical(tags("SELECT v FROM m"), character())
  df <- data.frame(time = 1:2, room = c("r1", "r2"), floor = c("f1", "f1"), v = 1:2, stringsAsFactors = FALSE)
  shaped <- influxdbtoolkit:::v3_influxql_shape(df, "SELECT v FROM m GROUP BY room, floor")
  expect_identical(names(shaped), c("time", "floor", "room", "v"))
  expect_identical(shaped$room, c("r1", "r2"))
})

test_that("influx_timeseries: fills, long shape, and names the table lacks as 1.x answers them", {
  srv <- v3_server()
  con <- v3_fresh(srv)
  on.exit(v3_drop(con), add = TRUE)
  v3_lines(con, c("m,s=a v=1,n=1i 1704067200000000000", "m,s=a v=3,n=2i 1704070800000000000",
                  "m,s=a v=7,n=3i 1704081600000000000"), precision = "ns")
  day <- list(start = "2024-01-01 00:00", end = "2024-01-01 05:00")
  lin <- influx_timeseries(con, "m", c("v", "n"), start = day$start, end = day$end, aggregate = "max", every = "1h",
                           fill = "linear", tz = "UTC")
  expect_equal(lin$v, c(1, 3, 3 + 4 / 3, 3 + 8 / 3, 7))
  expect_equal(lin$n, c(1, 2, 2 + 1 / 3, 2 + 2 / 3, 3)) # integers interpolated become doubles
  cnt <- influx_timeseries(con, "m", "v", start = day$start, end = day$end, aggregate = "count", every = "1h",
                           fill = "null", tz = "UTC")
  expect_identical(cnt$v, c(1L, 1L, 0L, 0L, 1L))
  long <- influx_timeseries(con, "m", c("v", "n"), start = day$start, end = day$end, tz = "UTC", shape = "long")
  expect_identical(names(long), c("time", "field", "value"))
  expect_identical(nrow(long), 6L)
  nothing <- influx_timeseries(con, "no_such", "v", start = day$start, end = day$end, tz = "UTC")
  expect_identical(names(nothing), c("time", "v"))
  expect_identical(nrow(nothing), 0L)
  expect_identical(nrow(influx_timeseries(con, "m", "v", start = day$start, end = day$end, tz = "UTC",
                                          where = list(no_tag = "x"))), 0L)
  absent <- influx_timeseries(con, "m", c("v", "no_field"), start = day$start, end = day$end, tz = "UTC")
  expect_identical(absent$v, c(1, 3, 7))
  expect_true(all(is.na(absent$no_field)))
  grouped <- influx_timeseries(con, "m", "v", start = day$start, end = day$end, tz = "UTC", group_by = c("s", "no_tag"))
  expect_identical(grouped$s, c("a", "a", "a"))
  expect_identical(grouped$no_tag, rep(NA_character_, 3))
  expect_error(influx_timeseries(con, "m", "v", start = day$start, end = day$end, language = "influxql"),
               class = "influx_error_unsupported")
})

test_that("exploration gives the 1.x frames", {
  srv <- v3_server()
  con <- v3_fresh(srv, retention = "30d")
  on.exit(v3_drop(con), add = TRUE)
  v3_lines(con, c('climate,room=lab,floor=1 temp=21.5,co2=415i,ok=true,label="x",hits=3u 1700000000000000000',
                  'climate,room=office temp=19 1700000060000000000', "soil,bed=a wet=0.5 1700000030000000000"))
  dbs <- influx_databases(con)
  expect_identical(names(dbs), "name")
  expect_true(con$database %in% dbs$name)
  expect_false(any(startsWith(dbs$name, "_")))
  expect_true(any(startsWith(influx_databases(con, system = TRUE)$name, "_")))
  expect_identical(influx_measurements(con), data.frame(name = c("climate", "soil")))
  expect_identical(influx_tag_keys(con, "climate"), data.frame(key = c("floor", "room")))
  expect_identical(influx_tag_values(con, "climate", "room"), data.frame(value = c("lab", "office")))
  expect_identical(influx_tag_values(con, "climate", "temp"), data.frame(value = character()))
  expect_identical(influx_tag_keys(con, "no_such"), data.frame(key = character()))
  expect_identical(influx_field_keys(con, "climate"),
                   data.frame(field = c("co2", "hits", "label", "ok", "temp"),
                              type = c("integer", "unsigned", "string", "boolean", "float")))
  all <- influx_field_keys(con)
  expect_identical(names(all), c("measurement", "field", "type"))
  expect_identical(all$measurement, c(rep("climate", 5), "soil"))
  rp <- influx_retention_policies(con)
  expect_identical(rp$name, "autogen")
  expect_equal(as.numeric(rp$duration), 30 * 86400)
  expect_true(rp$default)
  forever <- v3_fresh(srv)
  on.exit(v3_drop(forever), add = TRUE)
  expect_identical(as.numeric(influx_retention_policies(forever)$duration), Inf)
})

test_that("writes round-trip, and a partial write names the refused rows and what was kept", {
  srv <- v3_server()
  con <- v3_fresh(srv)
  on.exit(v3_drop(con), add = TRUE)
  df <- data.frame(time = utc("2024-03-31 00:00") + 3600 * 0:3, room = c("lab", "lab", "office", "caf\u00e9"),
                   temp = c(21.5, NA, 19.25, 0.1), n = c(1L, 2L, NA, 4L), ok = c(TRUE, FALSE, TRUE, NA))
  res <- influx_write(con, df, "climate", gzip = TRUE)
  expect_s3_class(res, "influx_write_result")
  back <- influx_query(con, "SELECT time, room, temp, n, ok FROM climate ORDER BY time")
  expect_equal(back$time, df$time)
  expect_identical(back$room, df$room)
  expect_identical(back$temp, df$temp)
  expect_identical(back$n, df$n)
  expect_identical(back$ok, df$ok)
  lines <- c("w v=1 1", "w v=2 2", "w v=3 3", 'w v="text" 4', "w v=5 5", "w v= 6", "w v=7 7", "w v=8 8")
  e <- expect_error(influx_write(con, lines, batch_size = 3, concurrency = 1), class = "influx_error_write")
  expect_s3_class(e, "influx_error_http_400")
  expect_identical(e$rows_written, c(1L, 3L))
  expect_identical(e$rows_failed, c(4L, 6L))
  expect_identical(e$rows_not_sent, c(7L, 8L))
  expect_identical(e$rejected$row, c(4L, 6L))
  expect_identical(e$rejected$line, c(1L, 3L))
  expect_match(e$rejected$message[1], "column type")
  expect_match(conditionMessage(e), "kept the other 1 points of the failed batch and refused 2")
  expect_identical(influx_query(con, "SELECT v FROM w ORDER BY time")$v, c(1, 2, 3, 5))
  # rows without any field write no line: the server's line numbers still name the right rows
  frame <- data.frame(time = .POSIXct(100 + 1:5, tz = "UTC"), v = c(NA, "x", NA, NA, "y"), n = c(NA, 1L, NA, 2L, NA))
  e <- expect_error(influx_write(con, frame, "w", tags = character()), class = "influx_error_write")
  expect_identical(e$rejected$line, c(1L, 3L)) # v is a float in w: the text values are refused
  expect_identical(e$rejected$row, c(2L, 5L))
  expect_match(conditionMessage(e), "row 5: ")
})

test_that("administration: databases with retention, dry runs, tokens as 3.x Core has them, the rest unsupported", {
  srv <- v3_server()
  con <- influx_connect(srv$url, token = srv$token, writable = TRUE, database = "d")
  name <- fresh_name("v3adm")
  expect_identical(influx_create_database(con, name, retention = "7d", dry_run = TRUE),
                   sprintf('{"db":"%s","retention_period":"604800s"}', name))
  expect_false(name %in% influx_databases(con)$name)
  influx_create_database(con, name, retention = "7d")
  expect_true(name %in% influx_databases(con)$name)
  expect_equal(as.numeric(influx_retention_policies(con, name)$duration), 7 * 86400)
  expect_identical(influx_drop_database(con, name, dry_run = TRUE), sprintf("DELETE /api/v3/configure/database?db=%s", name))
  expect_true(name %in% influx_databases(con)$name)
  influx_drop_database(con, name)
  expect_false(name %in% influx_databases(con)$name)
  expect_error(influx_drop_database(con, name), class = "influx_error_http_404")
  expect_identical(influx_delete_token(con, "reports", dry_run = TRUE), "DELETE /api/v3/configure/token?token_name=reports")
  expect_error(influx_delete_token(con, "no_such_token"), class = "influx_error_http_404")
  unsupported <- list(
    function() influx_create_token(con, "r", read = "d"),
    function() influx_users(con), function() influx_create_user(con, "u", "p"),
    function() influx_grant(con, "u", "d", "read"),
    function() influx_create_retention_policy(con, "rp", "1d"), function() influx_drop_retention_policy(con, "rp"),
    function() influx_delete(con, "m", "2024-01-01", "2024-01-02"),
    function() influx_query(con, "from(bucket: \"d\")", language = "flux")
  )
  for (f in unsupported) {
    e <- expect_error(f(), class = "influx_error_unsupported")
    expect_match(e$version, "^3")
    expect_match(conditionMessage(e), "InfluxDB 3.x", fixed = TRUE)
  }
})

test_that("the legacy names work on 3.x (the password is the token)", {
  srv <- v3_server()
  con <- v3_fresh(srv)
  on.exit(v3_drop(con), add = TRUE)
  host <- sub(":[0-9]+$", "", srv$url)
  port <- sub("^.*:", "", srv$url)
  db <- con$database
  legacy <- influxdbCon(host, port, user = "analyst", pwd = srv$token)
  on.exit(influx_disconnect(legacy), add = TRUE)
  expect_s3_class(legacy, "influx_v3_connection")
  df <- data.frame(time = as.POSIXct("2024-10-26 22:00", tz = "UTC") + 3600 * 0:5, value = c(1, 2, 4, 8, 16, 32))
  influxdbWriteDf(host, port, "analyst", srv$token, database = db, df = df, measurement = "meter")
  expect_true(db %in% influxdbGetDatabases(host, port, "analyst", srv$token)$name)
  expect_identical(influxdbGetMeasurements(host, port, "analyst", srv$token, database = db)$name, "meter")
  expect_identical(influxdbGetFieldKeys(host, port, "analyst", srv$token, database = db, datapoint = "meter")$fieldKey, "value")
  raw <- influxdbGetTimeseries(host, port, "analyst", srv$token, database = db, measurement = "meter",
                               datetimeStart = as.POSIXct("2024-10-26 22:00", tz = "UTC"),
                               datetimeEnd = as.POSIXct("2024-10-27 04:00", tz = "UTC"), func = "raw", fieldKey = "value")
  expect_identical(raw$meter, c(1, 2, 4, 8, 16, 32)) # the value column is named after the measurement
  daily <- influxdbGetTimeseries(legacy, database = db, measurement = "meter",
                                 datetimeStart = as.POSIXct("2024-10-27", tz = "Europe/Zurich"),
                                 datetimeEnd = as.POSIXct("2024-10-28", tz = "Europe/Zurich"),
                                 func = "max", agg = "1d", fieldKey = "value")
  expect_identical(daily$meter, 32)
})
