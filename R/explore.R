#' Explore what a server holds
#'
#' `influx_databases()` lists databases (without the `_internal` monitoring
#' database unless `system = TRUE`); `influx_measurements()` the measurements
#' of a database; `influx_field_keys()` the fields of a measurement with their
#' types.
#'
#' @param con A connection from [influx_connect()].
#' @param system Include system databases such as `_internal`.
#' @param database Database (default: the connection's).
#' @param measurement Measurement name; `NULL` for all measurements (the
#'   result then has a `measurement` column when there are several).
#' @return A data frame: `name` for databases and measurements; `field` and
#'   `type` (`"float"`, `"integer"`, `"string"`, `"boolean"`) for field keys.
#' @name influx_explore
#' @examplesIf nzchar(Sys.getenv("INFLUXTK_EXAMPLE_URL"))
#' con <- influx_connect(Sys.getenv("INFLUXTK_EXAMPLE_URL"), database = "influxtk_demo")
#' influx_databases(con)
#' influx_measurements(con)
#' influx_field_keys(con, "climate")
NULL

#' @rdname influx_explore
#' @export
influx_databases <- function(con, system = FALSE) {
  call <- sys.call()
  check_open(con, call)
  require_capability(con, "influxql", "listing databases", call)
  df <- influx_query(con, "SHOW DATABASES")
  names <- if ("name" %in% names(df)) df$name else character()
  if (!isTRUE(system)) names <- names[!startsWith(names, "_")]
  data.frame(name = names, stringsAsFactors = FALSE)
}

#' @rdname influx_explore
#' @export
influx_measurements <- function(con, database = NULL) {
  call <- sys.call()
  database <- target_database(con, database, call)
  df <- influx_query(con, paste("SHOW MEASUREMENTS ON", iql_ident(database)), database = database)
  data.frame(name = if ("name" %in% names(df)) df$name else character(), stringsAsFactors = FALSE)
}

#' @rdname influx_explore
#' @export
influx_field_keys <- function(con, measurement = NULL, database = NULL) {
  call <- sys.call()
  database <- target_database(con, database, call)
  q <- paste("SHOW FIELD KEYS ON", iql_ident(database))
  if (!is.null(measurement)) {
    if (!is.character(measurement) || length(measurement) != 1 || is.na(measurement)) {
      abort_argument("`measurement` must be one string", call)
    }
    q <- paste(q, "FROM", iql_ident(measurement))
  }
  df <- influx_query(con, q, database = database)
  out <- data.frame(
    field = if ("fieldKey" %in% names(df)) df$fieldKey else character(),
    type = if ("fieldType" %in% names(df)) df$fieldType else character(),
    stringsAsFactors = FALSE
  )
  if ("measurement" %in% names(df)) out <- cbind(measurement = df$measurement, out, stringsAsFactors = FALSE)
  out
}

target_database <- function(con, database, call) {
  check_open(con, call)
  require_capability(con, "influxql", "exploring databases", call)
  database <- database %||% con$database
  if (is.null(database) || !is.character(database) || length(database) != 1 || is.na(database) || !nzchar(database)) {
    abort_argument("no database: pass `database` or connect with one", call)
  }
  database
}
