#' Copy data from InfluxDB 1.x to another server
#'
#' Moves the raw points of a 1.x database to a 2.x bucket (or a 3.x or
#' another 1.x database) measurement by measurement and chunk by chunk of time, so that
#' memory stays bounded by one chunk of one measurement. Each chunk is read
#' with InfluxQL (`SELECT * ... GROUP BY *`, decoded in C with exact
#' nanosecond times) and written with [influx_write()].
#'
#' What is kept: every series (all tags stay tags), the exact nanosecond
#' time of every point, and the type of every field as `SHOW FIELD KEYS`
#' names it: floats stay floats, integers stay integers (as
#' `bit64::integer64` where they do not fit R's integers, so values near
#' 2^63 survive), strings and booleans stay what they are. A field missing
#' at a point stays missing. Names and values go through the writer's exact
#' escaping; a name the destination would store differently stops the copy
#' with the writer's `influx_error_argument` before that chunk is sent.
#'
#' After each chunk the values of every field are counted (`count()` over
#' the chunk's time range) on the source and on the destination; a
#' difference stops the copy with an `influx_error_copy_mismatch` naming the
#' measurement, field, chunk and both counts (also when the destination held
#' other points of that measurement in that range before the copy). Copy a
#' range the source no longer receives points in: a point written to the
#' source during its chunk's copy shows as a mismatch.
#'
#' Chunks are fixed spans of `chunk` from `start` (a day is 86,400 seconds
#' whatever the time zone does); the last one ends at `end`. The copy
#' returns where it got to: an `influx_copy_result` whose `progress` data
#' frame gives, per measurement, the end of the last completed chunk. Any
#' failure is an `influx_error_copy` (with the classes of the underlying
#' error, e.g. `influx_error_write`, and the fields `measurement`,
#' `chunk_start`, `chunk_end`, `parent`) carrying the same `progress` in its
#' field `result`; pass that result (or the returned one) as `resume` to go on
#' after the last completed chunk of each measurement. A chunk that failed is
#' copied again in full, which is safe: a point written twice to the same
#' series and time is stored once.
#'
#' An interrupt (Ctrl-C) during a chunk signals `influx_interrupt` with the
#' same `result`. At a console, a progress bar shows the chunks copied and the field values
#' so far; nothing is shown while knitting or with option
#' `influxdbtoolkit.quiet = TRUE`. The dry run's `series` is the number of
#' series the source's index holds for the measurement (over all time),
#' `values` the field values in the range (a point has one or more).
#'
#' On a 2.x destination, `dbrp` creates the DBRP mapping and `v1_auth` a
#' 1.x-style authorization (user name and password for `/query` and `/write`),
#' so that InfluxQL reports written for the 1.x database keep working against
#' the bucket unchanged. Both are made once the copy is complete, and an
#' existing mapping or authorization of that name is left as it is.
#'
#' @param from A connection to InfluxDB 1.x (read-only is fine).
#' @param to A writable connection to the destination: 2.x, 3.x (counted with
#'   SQL) or 1.x; with `dry_run = TRUE` it may be read-only.
#' @param measurements Names of measurements to copy; default all of the
#'   source database.
#' @param start,end The time range to copy, `[start, end)`: `POSIXct`,
#'   `Date`, numeric seconds or text (read in the source connection's time
#'   zone).
#' @param chunk Span of one chunk: `"1 day"`, `"6 hours"`, `"30 mins"`,
#'   `"1w"`, `"12h"`, or seconds.
#' @param ... Passed to [influx_write()]: `batch_size`, `gzip`, `max_retries`.
#' @param from_database Database to read (default: the `from` connection's).
#' @param retention_policy Retention policy to read (default: the database's
#'   default one).
#' @param to_database Database or bucket to write (default: the `to`
#'   connection's, see [influx_target]).
#' @param dry_run Report what would be copied and write nothing.
#' @param resume The `influx_copy_result` of an earlier call (returned, or the
#'   `result` of its error): continue after the last completed chunk of each
#'   measurement.
#' @param dbrp 2.x destination: `TRUE` maps the source's database and
#'   retention policy names to the destination bucket; a string names the
#'   database to map (retention policy: the source's); `FALSE` (default)
#'   creates none. See [influx_create_dbrp()].
#' @param v1_auth 2.x destination: `list(username =, password =)` (and
#'   optionally `write = TRUE`) creates a 1.x-style authorization that may read
#'   (and write) the bucket through `/query` (and `/write`); `NULL` (default)
#'   creates none.
#' @return An `influx_copy_result` (a list): `progress`, a data frame with one
#'   row per measurement (`measurement`, `done_until` as `POSIXct` and
#'   `done_until_ns` as exact text of nanoseconds, `chunks_done`, `chunks`,
#'   `values` copied), `complete`, `start_ns`, `end_ns` and `chunk_seconds`.
#'   With `dry_run = TRUE`, an `influx_copy_plan`: `measurements` (one row per
#'   measurement: `measurement`, `tags`, `fields`, `series`, `chunks`,
#'   `values`: the field values in the range), `fields` (`measurement`,
#'   `field`, `type`, `values`) and `chunks` (`start`, `end`).
#' @seealso [influx_errors] for the conditions raised.
#' @export
#' @examplesIf nzchar(Sys.getenv("INFLUXTK_EXAMPLE_URL"))
#' old <- influx_connect(Sys.getenv("INFLUXTK_EXAMPLE_URL"), database = "influxtk_demo")
#' new <- influx_connect("http://127.0.0.1:8086", token = "my-token", org = "my-org",
#'                       bucket = "influxtk_demo", writable = TRUE)
#' influx_copy(old, new, start = "2024-01-01", end = "2024-02-01", dry_run = TRUE)
influx_copy <- function(from, to, measurements = NULL, start, end, chunk = "1 day", ...,
                        from_database = NULL, retention_policy = NULL, to_database = NULL,
                        dry_run = FALSE, resume = NULL, dbrp = FALSE, v1_auth = NULL) {
  call <- sys.call()
  check_open(from, call)
  check_open(to, call)
  if (!is.logical(dry_run) || length(dry_run) != 1 || is.na(dry_run)) abort_argument("`dry_run` must be TRUE or FALSE", call)
  if (!dry_run) require_writable(to, "copying into this connection", call)
  if (!requireNamespace("bit64", quietly = TRUE)) {
    influx_abort("influx_error_dependency", "influx_copy() needs the bit64 package for exact times and integers (Debian: r-cran-bit64)",
                 package = "bit64", call = call)
  }
  write_args <- copy_write_args(list(...), call)
  if (!is.null(measurements) && (!is.character(measurements) || anyNA(measurements) || !all(nzchar(measurements)))) {
    abort_argument("`measurements` must be names of measurements", call)
  }
  source <- list(target = influx_target(from, from_database, call), rp = retention_policy)
  if (!is.null(retention_policy)) check_name(retention_policy, "retention_policy", call)
  dest <- influx_target(to, to_database, call)
  start_ns <- as_time_ns(start, from$tz, "start", call)
  end_ns <- as_time_ns(end, from$tz, "end", call)
  if (end_ns <= start_ns) abort_argument("`end` must come after `start`", call)
  step_ns <- bit64::as.integer64(copy_chunk_seconds(chunk, call)) * bit64::as.integer64(1e9)
  # Only 1.x is a source: the generic refuses every other generation before anything is read.
  check_copy_source(from, call)
  mapping <- copy_mapping(dbrp, from, to, source, dest, call)
  auth <- copy_v1_auth(v1_auth, call)
  schema <- copy_schema(from, source, measurements, call)
  if (dry_run) return(copy_plan(from, source, schema, start_ns, end_ns, step_ns, mapping, auth, to, dest, call))
  state <- copy_state(schema, start_ns, end_ns, step_ns, resume, call)
  state <- copy_chunks(from, to, source, dest, schema, state, write_args, call)
  if (!is.null(mapping)) copy_create_dbrp(to, dest, mapping, call)
  if (!is.null(auth)) create_v1_authorization(to, dest, auth$username, auth$password, auth$write, FALSE, call)
  state
}

# ---- arguments --------------------------------------------------------------------------------

copy_write_args <- function(args, call) {
  known <- c("batch_size", "gzip", "max_retries")
  if (length(args) && (is.null(names(args)) || !all(names(args) %in% known))) {
    abort_argument(sprintf("`...` passes %s to influx_write(); got %s", paste(known, collapse = ", "),
                           paste0("'", names(args) %||% "", "'", collapse = ", ")), call)
  }
  args
}

# "1 day", "6 hours", "30 mins", "1w", "12h", 3600 -> seconds (whole, positive)
copy_chunk_seconds <- function(chunk, call) {
  if (is.numeric(chunk) && length(chunk) == 1 && is.finite(chunk) && chunk >= 1) return(round(chunk))
  unit_seconds <- c(s = 1, sec = 1, secs = 1, second = 1, seconds = 1, m = 60, min = 60, mins = 60, minute = 60,
                    minutes = 60, h = 3600, hour = 3600, hours = 3600, d = 86400, day = 86400, days = 86400,
                    w = 604800, week = 604800, weeks = 604800)
  m <- if (is.character(chunk) && length(chunk) == 1 && !is.na(chunk)) {
    regmatches(chunk, regexec("^\\s*([0-9]+)\\s*([a-z]+)\\s*$", tolower(chunk)))[[1]]
  }
  if (length(m) != 3 || !m[3] %in% names(unit_seconds) || as.numeric(m[2]) < 1) {
    abort_argument("`chunk` must be a span such as \"1 day\", \"6 hours\", \"30 mins\", \"12h\", or seconds", call)
  }
  as.numeric(m[2]) * unit_seconds[[m[3]]]
}

# dbrp = TRUE / "name" / FALSE -> list(database, retention_policy) or NULL. Checked before the
# copy starts, so that a destination without mappings fails before anything is written.
copy_mapping <- function(dbrp, from, to, source, dest, call) {
  if (isFALSE(dbrp) || is.null(dbrp)) return(NULL)
  if (!(isTRUE(dbrp) || (is.character(dbrp) && length(dbrp) == 1 && !is.na(dbrp) && nzchar(dbrp)))) {
    abort_argument("`dbrp` must be TRUE, FALSE or the database name to map", call)
  }
  if (!has_capability(to, "buckets")) abort_unsupported(to, dbrp_unsupported, call)
  rp <- source$rp %||% copy_default_rp(from, source$target, call)
  list(database = if (isTRUE(dbrp)) source$target else dbrp, retention_policy = rp)
}

copy_default_rp <- function(from, target, call) {
  rps <- list_retention_policies(from, target, call)
  rp <- rps$name[rps$default]
  if (length(rp)) rp[1] else "autogen"
}

copy_v1_auth <- function(v1_auth, call) {
  if (is.null(v1_auth)) return(NULL)
  if (!is.list(v1_auth) || !all(c("username", "password") %in% names(v1_auth)) ||
      !all(names(v1_auth) %in% c("username", "password", "write"))) {
    abort_argument("`v1_auth` must be list(username = , password = ) (and optionally write = TRUE)", call)
  }
  check_name(v1_auth$username, "v1_auth$username", call)
  check_name(v1_auth$password, "v1_auth$password", call)
  write <- v1_auth$write %||% FALSE
  if (!is.logical(write) || length(write) != 1 || is.na(write)) abort_argument("`v1_auth$write` must be TRUE or FALSE", call)
  list(username = v1_auth$username, password = v1_auth$password, write = write)
}

# ---- the source's schema ------------------------------------------------------------------------

# -> list of list(measurement, fields = named types, tags)
copy_schema <- function(from, source, measurements, call) {
  all <- list_measurements(from, source$target, call)$name
  if (is.null(measurements)) {
    measurements <- all
  } else {
    missing <- setdiff(measurements, all)
    if (length(missing)) {
      abort_argument(sprintf("no measurement %s in '%s'", paste0("'", missing, "'", collapse = ", "), source$target), call)
    }
  }
  lapply(stats::setNames(unique(measurements), unique(measurements)), function(m) {
    keys <- list_field_keys(from, source$target, m, call)
    tags <- list_tag_keys(from, source$target, m, call)$key
    # 1.x keeps a field's type per shard: the same name may have two types in the range.
    twice <- unique(keys$field[duplicated(keys$field)])
    if (length(twice)) {
      abort_unsupported(from, sprintf("copying measurement '%s': field '%s' has the types %s in different shards (cast it with InfluxQL and write it yourself)",
                                      m, twice[1], paste(keys$type[keys$field == twice[1]], collapse = " and ")), call)
    }
    both <- intersect(tags, keys$field)
    if (length(both)) {
      abort_unsupported(from, sprintf("copying measurement '%s': '%s' is both a tag and a field key", m, both[1]), call)
    }
    list(measurement = m, fields = stats::setNames(keys$type, keys$field), tags = tags)
  })
}

# ---- resumable state -----------------------------------------------------------------------------

copy_grid <- function(from_ns, end_ns, step_ns) {
  if (from_ns >= end_ns) return(list(start = bit64::integer64(), end = bit64::integer64()))
  n <- as.integer((end_ns - from_ns + step_ns - 1L) %/% step_ns)
  starts <- from_ns + step_ns * bit64::as.integer64(seq_len(n) - 1L)
  starts <- starts[starts < end_ns]
  ends <- c(starts[-1], end_ns)
  list(start = starts, end = ends)
}

copy_state <- function(schema, start_ns, end_ns, step_ns, resume, call) {
  ms <- names(schema)
  done <- rep(start_ns, length(ms))
  chunks_done <- integer(length(ms))
  values <- numeric(length(ms))
  if (!is.null(resume)) {
    if (!inherits(resume, "influx_copy_result")) {
      abort_argument("`resume` must be the influx_copy_result of an earlier influx_copy() (returned, or the `result` of its error)", call)
    }
    if (resume$start_ns != start_ns || resume$end_ns != end_ns) {
      abort_argument("`resume` is the result of a copy of another time range: pass the same `start` and `end`", call)
    }
    p <- resume$progress
    at <- match(ms, p$measurement)
    known <- !is.na(at)
    done[known] <- bit64::as.integer64(p$done_until_ns[at[known]])
    chunks_done[known] <- p$chunks_done[at[known]]
    values[known] <- p$values[at[known]]
  }
  total <- vapply(seq_along(ms), function(i) chunks_done[i] + length(copy_grid(done[i], end_ns, step_ns)$start), 0L)
  copy_result(ms, done, chunks_done, total, values, start_ns, end_ns, step_ns)
}

copy_result <- function(ms, done, chunks_done, total, values, start_ns, end_ns, step_ns) {
  progress <- data.frame(measurement = ms, done_until = ns_posixct(done), done_until_ns = as.character(done),
                         chunks_done = as.integer(chunks_done), chunks = as.integer(total), values = as.numeric(values),
                         stringsAsFactors = FALSE)
  structure(list(progress = progress, complete = all(done >= end_ns), start_ns = start_ns, end_ns = end_ns,
                 chunk_seconds = as.double(step_ns) / 1e9),
            class = "influx_copy_result")
}

# Exact to the microsecond (a double holds microseconds since 1970 exactly, not nanoseconds).
ns_posixct <- function(ns) .POSIXct(as.double(ns %/% bit64::as.integer64(1000L)) / 1e6, tz = "UTC")

#' @export
print.influx_copy_result <- function(x, ...) {
  p <- x$progress
  cat(sprintf("influx_copy: %s, %d measurements, %s field values copied\n", if (x$complete) "complete" else "not complete",
              nrow(p), format(sum(p$values), big.mark = ",", scientific = FALSE)))
  shown <- data.frame(measurement = p$measurement, chunks = sprintf("%d/%d", p$chunks_done, p$chunks),
                      done_until = format(p$done_until, "%Y-%m-%d %H:%M:%OS3 UTC"), values = p$values)
  print(shown, row.names = FALSE)
  invisible(x)
}

# ---- the copy ----------------------------------------------------------------------------------

copying_format <- "Copying {m} {cli::pb_bar} {cli::pb_current}/{cli::pb_total} chunks | {values_done} values | {cli::pb_eta}"

copy_chunks <- function(from, to, source, dest, schema, state, write_args, call) {
  p <- state$progress
  end_ns <- state$end_ns
  step_ns <- bit64::as.integer64(state$chunk_seconds * 1e9)
  m <- ""
  values_done <- sum(p$values)
  steps <- 0L
  bar <- progress_start(copying_format, sum(p$chunks - p$chunks_done))
  for (i in seq_len(nrow(p))) {
    m <- p$measurement[i]
    s <- schema[[m]]
    grid <- copy_grid(bit64::as.integer64(p$done_until_ns[i]), end_ns, step_ns)
    for (k in seq_along(grid$start)) {
      a <- grid$start[k]
      b <- grid$end[k]
      copied <- tryCatch(copy_one_chunk(from, to, source, dest, s, a, b, write_args, call),
                         influx_error = function(e) copy_failed(e, state, m, a, b, call),
                         interrupt = function(e) copy_interrupted(state, m, a, call))
      p$done_until_ns[i] <- as.character(b)
      p$done_until[i] <- ns_posixct(b)
      p$chunks_done[i] <- p$chunks_done[i] + 1L
      p$values[i] <- p$values[i] + copied
      state$progress <- p
      values_done <- values_done + copied
      steps <- steps + 1L
      progress_set(bar, steps)
    }
  }
  progress_end(bar)
  state$progress <- p
  state$complete <- TRUE
  state
}

# One measurement over [a, b): read, write, then count on both sides. -> field values copied
copy_one_chunk <- function(from, to, source, dest, s, a, b, write_args, call) {
  df <- read_points(from, source$target, source$rp, s$measurement, a, b, call)
  if (nrow(df)) {
    fields <- intersect(names(s$fields), names(df))
    tags <- intersect(s$tags, names(df))
    frame <- c(list(time_ns = df$time_ns),
               lapply(stats::setNames(tags, tags), function(t) as.character(df[[t]])),
               df[fields])
    frame <- structure(frame, class = "data.frame", row.names = c(NA_integer_, -nrow(df)))
    do.call(copy_write, c(list(to, frame, measurement = s$measurement, tags = tags, fields = fields,
                                time = "time_ns", precision = "ns", database = dest), write_args))
  }
  want <- count_values(from, source$target, source$rp, s$measurement, a, b, call)
  got <- count_values(to, dest, NULL, s$measurement, a, b, call)
  for (f in union(names(want), names(got))) {
    n_want <- copy_counts(want, f)
    n_got <- copy_counts(got, f)
    if (n_want != n_got) {
      influx_abort(
        c("influx_error_copy_mismatch", "influx_error_copy"),
        sprintf("measurement '%s', field '%s', chunk %s to %s: the source holds %s values, the destination %s%s",
                s$measurement, f, ns_text(a), ns_text(b), format(n_want, scientific = FALSE), format(n_got, scientific = FALSE),
                if (n_got > n_want) " (it held other points in this range before the copy?)" else ""),
        measurement = s$measurement, field = f, chunk_start = ns_posixct(a), chunk_end = ns_posixct(b),
        source_count = unname(n_want), destination_count = unname(n_got), call = call)
    }
  }
  sum(want)
}

# The counts of `fields` (0 for a field without values).
copy_counts <- function(counts, fields) {
  n <- unname(counts[fields])
  n[is.na(n)] <- 0
  n
}

# The writing of one chunk (a function of its own: the tests put a failing or lossy one in its
# place to prove that failures stop the copy and that losses are found).
copy_write <- function(to, frame, ...) influx_write(to, frame, ...)

# An error during a chunk: stop with what was completed so far, to resume from.
copy_failed <- function(e, state, m, a, b, call) {
  if (inherits(e, "influx_error_copy_mismatch")) {
    e$result <- state
    e$message <- paste0(conditionMessage(e), "\nresume with influx_copy(..., resume = <this error>$result)")
    stop(e)
  }
  fields <- unclass(e)
  fields$message <- NULL
  fields$call <- NULL
  msg <- sprintf("copying measurement '%s' stopped at the chunk %s to %s: %s\nresume with influx_copy(..., resume = <this error>$result)",
                 m, ns_text(a), ns_text(b), conditionMessage(e))
  do.call(influx_abort, c(list(unique(c("influx_error_copy", setdiff(class(e), c("influx_error", "error", "condition")))), msg),
                          fields, list(measurement = m, chunk_start = ns_posixct(a), chunk_end = ns_posixct(b),
                                       parent = e, result = state, call = call)), quote = TRUE)
}

# Ctrl-C during a chunk: still an interrupt (not an error), carrying what was completed.
copy_interrupted <- function(state, m, a, call) {
  cond <- structure(class = c("influx_interrupt", "interrupt", "condition"), list(
    message = sprintf("the copy was interrupted in measurement '%s' at the chunk from %s; resume with influx_copy(..., resume = <this condition>$result)",
                      m, ns_text(a)),
    call = call, result = state))
  stop(cond)
}

copy_create_dbrp <- function(to, bucket, mapping, call) {
  have <- list_dbrps(to, NULL, mapping$database, call)
  have <- have[!have$virtual & have$retention_policy == mapping$retention_policy, , drop = FALSE]
  if (nrow(have)) {
    if (!any(have$bucket %in% bucket)) {
      inform(sprintf("database '%s', retention policy '%s' is mapped to bucket '%s' already: left as it is",
                     mapping$database, mapping$retention_policy, have$bucket[1]))
    }
    return(invisible(NULL))
  }
  create_dbrp(to, bucket, mapping$database, mapping$retention_policy, TRUE, FALSE, call)
}

# ---- dry run ------------------------------------------------------------------------------------

copy_plan <- function(from, source, schema, start_ns, end_ns, step_ns, mapping, auth, to, dest, call) {
  grid <- copy_grid(start_ns, end_ns, step_ns)
  per_field <- lapply(schema, function(s) {
    n <- count_values(from, source$target, source$rp, s$measurement, start_ns, end_ns, call)
    data.frame(measurement = rep(s$measurement, length(s$fields)), field = names(s$fields), type = unname(s$fields),
               values = copy_counts(n, names(s$fields)), stringsAsFactors = FALSE)
  })
  fields <- do.call(rbind, c(list(data.frame(measurement = character(), field = character(), type = character(),
                                             values = numeric(), stringsAsFactors = FALSE)), unname(per_field)))
  ms <- names(schema)
  measurements <- data.frame(
    measurement = ms,
    tags = vapply(schema, function(s) paste(s$tags, collapse = ", "), ""),
    fields = vapply(schema, function(s) paste0(names(s$fields), " (", s$fields, ")", collapse = ", "), ""),
    series = vapply(ms, function(m) count_series(from, source$target, source$rp, m, call), 0),
    chunks = rep(length(grid$start), length(ms)),
    values = vapply(per_field, function(f) sum(f$values), 0),
    stringsAsFactors = FALSE, row.names = NULL)
  structure(list(measurements = measurements, fields = fields,
                 chunks = data.frame(start = ns_posixct(grid$start), end = ns_posixct(grid$end)),
                 destination = dest,
                 dbrp = if (!is.null(mapping)) create_dbrp(to, dest, mapping$database, mapping$retention_policy, TRUE, TRUE, call),
                 v1_auth = if (!is.null(auth)) create_v1_authorization(to, dest, auth$username, auth$password, auth$write, TRUE, call)),
            class = "influx_copy_plan")
}


#' @export
print.influx_copy_plan <- function(x, ...) {
  cat(sprintf("influx_copy dry run: %d measurements into '%s', %d chunks each, %s field values\n",
              nrow(x$measurements), x$destination, nrow(x$chunks),
              format(sum(x$measurements$values), big.mark = ",", scientific = FALSE)))
  print(x$measurements, row.names = FALSE)
  if (!is.null(x$dbrp)) cat("DBRP mapping:", x$dbrp, "\n")
  if (!is.null(x$v1_auth)) cat("1.x authorization:", x$v1_auth, "\n")
  invisible(x)
}

# ---- InfluxQL shared by the backends' methods ------------------------------------------------------

# FROM of a measurement, qualified by its retention policy when one is named.
copy_from_clause <- function(rp, measurement) {
  paste0(if (!is.null(rp)) paste0(iql_ident(rp), "."), iql_ident(measurement))
}

copy_time_clause <- function(a, b) sprintf("time >= '%s' AND time < '%s'", ns_text(a), ns_text(b))

# The values of each field of `measurement` in [a, b) -> named numeric (field -> count)
influxql_count_values <- function(con, target, rp, measurement, a, b, call) {
  q <- sprintf("SELECT count(*) FROM %s WHERE %s", copy_from_clause(rp, measurement), copy_time_clause(a, b))
  frame <- decode_options("UTC", "double", "error", call)
  df <- influxql_query(con, q, compat_target(con, target, call), NULL, frame, call)
  cols <- grep("^count_", names(df), value = TRUE)
  if (nrow(df) == 0 || length(cols) == 0) return(stats::setNames(numeric(), character()))
  stats::setNames(vapply(cols, function(c) sum(as.numeric(df[[c]]), na.rm = TRUE), 0), sub("^count_", "", cols))
}
