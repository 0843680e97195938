# Every .Call of the decoders, the JSON code and the dialects under gctorture, on small inputs:
# a SEXP left unprotected across an allocation is collected at once and the result differs (or R
# crashes). The writer's .Calls are covered with the writer (test-write.R).

ns <- asNamespace("influxdbtoolkit")
fn <- function(name) get(name, envir = ns)
fixture <- function(name) readBin(test_path("fixtures", name), "raw", file.size(test_path("fixtures", name)))

test_that("the helper runs the collector at every allocation of the call, and only there", {
  x <- paste0("name", 1:40)
  # gcinfo() reports each collection on stderr; into a file, since a text connection would itself
  # allocate (and collect) for every line
  log <- tempfile("gcinfo")
  con <- file(log, open = "wt")
  sink(con, type = "message")
  old <- gcinfo(TRUE)
  res <- tryCatch(torture_call(fn("C_iql_quote_ident"), x), finally = {
    gcinfo(old)
    sink(type = "message")
    close(con)
  })
  msgs <- readLines(log)
  # 40 strings and the vector holding them: at least one collection each
  expect_gte(sum(grepl("Garbage collection", msgs)), 41)
  expect_identical(res, paste0("\"", x, "\""))
  expect_false(gctorture(FALSE)) # off again once the call has returned
  expect_error(torture_call(fn("C_json_parse"), 1L), "raw vector or a string")
  expect_false(gctorture(FALSE))
})

test_that("the v1 MessagePack decoder is GC-safe on every fixture and option", {
  bodies <- list(
    fixture("v1-hostile-plain.msgpack"), fixture("v1-hostile-chunked.msgpack"),
    fixture("v1-error-statement.msgpack"), fixture("v1-error-parse-400.msgpack"),
    v1_response(v1_result(0, list(
      v1_series(c("time", "room", "n", "big", "x", "ok", "note"),
                list(list(mp_time(1711839600, 5), mp_str("k\u00fcche"), mp_int(1), mp_int64_bits("1000000000000001"), mp_float(0.5), mp_bool(TRUE), mp_nil()),
                     list(mp_time(1711839601), mp_str("bad"), mp_int(-3), mp_int(-2^40), mp_nil(), mp_bool(FALSE), mp_str("s"))),
                name = "m", tags = list(site = "a"))),
      messages = list(c("warning", "deprecated")))))
  opts <- list(list(tz = "UTC", bigint = "integer64", time_ns = TRUE),
               list(tz = "Europe/Zurich", bigint = "double", time_ns = FALSE),
               list(tz = "UTC", bigint = "character", time_ns = FALSE))
  for (i in seq_along(bodies)) for (o in opts) {
    expect_torture_identical(fn("C_decode_v1"), bodies[[i]], 7L, o, info = paste(i, o$bigint))
  }
  expect_torture_error(fn("C_decode_v1"), "not raw", 1L, NULL)
})

test_that("the Flux CSV decoder is GC-safe on every fixture and option", {
  bodies <- list(fixture("flux-two-results.csv"), fixture("flux-hostile.csv"))
  for (i in seq_along(bodies)) for (pivot in c(FALSE, TRUE)) for (bigint in c("integer64", "character")) {
    o <- list(tz = "UTC", bigint = bigint, pivot = pivot, table_columns = !pivot, time_ns = pivot)
    expect_torture_identical(fn("C_decode_flux"), bodies[[i]], 64L, o, info = paste(i, pivot, bigint))
  }
})

test_that("the JSON reader and writers are GC-safe", {
  doc <- charToRaw(paste0('{"a": 1, "b": [1, 2.5, null], "c": ["x", null, "\\u00fc"], "d": {"e": true, "f": [[1], {"g": "h"}]},',
                          ' "i": null, "j": [], "k": [1, "x", false], "l": [true, null]}'))
  expect_torture_identical(fn("C_json_parse"), doc)
  expect_torture_identical(fn("C_json_parse"), '{"a": tru}')
  expect_torture_identical(fn("C_json_parse"), '"a\\u0000b"')
  expect_torture_identical(fn("C_json_encode_object"), list(s = "O'Brien \"x\"\n", n = 2L, f = 0.1, ok = TRUE))
  expect_torture_error(fn("C_json_encode_object"), list(s = "x", b = mean))
  expect_torture_identical(fn("C_json_quote"), "a \"quoted\"\ttext \u00e9")
})

test_that("the query dialects are GC-safe", {
  q <- "SELECT * FROM \"a;b\" WHERE x = 'it''s; not' ; SHOW DATABASES; -- c;\nDROP MEASUREMENT m; SELECT 1 INTO b FROM c"
  expect_torture_identical(fn("C_iql_split"), q)
  expect_torture_identical(fn("C_iql_split"), "SELECT 'open")
  x <- c("plain", "it's", "a\"b", NA, "\\", "${x}", "\u00fc")
  for (f in c("C_iql_quote_ident", "C_iql_quote_string", "C_flux_quote_string")) expect_torture_identical(fn(f), x, info = f)
  expect_torture_identical(fn("C_flux_write_call"), "from(bucket: \"b\") |> range(start: -1h) |> to(bucket: \"c\")")
  spec <- list(bucket = "b", measurement = "m\"x", fields = c("te'mp", "v"), where = list(room = c("a", "b"), site = "z"),
               group_by = c("room", "site"), window_start = 1711839600e9, data_start = 1711841400e9, stop = 1711926000e9,
               aggregate = "mean", every = 900e9, offset = 0, create_empty = TRUE, tz = "Europe/Zurich", zone_offset = 3600e9)
  for (language in c("influxql", "flux")) {
    expect_torture_identical(fn("C_series_query"), spec, language, info = language)
    expect_torture_identical(fn("C_series_query"), utils::modifyList(spec, list(aggregate = NULL, tz = NULL)), language, info = language)
  }
  expect_torture_error(fn("C_series_query"), utils::modifyList(spec, list(aggregate = "nope")), "influxql")
  # downsampling: a task, and a continuous query's SELECT ... INTO
  ds <- utils::modifyList(spec, list(into = "m \u21d2 1h", into_bucket = "archive", lookback = 7200e9,
                                     task_name = "t \u00e9", task_every = 3600e9, task_offset = 60e9))
  expect_torture_identical(fn("C_series_query"), ds, "flux")
  expect_torture_identical(fn("C_series_query"), utils::modifyList(ds, list(task_name = NULL)), "influxql")
  expect_torture_identical(fn("C_series_neighbours"), c(FALSE, TRUE, TRUE, FALSE, TRUE), c(1L, 1L, 2L, 2L, 2L))
})

test_that("creating and closing connection handles is GC-safe", {
  opts <- list(base_url = "http://127.0.0.1:9/", username = "u", password = "p", token = "t", timeout = 5,
               connect_timeout = 1, verify_tls = TRUE, ca_bundle = NULL, gzip = TRUE, user_agent = "ua")
  h <- torture_call(fn("C_handle_new"), opts)
  expect_s3_class(h, "influx_handle")
  expect_true(.Call(fn("C_handle_is_open"), h))
  torture_call(fn("C_handle_close"), h)
  expect_false(.Call(fn("C_handle_is_open"), h))
  expect_torture_error(fn("C_handle_new"), list(base_url = NULL))
})
