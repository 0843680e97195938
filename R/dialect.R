# InfluxQL text from names and values: the C dialect does the quoting; nothing else pastes user
# input into query text.

iql_ident <- function(x) .Call(C_iql_quote_ident, as.character(x))
iql_string <- function(x) .Call(C_iql_quote_string, as.character(x))
flux_string <- function(x) .Call(C_flux_quote_string, as.character(x))
sql_ident <- function(x) .Call(C_sql_quote_ident, as.character(x))
