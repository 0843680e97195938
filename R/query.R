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
#' @section InfluxDB 3:
#' SQL (the default) goes to `/api/v3/query_sql`, InfluxQL to
#' `/api/v3/query_influxql`, both answered in JSON lines and decoded in C as
#' they arrive into ONE data frame, typed as above (uint64 as on 2.x; a column
#' null in every row is left out by the server: for `SELECT * FROM <table>` the
#' package asks `information_schema.columns` and keeps it, typed). `params`
#' bind `$name` placeholders. InfluxQL answers have the 1.x shape (a
#' `measurement` column only for several measurements, `SHOW DATABASES` as
#' `name`); several InfluxQL statements are sent one by one and give a list.
#' 3.x plans SQL without DDL, DML or `SET`, so SQL cannot change data there.
#' A failed query raises `influx_error_query` with the server's message (and
#' the `influx_error_http_*` classes); SQL that looks like InfluxQL
#' (`GROUP BY time(...)`, `fill()`, `SHOW`, ...) says to use
#' `language = "influxql"`. 3.x Core refuses a query over more Parquet files
#' than its limit (432 by default, about 72 hours of data): that is an
#' `influx_error_file_limit` (also an `influx_error_query`) whose message
#' suggests a shorter range or [influx_timeseries()], which splits long ranges.
#'
#' @section Several queries:
#' A character vector of query texts, or one text with `params` as a list of
#' parameter sets (named lists; the same report over several ranges), gives a
#' list with one result per query, in order, named by the names of `query` (or
#' of `params`). Up to `concurrency` of them are in flight at once (libcurl
#' multi) and each result is what that query alone returns; the first query
#' that fails, in order, raises its own error and nothing is returned. Texts
#' that change data (and, on 3.x, InfluxQL texts of several statements) are
#' run one after another, in order, as queries that depend on each other must
#' be. `language = "auto"` is decided for each text.
#'
#' @param con A connection from [influx_connect()].
#' @param query Query text (InfluxQL, Flux or SQL), or several (see "Several
#'   queries").
#' @inheritParams influx_target
#' @param params Named list of parameters, sent as values and never pasted into
#'   the query: strings, numbers, logicals or `POSIXct` times (or a list of
#'   such lists, one per query: see "Several queries"). InfluxQL:
#'   `$name` placeholders in `WHERE` clauses. Flux: `params.name` (2.x, and 1.x from
#'   1.9 on; 1.8's Flux ignores them, so they are refused there).
#' @param tz Time zone of the time columns (default: the connection's).
#' @param bigint What an integer column becomes when one of its values does
#'   not fit R's 32-bit integer: `"integer64"` (exact, needs the bit64 package
#'   to print and compute; without it, doubles are used), `"double"` (warns
#'   when a value is not exactly representable) or `"character"`. Columns whose values all fit are always
#'   plain integers.
#' @param time_ns Add a `time_ns` column with exact nanoseconds since the epoch.
#' @param language `"auto"` (the server's choice: on 1.x and 2.x InfluxQL
#'   when the text starts with an InfluxQL keyword such as `SELECT` or `SHOW`,
#'   Flux otherwise; on 3.x SQL, or the connection's `query_language`), or a
#'   language of the server: `"influxql"`, `"flux"` or (3.x) `"sql"`.
#'   A language the server does not speak raises `influx_error_unsupported`.
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
#' @param units `FALSE`; `TRUE` for numeric columns as [units][units::units]
#'   objects where the unit is known (from the column's name, a `_field`,
#'   `measurement` or tag column, the measurement of a single `FROM`, or the
#'   connection's mapping), or a mapping such as `c(value = "degC")` that comes
#'   first; see [influx_units()].
#' @param concurrency For several queries (see "Several queries"): how many
#'   are in flight at once (1 to 64; 1 runs them one after another). Default:
#'   option `influxdbtoolkit.concurrency`, else 4.
#' @return A data frame, or (InfluxQL) a named list of data frames for several
#'   statements. For several queries, a list with one such result per query,
#'   in the order asked.
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
                         time_ns = FALSE, language = "auto",
                         pivot = FALSE, table_columns = FALSE,
                         bad_strings = getOption("influxdbtoolkit.bad_strings", "repair"),
                         units = FALSE, concurrency = getOption("influxdbtoolkit.concurrency", 4L)) {
  call <- sys.call()
  check_open(con, call)
  unit_maps <- units_request(units, con, call)
  if (!is.character(query) || length(query) == 0 || anyNA(query) || any(!nzchar(trimws(query)))) {
    abort_argument("`query` must be one or more non-empty strings", call)
  }
  concurrency <- check_concurrency(concurrency, call)
  several <- length(query) > 1 || params_per_query(params)
  if (!is.logical(time_ns) || length(time_ns) != 1 || is.na(time_ns)) abort_argument("`time_ns` must be TRUE or FALSE", call)
  tz <- tz %||% con$tz
  check_tz(tz, call)
  target <- influx_target(con, database, call, required = FALSE)
  if (time_ns && !requireNamespace("bit64", quietly = TRUE)) {
    abort_argument("`time_ns = TRUE` needs the bit64 package (Debian: r-cran-bit64)", call)
  }
  language <- check_language(con, language, call)
  for (flag in c("pivot", "table_columns")) {
    v <- get(flag)
    if (!is.logical(v) || length(v) != 1 || is.na(v)) abort_argument(sprintf("`%s` must be TRUE or FALSE", flag), call)
  }
  frame <- decode_options(tz, bigint, bad_strings, call, time_ns = time_ns, pivot = pivot,
                          table_columns = table_columns)
  result_units <- function(out, query) {
    if (is.null(unit_maps)) return(out)
    with_units <- function(df, text) apply_units(df, unit_maps, unit_context(df, measurement = query_measurement(text)), call)
    if (is.data.frame(out)) return(with_units(out, query))
    # several statements, named by their text: each has its own FROM
    stats::setNames(Map(with_units, out, names(out)), names(out))
  }
  language_of <- function(text) if (language == "auto") default_query_language(con, text) else language
  if (!several) return(result_units(run_query(con, query, language_of(query), target, params, frame, call), query))

  jobs <- several_queries(query, params, call)
  exchanges <- Map(function(text, p) query_exchange(con, text, language_of(text), target, p, frame, call),
                   jobs$query, jobs$params)
  if (any(vapply(exchanges, is.null, NA)) || any(vapply(exchanges, function(ex) isTRUE(ex$changes), NA))) {
    # A text that is not one request, or that changes data, runs in order, each after the last.
    out <- Map(function(text, p) run_query(con, text, language_of(text), target, p, frame, call), jobs$query, jobs$params)
  } else {
    out <- exchanges_run(con, exchanges, concurrency, call)
  }
  out <- Map(result_units, out, jobs$query)
  names(out) <- jobs$names
  out
}

# `params` of influx_query() as one set per query: a list of named lists (a parameter itself is
# never a list).
params_per_query <- function(params) {
  is.list(params) && length(params) > 0 && all(vapply(params, is.list, NA))
}

# The texts and parameter sets of influx_query() over several queries, recycled to one length,
# with the names of the result (those of `query`, else of `params`, else none).
several_queries <- function(query, params, call) {
  sets <- if (params_per_query(params)) params else list(params)
  n <- max(length(query), length(sets))
  if (!length(query) %in% c(1L, n) || !length(sets) %in% c(1L, n)) {
    abort_argument(sprintf("%d query texts and %d parameter sets: give one of either, or as many of each", length(query), length(sets)), call)
  }
  nm <- names(query) %||% names(sets)
  list(query = rep_len(unname(query), n), params = rep_len(sets, n), names = if (!is.null(nm)) rep_len(nm, n))
}

# `language` of influx_query() and influx_timeseries(): "auto", or a language of the connection's
# server. A language no generation knows is a mistake (influx_error_argument); one that another
# generation speaks is influx_error_unsupported here.
check_language <- function(con, language, call) {
  known <- unique(c("auto", unlist(lapply(generation_prototypes(), query_languages), use.names = FALSE),
                    query_languages(con)))
  language <- check_choice(language, known, "language", call)
  if (language != "auto" && !language %in% query_languages(con)) {
    abort_unsupported(con, sprintf("queries in %s", language), call)
  }
  language
}

# The decoding of queries the package writes itself (exploration, time series): influx_query()'s
# defaults.
default_decoding <- function(tz, call, ...) {
  decode_options(tz, getOption("influxdbtoolkit.bigint", "integer64"),
                 getOption("influxdbtoolkit.bad_strings", "repair"), call, ...)
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
