# InfluxQL text from names and values: the C dialect does the quoting; nothing else pastes user
# input into query text.

iql_ident <- function(x) .Call(C_iql_quote_ident, as.character(x))
# InfluxQL's reader turns a carriage return into a line break, which ends a string literal, and
# has no escape for it: such a value cannot be asked for, so it is refused before sending.
iql_string <- function(x, call = NULL) {
  x <- as.character(x)
  if (any(grepl("\r", x, fixed = TRUE))) {
    abort_argument("an InfluxQL string cannot hold a carriage return (\\r): InfluxQL reads it as a line break", call)
  }
  .Call(C_iql_quote_string, x)
}
flux_string <- function(x) .Call(C_flux_quote_string, as.character(x))
sql_ident <- function(x) .Call(C_sql_quote_ident, as.character(x))
