#' Conditions raised by influxdbtoolkit
#'
#' Every error inherits from `influx_error` and `error`, and carries the fields
#' named below next to `message` and `call`, so a report can react to the kind
#' of failure:
#'
#' * `influx_error_http` and `influx_error_http_<status>` (for example
#'   `influx_error_http_401`, `influx_error_http_404`), plus
#'   `influx_error_http_5xx` for server errors: the server answered with an
#'   HTTP error. Fields: `status`, `server_message`, `method`, `path`,
#'   `retry_after`, and for a redirect (which is not followed) `location`.
#' * `influx_error_query`: a statement failed although the request as a whole
#'   succeeded (HTTP 200). Fields: `server_message`, `statement` (1-based),
#'   `query`.
#' * `influx_error_file_limit` (an `influx_error_query`): InfluxDB 3 Core
#'   refused a query that would read more Parquet files than its limit.
#' * `influx_error_transport`, with `influx_error_timeout`,
#'   `influx_error_connection_refused`, `influx_error_dns` or `influx_error_tls`:
#'   no HTTP answer. Fields: `curl_code`, `url`. A timeout also has the class
#'   of the limit that expired, `influx_error_timeout_connect`,
#'   `influx_error_timeout_first_byte`, `influx_error_timeout_stall` or
#'   `influx_error_timeout_total`, and the fields `limit` and `seconds` (see
#'   [influx_connect()], "Time limits").
#' * `influx_error_busy`: the connection was used or closed by R code that
#'   ran while one of its own requests was under way (an event callback, for
#'   example); the request itself goes on.
#' * `influx_error_decode`: the response was malformed or cut short; no partial
#'   result is returned. Field: `detail`.
#' * `influx_error_readonly`: a statement that changes data was refused on a
#'   connection not opened with `writable = TRUE`; nothing was sent.
#' * `influx_error_copy`: [influx_copy()] stopped at a chunk (with the classes
#'   of the underlying error). Fields: `measurement`, `chunk_start`,
#'   `chunk_end`, `parent`, and `result`, the progress to pass as `resume`.
#'   `influx_error_copy_mismatch` (an `influx_error_copy`): the destination
#'   holds another number of values than the source after a chunk. Fields
#'   also: `field`, `source_count`, `destination_count`.
#' * `influx_error_unsupported`: the server generation cannot do the operation.
#'   Fields: `version`, `operation`.
#' * `influx_error_config`: settings are missing or invalid.
#' * `influx_error_argument`: an argument has the wrong type or value.
#' * `influx_error_units` (an `influx_error_argument`): a unit mapping names a
#'   unit the units package does not know. Field: `unit`.
#' * `influx_error_dependency`: a feature asked for needs a package that is
#'   not installed (`units = TRUE` without the units package). Field:
#'   `package`.
#'
#' A request stopped with Ctrl-C (or Esc) signals `influx_interrupt`, which
#' inherits from `interrupt`, not from `error`.
#'
#' @name influx_errors
#' @examples
#' con <- influx_connect("http://127.0.0.1:9", version = "v1")
#' res <- tryCatch(influx_ping(con), influx_error_transport = function(e) class(e))
#' res
NULL

influx_abort <- function(classes, message, ..., call = NULL) {
  stop(influx_condition(classes, message, ..., call = call))
}

# The condition influx_abort() raises, as an object (influx_http_many() returns them).
influx_condition <- function(classes, message, ..., call = NULL) {
  structure(
    class = unique(c(classes, "influx_error", "error", "condition")),
    list(message = message, call = call, ...)
  )
}

abort_argument <- function(message, call = NULL) {
  influx_abort("influx_error_argument", message, call = call)
}

abort_config <- function(message, call = NULL) {
  influx_abort("influx_error_config", message, call = call)
}

abort_unsupported <- function(con, operation, call = NULL) {
  version <- if (is.na(con$server_version %||% NA)) con$generation else con$server_version
  influx_abort(
    "influx_error_unsupported",
    sprintf("%s: not supported by %s (server version %s)", operation, backend_label(con), version),
    version = version, operation = operation, call = call
  )
}

signal_interrupt <- function(call = NULL) {
  cond <- structure(
    class = c("influx_interrupt", "interrupt", "condition"),
    list(message = "the InfluxDB request was interrupted; nothing was returned", call = call)
  )
  stop(cond)
}

http_status_text <- function(status) {
  texts <- c(
    "400" = "Bad Request", "401" = "Unauthorized", "403" = "Forbidden", "404" = "Not Found",
    "405" = "Method Not Allowed", "408" = "Request Timeout", "413" = "Payload Too Large",
    "422" = "Unprocessable Entity", "429" = "Too Many Requests",
    "500" = "Internal Server Error", "502" = "Bad Gateway", "503" = "Service Unavailable",
    "504" = "Gateway Timeout"
  )
  text <- texts[as.character(status)]
  if (is.na(text)) "" else unname(text)
}

http_error_classes <- function(status) {
  c(
    paste0("influx_error_http_", status),
    if (status >= 500) "influx_error_http_5xx",
    if (status >= 400 && status < 500) "influx_error_http_4xx",
    "influx_error_http"
  )
}

transport_error_class <- function(curl_code) {
  # libcurl's CURLcode values: these are stable across versions.
  switch(as.character(curl_code),
    "6" = "influx_error_dns",
    "5" = "influx_error_dns",
    "7" = "influx_error_connection_refused",
    "28" = "influx_error_timeout",
    "35" = , "51" = , "53" = , "54" = , "58" = , "59" = , "60" = , "64" = , "66" = , "77" = ,
    "80" = , "82" = , "83" = , "90" = , "91" = "influx_error_tls",
    NULL
  )
}
