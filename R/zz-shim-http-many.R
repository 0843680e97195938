# Temporary stand-in for influx_http_many() of R/transfer-pool.R (branch h-wire): the same
# contract, one request after another. Removed when that branch is merged.
influx_http_many <- function(con, requests, concurrency = 4L, call = NULL) {
  lapply(requests, function(r) {
    tryCatch(influx_http(con, r$method, r$path, query = r$query, body = r$body, headers = r$headers,
                         sink = r$sink %||% "raw", frame = r$frame, call = call),
             influx_error = identity)
  })
}
