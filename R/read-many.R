# Reads as exchanges: the request for a query text and what its answer becomes, apart, so that
# several requests can be in flight at once (influx_http_many()) and be answered in order.
#
# An exchange is list(request, answer): `request` is list(method, path, query, body, headers,
# sink, frame) as influx_http() takes them; `answer(res)` gets influx_http()'s result, or the
# condition influx_http() would have raised, and returns what the sequential code returned, or
# raises what it raised.

# One exchange on its own: the sequential read.
exchange_once <- function(con, ex, call) {
  ex$answer(influx_http_many(con, list(ex$request), 1L, call)[[1]])
}

# `exchanges` with at most `concurrency` requests in flight, answered in order: a list of the
# answers. Requests go out in rounds of 4 x concurrency, so that `answered(i, value)` (progress)
# is called as the read goes and the first failing exchange, in order, stops the read early with
# its own error, as the sequential read would.
exchanges_run <- function(con, exchanges, concurrency, call, answered = NULL) {
  n <- length(exchanges)
  out <- vector("list", n)
  if (n == 0) return(out)
  round <- 4L * concurrency
  for (from in seq(1L, n, by = round)) {
    idx <- from:min(n, from + round - 1L)
    res <- influx_http_many(con, lapply(exchanges[idx], `[[`, "request"), concurrency, call)
    for (j in seq_along(idx)) {
      value <- exchanges[[idx[j]]]$answer(res[[j]])
      if (!is.null(value)) out[[idx[j]]] <- value
      if (!is.null(answered)) answered(idx[j], value)
    }
  }
  out
}

# The answer to a failed request, as influx_http() raised it.
raise_failed <- function(res) if (inherits(res, "condition")) stop(res)

# `concurrency` of influx_timeseries() and influx_query(): requests in flight at once.
check_concurrency <- function(concurrency, call) {
  if (!is.numeric(concurrency) || length(concurrency) != 1 || is.na(concurrency) ||
      concurrency < 1 || concurrency > 64 || concurrency != round(concurrency)) {
    abort_argument(sprintf("`concurrency` must be a whole number from 1 to 64, not %s", format_value(concurrency)), call)
  }
  as.integer(concurrency)
}
