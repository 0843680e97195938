#' Explore what a server holds
#'
#' The same questions and the same answers on 1.x and 2.x. On 1.x they are
#' InfluxQL `SHOW` statements. On 2.x (connected with a token) databases are
#' buckets, listed through the API page by page, and the rest is asked with
#' Flux's `schema` functions over the bucket's whole time range (not their
#' default of the last 30 days); a 2.x connection with a user name and password
#' asks InfluxQL through the 1.x-compatible endpoint instead.
#'
#' @param con A connection from [influx_connect()].
#' @param system Include system databases (`_internal` on 1.x) or buckets
#'   (`_monitoring`, `_tasks` on 2.x).
#' @inheritParams influx_target
#' @param measurement Measurement name (for field keys on 1.x, `NULL` lists the
#'   fields of all measurements, with a `measurement` column).
#' @param key Tag key whose values to list.
#' @return A data frame: `name` for databases and measurements; `key` for tag
#'   keys; `value` for tag values; `field` and `type` (`"float"`, `"integer"`,
#'   `"unsigned"`, `"string"`, `"boolean"`) for field keys; `name`, `duration`
#'   and `shard_duration` (`difftime`, `Inf` for forever), `replication` and
#'   `default` for retention policies.
#' @name influx_explore
#' @examplesIf nzchar(Sys.getenv("INFLUXTK_EXAMPLE_URL"))
#' con <- influx_connect(Sys.getenv("INFLUXTK_EXAMPLE_URL"), database = "influxtk_demo")
#' influx_databases(con)
#' influx_measurements(con)
#' influx_tag_keys(con, "climate")
#' influx_tag_values(con, "climate", "room")
#' influx_field_keys(con, "climate")
#' influx_retention_policies(con)
NULL

#' @rdname influx_explore
#' @export
influx_databases <- function(con, system = FALSE) {
  call <- sys.call()
  check_open(con, call)
  list_databases(con, system, call)
}

#' @rdname influx_explore
#' @export
influx_measurements <- function(con, database = NULL) {
  call <- sys.call()
  target <- explore_target(con, database, call)
  list_measurements(con, target, call)
}

#' @rdname influx_explore
#' @export
influx_tag_keys <- function(con, measurement, database = NULL) {
  call <- sys.call()
  target <- explore_target(con, database, call)
  check_name(measurement, "measurement", call)
  list_tag_keys(con, target, measurement, call)
}

#' @rdname influx_explore
#' @export
influx_tag_values <- function(con, measurement, key, database = NULL) {
  call <- sys.call()
  target <- explore_target(con, database, call)
  check_name(measurement, "measurement", call)
  check_name(key, "key", call)
  list_tag_values(con, target, measurement, key, call)
}

#' @rdname influx_explore
#' @export
influx_field_keys <- function(con, measurement = NULL, database = NULL) {
  call <- sys.call()
  target <- explore_target(con, database, call)
  if (!is.null(measurement)) check_name(measurement, "measurement", call)
  list_field_keys(con, target, measurement, call)
}

#' @rdname influx_explore
#' @export
influx_retention_policies <- function(con, database = NULL) {
  call <- sys.call()
  target <- explore_target(con, database, call)
  list_retention_policies(con, target, call)
}

retention_frame <- function(name, duration, shard, replication, default) {
  n <- length(name)
  data.frame(name = name, duration = as.difftime(rep_len(as.numeric(duration), n), units = "secs"),
             shard_duration = as.difftime(rep_len(as.numeric(shard), n), units = "secs"),
             replication = rep_len(as.integer(replication), n), default = rep_len(as.logical(default), n),
             stringsAsFactors = FALSE)
}

explore_target <- function(con, database, call) {
  check_open(con, call)
  influx_target(con, database, call)
}
