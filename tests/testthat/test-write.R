# Writes: line protocol from C, round trips on every server, validation, retries and failures.

for_each_server("random hostile data frames round-trip exactly", {
  skip_if_not_installed("bit64")
  admin <- connect_admin(srv)
  for (seed in 1:3) {
    r <- random_frame(60, seed)
    m <- paste0(fresh_name("rt"), " ", hostile_names[seed + 2])
    res <- influx_write(admin, r$frame, m, tags = r$tags, fields = r$fields, batch_size = 17)
    df <- r$frame
    fields_na <- Reduce(`&`, lapply(df[r$fields], is.na))
    expect_equal(res$dropped, sum(fields_na))
    expect_equal(res$points, sum(!fields_na))
    expect_equal(res$batches, 4)
    want <- df[!fields_na, ]
    want <- want[order(as.character(want$time)), ]
    for (language in read_languages(srv)) {
      back <- influx_query(connect_reader(srv), select_all(m, language), time_ns = TRUE, language = language)
      back <- back[order(as.character(back$time_ns)), ]
      expect_equal(nrow(back), nrow(want), info = language)
      expect_equal(as.character(back$time_ns), as.character(want$time), info = language)
      for (t in r$tags) expect_identical(back[[t]], ifelse(want[[t]] %in% "", NA, want[[t]]), info = paste(language, t))
      expect_identical(back[[r$fields[1]]], want[[r$fields[1]]], info = language)
      expect_equal(as.character(back[[r$fields[2]]]), as.character(want[[r$fields[2]]]), info = language)
      expect_identical(back[[r$fields[3]]], want[[r$fields[3]]], info = language)
      expect_identical(back[[r$fields[4]]], want[[r$fields[4]]], info = language)
    }
  }
})

for_each_server("times convert exactly at every precision", {
  skip_if_not_installed("bit64")
  admin <- connect_admin(srv)
  m <- fresh_name("prec")
  t <- as.POSIXct("2024-03-31 01:30:00.123456", tz = "UTC")
  for (p in c("ns", "us", "ms", "s")) {
    influx_write(admin, data.frame(time = t, v = 1, p = p), m, tags = "p", precision = p)
  }
  df <- influx_query(connect_reader(srv), sprintf("SELECT v, p FROM %s", m), time_ns = TRUE)
  if (srv$generation == "v3") {
    sql <- influx_query(connect_reader(srv), sprintf("SELECT time, v, p FROM %s ORDER BY p", m), time_ns = TRUE, language = "sql")
    expect_identical(sql$time_ns, df$time_ns[order(df$p)])
    expect_identical(sql$p, sort(df$p))
  }
  got <- setNames(as.character(df$time_ns), df$p)
  expect_equal(got[["ns"]], "1711848600123456000")
  expect_equal(got[["us"]], "1711848600123456000")
  expect_equal(got[["ms"]], "1711848600123000000")
  expect_equal(got[["s"]], "1711848600000000000")
  influx_write(admin, data.frame(time = as.Date("2024-10-27"), v = 2), m)
  d <- influx_query(connect_reader(srv), sprintf("SELECT v FROM %s WHERE v = 2", m), tz = "UTC")
  expect_equal(format(d$time), "2024-10-27")
})

for_each_server("lists of points and raw line protocol are written too", {
  admin <- connect_admin(srv)
  m <- fresh_name("pts")
  influx_write(admin, list(
    list(measurement = m, tags = list(room = "a"), fields = list(v = 1.5, n = 2L), time = as.POSIXct("2024-01-01", tz = "UTC")),
    list(measurement = m, tags = c(room = "b"), fields = list(v = 2.5), time = as.POSIXct("2024-01-02", tz = "UTC"))
  ))
  influx_write(admin, sprintf("%s,room=c v=3.5 1704240000000000000", m))
  df <- influx_query(connect_reader(srv), sprintf("SELECT v, n, room FROM %s", m))
  expect_equal(df$v, c(1.5, 2.5, 3.5))
  expect_equal(df$room, c("a", "b", "c"))
  expect_identical(df$n, c(2L, NA, NA))
})

for_each_server("writes are refused on read-only connections, before any request", {
  ro <- connect_reader(srv)
  df <- data.frame(time = Sys.time(), v = 1)
  expect_error(influx_write(ro, df, "m"), class = "influx_error_readonly")
  nowhere <- influx_connect("http://127.0.0.1:9", version = srv$generation)
  expect_error(influx_write(nowhere, df, "m"), class = "influx_error_readonly")
  expect_equal(length(influx_write(ro, df, "m", dry_run = TRUE)), 1)
})

for_each_server("influxdbWriteDf writes a time and value frame at second precision", {
  port <- sub("^.*:", "", srv$url)
  m <- fresh_name("legacy_w")
  df <- data.frame(time = as.POSIXct(c("2024-01-01 10:00:00", "2024-01-01 11:00:00"), tz = "Europe/Zurich"), value = c(3.5, 4))
  a <- legacy_args(srv)
  do.call(influxdbWriteDf, c(list("127.0.0.1", port), a, list(database = "influxtk_test", df = df, measurement = m)))
  back <- influx_query(connect_reader(srv), sprintf("SELECT value FROM %s", m))
  expect_equal(as.numeric(back$time), as.numeric(df$time))
  expect_equal(back$value, df$value)
})

test_that("line protocol escaping and value formatting are exact", {
  skip_if_not_installed("bit64")
  con <- influx_connect("http://127.0.0.1:9", version = "v1")
  df <- data.frame(time = bit64::as.integer64("1700000000123456789"), `t a,g=` = "v a,l=u\"e\\x", f = 0.1, i = 5L,
                   b = TRUE, s = "q\"b\\s\nn", big = bit64::as.integer64("-9223372036854775807"), n = NaN,
                   check.names = FALSE, stringsAsFactors = FALSE)
  lp <- influx_write(con, df, "m e,a=s", tags = "t a,g=", dry_run = TRUE)
  expect_equal(as.character(lp),
    "m\\ e\\,a=s,t\\ a\\,g\\==v\\ a\\,l\\=u\"e\\x f=0.1,i=5i,b=true,s=\"q\\\"b\\\\s\nn\",big=-9223372036854775807i 1700000000123456789")
  expect_equal(as.character(influx_write(con, data.frame(time = 1, v = c(1e300, -0.0, 1/3)), "m", dry_run = TRUE, precision = "s")),
               c("m v=1e+300 1", "m v=-0 1", "m v=0.3333333333333333 1"))
  tags_sorted <- influx_write(con, data.frame(time = 1, z = "1", a = "2", v = 1), "m", precision = "s", dry_run = TRUE)
  expect_equal(as.character(tags_sorted), "m,a=2,z=1 v=1 1")
  expect_equal(as.character(influx_write(con, data.frame(time = 1, t = NA_character_, e = "", v = 1), "m", precision = "s", dry_run = TRUE)),
               "m v=1 1")
})

test_that("unwritable rows are refused before anything is sent, naming row and column", {
  con <- influx_connect("http://127.0.0.1:9", version = "v1", writable = TRUE)
  ok <- data.frame(time = as.POSIXct("2024-01-01", tz = "UTC") + 0:2, tag = c("a", "b", "c"), v = 1:3, stringsAsFactors = FALSE)
  bad <- function(df, ...) expect_error(influx_write(con, df, ...), class = "influx_error_argument")
  e <- bad(transform(ok, tag = c("a", "b\nc", "d")), "m")
  expect_equal(e$row, 2L)
  expect_equal(e$column, "tag")
  e <- bad(transform(ok, tag = c("a", "b", "ends\\")), "m")
  expect_equal(e$row, 3L)
  expect_match(conditionMessage(e), "backslash")
  bad(transform(ok, tag = c("a\\,b", "b", "c")), "m")
  bad(ok, "")
  bad(ok, "meas\\")
  bad(ok, "line\nbreak")
  e <- bad(transform(ok, time = as.POSIXct(c("2024-01-01", NA, "2024-01-02"), tz = "UTC")), "m")
  expect_equal(e$row, 2L)
  bad(ok, "m", fields = "time")
  bad(data.frame(time = 1, `a\nb` = 1, check.names = FALSE), "m")
  bad(ok, "m", fields = "nope")
  bad(data.frame(x = 1), "m")
  bad(ok, "m", tags = "tag", fields = character())
  bad(data.frame(time = 1, d = as.Date("2024-01-01")), "m")
  bad(data.frame(time = as.POSIXct("2300-01-01", tz = "UTC"), v = 1), "m")
  bad(list(list(fields = list(v = 1))))
  expect_error(influx_write(con, ok, "m", batch_size = 0), class = "influx_error_argument")
})

test_that("temporary failures are retried; a final failure says what was written", {
  fake <- start_fake_server()
  on.exit(fake$stop())
  at <- function(route) influx_connect(paste0(fake$url, "/", route), version = "v1", database = "d", writable = TRUE)
  df <- data.frame(time = as.POSIXct("2024-01-01", tz = "UTC") + 0:9, v = as.numeric(1:10))
  res <- influx_write(at("flaky"), df, "m", batch_size = 4)
  expect_equal(res$retries, 2L)
  expect_equal(res$points, 10)
  res <- influx_write(at("ratelimit"), df, "m")
  expect_equal(res$retries, 1L)
  res <- influx_write(at("reset-once"), df, "m")
  expect_equal(res$retries, 1L)
  e <- expect_error(influx_write(at("second-partial"), df, "m", batch_size = 4, concurrency = 1), class = "influx_error_write")
  expect_s3_class(e, "influx_error_http_400")
  expect_equal(e$rows_written, c(1L, 4L))
  expect_equal(e$rows_failed, c(5L, 8L))
  expect_equal(e$rows_not_sent, c(9L, 10L))
  expect_match(e$server_message, "partial write")
  expect_match(conditionMessage(e), "partial write")
  e <- expect_error(influx_write(at("always-503"), df, "m", max_retries = 2), class = "influx_error_write")
  expect_s3_class(e, "influx_error_http_503")
  expect_equal(e$rows_written, integer())
  expect_match(conditionMessage(e), "after 2 retries")
})

for_each_server("hostile names with backslashes, quotes and leading spaces are stored exactly", {
  admin <- connect_admin(srv)
  reader <- connect_reader(srv)
  values <- c("\\ east", "two\\ words", "east\\ ", "\\,,=east", "a\\\"b", "\\\\x", "tr\\t", "\"q\"", " lead")
  df <- data.frame(time = as.POSIXct("2024-05-01", tz = "UTC") + seq_along(values), t = values, v = seq_along(values),
                   q = as.numeric(seq_along(values)), stringsAsFactors = FALSE)
  names(df) <- c("time", "reg\\=ion", "a\\\"b", "\\\\,x")
  for (m in c(paste0(fresh_name("hn"), " a\\b=c\"d"), paste0(" ", fresh_name("lead")))) {
    influx_write(admin, df, m, tags = "reg\\=ion")
    for (language in read_languages(srv)) {
      back <- influx_query(reader, select_all(m, language), language = language)
      back <- back[order(back[["a\\\"b"]]), ]
      expect_identical(back[["reg\\=ion"]], values, info = paste(language, m))
      expect_identical(back[["a\\\"b"]], seq_along(values), info = paste(language, m))
      expect_identical(back[["\\\\,x"]], as.numeric(seq_along(values)), info = paste(language, m))
    }
    expect_true(m %in% influx_query(reader, "SHOW MEASUREMENTS")$name, info = m)
  }
  # Refused before anything is sent: the server would skip, rename or lose these. Go's parser
  # (1.x, 2.x) cannot store a backslash before "=" or '"' in a measurement; Rust's (3.x) can.
  go <- influxdbtoolkit:::line_protocol_escaping(admin) == "go"
  for (m in c("#hash", if (go) c("cpu\\=load", "a\\\"b"))) {
    expect_error(influx_write(admin, df, m, tags = "reg\\=ion"), class = "influx_error_argument")
  }
  if (!go) {
    m <- paste0(fresh_name("bs"), " cpu\\=load a\\\"b")
    influx_write(admin, df, m, tags = "reg\\=ion")
    expect_true(m %in% influx_query(reader, "SHOW MEASUREMENTS")$name, info = m)
  }
})

for_each_server("numeric tags are stored as their exact text", {
  admin <- connect_admin(srv)
  m <- fresh_name("numtag")
  df <- data.frame(time = as.POSIXct("2024-05-01", tz = "UTC") + 1:3, k = c(100000, 1e-7, 2^53 + 2), n = c(100000L, -3L, NA),
                   v = 1:3)
  influx_write(admin, df, m, tags = c("k", "n"))
  for (language in read_languages(srv)) {
    back <- influx_query(connect_reader(srv), select_all(m, language), language = language)
    back <- back[order(back$v), ]
    expect_identical(back$k, c("100000", "0.0000001", "9007199254740994"), info = language)
    expect_identical(back$n, c("100000", "-3", NA), info = language)
  }
})
