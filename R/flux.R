# Flux over /api/v2/query, answered in annotated CSV: one code path for 1.8+ (no organisation)
# and 2.x (the connection's organisation).

# `org`: the organisation the query runs in (2.x), NULL where there is none (1.x).
flux_query <- function(con, query, params, frame, org, call) {
  exchange_once(con, flux_exchange(con, query, params, frame, org, call), call)
}

# flux_query() as an exchange (see R/read-many.R): checked now, before anything is sent.
flux_exchange <- function(con, query, params, frame, org, call) {
  require_capability(con, "flux", "Flux queries", call)
  at <- .Call(C_flux_write_call, query)
  if (!con$writable) {
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
  body <- paste0(
    '{"query":', .Call(C_json_quote, enc2utf8(query)), ',"type":"flux",',
    '"dialect":{"header":true,"delimiter":",","annotations":["datatype","group","default"],',
    '"commentPrefix":"#","dateTimeFormat":"RFC3339"}',
    if (length(params)) paste0(',"extern":', flux_params_extern(params, call)), "}"
  )
  request <- list(method = "POST", path = "/api/v2/query", query = c(org = org),
                  body = charToRaw(enc2utf8(body)),
                  headers = c("Content-Type: application/json", "Accept: application/csv"),
                  sink = "flux", frame = frame)
  # Flux that writes is not sent beside other queries (influx_query() over several texts).
  list(request = request, changes = is.na(at) || at > 0L, answer = function(res) {
    raise_failed(res)
    if (res$decode_status == -1L) {
      influx_abort("influx_error_decode",
                   sprintf("expected annotated CSV from %s, got '%s'", "/api/v2/query", res$content_type),
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
  })
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


# The exchanges of series_by_chunks() in Flux, pivoted while decoding: a query text -> its
# exchange. Flux writes a null and an empty string alike; without createEmpty (empty windows are
# added in R) every row comes from stored points, whose values are never null, so an empty cell
# of a string field is "" (as InfluxQL returns it).
series_flux_fetch <- function(con, tz, org, call) {
  frame <- default_decoding(tz, call, pivot = TRUE, value_empty_string = TRUE)
  function(text) flux_exchange(con, text, NULL, frame, org, call)
}
