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
#' @param ... Passed on to [influx_connect()] when `host` is a server (for
#'   example `token`, `org`, `bucket` for a 2.x server, or `version`). Any
#'   other name, a misspelled argument or an unnamed extra value is an
#'   `influx_error_argument`; with a connection as `host` nothing may be
#'   passed here, since settings cannot change an open connection. (`port`,
#'   `user` and `pwd` are not used with a connection.)
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
  call <- sys.call()
  check_legacy_dots(host, list(...), "influxdbCon", call)
  if (inherits(host, "influx_connection")) return(host)
  influx_connect(url = legacy_url(host, port, call), username = user, password = pwd, ...)
}

#' @rdname legacy
#' @export
influxdbGetDatabases <- function(host, port = "8086", user = NULL, pwd = NULL, ...) {
  check_legacy_dots(host, list(...), "influxdbGetDatabases", sys.call())
  with_legacy_connection(host, port, user, pwd, ..., fun = function(con) influx_databases(con))
}

#' @rdname legacy
#' @export
influxdbGetMeasurements <- function(host, port = "8086", user = NULL, pwd = NULL, database = NULL, ...) {
  check_legacy_dots(host, list(...), "influxdbGetMeasurements", sys.call())
  with_legacy_connection(host, port, user, pwd, ..., fun = function(con) influx_measurements(con, database))
}

#' @rdname legacy
#' @export
influxdbGetFieldKeys <- function(host, port = "8086", user = NULL, pwd = NULL, database = NULL,
                                 datapoint = NULL, ...) {
  check_legacy_dots(host, list(...), "influxdbGetFieldKeys", sys.call())
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

# What `...` of a legacy call may hold: with a server name, settings of influx_connect() that the
# wrapper does not set itself (`taken`); with an open connection, nothing. R would otherwise drop
# a misspelled argument into `...` and ignore it (influxdbGetTimeseries(con, startDate = ...) read
# the whole measurement).
check_legacy_dots <- function(host, dots, fun, call, taken = character()) {
  if (!length(dots)) return(invisible())
  given <- names(dots) %||% rep("", length(dots))
  if (any(!nzchar(given))) {
    abort_argument(sprintf("%s(): unknown argument: %d unnamed extra value(s) after the last argument",
                           fun, sum(!nzchar(given))), call)
  }
  settings <- setdiff(names(formals(influx_connect)), c("url", "username", "password", taken))
  unknown <- setdiff(given, settings)
  if (length(unknown)) {
    own <- setdiff(names(formals(get(fun))), "...")
    abort_argument(sprintf(
      "%s(): unknown argument%s %s (its arguments: %s; and, with a server name, settings of influx_connect())",
      fun, if (length(unknown) > 1) "s" else "", paste0("`", unknown, "`", collapse = ", "),
      paste(own, collapse = ", ")), call)
  }
  if (inherits(host, "influx_connection")) {
    abort_argument(sprintf(
      "%s(): %s %s of influx_connect(), which cannot change an open connection: pass %s when connecting instead",
      fun, paste0("`", given, "`", collapse = ", "), if (length(given) > 1) "are settings" else "is a setting",
      if (length(given) > 1) "them" else "it"), call)
  }
  invisible()
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
  check_legacy_dots(host, list(...), "influxdbWriteDf", sys.call(), taken = "writable")
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
