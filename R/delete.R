#' Delete points
#'
#' `influx_delete()` deletes the points of a measurement from `start`
#' (inclusive) to `end` (exclusive), optionally only those whose tags match
#' `where`; `influx_drop_measurement()` deletes a whole measurement. Both need a
#' connection opened with `writable = TRUE`, and both offer `dry_run`.
#'
#' On 1.x this is InfluxQL `DELETE` (and `DROP MEASUREMENT`). On 2.x it is the
#' `/api/v2/delete` endpoint, whose predicates know only `=` joined by `AND`:
#' several values for one tag become one request per combination, and the
#' inclusive `stop` of the API is set one nanosecond before `end`. InfluxDB 3
#' deletes no points by time range (`influx_delete()` is an
#' `influx_error_unsupported` there); `influx_drop_measurement()` deletes the
#' table (`DELETE /api/v3/configure/table`, a soft delete the server purges
#' later).
#'
#' @param con A writable connection from [influx_connect()].
#' @param measurement Measurement name.
#' @param start,end Time range: `POSIXct`, `Date` (midnight in the connection's
#'   time zone), numeric seconds, or text read in the connection's time zone
#'   (`"2024-10-27 02:30"`, or RFC 3339 with `Z` or an offset).
#' @param where Named list: tag = value, or tag = several values (any of them).
#' @inheritParams influx_target
#' @param dry_run Return what would be sent instead of sending it.
#' @return Invisibly, the statements or request bodies sent (or, with
#'   `dry_run`, to be sent).
#' @export
#' @examples
#' con <- influx_connect("http://127.0.0.1:8086", version = "v1", database = "sensors")
#' influx_delete(con, "climate", "2024-10-27", "2024-10-28", where = list(room = c("lab", "office")),
#'               dry_run = TRUE)
influx_delete <- function(con, measurement, start, end, where = list(), database = NULL, dry_run = FALSE) {
  call <- sys.call()
  check_open(con, call)
  check_name(measurement, "measurement", call)
  where <- check_where(where, call)
  t0 <- as_time_ns(start, con$tz, "start", call)
  t1 <- as_time_ns(end, con$tz, "end", call)
  if (!.Call(C_ns_less, t0, t1)) abort_argument("`start` must be before `end`", call)
  if (!dry_run) require_writable(con, "deleting", call)
  target <- influx_target(con, database, call)
  delete_points(con, target, measurement, t0, t1, where, dry_run, call)
}

#' @rdname influx_delete
#' @export
influx_drop_measurement <- function(con, measurement, database = NULL, dry_run = FALSE) {
  call <- sys.call()
  check_open(con, call)
  check_name(measurement, "measurement", call)
  if (!dry_run) require_writable(con, "dropping a measurement", call)
  target <- influx_target(con, database, call)
  drop_measurement(con, target, measurement, dry_run, call)
}
