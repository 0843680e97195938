# The annotated-CSV decoder on recorded and synthesized bodies, fed in pieces as a network would.

fixture <- function(name) readBin(test_path("fixtures", name), "raw", 1e6)
csv <- function(...) paste0(paste(c(...), collapse = "\r\n"), "\r\n")

test_that("a recorded response with hostile values becomes one data frame", {
  skip_if_not_installed("bit64")
  r <- decode_flux(fixture("flux-hostile.csv"), tz = "Europe/Zurich")
  expect_equal(r$status, 0L)
  df <- r$table
  expect_equal(names(df), c("_start", "_stop", "_time", "_value", "_field", "_measurement", "room", "ta g=k"))
  expect_equal(unique(df$`_measurement`), "w\u00e9 ird,meas")
  expect_setequal(unique(df$`ta g=k`), c("Bern", "Z\u00fcrich \"HQ\", \U0001f3e2"))
  # _value holds long, double, string and boolean tables: it widens to character
  expect_type(df$`_value`, "character")
  expect_true("say \"hi\", \\ back\\slash" %in% df$`_value`)
  expect_equal(attr(df$`_time`, "tzone"), "Europe/Zurich")
})

test_that("pivot gives one typed column per field", {
  skip_if_not_installed("bit64")
  df <- decode_flux(fixture("flux-hostile.csv"), pivot = TRUE)$table
  expect_equal(names(df), c("_start", "_stop", "_time", "_measurement", "room", "ta g=k", "n", "temp", "fi=eld \"x\"", "ok"))
  expect_equal(nrow(df), 3)
  df <- df[order(df$`_time`, df$room), ]
  expect_s3_class(df$n, "integer64")
  expect_equal(as.character(df$n), c("-9223372036854775807", "42", "9223372036854775807"))
  expect_identical(df$temp, c(21.5, 0, 1e-300))
  expect_identical(df$ok, c(TRUE, FALSE, NA))
  expect_equal(df$`fi=eld "x"`, c("say \"hi\", \\ back\\slash", NA, NA))
  expect_equal(round(as.numeric(df$`_time`) * 1e6), c(1711846800000000, 1711846800000000, 1711850400123457))
})

test_that("pivot matches rows across many series and fields", {
  # One table per (series, field), as Flux sends them: enough series to regrow every hash table.
  block <- function(table, room, field, type, values) {
    c(paste0("#datatype,string,long,dateTime:RFC3339,string,string,string,", type),
      "#group,false,false,false,true,true,true,false", "#default,_result,,,,,,",
      ",result,table,_time,_measurement,room,_field,_value",
      sprintf(",,%d,2024-01-01T00:00:%02dZ,m,%s,%s,%s", table, seq_along(values) - 1L, room, field, values), "")
  }
  rooms <- sprintf("r%03d", 1:300)
  lines <- c(
    unlist(lapply(seq_along(rooms), function(i) block(i, rooms[i], "t", "double", c(i + 0.5, i + 0.25)))),
    unlist(lapply(seq_along(rooms), function(i) block(300 + i, rooms[i], "n", "long", c(i, -i))))
  )
  df <- decode_flux(paste0(paste(lines, collapse = "\r\n"), "\r\n"), 777, pivot = TRUE)$table
  expect_equal(nrow(df), 600)
  expect_equal(names(df), c("_time", "_measurement", "room", "t", "n"))
  expect_false(anyNA(df$t) || anyNA(df$n))
  expect_identical(df$t[df$room == "r123"], c(123.5, 123.25))
  expect_identical(df$n[df$room == "r123"], c(123L, -123L))
})

test_that("every way of cutting the body into pieces gives the same result", {
  for (name in c("flux-hostile.csv", "flux-two-results.csv")) {
    body <- fixture(name)
    for (pivot in c(FALSE, TRUE)) {
      whole <- decode_flux(body, pivot = pivot)
      expect_equal(whole$status, 0L)
      for (piece in c(1, 2, 3, 7, 64, 1000)) expect_identical(decode_flux(body, piece, pivot = pivot), whole)
    }
  }
})

test_that("a body cut short anywhere is an error, never a partial result", {
  body <- fixture("flux-two-results.csv")
  for (n in seq_len(length(body) - 1L)) {
    r <- decode_flux(body[seq_len(n)], 5)
    # A cut exactly after a table's closing blank line is a complete (shorter) answer.
    ends_table <- n >= 4 && identical(rawToChar(body[(n - 3):n]), "\r\n\r\n")
    if (!ends_table) expect_true(r$status %in% c(2L, 3L), info = n)
  }
})

test_that("results, tables and defaults", {
  r <- decode_flux(fixture("flux-two-results.csv"), table_columns = TRUE)
  df <- r$table
  expect_equal(names(df)[1:2], c("result", "table"))
  expect_setequal(unique(df$result), c("a", "b"))
  expect_type(df$table, "integer")
  # mean() per series: three series of one point each
  b <- df[df$result == "b", ]
  expect_equal(nrow(b), 3)
  expect_setequal(b$`_value`, c("21.5", "0", "1e-300"))
  body <- csv("#datatype,string,long,string,double", "#group,false,false,true,false",
              "#default,_result,,fallback,", ",result,table,tag,v", ",,0,,1.5", ",,0,x,", "")
  df <- decode_flux(body, table_columns = TRUE)$table
  expect_equal(df$result, c("_result", "_result"))
  expect_equal(df$tag, c("fallback", "x"))
  expect_identical(df$v, c(1.5, NA))
})

test_that("tables with different columns are merged with NA", {
  body <- csv("#datatype,string,long,string,long", "#group,false,false,true,false", "#default,_result,,,",
              ",result,table,a,v", ",,0,x,1", "",
              "#group,false,false,true,false", "#datatype,string,long,string,boolean", "#default,_result,,,",
              ",result,table,b,w", ",,1,y,true", "")
  df <- decode_flux(body)$table
  expect_equal(names(df), c("a", "v", "b", "w"))
  expect_identical(df$a, c("x", NA))
  expect_identical(df$v, c(1L, NA))
  expect_identical(df$b, c(NA, "y"))
  expect_identical(df$w, c(NA, TRUE))
})

test_that("quoted cells, CRLF and LF line ends, and all datatypes decode", {
  skip_if_not_installed("bit64")
  body <- paste0(
    "#datatype,string,long,dateTime:RFC3339Nano,duration,duration,base64Binary,unsignedLong,unsignedLong,double,double\n",
    "#group,false,false,false,false,false,false,false,false,false,false\n",
    "#default,_result,,,,,,,,,\n",
    ",result,table,t,d,g,b,u,big,x,y\n",
    ",,0,1969-12-31T23:59:59.999999999Z,3600000000000,1h2m3.5s,aMOpIA==,5,18446744073709551615,NaN,-Inf\n",
    ",,0,2024-10-27T01:30:00+02:00,-1,250ms,,0,1,1e300,\"1,5\"\n\n")
  r <- decode_flux(body)
  expect_equal(r$status, 2L)
  expect_match(r$message, "'1,5' is not a double")
  body <- sub("\"1,5\"", "\"0.5\"", body)
  r <- decode_flux(body)
  expect_equal(r$status, 0L)
  df <- r$table
  expect_equal(as.numeric(df$t), c(-1e-9, as.numeric(as.POSIXct("2024-10-26 23:30:00", tz = "UTC"))))
  expect_s3_class(df$d, "difftime")
  expect_equal(as.numeric(df$d), c(3600, -1e-9))
  expect_equal(as.numeric(df$g), c(3723.5, 0.25))
  expect_equal(df$b[[1]], charToRaw("h\u00e9 "))
  expect_null(df$b[[2]])
  expect_identical(df$u, c(5L, 0L))
  expect_equal(df$big, c(2^64, 1))
  expect_equal(attr(df, "influx_inexact"), "big")
  expect_true(is.nan(df$x[1]))
  expect_identical(df$y, c(-Inf, 0.5))
  cell <- csv("#datatype,string,long,string", "#group,false,false,false", "#default,_result,,",
              ",result,table,s", ",,0,\"multi\r\nline, \"\"quoted\"\"\"", ",,0,\"\"", "")
  expect_identical(decode_flux(cell)$table$s, c("multi\nline, \"quoted\"", NA))
})

test_that("an error table after data is a query error", {
  body <- csv("#datatype,string,long,double", "#group,false,false,false", "#default,_result,,",
              ",result,table,v", ",,0,1", "",
              "#datatype,string,string", "#group,true,true", "#default,,", ",error,reference",
              ",\"runtime error @3:8: boom, with \"\"quotes\"\"\",", "")
  r <- decode_flux(body)
  expect_equal(r$status, 1L)
  expect_equal(r$message, "runtime error @3:8: boom, with \"quotes\"")
  expect_null(r$table)
})

test_that("server text in a Flux error becomes a valid R string", {
  err_table <- function(message_bytes) c(charToRaw(csv("#datatype,string,string", "#group,true,true", "#default,,",
                                                       ",error,reference")), charToRaw(",\""), message_bytes,
                                         charToRaw("\",\r\n\r\n"))
  r <- decode_flux(err_table(c(charToRaw("bad "), as.raw(c(0xff, 0xfe)), charToRaw(" byte"))))
  expect_equal(r$status, 1L)
  expect_true(validUTF8(r$message))
  expect_identical(r$message, "bad \ufffd\ufffd byte")
  # A message longer than the decoder keeps is cut between characters, not inside one.
  long <- decode_flux(err_table(charToRaw(strrep("\u00e9", 3000))))
  expect_true(validUTF8(long$message))
  expect_gt(nchar(long$message), 500)
  expect_false(grepl("\ufffd", long$message)) # nothing invented at the cut
  # A cell quoted in a decoding error (a type the decoder does not know) likewise.
  r <- decode_flux(c(charToRaw("#datatype,string,long,x"), as.raw(0xff), charToRaw("\r\n#group,false,false,false\r\n#default,_result,,\r\n,result,table,v\r\n,,0,1\r\n\r\n")))
  expect_equal(r$status, 2L)
  expect_true(validUTF8(r$message))
})

test_that("empty and blank bodies are empty results; broken ones are errors", {
  for (b in c("", "\r\n", "\n\n")) {
    r <- decode_flux(b)
    expect_equal(r$status, 0L)
    expect_equal(dim(r$table), c(0, 0))
  }
  header_only <- csv("#datatype,string,long,double", "#group,false,false,false", "#default,_result,,", ",result,table,v", "")
  expect_equal(names(decode_flux(header_only)$table), "v")
  bad <- list(
    mid_table = csv("#datatype,string,long,double", "#group,false,false,false", "#default,_result,,", ",result,table,v", ",,0,1"),
    open_quote = "#datatype,string\n,s\n,\"open",
    short_row = csv(",a,b", ",1", ""),
    bad_long = csv("#datatype,string,long", ",result,v", ",,1.5", ""),
    bad_time = csv("#datatype,string,dateTime:RFC3339", ",result,t", ",,2024-13-01T00:00:00Z", ""),
    bad_bool = csv("#datatype,string,boolean", ",result,b", ",,yes", ""),
    bad_type = csv("#datatype,string,decimal", ",result,x", ",,1", ""),
    junk_after_quote = csv(",a", ",\"x\"y", "")
  )
  for (name in names(bad)) {
    r <- decode_flux(bad[[name]], 3)
    expect_true(r$status %in% c(2L, 3L), info = name)
    expect_null(r$table, info = name)
  }
})

test_that("random corruption never crashes the decoder", {
  expect_survives_corruption(fixture("flux-two-results.csv"), seed = 2, bytes = c(0:255, rep(c(34, 44, 10, 13, 35), 20)),
                             function(b, piece, i) decode_flux(b, piece, pivot = i %% 2 == 0))
})

# ---- issue 9: nothing lost, nothing corrupted ------------------------------------------------

# A decoder call with options the helper does not pass (value_empty_string).
decode_flux_with <- function(body, ...) {
  if (is.character(body)) body <- charToRaw(enc2utf8(body))
  opts <- utils::modifyList(list(tz = "UTC", bigint = "integer64", pivot = FALSE, table_columns = FALSE), list(...))
  r <- .Call(influxdbtoolkit:::C_decode_flux, body, length(body), opts)
  list(status = r$status, message = r$message, table = r$tables[[1]])
}
annotated <- function(types, group, header, ...) {
  csv(paste0("#datatype,", types), paste0("#group,", group), paste0("#default,_result", strrep(",", lengths(gregexpr(",", types)))),
      header, ..., "")
}

test_that("the first and last instants of int64 nanoseconds are times, one nanosecond beyond is an error", {
  # Flux's time range is exactly int64 nanoseconds since the epoch: -2^63 is
  # 1677-09-21T00:12:43.145224192Z and 2^63 - 1 is 2262-04-11T23:47:16.854775807Z.
  edge <- c("1677-09-21T00:12:43.145224192Z", "1677-09-21T00:12:43.999999999Z", "2262-04-11T23:47:16.000000000Z",
            "2262-04-11T23:47:16.854775807Z", "2262-04-12T00:47:16.854775807+01:00", "1677-09-20T23:12:43.145224192-01:00")
  body <- annotated("string,long,dateTime:RFC3339", "false,false,false", ",result,table,t", paste0(",,0,", edge))
  r <- decode_flux(body)
  expect_equal(r$status, 0L)
  seconds <- function(sec, ns) sec + ns / 1e9 # as the decoder builds a POSIXct from whole seconds and nanoseconds
  expect_identical(as.numeric(r$table$t), c(seconds(-9223372037, 145224192), seconds(-9223372037, 999999999),
                                            seconds(9223372036, 0), seconds(9223372036, 854775807),
                                            seconds(9223372036, 854775807), seconds(-9223372037, 145224192)))
  # the same instants as the row key of a pivot
  piv <- annotated("string,long,dateTime:RFC3339,string,double", "false,false,false,true,false",
                   ",result,table,_time,_field,_value", paste0(",,0,", edge[c(1, 4)], ",f,", 1:2))
  expect_identical(decode_flux(piv, pivot = TRUE)$table$f, c(1, 2))
  for (beyond in c("1677-09-21T00:12:43.145224191Z", "2262-04-11T23:47:16.854775808Z", "1677-09-21T00:12:42Z",
                   "2262-04-11T23:47:17Z", "2262-04-11T23:47:16.854775807-00:01", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z")) {
    r <- decode_flux(annotated("string,long,dateTime:RFC3339", "false,false,false", ",result,table,t", paste0(",,0,", beyond)))
    expect_equal(r$status, 2L, info = beyond)
    expect_match(r$message, "not an RFC3339 time", info = beyond)
  }
})

test_that("a _value long in one table and boolean in another widens to character, never to numbers", {
  body <- csv("#datatype,string,long,string,long", "#group,false,false,true,false", "#default,_result,,,",
              ",result,table,_field,_value", ",,0,n,7", "",
              "#datatype,string,long,string,boolean", "#group,false,false,true,false", "#default,_result,,,",
              ",result,table,_field,_value", ",,1,ok,true", ",,1,ok,false", ",,1,ok,", "",
              "#datatype,string,long,string,double", "#group,false,false,true,false", "#default,_result,,,",
              ",result,table,_field,_value", ",,2,x,2.5", "")
  df <- decode_flux(body)$table
  expect_identical(df$`_value`, c("7", "true", "false", NA, "2.5"))
  # the other order: booleans first, then numbers
  flipped <- csv("#datatype,string,long,string,boolean", "#group,false,false,true,false", "#default,_result,,,",
                 ",result,table,_field,_value", ",,0,ok,true", "",
                 "#datatype,string,long,string,double", "#group,false,false,true,false", "#default,_result,,,",
                 ",result,table,_field,_value", ",,1,x,0.5", "")
  expect_identical(decode_flux(flipped)$table$`_value`, c("true", "0.5"))
  # integer to double is the one numeric widening
  numbers <- csv("#datatype,string,long,string,long", "#group,false,false,true,false", "#default,_result,,,",
                 ",result,table,_field,_value", ",,0,n,3", "",
                 "#datatype,string,long,string,double", "#group,false,false,true,false", "#default,_result,,,",
                 ",result,table,_field,_value", ",,1,x,0.5", "")
  expect_identical(decode_flux(numbers)$table$`_value`, c(3, 0.5))
})

test_that("a column that widens after rows without it keeps them NA and flags inexact integers", {
  # Rows 2-3 lack `v` (NA padding), then `v` widens boolean -> long -> double: the padded rows are
  # read by each widening (valgrind saw them uninitialised) and 2^63 - 1 cannot be a double exactly.
  body <- csv("#datatype,string,long,long", "#group,false,false,false", "#default,_result,,", ",result,table,v", ",,0,9223372036854775807", "",
              "#datatype,string,long,string", "#group,false,false,false", "#default,_result,,", ",result,table,w", ",,1,a", ",,1,b", "",
              "#datatype,string,long,double", "#group,false,false,false", "#default,_result,,", ",result,table,v", ",,2,0.5", "")
  df <- decode_flux(body)$table
  expect_identical(df$v, c(2^63, NA, NA, 0.5))
  expect_equal(attr(df, "influx_inexact"), "v")
  exact <- sub("9223372036854775807", "-9223372036854775807", body, fixed = TRUE)
  df <- decode_flux(exact)$table
  expect_identical(df$v, c(-2^63, NA, NA, 0.5))
  expect_equal(attr(df, "influx_inexact"), "v") # -(2^63 - 1) is not a double either
  fits <- sub("9223372036854775807", "-9007199254740992", body, fixed = TRUE)
  expect_null(attr(decode_flux(fits)$table, "influx_inexact"))
  # boolean -> string after a gap: the padded rows stay NA
  gap <- csv("#datatype,string,long,boolean", "#group,false,false,false", "#default,_result,,", ",result,table,v", ",,0,true", "",
             "#datatype,string,long,string", "#group,false,false,false", "#default,_result,,", ",result,table,w", ",,1,a", "",
             "#datatype,string,long,long", "#group,false,false,false", "#default,_result,,", ",result,table,v", ",,2,5", "")
  expect_identical(decode_flux(gap)$table$v, c("true", NA, "5"))
  # boolean, gap, long, gap, double: every widening crosses padded rows (before the fix valgrind
  # reported their uninitialised bytes read by col_int_to_double)
  block <- function(type, col, table, value) c(sprintf("#datatype,string,long,%s", type), "#group,false,false,false",
                                               "#default,_result,,", sprintf(",result,table,%s", col), sprintf(",,%d,%s", table, value), "")
  mixed <- paste0(paste(c(block("boolean", "v", 0, "true"), block("string", "w", 1, "a"), block("string", "w", 2, "b"),
                          block("long", "v", 3, "9223372036854775807"), block("string", "w", 4, "c"),
                          block("double", "v", 5, "0.5")), collapse = "\r\n"), "\r\n")
  expect_identical(decode_flux(mixed)$table$v, c("true", NA, NA, "9223372036854775807", NA, "0.5"))
})

test_that("a table without the annotations the query asks for is an error, not data read as a header", {
  # The package asks for #datatype, #group and #default: without them the first data row of a
  # block would be taken for its header.
  plain <- csv(",result,table,_time,_value", ",_result,0,2024-01-01T00:00:00Z,1", ",_result,0,2024-01-01T00:00:01Z,2", "")
  r <- decode_flux(plain)
  expect_equal(r$status, 2L)
  expect_match(r$message, "annotation")
  expect_null(r$table)
  headless <- csv(",_result,0,2024-01-01T00:00:00Z,1", ",_result,0,2024-01-01T00:00:01Z,2", "")
  expect_equal(decode_flux(headless)$status, 2L)
  partial <- list(
    no_default = csv("#datatype,string,long,double", "#group,false,false,false", ",result,table,v", ",,0,1", ""),
    no_group = csv("#datatype,string,long,double", "#default,_result,,", ",result,table,v", ",,0,1", ""),
    no_datatype = csv("#group,false,false,false", "#default,_result,,", ",result,table,v", ",,0,1", "")
  )
  for (name in names(partial)) {
    r <- decode_flux(partial[[name]])
    expect_equal(r$status, 2L, info = name)
    expect_match(r$message, sub("no_", "#", name), info = name)
  }
  # a second table without annotations after a good one
  second <- paste0(annotated("string,long,double", "false,false,false", ",result,table,v", ",,0,1"),
                   csv(",result,table,v", ",,1,2", ""))
  expect_equal(decode_flux(second)$status, 2L)
  # annotations but no header row: the first data row must not become the header
  no_header <- csv("#datatype,string,long,double", "#group,false,false,false", "#default,_result,,", ",,0,1", ",,0,2", "")
  r <- decode_flux(no_header)
  expect_equal(r$status, 2L)
  expect_match(r$message, "header")
  # annotations that end (blank line or end of body) before any header
  for (b in c(csv("#datatype,long", ""), csv("#datatype,string,long", "#group,false,false", "#default,_result,", ""))) {
    r <- decode_flux(b)
    expect_equal(r$status, 2L, info = b)
    expect_match(r$message, "header", info = b)
  }
  # a #default that is not a value of its column's type, even if no cell uses it
  bad_default <- csv("#datatype,string,long,double", "#group,false,false,false", "#default,_result,long,", ",result,table,v", ",,0,1", "")
  r <- decode_flux(bad_default)
  expect_equal(r$status, 2L)
  expect_match(r$message, "'long' is not a long")
  used_default <- csv("#datatype,string,long,double,boolean,dateTime:RFC3339", "#group,false,false,false,false,false",
                      "#default,_result,3,2.5,true,2024-01-01T00:00:00Z", ",result,table,v,b,t", ",,,,,", "")
  df <- decode_flux(used_default, table_columns = TRUE)$table
  expect_identical(list(df$table, df$v, df$b, as.numeric(df$t)), list(3L, 2.5, TRUE, 1704067200))
  # annotations in any order, and unknown ones, are fine
  ok <- csv("#group,false,false,false", "#unknown,x,y,z", "#default,_result,,", "#datatype,string,long,double", ",result,table,v", ",,0,1", "")
  expect_identical(decode_flux(ok)$table$v, 1)
})

test_that("data columns named result or table are kept beside the annotation columns", {
  body <- annotated("string,long,dateTime:RFC3339,string,string,long,double", "false,false,false,true,true,false,false",
                    ",result,table,_time,_measurement,result,table,_value",
                    ",_result,0,2024-01-01T00:00:00Z,m,win,7,1.5", ",_result,0,2024-01-01T00:00:01Z,m,loss,8,2.5")
  r <- decode_flux(body)
  expect_equal(r$status, 0L)
  df <- r$table
  expect_equal(names(df), c("_time", "_measurement", "result", "table", "_value"))
  expect_identical(df$result, c("win", "loss"))
  expect_identical(df$table, c(7L, 8L))
  with_meta <- decode_flux(body, table_columns = TRUE)$table
  expect_equal(names(with_meta), c("result", "table", "_time", "_measurement", "result.1", "table.1", "_value"))
  expect_identical(with_meta$result, c("_result", "_result"))
  expect_identical(with_meta$table, c(0L, 0L))
  expect_identical(with_meta$result.1, c("win", "loss"))
  expect_identical(with_meta$table.1, c(7L, 8L))
  # a data `result` column in the group key is part of the series of a pivot
  piv <- annotated("string,long,dateTime:RFC3339,string,string,double", "false,false,false,true,true,false",
                   ",result,table,_time,result,_field,_value",
                   ",_result,0,2024-01-01T00:00:00Z,a,f,1", ",_result,1,2024-01-01T00:00:00Z,b,f,2")
  df <- decode_flux(piv, pivot = TRUE)$table
  expect_equal(names(df), c("_time", "result", "f"))
  expect_identical(df$result, c("a", "b"))
  expect_identical(df$f, c(1, 2))
})

test_that("pivot keeps the rows of different results apart", {
  # Two yield()s of the same series, time and field: two rows, each labelled with its result.
  block <- function(result, table, value) {
    c("#datatype,string,long,dateTime:RFC3339,string,string,double", "#group,false,false,false,true,true,false",
      "#default,_result,,,,,", ",result,table,_time,_measurement,_field,_value",
      sprintf(",%s,%d,2024-01-01T00:00:00Z,m,temp,%s", result, table, value), "")
  }
  body <- paste0(paste(c(block("raw", 0, "20.5"), block("smoothed", 0, "21")), collapse = "\r\n"), "\r\n")
  df <- decode_flux(body, pivot = TRUE, table_columns = TRUE)$table
  expect_equal(nrow(df), 2)
  expect_identical(df$result, c("raw", "smoothed"))
  expect_identical(df$temp, c(20.5, 21))
  df <- decode_flux(body, pivot = TRUE)$table
  expect_identical(df$temp, c(20.5, 21))
  # within one result the fields of one series and time still meet in one row
  two_fields <- paste0(paste(c(block("raw", 0, "20.5"), sub("temp", "hum", block("raw", 1, "40"))), collapse = "\r\n"), "\r\n")
  df <- decode_flux(two_fields, pivot = TRUE)$table
  expect_equal(nrow(df), 1)
  expect_identical(c(df$temp, df$hum), c(20.5, 40))
})

test_that("value_empty_string reads an empty _value of a string table as the empty string", {
  body <- csv("#datatype,string,long,dateTime:RFC3339,string,string,string", "#group,false,false,false,true,true,false",
              "#default,_result,,,,,", ",result,table,_time,tag,_field,_value",
              ",,0,2024-01-01T00:00:00Z,,s,", ",,0,2024-01-01T00:00:01Z,,s,x", "",
              "#datatype,string,long,dateTime:RFC3339,string,string,double", "#group,false,false,false,true,true,false",
              "#default,_result,,,,,", ",result,table,_time,tag,_field,_value",
              ",,1,2024-01-01T00:00:00Z,,d,", "")
  # Flux writes null and "" alike: without knowing the query, an empty cell is NA
  expect_identical(decode_flux(body)$table$`_value`, c(NA, "x", NA))
  long <- decode_flux_with(body, value_empty_string = TRUE)$table
  expect_identical(long$`_value`, c("", "x", NA)) # the double table's empty cell stays NA
  expect_true(all(is.na(long$tag))) # only _value: an absent tag is NA
  wide <- decode_flux_with(body, value_empty_string = TRUE, pivot = TRUE)$table
  expect_identical(wide$s, c("", "x"))
  expect_true(all(is.na(wide$d)))
})
