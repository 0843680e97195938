# The decoders behind one interface (src/decoder.h): a live response (C_request's sink) and the
# same bytes recorded (C_decode_recorded) take the same calls and give the same R objects, the
# decoder is the one R names, and a body in a media type that decoder does not read stays raw.

http <- function(...) influxdbtoolkit:::influx_http(...)
recorded <- function(body, piece, decoder, opts) .Call(influxdbtoolkit:::C_decode_recorded, body, piece, decoder, opts)

# What the live result says about decoding, under the names of a recorded result.
live_part <- function(res) {
  list(status = res$decode_status, message = res$decode_message, statement = res$decode_statement,
       tables = res$tables, notices = res$notices)
}

# The request once decoded as it streams in and once raw, then the raw bytes decoded in pieces.
expect_live_equals_recorded <- function(con, method, path, decoder, opts, query = NULL, body = NULL,
                                        headers = NULL, status = 0L, info = path) {
  live <- http(con, method, path, query = query, body = body, headers = headers, sink = decoder, frame = opts)
  raw <- http(con, method, path, query = query, body = body, headers = headers, sink = "raw")
  expect_gt(length(raw$body), 0)
  expect_identical(live$decode_status, status, info = info)
  for (piece in c(1L, 13L, length(raw$body))) {
    expect_identical(live_part(live), recorded(raw$body, piece, decoder, opts), info = paste(info, piece))
  }
  invisible(live)
}

test_that("hostile, failing and cut bodies give the same result live and recorded", {
  fake <- start_fake_server()
  on.exit(fake$stop())
  con <- influx_connect(fake$url, version = "v1")
  v1 <- list(tz = "Europe/Zurich", bigint = "character", time_ns = TRUE, statements = 1L)
  flux <- list(tz = "UTC", bigint = "integer64", pivot = TRUE, table_columns = FALSE, time_ns = FALSE)
  # NULs and invalid UTF-8 (repaired, with the repair attribute), -2^63, a body for two statements
  # of a one-statement query, a body cut inside its document
  expect_live_equals_recorded(con, "GET", "/v1-nul/query", "v1", v1)
  expect_live_equals_recorded(con, "GET", "/v1-int64min/query", "v1", v1)
  expect_live_equals_recorded(con, "GET", "/v1-stmt-extra/query", "v1", v1, status = 2L)
  expect_live_equals_recorded(con, "GET", "/truncated-eof/query", "v1", v1, status = 3L)
  expect_live_equals_recorded(con, "GET", "/flux-nul/api/v2/query", "flux", flux)
  expect_live_equals_recorded(con, "GET", "/flux-two-yields/api/v2/query", "flux", flux)
  expect_live_equals_recorded(con, "GET", "/flux-error/api/v2/query", "flux", flux, status = 1L)
  expect_live_equals_recorded(con, "GET", "/flux-cut/api/v2/query", "flux", flux, status = 3L)
})

test_that("a body in a media type the named decoder does not read stays raw, with its type", {
  fake <- start_fake_server()
  on.exit(fake$stop())
  con <- influx_connect(fake$url, version = "v1")
  csv <- http(con, "GET", "/flux-typed/text%2Fcsv/query", sink = "v1", frame = list())
  expect_identical(csv$decode_status, -1L)
  expect_identical(csv$content_type, "text/csv")
  expect_match(rawToChar(csv$body), "#datatype", fixed = TRUE)
  expect_null(csv$tables)
  mp <- http(con, "GET", "/ok/api/v2/query", sink = "flux", frame = list())
  expect_identical(mp$decode_status, -1L)
  expect_identical(mp$content_type, "application/x-msgpack")
  expect_identical(mp$body, http(con, "GET", "/ok/query", sink = "raw")$body)
  # ... and the decoder it names takes it
  expect_identical(http(con, "GET", "/ok/query", sink = "v1", frame = list())$tables[[1]]$v, 1:2)
})

test_that("a decoder R does not know is an error, not a response left undecoded", {
  body <- as.raw(c(0x80))
  expect_error(recorded(body, 1L, "msgpack", NULL), "unknown decoder 'msgpack'", fixed = TRUE)
  expect_error(recorded(body, 1L, NA_character_, NULL), "decoder must be a string")
  expect_error(recorded(body, 0L, "v1", NULL), "piece must be a positive integer")
  fake <- start_fake_server()
  on.exit(fake$stop())
  con <- influx_connect(fake$url, version = "v1")
  expect_error(http(con, "GET", "/ok/query", sink = "V1", frame = list()), "unknown decoder 'V1'", fixed = TRUE)
  expect_equal(fake$requests("ok"), 0L) # refused before anything was sent
})

test_that("the decoders' own entry points are the named decoder", {
  v1_body <- v1_response(v1_result(0, list(v1_series(c("time", "x"), list(list(mp_time(1), mp_int(2)))))))
  opts <- list(tz = "UTC", bigint = "double")
  expect_identical(.Call(influxdbtoolkit:::C_decode_v1, v1_body, 3L, opts), recorded(v1_body, 3L, "v1", opts))
  csv <- charToRaw("#datatype,string,long,double\r\n#group,false,false,false\r\n#default,_result,,\r\n,result,table,_value\r\n,,0,1.5\r\n")
  expect_identical(.Call(influxdbtoolkit:::C_decode_flux, csv, 3L, opts), recorded(csv, 3L, "flux", opts))
  # the same bytes to the other decoder: an error status and message, never data or a crash
  for (r in list(recorded(csv, 3L, "v1", opts), recorded(v1_body, 3L, "flux", opts))) {
    expect_true(r$status %in% 2:3)
    expect_true(nzchar(r$message))
    expect_null(r$tables)
  }
})

for_each_server("a live query and its recorded body give identical data frames", {
  con <- connect_admin(srv)
  m <- fresh_name("dec")
  write_lines(con, c(sprintf('%s,room=k\\ \u00fc,site=a temp=21.5,n=3i,ok=true,note="x,\\"y\\"" 1711839600000000001', m),
                     sprintf("%s,room=b temp=-0.25,n=-9223372036854775807i 1711839660000000000", m),
                     sprintf("%s,site=z n=9223372036854775807i 1711839720000000000", m)))
  db <- "influxtk_test"
  for (o in list(list(tz = "Europe/Zurich", bigint = "integer64", time_ns = TRUE, statements = 2L),
                 list(tz = "UTC", bigint = "character", time_ns = FALSE, statements = 2L))) {
    q <- sprintf('SELECT * FROM "%s" GROUP BY *; SELECT max(n) FROM "%s"', m, m)
    live <- expect_live_equals_recorded(con, "GET", "/query", "v1", o, query = c(db = db, q = q, chunked = "true", chunk_size = "1"),
                                        headers = "Accept: application/x-msgpack", info = srv$name)
    expect_length(live$tables, 2)
    expect_equal(nrow(live$tables[[1]]), 3)
    # a statement the server refuses: its message and statement number
    bad <- expect_live_equals_recorded(con, "GET", "/query", "v1", o, query = c(db = db, q = sprintf('SELECT * FROM "%s"; SELECT * FROM nodb.."%s"', m, m)),
                                       headers = "Accept: application/x-msgpack", status = 1L, info = srv$name)
    expect_identical(bad$decode_statement, 1L)
  }
  if (!startsWith(srv$name, "v1.6")) {
    bucket <- flux_bucket(srv)
    flux <- sprintf('from(bucket: "%s") |> range(start: 2024-03-30T00:00:00Z, stop: 2024-04-01T00:00:00Z) |> filter(fn: (r) => r._measurement == "%s")', bucket, m)
    body <- charToRaw(enc2utf8(paste0(
      '{"query":', .Call(influxdbtoolkit:::C_json_quote, flux), ',"type":"flux",',
      '"dialect":{"header":true,"delimiter":",","annotations":["datatype","group","default"],',
      '"commentPrefix":"#","dateTimeFormat":"RFC3339"}}')))
    query <- if (srv$generation == "v2") c(org = srv$org)
    for (pivot in c(FALSE, TRUE)) {
      o <- list(tz = "UTC", bigint = "integer64", pivot = pivot, table_columns = !pivot, time_ns = pivot)
      live <- expect_live_equals_recorded(con, "POST", "/api/v2/query", "flux", o, query = query, body = body,
                                          headers = c("Content-Type: application/json", "Accept: application/csv"),
                                          info = paste(srv$name, pivot))
      expect_equal(nrow(live$tables[[1]]), if (pivot) 3 else 7)
    }
  }
}, generations = c("v1", "v2")) # MessagePack from /query and Flux CSV: 3.x serves neither

test_that("decoding live and recorded bodies is GC-safe", {
  fake <- start_fake_server()
  on.exit(fake$stop())
  con <- influx_connect(fake$url, version = "v1")
  ns <- asNamespace("influxdbtoolkit")
  tortured <- function(expr) {
    on.exit(gctorture(FALSE))
    gctorture(TRUE)
    force(expr)
  }
  request <- function(path, sink, opts) {
    res <- .Call(ns$C_request, con$handle, "GET", path, NULL, NULL, NULL, sink, opts)
    res$seconds <- NULL
    res
  }
  v1 <- list(tz = "Europe/Zurich", bigint = "integer64", time_ns = TRUE, statements = 1L)
  flux <- list(tz = "UTC", bigint = "character", pivot = TRUE)
  for (case in list(list("/v1-nul/query", "v1", v1), list("/v1-stmt-extra/query", "v1", v1),
                    list("/flux-nul/q", "flux", flux), list("/flux-error/q", "flux", flux))) {
    plain <- request(case[[1]], case[[2]], case[[3]])
    expect_identical(tortured(request(case[[1]], case[[2]], case[[3]])), plain, info = case[[1]])
    body <- request(case[[1]], "raw", NULL)$body
    expect_identical(tortured(recorded(body, 5L, case[[2]], case[[3]])),
                     recorded(body, 5L, case[[2]], case[[3]]), info = case[[1]])
  }
})
