# The behavioural read suite: raw line protocol goes in through each server's own write endpoint,
# and influx_query() must give back exactly those values, types, tags and instants. On 3.x each
# question is asked in InfluxQL (its /api/v3/query_influxql) and, as its SQL twin, in SQL: both
# must give the frame 1.x and 2.x give.

# The SQL twin of an InfluxQL frame: the same rows in the same order, the same columns and classes.
expect_same_frame <- function(sql, iql, label = "SQL twin") {
  attr(sql, "queries") <- attr(iql, "queries") <- NULL
  rownames(sql) <- rownames(iql) <- NULL
  expect_identical(sql, iql, label = label)
}

# Escaping as each server's parser reads it: 1.x and 2.x (Go) take a character after a backslash
# as escaped and keep a backslash that escapes nothing; 3.x (Rust) also reads "\\\\" as one
# backslash, so there a backslash is escaped too.
lp_escape_key <- function(x, srv) {
  gsub(if (srv$generation == "v3") "([\\\\,= ])" else "([,= ])", "\\\\\\1", x)
}
lp_escape_measurement <- function(x, srv) {
  gsub(if (srv$generation == "v3") "([\\\\, ])" else "([, ])", "\\\\\\1", x)
}
lp_string <- function(x) paste0('"', gsub('(["\\\\])', "\\\\\\1", x), '"')

for_each_server("hostile names and values come back exactly", {
  skip_if_not_installed("bit64")
  admin <- connect_admin(srv)
  m <- paste0(fresh_name("hostile"), " wé,ird \U0001f321")
  tag_values <- c("Z\u00fcrich \"HQ\", \U0001f3e2", "a=b c,d", "'single' \\ back")
  strings <- c("say \"hi\", \\ back\\slash", "new\nline\tand tab", "\u00e9\u00e8 emoji \U0001f525", "")
  lines <- sprintf("%s,%s=%s,plain=p %s=%s,f=%s,i=%si,b=%s %s",
                   lp_escape_measurement(m, srv), lp_escape_key("ta g=k,ey", srv), lp_escape_key(tag_values[c(1, 2, 3, 1)], srv),
                   lp_escape_key("fi=eld \"x\"", srv), lp_string(strings),
                   c("1.5", "-0.25", "1e-300", "1.7976931348623157e308"),
                   c("0", "-9223372036854775807", "9223372036854775807", "2147483647"),
                   c("true", "false", "t", "F"),
                   c("1711846800000000001", "1711846800000000002", "1711850400123456789", "1711850400123456790"))
  write_lines(admin, lines)
  con <- connect_reader(srv)
  df <- influx_query(con, select_all(m, "influxql"), time_ns = TRUE)
  df <- df[order(as.character(df$time_ns)), ]
  if (srv$generation == "v3") {
    cols <- paste(sql_ident(c("time", "plain", "ta g=k,ey", "b", "f", "fi=eld \"x\"", "i")), collapse = ", ")
    sql <- influx_query(con, sprintf("SELECT %s FROM %s ORDER BY time", cols, sql_ident(m)), time_ns = TRUE, language = "sql")
    expect_same_frame(sql, df)
  }
  expect_equal(names(df), c("time", "time_ns", "plain", "ta g=k,ey", "b", "f", "fi=eld \"x\"", "i"))
  expect_equal(as.character(df$time_ns), c("1711846800000000001", "1711846800000000002", "1711850400123456789", "1711850400123456790"))
  expect_equal(df$`ta g=k,ey`, tag_values[c(1, 2, 3, 1)])
  expect_equal(df$plain, rep("p", 4))
  expect_equal(df$`fi=eld "x"`, strings)
  expect_identical(df$f, c(1.5, -0.25, 1e-300, 1.7976931348623157e308))
  expect_s3_class(df$i, "integer64")
  expect_equal(as.character(df$i), c("0", "-9223372036854775807", "9223372036854775807", "2147483647"))
  expect_identical(df$b, c(TRUE, FALSE, TRUE, FALSE))
  expect_equal(attr(df$time, "tzone"), "Europe/Zurich")
})

for_each_server("field types are kept as the server stores them", {
  admin <- connect_admin(srv)
  m <- fresh_name("types")
  write_lines(admin, c(
    sprintf("%s,room=a f=1,i=1i,s=\"1\",b=true 1700000000000000000", m),
    sprintf("%s,room=a f=2.5,i=-2i,s=\"x\",b=false 1700000001000000000", m),
    sprintf("%s,room=a f=3 1700000002000000000", m)
  ))
  df <- influx_query(connect_reader(srv), sprintf("SELECT f, i, s, b FROM %s", m))
  if (srv$generation == "v3") {
    expect_same_frame(influx_query(connect_reader(srv, language = "sql"), sprintf("SELECT time, f, i, s, b FROM %s ORDER BY time", m)), df)
  }
  expect_identical(names(df), c("time", "f", "i", "s", "b"))
  expect_identical(df$f, c(1, 2.5, 3))
  expect_identical(df$i, c(1L, -2L, NA))
  expect_identical(df$s, c("1", "x", NA))
  expect_identical(df$b, c(TRUE, FALSE, NA))
  expect_s3_class(df$time, "POSIXct")
  agg <- influx_query(connect_reader(srv), sprintf("SELECT count(f) AS n, sum(i) AS total, mean(f) AS avg FROM %s", m))
  expect_identical(agg$n, 3L)
  expect_identical(agg$total, -1L)
  expect_equal(agg$avg, 6.5 / 3)
  expect_equal(as.numeric(agg$time), 0)
  if (srv$generation == "v3") {
    # SQL has no time column for an aggregate over everything; the values and types are InfluxQL's
    sql <- influx_query(connect_reader(srv, language = "sql"), sprintf("SELECT count(f) AS n, sum(i) AS total, avg(f) AS avg FROM %s", m))
    expect_same_frame(sql, agg[c("n", "total", "avg")])
  }
})

for_each_server("times are exact and shown in Zurich time on both sides of each DST change", {
  admin <- connect_admin(srv)
  m <- fresh_name("dst")
  utc <- c("2024-03-31 00:30:00", "2024-03-31 01:30:00", "2024-10-27 00:30:00", "2024-10-27 01:30:00")
  secs <- as.numeric(as.POSIXct(utc, tz = "UTC"))
  write_lines(admin, sprintf("%s v=%di %.0f%06d", m, seq_along(secs), secs, 123456L), precision = "u")
  df <- influx_query(connect_reader(srv), sprintf("SELECT v FROM %s", m))
  expect_equal(format(df$time, "%Y-%m-%d %H:%M:%S %Z"),
               c("2024-03-31 01:30:00 CET", "2024-03-31 03:30:00 CEST", "2024-10-27 02:30:00 CEST", "2024-10-27 02:30:00 CET"))
  expect_identical(round(as.numeric(df$time) * 1e6), secs * 1e6 + 123456)
  utc_df <- influx_query(connect_reader(srv), sprintf("SELECT v FROM %s", m), tz = "UTC")
  expect_equal(format(utc_df$time, "%H:%M"), c("00:30", "01:30", "00:30", "01:30"))
  if (srv$generation == "v3") {
    sql <- connect_reader(srv, language = "sql")
    expect_same_frame(influx_query(sql, sprintf("SELECT time, v FROM %s ORDER BY time", m)), df)
    expect_same_frame(influx_query(sql, sprintf("SELECT time, v FROM %s ORDER BY time", m), tz = "UTC"), utc_df)
  }
  # Daily windows aligned to Zurich midnight: 23 and 25 hour days hold their points.
  days <- unless_standin_lacks(influx_query(connect_reader(srv), paste(
    sprintf("SELECT count(v) FROM %s WHERE time >= '2024-03-30T23:00:00Z' AND time < '2024-10-28T00:00:00Z'", m),
    "GROUP BY time(1d) fill(none) tz('Europe/Zurich')")))
  expect_equal(format(days$time, "%Y-%m-%d %H:%M %Z"), c("2024-03-31 00:00 CET", "2024-10-27 00:00 CEST"))
  expect_equal(days$count, c(2L, 2L))
})

for_each_server("GROUP BY series are stacked into one data frame, across many chunks", {
  admin <- connect_admin(srv)
  m <- fresh_name("series")
  grid <- expand.grid(i = 1:40, room = sprintf("r%02d", 1:25), stringsAsFactors = FALSE)
  write_lines(admin, sprintf("%s,room=%s,floor=f%d v=%d.5 %d000000000", m, grid$room, nchar(grid$room) %% 2, grid$i, 1700000000 + grid$i))
  old <- options(influxdbtoolkit.chunk_size = 7L)
  on.exit(options(old))
  df <- influx_query(connect_reader(srv), sprintf("SELECT v FROM %s GROUP BY room, floor", m))
  expect_equal(nrow(df), 1000)
  expect_equal(names(df), c("time", "floor", "room", "v"))
  expect_equal(sort(unique(df$room)), sprintf("r%02d", 1:25))
  expect_true(all(df$floor == "f1"))
  expect_equal(sort(df$v[df$room == "r07"]), 1:40 + 0.5)
  expect_false(is.unsorted(df$time[df$room == "r01"]))
  if (srv$generation == "v3") {
    # series are ordered by their tags, points by time within each
    sql <- influx_query(connect_reader(srv, language = "sql"), sprintf("SELECT time, floor, room, v FROM %s ORDER BY floor, room, time", m))
    expect_same_frame(sql, df)
  }
})

for_each_server("several statements, empty results and SHOW queries have sensible shapes", {
  admin <- connect_admin(srv)
  m <- fresh_name("multi")
  write_lines(admin, sprintf("%s,sensor=s1 value=1 1700000000000000000", m))
  con <- connect_reader(srv)
  q <- sprintf("SELECT value FROM %s; SELECT value FROM %s WHERE time > now(); SHOW TAG VALUES FROM %s WITH KEY = \"sensor\"", m, m, m)
  if (srv$generation == "v3") {
    # 3.x itself takes one InfluxQL statement per request (influxdb3_server's InfluxqlSingleStatement),
    # so the package sends them one by one
    e <- expect_error(influxdbtoolkit:::influx_http(con, "GET", "/api/v3/query_influxql", sink = "raw",
                                                    query = c(db = "influxtk_test", q = q, format = "jsonl")),
                      class = "influx_error_http_400")
    expect_match(e$server_message, "only one InfluxQl statement per query")
  }
  res <- influx_query(con, q)
  expect_type(res, "list")
  expect_equal(names(res), c(sprintf("SELECT value FROM %s", m), sprintf("SELECT value FROM %s WHERE time > now()", m),
                             sprintf("SHOW TAG VALUES FROM %s WITH KEY = \"sensor\"", m)))
  expect_equal(res[[1]]$value, 1)
  expect_s3_class(res[[2]], "data.frame")
  expect_equal(nrow(res[[2]]), 0)
  expect_equal(res[[3]]$key, "sensor")
  expect_equal(res[[3]]$value, "s1")
  empty <- influx_query(con, "SELECT * FROM measurement_that_does_not_exist")
  expect_s3_class(empty, "data.frame")
  expect_equal(nrow(empty), 0)
  dbs <- influx_query(con, "SHOW DATABASES")
  expect_true(all(c("influxtk_test", "influxtk_demo") %in% dbs$name))
  keys <- influx_query(con, "SHOW FIELD KEYS")
  expect_true("measurement" %in% names(keys))
  expect_true(m %in% keys$measurement)
})

for_each_server("integers beyond 32 bits follow the bigint choice", {
  admin <- connect_admin(srv)
  m <- fresh_name("bigint")
  write_lines(admin, sprintf("%s n=%si %d000000000", m, c("3", "9007199254740993"), 1700000000 + 1:2))
  con <- connect_reader(srv)
  q <- sprintf("SELECT n FROM %s", m)
  skip_if_not_installed("bit64")
  expect_equal(as.character(influx_query(con, q)$n), c("3", "9007199254740993"))
  expect_equal(influx_query(con, q, bigint = "character")$n, c("3", "9007199254740993"))
  expect_warning(d <- influx_query(con, q, bigint = "double")$n, "lost precision")
  expect_equal(d, c(3, 9007199254740992))
  if (srv$generation == "v3") {
    sql <- sprintf("SELECT time, n FROM %s ORDER BY time", m)
    for (bigint in c("integer64", "character")) {
      expect_same_frame(influx_query(con, sql, bigint = bigint, language = "sql"), influx_query(con, q, bigint = bigint),
                        label = paste("SQL twin, bigint", bigint))
    }
    expect_warning(d <- influx_query(con, sql, bigint = "double", language = "sql")$n, "lost precision")
    expect_equal(d, c(3, 9007199254740992))
  }
})

for_each_server("bind parameters are sent as values, never as query text", {
  admin <- connect_admin(srv)
  m <- fresh_name("params")
  write_lines(admin, sprintf("%s,room=%s v=%d %d000000000", m, c("O'Brien", "x"), 1:2, 1700000000 + 1:2))
  con <- connect_reader(srv)
  if (srv$generation == "v3") {
    sql <- connect_reader(srv, language = "sql")
    df <- influx_query(sql, sprintf("SELECT time, v FROM %s WHERE room = $room AND time >= $t", m),
                       params = list(room = "O'Brien", t = as.POSIXct("2023-11-14 22:13:21", tz = "UTC")))
    expect_equal(df$v, 1)
    expect_equal(as.numeric(df$time), 1700000001)
    none <- influx_query(sql, sprintf("SELECT v FROM %s WHERE room = $room", m), params = list(room = "x' OR ''='"))
    expect_equal(nrow(none), 0)
    n <- influx_query(sql, sprintf("SELECT count(*) AS n FROM %s WHERE v >= $low", m), params = list(low = 1.5))
    expect_identical(n$n, 1L)
  }
  df <- unless_standin_lacks(influx_query(con, sprintf("SELECT v FROM %s WHERE room = $room AND time >= $t", m),
                     params = list(room = "O'Brien", t = as.POSIXct("2023-11-14 22:13:21", tz = "UTC"))))
  expect_equal(df$v, 1)
  none <- influx_query(con, sprintf("SELECT v FROM %s WHERE room = $room", m), params = list(room = "x' OR ''='"))
  expect_equal(nrow(none), 0)
})

for_each_server("ping reports the server and the connection prints without secrets", {
  con <- connect_reader(srv)
  p <- influx_ping(con)
  expect_s3_class(p, "influx_ping")
  expect_equal(p$version, con$server_version)
  expect_true(p$rtt >= 0)
  expect_equal(con$generation, srv$generation)
  out <- capture.output(print(con))
  expect_false(any(grepl(server_secret(srv), out, fixed = TRUE)))
  expect_output(print(p), "answered in")
})

for_each_server("Flux is refused on 3.x, naming the version, before anything is sent", {
  con <- connect_reader(srv)
  e <- expect_error(influx_query(con, 'from(bucket: "influxtk_test") |> range(start: -1h)', language = "flux"),
                    class = "influx_error_unsupported")
  expect_match(conditionMessage(e), "3\\.")
  expect_error(influx_timeseries(con, "m", "v", start = "2024-01-01", end = "2024-01-02", language = "flux"),
               class = "influx_error_unsupported")
}, generations = "v3")
