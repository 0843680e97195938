# One HTTP request through the C transport, with every failure turned into a classed condition.
# `sink` is "raw" (body as a raw vector), "none", or "v1" (an InfluxQL response decoded into
# data frames as it arrives).

influx_http <- function(con, method, path, query = NULL, body = NULL, headers = NULL,
                        sink = "raw", frame = NULL, call = NULL) {
  check_open(con, call)
  query <- if (length(query)) vapply(query, as.character, "") else NULL
  res <- .Call(C_request, con$handle, method, path, query, headers, body, sink, frame)
  if (isTRUE(res$interrupted)) signal_interrupt(call)
  cond <- http_result_condition(con, res, method, path, call)
  if (!is.null(cond)) stop(cond)
  res
}

# The classed condition a request's result stands for (a timeout, a transport failure, an HTTP
# error status), or NULL when it succeeded.
http_result_condition <- function(con, res, method, path, call) {
  if (!is.na(res$timeout_limit)) return(timeout_condition(con, res$timeout_limit, path, res$curl_code, call))
  if (res$curl_code != 0L) {
    url <- paste0(con$url, path)
    return(influx_condition(
      c(transport_error_class(res$curl_code), "influx_error_transport"),
      sprintf("could not reach InfluxDB at %s: %s (curl error %d)", con$url, res$curl_message, res$curl_code),
      curl_code = res$curl_code, url = url, call = call
    ))
  }
  if (res$status < 200L || res$status >= 300L) return(http_error_condition(res, method, path, call))
  NULL
}

# The server's own words from an error response: MessagePack or JSON {"error": ...} (1.x),
# JSON {"code": ..., "message": ...} (2.x), or plain text.
server_message <- function(res) {
  body <- res$body
  ctype <- if (is.na(res$content_type)) "" else res$content_type
  msg <- NULL
  if (length(body) && startsWith(ctype, "application/x-msgpack")) {
    dec <- .Call(C_decode_v1, body, length(body), NULL)
    if (dec$status == 1L) msg <- dec$message
  }
  if (is.null(msg) && length(body)) {
    parsed <- .Call(C_json_parse, body)
    if (isTRUE(parsed$ok) && is.list(parsed$value)) {
      v <- parsed$value
      msg <- v$error %||% v$message
      if (!is.null(msg) && !is.null(v$code) && is.character(v$code)) msg <- paste0(v$code, ": ", msg)
    }
  }
  if (is.null(msg) && length(body)) {
    head <- body[seq_len(min(length(body), 2000L))]
    text <- rawToChar(head[head != as.raw(0)]) # an R string cannot hold a NUL
    Encoding(text) <- "UTF-8"
    if (validUTF8(text)) msg <- trimws(text)
  }
  if ((is.null(msg) || !nzchar(msg)) && !is.na(res$influx_error)) msg <- res$influx_error
  if (is.null(msg)) "" else as.character(msg)[1]
}

# The `data` member of a JSON error body (3.x lists the refused lines of a write there), or NULL.
server_data <- function(res) {
  if (length(res$body) == 0 || length(res$body) > 1e6 || as.integer(res$body[1]) != 0x7b) return(NULL) # "{"
  parsed <- .Call(C_json_parse, res$body)
  if (isTRUE(parsed$ok) && is.list(parsed$value)) parsed$value$data else NULL
}

# The classed condition of an HTTP error status, with the server's own words.
http_error_condition <- function(res, method, path, call) {
  status <- res$status
  msg <- server_message(res)
  text <- http_status_text(status)
  # Redirects are not followed (credentials stay with the host they were given for): say where to.
  location <- if (status >= 300L && status < 400L && !is.na(res$location %||% NA)) res$location
  influx_condition(
    http_error_classes(status),
    sprintf(
      "InfluxDB answered HTTP %d%s to %s %s%s%s", status, if (nzchar(text)) paste0(" ", text) else "",
      method, path, if (nzchar(msg)) paste0(": ", msg) else "",
      if (!is.null(location)) sprintf(" (a redirect to %s, which is not followed: connect to that address)", location) else ""
    ),
    status = status, server_message = msg, server_data = server_data(res), method = method, path = path,
    retry_after = res$retry_after, location = location, call = call
  )
}

# One classed error per time limit (see influx_connect(), "Time limits").
timeout_condition <- function(con, limit, path, curl_code, call) {
  seconds <- con$timeouts[[limit]] %||% NA_real_
  what <- switch(limit,
    connect = sprintf("could not connect to %s within %s s (connect_timeout)", con$url, seconds),
    first_byte = sprintf("InfluxDB at %s sent no answer to %s within %s s (first_byte_timeout); a long computation may need a larger first_byte_timeout",
                         con$url, path, seconds),
    stall = sprintf("the transfer of %s%s stalled: no byte for %s s (stall_timeout)", con$url, path, seconds),
    total = sprintf("the request %s%s took longer than %s s (timeout)", con$url, path, seconds)
  )
  influx_condition(
    c(paste0("influx_error_timeout_", limit), "influx_error_timeout", "influx_error_transport"),
    what, limit = limit, seconds = seconds, curl_code = curl_code, url = paste0(con$url, path), call = call
  )
}

check_open <- function(con, call = NULL) {
  if (!inherits(con, "influx_connection")) {
    abort_argument("`con` must be a connection from influx_connect()", call)
  }
  if (!.Call(C_handle_is_open, con$handle)) {
    influx_abort("influx_error_closed", "the connection has been closed with influx_disconnect()", call = call)
  }
  check_not_busy(con, call)
}

# R code can run while a request waits (an event loop polled with the interrupt check, such as a
# GUI callback): it must not reuse or close the connection whose request is under way.
check_not_busy <- function(con, call = NULL) {
  if (.Call(C_handle_busy, con$handle)) {
    influx_abort("influx_error_busy",
                 "connection busy: a request on this connection is still running; use another connection",
                 call = call)
  }
}

handle_busy <- function(con) .Call(C_handle_busy, con$handle)

`%||%` <- function(x, y) if (is.null(x)) y else x
