#' Read time series: points or windowed aggregates, the same on 1.x and 2.x
#'
#' Asks the question analysts ask ("this measurement's fields for that period,
#' aggregated like this, in Zurich time") and returns the same data frame from
#' an InfluxDB 1.x server (through InfluxQL) and a 2.x server (through Flux).
#' The query text is written by the package's C query dialects, which quote
#' every name and value; use [influx_query()] for text of your own.
#'
#' Values keep their stored type on both: a string field stored as the empty
#' string is `""` (Flux writes it like a null, but the points read here are
#' stored ones, which are never null); a field a point lacks, or a window
#' without data, is `NA`.
#'
#' @section Time:
#' `start` is inclusive and `end` exclusive. Text such as `"2024-03-31"` or
#' `"2024-03-31 06:00"` is wall-clock time in `tz` (RFC 3339 text with `Z` or an
#' offset is an instant); a `Date` is midnight in `tz`. Windows are aligned in
#' `tz`: daily windows start at local midnight, so the days summer time begins
#' and ends have windows of 23 and 25 hours; weekly windows start on Monday.
#' Each row is stamped with the start of its window (also when `start` falls
#' inside a window: that window then holds only the data from `start` on).
#'
#' @section Aggregates:
#' `mean`, `median` (exact: the mean of the two middle values for an even
#' count), `min`, `max`, `sum`, `count`, `first`, `last`, `spread` (max - min),
#' `stddev` (sample standard deviation) and `diffmax`: the difference between
#' the maximum of a window and the maximum of the previous window of the same
#' series that has data (consumption from meter readings). The first window of
#' each series has no previous window and is `NA` (dropped with
#' `fill = "none"`).
#'
#' @section Empty windows:
#' `fill = "none"` leaves out windows without data; `"null"` keeps them with
#' `NA` (`count` is 0); `"previous"` carries the last value forward within a
#' series; `"linear"` interpolates in time between the neighbouring values of
#' the series (leading and trailing gaps stay `NA`); a number replaces `NA`.
#' Filling is done after all chunks are joined, so it is the same however the
#' range was split.
#'
#' @section Long ranges:
#' Ranges of more than `getOption("influxdbtoolkit.chunk_windows", 5000)`
#' windows (or, for points, more than `getOption("influxdbtoolkit.chunk_seconds")`,
#' a month, but in at most 50 requests) are fetched in chunks cut at window boundaries, with a progress bar
#' (from the cli package, when installed) in interactive sessions and none
#' while knitting. Up to `concurrency` chunk requests are in flight at once
#' (libcurl multi), sent in rounds of four times that many so that the bar
#' moves and a failing chunk stops the read early. The chunks are joined once,
#' column by column, in order. On InfluxDB
#' 3.x (SQL) a request covers at most `getOption("influxdbtoolkit.v3_chunk_hours", 70)`
#' hours, as 3.x Core reads at most 432 Parquet files (about 72 hours) per
#' query; a chunk it refuses all the same is halved at a window boundary.
#' A window is never split between requests (a median or a standard deviation
#' of parts is not that of the whole): one window over more files than 3.x
#' reads at once, such as a week of 10-minute files, is computed in R from its
#' points, read in parts (exact, but each point of that window is transferred).
#' Measurements, fields and tags a 3.x table lacks give what 1.x gives (no
#' rows, or `NA` columns), not an error.
#'
#' @param con A connection from [influx_connect()].
#' @param measurement Measurement name.
#' @param fields Field names; `NULL` for all fields of the measurement (the
#'   numeric ones for aggregates other than `count`, `first` and `last`).
#' @param start,end The period: `POSIXct`, `Date`, text (read in `tz`) or
#'   numeric seconds since the epoch.
#' @param where Tag filters: `list(sensor = "a", room = c("office", "lab"))`
#'   means sensor a, in the office or the lab (OR within a tag, AND across
#'   tags).
#' @param aggregate `NULL` for the points themselves, or one of the
#'   aggregates above.
#' @param every Window length for `aggregate`: `"15m"`, `"1h"`, `"1d"`, `"1w"`
#'   (units ms, s, m, h, d, w).
#' @param fill What empty windows become: `"none"`, `"null"`, `"previous"`,
#'   `"linear"` or a number.
#' @param tz Time zone of `start`/`end` text, of window alignment and of the
#'   `time` column (default: the connection's, normally `"Europe/Zurich"`).
#' @inheritParams influx_target
#' @param shape `"wide"`: `time`, the tags of `group_by`, one column per
#'   field. `"long"`: `time`, tags, `field`, `value`.
#' @param group_by Tags kept as columns, one series per combination of their
#'   values (default: the tags named in `where`); other tags are aggregated
#'   together.
#' @param language `"auto"` (the server's choice: Flux on 2.x connected with a
#'   token, InfluxQL otherwise), `"influxql"` (also on 2.x, through its
#'   1.x-compatible endpoint and the bucket's DBRP mapping, see
#'   [influx_target]) or `"flux"` (2.x); on 3.x only `"sql"`.
#' @param progress Show a progress bar over chunks (with the rows read so far):
#'   only at an interactive console with cli installed, never while knitr
#'   knits or with `options(influxdbtoolkit.quiet = TRUE)`.
#' @param units `FALSE`; `TRUE` for numeric columns as [units][units::units]
#'   objects where the unit is known (from the field's name, the measurement,
#'   a tag value or the connection's mapping), or a mapping such as
#'   `c(value = "degC")` that comes first; see [influx_units()]. A `count`
#'   has no unit, other aggregates keep the field's.
#' @param concurrency How many chunk requests of a long range are in flight at
#'   once (1 to 64; 1 fetches them one after another). The chunks are joined in
#'   order, so the result is the same whatever the value; on error the first
#'   failing chunk, in order, raises its own error. Default: option
#'   `influxdbtoolkit.concurrency`, else 4.
#' @return A data frame of class `c("influx_timeseries", "data.frame")`,
#'   sorted by the `group_by` tags and time, with the query texts sent in the
#'   attribute `"queries"` and what was asked in `"series"` (measurement,
#'   fields, group_by, aggregate, shape); [plot()][plot.influx_timeseries] and
#'   `ggplot2::autoplot()` draw it.
#' @seealso [influx_query()] for raw query text, [influxdbGetTimeseries()] for
#'   the older wrapper's interface.
#' @export
#' @examplesIf nzchar(Sys.getenv("INFLUXTK_EXAMPLE_URL"))
#' con <- influx_connect(Sys.getenv("INFLUXTK_EXAMPLE_URL"), database = "influxtk_demo")
#' influx_timeseries(con, "climate", "temperature", start = "2024-03-30", end = "2024-04-02",
#'                   where = list(room = "office"), aggregate = "mean", every = "1d")
influx_timeseries <- function(con, measurement, fields = NULL, start, end, where = list(),
                              aggregate = NULL, every = NULL, fill = "none", tz = NULL,
                              database = NULL, shape = c("wide", "long"), group_by = names(where),
                              language = "auto",
                              progress = TRUE, units = FALSE,
                              concurrency = getOption("influxdbtoolkit.concurrency", 4L)) {
  call <- sys.call()
  check_open(con, call)
  unit_maps <- units_request(units, con, call)
  check_name(measurement, "measurement", call)
  where <- check_where(where, call)
  if (is.null(group_by)) group_by <- character()
  if (!is.character(group_by) || anyNA(group_by) || any(!nzchar(group_by)) || anyDuplicated(group_by)) {
    abort_argument("`group_by` must name distinct tags", call)
  }
  if (length(intersect(group_by, c("time", "field", "value")))) {
    abort_argument("`group_by` cannot hold the tags 'time', 'field' or 'value': they would clash with result columns", call)
  }
  tz <- tz %||% con$tz
  check_tz(tz, call)
  concurrency <- check_concurrency(concurrency, call)
  shape <- if (identical(shape, c("wide", "long"))) "wide" else check_choice(shape, c("wide", "long"), "shape", call)
  fill <- check_fill(fill, call)
  window <- resolve_aggregate(aggregate, every, call)
  language <- series_language(con, check_language(con, language, call), call)
  target <- influx_target(con, database, call)

  start_s <- time_seconds(start, tz, "start", call)
  end_s <- time_seconds(end, tz, "end", call)
  if (!(start_s < end_s)) abort_argument("`start` must be before `end`", call)
  fields <- resolve_fields(con, measurement, fields, window$aggregate, target, call)
  if (length(intersect(fields, c(group_by, "time")))) {
    abort_argument("a field has the name of a `group_by` tag or 'time'; ask for them separately", call)
  }
  offset <- if (is.null(window$every)) 0 else window_offset(window$every)
  series <- list(measurement = measurement, fields = fields, where = where, group_by = group_by,
                 aggregate = window$aggregate, server_aggregate = window$server_aggregate,
                 every = window$every, offset = offset, fill = fill, tz = tz, target = target,
                 start = start_s, end = end_s, language = language, progress = isTRUE(progress),
                 concurrency = concurrency)
  out <- read_series(con, series, call)
  queries <- attr(out, "queries")

  out <- sort_series(out, group_by)
  if (!is.null(window$every) && !identical(fill, "none")) {
    grid <- window_grid(window_start(start_s, window$every, offset, tz), end_s, window$every, offset, tz)
    out <- complete_windows(out, group_by, fields, grid, tz, zero = window$aggregate == "count")
  }
  if (identical(window$aggregate, "diffmax")) out <- difference_previous(out, group_by, fields)
  out <- fill_windows(out, group_by, fields, fill, identical(window$aggregate, "diffmax"))
  if (shape == "long") out <- long_frame(out, group_by, fields, drop_na = identical(fill, "none"))
  rownames(out) <- NULL
  attr(out, "queries") <- queries
  attr(out, "series") <- list(measurement = measurement, fields = fields, group_by = group_by,
                              aggregate = window$aggregate, shape = shape)
  class(out) <- c("influx_timeseries", "data.frame")
  apply_units(out, unit_maps, unit_context(out), call)
}

# The series description of influx_timeseries() (see read_series()) through the C dialect of
# series$language, in chunks cut at window boundaries (or the `chunks` given, as query_chunks()
# gives them). `exchange(text)` is the exchange (R/read-many.R) of one query text, answered by a
# data frame (a list of them for several statements); up to series$concurrency are in flight.
# `rescue(from, to, error)`, where given, answers a chunk [from, to) whose answer raised an
# influx_error in its place (or raises). -> the chunks' rows bound into one frame (time,
# group_by tags, fields) in chunk order, with the texts sent in attribute "queries".
series_by_chunks <- function(con, series, exchange, call, chunks = NULL, rescue = NULL) {
  s <- series
  offset <- s$offset
  # InfluxQL places windows with an offset (Monday weeks) wrongly around clock changes (see
  # window_start()): there each window is one statement over exactly its range.
  one_by_one <- s$language == "influxql" && offset != 0
  if (is.null(chunks)) {
    if (one_by_one) {
      old_opt <- options(influxdbtoolkit.chunk_windows = min(getOption("influxdbtoolkit.chunk_windows", 5000L), 200L))
      on.exit(options(old_opt), add = TRUE)
    }
    chunks <- query_chunks(s$start, s$end, s$every, offset, s$tz)
  }
  spec <- list(
    bucket = s$target, measurement = s$measurement, fields = s$fields, where = s$where,
    group_by = s$group_by, aggregate = s$server_aggregate,
    every = if (!is.null(s$every)) s$every * 1e9, offset = offset * 1e9,
    # Flux answers only windows with data: complete_windows() adds the others, and Flux
    # without createEmpty has no null values, so an empty string stays "" (see series_flux_fetch()).
    # SQL (3.x) answers only windows with data too; with create_empty, count is 0 where other
    # fields of the window have data, as InfluxQL's fill(null) gives it.
    create_empty = s$language != "flux" && !identical(s$fill, "none") && !is.null(s$every),
    tz = if (!s$tz %in% c("UTC", "GMT")) s$tz
  )
  columns <- c("time", s$group_by, s$fields)
  chunk_exchange <- function(i) {
    if (one_by_one) {
      windows <- window_grid(chunks$window_start[i], chunks$stop[i], s$every, offset, s$tz)
      bounds <- c(windows, chunks$stop[i])
      k <- seq_along(windows)
      text <- paste(vapply(k, function(j) {
        .Call(C_series_query, utils::modifyList(spec, list(
          every = 0, window_start = seconds_ns(windows[j]), data_start = seconds_ns(max(windows[j], s$start)),
          stop = seconds_ns(bounds[j + 1]), zone_offset = 0)), s$language)
      }, ""), collapse = ";\n")
      frame_of <- function(res) {
        if (is.data.frame(res)) res <- list(res)
        parts <- lapply(k, function(j) {
          df <- series_frame(res[[j]], s$group_by, s$fields, s$language)
          # one aggregate over the window's range is stamped with the range start (or, for a
          # selector, the time of the point): the window start is what every row means
          if (nrow(df)) df$time <- .POSIXct(rep(windows[j], nrow(df)), tz = s$tz)
          df
        })
        out <- bind_frames(parts, columns, s$tz, text_columns = s$group_by)
        out[, c("time", intersect(c(s$group_by, s$fields), unique(unlist(lapply(parts, names))))), drop = FALSE]
      }
    } else {
      spec$window_start <- seconds_ns(chunks$window_start[i])
      spec$data_start <- seconds_ns(chunks$data_start[i])
      spec$stop <- seconds_ns(chunks$stop[i])
      spec$zone_offset <- zone_offset(chunks$data_start[i], s$tz) * 1e9
      text <- .Call(C_series_query, spec, s$language)
      frame_of <- function(res) series_frame(res, s$group_by, s$fields, s$language)
    }
    ex <- exchange(text)
    answer <- function(res) {
      out <- frame_of(ex$answer(res))
      attr(out, "queries") <- text
      out
    }
    list(request = ex$request, answer = if (is.null(rescue)) answer else function(res) {
      tryCatch(answer(res), influx_error = function(e) rescue(chunks$data_start[i], chunks$stop[i], e))
    })
  }
  n <- length(chunks$stop)
  rows_read <- 0L
  here <- environment()
  bar <- if (s$progress) progress_start(reading_format, n)
  frames <- exchanges_run(con, lapply(seq_len(n), chunk_exchange), s$concurrency %||% 1L, call,
                          answered = function(i, frame) {
                            rows_read <<- rows_read + nrow(frame)
                            progress_set(bar, i, here)
                          })
  progress_end(bar)
  out <- bind_frames(frames, columns, s$tz, text_columns = s$group_by)
  attr(out, "queries") <- unlist(lapply(frames, attr, "queries"))
  if (is.null(attr(out, "queries"))) attr(out, "queries") <- character()
  out
}

# ---- arguments ------------------------------------------------------------------------------

check_fill <- function(fill, call) {
  if (is.numeric(fill) && length(fill) == 1 && is.finite(fill)) return(as.numeric(fill))
  if (is.character(fill) && length(fill) == 1 && !is.na(fill) && fill %in% c("none", "null", "previous", "linear")) return(fill)
  abort_argument(sprintf("`fill` must be \"none\", \"null\", \"previous\", \"linear\" or one finite number, not %s", format_value(fill)), call)
}

aggregates <- c("mean", "median", "min", "max", "sum", "count", "first", "last", "spread", "stddev", "diffmax")

resolve_aggregate <- function(aggregate, every, call) {
  if (is.null(aggregate)) {
    if (!is.null(every)) abort_argument("`every` needs an `aggregate` (points are not windowed)", call)
    return(list(aggregate = NULL, server_aggregate = NULL, every = NULL))
  }
  aggregate <- check_choice(aggregate, aggregates, "aggregate", call)
  if (is.null(every)) abort_argument(sprintf("aggregate \"%s\" needs `every`, the window length", aggregate), call)
  list(aggregate = aggregate, server_aggregate = if (aggregate == "diffmax") "max" else aggregate,
       every = parse_every(every, call))
}

resolve_fields <- function(con, measurement, fields, aggregate, database, call) {
  if (!is.null(fields)) {
    if (!is.character(fields) || length(fields) == 0 || anyNA(fields) || any(!nzchar(fields)) || anyDuplicated(fields)) {
      abort_argument("`fields` must name one or more distinct fields", call)
    }
    return(enc2utf8(fields))
  }
  keys <- influx_field_keys(con, measurement, database = database)
  if (!is.null(aggregate) && !aggregate %in% c("count", "first", "last")) keys <- keys[keys$type %in% c("float", "integer", "unsigned"), ]
  found <- unique(keys$field)
  if (length(found) == 0) {
    abort_argument(sprintf("measurement '%s' has no %sfields in '%s'", measurement,
                           if (!is.null(aggregate)) "numeric " else "", database), call)
  }
  sort(found, method = "radix")
}

# A time as seconds since the epoch (double; microseconds are kept).
time_seconds <- function(x, tz, what, call) {
  if (inherits(x, "POSIXt")) x <- as.POSIXct(x)
  else if (inherits(x, "Date")) x <- as.POSIXct(format(x), tz = tz)
  else if (is.character(x) && length(x) == 1 && !is.na(x)) {
    text <- x
    x <- parse_time_text(x, tz)
    if (is.na(x)) {
      abort_argument(sprintf("`%s`: '%s' is not a time in %s (not readable, or skipped when summer time begins)",
                             what, text, tz), call)
    }
  }
  if (!(inherits(x, "POSIXct") || is.numeric(x)) || length(x) != 1 || !is.finite(unclass(x))) {
    abort_argument(sprintf("`%s` must be one time (POSIXct, Date, numeric seconds or text)", what), call)
  }
  as.double(unclass(x))
}

seconds_ns <- function(s) .Call(C_time_to_precision, as.double(s), "posixct", "ns")

# ---- results ---------------------------------------------------------------------------------

# One chunk's answer in the common form: time, group_by tags, fields (columns that are missing
# are added when the chunks are bound).
series_frame <- function(df, group_by, fields, language) {
  if (language == "flux" && "_time" %in% names(df)) names(df)[names(df) == "_time"] <- "time"
  keep <- intersect(c("time", group_by, fields), names(df))
  df[keep]
}

# Binds data frames column by column (one concatenation per column, never row by row).
# Columns absent from a frame are NA of the type they have elsewhere; absent from all, NA text
# for `text_columns` (tags) and NA doubles otherwise.
bind_frames <- function(frames, columns, tz, text_columns = character()) {
  sizes <- vapply(frames, function(f) if (is.null(f) || length(f) == 0) 0L else nrow(f), 0L)
  total <- sum(sizes)
  out <- lapply(stats::setNames(columns, columns), function(col) {
    has <- vapply(frames, function(f) col %in% names(f), NA)
    if (!any(has)) {
      if (col == "time") return(.POSIXct(rep(NA_real_, total), tz = tz))
      return(rep(if (col %in% text_columns) NA_character_ else NA_real_, total))
    }
    template <- frames[[which(has)[1]]][[col]]
    parts <- lapply(seq_along(frames), function(i) {
      if (has[i]) frames[[i]][[col]] else template[rep(NA_integer_, sizes[i])]
    })
    parts <- parts[sizes > 0 | has]
    v <- if (length(parts) == 1) parts[[1]] else do.call(c, unname(parts))
    if (col == "time") v <- .POSIXct(as.double(v), tz = tz)
    v
  })
  structure(out, class = "data.frame", row.names = .set_row_names(total))
}

sort_series <- function(df, group_by) {
  if (nrow(df) < 2) return(df)
  keys <- c(lapply(group_by, function(g) df[[g]]), list(as.double(df$time)))
  o <- do.call(order, c(unname(keys), list(method = "radix", na.last = TRUE)))
  if (is.unsorted(o)) df <- df[o, , drop = FALSE]
  df
}

# Integer id of each row's series (rows sorted by series).
series_id <- function(df, group_by) {
  if (length(group_by) == 0 || nrow(df) == 0) return(rep(1L, nrow(df)))
  key <- do.call(paste, c(lapply(group_by, function(g) ifelse(is.na(df[[g]]), "\001NA", df[[g]])), sep = "\002"))
  match(key, unique(key))
}

# Adds the windows of `grid` a series lacks (a chunk where it had no data answers without it).
complete_windows <- function(df, group_by, fields, grid, tz, zero) {
  if (nrow(df) == 0) return(df)
  # A count is 0 where nothing was counted, also in a window that only another field fills
  # (InfluxQL's fill(null); Flux and SQL answer no row for that field there).
  if (zero) for (f in fields) df[[f]][is.na(df[[f]])] <- 0L
  sid <- series_id(df, group_by)
  first <- !duplicated(sid)
  have <- paste(sid, as.double(df$time))
  want_sid <- rep(sid[first], each = length(grid))
  want <- paste(want_sid, rep(grid, times = sum(first)))
  missing <- !want %in% have
  if (!any(missing)) return(df)
  rows <- match(want_sid[missing], sid)
  extra <- df[rows, , drop = FALSE]
  extra$time <- .POSIXct(rep(grid, times = sum(first))[missing], tz = tz)
  for (f in fields) {
    v <- extra[[f]]
    extra[[f]] <- v[rep(NA_integer_, length(v))]
    if (zero) extra[[f]][] <- 0L
  }
  sort_series(bind_frames(list(df, extra), names(df), tz, text_columns = group_by), group_by)
}

# diffmax: each window's maximum minus the previous maximum of its series.
difference_previous <- function(df, group_by, fields) {
  sid <- series_id(df, group_by)
  for (f in fields) {
    v <- df[[f]]
    prev <- .Call(C_series_neighbours, is.na(v), sid)$prev
    d <- v - v[prev]
    d[is.na(prev)] <- NA
    df[[f]] <- d
  }
  df
}

fill_windows <- function(df, group_by, fields, fill, differences) {
  if (nrow(df) == 0) return(df)
  if (identical(fill, "none")) {
    if (!differences) return(df)
    # The first window of a series has no difference: without filling, it is no row.
    present <- Reduce(`|`, lapply(fields, function(f) !is.na(df[[f]])), FALSE)
    return(if (all(present)) df else df[present, , drop = FALSE])
  }
  if (identical(fill, "null")) return(df)
  sid <- series_id(df, group_by)
  t <- as.double(df$time)
  for (f in fields) {
    v <- df[[f]]
    gap <- is.na(v)
    if (!any(gap)) next
    if (is.numeric(fill)) {
      v[gap] <- if (is.integer(v) && fill == round(fill)) as.integer(fill) else fill
    } else {
      nb <- .Call(C_series_neighbours, gap, sid)
      if (fill == "previous") {
        take <- gap & !is.na(nb$prev)
        v[take] <- v[nb$prev[take]]
      } else if (is.numeric(v) || inherits(v, "integer64")) {
        take <- gap & !is.na(nb$prev) & !is.na(nb[["next"]])
        p <- nb$prev[take]
        n <- nb[["next"]][take]
        if (!is.double(v) || inherits(v, "integer64")) v <- as.double(v)
        v[take] <- v[p] + (v[n] - v[p]) * (t[take] - t[p]) / (t[n] - t[p])
      }
    }
    df[[f]] <- v
  }
  df
}

long_frame <- function(df, group_by, fields, drop_na) {
  n <- nrow(df)
  rows <- rep(seq_len(n), times = length(fields))
  out <- df[rows, c("time", group_by), drop = FALSE]
  out$field <- rep(fields, each = n)
  values <- unname(lapply(fields, function(f) df[[f]]))
  out$value <- if (length(values) == 1) values[[1]] else do.call(c, values)
  if (drop_na) out <- out[!is.na(out$value), , drop = FALSE]
  out
}
