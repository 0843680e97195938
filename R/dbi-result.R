# DBI results: dbSendQuery() runs the query at once (so a wrong one fails there, as DBI asks),
# decoding only its first rows; dbFetch() hands out rows from what was decoded and re-runs the
# query for more, skipping the rows already handed out. The C reader stops each transfer once the
# decoder holds the rows asked for (row_limit of C_request): a report printing ten rows of a huge
# result never waits for the rest of it.

#' DBI results of InfluxDB queries
#'
#' `dbSendQuery()` sends the query and decodes its first rows (option
#' `influxdbtoolkit.dbi_prefetch`, default 1000), stopping the transfer there:
#' an invalid query fails at once, and [DBI::dbColumnInfo()] knows the
#' columns. `dbFetch(res, n)` returns the next `n` rows. Rows already decoded
#' are handed out first; when more are needed, the query is run again with a
#' limit of the rows handed out so far plus `n` plus one (at least twice the
#' limit of the run before, so that reading a result in small pieces sends it
#' a logarithmic number of times, not once per piece), and the rows already
#' handed out are skipped. The transfer stops as soon as the decoder holds that
#' many rows, for InfluxQL (1.x chunked MessagePack, whole chunks of
#' `influxdbtoolkit.chunk_size` rows), Flux (2.x annotated CSV, except with
#' `pivot`) and 3.x (JSON lines) alike. Rows are therefore expected in the same
#' order each time the query runs: InfluxQL and Flux give the same data in the
#' same order (series, then time), but SQL on 3.x promises an order only with
#' `ORDER BY`, so a 3.x SQL query read in pieces needs one (for example
#' `ORDER BY time`); a query read whole by [DBI::dbGetQuery()] or one
#' `dbFetch()` of the first rows does not. Points written meanwhile can shift
#' the rows of any generation.
#'
#' The extra row makes `dbHasCompleted()` exact: it is `TRUE` once every row
#' has been fetched (and at once for a result without rows).
#' `dbGetRowCount()` is the number of rows fetched so far;
#' `dbGetRowsAffected()` is `NA` for queries and, for statements, what
#' [influx()] describes. `dbColumnInfo()` gives the names and R classes of the
#' columns.
#'
#' @slot state An environment: the connection, the statement and what has been
#'   decoded and fetched.
#' @param res,dbObj,object An `InfluxResult`.
#' @param n Rows to fetch: `-1` or `Inf` for all that remain.
#' @param ... Ignored.
#' @return `dbFetch()`: a data frame. See [DBI::dbFetch()] and the other DBI
#'   generics for the rest.
#' @seealso [influx()]
#' @name InfluxResult-class
#' @export
#' @examples
#' con <- influx_connect("http://127.0.0.1:9", version = "v1", database = "db")
#' # No server listens on port 9: dbSendQuery() runs the query at once.
#' tryCatch(DBI::dbSendQuery(con, "SELECT * FROM climate"),
#'          influx_error_transport = function(e) class(e)[1])
setClass("InfluxResult", contains = "DBIResult", slots = c(state = "environment"))

new_result <- function(con, statement, params, is_query) {
  state <- new.env(parent = emptyenv())
  state$con <- con
  state$statement <- statement
  state$params <- params
  state$is_query <- is_query
  state$buffer <- NULL        # decoded rows not handed out yet
  state$fetched <- 0          # rows handed out
  state$limit <- NULL         # the row limit of the last run
  state$complete <- !is_query # the buffer holds every row not handed out yet
  state$rows_affected <- NA_real_
  state$cleared <- FALSE
  new("InfluxResult", state = state)
}

#' @rdname influx
#' @export
setMethod("dbSendQuery", c("influx_connection", "character"), function(conn, statement, ..., params = NULL) {
  call <- sys.call()
  res <- new_result(conn, statement, params, TRUE)
  prefetch <- getOption("influxdbtoolkit.dbi_prefetch", 1000)
  result_refill(res@state, check_fetch_n(prefetch, call), call)
  res
})

#' @rdname influx
#' @export
setMethod("dbSendStatement", c("influx_connection", "character"), function(conn, statement, ..., params = NULL) {
  call <- sys.call()
  check_open(conn, call)
  if (!conn$writable) {
    influx_abort("influx_error_readonly",
                 "dbExecute()/dbSendStatement() change data: refused on a read-only connection; connect with writable = TRUE (nothing was sent)",
                 statement = as.character(statement)[1], call = call)
  }
  res <- new_result(conn, statement, params, FALSE)
  out <- dbi_run(conn, statement, params, NULL, call)
  # SELECT ... INTO answers with the points written; nothing else says how many rows it touched.
  res@state$rows_affected <- if ("written" %in% names(out)) sum(as.numeric(out$written)) else 0
  res
})

# Decodes rows up to fetched + n + 1 (all for n = Inf), and at least twice as many as the run
# before, and keeps those not handed out yet: each run sends the result again from its first row,
# so a result read in pieces costs O(rows) sent rather than O(rows^2).
result_refill <- function(state, n, call) {
  limit <- if (is.finite(n)) max(state$fetched + n + 1, 2 * (state$limit %||% 0)) else NULL
  state$limit <- limit
  df <- dbi_run(state$con, state$statement, state$params, limit, call)
  state$complete <- is.null(limit) || nrow(df) < limit
  state$buffer <- df[setdiff(seq_len(nrow(df)), seq_len(state$fetched)), , drop = FALSE]
  row.names(state$buffer) <- NULL
  invisible(state)
}

check_result <- function(res, call) {
  if (res@state$cleared) abort_argument("the result has been cleared with dbClearResult()", call)
}

#' @rdname InfluxResult-class
#' @export
setMethod("dbFetch", "InfluxResult", function(res, n = -1, ...) {
  call <- sys.call()
  check_result(res, call)
  n <- check_fetch_n(n, call)
  state <- res@state
  if (!state$is_query) {
    warning("dbFetch() on the result of a statement (dbSendStatement()): it has no rows", call. = FALSE)
    return(data.frame())
  }
  if (!state$complete && nrow(state$buffer) < n + 1) result_refill(state, n, call)
  take <- min(n, nrow(state$buffer))
  out <- state$buffer[seq_len(take), , drop = FALSE]
  state$buffer <- state$buffer[setdiff(seq_len(nrow(state$buffer)), seq_len(take)), , drop = FALSE]
  row.names(out) <- NULL
  row.names(state$buffer) <- NULL
  state$fetched <- state$fetched + take
  out
})

#' @rdname InfluxResult-class
#' @export
setMethod("dbClearResult", "InfluxResult", function(res, ...) {
  if (res@state$cleared) {
    warning("the result has already been cleared", call. = FALSE)
    return(invisible(TRUE))
  }
  res@state$cleared <- TRUE
  res@state$buffer <- NULL
  invisible(TRUE)
})

#' @rdname InfluxResult-class
#' @export
setMethod("dbHasCompleted", "InfluxResult", function(res, ...) {
  check_result(res, sys.call())
  !res@state$is_query || (res@state$complete && nrow(res@state$buffer) == 0)
})

#' @rdname InfluxResult-class
#' @export
setMethod("dbIsValid", "InfluxResult", function(dbObj, ...) !dbObj@state$cleared)

#' @rdname InfluxResult-class
#' @export
setMethod("dbGetRowCount", "InfluxResult", function(res, ...) {
  check_result(res, sys.call())
  res@state$fetched
})

#' @rdname InfluxResult-class
#' @export
setMethod("dbGetRowsAffected", "InfluxResult", function(res, ...) {
  check_result(res, sys.call())
  res@state$rows_affected
})

#' @rdname InfluxResult-class
#' @export
setMethod("dbGetStatement", "InfluxResult", function(res, ...) {
  check_result(res, sys.call())
  as.character(res@state$statement)
})

#' @rdname InfluxResult-class
#' @export
setMethod("dbColumnInfo", "InfluxResult", function(res, ...) {
  check_result(res, sys.call())
  df <- res@state$buffer %||% data.frame()
  data.frame(name = names(df), type = vapply(df, function(col) class(col)[1], ""),
             stringsAsFactors = FALSE, row.names = NULL)
})

#' @rdname InfluxResult-class
#' @export
setMethod("show", "InfluxResult", function(object) {
  state <- object@state
  cat(sprintf("<InfluxResult> %s\n  %s%s\n", abbreviate_text(as.character(state$statement), 70L),
              if (state$cleared) "cleared" else sprintf("%g rows fetched", state$fetched),
              if (!state$cleared && state$is_query && state$complete && nrow(state$buffer) == 0) ", completed" else ""))
  invisible(object)
})
