#' influxdbtoolkit: one interface to InfluxDB 1.x and 2.x
#'
#' Connect with [influx_connect()], read with [influx_query()], explore with
#' [influx_databases()], [influx_measurements()] and [influx_field_keys()].
#' Older scripts keep working through [influxdbCon()] and friends.
#'
#' Errors are classed conditions: every one inherits from `influx_error`; see
#' [influx_errors] for the classes and the fields they carry.
#'
#' @section Options:
#' * `influxdbtoolkit.bigint`: default of the `bigint` argument of [influx_query()].
#' * `influxdbtoolkit.bad_strings`: default of the `bad_strings` argument of
#'   [influx_query()] (`"repair"` or `"error"`).
#' * `influxdbtoolkit.chunk_size`: rows per chunk the server streams (default 10000).
#' * `influxdbtoolkit.quiet`: `TRUE` silences the package's messages and
#'   progress bars. They are silent while knitr knits anyway, and progress
#'   bars are only drawn at an interactive console (with cli installed);
#'   warnings about the data are always given.
#' @keywords internal
#' @useDynLib influxdbtoolkit, .registration = TRUE
"_PACKAGE"
