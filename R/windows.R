# Time windows as InfluxQL lays them out (and Flux, given the same location and offset): a grid
# of fixed length anchored at the epoch plus an offset, in local time, where a window that
# contains a change of UTC offset (smaller than the window) is longer or shorter by that change.
# So daily windows start at local midnight, and the days summer time begins and ends last 23
# and 25 hours. Only a handful of instants pass through here (query bounds, chunk bounds, the
# window grid), so this is plain R.

# "15m", "1h", "1d", "1w", "90s", "1h30m" -> seconds. Months and years are not fixed lengths.
parse_every <- function(every, call) {
  bad <- function() {
    abort_argument(sprintf(paste0(
      "`every` must be a duration such as \"15m\", \"1h\", \"1d\" or \"1w\" (units ms, s, m, h, d, w), not %s",
      "; calendar months and years are not windows the servers can align (see influxdbGetTimeseries())"),
      format_value(every)), call)
  }
  if (!is.character(every) || length(every) != 1 || is.na(every)) bad()
  text <- gsub("\\s", "", every)
  if (!grepl("^([0-9]+(ms|s|m|h|d|w))+$", text)) bad()
  parts <- regmatches(text, gregexpr("[0-9]+(ms|s|m|h|d|w)", text))[[1]]
  units <- c(ms = 0.001, s = 1, m = 60, h = 3600, d = 86400, w = 604800)
  seconds <- sum(as.numeric(sub("[a-z]+$", "", parts)) * units[sub("^[0-9]+", "", parts)])
  if (!(seconds > 0) || seconds > 366 * 86400) bad()
  seconds
}

# Seconds east of UTC in tz at each instant (seconds since the epoch).
zone_offset <- function(t, tz) {
  if (tz %in% c("UTC", "GMT")) return(rep(0, length(t)))
  as.numeric(as.POSIXlt(.POSIXct(t, tz = tz))$gmtoff)
}

# Start of the window containing t (seconds). Windows of whole days start at local midnight:
# counted in local calendar days from the epoch plus the offset. Shorter windows are computed
# as InfluxQL's IteratorOptions.Window does: truncate in local time, then correct by the change
# of UTC offset between t and the window start when that change is shorter than the window.
# (For whole days with an offset, such as Monday weeks, InfluxQL looks the zone up at t - offset
# and so misplaces the weeks around a clock change; those windows are asked for one by one.)
window_start <- function(t, every, offset, tz) {
  if (every %% 86400 == 0 && offset %% 86400 == 0) {
    day <- as.double(as.Date(format(.POSIXct(t, tz = tz), "%Y-%m-%d", tz = tz)))
    first <- day - ((day - offset / 86400) %% (every / 86400))
    return(local_day_start(first, tz))
  }
  t <- t - offset
  zone <- zone_offset(t, tz)
  start <- t - ((t + zone) %% every)
  change <- zone - zone_offset(start, tz)
  start + ifelse(change != 0 & abs(change) < every, change, 0) + offset
}

# First instant of each local calendar day (days since the epoch). Where the clocks jump
# forward at midnight (America/Santiago, 2024-09-08) midnight does not exist: the day starts at
# the jump, as the servers count it, not an hour earlier on the day before.
local_day_start <- function(day, tz) {
  dates <- format(as.Date(day, origin = "1970-01-01"))
  start <- as.double(as.POSIXct(dates, tz = tz))
  early <- which(format(.POSIXct(start, tz = tz), "%Y-%m-%d", tz = tz) != dates)
  for (i in early) {
    # The jump lies within the hours after the guess: find its second by bisection.
    lo <- start[i]
    hi <- lo + 86400
    while (hi - lo > 1) {
      mid <- floor((lo + hi) / 2)
      if (format(.POSIXct(mid, tz = tz), "%Y-%m-%d", tz = tz) == dates[i]) hi <- mid else lo <- mid
    }
    start[i] <- hi
  }
  start
}

# All window starts from `first` (itself a window start) up to before `end`.
window_grid <- function(first, end, every, offset, tz) {
  n <- ceiling((end - first) / every) + 2
  # The middle of each nominal window never drifts into a neighbour: offset changes are far
  # shorter than half a window for the windows where they matter.
  starts <- unique(window_start(first + (seq_len(n) - 1) * every + every / 2, every, offset, tz))
  starts[starts >= first & starts < end]
}

# The grid offset: weeks start on Monday (the epoch was a Thursday), everything else at the epoch.
window_offset <- function(every) {
  if (every %% 604800 == 0) 4 * 86400 else 0
}

# Chunks of a query, as list(window_start, data_start, stop) in seconds. Windowed queries cut at
# window boundaries (a window is never split between two requests); point queries at a fixed span.
query_chunks <- function(start, end, every, offset, tz) {
  if (is.null(every)) {
    # At least a month per request, and never more than 50 requests.
    span <- max(getOption("influxdbtoolkit.chunk_seconds", 31 * 86400), (end - start) / 50)
    bounds <- unique(c(seq(start, end, by = span), end))
    bounds <- bounds[bounds <= end]
    if (length(bounds) < 2) bounds <- c(start, end)
    k <- seq_len(length(bounds) - 1)
    return(list(window_start = bounds[k], data_start = bounds[k], stop = bounds[k + 1]))
  }
  first <- window_start(start, every, offset, tz)
  per_chunk <- getOption("influxdbtoolkit.chunk_windows", 5000L) * every
  bounds <- first
  repeat {
    last <- bounds[length(bounds)]
    if (last + per_chunk >= end) break
    # The middle of the window after the chunk's last one, as in window_grid(): its nominal
    # start can lie inside the chunk's last window when that window is longer (a week or a day
    # holding the autumn clock change), which would cut that window in two.
    nxt <- window_start(last + per_chunk + every / 2, every, offset, tz)
    if (nxt <= last) nxt <- last + per_chunk
    if (nxt >= end) break
    bounds <- c(bounds, nxt)
  }
  k <- seq_along(bounds)
  list(window_start = bounds, data_start = pmax(bounds, start), stop = c(bounds[-1], end)[k])
}
