#' Downsampling: the same aggregation as a continuous query (1.x), a task (2.x) or once (backfill)
#'
#' A downsampling writes the windowed aggregates of a measurement into another
#' measurement, as [influx_timeseries()] would read them with the same
#' `aggregate`, `every`, `where`, `group_by`, `fill` and `tz`. The query text is
#' written by the same C dialects that `influx_timeseries()` uses (names and
#' values quoted there), so what is stored is what a reader would compute.
#'
#' * `influx_downsampling_spec()` describes the aggregation (no connection
#'   needed).
#' * `influx_create_downsampling()` makes it run by the server: on InfluxDB
#'   1.x a continuous query `CREATE CONTINUOUS QUERY ... RESAMPLE EVERY
#'   <resample_every> FOR <resample_for> BEGIN SELECT ... INTO ... GROUP BY
#'   time(every), tags fill(...) tz(...) END`; on 2.x a task (`POST
#'   /api/v2/tasks` in the connection's organisation) whose Flux starts with
#'   `option task = {name, every: resample_every, offset: delay}`, reads the last
#'   `resample_for + every` before the run's `now()`, writes the complete
#'   windows only, and ends in `to(bucket: into_database)`. Windows of more
#'   than an hour are aligned in `tz` (Flux `timezone.location()`), shorter ones
#'   are the UTC grid shifted by `tz`'s offset when the task is made, as in
#'   `influx_timeseries()`.
#' * `influx_downsamplings()` lists them: on 1.x every continuous query of the
#'   database (1.x keeps no mark of who made one: `package` is `NA`); on 2.x the
#'   tasks this package made (their description says so), or every task of the
#'   organisation with `all = TRUE` (`package` says which).
#' * `influx_drop_downsampling()` drops one by name.
#' * `influx_downsample()` runs the aggregation once over a past range
#'   (backfill): `SELECT ... INTO` on 1.x, Flux ending in `to()` sent to
#'   `/api/v2/query` on 2.x.
#'
#' Changes need a writable connection (else `influx_error_readonly`);
#' `dry_run = TRUE` returns the text that would be sent, on any connection.
#' InfluxDB 3.x has neither continuous queries nor tasks (its processing
#' engine runs Python plugins): it raises `influx_error_unsupported`.
#'
#' @section What equals influx_timeseries():
#' For `mean`, `median`, `min`, `max`, `sum`, `count`, `first` and `last`,
#' with `fill = "none"` and windows up to a day, in any `tz` (across clock
#' changes too), the series `influx_downsample()` writes over a range is the
#' one `influx_timeseries()` returns for that range with the same arguments
#' (the package's tests compare values and times on 1.6, 1.8 and 2.7). With
#' `fill = "null"` empty windows are not stored (InfluxDB stores no null
#' values): reading `into` back with `fill = "null"` gives them again as `NA`,
#' also for `count`, whose 0 for an empty window is not stored either (1.x's
#' `SELECT ... INTO` leaves out the rows of empty windows, Flux writes only
#' windows with data), where `influx_timeseries()` answers 0.
#'
#' These differ, and are refused or left to `influx_timeseries()`:
#' `fill = "previous"`, `"linear"` and numbers, and the `diffmax`
#' aggregate are computed in R by `influx_timeseries()` after the server
#' answers, so no server can run them (`influx_error_argument`). `spread` and
#' `stddev` are computed by the server and accepted; the `stddev` of a window
#' with one point is null and not stored (`influx_timeseries()` has a row with
#' `NA` there). Weekly windows: InfluxQL
#' weeks start on Thursday (the epoch's weekday); `influx_timeseries()` moves
#' them to Monday with an offset, which 1.x places wrongly around clock changes
#' in a `tz` with summer time; weekly downsamplings are written with the same
#' Monday offset, so their weeks around a clock change can differ by the hour
#' of the change. A 1.x continuous query computes `resample_for` back from the
#' server's clock at each run; a 2.x task recomputes the windows completed in
#' the last `resample_for`; points later than that are not counted again
#' (backfill them with `influx_downsample()`).
#'
#' @param con A connection from [influx_connect()].
#' @param name Name of the continuous query or task: text without quotes,
#'   backslashes or control characters.
#' @param from Measurement to read.
#' @param fields Field names to aggregate (each is stored under its own name).
#' @param aggregate One of `"mean"`, `"median"`, `"min"`, `"max"`, `"sum"`,
#'   `"count"`, `"first"`, `"last"`, `"spread"`, `"stddev"`.
#' @param every Window length: `"10m"`, `"1h"`, `"1d"`, ... (as in
#'   [influx_timeseries()]).
#' @param into Measurement the aggregates are written to.
#' @param where,group_by Tag filters and the tags kept (one series per
#'   combination), as in [influx_timeseries()].
#' @param fill `"none"` or `"null"`.
#' @param tz Time zone the windows are aligned in (default: the connection's,
#'   when the spec is used).
#' @param database Database (1.x) or bucket (2.x) read (default: the
#'   connection's).
#' @param into_database Database or bucket written (default: the one read).
#' @param spec A spec from `influx_downsampling_spec()`, or what
#'   `influx_create_downsampling()` returned.
#' @param resample_every How often the server runs it (default `every`).
#' @param resample_for How far back each run recomputes (default `every`; at
#'   least `every`): late points within it are counted.
#' @param delay 2.x: the task's `offset`, how long after each period a run
#'   starts (1.x runs continuous queries as soon as a period ends).
#' @param start,end The range of `influx_downsample()` (`start` inclusive,
#'   `end` exclusive; text is read in `tz`).
#' @param all `influx_downsamplings()` on 2.x: every task, not only this
#'   package's.
#' @param dry_run Return the text that would be sent instead of sending it.
#' @param ... Passed to `influx_downsampling_spec()`.
#' @return `influx_downsampling_spec()`: a spec (class
#'   `influx_downsampling_spec`). `influx_create_downsampling()`: an object
#'   of class `influx_downsampling` with `name`, `id` (the 2.x task id, `NA`
#'   on 1.x), `kind` (`"continuous query"` or `"task"`), `database`, `text`
#'   (what was sent) and `spec`; with `dry_run` the text. `influx_downsamplings()`:
#'   a data frame with `name`, `kind`, `id`, `database`, `status`, `package` and
#'   `text`. `influx_drop_downsampling()`: invisibly, what was sent.
#'   `influx_downsample()`: invisibly, the text sent with attribute `written`
#'   (points written, 1.x; rows written, 2.x); with `dry_run` the text.
#' @name influx_downsampling
#' @examples
#' con <- influx_connect("http://127.0.0.1:8086", version = "v1", database = "sensors")
#' influx_create_downsampling(con, "temp_1h", from = "climate", fields = "temperature",
#'                            aggregate = "mean", every = "1h", into = "climate_1h",
#'                            group_by = "room", tz = "Europe/Zurich", dry_run = TRUE)
NULL

downsampling_aggregates <- c("mean", "median", "min", "max", "sum", "count", "first", "last", "spread", "stddev")

#' @rdname influx_downsampling
#' @export
influx_downsampling_spec <- function(from, fields, aggregate, every, into, where = list(), group_by = names(where),
                                     fill = "none", tz = NULL, database = NULL, into_database = NULL) {
  call <- sys.call()
  downsampling_spec(from, fields, aggregate, every, into, where, group_by, fill, tz, database, into_database, call)
}

downsampling_spec <- function(from, fields, aggregate, every, into, where = list(), group_by = names(where),
                              fill = "none", tz = NULL, database = NULL, into_database = NULL, call = NULL) {
  check_name(from, "from", call)
  check_name(into, "into", call)
  if (!is.character(fields) || length(fields) == 0 || anyNA(fields) || any(!nzchar(fields)) || anyDuplicated(fields)) {
    abort_argument("`fields` must name one or more distinct fields", call)
  }
  if (identical(aggregate, "diffmax")) {
    abort_argument("aggregate \"diffmax\" is computed in R by influx_timeseries(), no server can store it: downsample \"max\" and difference it when reading", call)
  }
  aggregate <- check_choice(aggregate, downsampling_aggregates, "aggregate", call)
  seconds <- parse_every(every, call)
  if (!(is.character(fill) && length(fill) == 1 && !is.na(fill) && fill %in% c("none", "null"))) {
    abort_argument(sprintf(paste("`fill` of a downsampling must be \"none\" or \"null\", not %s: other fills are",
                                 "computed in R by influx_timeseries() when reading"), format_value(fill)), call)
  }
  where <- check_where(where, call)
  if (is.null(group_by)) group_by <- character()
  if (!is.character(group_by) || anyNA(group_by) || any(!nzchar(group_by)) || anyDuplicated(group_by)) {
    abort_argument("`group_by` must name distinct tags", call)
  }
  if (length(intersect(fields, c(group_by, "time")))) abort_argument("a field has the name of a `group_by` tag or 'time'", call)
  if (!is.null(tz)) check_tz(tz, call)
  if (!is.null(database)) check_name(database, "database", call)
  if (!is.null(into_database)) check_name(into_database, "into_database", call)
  structure(list(from = enc2utf8(from), fields = enc2utf8(fields), aggregate = aggregate, every = seconds,
                 into = enc2utf8(into), where = where, group_by = enc2utf8(group_by), fill = fill, tz = tz,
                 database = database, into_database = into_database),
            class = "influx_downsampling_spec")
}

#' @rdname influx_downsampling
#' @export
influx_create_downsampling <- function(con, name, from, fields, aggregate, every, into, ..., resample_every = every,
                                       resample_for = every, delay = "0s", dry_run = FALSE) {
  call <- sys.call()
  check_open(con, call)
  check_downsampling_name(name, call)
  check_dry_run(dry_run, call)
  spec <- downsampling_spec(from, fields, aggregate, every, into, call = call, ...)
  schedule <- list(every = parse_every(resample_every, call), lookback = parse_every(resample_for, call),
                   delay = if (identical(delay, "0s") || identical(delay, 0)) 0 else parse_every(delay, call))
  if (schedule$lookback < spec$every) {
    abort_argument("`resample_for` must be at least `every`: each run recomputes whole windows", call)
  }
  if (!dry_run) require_writable(con, "creating a downsampling", call)
  create_downsampling(con, name, resolve_downsampling(con, spec, call), schedule, dry_run, call)
}

#' @rdname influx_downsampling
#' @export
influx_downsamplings <- function(con, database = NULL, all = FALSE) {
  call <- sys.call()
  check_open(con, call)
  list_downsamplings(con, influx_target(con, database, call), isTRUE(all), call)
}

#' @rdname influx_downsampling
#' @export
influx_drop_downsampling <- function(con, name, database = NULL, dry_run = FALSE) {
  call <- sys.call()
  check_open(con, call)
  check_downsampling_name(name, call)
  check_dry_run(dry_run, call)
  if (!dry_run) require_writable(con, "dropping a downsampling", call)
  drop_downsampling(con, name, influx_target(con, database, call), dry_run, call)
}

#' @rdname influx_downsampling
#' @export
influx_downsample <- function(con, spec, start, end, dry_run = FALSE) {
  call <- sys.call()
  check_open(con, call)
  if (inherits(spec, "influx_downsampling")) spec <- spec$spec
  if (!inherits(spec, "influx_downsampling_spec")) {
    abort_argument("`spec` must come from influx_downsampling_spec() or influx_create_downsampling()", call)
  }
  check_dry_run(dry_run, call)
  spec <- resolve_downsampling(con, spec, call)
  start_s <- time_seconds(start, spec$tz, "start", call)
  end_s <- time_seconds(end, spec$tz, "end", call)
  if (!(start_s < end_s)) abort_argument("`start` must be before `end`", call)
  if (!dry_run) require_writable(con, "downsampling (writing aggregates)", call)
  run_downsample(con, spec, start_s, end_s, dry_run, call)
}

#' @export
print.influx_downsampling <- function(x, ...) {
  cat(sprintf("<influx_downsampling> %s '%s'%s on '%s'\n", x$kind, x$name,
              if (is.na(x$id)) "" else sprintf(" (id %s)", x$id), x$database))
  cat(x$text, "\n", sep = "")
  invisible(x)
}

# ---- shared by the backends -------------------------------------------------------------------

# Quotes, backslashes and line breaks cannot be written into 1.x's CREATE CONTINUOUS QUERY
# safely enough to be dropped by name later, nor are they names anyone means.
check_downsampling_name <- function(name, call) {
  check_name(name, "name", call)
  if (grepl("[\"'\\\\[:cntrl:]]", name) || !validUTF8(name)) {
    abort_argument(sprintf("`name` must be text without quotes, backslashes or control characters, not %s", format_value(name)), call)
  }
}

check_dry_run <- function(dry_run, call) {
  if (!is.logical(dry_run) || length(dry_run) != 1 || is.na(dry_run)) abort_argument("`dry_run` must be TRUE or FALSE", call)
}

# The spec with the connection's defaults filled in: tz and the database (bucket) read.
resolve_downsampling <- function(con, spec, call) {
  spec$tz <- spec$tz %||% con$tz
  spec$database <- influx_target(con, spec$database, call)
  spec
}

# Text of the spec's aggregation through the C dialect of `language`. `range`: c(start, end) in
# seconds (backfill), or NULL with `lookback` seconds (a continuous query or task, which
# `task` (list(name, every, delay) in seconds) names in Flux).
downsampling_text <- function(spec, language, range = NULL, lookback = NULL, task = NULL) {
  offset <- window_offset(spec$every)
  at <- if (is.null(range)) as.double(Sys.time()) else range[1]
  q <- list(bucket = spec$database, measurement = spec$from, fields = spec$fields, where = spec$where,
            group_by = spec$group_by, aggregate = spec$aggregate, every = spec$every * 1e9, offset = offset * 1e9,
            create_empty = language != "flux" && spec$fill == "null",
            tz = if (!spec$tz %in% c("UTC", "GMT")) spec$tz, zone_offset = zone_offset(at, spec$tz) * 1e9,
            into = spec$into, into_bucket = spec$into_database)
  if (is.null(range)) {
    q$window_start <- q$data_start <- q$stop <- 0
    q$lookback <- lookback * 1e9
  } else {
    q$window_start <- seconds_ns(window_start(range[1], spec$every, offset, spec$tz))
    q$data_start <- seconds_ns(range[1])
    q$stop <- seconds_ns(range[2])
  }
  if (!is.null(task)) {
    q$task_name <- task$name
    q$task_every <- task$every * 1e9
    q$task_offset <- task$delay * 1e9
  }
  .Call(C_series_query, q, language)
}

# A duration in InfluxQL's largest whole unit ("90m" -> "90m", 3600 -> "1h").
iql_duration <- function(seconds) {
  ms <- round(seconds * 1000)
  units <- c(w = 604800000, d = 86400000, h = 3600000, m = 60000, s = 1000, ms = 1)
  unit <- names(units)[which(ms %% units == 0)[1]]
  paste0(format(ms / units[[unit]], scientific = FALSE), unit)
}

downsampling_object <- function(name, id, kind, database, text, spec) {
  structure(list(name = name, id = id, kind = kind, database = database, text = text, spec = spec),
            class = "influx_downsampling")
}
