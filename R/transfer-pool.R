# Several requests in flight on one connection (src/transfer_pool.c): influx_http_many() for a
# list of requests, and the incremental form under it (pool_submit(), pool_wait(),
# pool_result(), pool_cancel()) for callers that prepare the next request while others run, such
# as the pipelined writer (send_batches()).
#
# While a request of the pool is in flight the connection is busy: another influx_http() or
# influx_http_many() on it is refused with influx_error_busy. Whoever submits must end with
# pool_cancel() (on.exit) so that an error in between leaves nothing in flight.

# Runs `requests` (a list; each a list(method, path, query = NULL, body = NULL, headers = NULL,
# sink = "raw", frame = NULL), as influx_http() takes them) with at most `concurrency` in flight.
# Returns a list in the same order: per request what influx_http() returns, or the classed
# influx_error condition it would raise (returned, not raised). Ctrl-C abandons every transfer
# and raises influx_interrupt, as influx_http() does.
influx_http_many <- function(con, requests, concurrency = 4L, call = NULL) {
  check_open(con, call)
  if (!is.list(requests)) abort_argument("`requests` must be a list of requests", call)
  concurrency <- check_concurrency(concurrency, call)
  n <- length(requests)
  out <- vector("list", n)
  if (n == 0) return(out)
  for (i in seq_len(n)) check_request(requests[[i]], i, call)
  on.exit(pool_cancel(con))
  flight <- pool_flight()
  nxt <- 1L
  while (nxt <= n || flight$size() > 0) {
    while (nxt <= n && flight$size() < concurrency) {
      r <- requests[[nxt]]
      started <- pool_submit(con, nxt, r$method, r$path, r$query, r$body, r$headers, r$sink %||% "raw", r$frame, call)
      if (inherits(started, "condition")) out[[nxt]] <- started else flight$add(nxt, started)
      nxt <- nxt + 1L
    }
    if (flight$size() == 0) next
    for (id in pool_wait(con, call = call)) {
      r <- requests[[id]]
      res <- pool_result(flight$take(id))
      out[[id]] <- http_result_condition(con, res, r$method, r$path, call) %||% res
    }
  }
  out
}

check_concurrency <- function(concurrency, call) {
  if (!is.numeric(concurrency) || length(concurrency) != 1 || is.na(concurrency) || concurrency < 1 ||
      concurrency > 64 || concurrency != round(concurrency)) {
    abort_argument("`concurrency` must be a whole number of requests in flight between 1 and 64", call)
  }
  as.integer(concurrency)
}

check_request <- function(r, i, call) {
  ok <- is.list(r) && is.character(r$method) && length(r$method) == 1 && is.character(r$path) &&
    length(r$path) == 1 && (is.null(r$sink) || (is.character(r$sink) && length(r$sink) == 1))
  if (!ok) abort_argument(sprintf("request %d must be a list with a `method` and a `path` (strings)", i), call)
}

# The requests in flight: their guards by id.
pool_flight <- function() {
  guards <- list()
  list(
    add = function(id, guard) guards[[as.character(id)]] <<- guard,
    take = function(id) {
      g <- guards[[as.character(id)]]
      guards[[as.character(id)]] <<- NULL
      g
    },
    size = function() length(guards),
    ids = function() as.integer(names(guards))
  )
}

# Starts one request: its guard (for pool_result()), or, when it could not start, the
# influx_error_transport condition that says why.
pool_submit <- function(con, id, method, path, query = NULL, body = NULL, headers = NULL, sink = "raw",
                        frame = NULL, call = NULL) {
  query <- if (length(query)) vapply(query, as.character, "") else NULL
  g <- .Call(C_pool_submit, con$handle, as.integer(id), method, path, query, headers, body, sink, frame)
  if (is.character(g)) {
    return(influx_condition(c("influx_error_transport"), sprintf("could not start a request to %s%s: %s", con$url, path, g),
                            curl_code = 2L, url = paste0(con$url, path), call = call))
  }
  g
}

# Waits until one or more requests in flight end (or `timeout` seconds pass; NA: no limit) and
# returns their ids. Ctrl-C abandons all of them and raises influx_interrupt.
pool_wait <- function(con, timeout = NA_real_, call = NULL) {
  w <- .Call(C_pool_wait, con$handle, as.double(timeout))
  if (isTRUE(w$interrupted)) signal_interrupt(call)
  w$done
}

# The result of an ended request, as influx_http()'s .Call gives it.
pool_result <- function(guard) .Call(C_pool_result, guard)

# Abandons whatever is still in flight on the connection (the connection is usable after).
pool_cancel <- function(con) invisible(.Call(C_pool_cancel_all, con$handle))

# c(active, easy, live_easy): transfers in flight, easy handles of this connection's pool and of
# every pool (for leak tests).
pool_counts <- function(con) .Call(C_pool_counts, con$handle)
