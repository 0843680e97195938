#' Write data to InfluxDB
#'
#' Serializes rows to line protocol in C and sends them in batches, gzip
#' compressed, retrying what may succeed later. The connection must have been
#' opened with `writable = TRUE`; `dry_run = TRUE` returns the line protocol
#' and sends nothing (on any connection).
#'
#' `x` is one of:
#' * a data frame: one point per row. `tags` default to the character and
#'   factor columns, `fields` to the remaining columns (besides `time`);
#' * a list of points, each a list with `measurement`, `tags` (named list or
#'   character vector), `fields` (named list) and `time`;
#' * a character vector of line protocol, sent as it is (in batches of
#'   `batch_size` lines); lines starting with `#` are comments to the servers
#'   and are not counted as points.
#'
#' Values: doubles as floats (the shortest text that reads back as the same
#' double, e.g. `0.1`, `5e-324`), integers and `bit64::integer64` with `i`,
#' logicals as booleans, characters as strings (UTF-8), factors as their
#' labels. `NA`, `NaN` and `Inf` fields are left out; a row with no field left
#' is dropped and counted. Tags: character and factor columns as they are;
#' numeric ones as exact decimal text without an exponent (`100000`,
#' `0.0000001`, integers as integers), logicals as `TRUE`/`FALSE`. `NA` and
#' empty tags are left out; tags go sorted by key. Times come from `POSIXct`
#' (exact to the microsecond), `Date`, numeric seconds since 1970, or
#' `integer64` nanoseconds (exact), rounded to `precision` in 64-bit integers.
#'
#' Names are escaped for the server's own parser, so that every generation
#' stores exactly the name given (backslashes included): InfluxDB 1.x and 2.x
#' (Go) keep a backslash that escapes nothing, InfluxDB 3.x (Rust) reads two
#' backslashes as one, so a dry run shows the text for the connection's
#' server. What the server would store differently, skip or lose is refused
#' before anything is sent, with an `influx_error_argument` naming the row and
#' column: a line break in a measurement, tag key, tag value or field key; an
#' empty measurement; a name or tag value ending in a backslash; a measurement
#' starting with `#` (the servers skip the line as a comment); text that is not
#' valid UTF-8; a tag or field called `time`; an `NA` time. On 1.x and 2.x
#' also a measurement starting with a tab (they strip it) or with a backslash
#' right before a comma, space, `=` or `"`; a field key starting with a tab or
#' with an odd number of backslashes before a comma, space or `=`; a row whose
#' backslashes would make the servers read its line and the next as one. On
#' 3.x also a tab anywhere in a name or tag value (it ends the name there).
#' Line breaks and tabs in string field values are fine.
#'
#' Batches start in order, up to `concurrency` of them in flight at once, and
#' the next one is serialized while the others are on the wire. A batch whose
#' span of times meets that of a batch still in flight (or waiting for a
#' retry) waits until that one has finished, so that a point (series and time)
#' written twice keeps the later value, as it would one batch after another;
#' time-sorted data is not held up by this. Batches of a list of points are
#' sent one after another, as are line protocol lines without a time when
#' `precision` is coarser than `"ns"` (the server's clock stamps them and may
#' give two batches the same second).
#'
#' HTTP 429 and 503, timeouts and refused connections are retried, per batch,
#' up to `max_retries` times with exponential backoff and jitter, honouring
#' `Retry-After`. A batch that still fails stops the call: no further batch
#' starts, the batches in flight finish, and an `influx_error_write` (also
#' carrying the classes of the underlying error) says exactly what happened:
#' `rows_written`, `rows_failed` and `rows_not_sent` are each `integer()` for
#' none, `c(from, to)` for one range of rows, or a two-column matrix (`from`,
#' `to`) when batches in flight together ended differently (with
#' `concurrency = 1` always a single range). On a 400 "partial write" the
#' server may have kept some points of the failed batch, and its message says
#' which were refused. InfluxDB 3.x (`/api/v3/write_lp`, which keeps the good
#' lines of a batch) lists the refused lines: the error's `rejected` is a data
#' frame of the `row` of `x`, the `line` (among the batch's points) and the
#' server's `message`.
#'
#' @param con A writable connection from [influx_connect()].
#' @param x A data frame, a list of points, or a character vector of line protocol.
#' @param measurement Measurement name (data frames).
#' @param tags,fields Column names (data frames); see above for the defaults.
#' @param time Name of the time column, or `NULL` to let the server stamp the
#'   points with its own clock.
#' @param precision `"ns"`, `"us"`, `"ms"` or `"s"`.
#' @inheritParams influx_target
#' @param batch_size Rows (or lines) per request. The default, 10000, was
#'   chosen with `bench/write.R` (1.8.10 and 2.7.12 on loopback, 200,000 rows,
#'   batch sizes 5000 to 100000 x concurrency 1, 2, 4 x gzip on/off, two runs):
#'   with 2 or 4 in flight and no compression, 10000 to 50000 rows took 0.4 to
#'   0.8 times as long as pre-built POSTs of the same rows, 5000 and 100000
#'   more; 10000 keeps each body small (about 0.9 MB of text) and a failed
#'   batch cheap to retry.
#' @param gzip Compress request bodies: `TRUE` or `FALSE`; `NULL` (the default)
#'   compresses unless the server is on this machine (a loopback address).
#'   Measured with `bench/write.R` on loopback, compressing mostly cost more
#'   CPU time than it saved: at 1,000,000 rows with 4 in flight the write took
#'   1.18 (1.8.10) and 1.11 (2.7.12) times as long as pre-built uncompressed
#'   POSTs with gzip, 0.81 and 0.65 without (separate runs), and gzip was the
#'   slower in most cells of the 200,000-row grids; over a network the bodies
#'   are 4 to 5 times smaller, which is worth the CPU time.
#' @param dry_run Return the line protocol instead of sending it.
#' @param max_retries Retries per batch for temporary failures.
#' @param concurrency Batches in flight at once (1 to 64); 1 sends one batch
#'   after another. In `bench/write.R` on loopback 2 and 4 beat 1 in most
#'   cells of each grid run (the server parses one batch while the next is on
#'   the wire and the package serializes the one after); 4 was the faster on a
#'   busy machine, 2 on a quiet one, and 4 hides more of a network's latency:
#'   1,000,000 rows
#'   with the defaults took 1.02 times as long as pre-built POSTs in bodies of
#'   up to 24 MB on both 1.8.10 and 2.7.12, where the mode before (one batch of
#'   5000 after another, gzip) took 1.61 and 1.29 times.
#' @return Invisibly, an `influx_write_result`: `rows`, `points`, `batches`,
#'   `dropped` (rows without any field) and `retries`. With `dry_run = TRUE`, a
#'   character vector of line protocol lines.
#' @export
#' @examples
#' con <- influx_connect("http://127.0.0.1:8086", version = "v1", database = "sensors")
#' df <- data.frame(
#'   time = as.POSIXct(c("2024-10-27 01:30:00", "2024-10-27 02:30:00"), tz = "UTC"),
#'   room = c("office", "lab 1"),
#'   temperature = c(21.5, NA),
#'   co2 = c(415L, 830L)
#' )
#' influx_write(con, df, "climate", dry_run = TRUE)
influx_write <- function(con, x, measurement = NULL, tags = NULL, fields = NULL, time = "time",
                         precision = c("ns", "us", "ms", "s"), database = NULL, batch_size = 10000,
                         gzip = NULL, dry_run = FALSE, max_retries = 5, concurrency = 4L) {
  call <- sys.call()
  check_open(con, call)
  precision <- if (identical(precision, c("ns", "us", "ms", "s"))) "ns" else check_choice(precision, c("ns", "us", "ms", "s"), "precision", call)
  # On this machine compressing costs more CPU time than the bytes it saves (bench/write.R).
  gzip <- gzip %||% !parse_server_url(con$url, call)$loopback
  for (flag in c("gzip", "dry_run")) {
    v <- get(flag)
    if (!is.logical(v) || length(v) != 1 || is.na(v)) abort_argument(sprintf("`%s` must be TRUE or FALSE", flag), call)
  }
  if (!is.numeric(batch_size) || length(batch_size) != 1 || is.na(batch_size) || batch_size < 1 || batch_size > 1e7) {
    abort_argument("`batch_size` must be a number of rows between 1 and 1e7", call)
  }
  if (!is.numeric(max_retries) || length(max_retries) != 1 || is.na(max_retries) || max_retries < 0) {
    abort_argument("`max_retries` must be a non-negative number", call)
  }
  concurrency <- check_concurrency(concurrency, call)
  if (!dry_run) require_writable(con, "writing", call)
  if (dry_run) {
    # A dry run asks for one text element per point (batch size "infinite").
    batches <- write_batches(x, measurement, tags, fields, time, precision, .Machine$integer.max, FALSE, call,
                             line_protocol_escaping(con))
    lines <- if (is.character(batches$batches)) batches$batches else character()
    return(structure(lines, rows = batches$rows, dropped = batches$dropped))
  }
  source <- write_source(x, measurement, tags, fields, time, precision, as.integer(batch_size), gzip, call,
                         line_protocol_escaping(con))
  target <- influx_target(con, database, call)
  send_batches(con, source, target, precision, gzip, max_retries, call, concurrency = concurrency)
}

require_writable <- function(con, what, call) {
  if (!isTRUE(con$writable)) {
    influx_abort("influx_error_readonly",
                 sprintf("refusing %s on a read-only connection: open it with writable = TRUE (or INFLUXDB_WRITABLE=true), or use dry_run = TRUE", what),
                 call = call)
  }
}

# -> list(batches = list of raw, first, last, lines, dropped, rows)
# escaping: "go" or "rust", the parser that reads the names (line_protocol_escaping()).
write_batches <- function(x, measurement, tags, fields, time, precision, batch_size, gzip, call, escaping) {
  if (is.character(x)) return(raw_line_batches(x, batch_size, gzip, call))
  if (is.data.frame(x)) return(frame_batches(x, measurement, tags, fields, time, precision, batch_size, gzip, call, escaping))
  if (is.list(x)) {
    parts <- lapply(seq_along(x), function(i) point_frame(x[[i]], i, call))
    one <- if (batch_size == .Machine$integer.max) batch_size else 1L
    out <- lapply(parts, function(p) frame_batches(p$frame, p$measurement, p$tags, setdiff(names(p$frame), c(p$tags, "time")),
                                                   if ("time" %in% names(p$frame)) "time", precision, one, FALSE, call, escaping))
    if (batch_size == .Machine$integer.max) {
      return(list(batches = unlist(lapply(out, `[[`, "batches")), rows = length(x),
                  dropped = sum(vapply(out, `[[`, 0, "dropped"))))
    }
    body <- unlist(lapply(out, `[[`, "batches"), recursive = FALSE)
    lines <- vapply(out, function(o) sum(o$lines), 0)
    # regroup the one-line bodies into batches
    idx <- split(seq_along(body), ceiling(seq_along(body) / batch_size))
    batches <- lapply(idx, function(i) { b <- do.call(c, body[i]); if (gzip && length(b)) .Call(C_gzip, b, 0L) else b })
    return(list(batches = unname(batches), first = vapply(idx, min, 0L), last = vapply(idx, max, 0L),
                lines = vapply(idx, function(i) sum(lines[i]), 0), dropped = sum(vapply(out, `[[`, 0, "dropped")),
                rows = length(x), line_rows = line_rows(rep(TRUE, length(body)))))
  }
  abort_argument("`x` must be a data frame, a list of points or a character vector of line protocol", call)
}

raw_line_batches <- function(x, batch_size, gzip, call) {
  if (anyNA(x)) abort_argument("line protocol must not contain NA", call)
  lines <- unlist(strsplit(enc2utf8(x), "\n", fixed = TRUE))
  lines <- lines[nzchar(trimws(lines))]
  if (batch_size == .Machine$integer.max) return(list(batches = lines, rows = length(lines), dropped = 0))
  idx <- if (length(lines)) split(seq_along(lines), ceiling(seq_along(lines) / batch_size)) else list()
  batches <- lapply(idx, function(i) {
    b <- charToRaw(paste0(paste(lines[i], collapse = "\n"), "\n"))
    if (gzip) .Call(C_gzip, b, 0L) else b
  })
  # The servers skip a line starting with '#' (after blanks) as a comment and still answer 204:
  # it is sent as given but not counted as a point.
  point <- !grepl("^[ \t]*#", lines)
  list(batches = unname(batches), first = unname(vapply(idx, min, 0L)), last = unname(vapply(idx, max, 0L)),
       lines = unname(vapply(idx, function(i) sum(point[i]), 0L)), dropped = 0, rows = length(lines),
       line_rows = line_rows(point))
}

# line_rows(kept)(from, to): the rows from..to that became lines of line protocol, in order (so
# the k-th line of a batch is row line_rows(kept)(first, last)[k]). `kept` is a logical per row,
# or a function of the row numbers giving it.
line_rows <- function(kept) {
  function(from, to) {
    i <- seq.int(from, to)
    i[if (is.function(kept)) kept(i) else kept[i]]
  }
}

point_frame <- function(p, i, call) {
  if (!is.list(p) || is.null(p$measurement) || is.null(p$fields)) {
    abort_argument(sprintf("point %d must be a list with `measurement` and `fields` (and optional `tags`, `time`)", i), call)
  }
  tags <- as.list(p$tags %||% list())
  fields <- as.list(p$fields)
  if (length(fields) == 0 || is.null(names(fields)) || (length(tags) && is.null(names(tags)))) {
    abort_argument(sprintf("point %d: `fields` (and `tags`) must be named", i), call)
  }
  frame <- as.data.frame(c(lapply(tags, as.character), fields), stringsAsFactors = FALSE, optional = TRUE)
  names(frame) <- c(names(tags), names(fields))
  if (!is.null(p$time)) frame$time <- p$time
  list(frame = frame, measurement = p$measurement, tags = names(tags))
}

# lazy = TRUE: every row is checked now, and the batches are serialized one by one when the sender
# asks for them (a write_source()).
frame_batches <- function(x, measurement, tags, fields, time, precision, batch_size, gzip, call, escaping,
                          lazy = FALSE) {
  if (!is.character(measurement) || length(measurement) != 1 || is.na(measurement)) {
    abort_argument("`measurement` must be one string", call)
  }
  cols <- names(x)
  if (!is.null(time)) {
    if (!is.character(time) || length(time) != 1 || !(time %in% cols)) {
      abort_argument(sprintf("no time column '%s' in `x`: name it with `time`, or pass time = NULL to let the server stamp the points", format(time)), call)
    }
  }
  rest <- setdiff(cols, time)
  if (is.null(tags)) tags <- rest[vapply(x[rest], function(v) is.character(v) || is.factor(v), TRUE)]
  if (is.null(fields)) fields <- setdiff(rest, tags)
  unknown <- setdiff(c(tags, fields), cols)
  if (length(unknown)) abort_argument(sprintf("no column %s in `x`", paste0("'", unknown, "'", collapse = ", ")), call)
  if (length(intersect(tags, fields))) abort_argument("a column cannot be both a tag and a field", call)
  if ("time" %in% c(tags, fields)) abort_argument("`time` cannot be a tag or field key: InfluxDB reserves it", call)
  if (length(fields) == 0) abort_argument("no fields to write: a point needs at least one", call)
  # Numbers go to C as they are, to be written exactly (as.character() would make 100000 "1e+05").
  tag_values <- lapply(x[tags], function(v) {
    if (is.factor(v)) as.character(v) else if (is.character(v)) v
    else if (inherits(v, "integer64")) v
    else if ((is.logical(v) || is.numeric(v)) && !inherits(v, c("POSIXt", "Date", "difftime"))) {
      if (is.logical(v)) as.logical(v) else if (is.integer(v)) as.vector(v) else as.double(v)
    }
    else abort_argument("tags must be character, factor, logical or numeric columns", call)
  })
  field_values <- Map(function(v, name) {
    if (is.factor(v)) return(as.character(v))
    if (inherits(v, "integer64") || (is.double(v) && is.null(attr(v, "class"))) || is.integer(v) && is.null(attr(v, "class")) ||
        is.logical(v) || is.character(v)) return(if (inherits(v, "integer64")) v else unclass(v))
    if (is.numeric(v) && !inherits(v, c("POSIXt", "Date", "difftime"))) return(as.double(v))
    abort_argument(sprintf("field '%s' has class %s: write numbers, integers, logicals or text", name, paste(class(v), collapse = "/")), call)
  }, x[fields], fields)
  times <- NULL
  if (!is.null(time)) {
    tv <- x[[time]]
    kind <- if (inherits(tv, "POSIXt")) "posixct" else if (inherits(tv, "Date")) "date" else
      if (inherits(tv, "integer64")) "integer64" else if (is.numeric(tv)) "numeric" else
      abort_argument(sprintf("time column '%s' must be POSIXct, Date, numeric seconds or integer64 nanoseconds", time), call)
    if (kind == "posixct") tv <- as.POSIXct(tv)
    times <- tryCatch(.Call(C_time_to_precision, as.double(unclass(tv)), kind, precision),
                      error = function(e) abort_argument(conditionMessage(e), call))
  }
  tag_keys <- utf8_text(tags, NULL, "the tag key", call)
  field_keys <- utf8_text(fields, NULL, "the field key", call)
  spec <- list(measurement = utf8_text(measurement, "measurement", "the measurement", call),
               tags = Map(function(v, name) if (is.character(v)) utf8_text(v, name, "the tag value", call) else v, tag_values, tag_keys),
               fields = Map(function(v, name) if (is.character(v)) utf8_text(v, name, "the string value", call) else v,
                            field_values, field_keys),
               time = times, nrow = nrow(x), escaping = escaping)
  names(spec$tags) <- tag_keys
  names(spec$fields) <- field_keys
  # A row is a line unless none of its fields is written (NA, NaN and infinities are left out):
  # asked only when a server names refused lines.
  kept <- line_rows(function(i) {
    Reduce(`|`, lapply(field_values, function(v) {
      x <- v[i]
      !is.na(x) & (!is.double(x) | inherits(x, "integer64") | is.finite(x))
    }), FALSE)
  })
  if (lazy) {
    serialize_checked(c(spec, check_only = TRUE), batch_size, FALSE, call)
    return(lazy_frame_source(spec, batch_size, gzip, precision, kept, call))
  }
  out <- serialize_checked(spec, batch_size, gzip, call)
  out$rows <- nrow(x)
  out$line_rows <- kept
  out
}

serialize_checked <- function(spec, batch_size, gzip, call) {
  out <- .Call(C_lp_serialize, spec, batch_size, gzip)
  if (!is.null(out$error)) {
    e <- out$error
    influx_abort("influx_error_argument",
                 sprintf("cannot write row %d, column '%s': %s", e$row, e$column, e$message),
                 row = e$row, column = e$column, call = call)
  }
  out
}

# Text as UTF-8 for the writer. Invalid bytes are refused here: translating them to UTF-8 would
# not fail but write "<ff>" in their place, a name or value the user never gave.
utf8_text <- function(x, column, what, call) {
  valid <- validUTF8(x)
  if (all(valid)) return(enc2utf8(x))
  # Not UTF-8 as it stands: latin1 text (marked, or native in a latin1 locale) converts fine.
  enc <- Encoding(x)
  bad <- !valid & (enc %in% c("bytes", "UTF-8") | (enc == "unknown" & isTRUE(l10n_info()[["UTF-8"]])))
  if (any(bad)) {
    row <- which(bad)[1]
    shown <- iconv(x[row], "UTF-8", "UTF-8", sub = "?")
    if (is.na(shown)) shown <- "?"
    if (is.null(column)) column <- shown
    influx_abort("influx_error_argument",
                 sprintf("cannot write %s '%s': it is not valid UTF-8", what, column),
                 row = if (what %in% c("the tag key", "the field key")) 1L else row, column = column, call = call)
  }
  enc2utf8(x)
}

# Sends the batches of `b` (a write_source(), or write_batches()' list) with up to `concurrency`
# requests in flight (transfer pool), preparing the next batch while others are on the wire.
# Batches start in order; one whose span of times meets that of a batch still in flight (or
# waiting for a retry) waits for it, so that a point written twice keeps the later value. A batch
# that still fails after its retries stops the call: nothing more is started, those in flight
# finish, and write_failed() says which rows were written, failed and not sent.
send_batches <- function(con, b, target, precision, gzip, max_retries, call, concurrency = 1L) {
  src <- if (is.function(b[["batch"]])) b else eager_source(b, precision)
  headers <- c("Content-Type: text/plain; charset=utf-8", if (gzip) "Content-Encoding: gzip")
  endpoint <- write_endpoint(con, target, precision, call)
  n <- src$count
  state <- rep("not_sent", n)     # -> "written", "failed"
  batches <- vector("list", n)    # first, last, lines (the body only while it may be sent again)
  errors <- list()
  attempts <- integer(n)
  retries <- 0L
  points <- 0
  done <- 0L
  flight <- integer()             # batches submitted or waiting for a retry, in order
  guards <- pool_flight()
  due <- numeric()                # retry times of the batches waiting, by batch
  rows_done <- 0L                 # rows_done and sent: for the progress bar (writing_format)
  bytes <- 0
  sent <- format_bytes(0)
  bar <- progress_start(writing_format, n)
  on.exit(pool_cancel(con))
  nxt <- 1L
  ready <- NULL
  stopped <- FALSE
  submit <- function(k) {
    g <- pool_submit(con, k, "POST", endpoint$path, endpoint$query, batches[[k]]$body, headers, "raw", NULL, call)
    if (inherits(g, "condition")) return(finished(k, g))
    guards$add(k, g)
  }
  finished <- function(k, cond) {
    if (is.null(cond)) {
      state[k] <<- "written"
      points <<- points + batches[[k]]$lines
      rows_done <<- rows_done + batches[[k]]$last - batches[[k]]$first + 1L
      bytes <<- bytes + length(batches[[k]]$body)
      sent <<- format_bytes(bytes)
    } else if (!stopped && attempts[k] < max_retries && retryable(cond)) {
      attempts[k] <<- attempts[k] + 1L
      retries <<- retries + 1L
      errors[[as.character(k)]] <<- cond
      due[[as.character(k)]] <<- as.numeric(Sys.time()) + backoff_seconds(attempts[k], cond)
      return(invisible())
    } else {
      state[k] <<- "failed"
      errors[[as.character(k)]] <<- cond
      stopped <<- TRUE
    }
    batches[[k]]$body <<- NULL
    flight <<- setdiff(flight, k)
    done <<- done + 1L
    progress_set(bar, done)
  }
  repeat {
    # The next batch is serialized while the others are on the wire.
    if (is.null(ready) && nxt <= n && !stopped) {
      ready <- src$batch(nxt)
      batches[[nxt]] <- ready
    }
    if (!is.null(ready) && !stopped && length(flight) < concurrency && !spans_meet(src, nxt, flight)) {
      k <- nxt
      nxt <- nxt + 1L
      ready <- NULL
      if (batches[[k]]$lines == 0) { # every row of it dropped: nothing to send
        state[k] <- "written"
        batches[[k]]$body <- NULL
        next
      }
      flight <- c(flight, k)
      submit(k)
      next
    }
    if (length(flight) == 0) break
    # Retries whose time has come go again (in their place: they kept their slot in `flight`).
    if (length(due)) {
      go <- as.integer(names(due)[stopped | due <= as.numeric(Sys.time())])
      due <- due[!(names(due) %in% as.character(go))]
      # After a failure elsewhere a waiting batch is not tried again: it failed with its last error.
      for (k in go) if (stopped) finished(k, errors[[as.character(k)]]) else submit(k)
      if (length(go)) next
    }
    wait <- if (length(due)) max(0, min(due) - as.numeric(Sys.time())) else NA_real_
    if (guards$size() == 0) {
      Sys.sleep(wait)
      next
    }
    for (k in pool_wait(con, wait, call)) {
      res <- pool_result(guards$take(k))
      finished(k, http_result_condition(con, res, "POST", endpoint$path, call))
    }
  }
  progress_end(bar)
  dropped <- src$dropped()
  if (stopped) write_failed(errors, batches, state, attempts, src, con, call)
  invisible(structure(list(rows = src$rows, points = points, batches = n, dropped = dropped, retries = retries),
                      class = "influx_write_result"))
}

# ---- write sources: the batches of a write, made when the sender asks for them ----------------
# A source is list(count, batch(k) -> list(body, first, last, lines), bounds(k) -> c(first, last),
# dropped() -> rows dropped so far, rows, line_rows, spans): spans is a matrix of one row per
# batch, the earliest and latest time of its points in any one unit (NA: no point of it can share
# a time with another batch; -Inf, Inf: any may).

write_source <- function(x, measurement, tags, fields, time, precision, batch_size, gzip, call, escaping) {
  if (is.data.frame(x)) {
    return(frame_batches(x, measurement, tags, fields, time, precision, batch_size, gzip, call, escaping, lazy = TRUE))
  }
  b <- write_batches(x, measurement, tags, fields, time, precision, batch_size, gzip, call, escaping)
  eager_source(b, precision, if (is.character(x)) raw_line_spans(x, b, precision))
}

eager_source <- function(b, precision, spans = NULL) {
  n <- length(b$batches)
  # Without the times of its points, every batch may share one with any other.
  if (is.null(spans)) spans <- matrix(c(-Inf, Inf), n, 2, byrow = TRUE)
  list(count = n, rows = b$rows, line_rows = b$line_rows, spans = spans, dropped = function() b$dropped,
       bounds = function(k) c(b$first[[k]], b$last[[k]]),
       batch = function(k) list(body = b$batches[[k]], first = b$first[[k]], last = b$last[[k]], lines = b$lines[[k]]))
}

lazy_frame_source <- function(spec, batch_size, gzip, precision, kept, call) {
  n <- spec$nrow
  count <- if (n == 0) 0L else (n - 1L) %/% batch_size + 1L
  dropped <- 0
  list(
    count = count, rows = n, line_rows = kept, dropped = function() dropped,
    bounds = function(k) c((k - 1L) * batch_size + 1L, min(k * batch_size, n)),
    spans = if (is.null(spec$time)) timeless_spans(count, precision) else .Call(C_batch_spans, spec$time, batch_size),
    batch = function(k) {
      bounds <- c((k - 1L) * batch_size + 1L, min(k * batch_size, n))
      rows <- seq.int(bounds[1], bounds[2])
      part <- spec
      if (length(spec$measurement) > 1) part$measurement <- spec$measurement[rows]
      part$tags <- lapply(spec$tags, `[`, rows)
      part$fields <- lapply(spec$fields, `[`, rows)
      if (!is.null(spec$time)) part$time <- spec$time[rows]
      part$nrow <- length(rows)
      out <- serialize_checked(part, length(rows), gzip, call)
      dropped <<- dropped + out$dropped
      list(body = out$batches[[1]], first = rows[1], last = rows[length(rows)], lines = out$lines[[1]])
    }
  )
}

# Points without a time get the server's clock when they arrive: in nanoseconds no two batches
# share one, in a coarser precision they may.
timeless_spans <- function(count, precision) {
  if (precision == "ns") matrix(NA_real_, count, 2) else matrix(c(-Inf, Inf), count, 2, byrow = TRUE)
}

# The time of each line of line protocol is its last word when that is a number (a line without
# one gets the server's clock); a string field ends in a quote, so its words are never taken.
raw_line_spans <- function(x, b, precision) {
  lines <- unlist(strsplit(enc2utf8(x), "\n", fixed = TRUE))
  lines <- lines[nzchar(trimws(lines))]
  last <- sub("^.*[ \t]", "", sub("[ \t\r]+$", "", lines))
  t <- suppressWarnings(as.numeric(ifelse(grepl("^-?[0-9]+$", last), last, NA)))
  spans <- t(vapply(seq_along(b$batches), function(k) {
    v <- t[seq.int(b$first[[k]], b$last[[k]])]
    if (anyNA(v) && precision != "ns") return(c(-Inf, Inf))
    v <- v[!is.na(v)]
    if (length(v) == 0) return(c(NA_real_, NA_real_))
    # Reading a number into a double rounds it, but never past another number: equal times stay
    # equal and the order stays, so spans that share a time still meet.
    range(v)
  }, c(0, 0)))
  if (length(b$batches) == 0) matrix(0, 0, 2) else spans
}

# Whether batch k may share a point with a batch in `flight`.
spans_meet <- function(src, k, flight) {
  s <- src$spans
  if (length(flight) == 0 || is.na(s[k, 1])) return(FALSE)
  other <- s[flight, , drop = FALSE]
  any(!is.na(other[, 1]) & other[, 1] <= s[k, 2] & s[k, 1] <= other[, 2])
}

retryable <- function(e) {
  inherits(e, c("influx_error_http_429", "influx_error_http_503", "influx_error_timeout",
                "influx_error_connection_refused")) ||
    (inherits(e, "influx_error_transport") && identical(e$curl_code, 52L)) # empty reply: a reset
}

# Exponential backoff (0.5 s, 1 s, 2 s, ... up to 30 s) with jitter; Retry-After wins when given.
backoff_seconds <- function(attempt, e) {
  after <- suppressWarnings(as.numeric(e$retry_after %||% NA))
  if (!is.na(after) && after >= 0) return(min(after, 300))
  base <- min(30, 0.5 * 2^(attempt - 1))
  base * stats::runif(1, 0.5, 1.5)
}

# Stops the write with an influx_error_write naming the rows written, failed and not sent. Each
# is integer() for none, c(from, to) for one range, or a two-column matrix (from, to) when
# batches in flight together ended differently. The condition carries the classes and fields of
# the first failed batch's error, and `rejected`: the lines the servers name as refused (3.x).
write_failed <- function(errors, batches, state, attempts, src, con, call) {
  failed <- which(state == "failed")
  k <- failed[1]
  errors <- errors[as.character(failed)] # a batch retried and then written kept its last error
  e <- errors[[as.character(k)]]
  first <- batches[[k]]$first
  last <- batches[[k]]$last
  row_range <- function(ks) {
    if (length(ks) == 0) return(integer())
    from <- vapply(ks, function(j) src$bounds(j)[1], 0L)
    to <- vapply(ks, function(j) src$bounds(j)[2], 0L)
    # Neighbouring batches make one range.
    starts <- c(TRUE, from[-1] != to[-length(to)] + 1L)
    m <- cbind(from = from[starts], to = to[c(starts[-1], TRUE)])
    if (nrow(m) == 1) unname(m[1, ]) else m
  }
  span <- function(r) {
    if (length(r) == 0) return("none")
    if (is.matrix(r)) paste(sprintf("%d-%d", r[, 1], r[, 2]), collapse = ", ") else sprintf("%d-%d", r[1], r[2])
  }
  written <- row_range(which(state == "written"))
  not_sent <- row_range(which(state == "not_sent"))
  rejected <- NULL
  for (j in failed) {
    r <- rejected_lines(con, errors[[as.character(j)]])
    if (is.null(r)) next
    rows <- src$line_rows(batches[[j]]$first, batches[[j]]$last)
    rejected <- rbind(rejected, data.frame(row = as.integer(rows[r$line]), line = as.integer(r$line),
                                           message = as.character(r$message), stringsAsFactors = FALSE))
  }
  partial <- inherits(e, "influx_error_http_400")
  others <- failed[-1]
  msg <- sprintf(
    "writing stopped at batch %d of %d (rows %d-%d)%s: %s%s\nrows written: %s; rows not sent: %s%s",
    k, src$count, first, last, if (attempts[k] > 0) sprintf(" after %d retries", attempts[k]) else "",
    conditionMessage(e),
    if (length(others)) paste0("\nalso failed, in flight at the time: ", paste(vapply(others, function(j) sprintf(
      "batch %d (rows %d-%d): %s", j, batches[[j]]$first, batches[[j]]$last, conditionMessage(errors[[as.character(j)]])), ""),
      collapse = "; ")) else "",
    span(written), span(not_sent),
    if (!is.null(rejected)) rejected_text(rejected, sum(vapply(failed, function(j) batches[[j]]$lines, 0)))
    else if (partial) "\nthe server may have kept some points of the failed batch (a partial write); its message names the refused ones" else ""
  )
  fields <- unclass(e)
  fields$message <- NULL
  fields$call <- NULL
  do.call(influx_abort, c(list(c("influx_error_write", setdiff(class(e), c("influx_error", "error", "condition"))), msg),
                          fields, list(rows_written = written, rows_failed = row_range(failed), rows_not_sent = not_sent,
                                       rejected = rejected, call = call)), quote = TRUE)
}

# What the server said about each refused line of a partial write (the others of the batch
# were kept).
rejected_text <- function(rejected, lines) {
  shown <- utils::head(rejected, 5L)
  where <- ifelse(is.na(shown$row), sprintf("line %d of the batch", shown$line), sprintf("row %d", shown$row))
  paste0(sprintf("\nthe server kept the other %d points of the failed batch and refused %d:", lines - nrow(rejected),
                 nrow(rejected)),
         paste0("\n  ", where, ": ", shown$message, collapse = ""),
         if (nrow(rejected) > 5L) sprintf("\n  ... and %d more (see the error's `rejected`)", nrow(rejected) - 5L) else "")
}

#' @export
print.influx_write_result <- function(x, ...) {
  cat(sprintf("wrote %d points from %d rows in %d batches%s%s\n", as.integer(x$points), as.integer(x$rows),
              as.integer(x$batches), if (x$dropped > 0) sprintf(" (%d rows without any field dropped)", as.integer(x$dropped)) else "",
              if (x$retries > 0) sprintf(", %d retries", x$retries) else ""))
  invisible(x)
}
