#' A buffered writer for collectors
#'
#' `influx_writer()` opens a writer that takes rows at any rate with
#' [influx_writer_add()] and sends them in batches through [influx_write()],
#' on a curl handle of its own (a copy of the connection's, with the same
#' address, credentials and settings), so a query in progress on `con` never
#' gets in its way.
#'
#' @section When it sends:
#' * at once when `batch_size` points are waiting (whole batches are sent,
#'   the rest waits);
#' * every `flush_interval` seconds, by a timer, where an event loop runs
#'   (an interactive console, Shiny, httpuv) and the `later` package is
#'   installed (`timer = TRUE` asks for it anywhere, e.g. to drive it with
#'   `later::run_now()`). A plain `Rscript` loop runs no event loop: there
#'   the points are sent at the next [influx_writer_add()] once the oldest
#'   waiting point is `flush_interval` seconds old;
#' * at [influx_writer_flush()] and [influx_writer_close()];
#' * when the writer is garbage collected or R exits without closing it: one
#'   bounded attempt (no retries, `exit_timeout` seconds in all, each request
#'   limited to the time left), and what is still unsent goes to the spill
#'   file, whose path a warning names.
#'
#' @section Failures:
#' A batch that fails for a reason that may pass (HTTP 429, 408 and 5xx,
#' timeouts, refused or reset connections) stays waiting for the next flush.
#' An explicit flush or close retries it up to `max_retries` times, waiting
#' as the server's `Retry-After` asks (at most 60 s) or backing off (0.5 s,
#' 1 s, 2 s, ...); a flush started by `add()` or the timer never sleeps: it
#' tries once and waits before the next automatic attempt (as long as
#' `Retry-After` says, else the backoff), so a collector is never held up by
#' a server that is down.
#'
#' Points the server refuses (HTTP 400, 413, 422: a field type conflict,
#' bad line protocol, a partial write) go to [influx_writer_rejected()] with
#' the server's message, and the writer carries on. InfluxDB 3 names the
#' refused lines; InfluxDB 1.x and 2.x do not, so the writer sends the failed
#' batch again in halves until it finds them (the accepted points are
#' written again with the same series, time and values, which changes
#' nothing). A writer with `time = NULL` (points stamped by the server)
#' cannot re-send without writing duplicates: there every point of a refused
#' batch goes to the rejected list, with a message saying the server may have
#' kept some of them.
#'
#' Points waiting for another try are held in memory up to
#' `max_buffer_bytes` of line protocol; beyond it the oldest are appended to
#' the spill file (line protocol, with the precision in a comment line, so
#' `influx_write(con, readLines(file), precision = ...)` sends them later),
#' counted as `lost` and named in a warning. Errors that another try cannot
#' fix (HTTP 401, 403, 404: credentials or a missing database) are raised by
#' the call that flushed; the points stay waiting.
#'
#' @param con A writable connection from [influx_connect()] (any connection
#'   with `dry_run = TRUE`).
#' @param measurement,tags,fields,time,precision,database,gzip How rows are
#'   written, as in [influx_write()]; `measurement` can also be given to each
#'   [influx_writer_add()].
#' @param batch_size Points per request.
#' @param flush_interval Seconds a point may wait before it is sent.
#' @param max_retries Retries of a batch in an explicit flush or close.
#' @param max_buffer_bytes Bytes of line protocol held in memory for retry
#'   (default 64 MB).
#' @param spill_dir Directory of the spill file (default
#'   `tools::R_user_dir("influxdbtoolkit", "data")`, which outlives the
#'   session; a file is made only when needed).
#' @param exit_timeout Seconds the last attempt at garbage collection or exit
#'   may take in all.
#' @param timer Flush every `flush_interval` seconds with `later`: `TRUE`,
#'   `FALSE`, or `NULL` (where an event loop runs: an interactive session, or
#'   Shiny or httpuv loaded).
#' @param dry_run Send nothing: [influx_writer_flush()] returns the line
#'   protocol it would send.
#' @return An `influx_writer`.
#' @seealso [influx_writer_add()], [influx_writer_stats()],
#'   [influx_writer_rejected()]
#' @export
#' @examples
#' con <- influx_connect("http://127.0.0.1:8086", version = "v1", database = "sensors")
#' w <- influx_writer(con, "climate", dry_run = TRUE, timer = FALSE)
#' influx_writer_add(w, data.frame(time = Sys.time(), room = "lab", temperature = 21.5))
#' influx_writer_flush(w)
#' influx_writer_close(w)
influx_writer <- function(con, measurement = NULL, tags = NULL, batch_size = 5000, flush_interval = 10,
                          fields = NULL, time = "time", precision = c("ns", "us", "ms", "s"), database = NULL,
                          gzip = TRUE, max_retries = 5, max_buffer_bytes = 64 * 1024^2, spill_dir = NULL,
                          exit_timeout = 5, timer = NULL, dry_run = FALSE) {
  call <- sys.call()
  check_open(con, call)
  precision <- if (identical(precision, c("ns", "us", "ms", "s"))) "ns" else precision
  if (!is.logical(dry_run) || length(dry_run) != 1 || is.na(dry_run)) abort_argument("`dry_run` must be TRUE or FALSE", call)
  # influx_write() checks the arguments it will be given.
  tryCatch(influx_write(con, character(), precision = precision, batch_size = batch_size, gzip = gzip, dry_run = TRUE,
                        max_retries = max_retries),
           influx_error = function(e) { e$call <- call; stop(e) })
  number <- function(x, name, low, high = Inf) {
    if (!is.numeric(x) || length(x) != 1 || is.na(x) || x < low || x > high) {
      abort_argument(sprintf("`%s` must be a number from %s to %s", name, format(low), format(high)), call)
    }
  }
  number(flush_interval, "flush_interval", 0)
  number(max_buffer_bytes, "max_buffer_bytes", 0)
  number(exit_timeout, "exit_timeout", 0.1, 600)
  if (!is.null(timer) && (!is.logical(timer) || length(timer) != 1 || is.na(timer))) {
    abort_argument("`timer` must be TRUE, FALSE or NULL", call)
  }
  if (!is.null(spill_dir) && (!is.character(spill_dir) || length(spill_dir) != 1 || is.na(spill_dir))) {
    abort_argument("`spill_dir` must be one directory path", call)
  }
  if (!dry_run) require_writable(con, "writing", call)
  target <- influx_target(con, database, call)
  st <- new.env(parent = emptyenv())
  st$con <- if (dry_run) con else clone_connection(con)
  st$url <- con$url
  st$target <- target
  st$spec <- list(measurement = measurement, tags = tags, fields = fields, time = time, precision = precision,
                  database = database, gzip = gzip)
  st$batch_size <- as.integer(batch_size)
  st$flush_interval <- flush_interval
  st$max_retries <- as.integer(max_retries)
  st$max_buffer_bytes <- max_buffer_bytes
  st$spill_dir <- spill_dir %||% tools::R_user_dir("influxdbtoolkit", "data")
  st$spill_file <- NULL
  st$exit_timeout <- exit_timeout
  st$dry_run <- dry_run
  st$lines <- character()  # line protocol waiting, oldest first
  st$points <- integer()   # the writer's number of each waiting point (1 = the first ever added)
  st$bytes_held <- 0
  st$oldest <- NA_real_    # when the oldest waiting point was added (clock())
  st$next_try <- -Inf      # no automatic flush before this (after a failure)
  st$failures <- 0L        # automatic flushes failed in a row
  st$flushing <- FALSE
  st$deadline <- Inf       # at exit: when the last attempt must end
  st$closed <- FALSE
  st$rejected <- list()
  st$stats <- list(accepted = 0, written = 0, rejected = 0, lost = 0, dropped = 0, retried = 0, batches = 0,
                   bytes = 0, last_error = NA_character_)
  w <- structure(list2env(list(state = st), parent = emptyenv()), class = "influx_writer")
  reg.finalizer(w, writer_finalize, onexit = TRUE)
  if (isTRUE(timer) || (is.null(timer) && writer_event_loop())) writer_start_timer(st, call)
  w
}

#' Add rows to a buffered writer
#'
#' Turns `x` into line protocol at once (bad input is refused here, with the
#' errors of [influx_write()]), keeps it, and sends what is due (see
#' [influx_writer()], "When it sends").
#'
#' @param w A writer from [influx_writer()].
#' @param x A data frame, a list of points, or a character vector of line
#'   protocol (comment lines are left out), as [influx_write()] takes.
#' @param measurement Measurement of a data frame (default: the writer's).
#' @return `w`, invisibly.
#' @export
influx_writer_add <- function(w, x, measurement = NULL) {
  call <- sys.call()
  st <- writer_state(w, call)
  s <- st$spec
  lines <- tryCatch(
    influx_write(st$con, x, measurement %||% s$measurement, s$tags, s$fields, s$time, s$precision, s$database,
                 dry_run = TRUE),
    influx_error = function(e) { e$call <- call; stop(e) })
  dropped <- attr(lines, "dropped") %||% 0
  lines <- as.vector(lines)
  if (is.character(x)) lines <- lines[!grepl("^[ \t]*#", lines)]
  now <- clock_seconds()
  if (length(lines)) {
    first <- st$stats$accepted
    st$lines <- c(st$lines, lines)
    st$points <- c(st$points, first + seq_along(lines))
    st$bytes_held <- st$bytes_held + sum(nchar(lines, "bytes")) + length(lines)
    if (is.na(st$oldest)) st$oldest <- now
  }
  st$stats$accepted <- st$stats$accepted + length(lines)
  st$stats$dropped <- st$stats$dropped + dropped
  if (!st$dry_run && now >= st$next_try) {
    due <- !is.na(st$oldest) && now - st$oldest >= st$flush_interval
    if (due || length(st$lines) >= st$batch_size) writer_send(st, whole_batches = !due, patient = FALSE, call = call)
  }
  writer_limit_memory(st)
  invisible(w)
}

#' Flush or close a buffered writer
#'
#' `influx_writer_flush()` sends every waiting point, retrying temporary
#' failures (see [influx_writer()], "Failures"); what still fails keeps
#' waiting. `influx_writer_close()` flushes, then saves what could not be
#' sent to the spill file (with a warning naming it) and releases the
#' writer's handle; adding to a closed writer is an `influx_error_closed`.
#'
#' @param w A writer from [influx_writer()].
#' @return `influx_writer_flush()`: the writer's statistics, invisibly (a
#'   dry run: the line protocol it would have sent). `influx_writer_close()`:
#'   the statistics, invisibly.
#' @export
influx_writer_flush <- function(w) {
  call <- sys.call()
  st <- writer_state(w, call)
  if (st$dry_run) {
    lines <- st$lines
    writer_forget(st, rep(TRUE, length(lines)))
    return(lines)
  }
  writer_send(st, whole_batches = FALSE, patient = TRUE, call = call)
  writer_limit_memory(st)
  invisible(influx_writer_stats(w))
}

#' @rdname influx_writer_flush
#' @export
influx_writer_close <- function(w) {
  call <- sys.call()
  st <- writer_state(w, call)
  if (!st$dry_run) {
    tryCatch(writer_send(st, whole_batches = FALSE, patient = TRUE, call = call),
             influx_error = function(e) st$stats$last_error <- conditionMessage(e))
  }
  writer_shutdown(st)
  invisible(influx_writer_stats(w))
}

#' What a buffered writer has done
#'
#' @param w A writer from [influx_writer()].
#' @return `influx_writer_stats()`: a list of `accepted` (points added),
#'   `written` (points the server took), `pending` (waiting in memory) and
#'   `pending_bytes`, `rejected` (points the server refused, see
#'   `influx_writer_rejected()`), `lost` (points taken out of memory unsent
#'   and saved to `spill_file`), `dropped` (rows without any field, as in
#'   [influx_write()]), `retried` (batches sent again after a temporary
#'   failure), `batches` (requests the server accepted), `bytes` (line
#'   protocol they carried), `last_error` (the message of the last failure,
#'   or `NA`) and `spill_file` (or `NA`). `influx_writer_rejected()`: a data
#'   frame of `point` (the writer's number of the point, 1 for the first
#'   added), `line` (its line protocol) and `message` (the server's).
#' @export
influx_writer_stats <- function(w) {
  st <- writer_state(w, sys.call(), open = FALSE)
  c(st$stats, list(pending = length(st$lines), pending_bytes = st$bytes_held,
                   spill_file = st$spill_file %||% NA_character_))
}

#' @rdname influx_writer_stats
#' @export
influx_writer_rejected <- function(w) {
  st <- writer_state(w, sys.call(), open = FALSE)
  if (length(st$rejected) == 0) {
    return(data.frame(point = integer(), line = character(), message = character(), stringsAsFactors = FALSE))
  }
  do.call(rbind, st$rejected)
}

#' @export
print.influx_writer <- function(x, ...) {
  s <- influx_writer_stats(x)
  st <- x$state
  cat(sprintf("<influx_writer> to %s (%s)%s%s\n", st$url, st$target, if (st$dry_run) " [dry run]" else "",
              if (st$closed) " [closed]" else ""))
  cat(sprintf("  accepted %s, written %s in %s batches, pending %s (%s), rejected %s, lost %s, retried %s\n",
              s$accepted, s$written, s$batches, s$pending, format_bytes(s$pending_bytes), s$rejected, s$lost, s$retried))
  if (!is.na(s$last_error)) cat("  last error:", s$last_error, "\n")
  if (!is.na(s$spill_file)) cat("  spill file:", s$spill_file, "\n")
  invisible(x)
}

# ---- internals ------------------------------------------------------------------------------

clock_seconds <- function() proc.time()[["elapsed"]]

writer_state <- function(w, call, open = TRUE) {
  if (!inherits(w, "influx_writer")) abort_argument("`w` must be a writer from influx_writer()", call)
  st <- w$state
  if (open && st$closed) influx_abort("influx_error_closed", "the writer has been closed with influx_writer_close()", call = call)
  st
}

# Whether R runs an event loop that fires `later` timers while it waits.
writer_event_loop <- function() {
  requireNamespace("later", quietly = TRUE) &&
    (is_interactive() || isNamespaceLoaded("shiny") || isNamespaceLoaded("httpuv"))
}

# The timer holds the state, not the writer, so a writer that is no longer used can still be
# garbage collected (its finalizer stops the timer).
writer_start_timer <- function(st, call) {
  if (!requireNamespace("later", quietly = TRUE)) {
    influx_abort("influx_error_dependency", "timer = TRUE needs the later package", package = "later", call = call)
  }
  tick <- function() {
    if (st$closed) return()
    if (!st$flushing && !st$dry_run && !is.na(st$oldest) && clock_seconds() >= st$next_try &&
        clock_seconds() - st$oldest >= st$flush_interval) {
      tryCatch(writer_send(st, whole_batches = FALSE, patient = FALSE, call = NULL),
               influx_error = function(e) st$stats$last_error <- conditionMessage(e))
      writer_limit_memory(st)
    }
    st$cancel_timer <- later::later(tick, st$flush_interval)
  }
  st$cancel_timer <- later::later(tick, st$flush_interval)
}

# Takes the points `done` (logical over the waiting ones) out of memory.
writer_forget <- function(st, done) {
  if (!any(done)) return()
  st$bytes_held <- st$bytes_held - sum(nchar(st$lines[done], "bytes")) - sum(done)
  st$lines <- st$lines[!done]
  st$points <- st$points[!done]
  if (length(st$lines) == 0) {
    st$oldest <- NA_real_
    st$bytes_held <- 0
  }
}

# What a failed write means for the writer.
writer_failure_kind <- function(e) {
  if (inherits(e, c("influx_error_http_400", "influx_error_http_413", "influx_error_http_422"))) return("rejected")
  if (inherits(e, c("influx_error_http_408", "influx_error_http_429", "influx_error_http_5xx")) ||
      (inherits(e, "influx_error_transport") && !inherits(e, "influx_error_tls"))) return("retry")
  "fatal"
}

# Sends the waiting points batch by batch, oldest first. `whole_batches`: only full batches (a
# flush because a batch filled up). `patient`: retry temporary failures with sleeps (explicit
# flush and close), else try once and set the time of the next automatic attempt. `batches`: at
# most so many. Returns TRUE when nothing is left to send.
writer_send <- function(st, whole_batches, patient, call, batches = Inf) {
  if (st$flushing) return(FALSE)
  st$flushing <- TRUE
  on.exit(st$flushing <- FALSE)
  repeat {
    n <- length(st$lines)
    if (n == 0 || (whole_batches && n < st$batch_size) || batches <= 0) break
    batches <- batches - 1
    take <- seq_len(min(n, st$batch_size))
    attempt <- 0L
    # a batch that failed at an earlier automatic flush is tried again now
    if (st$failures > 0L) st$stats$retried <- st$stats$retried + 1
    repeat {
      out <- writer_deliver(st, take)
      writer_forget(st, seq_along(st$lines) %in% take[out$done])
      if (is.null(out$error)) break
      e <- out$error
      st$stats$last_error <- conditionMessage(e)
      kind <- writer_failure_kind(e)
      if (kind == "fatal") stop(e)
      wait <- writer_backoff(e, if (patient) attempt + 1L else st$failures + 1L)
      if (!patient || attempt >= st$max_retries) {
        st$failures <- st$failures + 1L
        st$next_try <- clock_seconds() + wait
        return(FALSE)
      }
      attempt <- attempt + 1L
      Sys.sleep(wait)
      take <- seq_len(min(length(st$lines), st$batch_size))
      st$stats$retried <- st$stats$retried + 1
    }
    st$failures <- 0L
    st$next_try <- -Inf
  }
  length(st$lines) == 0
}

# Seconds to wait before trying again: Retry-After when the server gives one (at most 60 s),
# else 0.5 s, 1 s, 2 s, ... up to 30 s.
writer_backoff <- function(e, attempt) {
  after <- suppressWarnings(as.numeric(e$retry_after %||% NA))
  if (!is.na(after) && after >= 0) return(min(after, 60))
  min(30, 0.5 * 2^(attempt - 1))
}

# Sends the waiting points `idx` as one request; on a refusal, finds the refused points.
# -> list(done = logical over idx (written or rejected), error = the condition that stopped it,
# or NULL).
writer_deliver <- function(st, idx) {
  lines <- st$lines[idx]
  s <- st$spec
  res <- tryCatch(influx_write(st$con, lines, precision = s$precision, database = s$database,
                               batch_size = length(lines), gzip = s$gzip, max_retries = 0),
                  influx_error = function(e) e)
  if (!inherits(res, "influx_error")) {
    st$stats$written <- st$stats$written + length(lines)
    st$stats$batches <- st$stats$batches + 1
    st$stats$bytes <- st$stats$bytes + sum(nchar(lines, "bytes")) + length(lines)
    return(list(done = rep(TRUE, length(idx)), error = NULL))
  }
  if (writer_failure_kind(res) != "rejected") return(list(done = rep(FALSE, length(idx)), error = res))
  message <- res$server_message %||% conditionMessage(res)
  named <- res$rejected
  if (is.data.frame(named) && nrow(named)) {
    # The server names the refused lines and kept the others (InfluxDB 3).
    bad <- seq_along(idx) %in% ifelse(is.na(named$row), named$line, named$row)
    writer_reject(st, idx[bad], as.character(named$message))
    st$stats$written <- st$stats$written + sum(!bad)
    return(list(done = rep(TRUE, length(idx)), error = NULL))
  }
  if (length(idx) == 1) {
    writer_reject(st, idx, message)
    return(list(done = TRUE, error = NULL))
  }
  if (is.null(s$time)) {
    writer_reject(st, idx, paste0(message, " (the server may have kept some of these points: stamped by the server, they are not sent again)"))
    return(list(done = rep(TRUE, length(idx)), error = NULL))
  }
  if (clock_seconds() >= st$deadline) {
    # at exit, out of time: the batch stays waiting (and goes to the spill file)
    return(list(done = rep(FALSE, length(idx)), error = simpleError(paste("no time left to find the refused points:", message))))
  }
  half <- ceiling(length(idx) / 2)
  first <- writer_deliver(st, idx[seq_len(half)])
  if (!is.null(first$error)) return(list(done = c(first$done, rep(FALSE, length(idx) - half)), error = first$error))
  second <- writer_deliver(st, idx[-seq_len(half)])
  list(done = c(first$done, second$done), error = second$error)
}

writer_reject <- function(st, idx, message) {
  st$rejected[[length(st$rejected) + 1L]] <- data.frame(point = st$points[idx], line = st$lines[idx],
                                                        message = rep_len(message, length(idx)),
                                                        stringsAsFactors = FALSE)
  st$stats$rejected <- st$stats$rejected + length(idx)
  st$stats$last_error <- message[1]
}

# Beyond max_buffer_bytes the oldest waiting points go to the spill file.
writer_limit_memory <- function(st) {
  if (st$bytes_held <= st$max_buffer_bytes) return(invisible())
  size <- cumsum(nchar(st$lines, "bytes") + 1)
  out <- size > 0 & (st$bytes_held - c(0, size[-length(size)])) > st$max_buffer_bytes
  writer_spill(st, out, sprintf("held more than max_buffer_bytes (%s) for retry", format_bytes(st$max_buffer_bytes)))
}

# Appends the waiting points `which` to the spill file, counts them as lost and warns.
writer_spill <- function(st, which, why) {
  n <- sum(which)
  if (n == 0) return(invisible())
  if (is.null(st$spill_file)) {
    dir.create(st$spill_dir, recursive = TRUE, showWarnings = FALSE)
    st$spill_file <- file.path(normalizePath(st$spill_dir, mustWork = FALSE),
                               sprintf("writer-%s-%d-%s.lp", format(Sys.time(), "%Y%m%dT%H%M%S"), Sys.getpid(),
                                       paste(sample(c(letters, 0:9), 6, TRUE), collapse = "")))
    writeLines(sprintf("# influxdbtoolkit writer spill for %s (%s): precision=%s", st$url, st$target, st$spec$precision),
               st$spill_file, useBytes = TRUE)
  }
  con <- file(st$spill_file, open = "ab")
  writeLines(st$lines[which], con, useBytes = TRUE)
  close(con)
  writer_forget(st, which)
  st$stats$lost <- st$stats$lost + n
  warning(structure(class = c("influx_warning_writer_spill", "warning", "condition"), list(
    message = sprintf("influx_writer: %d points %s were not sent and were saved to %s (send them with influx_write(con, readLines(file), precision = \"%s\"))",
                      n, why, st$spill_file, st$spec$precision),
    call = NULL, file = st$spill_file, points = n)))
}

writer_shutdown <- function(st, when = "when the writer was closed") {
  if (st$closed) return(invisible())
  if (!st$dry_run && length(st$lines)) writer_spill(st, rep(TRUE, length(st$lines)), paste("still waiting", when))
  if (is.function(st$cancel_timer)) st$cancel_timer()
  st$closed <- TRUE
  if (!st$dry_run) .Call(C_handle_close, st$con$handle)
}

# At garbage collection or exit: one bounded attempt on a handle whose time limits fit in
# exit_timeout, without retries, then the spill file. Never an error: nothing could catch it.
writer_finalize <- function(w) {
  st <- w$state
  if (st$closed) return(invisible())
  if (!st$dry_run && length(st$lines) && !st$flushing) {
    st$deadline <- clock_seconds() + st$exit_timeout
    # A handle per batch whose limits end at the deadline, so a request under way cannot outlast it.
    while (length(st$lines) && (left <- st$deadline - clock_seconds()) > 0.05) {
      st$con <- tryCatch(clone_connection(st$con, list(connect = min(2, left), first_byte = left, stall = left, total = left)),
                         error = function(e) st$con)
      going <- tryCatch({ writer_send(st, whole_batches = FALSE, patient = FALSE, call = NULL, batches = 1); st$failures == 0L },
                        error = function(e) { st$stats$last_error <- conditionMessage(e); FALSE })
      if (!going) break
    }
  }
  tryCatch(withCallingHandlers(writer_shutdown(st, "when the writer was garbage collected or R exited"), warning = function(cnd) {
    # At exit a deferred warning would never be shown: it goes out at once.
    warning(conditionMessage(cnd), call. = FALSE, immediate. = TRUE)
    invokeRestart("muffleWarning")
  }), error = function(e) NULL)
  invisible()
}
