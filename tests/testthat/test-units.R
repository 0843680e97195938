# Units: the lookup (mapping, naming convention, seed), units = TRUE on every server, aggregates,
# the connection's mapping, and the errors.

test_that("a column's unit comes from its name: mapping, then convention, then seed", {
  df <- data.frame(time = Sys.time(), temperature_degrC_abs = 21.5, co2_ppm_abs = 415L, battery = 3.1,
                   Temperature_office = 1, HUMIDITY = 3, volume_m3_inc = 2, flow_m3perh_abs = 1,
                   humidity_perc = 40, level_furlong = 2, count = 3L, count_value = 2L)
  u <- influx_units(df)
  unit <- stats::setNames(u$unit, u$column)
  expect_identical(u$column, setdiff(names(df), "time"))
  expect_identical(unname(unit[c("temperature_degrC_abs", "co2_ppm_abs", "Temperature_office", "HUMIDITY",
                                 "volume_m3_inc", "flow_m3perh_abs", "humidity_perc")]),
                   c("degC", "ppm", "degC", "%", "m3", "m3/h", "%"))
  expect_true(all(is.na(unit[c("battery", "level_furlong", "count", "count_value")])))
  expect_match(u$source[u$column == "temperature_degrC_abs"], "name convention")
  expect_match(u$source[u$column == "HUMIDITY"], "seed")
  expect_identical(u$source[u$column == "count"], "count: no unit")
})

test_that("value columns take the unit of the measurement, the field column or a tag value", {
  resolve <- function(df, ctx, ...) {
    maps <- list(...)
    influxdbtoolkit:::resolve_units(df, ctx, maps)
  }
  ctx <- function(df, ...) influxdbtoolkit:::unit_context(df, ...)
  wide <- data.frame(time = 1, sensor = c("a", "b"), value = c(1, 2), stringsAsFactors = FALSE)
  got <- resolve(wide, ctx(wide, measurement = "temperature"))
  expect_identical(got$unit, "degC")
  expect_identical(got$source, "seed (measurement temperature)")
  # a mapping keyed by a tag value
  own <- structure(c(a = "V", b = "V"), label = "mapping of the call")
  expect_identical(resolve(wide, ctx(wide), own)$unit, "V")
  # tag values that disagree give no unit, and say why
  clash <- structure(c(a = "V", b = "A"), label = "mapping of the call")
  got <- resolve(wide, ctx(wide), clash)
  expect_true(is.na(got$unit))
  expect_match(got$source, "different units")
  # long frames: the field column names the quantity
  long <- data.frame(time = 1, field = c("co2_ppm_abs", "co2_ppm_abs"), value = 1:2, stringsAsFactors = FALSE)
  expect_identical(resolve(long, ctx(long))$unit, "ppm")
  # the mapping comes before the convention; "" means no unit
  conv <- data.frame(time = 1, co2_ppm_abs = 1)
  expect_identical(resolve(conv, ctx(conv), structure(c(co2_ppm_abs = "ppb"), label = "x"))$unit, "ppb")
  expect_true(is.na(resolve(conv, ctx(conv), structure(c(co2_ppm_abs = ""), label = "x"))$unit))
  # a count has no unit whatever the field
  expect_true(is.na(resolve(conv, ctx(conv, aggregate = "count"))$unit))
})

test_that("unit mappings: text form, unknown units and bad shapes are classed errors", {
  parse <- influxdbtoolkit:::check_unit_mapping
  expect_identical(parse("temperature=degC, meter = m3; hum=%", "units"),
                   c(temperature = "degC", meter = "m3", hum = "%"))
  e <- expect_error(parse(c(value = "degreesFoo"), "units"), class = "influx_error_units")
  expect_s3_class(e, "influx_error_argument")
  expect_identical(e$unit, "degreesFoo")
  expect_error(parse("temperature", "units"), class = "influx_error_argument")
  expect_error(parse(c("degC"), "units"), class = "influx_error_argument")
  expect_error(parse(c(a = "degC", a = "K"), "units"), class = "influx_error_argument")
  # at connect time, and in the environment
  expect_error(influx_connect("http://127.0.0.1:9", version = "v1", units = c(value = "nonsense_unit")),
               class = "influx_error_units")
  con <- influx_connect("http://127.0.0.1:9", version = "v1", units = c(value = "degC"))
  expect_identical(con$units, c(value = "degC"))
  old <- Sys.getenv("INFLUXDB_UNITS", NA)
  Sys.setenv(INFLUXDB_UNITS = "value=K, meter=m3")
  on.exit(if (is.na(old)) Sys.unsetenv("INFLUXDB_UNITS") else Sys.setenv(INFLUXDB_UNITS = old), add = TRUE)
  con2 <- influx_connect("http://127.0.0.1:9", version = "v1")
  expect_identical(con2$units, c(value = "K", meter = "m3"))
  expect_identical(unname(con2$sources["units"]), "environment")
  # in a profile of the configuration file
  ini <- tempfile(fileext = ".ini")
  on.exit(unlink(ini), add = TRUE)
  writeLines(c("[lab]", "url = http://127.0.0.1:9", "version = v1", "units = value=degC, meter=m3/h"), ini)
  old_config <- Sys.getenv("INFLUXDB_CONFIG", NA)
  Sys.setenv(INFLUXDB_CONFIG = ini)
  Sys.unsetenv("INFLUXDB_UNITS")
  on.exit(if (is.na(old_config)) Sys.unsetenv("INFLUXDB_CONFIG") else Sys.setenv(INFLUXDB_CONFIG = old_config), add = TRUE)
  con3 <- influx_connect(profile = "lab")
  expect_identical(con3$units, c(value = "degC", meter = "m3/h"))
  expect_identical(unname(con3$sources["units"]), "profile 'lab'")
  writeLines(c("[bad]", "url = http://127.0.0.1:9", "version = v1", "units = value=parsecs_per_fortnightx"), ini)
  expect_error(influx_connect(profile = "bad"), class = "influx_error_units")
  # a wrong `units` argument is refused before anything is sent (nothing listens on port 9)
  expect_error(influx_timeseries(con, "m", "v", start = "2024-01-01", end = "2024-01-02", units = "yes"),
               class = "influx_error_argument")
  expect_error(influx_query(con, "SELECT 1", units = c(value = "nonsense_unit")), class = "influx_error_units")
})

test_that("units = TRUE without the units package is an error naming it, before any request", {
  # a library where "units" cannot be loaded, in front of the real ones
  fake <- tempfile("nounits")
  on.exit(unlink(fake, recursive = TRUE), add = TRUE)
  dir.create(file.path(fake, "units"), recursive = TRUE)
  writeLines(c("Package: units", "Version: 0.0.0"), file.path(fake, "units", "DESCRIPTION"))
  script <- file.path(fake, "script.R")
  writeLines(c(
    "library(influxdbtoolkit)",
    "con <- influx_connect('http://127.0.0.1:9', version = 'v1', database = 'db')",
    "r <- tryCatch(influx_timeseries(con, 'm', 'v', start = '2024-01-01', end = '2024-01-02', units = TRUE),",
    "              influx_error_dependency = function(e) paste(e$package, conditionMessage(e)))",
    "q <- tryCatch(influx_query(con, 'SELECT * FROM m', units = TRUE), influx_error_dependency = function(e) 'dep')",
    "cat(r, q, sep = '\\n')"
  ), script)
  out <- system2(file.path(R.home("bin"), "Rscript"), script, stdout = TRUE, stderr = TRUE,
                 env = paste0("R_LIBS=", paste(c(fake, .libPaths()), collapse = .Platform$path.sep)))
  expect_match(out[1], "^units .*needs the units package")
  expect_identical(out[2], "dep")
})

# The unit of a units column, spelt as in the mapping ("degC" rather than the degree sign).
unit_of <- function(v) {
  for (u in c("degC", "K", "ppm", "%", "m3", "V")) if (identical(units(v), units(units::as_units(u)))) return(u)
  units::deparse_unit(v)
}

units_points <- function(m) {
  # two sensors, hourly, 2024-03-30 22:00 to 2024-04-01 02:00 UTC; volume is a meter reading
  t <- seq(as.POSIXct("2024-03-30 22:00", tz = "UTC"), by = 3600, length.out = 29)
  s <- as.integer(as.double(t))
  i <- seq_along(t)
  c(sprintf("%s,sensor=a value=%.1f,co2_ppm_abs=%di,volume_m3_inc=%.2f %d", m, 20 + i / 10, 400L + i, 100 + i * 0.25, s),
    sprintf("%s,sensor=b value=%.1f,co2_ppm_abs=%di,volume_m3_inc=%.2f %d", m, 18 + i / 10, 500L + i, 10 + i * 0.5, s))
}

for_each_server("units = TRUE: the measurement's quantity, the field names, aggregates", {
  con <- connect_admin(srv)
  m <- fresh_name("temperature")
  write_lines(con, units_points(m), precision = "s")
  args <- list(con, m, fields = c("co2_ppm_abs", "value", "volume_m3_inc"), start = "2024-03-31", end = "2024-04-01",
               where = list(sensor = c("a", "b")), tz = "Europe/Zurich")
  plain <- do.call(influx_timeseries, c(args, aggregate = "mean", every = "1d"))
  got <- do.call(influx_timeseries, c(args, aggregate = "mean", every = "1d", units = TRUE))
  expect_s3_class(plain, c("influx_timeseries", "data.frame"), exact = TRUE)
  expect_false(any(vapply(plain, inherits, NA, "units")))
  expect_null(attr(plain, "influx_units"))
  expect_s3_class(got$value, "units")
  expect_identical(unit_of(got$value), "degC")
  expect_identical(unit_of(got$co2_ppm_abs), "ppm")
  expect_identical(unit_of(got$volume_m3_inc), "m3")
  expect_equal(as.numeric(got$value), plain$value)
  u <- influx_units(got)
  expect_identical(u$source[u$column == "value"], sprintf("seed (measurement %s)", m))
  # count: plain integers, no unit
  counted <- do.call(influx_timeseries, c(args, aggregate = "count", every = "1d", units = TRUE))
  expect_false(any(vapply(counted, inherits, NA, "units")))
  expect_true(all(influx_units(counted)$source == "count: no unit"))
  # diffmax of a counter keeps its unit; the values are those without units
  used <- do.call(influx_timeseries, c(args, aggregate = "diffmax", every = "6h", units = TRUE))
  used_plain <- do.call(influx_timeseries, c(args, aggregate = "diffmax", every = "6h"))
  expect_identical(unit_of(used$volume_m3_inc), "m3")
  expect_equal(as.numeric(used$volume_m3_inc), used_plain$volume_m3_inc)
  for (agg in c("median", "max", "last")) {
    got <- do.call(influx_timeseries, c(args, aggregate = agg, every = "1d", units = TRUE))
    expect_identical(unit_of(got$value), "degC", label = agg)
  }
  # a spread or standard deviation of temperatures is a difference: K, the same numbers
  for (agg in c("spread", "stddev")) {
    got <- do.call(influx_timeseries, c(args, aggregate = agg, every = "1d", units = TRUE))
    plain <- do.call(influx_timeseries, c(args, aggregate = agg, every = "1d"))
    expect_identical(unit_of(got$value), "K", label = agg)
    expect_equal(as.numeric(got$value), plain$value, label = agg)
    u <- influx_units(got)
    expect_match(u$source[u$column == "value"], "a difference of degC: K", fixed = TRUE)
  }
  # the call's mapping comes first; the connection's mapping works by tag value
  k <- do.call(influx_timeseries, c(args, list(aggregate = "max", every = "1d", units = c(value = "K"))))
  expect_identical(unit_of(k$value), "K")
  # a mapping keyed by tag value beats the seed of the measurement
  con_tag <- connect_admin(srv, units = c(a = "V", b = "V"))
  tag_args <- utils::modifyList(args, list(fields = "value", units = TRUE))
  tag_args[[1]] <- con_tag
  volts <- do.call(influx_timeseries, tag_args)
  expect_identical(unit_of(volts$value), "V")
  expect_identical(influx_units(volts)$source, "mapping of the connection (tag sensor: a)")
  # long shape: one value column over fields with different units stays plain, with a warning
  expect_warning(long <- do.call(influx_timeseries, c(args, aggregate = "mean", every = "1d", shape = "long",
                                                      units = TRUE)),
                 class = "influx_warning_units")
  expect_false(inherits(long$value, "units"))
  one <- influx_timeseries(con, m, "co2_ppm_abs", start = "2024-03-31", end = "2024-04-01", shape = "long", units = TRUE)
  expect_identical(unit_of(one$value), "ppm")
})

for_each_server("influx_query(units = TRUE) takes the unit from a single FROM or the column names", {
  con <- connect_admin(srv)
  m <- fresh_name("humidity")
  write_lines(con, sprintf("%s,sensor=a value=%d,co2_ppm_abs=%di %d", m, 40:42, 400:402,
                           1711843200L + 0:2 * 60L), precision = "s")
  q <- sprintf("SELECT value, co2_ppm_abs FROM \"%s\" WHERE time >= '2024-03-31T00:00:00Z'", m)
  plain <- influx_query(con, q)
  got <- influx_query(con, q, units = TRUE)
  expect_false(inherits(plain$value, "units"))
  expect_identical(unit_of(got$value), "%")
  expect_identical(unit_of(got$co2_ppm_abs), "ppm")
  expect_equal(as.numeric(got$value), as.numeric(plain$value))
  counted <- influx_query(con, sprintf("SELECT count(value) FROM \"%s\"", m), units = TRUE)
  expect_false(inherits(counted$count, "units"))
})

for_each_server("Flux frames take the unit of _value from _field, of columns from their names", flux = TRUE, {
  con <- connect_admin(srv)
  m <- fresh_name("room")
  write_lines(con, sprintf("%s,sensor=a co2_ppm_abs=%d,volume_m3_inc=%.1f %d", m, 400:402, 10 + 0:2 / 10,
                           1711843200L + 0:2 * 60L), precision = "s")
  bucket <- if (srv$generation == "v2") "influxtk_test" else "influxtk_test/autogen"
  flux <- sprintf(paste0('from(bucket: "%s") |> range(start: 2024-03-31T00:00:00Z, stop: 2024-03-31T01:00:00Z)',
                         ' |> filter(fn: (r) => r._measurement == "%s" and r._field == "%s")'), bucket, m, "%s")
  co2 <- influx_query(con, sprintf(flux, "co2_ppm_abs"), language = "flux", units = TRUE)
  expect_identical(unit_of(co2$`_value`), "ppm")
  expect_identical(influx_units(co2)$source[influx_units(co2)$column == "_value"], "name convention (field co2_ppm_abs)")
  # both fields in one _value column: different units, so none, with a warning
  both <- sub(' and r._field == "%s"', "", flux, fixed = TRUE)
  expect_warning(mixed <- influx_query(con, both, language = "flux", units = TRUE), class = "influx_warning_units")
  expect_false(inherits(mixed$`_value`, "units"))
  pivoted <- influx_query(con, both, language = "flux", pivot = TRUE, units = TRUE)
  expect_identical(unit_of(pivoted$co2_ppm_abs), "ppm")
  expect_identical(unit_of(pivoted$volume_m3_inc), "m3")
})

test_that("units = TRUE on integer64 warns where integers beyond 2^53 lose precision as doubles", {
  skip_if_not_installed("bit64")
  skip_if_not_installed("units")
  x <- data.frame(volume_m3_inc = bit64::as.integer64(c("9007199254740993", "5")), small_m3_inc = bit64::as.integer64(c(1, 2)))
  expect_warning(got <- influxdbtoolkit:::apply_units(x, list(NULL, NULL), influxdbtoolkit:::unit_context(x), NULL),
                 class = "influx_warning_inexact", regexp = "volume_m3_inc")
  expect_s3_class(got$volume_m3_inc, "units")
  expect_no_warning(small <- influxdbtoolkit:::apply_units(x["small_m3_inc"], list(NULL, NULL),
                                                           influxdbtoolkit:::unit_context(x), NULL))
  expect_identical(as.numeric(small$small_m3_inc), c(1, 2))
})
