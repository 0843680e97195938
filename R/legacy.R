#' Functions of the older in-house wrappers
#'
#' The names and arguments of the wrappers around the retired `influxdbr`
#' package, so existing scripts and reports run unchanged. Each call opens
#' one connection and closes it again; `host` may also be a connection from
#' [influx_connect()] (or [influxdbCon()]), which is then used and left open.
#'
#' Differences from the old wrappers, all fixes: `influxdbCon()` returns the
#' connection instead of assigning a global `con`; `influxdbGetDatabases()`
#' really hides `_internal`; credentials never travel in URLs.
#'
#' @param host Server name or address (`"10.0.0.5"`, `"influx.example.org"`),
#'   optionally with a scheme (`"https://influx.example.org"`), or a
#'   connection.
#' @param port Port (default `"8086"`).
#' @param user,pwd User name and password (1.x).
#' @param database Database name.
#' @param datapoint Measurement whose field keys to list.
#' @param ... Passed on to [influx_connect()] (for example `token`, `org`,
#'   `bucket` for a 2.x server, or `version`).
#' @return `influxdbCon()`: a connection. `influxdbWriteDf()`: invisibly, what
#'   [influx_write()] returns. `influxdbGetDatabases()` and
#'   `influxdbGetMeasurements()`: a data frame with a column `name`.
#'   `influxdbGetFieldKeys()`: a data frame with a column `fieldKey`.
#' @name legacy
#' @examplesIf nzchar(Sys.getenv("INFLUXTK_EXAMPLE_HOST"))
#' host <- Sys.getenv("INFLUXTK_EXAMPLE_HOST")
#' influxdbGetDatabases(host, port = Sys.getenv("INFLUXTK_EXAMPLE_PORT"))
NULL

#' @rdname legacy
#' @export
influxdbCon <- function(host, port = "8086", user = NULL, pwd = NULL, ...) {
  if (inherits(host, "influx_connection")) return(host)
  influx_connect(url = legacy_url(host, port, sys.call()), username = user, password = pwd, ...)
}

#' @rdname legacy
#' @export
influxdbGetDatabases <- function(host, port = "8086", user = NULL, pwd = NULL, ...) {
  with_legacy_connection(host, port, user, pwd, ..., fun = function(con) influx_databases(con))
}

#' @rdname legacy
#' @export
influxdbGetMeasurements <- function(host, port = "8086", user = NULL, pwd = NULL, database, ...) {
  with_legacy_connection(host, port, user, pwd, ..., fun = function(con) influx_measurements(con, database))
}

#' @rdname legacy
#' @export
influxdbGetFieldKeys <- function(host, port = "8086", user = NULL, pwd = NULL, database = NULL,
                                 datapoint = NULL, ...) {
  with_legacy_connection(host, port, user, pwd, ..., fun = function(con) {
    keys <- influx_field_keys(con, datapoint, database)
    data.frame(fieldKey = keys$field, stringsAsFactors = FALSE)
  })
}

with_legacy_connection <- function(host, port, user, pwd, ..., fun) {
  con <- influxdbCon(host, port, user, pwd, ...)
  if (!inherits(host, "influx_connection")) on.exit(influx_disconnect(con), add = TRUE)
  fun(con)
}

legacy_url <- function(host, port, call = NULL) {
  if (!is.character(host) || length(host) != 1 || is.na(host) || !nzchar(host)) {
    abort_argument("`host` must be a server name or address", call)
  }
  host <- sub("/+$", "", host)
  if (!grepl("^https?://", host, ignore.case = TRUE)) host <- paste0("http://", host)
  authority <- sub("^https?://([^/]*).*$", "\\1", host, ignore.case = TRUE)
  has_port <- grepl(":[0-9]+$", authority) && !grepl("^\\[[^]]*\\]$", authority)
  if (has_port || is.null(port) || !nzchar(as.character(port))) return(host)
  sub("^(https?://[^/]*)", paste0("\\1:", as.character(port)), host, ignore.case = TRUE)
}

#' @rdname legacy
#' @param df Data frame to write: a time column and value columns (fields).
#' @param measurement Measurement to write to.
#' @param time_col Name of the time column.
#' @export
influxdbWriteDf <- function(host, port = "8086", user = NULL, pwd = NULL, database = NULL, df,
                            measurement, time_col = "time", ...) {
  if (inherits(host, "influx_connection")) {
    con <- host
  } else {
    con <- influxdbCon(host, port, user, pwd, writable = TRUE, ...)
    on.exit(influx_disconnect(con), add = TRUE)
  }
  # The old wrapper wrote every non-time column as a field, at second precision.
  fields <- setdiff(names(df), time_col)
  influx_write(con, df, measurement = measurement, tags = character(), fields = fields, time = time_col,
               precision = "s", database = database)
}
