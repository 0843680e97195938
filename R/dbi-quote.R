# DBI quoting and `?var` interpolation in the connection's query language (dbi_language()):
# InfluxQL on 1.x and 2.x, SQL on 3.x unless its query_language is "influxql". The quoting itself
# is the C dialects' (dialect_influxql.c, dialect_sql.c), the same the package's own queries use.

#' Quoting and `?var` interpolation for InfluxQL and SQL
#'
#' The DBI quoting methods and [DBI::sqlInterpolate()] (which knitr's `sql`
#' chunks use for `?var`) follow the connection's query language:
#'
#' * InfluxQL (1.x, 2.x, and 3.x with `query_language = "influxql"`): strings
#'   in single quotes and identifiers in double quotes, a quote, backslash or
#'   line break inside escaped with a backslash (`'it\'s'`); `--` and `/* */`
#'   comments. InfluxQL has no `NULL` literal, so `NA` cannot be interpolated.
#' * SQL (3.x): strings in single quotes and identifiers in double quotes, a
#'   quote inside doubled (`'it''s'`); `NA` is `NULL`.
#'
#' Values interpolated by `sqlInterpolate()`: character and factor as strings;
#' numbers as numbers (17 significant digits, written out without an exponent,
#' which InfluxQL lacks; integers exact); `TRUE`/`FALSE`;
#' `POSIXct` as an RFC 3339 UTC time (InfluxQL `'2024-01-01T00:00:00Z'`, SQL
#' `TIMESTAMP '2024-01-01T00:00:00Z'`, exact to the microsecond); `Date` as its
#' midnight in UTC; objects of class `SQL` as they are. A value of length other
#' than 1, `NaN` or an infinite number, and a type without a literal (a list, a
#' function) raise `influx_error_argument`, naming the variable. `?` inside
#' quotes, comments or InfluxQL regular expressions (`=~ /colou?r/`) is not a
#' variable. Text (to quote, or the query) that is not valid UTF-8 raises
#' `influx_error_argument`; text in another encoding R knows is converted.
#'
#' @param conn A connection ([influx_connect()] or [DBI::dbConnect()] with
#'   [influx()]).
#' @param x What to quote: a character vector (`dbQuoteIdentifier()` also takes
#'   [DBI::Id()] and `SQL`), or for `dbQuoteLiteral()` any atomic vector.
#' @param sql Query text with `?name` variables.
#' @param ...,.dots `sqlInterpolate()`: the values of the variables, by name.
#'   Otherwise ignored.
#' @return An `SQL` object (a character vector), or for
#'   `sqlParseVariables()` the positions of the variables.
#' @name influx-dbi-quoting
#' @examples
#' con <- influx_connect("http://127.0.0.1:9", version = "v1")
#' DBI::dbQuoteString(con, "it's \"x\" \\ y")
#' DBI::dbQuoteIdentifier(con, "temperature_degrC_abs")
#' DBI::sqlInterpolate(con, "SELECT * FROM climate WHERE room = ?room AND time > ?t",
#'                     room = "it's", t = as.POSIXct("2024-01-01", tz = "UTC"))
#' tryCatch(DBI::sqlInterpolate(con, "SELECT ?x", x = c(1, 2)),
#'          influx_error_argument = conditionMessage)
#' con3 <- influx_connect("http://127.0.0.1:9", version = "v3", database = "db")
#' DBI::dbQuoteString(con3, "it's")
NULL

#' @rdname influx-dbi-quoting
#' @export
setMethod("dbQuoteIdentifier", c("influx_connection", "character"), function(conn, x, ...) {
  if (anyNA(x)) abort_argument("an identifier cannot be NA", sys.call())
  DBI::SQL(quote_ident(conn, query_utf8(x, "an identifier", sys.call())), names = names(x))
})

#' @rdname influx-dbi-quoting
#' @export
setMethod("dbQuoteIdentifier", c("influx_connection", "SQL"), function(conn, x, ...) x)

#' @rdname influx-dbi-quoting
#' @export
setMethod("dbQuoteIdentifier", c("influx_connection", "Id"), function(conn, x, ...) {
  DBI::SQL(paste(quote_ident(conn, query_utf8(unname(x@name), "an identifier", sys.call())), collapse = "."))
})

#' @rdname influx-dbi-quoting
#' @export
setMethod("dbUnquoteIdentifier", c("influx_connection", "SQL"), function(conn, x, ...) {
  pattern <- if (dbi_language(conn) == "sql") '"([^"]|"")*"' else '"(\\\\.|[^"\\\\])*"'
  out <- lapply(as.character(x), function(one) {
    parts <- regmatches(one, gregexpr(paste0(pattern, '|[^".]+'), one))[[1]]
    if (length(parts) == 0 || length(parts) > 3 || paste(parts, collapse = ".") != one) parts <- one
    names <- vapply(parts, function(p) dbi_unquote(conn, p), "", USE.NAMES = FALSE)
    # "db"."rp"."measurement" (or db.rp.measurement) in InfluxQL: catalog, schema and table to DBI.
    do.call(DBI::Id, stats::setNames(as.list(names), utils::tail(c("catalog", "schema", "table"), length(names))))
  })
  stats::setNames(out, names(x))
})

#' @rdname influx-dbi-quoting
#' @export
setMethod("dbQuoteString", c("influx_connection", "character"), function(conn, x, ...) {
  out <- quote_string(conn, query_utf8(x, "a string", sys.call()))
  out[is.na(x)] <- "NULL"
  DBI::SQL(out, names = names(x))
})

#' @rdname influx-dbi-quoting
#' @export
setMethod("dbQuoteString", c("influx_connection", "SQL"), function(conn, x, ...) x)

#' @rdname influx-dbi-quoting
#' @export
setMethod("dbQuoteLiteral", "influx_connection", function(conn, x, ...) {
  DBI::SQL(quote_literal(conn, x, NULL), names = names(x))
})

#' @rdname influx-dbi-quoting
#' @export
setMethod("sqlParseVariables", "influx_connection", function(conn, sql, ...) {
  sql <- query_utf8(sql, "the query text", sys.call())
  quotes <- if (dbi_language(conn) == "sql") {
    list(DBI::sqlQuoteSpec("'", "'"), DBI::sqlQuoteSpec('"', '"'))
  } else {
    list(DBI::sqlQuoteSpec("'", "'", escape = "\\", doubleEscape = FALSE),
         DBI::sqlQuoteSpec('"', '"', escape = "\\", doubleEscape = FALSE))
  }
  pos <- DBI::sqlParseVariablesImpl(sql, quotes, list(DBI::sqlCommentSpec("/*", "*/", TRUE),
                                                      DBI::sqlCommentSpec("--", "\n", FALSE)))
  if (dbi_language(conn) == "sql") return(pos)
  # InfluxQL's regular expressions (/.../ after =~ or !~) hold `?` as a quantifier. A slash
  # elsewhere divides, so they cannot be a quote of sqlParseVariablesImpl().
  re <- gregexpr("[=!]~\\s*/(\\\\.|[^/\\\\\n])*/", sql, perl = TRUE)[[1]]
  if (re[1] < 0) return(pos)
  inside <- vapply(pos$start, function(at) any(at > re & at < re + attr(re, "match.length")), NA)
  list(start = pos$start[!inside], end = pos$end[!inside])
})

#' @rdname influx-dbi-quoting
#' @export
setMethod("sqlInterpolate", "influx_connection", function(conn, sql, ..., .dots = list()) {
  call <- sys.call()
  if (!is.character(sql) || length(sql) != 1 || is.na(sql)) abort_argument("`sql` must be one string", call)
  sql <- query_utf8(sql, "the query text", call)
  pos <- sqlParseVariables(conn, sql)
  if (length(pos$start) == 0) return(DBI::SQL(sql))
  vars <- substring(sql, pos$start + 1, pos$end)
  values <- c(list(...), .dots)
  if (any(!nzchar(vars))) abort_argument("positional `?` variables are not supported: name them (`?room`)", call)
  missing_vars <- setdiff(vars, names(values))
  if (length(missing_vars)) {
    abort_argument(sprintf("no value for %s", paste0("?", unique(missing_vars), collapse = ", ")), call)
  }
  quoted <- vapply(vars, function(v) quote_literal(conn, values[[v]], v, call), "")
  for (i in rev(seq_along(vars))) {
    before <- substring(sql, 1, pos$start[i] - 1)
    # "0-?x" with x = -1 would read "0--1": a comment to the end of the line in both languages.
    if (endsWith(before, "-") && startsWith(quoted[[i]], "-")) before <- paste0(before, " ")
    sql <- paste0(before, quoted[[i]], substring(sql, pos$end[i] + 1))
  }
  DBI::SQL(sql)
})

# Text in UTF-8 (converted from the encoding R knows it in); bytes that are no text in any are
# refused: the servers would read them as other characters, and DBI's parser stops on them.
# (Checked before enc2utf8(), which turns invalid bytes into "<ff>".)
query_utf8 <- function(x, what, call) {
  x <- as.character(x)
  enc <- Encoding(x)
  claims_utf8 <- enc %in% c("bytes", "UTF-8") | (enc == "unknown" & isTRUE(l10n_info()[["UTF-8"]]))
  if (any(claims_utf8 & !validUTF8(x) & !is.na(x))) abort_argument(sprintf("%s is not valid UTF-8 text", what), call)
  enc2utf8(x)
}

quote_ident <- function(con, x) if (dbi_language(con) == "sql") sql_ident(x) else iql_ident(x)

quote_string <- function(con, x) {
  if (dbi_language(con) == "sql") .Call(C_sql_quote_string, as.character(x)) else iql_string(x)
}

# Literals of x in the connection's language: vectorised for dbQuoteLiteral() (var NULL); one value
# named `var` for sqlInterpolate(), which refuses what has no literal (InfluxQL's NA).
quote_literal <- function(con, x, var, call = NULL) {
  what <- if (is.null(var)) "the value" else paste0("?", var)
  sql <- dbi_language(con) == "sql"
  if (!is.null(var) && length(x) != 1) {
    abort_argument(sprintf("%s must be one value, not %d (InfluxQL and SQL chunks take no vectors)", what, length(x)), call)
  }
  if (methods::is(x, "SQL")) return(as.character(x))
  if (!is.null(var) && !sql && is.atomic(x) && anyNA(x)) {
    abort_argument(sprintf("%s is NA: InfluxQL has no NULL literal", what), call)
  }
  if (is.factor(x)) x <- as.character(x)
  out <- if (inherits(x, "POSIXt") || inherits(x, "Date")) {
    t <- quote_string(con, format_rfc3339(as.POSIXct(x, tz = "UTC")))
    if (sql) paste("TIMESTAMP", t) else t
  } else if (is.character(x)) {
    quote_string(con, query_utf8(x, what, call))
  } else if (is.logical(x)) {
    if (sql) ifelse(x, "TRUE", "FALSE") else ifelse(x, "true", "false")
  } else if (is.integer(x) || inherits(x, "integer64")) {
    as.character(x)
  } else if (is.numeric(x) && !is.object(x)) {
    if (any(is.nan(x) | is.infinite(x))) abort_argument(sprintf("%s is not a finite number", what), call)
    vapply(as.numeric(x), function(v) if (is.na(v)) "NULL" else number_literal(v), "")
  } else {
    abort_argument(sprintf("%s has no literal in InfluxQL or SQL (it is a %s)", what, class(x)[1]), call)
  }
  out[is.na(x)] <- "NULL"
  out
}

# A finite double as a decimal literal that reads back as the same double. InfluxQL has no
# exponent notation ("1e-07" does not parse), so %.17g's exponent is written out; a value beyond
# that keeps a point, as InfluxQL reads digits alone as a 64-bit integer.
number_literal <- function(v) {
  if (v == round(v) && abs(v) < 1e15) return(format(v, scientific = FALSE))
  text <- sprintf("%.17g", abs(v))
  if (grepl("e", text, fixed = TRUE)) {
    parts <- strsplit(text, "e", fixed = TRUE)[[1]]
    digits <- sub(".", "", parts[1], fixed = TRUE)
    point <- 1L + as.integer(parts[2]) # digits before the decimal point
    text <- if (point <= 0) paste0("0.", strrep("0", -point), digits)
      else if (point >= nchar(digits)) paste0(digits, strrep("0", point - nchar(digits)), ".0")
      else paste0(substr(digits, 1, point), ".", substring(digits, point + 1))
  }
  paste0(if (v < 0) "-", text)
}

# A quoted identifier back to the name (DBI passes table names as SQL).
dbi_unquote <- function(con, x) {
  if (!grepl('^".*"$', x)) return(x)
  inner <- substr(x, 2, nchar(x) - 1)
  if (dbi_language(con) == "sql") return(gsub('""', '"', inner, fixed = TRUE))
  parts <- regmatches(inner, gregexpr("\\\\.|[^\\\\]+", inner))[[1]]
  paste(ifelse(parts == "\\n", "\n", ifelse(startsWith(parts, "\\"), substring(parts, 2), parts)), collapse = "")
}
