# The v1 MessagePack decoder on recorded and synthesized bodies, fed in pieces as a network would.

fixture <- function(name) readBin(test_path("fixtures", name), "raw", 1e6)

test_that("a recorded response with hostile names and values decodes exactly", {
  skip_if_not_installed("bit64")
  r <- decode_v1(fixture("v1-hostile-chunked.msgpack"), tz = "Europe/Zurich", time_ns = TRUE)
  expect_equal(r$status, 0L)
  expect_length(r$tables, 3)
  df <- r$tables[[1]]
  expect_equal(names(df), c("time", "time_ns", "room", "ta g=k", "fi=eld \"x\"", "n", "ok", "temp"))
  expect_equal(nrow(df), 3)
  expect_equal(attr(df$time, "tzone"), "Europe/Zurich")
  expect_equal(as.character(df$time_ns), c("1711850400123456789", "1711846800000000001", "1711846800000000002"))
  expect_equal(format(df$time, "%Y-%m-%d %H:%M:%S %Z"),
               c("2024-03-31 04:00:00 CEST", "2024-03-31 03:00:00 CEST", "2024-03-31 03:00:00 CEST"))
  # Exact to the microsecond: the nearest double to each instant.
  expect_identical(round(as.numeric(df$time) * 1e6), c(1711850400123457, 1711846800000000, 1711846800000000))
  expect_equal(df$`ta g=k`, c("Bern", "Z\u00fcrich \"HQ\", \U0001f3e2", "Z\u00fcrich \"HQ\", \U0001f3e2"))
  expect_equal(Encoding(df$`ta g=k`[2]), "UTF-8")
  expect_equal(df$`fi=eld "x"`, c(NA, "say \"hi\", \\ back\\slash", NA))
  expect_s3_class(df$n, "integer64")
  expect_equal(as.character(df$n), c("9223372036854775807", "-9223372036854775807", "42"))
  expect_identical(df$ok, c(NA, TRUE, FALSE))
  expect_identical(df$temp, c(1e-300, 21.5, 0))
  expect_equal(r$tables[[2]]$tagKey, c("room", "ta g=k"))
  expect_equal(dim(r$tables[[3]]), c(0, 0))
})

test_that("every way of cutting the body into pieces gives the same result", {
  for (name in c("v1-hostile-chunked.msgpack", "v1-hostile-plain.msgpack")) {
    body <- fixture(name)
    whole <- decode_v1(body)
    for (piece in c(1, 2, 3, 7, 64, 255)) expect_identical(decode_v1(body, piece), whole)
  }
})

test_that("a body cut short anywhere is an error, never a partial result", {
  for (name in c("v1-hostile-chunked.msgpack", "v1-hostile-plain.msgpack")) {
    body <- fixture(name)
    full <- length(decode_v1(body)$tables)
    for (n in seq_len(length(body) - 1L)) {
      r <- decode_v1(body[seq_len(n)], 3)
      # A cut inside a document or a statement's chunks is an error here; a cut exactly between
      # two statements leaves fewer tables than statements, which influx_query() rejects.
      ok <- r$status %in% c(2L, 3L) || (r$status == 0L && length(r$tables) < full)
      expect_true(ok, info = paste(name, n))
    }
  }
})

test_that("series of a GROUP BY are stacked into one data frame with tag columns", {
  series <- lapply(1:300, function(i) {
    v1_series(c("time", "value"), list(list(mp_time(1700000000 + i), mp_float(i / 2)),
                                         list(mp_time(1700000100 + i), mp_nil())),
              name = "temp", tags = list(room = sprintf("r%03d", i), floor = as.character(i %% 3)))
  })
  body <- v1_response(do.call(v1_result, list(0, series)))
  r <- decode_v1(body, 100)
  df <- r$tables[[1]]
  expect_equal(names(df), c("time", "floor", "room", "value"))
  expect_equal(nrow(df), 600)
  expect_equal(df$room[1:4], c("r001", "r001", "r002", "r002"))
  expect_equal(df$floor[1:2], c("1", "1"))
  expect_equal(df$value[1:4], c(0.5, NA, 1, NA))
  expect_equal(as.numeric(df$time[1]), 1700000001)
  expect_equal(attr(df, "row.names"), 1:600)
})

test_that("series continued across chunks (partial) keep one row order", {
  doc1 <- v1_response(v1_result(0, list(v1_series(c("time", "v"), list(list(mp_time(1), mp_int(1))), partial = TRUE)), partial = TRUE))
  doc2 <- v1_response(v1_result(0, list(v1_series(c("time", "v"), list(list(mp_time(2), mp_int(2)))))))
  r <- decode_v1(c(doc1, doc2), 4)
  expect_equal(r$status, 0L)
  expect_equal(r$tables[[1]]$v, 1:2)
  expect_equal(decode_v1(doc1)$status, 3L)
})

test_that("several statements give one table each; empty statements have no rows", {
  body <- v1_response(
    v1_result(0, list(v1_series("name", list(list(mp_str("db1")), list(mp_str("db2"))), name = "databases"))),
    v1_result(1),
    v1_result(2, list(v1_series(c("fieldKey", "fieldType"), list(), name = "m")))
  )
  r <- decode_v1(body)
  expect_length(r$tables, 3)
  expect_equal(r$tables[[1]]$name, c("db1", "db2"))
  expect_equal(dim(r$tables[[2]]), c(0, 0))
  expect_equal(names(r$tables[[3]]), c("fieldKey", "fieldType"))
  expect_equal(nrow(r$tables[[3]]), 0)
})

test_that("a measurement column appears only when a statement returns several names", {
  one <- v1_response(v1_result(0, list(v1_series(c("fieldKey"), list(list(mp_str("a"))), name = "m1"))))
  expect_equal(names(decode_v1(one)$tables[[1]]), "fieldKey")
  two <- v1_response(v1_result(0, list(
    v1_series(c("fieldKey"), list(list(mp_str("a"))), name = "m1"),
    v1_series(c("fieldKey"), list(list(mp_str("b")), list(mp_str("c"))), name = "m2"))))
  df <- decode_v1(two)$tables[[1]]
  expect_equal(names(df), c("measurement", "fieldKey"))
  expect_equal(df$measurement, c("m1", "m2", "m2"))
})

test_that("types follow the wire and widen when values disagree", {
  body <- v1_response(v1_result(0, list(v1_series(
    c("i", "mixed_num", "mixed_str", "b", "only_nil", "small", "int32min"),
    list(list(mp_int(1), mp_int(1), mp_int(5), mp_bool(TRUE), mp_nil(), mp_int(-5), mp_int(-2147483648)),
         list(mp_int(-2), mp_float(2.5), mp_str("x"), mp_nil(), mp_nil(), mp_int(2147483647), mp_int(0)))
  ))))
  df <- decode_v1(body)$tables[[1]]
  expect_identical(df$i, c(1L, -2L))
  expect_identical(df$mixed_num, c(1, 2.5))
  expect_identical(df$mixed_str, c("5", "x"))
  expect_identical(df$b, c(TRUE, NA))
  expect_identical(df$only_nil, c(NA, NA))
  expect_identical(df$small, c(-5L, 2147483647L))
  # -2^31 is R's NA_integer_, so that column cannot be a plain integer.
  skip_if_not_installed("bit64")
  expect_s3_class(df$int32min, "integer64")
})

test_that("bigint chooses what out-of-range integers become", {
  body <- v1_response(v1_result(0, list(v1_series("n", list(list(mp_int(2^53 + 2)), list(mp_int(3)), list(mp_nil()))))))
  expect_identical(decode_v1(body, bigint = "double")$tables[[1]]$n, c(2^53 + 2, 3, NA))
  expect_identical(decode_v1(body, bigint = "character")$tables[[1]]$n, c("9007199254740994", "3", NA))
  inexact <- v1_response(v1_result(0, list(v1_series("n", list(list(mp_int64_bits("7fffffffffffffff")))))))
  expect_equal(attr(decode_v1(inexact, bigint = "double")$tables[[1]], "influx_inexact"), "n")
  huge <- v1_response(v1_result(0, list(v1_series("u", list(list(mp_uint64_bits("ffffffffffffffff")))))))
  df <- decode_v1(huge)$tables[[1]]
  expect_equal(df$u, 2^64)
  expect_equal(attr(df, "influx_inexact"), "u")
})

test_that("times before 1970 and with nanoseconds are exact", {
  skip_if_not_installed("bit64")
  body <- v1_response(v1_result(0, list(v1_series("time", list(list(mp_time(-1, 999999999)), list(mp_time(-86400 * 365, 1)))))))
  df <- decode_v1(body, time_ns = TRUE)$tables[[1]]
  expect_equal(as.character(df$time_ns), c("-1", "-31535999999999999"))
  expect_equal(unclass(df$time)[1], -1e-9)
})

test_that("server errors and messages are reported with their statement", {
  err <- mp_map(results = mp_array(v1_result(0, list(v1_series("a", list(list(mp_int(1)))))),
                                   mp_map(error = mp_str("database not found: x"))))
  r <- decode_v1(err)
  expect_equal(r$status, 1L)
  expect_equal(r$message, "database not found: x")
  expect_equal(r$statement, 1L)
  r <- decode_v1(fixture("v1-error-statement.msgpack"))
  expect_equal(r$status, 1L)
  expect_match(r$message, "database not found: nodb")
  r <- decode_v1(fixture("v1-error-parse-400.msgpack"))
  expect_equal(r$status, 1L)
  expect_equal(r$statement, -1L)
  expect_match(r$message, "^error parsing query")
  notice <- v1_response(v1_result(0, messages = list(c("warning", "deprecated syntax"))))
  expect_equal(decode_v1(notice)$notices, "warning\tdeprecated syntax\n")
})

test_that("malformed bodies are errors", {
  ok <- v1_response(v1_result(0, list(v1_series("a", list(list(mp_int(1)))))))
  cases <- list(
    reserved_byte = as.raw(0xc1),
    not_a_map = mp_array(mp_int(1)),
    nested_cell = v1_response(v1_result(0, list(v1_series("a", list(list(mp_array(mp_int(1)))))))),
    short_row = v1_response(v1_result(0, list(v1_series(c("a", "b"), list(list(mp_int(1))))))),
    no_columns = v1_response(v1_result(0, list(mp_map(name = mp_str("m"))))),
    bad_ext = v1_response(v1_result(0, list(v1_series("t", list(list(c(as.raw(c(0xd4, 9)), as.raw(0)))))))),
    trailing_garbage = c(ok, as.raw(0xc1)),
    json_instead = charToRaw('{"results":[]}'),
    empty = raw(0)
  )
  for (name in names(cases)) {
    r <- decode_v1(cases[[name]], 2)
    expect_true(r$status %in% c(2L, 3L), info = name)
    expect_null(r$tables, info = name)
  }
})

test_that("random corruption never crashes the decoder", {
  expect_survives_corruption(fixture("v1-hostile-chunked.msgpack"), seed = 1,
                             function(b, piece, i) decode_v1(b, piece))
})

test_that("error bodies in MessagePack, JSON or text yield the server's message", {
  sm <- influxdbtoolkit:::server_message
  res <- list(body = fixture("v1-error-parse-400.msgpack"), content_type = "application/x-msgpack", influx_error = NA)
  expect_match(sm(res), "^error parsing query: found FROM")
  res <- list(body = fixture("v1-error-parse-400.json"), content_type = "application/json", influx_error = NA)
  expect_match(sm(res), "^error parsing query: found FROM")
  v2 <- list(body = charToRaw('{"code":"unauthorized","message":"unauthorized access"}'), content_type = "application/json", influx_error = NA)
  expect_equal(sm(v2), "unauthorized: unauthorized access")
  text <- list(body = charToRaw("<html>Bad Gateway</html>\n"), content_type = "text/html", influx_error = NA)
  expect_equal(sm(text), "<html>Bad Gateway</html>")
  truncated_json <- list(body = charToRaw('{"error":"cut sh'), content_type = "application/json", influx_error = "from header")
  expect_equal(sm(truncated_json), '{"error":"cut sh')
  empty <- list(body = raw(0), content_type = NA, influx_error = "from header")
  expect_equal(sm(empty), "from header")
})

# Bytes of a string with a NUL in the middle: legal in InfluxDB, impossible in an R string.
with_nul <- function(a, b) c(charToRaw(a), as.raw(0), charToRaw(b))

test_that("NULs and invalid UTF-8 in values, tags and column names are repaired and reported", {
  series <- mp_map(
    name = mp_str("m"),
    tags = mp_map(room = mp_str_bytes(with_nul("a", "b"))),
    columns = mp_array(mp_str("time"), mp_str("s"), mp_str_bytes(with_nul("na", "me")), mp_str("ok")),
    values = mp_array(
      mp_array(mp_time(1), mp_str("fine"), mp_int(1), mp_str("x")),
      mp_array(mp_time(2), mp_str_bytes(with_nul("x", "y")), mp_int(2), mp_str("y")),
      mp_array(mp_time(3), mp_str_bytes(as.raw(c(0x61, 0xff, 0xfe, 0x62))), mp_int(3), mp_str("z")),
      mp_array(mp_time(4), mp_str_bytes(c(as.raw(0), as.raw(0))), mp_int(4), mp_str("w"))
    )
  )
  r <- decode_v1(v1_response(v1_result(0, list(series))), 3)
  expect_equal(r$status, 0L)
  df <- r$tables[[1]]
  expect_equal(names(df), c("time", "room", "s", "name", "ok"))
  expect_identical(df$s, c("fine", "xy", "a\ufffd\ufffdb", ""))
  expect_identical(df$room, rep("ab", 4))
  expect_true(all(validUTF8(c(df$s, df$room, names(df)))))
  expect_identical(nchar(df$s), c(4L, 2L, 4L, 0L))
  rep <- attr(df, "influx_repaired")
  expect_equal(rep$column, c("room", "s", "name"))
  expect_equal(rep$name, c(FALSE, FALSE, TRUE))
  expect_equal(rep$first_row, c(1L, 2L, NA))
  expect_equal(rep$count, c(4L, 3L, 0L))
})

test_that("invalid UTF-8 is replaced by maximal subparts, valid sequences of every length kept", {
  cases <- list(
    list(as.raw(c(0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x8f, 0xa2)), "\u00e9\u20ac\U0001f3e2", FALSE),
    list(as.raw(c(0x61, 0xe2, 0x82)), "a\ufffd", TRUE),            # a cut 3-byte sequence: one U+FFFD
    list(as.raw(c(0xc0, 0xaf)), "\ufffd\ufffd", TRUE),             # overlong
    list(as.raw(c(0xed, 0xa0, 0x80)), "\ufffd\ufffd\ufffd", TRUE), # a surrogate
    list(as.raw(c(0xf4, 0x90, 0x80, 0x80)), "\ufffd\ufffd\ufffd\ufffd", TRUE), # above U+10FFFF
    list(as.raw(c(0xf0, 0x9f, 0x8f, 0x41)), "\ufffdA", TRUE)
  )
  for (k in seq_along(cases)) {
    body <- v1_response(v1_result(0, list(v1_series("s", list()))))
    body <- v1_response(v1_result(0, list(mp_map(columns = mp_array(mp_str("s")),
                                                 values = mp_array(mp_array(mp_str_bytes(cases[[k]][[1]])))))))
    df <- decode_v1(body)$tables[[1]]
    expect_identical(df$s, cases[[k]][[2]], info = k)
    expect_identical(Encoding(df$s) == "UTF-8" || validUTF8(df$s), TRUE, info = k)
    expect_identical(!is.null(attr(df, "influx_repaired")), cases[[k]][[3]], info = k)
  }
})

test_that("a repaired column warns once, naming it, or is an influx_error_decode when asked", {
  finish <- influxdbtoolkit:::finish_frame
  body <- v1_response(v1_result(0, list(v1_series(c("s"), list(list(mp_str("a")), list(mp_str_bytes(with_nul("b", "c"))),
                                                                list(mp_str_bytes(with_nul("d", "e"))))))))
  df <- decode_v1(body)$tables[[1]]
  w <- expect_warning(out <- finish(df), class = "influx_warning_string_repaired")
  expect_match(conditionMessage(w), "column 's'.*2 values.*first at row 2")
  expect_equal(w$column, "s")
  expect_equal(w$first_row, 2L)
  expect_equal(w$count, 2L)
  expect_null(attr(out, "influx_repaired"))
  expect_identical(out$s, c("a", "bc", "de"))
  expect_error(finish(df, bad_strings = "error"), "column 's'", class = "influx_error_decode")
})

test_that("Flux cells and column names get the same repair", {
  csv <- c(charToRaw(paste0("#datatype,string,long,string,string\r\n#group,false,false,true,false\r\n",
                            "#default,_result,,,\r\n,result,table,ta")),
           as.raw(0), charToRaw("g,_value\r\n,,0,"), with_nul("a", "b"), charToRaw(","), with_nul("x", "y"),
           charToRaw("\r\n,,0,ab,"), as.raw(c(0x61, 0xff)), charToRaw("\r\n\r\n"))
  r <- decode_flux(csv, 5)
  expect_equal(r$status, 0L)
  df <- r$table
  expect_equal(names(df), c("tag", "_value"))
  expect_identical(df$tag, c("ab", "ab"))
  expect_identical(df$`_value`, c("xy", "a\ufffd"))
  rep <- attr(df, "influx_repaired")
  expect_equal(rep$column, c("tag", "_value"))
  expect_equal(rep$name, c(TRUE, FALSE))
  expect_equal(rep$first_row, c(1L, 1L))
  expect_equal(rep$count, c(1L, 2L))
  ws <- list()
  withCallingHandlers(influxdbtoolkit:::finish_frame(df),
                      warning = function(w) { ws[[length(ws) + 1L]] <<- w; invokeRestart("muffleWarning") })
  expect_length(ws, 2)
  expect_true(all(vapply(ws, inherits, TRUE, "influx_warning_string_repaired")))
  expect_match(conditionMessage(ws[[1]]), "column 'tag': its name and 1 value \\(first at row 1\\)")
  expect_match(conditionMessage(ws[[2]]), "column '_value': 2 values \\(first at row 1\\)")
})

test_that("-2^63 is bit64's NA: integer64 warns, character and double keep it exactly", {
  skip_if_not_installed("bit64")
  body <- v1_response(v1_result(0, list(v1_series("n", list(list(mp_int64_bits("8000000000000000")), list(mp_int(5)), list(mp_nil()))))))
  df <- decode_v1(body)$tables[[1]]
  expect_equal(attr(df, "influx_int64_min"), "n")
  w <- expect_warning(out <- influxdbtoolkit:::finish_frame(df), class = "influx_warning_int64_min")
  expect_match(conditionMessage(w), "column 'n'")
  expect_null(attr(out, "influx_int64_min"))
  expect_identical(decode_v1(body, bigint = "character")$tables[[1]]$n, c("-9223372036854775808", "5", NA))
  dbl <- decode_v1(body, bigint = "double")$tables[[1]]
  expect_identical(dbl$n, c(-2^63, 5, NA))
  expect_null(attr(dbl, "influx_inexact"))
  expect_null(attr(dbl, "influx_int64_min"))
  flux <- decode_flux("#datatype,string,long,long\r\n#group,false,false,false\r\n#default,_result,,\r\n,result,table,_value\r\n,,0,-9223372036854775808\r\n,,0,1\r\n\r\n")
  expect_equal(flux$status, 0L)
  expect_equal(attr(flux$table, "influx_int64_min"), "_value")
  expect_identical(decode_flux("#datatype,string,long,long\r\n#group,false,false,false\r\n#default,_result,,\r\n,result,table,_value\r\n,,0,-9223372036854775808\r\n,,0,1\r\n\r\n",
                               bigint = "character")$table$`_value`, c("-9223372036854775808", "1"))
})

test_that("doubles next to 2^63 are flagged inexact without an undefined cast", {
  body <- v1_response(v1_result(0, list(v1_series("n", list(list(mp_int64_bits("7ffffffffffffe00")), list(mp_int64_bits("7ffffffffffffc00")))))))
  df <- decode_v1(body, bigint = "double")$tables[[1]]
  # 2^63 - 512 rounds up to 2^63, which no int64 holds; 2^63 - 1024 is exact.
  expect_identical(df$n, c(2^63, 2^63 - 1024))
  expect_equal(attr(df, "influx_inexact"), "n")
  exact <- v1_response(v1_result(0, list(v1_series("n", list(list(mp_int64_bits("7ffffffffffffc00")))))))
  expect_null(attr(decode_v1(exact, bigint = "double")$tables[[1]], "influx_inexact"))
})

test_that("map keys that are not strings are malformed, wherever the map is", {
  k_arr <- mp_array(mp_str("statement_id"), mp_int(0))
  k_map <- c(as.raw(0x81), mp_str("columns"), mp_array(mp_str("v")))
  series_ok <- v1_series("v", list(list(mp_int(1))))
  raw_map <- function(...) { kv <- list(...); c(as.raw(0x80 + length(kv) / 2), unlist(kv)) }
  cases <- list(
    document = raw_map(k_arr, mp_int(1), mp_str("results"), mp_array(v1_result(0, list(series_ok)))),
    result = mp_map(results = mp_array(raw_map(k_arr, mp_str("series"), mp_str("statement_id"), mp_int(0),
                                               mp_str("series"), mp_array(series_ok)))),
    series = v1_response(v1_result(0, list(raw_map(k_map, mp_array(mp_array(mp_int(7))), mp_str("columns"),
                                                   mp_array(mp_str("v")), mp_str("values"), mp_array(mp_array(mp_int(1))))))),
    int_key = v1_response(v1_result(0, list(raw_map(mp_int(3), mp_int(4), mp_str("columns"), mp_array(mp_str("v")))))),
    message = v1_response(mp_map(statement_id = mp_int(0), messages = mp_array(raw_map(k_arr, mp_str("x"))))),
    tags = v1_response(v1_result(0, list(mp_map(tags = raw_map(k_arr, mp_str("x")), columns = mp_array(mp_str("v")),
                                                values = mp_array(mp_array(mp_int(1)))))))
  )
  for (name in names(cases)) {
    r <- decode_v1(cases[[name]])
    expect_equal(r$status, 2L, info = name)
    expect_match(r$message, "not a string", info = name)
  }
})

test_that("statement ids start at 0 and rise by at most one per result", {
  huge <- mp_map(results = mp_array(mp_map(statement_id = mp_int(1000000), series = mp_array())))
  elapsed <- system.time(r <- decode_v1(huge))[["elapsed"]]
  expect_equal(r$status, 2L)
  expect_match(r$message, "statement_id 1000000")
  expect_lt(elapsed, 1)
  bad <- list(
    starts_at_1 = v1_response(v1_result(1)),
    skips = v1_response(v1_result(0), v1_result(2)),
    goes_back = v1_response(v1_result(0), v1_result(1), v1_result(0)),
    negative = v1_response(v1_result(-1))
  )
  for (name in names(bad)) expect_equal(decode_v1(bad[[name]])$status, 2L, info = name)
  # The same id again is a statement continued over chunks.
  ok <- c(v1_response(v1_result(0, list(v1_series("v", list(list(mp_int(1))))), partial = TRUE)),
          v1_response(v1_result(0, list(v1_series("v", list(list(mp_int(2))))))),
          v1_response(v1_result(1)))
  r <- decode_v1(ok)
  expect_equal(r$status, 0L)
  expect_length(r$tables, 2)
})

test_that("an error result's statement id is held to the same order as data", {
  err <- function(id) mp_map(statement_id = mp_int(id), error = mp_str("boom"))
  # Beyond int: once cast to a negative or NA statement number, and a plain R error later.
  for (id in c(2147483648, 7, -1)) {
    r <- decode_v1(mp_map(results = mp_array(err(id))))
    expect_equal(r$status, 2L, info = id)
    expect_match(r$message, "statement_id", info = id)
  }
  r <- decode_v1(c(v1_response(v1_result(0)), v1_response(err(3))))
  expect_equal(r$status, 2L)
  # In order, an error names its statement.
  r <- decode_v1(c(v1_response(v1_result(0)), mp_map(results = mp_array(err(1)))))
  expect_equal(r$status, 1L)
  expect_identical(r$message, "boom")
  expect_equal(r$statement, 1L)
})

test_that("server messages and notices with NULs or invalid UTF-8 become valid R strings", {
  err <- mp_map(results = mp_array(mp_map(statement_id = mp_int(0),
                                          error = mp_str_bytes(c(with_nul("bad", "db"), as.raw(0xff))))))
  r <- decode_v1(err)
  expect_equal(r$status, 1L)
  expect_identical(r$message, "baddb\ufffd")
  notice <- v1_response(mp_map(statement_id = mp_int(0), messages = mp_array(mp_map(
    level = mp_str("warning"), text = mp_str_bytes(c(with_nul("old", "syntax"), as.raw(c(0xc3, 0x28))))))))
  r <- decode_v1(notice)
  expect_equal(r$status, 0L)
  expect_identical(r$notices, "warning\toldsyntax\ufffd(\n")
  expect_true(validUTF8(r$notices))
})

test_that("hostile strings, -2^63, statement ids and keys through influx_query over HTTP", {
  fake <- start_fake_server()
  on.exit(fake$stop())
  at <- function(route) influx_connect(paste0(fake$url, "/", route), version = "v1")
  ws <- list()
  df <- withCallingHandlers(influx_query(at("v1-nul"), "SELECT * FROM m"),
                            warning = function(w) { ws[[length(ws) + 1L]] <<- w; invokeRestart("muffleWarning") })
  expect_identical(df$s, c("xy", "a\ufffd\ufffdb"))
  expect_identical(df$room, c("ab", "ab"))
  expect_equal(names(df), c("room", "s", "name"))
  expect_identical(nchar(df$s), c(2L, 4L))
  expect_equal(vapply(ws, function(w) w$column, ""), c("room", "s", "name"))
  expect_true(all(vapply(ws, inherits, TRUE, "influx_warning_string_repaired")))
  e <- expect_error(influx_query(at("v1-nul"), "SELECT * FROM m", bad_strings = "error"), "column 'room'",
                    class = "influx_error_decode")
  old <- options(influxdbtoolkit.bad_strings = "error")
  expect_error(influx_query(at("v1-nul"), "SELECT * FROM m"), class = "influx_error_decode")
  options(old)
  expect_error(influx_query(at("v1-nul"), "SELECT * FROM m", bad_strings = "drop"), class = "influx_error_argument")

  if (requireNamespace("bit64", quietly = TRUE)) {
    expect_warning(df <- influx_query(at("v1-int64min"), "SELECT n FROM m"), class = "influx_warning_int64_min")
    expect_true(is.na(df$n[1]))
  }
  expect_identical(influx_query(at("v1-int64min"), "SELECT n FROM m", bigint = "character")$n, c("-9223372036854775808", "7"))
  expect_identical(influx_query(at("v1-int64min"), "SELECT n FROM m", bigint = "double")$n, c(-2^63, 7))

  elapsed <- system.time(
    e <- expect_error(influx_query(at("v1-stmt-1000000"), "SELECT v FROM m"), class = "influx_error_decode"))[["elapsed"]]
  expect_match(conditionMessage(e), "statement_id 1000000")
  expect_lt(elapsed, 2)
  e <- expect_error(influx_query(at("v1-stmt-extra"), "SELECT v FROM m"), class = "influx_error_decode")
  expect_match(conditionMessage(e), "statement_id 1 answers a query of 1 statement")
  expect_length(influx_query(at("v1-stmt-extra"), "SELECT v FROM m; SELECT w FROM m"), 2)
  e <- expect_error(influx_query(at("v1-key-array"), "SELECT v FROM m"), class = "influx_error_decode")
  expect_match(conditionMessage(e), "key is not a string")

  flux <- influx_connect(paste0(fake$url, "/flux-nul"), version = "v2", token = "t", org = "o")
  ws <- list()
  df <- withCallingHandlers(influx_query(flux, 'from(bucket: "b") |> range(start: -1h)'),
                            warning = function(w) { ws[[length(ws) + 1L]] <<- w; invokeRestart("muffleWarning") })
  expect_equal(names(df), c("room", "_value"))
  expect_identical(df$room, "ab")
  expect_identical(df$`_value`, "x\ufffd")
  expect_equal(vapply(ws, function(w) w$column, ""), c("room", "_value"))
  expect_error(influx_query(flux, 'from(bucket: "b") |> range(start: -1h)', bad_strings = "error"),
               class = "influx_error_decode")
})
