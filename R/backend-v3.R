# InfluxDB 3 (Core and Enterprise): SQL and InfluxQL over /api/v3/query_sql and
# /api/v3/query_influxql, answered in JSON lines (format=jsonl) and decoded in C as they arrive;
# writes to /api/v3/write_lp; databases under /api/v3/configure. A database holds tables
# (measurements) whose tags and fields are columns; retention is per database. No Flux, no
# deletes by time range, no users, grants or retention policies. Authorization is a bearer token
# (a user name and password, as older scripts pass them, give the password as the token). Every
# method for influx_v3_connection is here (the generics are listed in backend.R).

#' @export
backend_label.influx_v3_connection <- function(con) "InfluxDB 3.x"

# 3.x documents "Authorization: Bearer <token>" (it also takes "Token" and Basic with the token
# as password, which the version probe may have used): one handle with the bearer token.
#' @export
finish_connect.influx_v3_connection <- function(con, handle_opts, call) {
  token <- handle_opts$token %||% handle_opts$password
  if (is.null(token)) return(con)
  .Call(C_handle_close, con$handle)
  con$handle <- .Call(C_handle_new, utils::modifyList(handle_opts, list(
    token = token, username = NULL, password = NULL, auth_scheme = "Bearer")))
  con$auth <- "token"
  con
}

#' @export
query_languages.influx_v3_connection <- function(con) c("sql", "influxql")

# The text cannot tell SQL from InfluxQL (both start with SELECT): SQL unless the connection says
# otherwise (query_language = "influxql", for InfluxQL reports moved to 3.x).
#' @export
default_query_language.influx_v3_connection <- function(con, query) con$query_language %||% "sql"

# SQL on 3.x can only read: the server refuses DDL, DML and SET (DataFusion's SQLOptions), so a
# read-only connection needs no check of its own. InfluxQL is checked as on 1.x, and as 3.x takes
# one statement per request, several statements are sent one by one (a list, as on 1.x).
#' @export
run_query.influx_v3_connection <- function(con, query, language, target, params, frame, call) {
  if (language == "sql") return(exchange_once(con, query_exchange(con, query, language, target, params, frame, call), call))
  statements <- influxql_statements(con, query, call)
  texts <- if (is.list(statements) && length(statements$text)) statements$text else query
  frame$measurement <- TRUE
  frames <- lapply(texts, function(text) exchange_once(con, v3_influxql_exchange(con, text, target, params, frame, call), call))
  if (length(frames) == 1L) return(frames[[1]])
  stats::setNames(frames, texts)
}

# SQL, or InfluxQL of one statement, as one exchange; several InfluxQL statements are sent one by
# one (NULL).
#' @export
query_exchange.influx_v3_connection <- function(con, query, language, target, params, frame, call) {
  if (language == "sql") {
    if (is.null(target)) abort_argument("SQL on InfluxDB 3 runs in a database: pass `database` or connect with one", call)
    return(v3_exchange(con, "sql", query, target, params, v3_star_hints(con, "sql", query, target, frame, call), call))
  }
  statements <- influxql_statements(con, query, call)
  if (is.list(statements) && length(statements$text) > 1L) return(NULL)
  frame$measurement <- TRUE
  text <- if (is.list(statements) && length(statements$text)) statements$text else query
  ex <- v3_influxql_exchange(con, text, target, params, frame, call)
  ex$changes <- !(is.list(statements) && isTRUE(all(statements$read_only)))
  ex
}

# One InfluxQL statement in the 1.x shape (see v3_influxql_shape()).
v3_influxql_exchange <- function(con, text, target, params, frame, call) {
  ex <- v3_exchange(con, "influxql", text, target, params, v3_star_hints(con, "influxql", text, target, frame, call), call)
  answer <- ex$answer
  ex$answer <- function(res) v3_influxql_shape(answer(res), text)
  ex
}

#' @export
series_language.influx_v3_connection <- function(con, language, call) {
  if (language == "influxql") {
    # 3.x's InfluxQL has GROUP BY time() and tz(), but its fills (date_bin_gapfill) and window
    # placement around clock changes are not what the SQL dialect has been checked against.
    abort_unsupported(con, "time series through InfluxQL (on 3.x they are read through SQL, the dialect checked against 1.x's windows; use language = \"sql\")", call)
  }
  "sql"
}

# The SQL dialect (dialect_sql.c) in chunks of at most getOption("influxdbtoolkit.v3_chunk_hours",
# 70) hours cut at window boundaries: 3.x Core refuses a query over more than 432 Parquet files,
# 72 hours of 10-minute files with its defaults, and a range that does not start on a file
# boundary touches one file more. A chunk refused all the same is halved until it passes or is
# one window. Names the table lacks are answered as 1.x and 2.x answer them, without a query.
#' @export
read_series.influx_v3_connection <- function(con, series, call) {
  s <- series
  empty <- bind_frames(list(), c("time", s$group_by, s$fields), s$tz, text_columns = s$group_by)
  attr(empty, "queries") <- character()
  schema <- v3_columns(con, s$target, s$measurement, call)
  tags <- names(schema)[schema == "tag"]
  present <- intersect(s$fields, names(schema)[!schema %in% c("tag", "timestamp")])
  # A filter on a tag the table lacks matches nothing (the empty value aside, which 1.x matches too).
  if (length(present) == 0 || any(!names(s$where) %in% tags & !vapply(s$where, function(v) "" %in% v, NA))) return(empty)
  s$fields <- present
  s$group_by <- intersect(s$group_by, tags)
  s$where <- s$where[names(s$where) %in% tags]
  frame <- default_decoding(s$tz, call)
  types <- c(time = "timestamp", stats::setNames(rep("string", length(s$group_by)), s$group_by),
             vapply(present, function(f) v3_result_type(schema[[f]], s$aggregate), ""))
  frame$types <- types
  frame$columns <- names(types)
  fetch <- function(text) v3_exchange(con, "sql", text, s$target, NULL, frame, call)
  # the points of a window too long for one request (see v3_window_from_points())
  points_frame <- frame
  points_frame$types[present] <- schema[present]
  s$fetch_points <- function(text) v3_exchange(con, "sql", text, s$target, NULL, points_frame, call)
  out <- series_by_chunks(con, s, fetch, call, chunks = v3_chunks(s), rescue = function(from, to, e) {
    if (!inherits(e, "influx_error_file_limit")) stop(e)
    v3_split_range(con, s, from, to, fetch, e, call)
  })
  # A field or tag the table lacks is NA, as when no chunk answers it (and as 1.x answers it).
  queries <- attr(out, "queries")
  out <- bind_frames(list(out), c("time", series$group_by, series$fields), s$tz, text_columns = series$group_by)
  attr(out, "queries") <- queries
  out
}

#' @export
list_databases.influx_v3_connection <- function(con, system, call) {
  res <- influx_http(con, "GET", "/api/v3/configure/database", query = c(format = "jsonl"),
                     headers = "Accept: application/json", sink = "jsonl",
                     frame = default_decoding(con$tz, call), call = call)
  df <- v3_decoded(res, "the database list", NULL, default_decoding(con$tz, call), call)
  names <- as.character(df[["iox::database"]] %||% character())
  if (!isTRUE(system)) names <- names[!startsWith(names, "_")]
  data.frame(name = sort(names, method = "radix"), stringsAsFactors = FALSE)
}

#' @export
list_measurements.influx_v3_connection <- function(con, target, call) {
  schema <- v3_schema(con, target, NULL, call)
  data.frame(name = sort(unique(schema$table), method = "radix"), stringsAsFactors = FALSE)
}

#' @export
list_tag_keys.influx_v3_connection <- function(con, target, measurement, call) {
  schema <- v3_columns(con, target, measurement, call)
  data.frame(key = sort(names(schema)[schema == "tag"], method = "radix"), stringsAsFactors = FALSE)
}

#' @export
list_tag_values.influx_v3_connection <- function(con, target, measurement, key, call) {
  schema <- v3_columns(con, target, measurement, call)
  if (!identical(schema[key][[1]], "tag")) return(data.frame(value = character(), stringsAsFactors = FALSE))
  col <- sql_ident(key)
  q <- sprintf("SELECT DISTINCT CAST(%s AS VARCHAR) AS value FROM %s WHERE %s IS NOT NULL", col, sql_ident(measurement), col)
  distinct <- function(range) {
    text <- if (is.null(range)) q else paste(q, "AND", range)
    v3_query(con, "sql", text, target, NULL, v3_frame(con, c(value = "string"), call), call)$value
  }
  values <- tryCatch(distinct(NULL), influx_error_file_limit = function(e) {
    v3_distinct_in_parts(con, target, measurement, distinct, e, call)
  })
  data.frame(value = sort(unique(values), method = "radix"), stringsAsFactors = FALSE)
}

# The values of a tag over a table longer than 3.x Core reads in one query (InfluxQL's SHOW TAG
# VALUES on 3.x looks at the last day only, unless given a time range): the table's time span
# from its Parquet files (system.parquet_files, metadata), walked in chunks of v3_chunk_hours,
# plus the data before and after every file (not yet persisted), which touches no file.
v3_distinct_in_parts <- function(con, db, table, distinct, refusal, call) {
  q <- paste("SELECT CAST(min(min_time) / 1000000000 AS DOUBLE) AS lo, CAST(max(max_time) / 1000000000 AS DOUBLE) AS hi",
             "FROM system.parquet_files WHERE table_name = $table")
  span <- v3_query(con, "sql", q, db, list(table = table), v3_frame(con, c(lo = "float", hi = "float"), call), call)
  if (nrow(span) != 1 || is.na(span$lo) || is.na(span$hi)) stop(refusal)
  # whole seconds around the files' first and last nanoseconds (the division truncates)
  from <- span$lo - 1
  to <- span$hi + 2
  at <- function(t) sprintf("time %s TIMESTAMP '%s'", c(">=", "<"), format(.POSIXct(t, tz = "UTC"), "%Y-%m-%dT%H:%M:%SZ", tz = "UTC"))
  walk <- function(a, b) {
    tryCatch(distinct(paste(at(c(a, b)), collapse = " AND ")), influx_error_file_limit = function(e) {
      if (b - a < 2) stop(e)
      mid <- a + floor((b - a) / 2)
      c(walk(a, mid), walk(mid, b))
    })
  }
  bounds <- unique(c(seq(from, to, by = max(1, floor(v3_chunk_seconds()))), to))
  parts <- lapply(seq_len(length(bounds) - 1L), function(i) walk(bounds[i], bounds[i + 1L]))
  c(distinct(at(from)[2]), unlist(parts), distinct(at(to)[1]))
}

#' @export
list_field_keys.influx_v3_connection <- function(con, target, measurement, call) {
  schema <- v3_schema(con, target, measurement, call)
  keep <- !schema$type %in% c("tag", "timestamp") & !is.na(schema$type)
  schema <- schema[keep, , drop = FALSE]
  schema <- schema[order(schema$table, schema$column, method = "radix"), , drop = FALSE]
  names <- c(float = "float", int = "integer", uint = "unsigned", string = "string", bool = "boolean")
  out <- data.frame(field = schema$column, type = unname(names[schema$type]), stringsAsFactors = FALSE)
  if (is.null(measurement)) out <- cbind(measurement = schema$table, out, stringsAsFactors = FALSE)
  out
}

# A 3.x database has one retention period (none: forever), shown as 1.x shows a database's only
# retention policy, autogen.
#' @export
list_retention_policies.influx_v3_connection <- function(con, target, call) {
  frame <- v3_frame(con, c(`iox::database` = "string", name = "string", duration = "string"), call)
  df <- v3_query(con, "influxql", paste("SHOW RETENTION POLICIES ON", iql_ident(target)), target, NULL, frame, call)
  df <- df[df[["iox::database"]] %in% target, , drop = FALSE]
  if (nrow(df) == 0) return(retention_frame(character(), numeric(), numeric(), integer(), logical()))
  duration <- duration_text_seconds(df$duration)
  retention_frame(df$name, ifelse(duration == 0, Inf, duration), NA_real_, 1L, TRUE)
}

# accept_partial: the good lines of a batch are kept, as 1.x and 2.x keep them, and the refused
# ones are listed (rejected_lines()).
#' @export
write_endpoint.influx_v3_connection <- function(con, target, precision, call) {
  list(path = "/api/v3/write_lp", query = c(db = target, precision = precision, accept_partial = "true"))
}

# Rust's parser (crate influxdb_line_protocol) reads a doubled backslash as one.
#' @export
line_protocol_escaping.influx_v3_connection <- function(con) "rust"

# {"error": "partial write of line protocol occurred", "data": [{"error_message", "line_number",
# "original_line"}, ...]}, or with accept_partial = false one object as `data`; line_number
# counts the lines that are points (not blank lines or comments), from 1.
#' @export
rejected_lines.influx_v3_connection <- function(con, error) {
  data <- error$server_data
  if (is.list(data) && !is.null(data$line_number)) data <- list(data)
  if (!is.list(data) || length(data) == 0) return(NULL)
  line <- vapply(data, function(d) if (is.numeric(d$line_number)) as.integer(d$line_number) else NA_integer_, 0L)
  message <- vapply(data, function(d) if (is.character(d$error_message)) d$error_message else NA_character_, "")
  if (anyNA(line)) return(NULL)
  data.frame(line = line, message = message, stringsAsFactors = FALSE)
}

#' @export
create_database.influx_v3_connection <- function(con, name, seconds, dry_run, call) {
  body <- to_json(c(list(db = name), if (!is.null(seconds)) list(retention_period = paste0(seconds, "s"))))
  if (dry_run) return(body)
  influx_http(con, "POST", "/api/v3/configure/database", body = charToRaw(body),
              headers = "Content-Type: application/json", call = call)
  invisible(body)
}

# A measurement is a table on 3.x: deleting it removes the table and all its points (a soft
# delete the server purges later), as DROP MEASUREMENT does on 1.x.
#' @export
drop_measurement.influx_v3_connection <- function(con, target, measurement, dry_run, call) {
  what <- sprintf("DELETE /api/v3/configure/table?db=%s&table=%s", target, measurement)
  if (dry_run) return(what)
  influx_http(con, "DELETE", "/api/v3/configure/table", query = c(db = target, table = measurement), call = call)
  invisible(what)
}

#' @export
drop_database.influx_v3_connection <- function(con, name, dry_run, call) {
  what <- sprintf("DELETE /api/v3/configure/database?db=%s", name)
  if (dry_run) return(what)
  influx_http(con, "DELETE", "/api/v3/configure/database", query = c(db = name), call = call)
  invisible(what)
}

# 3.x Core has admin tokens only (Enterprise adds database tokens): none limited to databases.
#' @export
create_token.influx_v3_connection <- function(con, description, read, write, dry_run, call) {
  abort_unsupported(con, "tokens limited to databases (3.x Core has admin tokens only)", call)
}

# Tokens are deleted by name.
#' @export
delete_token.influx_v3_connection <- function(con, id, dry_run, call) {
  what <- sprintf("DELETE /api/v3/configure/token?token_name=%s", id)
  if (dry_run) return(what)
  influx_http(con, "DELETE", "/api/v3/configure/token", query = c(token_name = id), call = call)
  invisible(what)
}

# ---- queries -------------------------------------------------------------------------------

# One query in `language` ("sql" or "influxql") against database `db` (NULL: none, for SHOW
# DATABASES), decoded as the lines arrive into one data frame.
v3_query <- function(con, language, query, db, params, frame, call) {
  exchange_once(con, v3_exchange(con, language, query, db, params, frame, call), call)
}

# v3_query() as an exchange (see R/read-many.R).
v3_exchange <- function(con, language, query, db, params, frame, call) {
  body <- paste0("{", if (!is.null(db)) paste0('"db":', .Call(C_json_quote, enc2utf8(db)), ","),
                 '"q":', .Call(C_json_quote, enc2utf8(query)), ',"format":"jsonl"',
                 if (length(params)) paste0(',"params":', encode_params(params, call)), "}")
  request <- list(method = "POST", path = paste0("/api/v3/query_", language), body = charToRaw(body),
                  headers = c("Content-Type: application/json", "Accept: application/json"),
                  sink = "jsonl", frame = frame)
  list(request = request, answer = function(res) {
    if (inherits(res, "influx_error_http")) v3_query_failed(res, language, query, call)
    raise_failed(res)
    v3_decoded(res, "the query", query, frame, call)
  })
}

v3_decoded <- function(res, what, query, frame, call) {
  if (res$decode_status == -1L) {
    influx_abort("influx_error_decode", sprintf("expected JSON lines for %s, got '%s'", what, res$content_type),
                 detail = res$content_type, call = call)
  }
  if (res$decode_status != 0L) {
    influx_abort("influx_error_decode", sprintf("the answer to %s could not be decoded: %s", what, res$decode_message),
                 detail = res$decode_message, call = call)
  }
  df <- finish_frame(res$tables[[1]], frame$bad_strings, call)
  if (nrow(df) == 0 && length(frame$types)) df <- v3_empty_typed(df, frame$types, frame$tz)
  df
}

# A hinted column of an answer without rows has its hinted type (the decoder leaves it logical).
v3_empty_typed <- function(df, types, tz) {
  empty <- list(timestamp = .POSIXct(numeric(), tz = tz), float = numeric(), int = integer(), uint = integer(),
                bool = logical(), string = character(), tag = character())
  for (col in intersect(names(df), names(types))) {
    if (is.logical(df[[col]]) && !is.null(empty[[types[[col]]]])) df[[col]] <- empty[[types[[col]]]]
  }
  df
}

# Text that is InfluxQL rather than SQL (what a report moved from 1.x sends): a few markers that
# SQL does not have.
influxql_markers <- c(
  "GROUP BY time(...)" = "\\bGROUP\\s+BY\\s+.*\\btime\\s*\\(", "fill()" = "\\)\\s*fill\\s*\\(",
  "SHOW" = "^\\s*SHOW\\s", "a regular expression match" = "[=!]~\\s*/", "tz()" = "\\btz\\s*\\(\\s*'",
  "a duration literal" = "now\\(\\)\\s*-\\s*[0-9]+(ns|u|ms|s|m|h|d|w)\\b", "SLIMIT/SOFFSET" = "\\bS(LIMIT|OFFSET)\\s+[0-9]"
)

# An HTTP error of a query as influx_error_query with the server's message (the HTTP classes and
# fields kept), influx_error_file_limit when 3.x Core refused to read that many Parquet files.
v3_query_failed <- function(e, language, query, call) {
  if (inherits(e, c("influx_error_http_401", "influx_error_http_403"))) stop(e)
  msg <- e$server_message
  classes <- c("influx_error_query", setdiff(class(e), c("influx_error", "error", "condition")))
  hint <- ""
  if (grepl("file limit", msg, ignore.case = TRUE) && grepl("parquet files", msg, ignore.case = TRUE)) {
    classes <- c("influx_error_file_limit", classes)
    hint <- paste0("\nInfluxDB 3 Core reads at most a fixed number of Parquet files per query (432 by default, about ",
                   "72 hours of data): ask for a shorter time range, or use influx_timeseries(), which fetches ",
                   "long ranges in chunks")
  } else if (language == "sql") {
    found <- names(influxql_markers)[vapply(influxql_markers, grepl, NA, x = query, ignore.case = TRUE, perl = TRUE)]
    if (length(found)) {
      hint <- sprintf("\nthe query looks like InfluxQL (%s), and SQL is the default on InfluxDB 3: use language = \"influxql\" (or connect with query_language = \"influxql\")",
                      paste(found, collapse = ", "))
    }
  }
  fields <- unclass(e)
  fields$message <- NULL
  fields$call <- NULL
  do.call(influx_abort, c(list(classes, sprintf("InfluxDB 3 could not run the %s query: %s%s",
                                                if (language == "sql") "SQL" else "InfluxQL", msg, hint)),
                          fields, list(statement = NA_integer_, query = query, call = call)), quote = TRUE)
}

# The 1.x shape of an InfluxQL answer: the decoder already made `iox::measurement` a
# `measurement` column where several measurements came back; SHOW DATABASES names its column
# `name` (and lists no deleted database), SHOW RETENTION POLICIES drops the database column.
v3_influxql_shape <- function(df, query) {
  # 1.x lists the tags of GROUP BY by name; 3.x in the order GROUP BY names them
  tags <- intersect(v3_group_by_tags(query), names(df))
  if (length(tags) > 1) {
    order <- names(df)
    order[match(tags, order)] <- sort(tags, method = "radix")
    df <- df[order]
  }
  # 1.x lists the union of several measurements' columns by name
  if ("measurement" %in% names(df)) {
    first <- intersect(c("measurement", "time", "time_ns"), names(df))
    df <- df[c(first, sort(setdiff(names(df), first), method = "radix"))]
  }
  db <- df[["iox::database"]]
  if (is.null(db)) return(df)
  if ("name" %in% names(df)) return(df[setdiff(names(df), "iox::database")])
  if ("deleted" %in% names(df)) df <- df[!df$deleted %in% TRUE, setdiff(names(df), "deleted"), drop = FALSE]
  names(df)[names(df) == "iox::database"] <- "name"
  rownames(df) <- NULL
  df
}

# The tags an InfluxQL statement names in GROUP BY (not time(), not *).
v3_group_by_tags <- function(query) {
  m <- regmatches(query, regexec("\\bGROUP\\s+BY\\s+(.*)$", query, ignore.case = TRUE, perl = TRUE))[[1]]
  if (length(m) == 0) return(character())
  clause <- sub("\\s+(fill|ORDER|LIMIT|OFFSET|SLIMIT|SOFFSET|tz)\\b.*$", "", m[2], ignore.case = TRUE, perl = TRUE)
  items <- regmatches(clause, gregexpr('"(?:[^"\\\\]|\\\\.)*"|[^,\\s]+', clause, perl = TRUE))[[1]]
  items <- items[!grepl("^(time|\\*)$|\\(", items, ignore.case = TRUE)]
  quoted <- startsWith(items, '"')
  items[quoted] <- gsub('\\\\(.)', "\\1", substr(items[quoted], 2, nchar(items[quoted]) - 1))
  items
}

# `SELECT * FROM <one table>`: the table's columns and types from information_schema, so that a
# column null in every row still comes back, with its type.
v3_star_hints <- function(con, language, query, db, frame, call) {
  if (is.null(db)) return(frame)
  ident <- if (language == "sql") '"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z0-9_]*)' else '"((?:[^"\\\\]|\\\\.)+)"|([A-Za-z_][A-Za-z0-9_]*)'
  m <- regmatches(query, regexec(paste0("^\\s*SELECT\\s+\\*\\s+FROM\\s+(?:", ident,
                                        ")(\\s+(WHERE|ORDER|LIMIT|OFFSET)\\b.*)?\\s*;?\\s*$"), query, ignore.case = TRUE, perl = TRUE))[[1]]
  if (length(m) == 0) return(frame)
  table <- if (nzchar(m[2])) {
    if (language == "sql") gsub('""', '"', m[2], fixed = TRUE) else gsub('\\\\(.)', "\\1", m[2])
  } else if (language == "sql") tolower(m[3]) else m[3] # unquoted SQL names are folded to lower case
  types <- v3_columns(con, db, table, call)
  if (length(types) == 0) return(frame)
  types[types == "tag"] <- "string" # a tag is text; SELECT * lists it among the fields, as 1.x does
  frame$types <- types[!is.na(types)]
  frame$columns <- names(frame$types)
  frame
}

# ---- schema --------------------------------------------------------------------------------

# information_schema.columns of database `db` (one table, or all with NULL):
# data.frame(table, column, type) with the decoder's type names (NA for a type it has none for).
v3_schema <- function(con, db, table, call) {
  q <- paste("SELECT table_name, column_name, data_type FROM information_schema.columns",
             "WHERE table_schema = 'iox'", if (!is.null(table)) "AND table_name = $table")
  frame <- v3_frame(con, c(table_name = "string", column_name = "string", data_type = "string"), call)
  df <- v3_query(con, "sql", q, db, if (!is.null(table)) list(table = table), frame, call)
  type <- df$data_type
  out <- rep(NA_character_, length(type))
  out[startsWith(type, "Dictionary(")] <- "tag"
  out[startsWith(type, "Timestamp(")] <- "timestamp"
  map <- c(Float64 = "float", Int64 = "int", UInt64 = "uint", Boolean = "bool", Utf8 = "string",
           LargeUtf8 = "string", Utf8View = "string")
  known <- type %in% names(map)
  out[known] <- map[type[known]]
  data.frame(table = df$table_name, column = df$column_name, type = out, stringsAsFactors = FALSE)
}

# The columns of one table as a named vector of types (empty when there is no such table).
v3_columns <- function(con, db, table, call) {
  schema <- v3_schema(con, db, table, call)
  stats::setNames(schema$type, schema$column)
}

# The decoding of the package's own queries, with the answer's columns and types fixed.
v3_frame <- function(con, types, call) {
  frame <- default_decoding(con$tz, call)
  frame$types <- types
  frame$columns <- names(types)
  frame
}

# The type of an aggregate of a column of type `type`.
v3_result_type <- function(type, aggregate) {
  if (is.null(aggregate)) return(type)
  if (aggregate == "count") return("int")
  if (aggregate %in% c("mean", "median", "stddev")) return("float")
  type
}

# ---- long ranges ---------------------------------------------------------------------------

# The time one 3.x request covers at most: getOption("influxdbtoolkit.v3_chunk_hours", 70).
v3_chunk_seconds <- function() {
  span <- getOption("influxdbtoolkit.v3_chunk_hours", 70) * 3600
  if (!is.numeric(span) || length(span) != 1 || !(span > 0)) abort_argument("option influxdbtoolkit.v3_chunk_hours must be a positive number", NULL)
  span
}

# The first cut of [start, end): window-aligned chunks of at most v3_chunk_hours of time each
# (at least one window), each cut further as query_chunks() cuts for any server, as
# list(window_start, data_start, stop).
v3_chunks <- function(s) {
  span <- v3_chunk_seconds()
  if (is.null(s$every)) {
    # The chunks any server gets, each cut further only where it is longer than the cap.
    chunks <- query_chunks(s$start, s$end, NULL, 0, s$tz)
    cut <- lapply(seq_along(chunks$stop), function(i) {
      from <- chunks$data_start[i]
      n <- ceiling((chunks$stop[i] - from) / span)
      from + (seq_len(n) - 1) * (chunks$stop[i] - from) / n
    })
    starts <- unlist(cut)
    return(list(window_start = starts, data_start = starts, stop = c(starts[-1], s$end)))
  }
  first <- with_chunk_windows(max(1, floor(span / s$every)), query_chunks(s$start, s$end, s$every, s$offset, s$tz))
  parts <- lapply(seq_along(first$stop), function(i) query_chunks(first$data_start[i], first$stop[i], s$every, s$offset, s$tz))
  lapply(c(window_start = "window_start", data_start = "data_start", stop = "stop"),
         function(k) unlist(lapply(parts, `[[`, k)))
}

with_chunk_windows <- function(n, code) {
  old <- options(influxdbtoolkit.chunk_windows = n)
  on.exit(options(old))
  code
}

# [from, to) through the dialect in one request per chunk, one after another; a refusal for too
# many files halves the range (see v3_split_range()).
v3_series_range <- function(con, s, from, to, fetch, call) {
  s$start <- from
  s$end <- to
  s$progress <- FALSE
  s$concurrency <- 1L
  # v3_chunks() cut the range already: points in one request here, whatever chunk_seconds says
  if (is.null(s$every)) {
    old <- options(influxdbtoolkit.chunk_seconds = to - from + 1)
    on.exit(options(old))
  }
  tryCatch(series_by_chunks(con, s, fetch, call),
           influx_error_file_limit = function(e) v3_split_range(con, s, from, to, fetch, e, call))
}

# [from, to), refused for too many files with `refusal`: halved at a window boundary (points: at
# its middle) until it is one window.
v3_split_range <- function(con, s, from, to, fetch, refusal, call) {
  cuts <- if (is.null(s$every)) {
    if (to - from > 0.002) from + (to - from) / 2 else numeric()
  } else {
    g <- window_grid(window_start(from, s$every, s$offset, s$tz), to, s$every, s$offset, s$tz)
    g[g > from & g < to]
  }
  if (length(cuts) == 0) return(v3_window_from_points(con, s, from, to, refusal, call))
  mid <- cuts[ceiling(length(cuts) / 2)]
  parts <- list(v3_series_range(con, s, from, mid, fetch, call), v3_series_range(con, s, mid, to, fetch, call))
  out <- bind_frames(parts, c("time", s$group_by, s$fields), s$tz, text_columns = s$group_by)
  attr(out, "queries") <- c(attr(parts[[1]], "queries"), attr(parts[[2]], "queries"))
  out
}

# One window is one aggregate over its whole range, and a window over more files than the server
# reads per query (a week of 10-minute files) cannot be asked for at once; a median or a standard
# deviation of parts is not that of the whole. So its points are read in parts (halved until the
# server takes them) and aggregated here, as the SQL dialect aggregates them.
v3_window_from_points <- function(con, s, from, to, refusal, call) {
  p <- s
  p[c("every", "aggregate", "server_aggregate")] <- list(NULL)
  p$offset <- 0
  p$fill <- "none"
  points <- tryCatch(v3_series_range(con, p, from, to, s$fetch_points, call), influx_error_file_limit = function(e) stop(refusal))
  stamp <- window_start(from, s$every, s$offset, s$tz)
  sid <- series_id(points, s$group_by)
  rows <- which(!duplicated(sid))
  out <- points[rows, c("time", s$group_by), drop = FALSE]
  out$time <- .POSIXct(rep(stamp, length(rows)), tz = s$tz)
  t <- as.double(points$time)
  for (f in s$fields) {
    v <- points[[f]]
    out[[f]] <- unlist(lapply(sid[rows], function(k) {
      x <- v[sid == k & !is.na(v)]
      tx <- t[sid == k & !is.na(v)]
      v3_aggregate_points(x, tx, s$server_aggregate, !identical(s$fill, "none"))
    }))
  }
  rownames(out) <- NULL
  attr(out, "queries") <- attr(points, "queries")
  out
}

# One field's aggregate over the points `x` (no NA) at times `t`, as dialect_sql.c asks for it.
v3_aggregate_points <- function(x, t, aggregate, create_empty) {
  n <- length(x)
  if (aggregate == "count") return(if (n == 0 && !create_empty) NA_integer_ else n)
  if (n == 0) return(if (aggregate %in% c("mean", "median", "stddev")) NA_real_ else x[NA_integer_])
  switch(aggregate,
         mean = mean(as.double(x)), median = stats::median(as.double(x)),
         min = min(x), max = max(x), sum = sum(x), spread = max(x) - min(x),
         first = x[which.min(t)], last = x[length(t) + 1L - which.max(rev(t))],
         stddev = if (n < 2) NA_real_ else stats::sd(as.double(x)))
}

# 3.x has no readiness endpoint: /health answering OK means it serves queries and writes.
#' @export
ready_probe.influx_v3_connection <- function(con, call) {
  probe <- health_get(con, "/health", call)
  ready <- probe$code == 200L
  structure(ready, message = probe$message)
}

# 3.x has no continuous queries or tasks (its processing engine runs Python plugins instead).
v3_downsampling_unsupported <- "downsampling (3.x has no continuous queries or tasks; its processing engine runs Python plugins)"

#' @export
create_downsampling.influx_v3_connection <- function(con, name, spec, schedule, dry_run, call) {
  abort_unsupported(con, v3_downsampling_unsupported, call)
}

#' @export
list_downsamplings.influx_v3_connection <- function(con, target, all, call) abort_unsupported(con, v3_downsampling_unsupported, call)

#' @export
drop_downsampling.influx_v3_connection <- function(con, name, target, dry_run, call) {
  abort_unsupported(con, v3_downsampling_unsupported, call)
}

#' @export
run_downsample.influx_v3_connection <- function(con, spec, start_s, end_s, dry_run, call) {
  abort_unsupported(con, v3_downsampling_unsupported, call)
}

# influx_copy() counts what it wrote with SQL: count() of each field column over [start, end)
# (the stand-in and 3.x's InfluxQL lack count(*)). A table not written yet has no fields: none.
#' @export
count_values.influx_v3_connection <- function(con, target, rp, measurement, start_ns, end_ns, call) {
  cols <- v3_columns(con, target, measurement, call)
  fields <- names(cols)[!cols %in% c("tag", "timestamp")]
  if (length(fields) == 0) return(stats::setNames(numeric(), character()))
  alias <- paste0("c", seq_along(fields))
  q <- sprintf("SELECT %s FROM %s WHERE time >= to_timestamp_nanos(%s) AND time < to_timestamp_nanos(%s)",
               paste0("count(", sql_ident(fields), ") AS ", alias, collapse = ", "), sql_ident(measurement),
               as.character(start_ns), as.character(end_ns))
  df <- v3_query(con, "sql", q, target, NULL, v3_frame(con, stats::setNames(rep("int", length(alias)), alias), call), call)
  if (nrow(df) == 0) return(stats::setNames(numeric(), character()))
  stats::setNames(vapply(alias, function(a) as.numeric(df[[a]][1]), 0), fields)
}
