# The 2.x management API: JSON in, JSON out, with the organisation and bucket looked up by name.

to_json <- function(x) {
  if (is.null(x)) return("null")
  if (is.list(x)) {
    if (!is.null(names(x))) {
      keys <- vapply(names(x), function(k) .Call(C_json_quote, enc2utf8(k)), "")
      return(paste0("{", paste0(keys, ":", vapply(x, to_json, ""), collapse = ","), "}"))
    }
    return(paste0("[", paste(vapply(x, to_json, ""), collapse = ","), "]"))
  }
  if (length(x) != 1) return(to_json(as.list(x)))
  if (is.na(x)) return("null")
  if (is.character(x)) return(.Call(C_json_quote, enc2utf8(x)))
  if (is.logical(x)) return(if (x) "true" else "false")
  if (is.numeric(x)) return(format(x, scientific = FALSE, digits = 15))
  stop("cannot encode ", class(x)[1], " as JSON")
}

v2_api <- function(con, method, path, query = NULL, body = NULL, call = NULL) {
  res <- influx_http(con, method, path, query = query,
                     body = if (!is.null(body)) charToRaw(to_json(body)),
                     headers = if (!is.null(body)) "Content-Type: application/json", sink = "raw", call = call)
  if (length(res$body) == 0) return(invisible(NULL))
  parsed <- .Call(C_json_parse, res$body)
  if (!isTRUE(parsed$ok)) {
    influx_abort("influx_error_decode", sprintf("%s %s answered with malformed JSON: %s", method, path, parsed$error),
                 detail = parsed$error, call = call)
  }
  parsed$value
}

v2_org_id <- function(con, call) {
  if (is.null(con$org)) abort_config("this needs the organisation: connect with `org` (or INFLUXDB_ORG)", call)
  orgs <- v2_api(con, "GET", "/api/v2/orgs", query = c(org = con$org), call = call)$orgs
  if (length(orgs) == 0) abort_config(sprintf("no organisation '%s' on the server", con$org), call)
  orgs[[1]]$id
}

v2_bucket <- function(con, name, call) {
  b <- v2_api(con, "GET", "/api/v2/buckets", query = c(org = con$org, name = name), call = call)$buckets
  if (length(b) == 0) {
    influx_abort(c("influx_error_http_404", "influx_error_http_4xx", "influx_error_http"),
                 sprintf("no bucket '%s' in organisation '%s'", name, con$org), status = 404L,
                 server_message = "bucket not found", call = call)
  }
  b[[1]]
}

# A time as integer64 nanoseconds: POSIXct, Date (midnight in tz), numeric seconds, or text read
# in tz ("2024-10-27 02:30", or RFC 3339 with Z or an offset).
as_time_ns <- function(x, tz, what, call) seconds_ns(time_seconds(x, tz, what, call))

parse_time_text <- function(x, tz) {
  if (grepl("T.*(Z|[+-][0-9]{2}:?[0-9]{2})$", x)) {
    utc <- sub("Z$", "+0000", sub("([+-][0-9]{2}):([0-9]{2})$", "\\1\\2", x))
    return(as.POSIXct(utc, format = if (grepl("\\.", utc)) "%Y-%m-%dT%H:%M:%OS%z" else "%Y-%m-%dT%H:%M:%S%z", tz = "UTC"))
  }
  t <- tryCatch(as.POSIXct(x, tz = tz, tryFormats = c("%Y-%m-%d %H:%M:%OS", "%Y-%m-%d %H:%M", "%Y-%m-%d")),
                error = function(e) NA)
  if (is.na(t)) return(t)
  local <- function(v) format(v, "%Y-%m-%d %H:%M:%OS6", tz = tz)
  # A wall-clock time that does not exist (the spring gap) does not format back to itself.
  shown <- format(t, if (nchar(x) <= 10) "%Y-%m-%d" else "%Y-%m-%d %H:%M", tz = tz)
  if (shown != substr(x, 1, nchar(shown))) return(.POSIXct(NA_real_, tz = tz))
  # The hour repeated when summer time ends names two instants: say which one is used.
  twin <- c(t - 3600, t + 3600)
  twin <- twin[local(twin) == local(t)]
  if (length(twin)) {
    warning(structure(class = c("influx_warning_ambiguous_time", "warning", "condition"), list(
      message = sprintf("'%s' happens twice in %s; using %s (the other is %s)", x, tz,
                        format(t, "%Y-%m-%d %H:%M:%S %Z", tz = tz), format(twin[1], "%Y-%m-%d %H:%M:%S %Z", tz = tz)),
      call = NULL)))
  }
  t
}

ns_text <- function(ns) .Call(C_ns_to_rfc3339, ns)
