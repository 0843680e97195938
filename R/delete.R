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
#' inclusive `stop` of the API is set one nanosecond before `end`.
#'
#' @param con A writable connection from [influx_connect()].
#' @param measurement Measurement name.
#' @param start,end Time range: `POSIXct`, `Date` (midnight in the connection's
#'   time zone), numeric seconds, or text read in the connection's time zone
#'   (`"2024-10-27 02:30"`, or RFC 3339 with `Z` or an offset).
#' @param where Named list: tag = value, or tag = several values (any of them).
#' @param database Database (1.x) or bucket (2.x); default the connection's.
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
  target <- target_name(con, database, call)
  if (con$generation == "v1") {
    cond <- c(sprintf("time >= '%s' AND time < '%s'", ns_text(t0), ns_text(t1)), where_influxql(where))
    q <- sprintf("DELETE FROM %s WHERE %s", iql_ident(measurement), paste(cond, collapse = " AND "))
    if (dry_run) return(q)
    influx_query(con, q, database = target)
    return(invisible(q))
  }
  stop_ns <- .Call(C_ns_add, t1, -1)
  bodies <- lapply(where_v2_predicates(measurement, where), function(p) {
    list(start = ns_text(t0), stop = ns_text(stop_ns), predicate = p)
  })
  if (dry_run) return(vapply(bodies, to_json, ""))
  for (b in bodies) v2_api(con, "POST", "/api/v2/delete", query = c(org = con$org, bucket = target), body = b, call = call)
  invisible(vapply(bodies, to_json, ""))
}

#' @rdname influx_delete
#' @export
influx_drop_measurement <- function(con, measurement, database = NULL, dry_run = FALSE) {
  call <- sys.call()
  check_open(con, call)
  check_name(measurement, "measurement", call)
  if (!dry_run) require_writable(con, "dropping a measurement", call)
  target <- target_name(con, database, call)
  if (con$generation == "v1") {
    q <- paste("DROP MEASUREMENT", iql_ident(measurement))
    if (dry_run) return(q)
    influx_query(con, q, database = target)
    return(invisible(q))
  }
  # 2.x has no DROP MEASUREMENT: delete all of its time.
  body <- list(start = "1677-09-21T00:12:43.145224194Z", stop = "2262-04-11T23:47:16.854775806Z",
               predicate = paste0(iql_ident("_measurement"), "=", iql_ident(measurement)))
  if (dry_run) return(to_json(body))
  v2_api(con, "POST", "/api/v2/delete", query = c(org = con$org, bucket = target), body = body, call = call)
  invisible(to_json(body))
}

target_name <- function(con, database, call) {
  target <- database %||% if (con$generation == "v2") con$bucket %||% con$database else con$database
  if (is.null(target)) abort_argument("no database or bucket: pass `database` or connect with one", call)
  target
}

# ("a" = "x", "b" = c("y", "z")) -> ("a" = 'x') AND ("b" = 'y' OR "b" = 'z')
where_influxql <- function(where) {
  vapply(names(where), function(k) {
    paste0("(", paste(iql_ident(k), "=", iql_string(as.character(where[[k]])), collapse = " OR "), ")")
  }, "", USE.NAMES = FALSE)
}

# One predicate per combination of values, as the 2.x delete API has no OR.
where_v2_predicates <- function(measurement, where) {
  base <- paste0(iql_ident("_measurement"), "=", iql_ident(measurement))
  if (length(where) == 0) return(base)
  combos <- expand.grid(lapply(where, as.character), stringsAsFactors = FALSE)
  apply(combos, 1, function(row) {
    paste(c(base, paste0(iql_ident(names(where)), "=", iql_ident(row))), collapse = " AND ")
  })
}
