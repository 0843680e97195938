#' Run a query and get typed data frames
#'
#' Sends InfluxQL to a 1.x server (or to the 1.x-compatible endpoint of a 2.x
#' server) and decodes the answer in C, as it arrives, into data frames:
#'
#' * `time` is `POSIXct` in the time zone `tz` (exact to the microsecond; with
#'   `time_ns = TRUE` an extra `time_ns` column holds the exact nanoseconds as
#'   `bit64::integer64`);
#' * series split by `GROUP BY` are stacked into one data frame, one character
#'   column per tag;
#' * fields keep the type the server stores: float as double, integer as
#'   integer (see `bigint`), string as UTF-8 character, boolean as logical;
#'   null as `NA`;
#' * when one statement returns several measurements, a `measurement` column
#'   says which row came from which;
#' * an empty result is a zero-row data frame (with its columns where the
#'   server names them), never `NULL`.
#'
#' Several statements separated by `;` give a list of data frames named by
#' their statements. A statement that fails raises `influx_error_query` and
#' nothing is returned. Statements that change data (anything but `SELECT`
#' without `INTO`, `SHOW` and `EXPLAIN`) are refused with
#' `influx_error_readonly` unless the connection is writable.
#'
#' @param con A connection from [influx_connect()].
#' @param query InfluxQL text.
#' @param database Database to run against (default: the connection's).
#' @param params Named list of bind parameters for `$name` placeholders in
#'   `WHERE` clauses: strings, numbers, logicals or `POSIXct` times.
#' @param tz Time zone of the time columns (default: the connection's).
#' @param bigint What an integer column becomes when one of its values does
#'   not fit R's 32-bit integer: `"integer64"` (exact, needs the bit64 package
#'   to print and compute), `"double"` (warns when a value is not exactly
#'   representable) or `"character"`. Columns whose values all fit are always
#'   plain integers.
#' @param time_ns Add a `time_ns` column with exact nanoseconds since the epoch.
#' @return A data frame, or a named list of data frames for several statements.
#' @seealso [influx_errors] for the conditions raised.
#' @export
#' @examplesIf nzchar(Sys.getenv("INFLUXTK_EXAMPLE_URL"))
#' con <- influx_connect(Sys.getenv("INFLUXTK_EXAMPLE_URL"), database = "influxtk_demo")
#' influx_query(con, "SELECT * FROM climate WHERE room = 'office' LIMIT 5")
influx_query <- function(con, query, database = NULL, params = NULL, tz = NULL,
                         bigint = getOption("influxdbtoolkit.bigint", "integer64"),
                         time_ns = FALSE) {
  call <- sys.call()
  check_open(con, call)
  if (!is.character(query) || length(query) != 1 || is.na(query) || !nzchar(trimws(query))) {
    abort_argument("`query` must be one non-empty string", call)
  }
  bigint <- check_choice(bigint, c("integer64", "double", "character"), "bigint", call)
  if (!is.logical(time_ns) || length(time_ns) != 1 || is.na(time_ns)) abort_argument("`time_ns` must be TRUE or FALSE", call)
  tz <- tz %||% con$tz
  check_tz(tz, call)
  database <- database %||% con$database %||% if (con$generation == "v2") con$bucket
  if (!is.null(database) && (!is.character(database) || length(database) != 1 || is.na(database))) {
    abort_argument("`database` must be one string", call)
  }
  require_capability(con, "influxql", "InfluxQL queries", call)
  if ((bigint == "integer64" || time_ns) && !requireNamespace("bit64", quietly = TRUE)) {
    abort_argument("integer64 results need the bit64 package (Debian: r-cran-bit64); or use bigint = \"double\"", call)
  }

  statements <- .Call(C_iql_split, query)
  if (!con$writable && !is.null(statements) && !all(statements$read_only)) {
    bad <- statements$text[!statements$read_only][1]
    influx_abort(
      "influx_error_readonly",
      sprintf("refusing a statement that is not a read (SELECT without INTO, SHOW, EXPLAIN) on a read-only connection; open it with writable = TRUE to change data: %s",
              abbreviate_text(bad)),
      statement = bad, call = call
    )
  }

  url_params <- c(
    db = database,
    chunked = "true",
    chunk_size = as.character(as.integer(getOption("influxdbtoolkit.chunk_size", 10000L))),
    params = if (length(params)) encode_params(params, call)
  )
  # A read-only connection reads with GET, as HTTP means it; 1.x still executes (with a
  # deprecation notice) changes sent over GET, so the statement check above is the guard.
  use_get <- !con$writable && nchar(query, "bytes") < 16384L
  res <- influx_http(
    con, if (use_get) "GET" else "POST", con$backend$endpoints$query,
    query = if (use_get) c(url_params, q = query) else url_params,
    body = if (use_get) NULL else c(q = query),
    headers = "Accept: application/x-msgpack",
    sink = "v1", frame = list(tz = tz, bigint = bigint, time_ns = time_ns), call = call
  )
  frames <- v1_frames(res, query, statements, call)
  if (length(frames) == 1L) frames[[1]] else frames
}

v1_frames <- function(res, query, statements, call) {
  if (res$decode_status == -1L) {
    influx_abort("influx_error_decode",
                 sprintf("expected a MessagePack response from /query, got '%s'", res$content_type),
                 detail = res$content_type, call = call)
  }
  if (res$decode_status == 1L) {
    stmt <- res$decode_statement
    text <- if (!is.null(statements) && stmt >= 0L && stmt < length(statements$text)) statements$text[stmt + 1L]
    influx_abort(
      "influx_error_query",
      sprintf("InfluxDB could not run %s: %s",
              if (!is.null(text)) sprintf("statement %d (%s)", stmt + 1L, abbreviate_text(text))
              else if (stmt >= 0L) sprintf("statement %d", stmt + 1L) else "the query",
              res$decode_message),
      server_message = res$decode_message, statement = if (stmt >= 0L) stmt + 1L else NA_integer_,
      query = query, call = call
    )
  }
  if (res$decode_status != 0L) {
    influx_abort("influx_error_decode",
                 sprintf("the /query response could not be decoded: %s", res$decode_message),
                 detail = res$decode_message, call = call)
  }
  if (!is.na(res$notices %||% NA)) emit_notices(res$notices)
  frames <- lapply(res$tables, finish_frame)
  # Every statement yields at least one result, so fewer means the stream stopped between two.
  if (!is.null(statements) && length(frames) < length(statements$text)) {
    influx_abort("influx_error_decode",
                 sprintf("the response ended after %d of %d statements", length(frames), length(statements$text)),
                 detail = "missing statements", call = call)
  }
  if (!is.null(statements) && length(statements$text) == length(frames)) {
    names(frames) <- statements$text
  } else {
    names(frames) <- paste0("statement_", seq_along(frames))
  }
  frames
}

finish_frame <- function(df) {
  inexact <- attr(df, "influx_inexact")
  if (!is.null(inexact)) {
    attr(df, "influx_inexact") <- NULL
    warning(sprintf("column %s: some integers are beyond 2^53 and lost precision as doubles; use bigint = \"integer64\"",
                    paste0("'", inexact, "'", collapse = ", ")), call. = FALSE)
  }
  df
}

emit_notices <- function(notices) {
  lines <- strsplit(notices, "\n", fixed = TRUE)[[1]]
  for (line in lines[nzchar(lines)]) {
    parts <- strsplit(line, "\t", fixed = TRUE)[[1]]
    warning(structure(
      class = c("influx_server_notice", "warning", "condition"),
      list(message = sprintf("InfluxDB %s: %s", parts[1], paste(parts[-1], collapse = " ")), call = NULL)
    ))
  }
}

encode_params <- function(params, call) {
  if (!is.list(params) || is.null(names(params)) || any(!nzchar(names(params)))) {
    abort_argument("`params` must be a named list", call)
  }
  params <- lapply(params, function(v) {
    if (inherits(v, "POSIXt")) return(format_rfc3339(v))
    if (inherits(v, "Date")) return(format(v, "%Y-%m-%dT00:00:00Z"))
    if (is.factor(v)) return(as.character(v))
    v
  })
  tryCatch(.Call(C_json_encode_object, params), error = function(e) abort_argument(conditionMessage(e), call))
}

format_rfc3339 <- function(x) {
  x <- as.POSIXct(x)
  secs <- unclass(x)
  whole <- floor(secs)
  micro <- round((secs - whole) * 1e6)
  whole <- whole + (micro >= 1e6)
  micro <- micro %% 1e6
  paste0(format(.POSIXct(whole, tz = "UTC"), "%Y-%m-%dT%H:%M:%S", tz = "UTC"),
         ifelse(micro > 0, sprintf(".%06d", as.integer(micro)), ""), "Z")
}

check_choice <- function(x, choices, what, call) {
  if (!is.character(x) || length(x) != 1 || !(x %in% choices)) {
    abort_argument(sprintf("`%s` must be one of %s, not %s", what,
                           paste0('"', choices, '"', collapse = ", "), format_value(x)), call)
  }
  x
}

abbreviate_text <- function(x, n = 120L) {
  x <- gsub("\\s+", " ", x)
  if (nchar(x) > n) paste0(substr(x, 1, n - 3L), "...") else x
}
