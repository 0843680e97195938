# Server health and readiness: influx_health(), influx_ready(), influx_wait_ready(). Which endpoint
# a generation offers is its backend's business (health_probe(), ready_probe() in R/backend.R);
# here one GET is turned into an outcome, and an HTTP failure answer (503 with a JSON body) is an
# outcome with status "fail", not an R error. No answer at all stays a classed transport error.

# GET `path`; the HTTP status, decoded JSON body (or NULL), text, version header and rtt.
health_get <- function(con, path, call = NULL) {
  started <- proc.time()[["elapsed"]]
  # A refused token (401, 403) is the caller's mistake, not the server's health: it stays an error.
  res <- tryCatch(influx_http(con, "GET", path, call = call), influx_error_http = function(e) {
    if (e$status %in% c(401L, 403L)) stop(e)
    e
  })
  if (inherits(res, "influx_error_http")) {
    return(list(code = res$status, json = NULL, message = res$server_message, version = NA_character_,
                seconds = max(proc.time()[["elapsed"]] - started, 1e-6), path = path))
  }
  json <- NULL
  if (length(res$body)) {
    parsed <- .Call(C_json_parse, res$body)
    if (isTRUE(parsed$ok) && is.list(parsed$value)) json <- parsed$value
  }
  list(code = res$status, json = json, message = if (is.null(json)) server_message(res) else json$message %||% "",
       version = res$version, seconds = res$seconds, path = path)
}

# A probe from health_get() -> the influx_health outcome.
health_outcome <- function(con, probe) {
  json <- probe$json
  pass <- probe$code >= 200L && probe$code < 300L && (is.null(json$status) || identical(json$status, "pass"))
  # 3.x's /health sends no version header: then the version the connection learnt at connect.
  version <- if (!is.na(probe$version %||% NA)) probe$version else json$version %||% con$server_version %||% NA_character_
  structure(list(status = if (pass) "pass" else "fail", name = json$name %||% NA_character_,
                 version = version, message = probe$message %||% "", checks = json$checks,
                 rtt = probe$seconds, url = paste0(con$url, probe$path)),
            class = "influx_health")
}

#' Check a server's health
#'
#' Asks the server how it is: `GET /health` on InfluxDB 2.x and 3.x (3.x asks
#' for the connection's token unless it runs without authentication) and on
#' InfluxDB 1.8 and later; older 1.x servers have no `/health`, so `/ping`
#' answers for them. A server that answers with a failure (HTTP 503 and a JSON
#' body, for example) gives an outcome with status `"fail"` and its message;
#' a refused token stays an `influx_error_http_401` (or `_403`) error.
#' @param con A connection from [influx_connect()].
#' @return A list of class `influx_health`: `status` (`"pass"` or `"fail"`),
#'   `name`, `version`, `message` and `checks` where the server reports them,
#'   `rtt` (round-trip seconds) and `url` (the endpoint asked).
#'   No answer at all raises `influx_error_transport` (see [influx_errors]).
#' @seealso [influx_ready()], [influx_wait_ready()], [influx_ping()]
#' @export
#' @examples
#' con <- influx_connect("http://127.0.0.1:9", version = "v2", token = "t")
#' # No server listens on port 9, so this is a classed transport error:
#' tryCatch(influx_health(con), influx_error_transport = conditionMessage)
influx_health <- function(con) {
  call <- sys.call()
  check_open(con, call)
  health_outcome(con, health_probe(con, call))
}

#' @export
print.influx_health <- function(x, ...) {
  cat(sprintf("InfluxDB %s at %s: %s%s (%.1f ms)\n", x$version %||% "?", x$url, x$status,
              if (nzchar(x$message %||% "")) paste0(", ", x$message) else "", 1000 * x$rtt))
  invisible(x)
}

#' Is the server ready for queries and writes?
#'
#' InfluxDB 2.x answers `GET /ready` with `status` `"ready"` and when it
#' `started` and how long it has been `up`. InfluxDB 1.x has no such endpoint:
#' a `/ping` answered with 204 means ready. InfluxDB 3.x has none either: its
#' `/health` answering OK means ready.
#' @inheritParams influx_health
#' @return `TRUE` or `FALSE`, with the attributes `message` and, on 2.x,
#'   `started` and `up` as the server gives them. No answer at all raises
#'   `influx_error_transport`.
#' @seealso [influx_wait_ready()], [influx_health()]
#' @export
#' @examples
#' con <- influx_connect("http://127.0.0.1:9", version = "v1")
#' tryCatch(influx_ready(con), influx_error_transport = conditionMessage)
influx_ready <- function(con) {
  call <- sys.call()
  check_open(con, call)
  ready_probe(con, call)
}

#' Wait until a server is ready
#'
#' For scripts that start a server: asks [influx_ready()] every `interval`
#' seconds until it says ready; a server that does not answer yet counts as
#' not ready. Interruptible (Ctrl-C) between and during the short waits.
#' @inheritParams influx_health
#' @param timeout Seconds to wait at most.
#' @param interval Seconds between attempts.
#' @return The outcome of [influx_ready()], invisibly, with the attribute
#'   `waited` (seconds). After `timeout` seconds without a ready answer, an
#'   error of class `influx_error_not_ready` with the fields `waited`,
#'   `last` (the last outcome, or the last transport error) and `timeout`.
#' @seealso [influx_ready()]
#' @export
#' @examples
#' con <- influx_connect("http://127.0.0.1:9", version = "v1")
#' tryCatch(influx_wait_ready(con, timeout = 0.5),
#'          influx_error_not_ready = conditionMessage)
influx_wait_ready <- function(con, timeout = 30, interval = 0.25) {
  call <- sys.call()
  check_open(con, call)
  for (arg in c("timeout", "interval")) {
    v <- get(arg)
    if (!is.numeric(v) || length(v) != 1 || is.na(v) || v < 0) {
      abort_argument(sprintf("`%s` must be a single non-negative number of seconds, not %s", arg, format_value(v)), call)
    }
  }
  started <- proc.time()[["elapsed"]]
  repeat {
    last <- tryCatch(ready_probe(con, call), influx_error_transport = function(e) e)
    waited <- proc.time()[["elapsed"]] - started
    if (isTRUE(as.vector(last))) return(invisible(structure(last, waited = waited)))
    if (waited >= timeout) break
    pause_until <- proc.time()[["elapsed"]] + min(interval, timeout - waited)
    while ((left <- pause_until - proc.time()[["elapsed"]]) > 0) Sys.sleep(min(left, 0.05))
  }
  why <- if (inherits(last, "condition")) conditionMessage(last) else attr(last, "message") %||% "not ready"
  influx_abort("influx_error_not_ready",
               sprintf("%s at %s was not ready after %.1f s: %s", backend_label(con), con$url, waited, why),
               waited = waited, last = last, timeout = timeout, call = call)
}
