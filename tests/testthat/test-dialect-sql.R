# The SQL dialect (src/dialect_sql.c): what influx_timeseries() asks an InfluxDB 3 server. Exact
# text for representative questions, quoting of hostile names, every aggregate, and, where a
# Python with PyPI datafusion is at hand, the windows the text yields around clock changes.

sql_text <- function(...) {
  spec <- utils::modifyList(list(
    bucket = "b", measurement = "m", fields = "v", where = NULL, group_by = character(),
    window_start = 1711839600, data_start = 1711839600, stop = 1711926000, aggregate = "mean",
    every = 3600e9, offset = 0, create_empty = FALSE, tz = NULL, zone_offset = 3600e9
  ), list(...))
  spec[c("window_start", "data_start", "stop")] <- lapply(spec[c("window_start", "data_start", "stop")],
                                                         function(s) s * 1e9)
  .Call(influxdbtoolkit:::C_series_query, spec, "sql")
}

test_that("SQL names and strings are quoted by doubling their delimiter, and nothing else", {
  qi <- function(x) .Call(influxdbtoolkit:::C_sql_quote_ident, x)
  qs <- function(x) .Call(influxdbtoolkit:::C_sql_quote_string, x)
  expect_identical(qi(c("plain", "sa\"y", "back\\slash", "new\nline", "", "\u00fc\U0001f600")),
                   c("\"plain\"", "\"sa\"\"y\"", "\"back\\slash\"", "\"new\nline\"", "\"\"", "\"\u00fc\U0001f600\""))
  expect_identical(qs(c("O'Brien", "a\\'; DROP TABLE m; --", "''", "tab\tand\001")),
                   c("'O''Brien'", "'a\\''; DROP TABLE m; --'", "''''''", "'tab\tand\001'"))
  expect_identical(qs(NA_character_), NA_character_)
  expect_error(qi(1), "character vector")
})

test_that("points: the asked-for columns of the rows that hold a field, sorted by tags and time", {
  q <- sql_text(aggregate = NULL, measurement = "m\"x", fields = c("te'mp", "b\\c"),
                where = list("ro\"om" = c("it's", "a\nb"), site = "z"), group_by = c("ro\"om", "site"),
                data_start = 1711841400.5)
  expect_identical(q, paste0(
    "SELECT \"time\", \"ro\"\"om\", \"site\", \"te'mp\", \"b\\c\" FROM \"m\"\"x\" ",
    "WHERE \"time\" >= TIMESTAMP '2024-03-30T23:30:00.500000000Z' AND \"time\" < TIMESTAMP '2024-03-31T23:00:00.000000000Z' ",
    "AND \"ro\"\"om\" IN ('it''s', 'a\nb') AND \"site\" IN ('z') AND (\"te'mp\" IS NOT NULL OR \"b\\c\" IS NOT NULL) ",
    "ORDER BY \"ro\"\"om\", \"site\", \"time\""))
})

test_that("windows in UTC: date_bin from the epoch, weeks from Monday 1970-01-05", {
  q <- sql_text(group_by = "sensor", where = list(sensor = "a"), aggregate = "max", every = 900e9)
  expect_identical(q, paste0(
    "SELECT date_bin(INTERVAL '900000000000 nanoseconds', t, TIMESTAMP '1970-01-01T00:00:00.000000000Z') AS \"time\", ",
    "g1 AS \"sensor\", max(v1) AS \"v\" FROM (SELECT \"time\" AS t, \"sensor\" AS g1, \"v\" AS v1 FROM \"m\" ",
    "WHERE \"time\" >= TIMESTAMP '2024-03-30T23:00:00.000000000Z' AND \"time\" < TIMESTAMP '2024-03-31T23:00:00.000000000Z' ",
    "AND \"sensor\" IN ('a') AND (\"v\" IS NOT NULL)) AS w GROUP BY 1, 2 ORDER BY 2, 1"))
  weeks <- sql_text(every = 7 * 86400e9, offset = 4 * 86400e9)
  expect_match(weeks, "date_bin(INTERVAL '604800000000000 nanoseconds', t, TIMESTAMP '1970-01-05T00:00:00.000000000Z')", fixed = TRUE)
  expect_match(weeks, "GROUP BY 1 ORDER BY 1$")
})

test_that("windows in a zone: wall-clock grid, corrected by the change of UTC offset", {
  local_ns <- function(x) paste0(
    "(arrow_cast(CAST(arrow_cast(", x, ", 'Timestamp(Nanosecond, Some(\"Europe/Zurich\"))') AS DATE), 'Int64') * 86400000000000",
    " + arrow_cast(CAST(arrow_cast(", x, ", 'Timestamp(Nanosecond, Some(\"Europe/Zurich\"))') AS TIME), 'Int64'))")
  days <- sql_text(tz = "Europe/Zurich", every = 86400e9, aggregate = "sum", fields = c("a", "b"))
  expect_identical(days, paste0(
    "SELECT arrow_cast(u + CASE WHEN dz <> 0 AND abs(dz) < 86400000000000 THEN dz ELSE 0 END, 'Timestamp(Nanosecond, None)') AS \"time\", ",
    "sum(v1) AS \"a\", sum(v2) AS \"b\" FROM (",
    "SELECT t, v1, v2, u, z - ", local_ns("u"), " + u AS dz FROM (",
    "SELECT t, v1, v2, ti - (((", local_ns("ti"), ") % 86400000000000 + 86400000000000) % 86400000000000) AS u, ",
    local_ns("ti"), " - ti AS z FROM (",
    "SELECT \"time\" AS t, arrow_cast(\"time\", 'Int64') AS ti, \"a\" AS v1, \"b\" AS v2 FROM \"m\" ",
    "WHERE \"time\" >= TIMESTAMP '2024-03-30T23:00:00.000000000Z' AND \"time\" < TIMESTAMP '2024-03-31T23:00:00.000000000Z' ",
    "AND (\"a\" IS NOT NULL OR \"b\" IS NOT NULL)) AS p) AS s) AS w GROUP BY 1 ORDER BY 1"))
  # Monday weeks: the grid of local days moves by the offset, the instants do not
  weeks <- sql_text(tz = "Europe/Zurich", every = 7 * 86400e9, offset = 4 * 86400e9)
  expect_match(weeks, paste0(local_ns("ti"), " - 345600000000000) % 604800000000000"), fixed = TRUE)
  expect_match(weeks, "arrow_cast(\"time\", 'Int64') AS ti", fixed = TRUE)
  # shorter windows with an offset move the instants, as InfluxQL does
  short <- sql_text(tz = "Asia/Kolkata", every = 2 * 3600e9, offset = 1800e9)
  expect_match(short, "arrow_cast(\"time\", 'Int64') - 1800000000000 AS ti", fixed = TRUE)
  expect_match(short, "ELSE 0 END + 1800000000000, 'Timestamp(Nanosecond, None)')", fixed = TRUE)
})

test_that("every aggregate has its SQL, with InfluxQL's meaning", {
  want <- c(mean = "avg(v1)", median = "median(CAST(v1 AS DOUBLE))", min = "min(v1)", max = "max(v1)",
            sum = "sum(v1)", count = "NULLIF(count(v1), 0)",
            first = "first_value(v1 ORDER BY t) FILTER (WHERE v1 IS NOT NULL)",
            last = "last_value(v1 ORDER BY t) FILTER (WHERE v1 IS NOT NULL)",
            spread = "max(v1) - min(v1)", stddev = "stddev_samp(v1)")
  for (agg in names(want)) {
    for (tz in list(NULL, "Europe/Zurich")) {
      q <- sql_text(aggregate = agg, tz = tz)
      expect_match(q, paste0(", ", want[[agg]], " AS \"v\" FROM ("), fixed = TRUE, label = agg)
    }
  }
  # with empty windows asked for, a window holding other fields counts this one as 0
  expect_match(sql_text(aggregate = "count", create_empty = TRUE), ", count(v1) AS \"v\"", fixed = TRUE)
})

test_that("hostile names never leave their quotes, and cannot capture internal columns", {
  evil <- c("x' OR '1'='1", "v1", "g1\"); DROP TABLE m; --", "t", "time\\", "a\nb")
  q <- sql_text(measurement = evil[1], fields = evil[c(2, 4)], where = list(g1 = evil), group_by = c("g1", "u"),
                aggregate = "first", tz = "Europe/Zurich")
  expect_match(q, "\"v1\" AS v1, \"t\" AS v2 FROM \"x' OR '1'='1\"", fixed = TRUE)
  expect_match(q, "\"g1\" IN ('x'' OR ''1''=''1', 'v1', 'g1\"); DROP TABLE m; --', 't', 'time\\', 'a\nb')", fixed = TRUE)
  expect_match(q, "g1 AS \"g1\", g2 AS \"u\", first_value(v1 ORDER BY t) FILTER (WHERE v1 IS NOT NULL) AS \"v1\"", fixed = TRUE)
  expect_match(q, "GROUP BY 1, 2, 3 ORDER BY 2, 3, 1$")
})

test_that("descriptions the dialect cannot write are refused", {
  expect_error(sql_text(fields = character()), "incomplete query specification")
  expect_error(sql_text(measurement = NULL), "incomplete query specification")
  expect_error(sql_text(where = list(a = character())), "incomplete query specification")
  expect_error(sql_text(every = 0), "incomplete query specification")
  expect_error(sql_text(every = -3600e9), "incomplete query specification")
  expect_error(sql_text(tz = "Europe/Zurich\"))'"), "incomplete query specification")
  expect_error(sql_text(tz = ""), "incomplete query specification")
  expect_error(sql_text(aggregate = "mode"), "unknown aggregate")
  expect_error(sql_text(fields = c("a", NA)), "must not be NA")
  # points need no window
  expect_match(sql_text(aggregate = NULL, every = 0), "^SELECT \"time\", \"v\" FROM")
})

# ---- run on DataFusion, when a Python with PyPI datafusion is at hand -------------------------------

datafusion_python <- function() {
  venv <- Sys.getenv("INFLUXTK_V3_VENV", file.path(Sys.getenv("HOME"), ".cache", "influxdbtoolkit", "venv-v3"))
  python <- file.path(venv, "bin", "python")
  if (!file.exists(python)) return(NULL)
  ok <- suppressWarnings(system2(python, c("-c", shQuote("import datafusion, pyarrow")), stdout = FALSE, stderr = FALSE))
  if (identical(ok, 0L)) python else NULL
}

# Rows of `sql` over a table "m" of points (time in seconds, sensor, v), shaped as InfluxDB 3 stores
# a measurement: time as Timestamp(ns) without a zone, the tag dictionary-encoded. Plain text both
# ways (the test needs no JSON package); time comes back as seconds.
run_datafusion <- function(python, sql, points) {
  script <- c(
    "import sys, datafusion, pyarrow as pa",
    "sql = open(sys.argv[1], encoding='utf-8').read()",
    "rows = [line.split('\\t') for line in open(sys.argv[2], encoding='utf-8').read().splitlines()]",
    "t = pa.array([int(r[0]) * 1000000000 for r in rows], type=pa.timestamp('ns'))",
    "g = pa.array([r[1] for r in rows]).dictionary_encode().cast(pa.dictionary(pa.int32(), pa.string()))",
    "v = pa.array([float(r[2]) for r in rows], type=pa.float64())",
    "ctx = datafusion.SessionContext()",
    "ctx.register_record_batches('m', [[pa.record_batch([t, g, v], names=['time', 'sensor', 'v'])]])",
    "out = ctx.sql(sql).to_arrow_table()",
    "when = out.column('time').cast(pa.int64()).to_pylist()",
    "for w, x in zip(when, out.column('v').to_pylist()): print(w // 1000000000, repr(float(x)), sep='\\t')")
  files <- c(tempfile(fileext = ".py"), tempfile(fileext = ".sql"), tempfile(fileext = ".tsv"))
  on.exit(unlink(files))
  writeLines(script, files[1])
  writeLines(enc2utf8(sql), files[2], useBytes = TRUE)
  writeLines(sprintf("%.0f\t%s\t%.17g", points$time, points$sensor, points$v), files[3])
  res <- system2(python, shQuote(files), stdout = TRUE, stderr = TRUE)
  if (!is.null(attr(res, "status"))) stop(paste(res, collapse = "\n"))
  parts <- strsplit(res, "\t", fixed = TRUE)
  list(time = as.double(vapply(parts, `[`, "", 1)), v = as.double(vapply(parts, `[`, "", 2)))
}

test_that("on DataFusion, days last 23 and 25 hours, weeks start on Monday, first and last follow time", {
  python <- datafusion_python()
  skip_if(is.null(python), "no Python with PyPI datafusion (tools/test-servers.sh v3-python makes one)")
  zurich <- function(x) as.double(as.POSIXct(x, tz = "Europe/Zurich"))
  # one point an hour from Saturday to Monday around each change, v counting up
  times <- c(seq(zurich("2024-03-30 00:30"), zurich("2024-04-01 23:30"), by = 3600),
             seq(zurich("2024-10-26 00:30"), zurich("2024-10-28 23:30"), by = 3600))
  points <- list(time = times, sensor = rep("a", length(times)), v = seq_along(times) * 1.0)
  ask <- function(aggregate, every, offset = 0, start = min(times), stop = max(times) + 1) {
    sql <- sql_text(aggregate = aggregate, every = every * 1e9, offset = offset * 1e9, tz = "Europe/Zurich",
                    window_start = start, data_start = start, stop = stop, create_empty = TRUE)
    run_datafusion(python, sql, points)
  }
  days <- ask("count", 86400)
  expect_identical(days$time, zurich(c("2024-03-30", "2024-03-31", "2024-04-01", "2024-10-26", "2024-10-27", "2024-10-28")))
  expect_identical(days$v, c(24, 23, 24, 24, 25, 24))
  weeks <- ask("count", 7 * 86400, 4 * 86400)
  expect_identical(weeks$time, zurich(c("2024-03-25", "2024-04-01", "2024-10-21", "2024-10-28")))
  expect_identical(format(.POSIXct(weeks$time, tz = "Europe/Zurich"), "%a %H:%M"), rep("Mon 00:00", 4))
  expect_identical(weeks$v, c(47, 24, 49, 24))
  # the first and last point of each local day, whatever order the table holds them in
  first <- ask("first", 86400)
  last <- ask("last", 86400)
  expect_identical(first$v, c(1, 25, 48, 72, 96, 121))
  expect_identical(last$v, c(24, 47, 71, 95, 120, 144))
  # hours stay on the UTC grid across the change: 02:00-03:00 of 27 October comes twice
  hours <- ask("count", 3600, start = zurich("2024-10-27 01:00"), stop = zurich("2024-10-27 04:00"))
  expect_identical(hours$time - hours$time[1], c(0, 3600, 7200, 10800))
  # a window cut by the start of the range keeps its own start
  cut <- ask("sum", 86400, start = zurich("2024-03-31 12:00"), stop = zurich("2024-04-01 00:00"))
  expect_identical(cut$time, zurich("2024-03-31"))
  expect_identical(cut$v, as.double(sum(36:47)))
})

test_that("the SQL entry points are GC-safe", {
  ns <- asNamespace("influxdbtoolkit")
  x <- c("plain", "it's", "a\"b", NA, "\\", "\u00fc")
  expect_torture_identical(ns$C_sql_quote_ident, x)
  expect_torture_identical(ns$C_sql_quote_string, x)
  spec <- list(measurement = "m\"x", fields = c("te'mp", "v"), where = list(room = c("a", "b")), group_by = "room",
               window_start = 1711839600e9, data_start = 1711841400e9, stop = 1711926000e9, aggregate = "first",
               every = 86400e9, offset = 0, create_empty = TRUE, tz = "Europe/Zurich", zone_offset = 3600e9)
  expect_torture_identical(ns$C_series_query, spec, "sql")
  expect_torture_identical(ns$C_series_query, utils::modifyList(spec, list(aggregate = NULL, tz = NULL)), "sql")
  expect_torture_error(ns$C_series_query, utils::modifyList(spec, list(tz = "")), "sql")
})
