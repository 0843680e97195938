# Reads as exchanges: the request for a query text and what its answer becomes, apart, so that
# several requests can be in flight at once (influx_http_many()) and be answered in order.
#
# An exchange is list(request, answer): `request` is list(method, path, query, body, headers,
# sink, frame) as influx_http() takes them; `answer(res)` gets influx_http()'s result, or the
# condition influx_http() would have raised, and returns what the sequential code returned, or
# raises what it raised.

# One exchange on its own: the sequential read, on the connection's own handle.
exchange_once <- function(con, ex, call) {
  r <- ex$request
  res <- tryCatch(influx_http(con, r$method, r$path, query = r$query, body = r$body, headers = r$headers,
                              sink = r$sink, frame = r$frame, call = call),
                  influx_error = identity)
  ex$answer(res)
}

# `exchanges` with at most `concurrency` requests in flight (1: one after another through
# exchange_once()), answered in order: a list of the answers. Requests go out in rounds of
# 4 x concurrency, so that `answered(i, value)` (progress) is called as the read goes and the
# first failing exchange, in order, stops the read early with its own error, as the sequential
# read would.
exchanges_run <- function(con, exchanges, concurrency, call, answered = NULL) {
  n <- length(exchanges)
  out <- vector("list", n)
  if (n == 0) return(out)
  round <- 4L * concurrency
  for (from in seq(1L, n, by = round)) {
    idx <- from:min(n, from + round - 1L)
    res <- if (concurrency > 1L) influx_http_many(con, lapply(exchanges[idx], `[[`, "request"), concurrency, call)
    for (j in seq_along(idx)) {
      ex <- exchanges[[idx[j]]]
      value <- if (is.null(res)) exchange_once(con, ex, call) else ex$answer(res[[j]])
      if (!is.null(value)) out[[idx[j]]] <- value
      if (!is.null(answered)) answered(idx[j], value)
    }
  }
  out
}

# The answer to a failed request, as influx_http() raised it.
raise_failed <- function(res) if (inherits(res, "condition")) stop(res)
