#' Run a query and get typed data frames
#'
#' Sends InfluxQL (1.x, or the 1.x-compatible endpoint of 2.x) or Flux (2.x,
#' and 1.8+ with Flux enabled) and decodes the answer in C, as it arrives,
#' into data frames.
#'
#' @section InfluxQL:
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
#' `influx_error_readonly` unless the connection is writable, and so is text
#' that cannot be split into statements (an unclosed quote, regular expression
#' or comment, or more than 100,000 statements): what cannot be checked is not
#' sent.
#'
#' @section Flux:
#' The annotated CSV answer becomes ONE data frame: all tables of all results
#' stacked, with the union of their columns (`NA` where a table lacks one).
#' Columns keep their Flux names (`_time`, `_value`, `_field`, tags) and the
#' types of `#datatype`: `double`, `long` (as integers, see `bigint`),
#' `unsignedLong` (like `long` below 2^63, a double with a warning above),
#' `boolean`, `string`, `dateTime` (`POSIXct` in `tz`), `duration` (`difftime`
#' in seconds) and `base64Binary` (a list of raw vectors). `#default` fills
#' empty cells; an empty cell is otherwise `NA`: Flux writes null and the
#' empty string alike, so a string field stored as `""` reads back as `NA`
#' here ([influx_timeseries()], whose queries read stored points only, returns
#' `""`). Where the difference matters, add a column that tells them apart,
#' e.g. `|> map(fn: (r) => ({r with is_null: not exists r._value}))`.
#' When `_value` has different types in different tables (several fields), the
#' column widens: integer to double, and any other mix (a boolean and a number,
#' say) to character, so a boolean never becomes 1 or 0; use `pivot = TRUE` to
#' get one typed column per field instead. The times Flux can hold, from
#' 1677-09-21T00:12:43.145224192Z to 2262-04-11T23:47:16.854775807Z, are all
#' read. The package asks for the `#datatype`, `#group` and `#default`
#' annotations; a table without them raises `influx_error_decode`.
#' An error table in the stream, or an error status, raises
#' `influx_error_query` or `influx_error_http`. Flux that writes (`to()`,
#' `wideTo()`, `http.post()`) is refused on a read-only connection.
#'
#' @param con A connection from [influx_connect()].
#' @param query InfluxQL text.
#' @param database Database to run against (default: the connection's).
#' @param params Named list of parameters, sent as values and never pasted into
#'   the query: strings, numbers, logicals or `POSIXct` times. InfluxQL:
#'   `$name` placeholders in `WHERE` clauses. Flux: `params.name` (2.x, and 1.x from
#'   1.9 on; 1.8's Flux ignores them, so they are refused there).
#' @param tz Time zone of the time columns (default: the connection's).
#' @param bigint What an integer column becomes when one of its values does
#'   not fit R's 32-bit integer: `"integer64"` (exact, needs the bit64 package
#'   to print and compute; without it, doubles are used), `"double"` (warns
#'   when a value is not exactly representable) or `"character"`. Columns whose values all fit are always
#'   plain integers.
#' @param time_ns Add a `time_ns` column with exact nanoseconds since the epoch.
#' @param language `"auto"` (InfluxQL when the text starts with an InfluxQL
#'   keyword such as `SELECT` or `SHOW`, Flux otherwise), `"influxql"` or
#'   `"flux"`.
#' @param pivot Flux only: one column per `_field` (rows matched by result,
#'   series and `_time`, so two `yield()`s never share a row), as Flux's
#'   `pivot()` would return, done while decoding.
#' @param table_columns Flux only: keep the `result` and `table` columns (the
#'   first two of every table). Data columns that are themselves named `result`
#'   or `table` keep their names without it, and are called `result.1` and
#'   `table.1` with it.
#' @param bad_strings What to do with a string (value, tag or column name) that
#'   holds NUL bytes or invalid UTF-8, which InfluxDB stores but an R string
#'   cannot hold: `"repair"` drops the NULs, replaces each invalid sequence by
#'   U+FFFD and warns once per column (class `influx_warning_string_repaired`,
#'   with fields `column`, `first_row` and `count`); `"error"` raises
#'   `influx_error_decode` instead. Default: option
#'   `influxdbtoolkit.bad_strings`, else `"repair"`.
#' @return A data frame, or (InfluxQL) a named list of data frames for several
#'   statements.
#'
#'   The integer -2^63 is the bit pattern of `integer64`'s `NA`: it comes back
#'   as `NA` with a warning of class `influx_warning_int64_min`, and exactly
#'   with `bigint = "character"` or `"double"`.
#' @seealso [influx_errors] for the conditions raised.
#' @export
#' @examplesIf nzchar(Sys.getenv("INFLUXTK_EXAMPLE_URL"))
#' con <- influx_connect(Sys.getenv("INFLUXTK_EXAMPLE_URL"), database = "influxtk_demo")
#' influx_query(con, "SELECT * FROM climate WHERE room = 'office' LIMIT 5")
influx_query <- function(con, query, database = NULL, params = NULL, tz = NULL,
                         bigint = getOption("influxdbtoolkit.bigint", "integer64"),
                         time_ns = FALSE, language = c("auto", "influxql", "flux"),
                         pivot = FALSE, table_columns = FALSE,
                         bad_strings = getOption("influxdbtoolkit.bad_strings", "repair")) {
  call <- sys.call()
  check_open(con, call)
  if (!is.character(query) || length(query) != 1 || is.na(query) || !nzchar(trimws(query))) {
    abort_argument("`query` must be one non-empty string", call)
  }
  if (!is.logical(time_ns) || length(time_ns) != 1 || is.na(time_ns)) abort_argument("`time_ns` must be TRUE or FALSE", call)
  tz <- tz %||% con$tz
  check_tz(tz, call)
  database <- database %||% con$database %||% if (con$generation == "v2") con$bucket
  if (!is.null(database) && (!is.character(database) || length(database) != 1 || is.na(database))) {
    abort_argument("`database` must be one string", call)
  }
  if (time_ns && !requireNamespace("bit64", quietly = TRUE)) {
    abort_argument("`time_ns = TRUE` needs the bit64 package (Debian: r-cran-bit64)", call)
  }
  language <- if (identical(language, c("auto", "influxql", "flux"))) "auto" else check_choice(language, c("auto", "influxql", "flux"), "language", call)
  if (language == "auto") language <- detect_language(query)
  for (flag in c("pivot", "table_columns")) {
    v <- get(flag)
    if (!is.logical(v) || length(v) != 1 || is.na(v)) abort_argument(sprintf("`%s` must be TRUE or FALSE", flag), call)
  }
  frame <- decode_options(tz, bigint, bad_strings, call, time_ns = time_ns, pivot = pivot,
                          table_columns = table_columns)
  if (language == "flux") return(flux_query(con, query, params, frame, call))
  require_capability(con, "influxql", "InfluxQL queries", call)

  statements <- .Call(C_iql_split, query)
  # The splitter gives up (NULL) on an unclosed quote, regular expression or block comment, and
  # above 100,000 statements. What it cannot read it cannot vouch for: refuse it (fail closed).
  readable <- is.list(statements) && is.logical(statements$read_only) && !anyNA(statements$read_only)
  if (!con$writable && !readable) {
    influx_abort(
      "influx_error_readonly",
      paste("refusing InfluxQL that could not be split into statements (an unclosed quote,",
            "regular expression or /* comment, or more than 100,000 statements) on a read-only",
            "connection: nothing was sent"),
      statement = query, call = call
    )
  }
  if (!con$writable && !all(statements$read_only)) {
    bad <- statements$text[!statements$read_only][1]
    influx_abort(
      "influx_error_readonly",
      sprintf("refusing a statement that is not a read (SELECT without INTO, SHOW, EXPLAIN) on a read-only connection; open it with writable = TRUE to change data: %s",
              abbreviate_text(bad)),
      statement = bad, call = call
    )
  }

  # The decoder rejects results for statements that were not sent (0 when the count is unknown).
  frame$statements <- if (is.null(statements)) 0L else length(statements$text)
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
    sink = "v1", frame = frame, call = call
  )
  frames <- v1_frames(res, query, statements, call, frame$bad_strings)
  if (length(frames) == 1L) frames[[1]] else frames
}

# The text starts with an InfluxQL keyword (after comments): InfluxQL; anything else is Flux.
detect_language <- function(query) {
  text <- sub("^(\\s|--[^\n]*(\n|$)|//[^\n]*(\n|$)|/\\*.*?\\*/)*", "", query, perl = TRUE)
  word <- toupper(regmatches(text, regexpr("^[A-Za-z]+", text)))
  influxql <- c("SELECT", "SHOW", "CREATE", "DROP", "DELETE", "ALTER", "GRANT", "REVOKE", "EXPLAIN", "KILL", "SET")
  if (length(word) && word %in% influxql) "influxql" else "flux"
}

# What the decoders are told (the `frame` of C_request): checked once here for every reader.
decode_options <- function(tz, bigint, bad_strings, call, time_ns = FALSE, pivot = FALSE,
                           table_columns = FALSE, value_empty_string = FALSE) {
  bigint <- check_choice(bigint, c("integer64", "double", "character"), "bigint", call)
  # Without bit64, integer64 columns could not be printed or computed on: use doubles, which warn
  # when a value is not exact.
  if (bigint == "integer64" && !requireNamespace("bit64", quietly = TRUE)) bigint <- "double"
  list(tz = tz, bigint = bigint, time_ns = time_ns, pivot = pivot, table_columns = table_columns,
       bad_strings = check_choice(bad_strings, c("repair", "error"), "bad_strings", call),
       value_empty_string = value_empty_string)
}

flux_query <- function(con, query, params, frame, call) {
  require_capability(con, "flux", "Flux queries", call)
  if (!con$writable) {
    at <- .Call(C_flux_write_call, query)
    if (is.na(at) || at > 0L) {
      influx_abort(
        "influx_error_readonly",
        if (is.na(at)) "refusing Flux whose strings could not be read (an unclosed quote?) on a read-only connection"
        else sprintf("refusing Flux that writes data (%s) on a read-only connection; open it with writable = TRUE",
                     abbreviate_text(substr(query, at, at + 40L), 50L)),
        statement = query, call = call
      )
    }
  }
  if (length(params) && !has_capability(con, "flux_params")) {
    abort_unsupported(con, paste0("Flux parameters (1.8's Flux ignores them, 1.9 and later take them",
                                  if (is.na(con$server_version)) "; connect with version = \"auto\" so that the server's version is known", ")"), call)
  }
  org <- NULL
  if (con$generation == "v2") {
    org <- con$org
    if (is.null(org)) abort_config("Flux on InfluxDB 2.x needs the organisation: connect with `org` (or INFLUXDB_ORG)", call)
  }
  body <- paste0(
    '{"query":', .Call(C_json_quote, enc2utf8(query)), ',"type":"flux",',
    '"dialect":{"header":true,"delimiter":",","annotations":["datatype","group","default"],',
    '"commentPrefix":"#","dateTimeFormat":"RFC3339"}',
    if (length(params)) paste0(',"extern":', flux_params_extern(params, call)), "}"
  )
  res <- influx_http(
    con, "POST", con$backend$endpoints$flux, query = c(org = org),
    body = charToRaw(enc2utf8(body)),
    headers = c("Content-Type: application/json", "Accept: application/csv"),
    sink = "flux", frame = frame, call = call
  )
  if (res$decode_status == -1L) {
    influx_abort("influx_error_decode",
                 sprintf("expected annotated CSV from %s, got '%s'", con$backend$endpoints$flux, res$content_type),
                 detail = res$content_type, call = call)
  }
  if (res$decode_status == 1L) {
    influx_abort("influx_error_query", sprintf("the Flux query failed: %s", res$decode_message),
                 server_message = res$decode_message, statement = NA_integer_, query = query, call = call)
  }
  if (res$decode_status != 0L) {
    influx_abort("influx_error_decode", sprintf("the Flux response could not be decoded: %s", res$decode_message),
                 detail = res$decode_message, call = call)
  }
  finish_frame(res$tables[[1]], frame$bad_strings, call)
}

# Parameters as `option params = {...}` in the request's `extern` Flux AST: typed literals, never
# query text. (InfluxDB Cloud's "params" field is not in the open-source servers.)
flux_params_extern <- function(params, call) {
  if (!is.list(params) || is.null(names(params)) || any(!nzchar(names(params))) ||
      any(!grepl("^[A-Za-z_][A-Za-z0-9_]*$", names(params)))) {
    abort_argument("`params` must be a named list whose names are Flux identifiers", call)
  }
  literal <- function(v, name) {
    if (length(v) != 1 || is.na(v)) abort_argument(sprintf("parameter '%s' must be one non-missing value", name), call)
    if (inherits(v, "POSIXt") || inherits(v, "Date")) return(list(type = "DateTimeLiteral", value = format_rfc3339(as.POSIXct(v))))
    if (is.factor(v)) v <- as.character(v)
    if (is.character(v)) return(list(type = "StringLiteral", value = enc2utf8(v)))
    if (is.logical(v)) return(list(type = "BooleanLiteral", value = v))
    if (is.integer(v)) return(list(type = "IntegerLiteral", value = as.character(v)))
    if (is.double(v) && is.finite(v)) return(list(type = "FloatLiteral", value = v))
    abort_argument(sprintf("parameter '%s' must be text, a number, a logical or a time", name), call)
  }
  props <- Map(function(v, name) list(type = "Property", key = list(type = "Identifier", name = name),
                                      value = literal(v, name)), params, names(params))
  to_json(list(type = "File", package = NULL, imports = NULL, body = list(list(
    type = "OptionStatement", assignment = list(
      type = "VariableAssignment", id = list(type = "Identifier", name = "params"),
      init = list(type = "ObjectExpression", properties = unname(props))
    )
  ))))
}

v1_frames <- function(res, query, statements, call, bad_strings = "repair") {
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
  frames <- lapply(res$tables, finish_frame, bad_strings = bad_strings, call = call)
  # Every statement yields at least one result, so fewer means the stream stopped between two.
  if (!is.null(statements) && length(frames) < length(statements$text)) {
    influx_abort("influx_error_decode",
                 sprintf("the response ended after %d of %d statements", length(frames), length(statements$text)),
                 detail = "missing statements", call = call)
  }
  if (!is.null(statements) && length(frames) > length(statements$text)) {
    influx_abort("influx_error_decode",
                 sprintf("the response has results for %d statements, %d were sent", length(frames), length(statements$text)),
                 detail = "extra statements", call = call)
  }
  if (!is.null(statements) && length(statements$text) == length(frames)) {
    names(frames) <- statements$text
  } else {
    names(frames) <- paste0("statement_", seq_along(frames))
  }
  frames
}

finish_frame <- function(df, bad_strings = "repair", call = NULL) {
  inexact <- attr(df, "influx_inexact")
  if (!is.null(inexact)) {
    attr(df, "influx_inexact") <- NULL
    warning(sprintf("column %s: some integers are beyond 2^53 and lost precision as doubles (bigint = \"integer64\" keeps integers below 2^63 exact)",
                    paste0("'", inexact, "'", collapse = ", ")), call. = FALSE)
  }
  int64_min <- attr(df, "influx_int64_min")
  if (!is.null(int64_min)) {
    attr(df, "influx_int64_min") <- NULL
    for (col in int64_min) {
      warning(structure(
        class = c("influx_warning_int64_min", "influx_warning", "warning", "condition"),
        list(message = sprintf("column '%s': the integer -9223372036854775808 (-2^63) is NA in integer64, whose NA it is; use bigint = \"character\" to read it exactly", col),
             call = call, column = col)
      ))
    }
  }
  repaired <- attr(df, "influx_repaired")
  if (!is.null(repaired)) {
    attr(df, "influx_repaired") <- NULL
    for (i in seq_along(repaired$column)) {
      what <- c(if (repaired$name[i]) "its name",
                if (repaired$count[i] > 0L) sprintf("%d value%s (first at row %d)", repaired$count[i],
                                                    if (repaired$count[i] == 1L) "" else "s", repaired$first_row[i]))
      message <- sprintf("column '%s': %s held NUL bytes or invalid UTF-8", repaired$column[i], paste(what, collapse = " and "))
      if (identical(bad_strings, "error")) {
        influx_abort("influx_error_decode", paste0(message, " (bad_strings = \"error\")"),
                     detail = "bad string", column = repaired$column[i], call = call)
      }
      warning(structure(
        class = c("influx_warning_string_repaired", "influx_warning", "warning", "condition"),
        list(message = paste0(message, ": NULs dropped, invalid bytes replaced by U+FFFD"), call = call,
             column = repaired$column[i], name = repaired$name[i],
             first_row = repaired$first_row[i], count = repaired$count[i])
      ))
    }
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
