# InfluxQL over the 1.x-compatible /query endpoint, answered in MessagePack: one code path for
# 1.x and for 2.x (which finds the bucket through a DBRP mapping, see compat_target()). Also the
# InfluxQL statements that explore and administer, and the 1.x-compatible /write endpoint.

# `dbrp`: the database (and retention policy) as /query knows them, from compat_target(); NULL
# for none (SHOW DATABASES).
influxql_query <- function(con, query, dbrp, params, frame, call) {
  exchange_once(con, influxql_exchange(con, query, dbrp, params, frame, call), call)
}

# influxql_query() as an exchange (see R/read-many.R): the statements are checked now, before
# anything is sent.
influxql_exchange <- function(con, query, dbrp, params, frame, call) {
  statements <- influxql_statements(con, query, call)

  # The decoder rejects results for statements that were not sent (0 when the count is unknown).
  frame$statements <- if (is.null(statements)) 0L else length(statements$text)
  url_params <- c(
    db = dbrp$db,
    rp = dbrp$rp,
    chunked = "true",
    chunk_size = as.character(as.integer(getOption("influxdbtoolkit.chunk_size", 10000L))),
    params = if (length(params)) encode_params(params, call)
  )
  # A read-only connection reads with GET, as HTTP means it; 1.x still executes (with a
  # deprecation notice) changes sent over GET, so the statement check above is the guard.
  use_get <- !con$writable && nchar(query, "bytes") < 16384L
  request <- list(
    method = if (use_get) "GET" else "POST", path = "/query",
    query = if (use_get) c(url_params, q = query) else url_params,
    body = if (use_get) NULL else c(q = query),
    headers = "Accept: application/x-msgpack", sink = "v1", frame = frame
  )
  # A text that changes data is not sent beside others (influx_query() over several texts).
  changes <- !(is.list(statements) && isTRUE(all(statements$read_only)))
  list(request = request, changes = changes, answer = function(res) {
    raise_failed(res)
    frames <- v1_frames(res, query, statements, call, frame$bad_strings)
    if (length(frames) == 1L) frames[[1]] else frames
  })
}

# The statements of InfluxQL text (.Call(C_iql_split)), refused with influx_error_readonly on a
# read-only connection unless every one is a read.
influxql_statements <- function(con, query, call) {
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
  statements
}

# The text starts with an InfluxQL keyword (after comments): InfluxQL; anything else is Flux.
detect_language <- function(query) {
  text <- sub("^(\\s|--[^\n]*(\n|$)|//[^\n]*(\n|$)|/\\*.*?\\*/)*", "", query, perl = TRUE)
  word <- toupper(regmatches(text, regexpr("^[A-Za-z]+", text)))
  influxql <- c("SELECT", "SHOW", "CREATE", "DROP", "DELETE", "ALTER", "GRANT", "REVOKE", "EXPLAIN", "KILL", "SET")
  if (length(word) && word %in% influxql) "influxql" else "flux"
}

# The decoded /query response as data frames named by their statements, or a classed error.
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

# A statement with the package's default decoding (exploration and administration).
influxql_read <- function(con, query, dbrp, call) {
  frame <- default_decoding(con$tz, call)
  influxql_query(con, query, dbrp, NULL, frame, call)
}

# The exchanges of series_by_chunks(): a query text of the InfluxQL dialect against `target` ->
# its exchange.
influxql_series_fetch <- function(con, target, tz, call) {
  dbrp <- compat_target(con, target, call)
  frame <- default_decoding(tz, call)
  function(text) influxql_exchange(con, text, dbrp, NULL, frame, call)
}

# A statement that changes the server (administration), or with `dry_run` the statement itself.
influxql_change <- function(con, q, dbrp, dry_run, call) {
  if (dry_run) return(q)
  influxql_read(con, q, dbrp, call)
  invisible(q)
}

# The 1.x-compatible write endpoint: 1.x itself, and 2.x for a connection with a user name and
# password (a v1 authorization), which its own write API does not take.
compat_write_endpoint <- function(con, target, precision, call) {
  dbrp <- compat_target(con, target, call)
  list(path = "/write", query = c(db = dbrp$db, rp = dbrp$rp,
                                  precision = c(ns = "n", us = "u", ms = "ms", s = "s")[[precision]]))
}

# ---- exploration through SHOW statements ------------------------------------------------------

influxql_databases <- function(con, system, call) {
  df <- influxql_read(con, "SHOW DATABASES", NULL, call)
  names <- if ("name" %in% names(df)) df$name else character()
  if (!isTRUE(system)) names <- names[!startsWith(names, "_")]
  data.frame(name = sort(names, method = "radix"), stringsAsFactors = FALSE)
}

influxql_measurements <- function(con, target, call) {
  dbrp <- compat_target(con, target, call)
  df <- influxql_read(con, paste("SHOW MEASUREMENTS ON", iql_ident(dbrp$db)), dbrp, call)
  data.frame(name = if ("name" %in% names(df)) df$name else character(), stringsAsFactors = FALSE)
}

influxql_tag_keys <- function(con, target, measurement, call) {
  dbrp <- compat_target(con, target, call)
  df <- influxql_read(con, paste("SHOW TAG KEYS ON", iql_ident(dbrp$db), "FROM", iql_ident(measurement)), dbrp, call)
  data.frame(key = if ("tagKey" %in% names(df)) df$tagKey else character(), stringsAsFactors = FALSE)
}

influxql_tag_values <- function(con, target, measurement, key, call) {
  dbrp <- compat_target(con, target, call)
  df <- influxql_read(con, paste("SHOW TAG VALUES ON", iql_ident(dbrp$db), "FROM", iql_ident(measurement),
                                 "WITH KEY =", iql_ident(key)), dbrp, call)
  data.frame(value = if ("value" %in% names(df)) df$value else character(), stringsAsFactors = FALSE)
}

influxql_field_keys <- function(con, target, measurement, call) {
  dbrp <- compat_target(con, target, call)
  q <- paste("SHOW FIELD KEYS ON", iql_ident(dbrp$db))
  if (!is.null(measurement)) q <- paste(q, "FROM", iql_ident(measurement))
  df <- influxql_read(con, q, dbrp, call)
  out <- data.frame(
    field = if ("fieldKey" %in% names(df)) df$fieldKey else character(),
    type = if ("fieldType" %in% names(df)) df$fieldType else character(),
    stringsAsFactors = FALSE
  )
  if ("measurement" %in% names(df)) out <- cbind(measurement = df$measurement, out, stringsAsFactors = FALSE)
  out
}

influxql_retention_policies <- function(con, target, call) {
  dbrp <- compat_target(con, target, call)
  df <- influxql_read(con, paste("SHOW RETENTION POLICIES ON", iql_ident(dbrp$db)), dbrp, call)
  if (nrow(df) == 0) return(retention_frame(character(), numeric(), numeric(), integer(), logical()))
  duration <- duration_text_seconds(df$duration)
  retention_frame(df$name, ifelse(duration == 0, Inf, duration), duration_text_seconds(df$shardGroupDuration),
                  as.integer(df$replicaN), as.logical(df$default))
}

# "168h0m0s" (a retention duration as SHOW RETENTION POLICIES gives it) -> seconds
duration_text_seconds <- function(x) {
  vapply(as.character(x), function(d) as.numeric(.Call(C_parse_duration, d)) / 1e9, 0, USE.NAMES = FALSE)
}

# ("a" = "x", "b" = c("y", "z")) -> ("a" = 'x') AND ("b" = 'y' OR "b" = 'z')
where_influxql <- function(where) {
  vapply(names(where), function(k) {
    paste0("(", paste(iql_ident(k), "=", iql_string(as.character(where[[k]])), collapse = " OR "), ")")
  }, "", USE.NAMES = FALSE)
}
