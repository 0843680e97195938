#' Units of measured values
#'
#' With `units = TRUE` (or a mapping), [influx_query()] and
#' [influx_timeseries()] return numeric columns whose unit is known as
#' [units][units::units] objects (the units package must be installed: without
#' it such a call raises `influx_error_dependency`, so a report never knits to
#' different numbers on another machine). `influx_units()` tells which unit
#' each column got and why.
#'
#' A column's unit is looked up, first by the column's own name, then (for a
#' column whose name tells nothing, such as the `value` field of 1.x schemas)
#' by the values of the field column of a long frame, the measurement, and the
#' values of the tag columns (all rows must agree on one unit):
#'
#' 1. a user mapping: `units = c(value = "degC")` in the call, then the
#'    `units` of [influx_connect()]. A key matches a field, a measurement or
#'    a tag value exactly; the unit `""` means "no unit";
#' 2. the sensor naming convention `<quantity>_<unit>_<abs|inc>`, such as
#'    `temperature_degrC_abs`, `co2_ppm_abs` or `volume_m3_inc` (`inc` marks a
#'    counter); `<quantity>_<unit>` also counts. Unit tokens:
#'    `degrC`/`degC` (degree Celsius), `perc` (%), `ppm`, `ppb`, `hPa`, `Pa`,
#'    `lux`, `volt`/`V`, `mV`, `A`, `W`, `kW`, `Wh`, `kWh`, `m3`, `l`,
#'    `m3perh` (m3/h), `lperh` (l/h), `K`;
#' 3. the seed mapping by quantity, matched case-insensitively on the whole
#'    name or its first token: `temperature` is degree Celsius, `humidity` %,
#'    `co2` ppm.
#'
#' Aggregates keep the unit of their field (`mean`, `median`, `min`, `max`,
#' `first`, `last`, `sum`, `spread`, `stddev`, and `diffmax`, the consumption
#' of a counter), except that a `spread`, `stddev` or `diffmax` of a
#' temperature in degC is a temperature difference, in K (2 degC apart is 2 K,
#' not 275.15 K); a `count` has none and stays a plain integer. Columns named
#' `count` or `count_...` (InfluxQL's `count()`) have none either.
#'
#' A mapping is a named character vector, names to unit strings the units
#' package knows (`"degC"`, `"%"`, `"ppm"`, `"m3/h"`, `"kW*h"`); an unknown
#' unit string raises `influx_error_units`. In the environment
#' (`INFLUXDB_UNITS`), a `.env` file or a profile it is text:
#' `units = temperature=degC, co2_level=ppm, meter=m3`.
#'
#' @param x A data frame from [influx_query()] or [influx_timeseries()].
#' @return A data frame with one row per numeric column: `column`, `unit` (as
#'   given to the units package, e.g. `"degC"`; `NA` for none) and `source`, why it has that
#'   unit (e.g. `"name convention (temperature_degC_abs)"`,
#'   `"seed (measurement temperature)"`, `"mapping of the call (value)"`,
#'   `"count: no unit"`). For a frame read without `units`, the units the
#'   lookup would give.
#' @name influx_units
#' @export
#' @examples
#' df <- data.frame(time = Sys.time(), temperature_degrC_abs = 21.5, co2_ppm_abs = 415L,
#'                  battery = 3.1)
#' influx_units(df)
influx_units <- function(x) {
  if (!is.data.frame(x)) abort_argument("`x` must be a data frame from influx_query() or influx_timeseries()")
  found <- attr(x, "influx_units")
  if (is.null(found)) found <- resolve_units(x, unit_context(x), mapping = NULL)
  found
}

# Naming-convention unit tokens -> unit strings of the units package.
unit_tokens <- c(
  degrC = "degC", degC = "degC", K = "K", perc = "%", ppm = "ppm", ppb = "ppb", hPa = "hPa",
  Pa = "Pa", lux = "lx", volt = "V", V = "V", mV = "mV", A = "A", W = "W", kW = "kW", Wh = "W*h",
  kWh = "kW*h", m3 = "m3", l = "L", m3perh = "m3/h", lperh = "L/h"
)

# Seed: quantity -> unit, matched case-insensitively on a name or its first token.
unit_seed <- c(temperature = "degC", humidity = "%", co2 = "ppm")

# The unit a name carries: list(unit, source) or NULL. `maps` is a list of named character
# vectors with a "label" attribute (the call's, the connection's mapping); without maps, the
# naming convention and the seed.
unit_for_name <- function(name, maps, what) {
  if (length(maps)) {
    for (m in maps) {
      if (name %in% names(m)) {
        u <- m[[name]]
        return(list(unit = if (nzchar(u)) u else NA_character_,
                    source = sprintf("%s (%s%s)", attr(m, "label"), what, name)))
      }
    }
    return(NULL)
  }
  tokens <- strsplit(name, "_", fixed = TRUE)[[1]]
  n <- length(tokens)
  if ((n >= 3 && tokens[n] %in% c("abs", "inc") && tokens[n - 1] %in% names(unit_tokens)) ||
      (n == 2 && tokens[2] %in% names(unit_tokens))) {
    token <- if (n == 2) tokens[2] else tokens[n - 1]
    return(list(unit = unname(unit_tokens[token]), source = sprintf("name convention (%s%s)", what, name)))
  }
  key <- tolower(c(name, tokens[1]))
  hit <- key[key %in% names(unit_seed)]
  if (length(hit)) return(list(unit = unname(unit_seed[hit[1]]), source = sprintf("seed (%s%s)", what, name)))
  NULL
}

# One unit for a set of values (all of a field or tag column): every value must give the same.
unit_for_values <- function(values, maps, what) {
  values <- unique(values[!is.na(values)])
  if (length(values) == 0) return(NULL)
  found <- lapply(values, unit_for_name, maps = maps, what = what)
  if (all(vapply(found, is.null, TRUE))) return(NULL)
  units <- vapply(found, function(f) if (is.null(f)) "\001none" else f$unit %|NA|% "\001none", "")
  if (length(unique(units)) > 1) {
    return(list(unit = NA_character_,
                source = sprintf("no unit: the %svalues %s have different units", what,
                                 paste(utils::head(values, 4), collapse = ", "))))
  }
  found[[1]]
}

`%|NA|%` <- function(a, b) if (is.na(a)) b else a

# What a frame's rows are about: the measurement, and the columns that hold field names (long
# frames), measurement names and tag values. `series` is influx_timeseries()'s description.
unit_context <- function(x, measurement = NULL, aggregate = NULL) {
  info <- attr(x, "series")
  measurement <- measurement %||% info$measurement
  aggregate <- aggregate %||% info$aggregate
  text <- names(x)[vapply(x, is.character, NA)]
  list(
    measurement = measurement, aggregate = aggregate,
    field_columns = intersect(c("field", "_field"), text),
    measurement_columns = intersect(c("measurement", "_measurement"), text),
    tag_columns = setdiff(text, c("field", "_field", "measurement", "_measurement", "result", "_start", "_stop"))
  )
}

value_column <- function(v) (is.numeric(v) || inherits(v, "integer64")) && !inherits(v, c("POSIXt", "difftime"))

# -> data.frame(column, unit, source) for the numeric columns of x.
resolve_units <- function(x, ctx, mapping) {
  maps <- Filter(Negate(is.null), mapping)
  cols <- names(x)[vapply(x, value_column, NA)]
  cols <- setdiff(cols, c("time", "time_ns", "_time", "_start", "_stop", "table"))
  rows <- lapply(cols, function(col) {
    if (identical(ctx$aggregate, "count") || col == "count" || startsWith(col, "count_")) {
      return(list(unit = NA_character_, source = "count: no unit"))
    }
    # the user's mappings first, for every name the column goes by; then convention and seed
    for (pass in if (length(maps)) list(maps, list()) else list(list())) {
      hit <- unit_for_name(col, pass, "")
      for (fc in ctx$field_columns) if (is.null(hit)) hit <- unit_for_values(x[[fc]], pass, "field ")
      if (is.null(hit) && !is.null(ctx$measurement)) hit <- unit_for_name(ctx$measurement, pass, "measurement ")
      for (mc in ctx$measurement_columns) if (is.null(hit)) hit <- unit_for_values(x[[mc]], pass, "measurement ")
      for (tc in ctx$tag_columns) if (is.null(hit)) hit <- unit_for_values(x[[tc]], pass, sprintf("tag %s: ", tc))
      if (!is.null(hit)) return(hit)
    }
    list(unit = NA_character_, source = "no unit known")
  })
  rows <- lapply(rows, difference_unit, aggregate = ctx$aggregate)
  data.frame(column = cols, unit = vapply(rows, `[[`, "", "unit"),
             source = vapply(rows, `[[`, "", "source"), stringsAsFactors = FALSE)
}

# A spread, a standard deviation or a daily difference of temperatures is a temperature
# difference: 2 degC apart is 2 K, while a units object in degC would be read (and converted) as
# the temperature 2 degC = 275.15 K.
difference_aggregates <- c("spread", "stddev", "diffmax")
difference_unit <- function(row, aggregate) {
  if (isTRUE(aggregate %in% difference_aggregates) && identical(row$unit, "degC")) {
    row <- list(unit = "K", source = paste0(row$source, "; a difference of degC: K"))
  }
  row
}

# ---- arguments --------------------------------------------------------------------------------

# A mapping as given (named character vector, or the text form of the environment and profiles)
# -> a named character vector, its unit strings checked when the units package is there.
check_unit_mapping <- function(mapping, what, call = NULL) {
  if (is.character(mapping) && length(mapping) == 1 && is.null(names(mapping))) mapping <- parse_unit_text(mapping, what, call)
  if (!is.character(mapping) || is.null(names(mapping)) || anyNA(mapping) || anyNA(names(mapping)) ||
      any(!nzchar(names(mapping))) || anyDuplicated(names(mapping))) {
    abort_argument(sprintf("`%s` must be TRUE, FALSE or a named character vector such as c(value = \"degC\")", what), call)
  }
  if (requireNamespace("units", quietly = TRUE)) for (u in unique(mapping[nzchar(mapping)])) check_unit_string(u, what, call)
  mapping
}

# "temperature=degC, co2=ppm" -> c(temperature = "degC", co2 = "ppm")
parse_unit_text <- function(text, what, call) {
  pairs <- trimws(strsplit(text, "[,;]")[[1]])
  pairs <- pairs[nzchar(pairs)]
  ok <- grepl("^[^=]+=[^=]*$", pairs)
  if (!length(pairs) || !all(ok)) {
    abort_argument(sprintf("`%s` must be written name=unit, name=unit (e.g. \"temperature=degC, co2=ppm\"), not \"%s\"",
                           what, text), call)
  }
  stats::setNames(trimws(sub("^[^=]*=", "", pairs)), trimws(sub("=.*$", "", pairs)))
}

check_unit_string <- function(unit, what, call) {
  ok <- tryCatch({ units::as_units(unit); TRUE }, error = function(e) FALSE)
  if (!ok) {
    influx_abort(c("influx_error_units", "influx_error_argument"),
                 sprintf("`%s`: unit \"%s\" is not known to the units package (see units::valid_udunits())", what, unit),
                 unit = unit, call = call)
  }
}

require_units_package <- function(call) {
  if (!requireNamespace("units", quietly = TRUE)) {
    influx_abort("influx_error_dependency",
                 "`units` needs the units package (Debian: r-cran-units; CRAN: install.packages(\"units\"))",
                 package = "units", call = call)
  }
}

# `units` of influx_query() / influx_timeseries() -> NULL (none asked) or the list of mappings,
# the call's before the connection's.
units_request <- function(units, con, call) {
  if (isFALSE(units)) return(NULL)
  if (!isTRUE(units) && !is.character(units)) {
    abort_argument("`units` must be TRUE, FALSE or a named character vector such as c(value = \"degC\")", call)
  }
  require_units_package(call)
  own <- if (is.character(units)) structure(check_unit_mapping(units, "units", call), label = "mapping of the call")
  connection <- if (length(con$units)) structure(con$units, label = "mapping of the connection")
  # the connection's mapping may have been made without the units package: check it now
  if (!is.null(connection)) for (u in unique(connection[nzchar(connection)])) check_unit_string(u, "units of the connection", call)
  list(own, connection)
}

# Turns the numeric columns with a unit into units objects; the table is kept for influx_units().
apply_units <- function(x, maps, ctx, call) {
  if (is.null(maps) || !is.data.frame(x)) return(x)
  table <- resolve_units(x, ctx, maps)
  for (i in which(!is.na(table$unit))) {
    col <- table$column[i]
    v <- x[[col]]
    if (inherits(v, "integer64")) {
      # units objects hold doubles: say so where that loses integers, as bigint = "numeric" does
      d <- suppressWarnings(as.double(v)) # bit64's own warning names no column: ours below does
      big <- which(abs(d) >= 2^53)
      if (length(big) && any(sprintf("%.0f", d[big]) != as.character(v[big]))) {
        warning(structure(
          class = c("influx_warning_inexact", "influx_warning", "warning", "condition"),
          list(message = sprintf("column '%s': units objects hold doubles, and some integers are beyond 2^53 and lost precision (units = FALSE keeps them exact as integer64)", col),
               call = call)))
      }
      v <- d
    }
    x[[col]] <- units::set_units(v, table$unit[i], mode = "standard")
  }
  conflicts <- grepl("have different units", table$source, fixed = TRUE)
  if (any(conflicts)) {
    warning(structure(
      class = c("influx_warning_units", "influx_warning", "warning", "condition"),
      list(message = sprintf("column %s: %s; it stays a plain number (a wide frame keeps one column per field)",
                             paste0("'", table$column[conflicts], "'", collapse = ", "), table$source[conflicts][1]),
           call = call)
    ))
  }
  attr(x, "influx_units") <- table
  x
}

# The measurement of a query with a single plain FROM clause (InfluxQL or SQL): context for the
# unit of its `value` column. Anything else (regular expressions, subqueries, joins) gives NULL.
query_measurement <- function(query) {
  m <- gregexpr("(?i)\\bFROM\\s+", query, perl = TRUE)[[1]]
  if (length(m) != 1 || m[1] < 0) return(NULL)
  rest <- substring(query, m[1] + attr(m, "match.length"))
  ident <- "(\"(?:[^\"\\\\]|\\\\.)*\"|[A-Za-z_][A-Za-z0-9_]*)"
  hit <- regmatches(rest, regexec(sprintf("^(?:%s\\.){0,2}%s(?:\\s|;|$)", ident, ident), rest, perl = TRUE))[[1]]
  if (!length(hit)) return(NULL)
  name <- hit[length(hit)]
  if (startsWith(name, "\"")) name <- gsub("\\\\(.)", "\\1", substr(name, 2, nchar(name) - 1))
  name
}
