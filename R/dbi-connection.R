# DBI for the package's own connections: the S3 lists influx_connect() returns are registered
# with S4 (setOldClass) as DBIConnection, so DBI's generics dispatch on them as they are and every
# influx_* verb keeps taking them. No wrapper object: one connection for both interfaces.
# The result class and its methods are in dbi-result.R, quoting and interpolation in dbi-quote.R.

#' @import methods
#' @importFrom DBI dbConnect dbDisconnect dbIsValid dbGetInfo dbDataType dbListTables
#'   dbListFields dbExistsTable dbGetQuery dbSendQuery dbExecute dbSendStatement dbWriteTable
#'   dbAppendTable dbFetch dbClearResult dbHasCompleted dbGetRowCount dbGetRowsAffected
#'   dbGetStatement dbColumnInfo dbQuoteIdentifier dbQuoteString dbQuoteLiteral sqlInterpolate
#'   sqlParseVariables dbRemoveTable dbReadTable dbUnquoteIdentifier
NULL

#' The InfluxDB DBI driver
#'
#' `influx()` is the driver object for [DBI::dbConnect()]:
#' `dbConnect(influxdbtoolkit::influx(), ...)` takes exactly the arguments of
#' [influx_connect()] (and the same settings layers: arguments, environment,
#' `.env`, profiles) and returns the same connection, so a connection from
#' either works with DBI's generics and with every `influx_*` function. The
#' connection classes (`influx_v1_connection`, ...) are registered as
#' `DBIConnection` S4 classes: `methods::is(con, "DBIConnection")` is `TRUE`.
#'
#' What the DBI methods do on InfluxDB:
#' * `dbGetQuery()`, `dbSendQuery()`: one statement in the connection's query
#'   language (InfluxQL on 1.x and 2.x, where Flux also works; SQL on 3.x unless
#'   the connection's `query_language` is `"influxql"`), run as by
#'   [influx_query()]; `params` is a named list as there. Several InfluxQL
#'   statements are refused (`influx_error_argument`): use [influx_query()].
#' * `dbFetch(res, n)`: a small `n` stops the transfer once enough rows are
#'   decoded (see [InfluxResult-class]).
#' * `dbExecute()`, `dbSendStatement()`: refused with `influx_error_readonly`
#'   unless the connection is writable. The rows affected are the `written`
#'   count of `SELECT ... INTO`; InfluxDB reports no count for other
#'   statements (`DELETE`, `DROP ...`), which give 0.
#' * `dbListTables()`: the measurements (1.x, 2.x) or tables (3.x) of the
#'   connection's database or bucket. `dbListFields()`: `time`, then the tag
#'   keys, then the field keys, each alphabetically. `dbExistsTable()`.
#' * `dbReadTable()`: `SELECT *` of the measurement; a missing one is an
#'   error (InfluxQL itself answers it with no rows).
#' * `dbWriteTable()`, `dbAppendTable()`: through [influx_write()] into the
#'   measurement `name`. Columns are fields unless `tags` names them (unlike
#'   [influx_write()], character columns are not tags by default); the column
#'   `time`, if any, is the time (else the server stamps the points).
#'   `append = TRUE` adds points; without it an existing measurement is an
#'   error. `dbAppendTable()` needs an existing measurement (DBI's rule; a
#'   write would create it). `overwrite = TRUE` and `temporary = TRUE` are refused with
#'   `influx_error_unsupported` (InfluxDB cannot replace or create tables
#'   without deleting data; use [influx_drop_measurement()] first).
#' * `dbRemoveTable()` is [influx_drop_measurement()] (writable connections);
#'   a missing measurement is an error unless `fail_if_missing = FALSE`.
#' * `dbQuoteIdentifier()`, `dbQuoteString()`, `dbQuoteLiteral()`,
#'   `sqlInterpolate()`: in the connection's language (see
#'   [influx-dbi-quoting]).
#' * `dbDataType()`: the InfluxDB type a column would be written as.
#' * `dbDisconnect()` is [influx_disconnect()]; afterwards `dbIsValid()` is
#'   `FALSE` and every call raises `influx_error_closed`.
#' * There are no transactions, no `CREATE TABLE` and no temporary tables.
#'
#' @return `influx()`: an `InfluxDriver` object.
#' @seealso [influx_connect()], [InfluxResult-class], [influx-dbi-quoting]
#' @export
#' @examples
#' drv <- influx()
#' drv
#' # An explicit version makes no request, so this runs without a server:
#' con <- DBI::dbConnect(drv, url = "http://127.0.0.1:9", version = "v1",
#'                       database = "sensors")
#' methods::is(con, "DBIConnection")
#' DBI::dbQuoteString(con, "it's")
#' DBI::sqlInterpolate(con, "SELECT * FROM climate WHERE room = ?room",
#'                     room = "office")
#' tryCatch(DBI::dbGetQuery(con, "SELECT * FROM climate"),
#'          influx_error_transport = conditionMessage)
#' DBI::dbDisconnect(con)
#' DBI::dbIsValid(con)
influx <- function() new("InfluxDriver")

#' @rdname influx
#' @export
setClass("InfluxDriver", contains = "DBIDriver")

# Every generation's classes, and the common one as a DBIConnection.
for (gen in generations) setOldClass(connection_class(gen))
rm(gen)
setIs("influx_connection", "DBIConnection")

#' @rdname influx
#' @param drv,dbObj,conn,object An `InfluxDriver` (from `influx()`) or a
#'   connection.
#' @param ... `dbConnect()`: the arguments of [influx_connect()]. Elsewhere:
#'   ignored, except as documented.
#' @export
setMethod("dbConnect", "InfluxDriver", function(drv, ...) influx_connect(...))

#' @rdname influx
#' @export
setMethod("show", "InfluxDriver", function(object) {
  cat(sprintf("<InfluxDriver> influxdbtoolkit %s (libcurl %s)\n", utils::packageVersion("influxdbtoolkit"),
              .Call(C_curl_version)))
  invisible(object)
})

#' @rdname influx
#' @export
setMethod("dbGetInfo", "InfluxDriver", function(dbObj, ...) {
  list(driver.version = utils::packageVersion("influxdbtoolkit"),
       client.version = package_version(sub("[^0-9.].*$", "", .Call(C_curl_version))))
})

#' @rdname influx
#' @export
setMethod("dbIsValid", "InfluxDriver", function(dbObj, ...) TRUE)

#' @rdname influx
#' @param obj An R object: `dbDataType()` gives the InfluxDB type it would be
#'   written as (one per column of a data frame).
#' @export
setMethod("dbDataType", "InfluxDriver", function(dbObj, obj, ...) influx_data_type(obj, "influxql"))

#' @rdname influx
#' @export
setMethod("show", "influx_connection", function(object) print(object))

#' @rdname influx
#' @export
setMethod("dbDisconnect", "influx_connection", function(conn, ...) {
  if (!dbIsValid(conn)) {
    warning("the connection is already closed", call. = FALSE)
    return(invisible(TRUE))
  }
  influx_disconnect(conn)
})

#' @rdname influx
#' @export
setMethod("dbIsValid", "influx_connection", function(dbObj, ...) {
  isTRUE(.Call(C_handle_is_open, dbObj$handle))
})

#' @rdname influx
#' @export
setMethod("dbGetInfo", "influx_connection", function(dbObj, ...) {
  url <- parse_server_url(dbObj$url)
  port <- regmatches(dbObj$url, regexpr(":[0-9]+(/|$)", dbObj$url))
  list(db.version = if (is.na(dbObj$server_version)) backend_label(dbObj) else dbObj$server_version,
       dbname = influx_target(dbObj, required = FALSE) %||% "",
       username = dbObj$username %||% "", host = url$host,
       port = if (length(port)) gsub("[:/]", "", port) else "",
       url = dbObj$url, generation = dbObj$generation, query_language = dbi_language(dbObj),
       writable = dbObj$writable)
})

#' @rdname influx
#' @export
setMethod("dbDataType", "influx_connection", function(dbObj, obj, ...) influx_data_type(obj, dbi_language(dbObj)))

#' @rdname influx
#' @export
setMethod("dbListTables", "influx_connection", function(conn, ...) {
  call <- sys.call()
  check_open(conn, call)
  as.character(list_measurements(conn, explore_target(conn, NULL, call), call)$name)
})

#' @rdname influx
#' @param name A measurement (table) name: a string, or an identifier from
#'   `dbQuoteIdentifier()`.
#' @export
setMethod("dbListFields", c("influx_connection", "character"), function(conn, name, ...) {
  call <- sys.call()
  name <- dbi_table_name(conn, name, call)
  check_open(conn, call)
  target <- explore_target(conn, NULL, call)
  if (!name %in% as.character(list_measurements(conn, target, call)$name)) {
    abort_argument(sprintf("no measurement '%s' in %s", name, target %||% "the connection's database"), call)
  }
  tags <- sort(as.character(list_tag_keys(conn, target, name, call)$key))
  fields <- sort(setdiff(as.character(list_field_keys(conn, target, name, call)$field), tags))
  c("time", tags, fields)
})

#' @rdname influx
#' @export
setMethod("dbExistsTable", c("influx_connection", "character"), function(conn, name, ...) {
  call <- sys.call()
  name <- dbi_table_name(conn, name, call)
  name %in% dbListTables(conn)
})

#' @rdname influx
#' @param statement A query (`dbGetQuery()`, `dbSendQuery()`) or a statement
#'   that changes data (`dbExecute()`, `dbSendStatement()`): one string.
#' @param params A named list of query parameters, as in [influx_query()].
#' @param n Rows to fetch: `-1` or `Inf` for all.
#' @export
setMethod("dbGetQuery", c("influx_connection", "character"), function(conn, statement, ..., params = NULL, n = -1) {
  call <- sys.call()
  n <- check_fetch_n(n, call)
  df <- dbi_run(conn, statement, params, if (is.finite(n)) n else NULL, call)
  if (is.finite(n) && nrow(df) > n) df <- df[seq_len(n), , drop = FALSE]
  df
})

#' @rdname influx
#' @export
setMethod("dbExecute", c("influx_connection", "character"), function(conn, statement, ..., params = NULL) {
  res <- dbSendStatement(conn, statement, params = params)
  on.exit(dbClearResult(res))
  dbGetRowsAffected(res)
})

#' @rdname influx
#' @param value A data frame to write.
#' @param tags Names of the columns written as tags (default: none).
#' @param append Add to an existing measurement.
#' @param overwrite,temporary Refused: InfluxDB has neither.
#' @param row.names Must be `FALSE` or `NULL`: InfluxDB points have no row
#'   names.
#' @param field.types Must be `NULL`: the types come from the columns.
#' @param check.names `dbReadTable()`: make the column names syntactic.
#' @param fail_if_missing `dbRemoveTable()`: a missing measurement is an error.
#' @export
setMethod("dbWriteTable", c("influx_connection", "character", "data.frame"), function(conn, name, value, ..., tags = NULL, append = FALSE,
                                                        overwrite = FALSE, temporary = FALSE,
                                                        row.names = FALSE, field.types = NULL) {
  call <- sys.call()
  for (flag in c("append", "overwrite", "temporary")) {
    v <- get(flag)
    if (!is.logical(v) || length(v) != 1 || is.na(v)) abort_argument(sprintf("`%s` must be TRUE or FALSE", flag), call)
  }
  if (overwrite) {
    influx_abort("influx_error_unsupported",
                 "dbWriteTable(overwrite = TRUE): InfluxDB cannot replace a measurement; drop it first (influx_drop_measurement()) and write with append = TRUE",
                 operation = "dbWriteTable(overwrite = TRUE)", version = conn$generation, call = call)
  }
  if (temporary) {
    influx_abort("influx_error_unsupported", "dbWriteTable(temporary = TRUE): InfluxDB has no temporary tables",
                 operation = "dbWriteTable(temporary = TRUE)", version = conn$generation, call = call)
  }
  name <- dbi_table_name(conn, name, call)
  columns <- dbi_write_columns(value, tags, row.names, field.types, call)
  if (!append && dbExistsTable(conn, name)) {
    abort_argument(sprintf("measurement '%s' exists: use append = TRUE to add points to it", name), call)
  }
  dbi_write(conn, name, value, columns)
  invisible(TRUE)
})

#' @rdname influx
#' @export
setMethod("dbAppendTable", c("influx_connection", "character"), function(conn, name, value, ..., tags = NULL, row.names = NULL) {
  call <- sys.call()
  name <- dbi_table_name(conn, name, call)
  columns <- dbi_write_columns(value, tags, row.names, NULL, call)
  # DBI appends to tables that exist; InfluxDB would make a new measurement: say so instead.
  if (!dbExistsTable(conn, name)) abort_argument(sprintf("no measurement '%s' to append to: create it with dbWriteTable()", name), call)
  dbi_write(conn, name, value, columns)
})

#' @rdname influx
#' @export
setMethod("dbReadTable", c("influx_connection", "character"), function(conn, name, ..., row.names = FALSE,
                                                                      check.names = TRUE) {
  call <- sys.call()
  if (!(is.null(row.names) || identical(row.names, FALSE) || identical(row.names, NA))) {
    abort_argument("`row.names` must be FALSE, NA or NULL: InfluxDB points have no row names", call)
  }
  if (!is.logical(check.names) || length(check.names) != 1 || is.na(check.names)) {
    abort_argument("`check.names` must be TRUE or FALSE", call)
  }
  name <- dbi_table_name(conn, name, call)
  # InfluxQL answers a missing measurement with no rows; DBI asks for an error.
  if (!dbExistsTable(conn, name)) abort_argument(sprintf("no measurement '%s'", name), call)
  df <- dbi_run(conn, paste("SELECT * FROM", quote_ident(conn, name)), NULL, NULL, call)
  if (check.names) names(df) <- make.names(names(df), unique = TRUE)
  df
})

#' @rdname influx
#' @export
setMethod("dbRemoveTable", c("influx_connection", "character"), function(conn, name, ..., fail_if_missing = TRUE) {
  call <- sys.call()
  name <- dbi_table_name(conn, name, call)
  # InfluxDB drops a missing measurement without a word; DBI asks for an error unless told not to.
  if (!dbExistsTable(conn, name)) {
    if (isTRUE(fail_if_missing)) abort_argument(sprintf("no measurement '%s' to remove", name), call)
    return(invisible(TRUE))
  }
  influx_drop_measurement(conn, name)
  invisible(TRUE)
})

# The language DBI speaks on a connection: the server's default for a query, InfluxQL where that
# would be Flux (1.x and 2.x: SQL chunks and DBI tools write InfluxQL).
dbi_language <- function(con) {
  language <- default_query_language(con, "SELECT 1")
  if (language == "flux") "influxql" else language
}

# One statement in the connection's language, as influx_query() runs it; row_limit stops the
# transfer once that many rows are decoded (NULL: all). Always one data frame.
dbi_run <- function(con, statement, params, row_limit, call) {
  check_open(con, call)
  if (methods::is(statement, "SQL")) statement <- as.character(statement)
  if (!is.character(statement) || length(statement) != 1 || is.na(statement) || !nzchar(trimws(statement))) {
    abort_argument("`statement` must be one non-empty string", call)
  }
  if (!is.null(params) && length(params) == 0) params <- NULL
  language <- default_query_language(con, statement)
  if (language == "influxql") {
    parts <- .Call(C_iql_split, statement)
    if (is.list(parts) && length(parts$text) > 1) {
      abort_argument(sprintf("DBI runs one statement at a time, not %d: use influx_query() for several",
                             length(parts$text)), call)
    }
  }
  frame <- default_decoding(con$tz, call)
  frame$row_limit <- row_limit
  run_query(con, statement, language, influx_target(con, NULL, call, required = FALSE), params, frame, call)
}

# dbGetQuery()'s and dbFetch()'s `n`: a whole number, -1 or Inf for all (returned as Inf).
check_fetch_n <- function(n, call) {
  if (!is.numeric(n) || length(n) != 1 || is.na(n) || (n < 0 && n != -1) || (is.finite(n) && n != round(n))) {
    abort_argument(sprintf("`n` must be a whole number of rows, or -1 or Inf for all, not %s", format_value(n)), call)
  }
  if (n == -1) Inf else n
}

# A table name as DBI passes it (string, SQL, Id) -> the measurement name.
dbi_table_name <- function(con, name, call) {
  if (methods::is(name, "Id")) name <- utils::tail(name@name, 1)
  if (methods::is(name, "SQL")) name <- dbi_unquote(con, as.character(name))
  if (!is.character(name) || length(name) != 1 || is.na(name) || !nzchar(name)) {
    abort_argument("the table name must be one non-empty string", call)
  }
  as.character(name)
}

# What dbWriteTable() and dbAppendTable() write, checked before any request: the columns as tags,
# fields and time (no tags unless named; the column `time`, if any).
dbi_write_columns <- function(value, tags, row.names, field.types, call) {
  if (!is.data.frame(value)) abort_argument("`value` must be a data frame", call)
  if (!is.null(row.names) && !isFALSE(row.names)) {
    abort_argument("`row.names` must be FALSE or NULL: InfluxDB points have no row names", call)
  }
  if (!is.null(field.types)) abort_argument("`field.types` must be NULL: the types come from the columns", call)
  tags <- if (is.null(tags)) character() else tags
  if (!is.character(tags) || anyNA(tags) || !all(tags %in% names(value))) {
    abort_argument(sprintf("`tags` must name columns of `value`, not %s", format_value(tags)), call)
  }
  time <- if ("time" %in% names(value)) "time"
  fields <- setdiff(names(value), c(tags, time))
  if (length(fields) == 0) abort_argument("`value` has no field column: InfluxDB points need one", call)
  list(tags = tags, time = time, fields = fields)
}

dbi_write <- function(con, name, value, columns) {
  if (nrow(value) == 0) return(0L)
  influx_write(con, value, measurement = name, tags = columns$tags, fields = columns$fields, time = columns$time)
  nrow(value)
}

# The InfluxDB type of each column of obj (or of obj itself) in `language`.
influx_data_type <- function(obj, language) {
  if (is.data.frame(obj)) return(vapply(obj, influx_data_type, "", language = language))
  if (inherits(obj, "AsIs")) class(obj) <- setdiff(class(obj), "AsIs")
  sql <- language == "sql"
  type <- if (inherits(obj, c("POSIXt", "Date"))) "timestamp"
    else if (is.logical(obj)) "boolean"
    else if (inherits(obj, "integer64") || is.integer(obj) && !is.factor(obj)) "integer"
    else if (is.numeric(obj)) "float"
    else if (is.character(obj) || is.factor(obj)) "string"
    else abort_argument(sprintf("no InfluxDB type for %s", class(obj)[1]))
  if (sql) c(timestamp = "TIMESTAMP", boolean = "BOOLEAN", integer = "BIGINT", float = "DOUBLE",
             string = "VARCHAR")[[type]] else type
}
