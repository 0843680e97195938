# The JSON-lines decoder (InfluxDB 3, format=jsonl) on recorded and synthesized bodies, fed in
# pieces as a network would. What 3.x writes: one object per row and "\n" after each, keys in the
# result's column order, a null value left out of its line (NaN and infinities as an explicit
# null), time as "YYYY-MM-DDTHH:MM:SS[.fraction]" in UTC without a zone, integers as exact
# literals, InfluxQL results with an "iox::measurement" key.

fixture <- function(name) readBin(test_path("fixtures", name), "raw", file.size(test_path("fixtures", name)))
utc <- function(text) as.POSIXct(text, tz = "UTC", format = "%Y-%m-%d %H:%M:%OS")

decode_jsonl <- function(body, piece = length(body), tz = "UTC", bigint = "integer64", time_ns = FALSE,
                         types = NULL, columns = NULL, measurement = FALSE) {
  if (is.character(body)) body <- charToRaw(enc2utf8(body))
  .Call(influxdbtoolkit:::C_decode_jsonl, body, max(1L, as.integer(piece)),
        list(tz = tz, bigint = bigint, time_ns = time_ns, types = types, columns = columns, measurement = measurement))
}
frame <- function(...) {
  r <- decode_jsonl(...)
  if (r$status != 0L) stop(r$message)
  r$tables[[1]]
}
lines <- function(...) paste0(paste(c(...), collapse = "\n"), "\n")

test_that("an InfluxQL answer is one data frame: time in tz first, tags and fields typed by their values", {
  df <- frame(fixture("jsonl-influxql.jsonl"), tz = "Europe/Zurich")
  expect_equal(names(df), c("time", "iox::measurement", "bed", "zone", "moisture", "pump", "visits", "note"))
  expect_equal(nrow(df), 4)
  expect_s3_class(df$time, "POSIXct")
  expect_equal(attr(df$time, "tzone"), "Europe/Zurich")
  expect_equal(as.numeric(df$time), as.numeric(utc(c("2071-06-01 04:00:00", "2071-06-01 04:00:00.25",
                                                     "2071-06-01 04:10:00", "2071-06-01 04:10:00.000001"))))
  expect_identical(df$`iox::measurement`, c("greenhouse", "greenhouse", "greenhouse", "shed"))
  expect_identical(df$zone, c("1", "1", "2", "1"))
  expect_identical(df$moisture, c(31.5, 28, NA, 12.25)) # left out of line 3
  expect_identical(df$pump, c(TRUE, FALSE, TRUE, NA))
  expect_identical(df$visits, c(3L, 0L, -7L, NA))
  expect_identical(df$note, c(NA, NA, NA, "door \"ajar\", caf\u00e9 \U0001f331")) # a key first seen on line 4
})

test_that("with measurement = TRUE, iox::measurement has the 1.x shape", {
  df <- frame(fixture("jsonl-influxql.jsonl"), measurement = TRUE)
  expect_equal(names(df)[1:2], c("measurement", "time"))
  expect_identical(df$measurement, c("greenhouse", "greenhouse", "greenhouse", "shed"))
  one <- frame(lines('{"iox::measurement":"m","time":"2024-01-01T00:00:00","v":1}',
                     '{"iox::measurement":"m","time":"2024-01-01T00:00:01","v":2}'), measurement = TRUE)
  expect_equal(names(one), c("time", "v")) # one measurement: no column, as on 1.x
  # whatever a body puts there, the measurement column is text
  odd <- frame(lines('{"iox::measurement":5}', '{"iox::measurement":true}', '{"iox::measurement":null}'), measurement = TRUE)
  expect_identical(odd$measurement, c("5", "true", NA))
})

test_that("SHOW DATABASES answers keep iox::database as sent", {
  df <- frame(fixture("jsonl-show-databases.jsonl"))
  expect_identical(df, data.frame(`iox::database` = c("_internal", "plants", "old"), deleted = c(FALSE, FALSE, TRUE),
                                  check.names = FALSE))
})

test_that("an empty body is a data frame without rows", {
  r <- decode_jsonl(raw(0))
  expect_equal(r$status, 0L)
  expect_equal(dim(r$tables[[1]]), c(0L, 0L))
})

test_that("a live response is decoded as it streams in: rows, a query without rows, a cut body", {
  fake <- start_fake_server()
  on.exit(fake$stop())
  con <- influx_connect(fake$url, version = "v1")
  http <- influxdbtoolkit:::influx_http
  live <- http(con, "GET", "/jsonl/api/v3/query_sql", sink = "jsonl", frame = list(tz = "UTC"))
  expect_identical(live$decode_status, 0L)
  raw <- http(con, "GET", "/jsonl/api/v3/query_sql", sink = "raw")$body
  expect_identical(live$tables, decode_jsonl(raw, 5)$tables)
  expect_identical(live$tables[[1]]$v, c(1, 2.5))
  # 3.x answers a query without rows with an empty body: a frame without rows, not "no answer"
  empty <- http(con, "GET", "/jsonl-empty/api/v3/query_sql", sink = "jsonl", frame = list(tz = "UTC"))
  expect_identical(empty$decode_status, 0L)
  expect_equal(dim(empty$tables[[1]]), c(0L, 0L))
  cut <- http(con, "GET", "/jsonl-cut/api/v3/query_sql", sink = "jsonl", frame = list(tz = "UTC"))
  expect_identical(cut$decode_status, 3L)
  expect_match(cut$decode_message, "ended inside line 2")
  expect_null(cut$tables)
})

test_that("every way of cutting the body into pieces gives the same result", {
  for (name in c("jsonl-influxql.jsonl", "jsonl-sql-types.jsonl", "jsonl-show-databases.jsonl")) {
    body <- fixture(name)
    whole <- decode_jsonl(body)
    expect_equal(whole$status, 0L)
    for (piece in c(1, 2, 3, 7, 64, 1000)) expect_identical(decode_jsonl(body, piece), whole, info = paste(name, piece))
  }
})

test_that("a body cut anywhere but at the end of a line is an error, never a short result", {
  body <- fixture("jsonl-sql-types.jsonl")
  ends <- which(body == charToRaw("\n"))
  for (n in seq_len(length(body) - 1L)) {
    r <- decode_jsonl(body[seq_len(n)], 1 + n %% 5)
    if (n %in% c(ends, ends - 1L)) {
      # after "\n", or a complete last object without its "\n"
      expect_equal(r$status, 0L, info = n)
      expect_equal(nrow(r$tables[[1]]), sum(ends <= n + 1L), info = n)
    } else {
      expect_equal(r$status, 3L, info = n)
      expect_match(r$message, "ended inside line [0-9]+.*cut", info = n)
    }
  }
})

test_that("malformed lines are errors naming the line and the byte", {
  cases <- list(
    c('{"a":1}', '{"a":2', '{"a":3}') , "line 2 at byte 7",
    c('{"a":1}', '[1,2]'), "line 2 at byte 1.*expected '\\{'",
    c('{"a":1} {"a":2}'), "line 1 at byte 9.*text after the object",
    c('{"a":01}'), "expected ','",
    c('{"a":NaN}'), "expected a value",
    c('{"a":1,"a":2}'), "the key a twice",
    c('{"a":"\\q"}'), "not a JSON escape",
    c('{"a":"\\ud800"}'), "lone high surrogate",
    c('{"a":"\\udfff"}'), "lone low surrogate",
    c('{"time":"last tuesday"}'), "column time is not a time",
    c('{"a":"tab\there"}'), "control character"
  )
  for (i in seq(1, length(cases), by = 2)) {
    r <- decode_jsonl(lines(cases[[i]]), 3)
    expect_equal(r$status, 2L, info = cases[[i + 1]])
    expect_match(r$message, cases[[i + 1]], info = cases[[i]][1])
    expect_null(r$tables)
  }
  r <- decode_jsonl(lines('{"a":1}', '{"a":1}', '{"a":1,"b":x}'))
  expect_match(r$message, "line 3 at byte 12 \\(byte 28 of the body\\)")
})

test_that("keys are matched as written: prefixes, another order, spaces, escapes, duplicates", {
  body <- lines('{"ab":1,"abc":2}', '{"abc":3,"ab":4}', '{ "ab" : 5 , "abc" :6}', '{"a\\u0062":7,"abc":8}',
                '{"ab":9}', '{"abcd":10,"ab":11}')
  for (piece in c(1, 4, 1000)) {
    df <- frame(body, piece)
    expect_identical(names(df), c("ab", "abc", "abcd"))
    expect_identical(df$ab, c(1L, 4L, 5L, 7L, 9L, 11L))
    expect_identical(df$abc, c(2L, 3L, 6L, 8L, NA, NA))
    expect_identical(df$abcd, c(NA, NA, NA, NA, NA, 10L))
  }
  r <- decode_jsonl(lines('{"ab":1,"abc":2}', '{"ab":1,"ab":2}'))
  expect_equal(r$status, 2L)
  expect_match(r$message, "line 2 .*the key ab twice")
  expect_equal(decode_jsonl('{"abc":1}\n{"abc"')$status, 3L)
})

test_that("tag values that share a cache slot, and more values than the cache holds, stay apart", {
  i <- 0:399
  long <- sprintf("aaaaaaaa%02dbbbbbbbb", i %% 40L) # one length, same first and last 8 bytes
  short <- sprintf("s%d", i %% 40L)
  empty <- ifelse(i %% 3L == 0L, "", "x")
  body <- lines(sprintf('{"long":"%s","short":"%s","e":"%s"}', long, short, empty))
  for (piece in c(7, length(body))) {
    df <- frame(body, piece)
    expect_identical(df$long, long)
    expect_identical(df$short, short)
    expect_identical(df$e, empty)
  }
})

test_that("numbers at the limits of the short path read as strtod and exact integers do", {
  doubles <- c("123456789012345.0", "12345678901234.5", "0.123456789012345", "0.1234567890123456",
               "-99999999999999.9", "999999999999999.9", "0.000000000000001", "0.5e1", "7.25E-3")
  df <- frame(lines(sprintf('{"f":%s}', doubles)))
  expect_identical(df$f, as.numeric(doubles))
  ints <- c("999999999999999", "1000000000000000", "-999999999999999", "9223372036854775807", "0", "-0")
  df <- frame(lines(sprintf('{"i":%s}', ints)), bigint = "character")
  expect_identical(df$i, c(ints[1:5], "0"))
  for (bad in c("01", "-01", "1.", "-", "1.e5", "00.5", "1.5.5", "0123456789012345")) {
    expect_equal(decode_jsonl(sprintf('{"n":%s}\n', bad))$status, 2L, info = bad)
  }
})

test_that("bodies past 1 MB (decoded on the worker thread) give the same rows and the same errors", {
  n <- 40000L # about 2.4 MB
  text <- sprintf('{"time":"2071-03-02T08:%02d:%02d.25","room":"r%d","v":%d.5}', (0:(n - 1)) %/% 60L %% 60L, 0:(n - 1) %% 60L,
                  0:(n - 1) %% 7L, 0:(n - 1))
  body <- charToRaw(lines(text))
  expect_gt(length(body), 2^20)
  whole <- frame(body, 16384)
  expect_identical(nrow(whole), n)
  expect_identical(whole$v, 0:(n - 1) + 0.5)
  expect_identical(whole$room, sprintf("r%d", 0:(n - 1) %% 7L))
  expect_identical(frame(body, 1000003), whole)
  # an error late in the body names its line and byte, as without the thread
  bad <- text
  bad[35000] <- sub('"v":', '"v":x', bad[35000])
  r <- decode_jsonl(lines(bad), 16384)
  expect_equal(r$status, 2L)
  expect_match(r$message, "malformed JSON line 35000 at byte ")
  expect_null(r$tables)
  # a body cut inside its last line
  r <- decode_jsonl(body[seq_len(length(body) - 5L)], 16384)
  expect_equal(r$status, 3L)
  expect_match(r$message, sprintf("inside line %d", n))
})

test_that("random corruption gives a status, never a crash", {
  body <- fixture("jsonl-influxql.jsonl")
  expect_survives_corruption(body, function(b, piece, i) decode_jsonl(b, piece), seed = 10)
})

test_that("nulls: left out, explicit, keys that appear late, CRLF and blank lines", {
  df <- frame('{"a":1}\r\n{"b":"x"}\n\n{}\n{"a":null,"b":"y","c":true}')
  expect_identical(df, data.frame(a = c(1L, NA, NA, NA), b = c(NA, "x", NA, "y"), c = c(NA, NA, NA, TRUE)))
  # a column whose every value is null is NA; its type comes from the caller (see below)
  expect_identical(frame(lines('{"n":null}', '{"n":null}'))$n, c(NA, NA))
})

test_that("int64 extremes are exact, under every bigint choice", {
  skip_if_not_installed("bit64")
  body <- fixture("jsonl-sql-types.jsonl")
  df <- frame(body, bigint = "integer64")
  expect_s3_class(df$big, "integer64")
  expect_identical(as.character(df$big), c("9223372036854775807", "-1", "42"))
  # -2^63 is integer64's NA: said so, and readable exactly as character
  expect_true(is.na(df$small[1]))
  expect_equal(attr(df, "influx_int64_min"), "small")
  expect_identical(frame(body, bigint = "character")$small, c("-9223372036854775808", "0", "7"))
  expect_identical(frame(body, bigint = "character")$big, c("9223372036854775807", "-1", "42"))
  dbl <- frame(body, bigint = "double")
  expect_identical(dbl$big, c(9223372036854775807, -1, 42))
  expect_true("big" %in% attr(dbl, "influx_inexact"))
  # uint64 above 2^63 - 1: doubles, flagged (as unsignedLong on 2.x)
  expect_identical(df$count, c(18446744073709551615, 9223372036854775808, 1))
  expect_true("count" %in% attr(df, "influx_inexact"))
  warned <- capture_warnings(influxdbtoolkit:::finish_frame(df))
  expect_match(warned, "'count'.*lost precision", all = FALSE)
  expect_match(warned, "'small'.*-9223372036854775808", all = FALSE)
})

test_that("floats keep their bits: extremes, negative zero, subnormals, and integers widened", {
  df <- frame(fixture("jsonl-sql-types.jsonl"))
  expect_identical(df$ratio[c(1, 3)], c(1e308, 2.5))
  expect_identical(1 / df$ratio[2], -Inf) # -0.0
  expect_identical(df$tiny, c(5e-324, NA, 1.5e-10)) # NaN and infinities arrive as null
  expect_identical(frame(lines('{"v":1}', '{"v":2.5}', '{"v":-3}'))$v, c(1, 2.5, -3))
  expect_identical(frame(lines('{"v":0.1}', '{"v":1.7976931348623157e308}', '{"v":2.2250738585072014E-308}'))$v,
                   c(0.1, 1.7976931348623157e308, 2.2250738585072014e-308))
})

test_that("strings: escapes and surrogate pairs to UTF-8; NUL and invalid bytes follow bad_strings", {
  df <- frame(fixture("jsonl-sql-types.jsonl"))
  expect_identical(df$id[3], "\u00e9t\u00e9 \u65e5\u672c")
  expect_identical(Encoding(df$id[3]), "UTF-8")
  body <- c(charToRaw('{"s":"a\\u0000b","t":"ok"}\n{"s":"caf'), as.raw(0xff), charToRaw('","t":"\\/\\b\\f\\n\\r\\t\\\\"}\n'))
  df <- decode_jsonl(body)$tables[[1]]
  expect_identical(df$s, c("ab", "caf\ufffd"))
  expect_identical(df$t, c("ok", "/\b\f\n\r\t\\"))
  expect_warning(influxdbtoolkit:::finish_frame(df, "repair"), class = "influx_warning_string_repaired")
  expect_error(influxdbtoolkit:::finish_frame(df, "error"), class = "influx_error_decode")
  keys <- frame('{"k\\u00e9y":1,"a\\"b":2}\n')
  expect_identical(names(keys), c("k\u00e9y", "a\"b"))
})

test_that("arrays and objects are kept as their JSON text", {
  df <- frame('{"l":[1,{"k":"v"},null],"o":{"x":[]}}\n')
  expect_identical(df$l, '[1,{"k":"v"},null]')
  expect_identical(df$o, '{"x":[]}')
})

test_that("time: tz changes only the display; time_ns gives the exact nanoseconds", {
  skip_if_not_installed("bit64")
  body <- fixture("jsonl-sql-types.jsonl")
  a <- frame(body, tz = "UTC", time_ns = TRUE)
  b <- frame(body, tz = "America/New_York")
  expect_identical(as.numeric(a$time), as.numeric(b$time))
  expect_equal(attr(b$time, "tzone"), "America/New_York")
  expect_identical(as.character(a$time_ns), c("946684799999999999", "946684800000000000", "946684800001000000"))
  expect_equal(format(b$time[2], "%Y-%m-%d %H:%M"), "1999-12-31 19:00")
})

test_that("column types and columns from the caller decide what the values cannot", {
  body <- lines('{"time":"2024-03-31T01:00:00","x":3,"when":"2024-03-31T03:00:00+02:00","host":"h1","code":12}',
                '{"time":"2024-03-31T02:00:00","x":4,"when":"2024-03-31T02:30:00","host":"h2","code":7}')
  df <- frame(body, types = c(x = "float", when = "timestamp", host = "tag", code = "string", gone = "float", t0 = "timestamp"),
              columns = c("time", "gone", "host", "x", "t0"))
  # the columns asked for exist even though every value was null; tags follow time
  expect_equal(names(df), c("time", "host", "gone", "x", "t0", "when", "code"))
  expect_identical(df$gone, c(NA_real_, NA_real_))
  expect_s3_class(df$t0, "POSIXct")
  expect_identical(df$x, c(3, 4)) # an integral float the server wrote as 3
  expect_identical(as.numeric(df$when), as.numeric(utc(c("2024-03-31 01:00:00", "2024-03-31 02:30:00"))))
  expect_identical(df$code, c("12", "7"))
  expect_error(decode_jsonl(body, types = c(x = "decimal")), "unknown column type 'decimal'")
})

test_that("huge bodies: a 10 MB string, 10,000 columns, 200,000 rows", {
  long <- strrep("abcdefghij", 1e6)
  df <- frame(paste0('{"s":"', long, '\\u00e9"}\n'), 65536)
  expect_equal(nchar(df$s), 1e7 + 1)
  keys <- sprintf('"c%d":%d', 1:10000, 1:10000)
  df <- frame(lines(paste0("{", paste(keys, collapse = ","), "}"), paste0("{", paste(rev(keys), collapse = ","), "}")), 4096)
  expect_equal(dim(df), c(2L, 10000L))
  expect_identical(df$c9999, c(9999L, 9999L))
  n <- 200000L
  body <- paste0(sprintf('{"time":"2024-01-01T00:%02d:%02d.5","room":"r%d","v":%d.25}', (seq_len(n) %/% 60) %% 60, seq_len(n) %% 60,
                         seq_len(n) %% 3, seq_len(n)), "\n", collapse = "")
  took <- system.time(df <- frame(body, 1e5))[["elapsed"]]
  expect_equal(nrow(df), n)
  expect_identical(df$v[n], n + 0.25)
  expect_lt(took, 5)
})

test_that("the JSON-lines decoder is GC-safe on every fixture and option", {
  fn <- function(name) get(name, envir = asNamespace("influxdbtoolkit"))
  bodies <- list(fixture("jsonl-influxql.jsonl"), fixture("jsonl-sql-types.jsonl"), fixture("jsonl-show-databases.jsonl"),
                 c(charToRaw('{"s":"a\\u0000b","'), as.raw(0xfe), charToRaw('":1}\n')))
  opts <- list(list(tz = "UTC", bigint = "integer64", time_ns = TRUE, measurement = TRUE),
               list(tz = "Europe/Zurich", bigint = "character", time_ns = FALSE,
                    types = c(moisture = "float", ratio = "float", visits = "string", zone = "tag", extra = "bool"),
                    columns = c("extra", "time")))
  for (i in seq_along(bodies)) for (o in opts) {
    expect_torture_identical(fn("C_decode_jsonl"), bodies[[i]], 7L, o, info = paste(i, o$bigint))
  }
  expect_torture_error(fn("C_decode_jsonl"), "not raw", 1L, NULL)
  expect_torture_error(fn("C_decode_jsonl"), raw(1), 1L, list(types = c(a = "nope")))
})

test_that("a column of numbers and strings keeps each number as written, in either order", {
  # InfluxQL over two measurements whose field v is a float in one and a string in the other
  expect_identical(frame(lines('{"a":0.1}', '{"a":"x"}'))$a, c("0.1", "x"))
  expect_identical(frame(lines('{"a":"x"}', '{"a":0.1}'))$a, c("x", "0.1"))
  body <- lines('{"iox::measurement":"m1","time":"2024-01-01T00:00:00","v":0.1}',
                '{"iox::measurement":"m2","time":"2024-01-01T00:00:00","v":"off"}',
                '{"iox::measurement":"m2","time":"2024-01-01T00:00:01","v":"on"}')
  expect_identical(frame(body, measurement = TRUE)$v, c("0.1", "off", "on"))
  # once the column is text, a number is its literal as the server wrote it
  later <- c("1.0", "2.50", "1e-7", "-0", "18446744073709551616", "0.30000000000000004", "12")
  expect_identical(frame(lines('{"a":"x"}', sprintf('{"a":%s}', later)))$a, c("x", later))
  # doubles already in the column when text arrives: the shortest text that reads back exactly
  v <- c(0.1, 1 / 3, 0.30000000000000004, 1e300, -123456.789, 5e-324, 2.5, 3)
  text <- frame(lines(sprintf('{"a":%.17g}', v), '{"a":"x"}'))$a
  expect_identical(text, c("0.1", "0.3333333333333333", "0.30000000000000004", "1e+300", "-123456.789",
                           "4.94065645841247e-324", "2.5", "3", "x"))
  expect_identical(as.numeric(text[seq_along(v)]), v)
})

test_that("a time column holds times only: a number, a boolean or an array there is malformed", {
  r <- decode_jsonl(lines('{"time":"2024-01-01T00:00:00"}', '{"time":1704067200000000000}'))
  expect_equal(r$status, 2L)
  expect_match(r$message, "line 2 .*1704067200000000000 in column time is not a time")
  expect_null(r$tables)
  for (value in c("1704067200000000000", "1.5", "true", "[1]", '{"s":1}')) {
    r <- decode_jsonl(lines(sprintf('{"time":%s}', value), '{"time":"2024-01-01T00:00:00"}'), 3)
    expect_equal(r$status, 2L, info = value)
    expect_match(r$message, "line 1 .*in column time is not a time", info = value)
  }
  r <- decode_jsonl(lines('{"when":"2024-01-01T00:00:00"}', '{"when":0}'), types = c(when = "timestamp"))
  expect_equal(r$status, 2L)
  expect_match(r$message, "line 2 .*column when is not a time")
  # null stays NA, as everywhere
  expect_identical(is.na(frame(lines('{"time":"2024-01-01T00:00:00"}', '{"time":null}'))$time), c(FALSE, TRUE))
})

test_that("NUL bytes where a date belongs are not a time, not 1970-01-01", {
  nuls <- strrep("\\u0000", 10)
  r <- decode_jsonl(lines(sprintf('{"time":"%sT12:00:00"}', nuls)))
  expect_equal(r$status, 2L)
  expect_match(r$message, "line 1 .*is not a time")
  # after a time whose midnight is out of range (read the general way), the remembered date is
  # gone: the NUL date must not take the previous line's midnight either
  r <- decode_jsonl(lines('{"time":"2024-01-01T00:00:00"}', '{"time":"1677-09-21T00:12:43.145224192"}',
                          sprintf('{"time":"%sT12:00:00"}', nuls)))
  expect_equal(r$status, 2L)
  expect_match(r$message, "line 3 .*is not a time")
})

test_that("a negative value in a column of unsigned integers is malformed", {
  for (value in c("-1", "-9223372036854775808", "-0.5", "-1e3")) {
    r <- decode_jsonl(lines('{"u":1}', sprintf('{"u":%s}', value)), types = c(u = "uint"))
    expect_equal(r$status, 2L, info = value)
    expect_match(r$message, sprintf("line 2 .*%s in column u is negative", value), info = value, fixed = FALSE)
    expect_null(r$tables)
  }
  expect_identical(frame(lines('{"u":0}', '{"u":-0}', '{"u":7}'), types = c(u = "uint"))$u, c(0L, 0L, 7L))
})
