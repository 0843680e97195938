# The Flux read path against every server that has Flux (1.8.10 with flux-enabled, 2.7.12): raw
# line protocol in through the server's own write API, exact values out through influx_query().

flux_range <- function(srv, m, start = "2023-01-01T00:00:00Z", stop = "2030-01-01T00:00:00Z") {
  sprintf('from(bucket: %s) |> range(start: %s, stop: %s) |> filter(fn: (r) => r._measurement == %s)',
          influxdbtoolkit:::flux_string(flux_bucket(srv)), start, stop, influxdbtoolkit:::flux_string(m))
}

for_each_server("Flux results come back typed, in one data frame or pivoted", {
  skip_if_not_installed("bit64")
  admin <- connect_admin(srv)
  m <- paste0(fresh_name("flux"), " w\u00e9,ird")
  write_lines(admin, c(
    sprintf('%s,room=a\\ b,bldg=B1 t=1.5,n=3i,s="x,\\"y\\" \\\\",ok=true 1700000000123456789', gsub("([, ])", "\\\\\\1", m)),
    sprintf('%s,room=c t=-2,n=9007199254740993i 1700000001000000000', gsub("([, ])", "\\\\\\1", m))
  ))
  con <- connect_reader(srv)
  long <- influx_query(con, flux_range(srv, m))
  expect_equal(nrow(long), 6)
  expect_true(all(c("_time", "_value", "_field", "_measurement", "room", "bldg") %in% names(long)))
  expect_false(any(c("result", "table") %in% names(long)))
  expect_equal(unique(long$`_measurement`), m)
  wide <- influx_query(con, flux_range(srv, m), pivot = TRUE, time_ns = TRUE)
  wide <- wide[order(wide$`_time`), ]
  expect_equal(nrow(wide), 2)
  expect_identical(wide$t, c(1.5, -2))
  expect_equal(as.character(wide$n), c("3", "9007199254740993"))
  expect_identical(wide$s, c("x,\"y\" \\", NA))
  expect_identical(wide$ok, c(TRUE, NA))
  expect_identical(wide$room, c("a b", "c"))
  expect_identical(wide$bldg, c("B1", NA))
  expect_equal(as.character(wide$`_time_ns`), c("1700000000123456789", "1700000001000000000"))
  expect_equal(attr(wide$`_time`, "tzone"), "Europe/Zurich")
  with_meta <- influx_query(con, flux_range(srv, m), table_columns = TRUE)
  expect_equal(names(with_meta)[1:2], c("result", "table"))
}, flux = TRUE)

for_each_server("Flux and InfluxQL read the same points identically", {
  admin <- connect_admin(srv)
  m <- fresh_name("parity")
  secs <- as.numeric(as.POSIXct(c("2024-03-31 00:30:00", "2024-03-31 01:30:00", "2024-10-27 00:30:00", "2024-10-27 01:30:00"), tz = "UTC"))
  write_lines(admin, sprintf("%s,sensor=s%d temperature=%s,count=%di %.0f000000000", m, 1:4, c("20.5", "-3.25", "0", "1e-3"), 1:4, secs))
  con <- connect_reader(srv)
  iql <- influx_query(con, sprintf("SELECT temperature, count, sensor FROM %s", m))
  flux <- influx_query(con, flux_range(srv, m), pivot = TRUE)
  flux <- flux[order(flux$`_time`), ]
  expect_equal(as.numeric(flux$`_time`), as.numeric(iql$time))
  expect_identical(flux$temperature, iql$temperature)
  expect_identical(flux$count, iql$count)
  expect_identical(flux$sensor, iql$sensor)
  expect_equal(format(flux$`_time`, "%H:%M %Z"), c("01:30 CET", "03:30 CEST", "02:30 CEST", "02:30 CET"))
}, flux = TRUE)

for_each_server("empty Flux results are zero-row data frames", {
  con <- connect_reader(srv)
  df <- influx_query(con, paste(flux_range(srv, "no_such_measurement")))
  expect_s3_class(df, "data.frame")
  expect_equal(nrow(df), 0)
  expect_equal(nrow(influx_query(con, flux_range(srv, "no_such_measurement"), pivot = TRUE)), 0)
}, flux = TRUE)

for_each_server("Flux errors are classed and carry the server's message", {
  con <- connect_reader(srv)
  e <- expect_error(influx_query(con, "from(bucket: \"influxtk_test\") |> range(start: -1h) |> nonsense("),
                    class = "influx_error_http")
  expect_true(nzchar(e$server_message))
  if (srv$generation == "v2") {
    e <- expect_error(influx_query(con, 'import "array"\narray.from(rows: [{a: 1}]) |> map(fn: (r) => ({r with b: die(msg: "boom")}))'),
                      class = "influx_error")
    expect_match(conditionMessage(e), "boom")
    e <- expect_error(influx_query(con, 'from(bucket: "no_such_bucket") |> range(start: -1h)'), class = "influx_error_http_404")
    expect_match(e$server_message, "no_such_bucket")
  }
  expect_error(influx_query(con, 'from(bucket: "influxtk_test") |> range(start: -1h) |> to(bucket: "elsewhere")'),
               class = "influx_error_readonly")
  expect_error(influx_query(con, 'import "http"\nhttp.post(url: "http://127.0.0.1:9")'), class = "influx_error_readonly")
}, flux = TRUE)

for_each_server("Flux parameters are refused on 1.8, whose Flux ignores them", {
  if (!startsWith(srv$name, "v1.8")) skip("this server's Flux takes parameters")
  con <- connect_reader(srv)
  e <- expect_error(influx_query(con, 'from(bucket: params.b) |> range(start: -1h)', params = list(b = "x")),
                    class = "influx_error_unsupported")
  expect_match(conditionMessage(e), "1.8's Flux ignores them", fixed = TRUE)
  # Without the server's version (an explicit version = "v1") they are refused as well.
  blind <- influx_connect(srv$url, version = "v1", username = srv$username, password = srv$password)
  e <- expect_error(influx_query(blind, 'from(bucket: params.b) |> range(start: -1h)', params = list(b = "x")),
                    class = "influx_error_unsupported")
  expect_match(conditionMessage(e), "version = \"auto\"", fixed = TRUE)
}, generations = "v1", flux = TRUE)

for_each_server("Flux needs a server that has it (1.6 has none)", {
  if (!startsWith(srv$name, "v1.6")) skip("this server has Flux")
  con <- connect_reader(srv)
  expect_error(influx_query(con, 'from(bucket: "x") |> range(start: -1h)'), class = "influx_error_unsupported")
}, generations = "v1")

test_that("the language is told from the text", {
  dl <- influxdbtoolkit:::detect_language
  expect_equal(dl("SELECT * FROM m"), "influxql")
  expect_equal(dl("  -- comment\n show databases"), "influxql")
  expect_equal(dl("from(bucket: \"b\") |> range(start: -1h)"), "flux")
  expect_equal(dl("// comment\nimport \"array\""), "flux")
  expect_equal(dl("data = from(bucket: \"b\")"), "flux")
})

test_that("Flux string literals and write detection", {
  fs <- influxdbtoolkit:::flux_string
  expect_equal(fs("a\"b\\c ${x} $y\nz"), "\"a\\\"b\\\\c \\${x} $y\\nz\"")
  wc <- function(q) .Call(influxdbtoolkit:::C_flux_write_call, q)
  expect_equal(wc('from(bucket: "b") |> range(start: -1h)'), 0L)
  expect_gt(wc('x |> to(bucket: "b")'), 0L)
  expect_gt(wc('x |> experimental.to(bucket: "b")'), 0L)
  expect_gt(wc('x |> wideTo (bucket: "b")'), 0L)
  expect_equal(wc('x |> filter(fn: (r) => r.to == "to(") // to(\n'), 0L)
  expect_equal(wc('x |> filter(fn: (r) => r.x =~ /"to(/)'), 0L)
  expect_true(is.na(wc('x |> filter(fn: (r) => r.s == "open')))
})

for_each_server("Flux parameters are sent as values, never as query text", {
  if (startsWith(srv$name, "v1.8")) skip("1.8's Flux ignores parameters")
  admin <- connect_admin(srv)
  m <- fresh_name("fparams")
  influx_write(admin, data.frame(time = as.POSIXct("2024-01-01", tz = "UTC") + 0:1, room = c("O'Brien \"x\" ${y}", "z"), v = 1:2),
               m, tags = "room")
  df <- influx_query(connect_reader(srv), paste(
    'from(bucket: params.bucket) |> range(start: 2023-12-31T00:00:00Z, stop: 2024-01-02T00:00:00Z)',
    '|> filter(fn: (r) => r._measurement == params.m and r.room == params.room)'),
    params = list(bucket = flux_bucket(srv), m = m, room = "O'Brien \"x\" ${y}"))
  expect_equal(df$`_value`, 1L)
  expect_equal(df$room, "O'Brien \"x\" ${y}")
  typed <- influx_query(connect_reader(srv), paste(
    'import "array"\narray.from(rows: [{i: params.i, f: params.f, b: params.b, t: params.t}])'),
    params = list(i = 42L, f = 2.5, b = TRUE, t = as.POSIXct("2024-10-27 02:30:00", tz = "UTC")))
  expect_identical(typed$i, 42L)
  expect_identical(typed$f, 2.5)
  expect_identical(typed$b, TRUE)
  expect_equal(as.numeric(typed$t), as.numeric(as.POSIXct("2024-10-27 02:30:00", tz = "UTC")))
}, flux = TRUE) # 1.x from 1.9 on (1.13.2 tested); 1.8's Flux ignores them: refused above

for_each_server("an empty string field reads back as \"\" through influx_timeseries, as on 1.x", {
  # Flux writes a null and an empty string alike (an empty cell); a raw read of stored points has
  # no null _value, so influx_timeseries knows the empty cell of a string field is "".
  admin <- connect_admin(srv)
  m <- fresh_name("emptystr")
  t0 <- as.POSIXct("2024-01-01", tz = "UTC")
  influx_write(admin, data.frame(time = t0 + 0:2, room = "a", s = c("", "x", ""), n = c(1, 2, 3)), m, tags = "room")
  influx_write(admin, data.frame(time = t0 + 3, room = "a", n = 4), m, tags = "room") # no `s` at t0 + 3
  con <- connect_reader(srv)
  for (language in c("flux", "influxql")) {
    df <- influx_timeseries(con, m, fields = c("s", "n"), start = t0 - 60, end = t0 + 60, tz = "UTC", language = language)
    expect_identical(df$s, c("", "x", "", NA), info = language)
    expect_identical(df$n, c(1, 2, 3, 4), info = language)
    long <- influx_timeseries(con, m, fields = "s", start = t0 - 60, end = t0 + 60, tz = "UTC", language = language, shape = "long")
    expect_identical(long$value, c("", "x", ""), info = language)
    # windows without data are NA, windows whose last value is "" are ""
    last <- influx_timeseries(con, m, fields = "s", start = t0, end = t0 + 5, aggregate = "last", every = "1s",
                              fill = "null", tz = "UTC", language = language)
    expect_identical(last$s, c("", "x", "", NA, NA), info = language)
  }
  # Free-form Flux cannot tell them apart: an empty cell stays NA (documented in influx_query()).
  raw <- influx_query(con, paste(flux_range(srv, m), '|> filter(fn: (r) => r._field == "s")'))
  expect_identical(raw$`_value`, c(NA, "x", NA))
}, generations = "v2")

test_that("a Flux server's tables without annotations are refused; two results stay apart in a pivot", {
  fake <- start_fake_server()
  on.exit(fake$stop())
  at <- function(route) influx_connect(paste0(fake$url, "/", route), version = "v2", token = "t", org = "o")
  q <- 'from(bucket: "b") |> range(start: -1h)'
  e <- expect_error(influx_query(at("flux-no-annotations"), q), class = "influx_error_decode")
  expect_match(conditionMessage(e), "#datatype #group #default")
  df <- influx_query(at("flux-two-yields"), q, pivot = TRUE, table_columns = TRUE)
  expect_identical(df$result, c("raw", "smoothed"))
  expect_identical(df$temp, c(20.5, 21))
})

for_each_server("two yield()s of the same series and field stay two rows in a pivot", {
  admin <- connect_admin(srv)
  m <- fresh_name("yields")
  t0 <- as.POSIXct("2024-01-01", tz = "UTC")
  influx_write(admin, data.frame(time = t0 + 0:1, room = "a", temp = c(20, 22)), m, tags = "room")
  q <- paste0("data = ", flux_range(srv, m), "\n",
              'data |> yield(name: "raw")\n',
              'data |> map(fn: (r) => ({r with _value: r._value * 10.0})) |> yield(name: "scaled")')
  df <- influx_query(connect_reader(srv), q, pivot = TRUE, table_columns = TRUE, tz = "UTC")
  df <- df[order(df$result, df$`_time`), ]
  expect_equal(nrow(df), 4)
  expect_identical(df$result, c("raw", "raw", "scaled", "scaled"))
  expect_identical(df$temp, c(20, 22, 200, 220))
  expect_identical(df$room, rep("a", 4))
}, generations = "v2")

for_each_server("data columns named result and table are kept beside the annotation columns", {
  con <- connect_reader(srv)
  q <- 'import "array"\narray.from(rows: [{result: "win", table: 7, v: 1.5}, {result: "loss", table: 8, v: 2.5}])'
  df <- influx_query(con, q)
  expect_equal(names(df), c("result", "table", "v"))
  expect_identical(df$result, c("win", "loss"))
  expect_identical(df$table, c(7L, 8L))
  meta <- influx_query(con, q, table_columns = TRUE)
  expect_equal(names(meta), c("result", "table", "result.1", "table.1", "v"))
  expect_identical(meta$result, c("_result", "_result"))
  expect_identical(meta$table.1, c(7L, 8L))
}, generations = "v2")
