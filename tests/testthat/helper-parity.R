# One data set for the parity suite, and an oracle: what influx_timeseries() must return,
# computed here in plain R from the points, by a different route than the package takes
# (windows from wall-clock fields of POSIXlt, loops over windows, no package internals).

parity_tz <- "Europe/Zurich"

# Around the spring (2024-03-31) and autumn (2024-10-27) clock changes: sensors a and b in the
# office, c in the lab; temp (float, quarter steps so sums are exact) and meter (an integer
# counter). Irregular times, and gaps so that windows are empty: a is silent 05:00-08:00 local
# on each change day, b for the whole day after it, c every night 01:00-03:00.
parity_points <- function() {
  set.seed(20240331)
  one <- function(from, to, sensor, room) {
    t <- seq(as.POSIXct(from, tz = parity_tz), as.POSIXct(to, tz = parity_tz), by = 600)
    # no two sensors ever share a second, so first and last are never ties
    t <- t + sample(0:140, length(t), replace = TRUE) * 3 + match(sensor, c("a", "b", "c")) - 1
    hour <- as.integer(format(t, "%H", tz = parity_tz))
    day <- format(t, "%Y-%m-%d", tz = parity_tz)
    quiet <- switch(sensor,
      a = day %in% c("2024-03-31", "2024-10-27") & hour >= 5 & hour < 8,
      b = day %in% c("2024-04-01", "2024-10-28"),
      c = hour >= 1 & hour < 3)
    t <- t[!quiet]
    data.frame(time = t, sensor = sensor, room = room,
               temp = sample(60:110, length(t), replace = TRUE) / 4,
               meter = cumsum(sample(0:30, length(t), replace = TRUE)) + 1000L)
  }
  periods <- list(c("2024-03-29 00:00", "2024-04-02 00:00"), c("2024-10-25 00:00", "2024-10-29 00:00"))
  parts <- list()
  for (p in periods) {
    parts[[length(parts) + 1]] <- one(p[1], p[2], "a", "office")
    parts[[length(parts) + 1]] <- one(p[1], p[2], "b", "office")
    parts[[length(parts) + 1]] <- one(p[1], p[2], "c", "lab")
  }
  df <- do.call(rbind, parts)
  df$meter <- as.integer(df$meter)
  df[order(df$time), ]
}

# Start of the window holding each instant, from wall-clock fields: sub-hour windows by minutes
# of the UTC offset-corrected clock, longer ones by flooring the local hour and rebuilding the
# wall-clock time (Zurich changes clocks at 02:00/03:00, never at a window start).
oracle_window <- function(time, every) {
  lt <- as.POSIXlt(time, tz = parity_tz)
  if (every <= 3600) {
    secs <- as.double(time) + lt$gmtoff
    return(as.double(time) - secs %% every)
  }
  hours <- every / 3600
  if (hours >= 24) {
    text <- sprintf("%04d-%02d-%02d 00:00:00", lt$year + 1900, lt$mon + 1, lt$mday)
  } else {
    text <- sprintf("%04d-%02d-%02d %02d:00:00", lt$year + 1900, lt$mon + 1, lt$mday, (lt$hour %/% hours) * hours)
  }
  as.double(as.POSIXct(text, tz = parity_tz))
}

oracle_grid <- function(start, end, every) {
  # every wall-clock window start in the period, by stepping through it in small steps
  probe <- seq(as.double(start) - every, as.double(end), by = min(every, 900))
  starts <- sort(unique(oracle_window(.POSIXct(probe, tz = parity_tz), every)))
  first <- oracle_window(start, every)
  starts[starts >= first & starts < as.double(end)]
}

oracle_reduce <- function(v, t, aggregate) {
  if (length(v) == 0) return(if (aggregate == "count") 0L else NA)
  switch(aggregate,
    mean = mean(v), median = stats::median(as.double(v)), min = min(v), max = max(v), diffmax = max(v),
    sum = sum(v), count = length(v), first = v[which.min(t)], last = v[which.max(t)],
    spread = max(v) - min(v), stddev = if (length(v) > 1) stats::sd(v) else NA)
}

# The data frame influx_timeseries(con, m, fields, start, end, where, aggregate, every, fill,
# group_by = names(where)) must return.
oracle_timeseries <- function(points, fields, start, end, where, aggregate, every, fill) {
  group_by <- names(where)
  keep <- points$time >= start & points$time < end
  for (k in names(where)) keep <- keep & points[[k]] %in% where[[k]]
  p <- points[keep, ]
  every_s <- c("15m" = 900, "1h" = 3600, "6h" = 21600, "1d" = 86400)[[every]]
  p$window <- oracle_window(p$time, every_s)
  series <- if (length(group_by)) unique(p[group_by]) else data.frame(row.names = 1)
  if (length(group_by)) series <- series[do.call(order, unname(as.list(series))), , drop = FALSE]
  grid <- oracle_grid(start, end, every_s)
  rows <- list()
  for (s in seq_len(max(nrow(series), if (nrow(p)) 1 else 0))) {
    in_series <- rep(TRUE, nrow(p))
    for (g in group_by) in_series <- in_series & p[[g]] == series[[g]][s]
    ps <- p[in_series, ]
    windows <- if (fill == "none") sort(unique(ps$window)) else grid
    out <- data.frame(time = .POSIXct(windows, tz = parity_tz))
    for (g in group_by) out[[g]] <- rep(series[[g]][s], length(windows))
    for (f in fields) {
      vals <- lapply(windows, function(w) oracle_reduce(ps[[f]][ps$window == w], ps$time[ps$window == w], aggregate))
      v <- unlist(vals)
      if (aggregate %in% c("mean", "median", "stddev") || (is.double(ps[[f]]))) v <- as.double(v)
      else v <- as.integer(v)
      if (aggregate == "count") v <- as.integer(v)
      if (aggregate == "diffmax") {
        d <- v
        last <- NA
        for (i in seq_along(v)) {
          d[i] <- if (is.na(v[i]) || is.na(last)) NA else v[i] - last
          if (!is.na(v[i])) last <- v[i]
        }
        v <- d
      }
      out[[f]] <- oracle_fill(v, as.double(out$time), fill)
    }
    rows[[s]] <- out
  }
  if (length(rows) == 0) {
    out <- data.frame(time = .POSIXct(numeric(), tz = parity_tz))
    for (g in group_by) out[[g]] <- character()
    for (f in fields) out[[f]] <- numeric()
    return(out)
  }
  out <- do.call(rbind, rows)
  if (aggregate == "diffmax" && identical(fill, "none")) {
    present <- Reduce(`|`, lapply(fields, function(f) !is.na(out[[f]])))
    out <- out[present, , drop = FALSE]
  }
  rownames(out) <- NULL
  out
}

oracle_fill <- function(v, t, fill) {
  if (identical(fill, "none") || identical(fill, "null")) return(v)
  if (is.numeric(fill)) {
    v[is.na(v)] <- if (is.integer(v) && fill == round(fill)) as.integer(fill) else fill
    return(v)
  }
  if (fill == "linear" && anyNA(v)) v <- as.double(v)
  known <- which(!is.na(v))
  for (i in which(is.na(v))) {
    before <- known[known < i]
    after <- known[known > i]
    if (fill == "previous" && length(before)) v[i] <- v[max(before)]
    if (fill == "linear" && length(before) && length(after)) {
      a <- max(before)
      b <- min(after)
      v[i] <- v[a] + (v[b] - v[a]) * (t[i] - t[a]) / (t[b] - t[a])
    }
  }
  v
}

# The parity measurement, written once per server per test run.
parity_measurement <- local({
  written <- list()
  function(srv, con) {
    if (is.null(written$name)) written$name <<- fresh_name("parity")
    if (!isTRUE(written[[srv$name]])) {
      influx_write(con, parity_points(), measurement = written$name, tags = c("sensor", "room"),
                   fields = c("temp", "meter"))
      written[[srv$name]] <<- TRUE
    }
    written$name
  }
})

with_options <- function(opts, code) {
  old <- options(opts)
  on.exit(options(old))
  code
}
