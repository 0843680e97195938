# The parity matrix (tests/testthat/test-parity.R: 2 DST days x 3 tag filters x 11 aggregates x
# 4 window lengths x 5 fills = 1,320 calls) through the SQL dialect on PyPI DataFusion, with the
# R side's steps after the query (bind, sort, complete the windows, diffmax, fill) taken from the
# package: each frame must equal the oracle's (helper-parity.R). This is what a 3.x backend of
# influx_timeseries() does, without a server; not part of the package. Run from the repository:
#
#   R_LIBS=$PWD/.lib Rscript tools/check-sql-parity.R
#
# Needs jsonlite and a Python with datafusion and pyarrow ($INFLUXTK_V3_VENV, default
# ~/.cache/influxdbtoolkit/venv-v3). The SQL is asked with create_empty = (fill != "none"), so
# that count is 0, not NA, in a window that other fields fill (as InfluxQL's fill(null) does).

ns <- asNamespace("influxdbtoolkit")
source(file.path("tests", "testthat", "helper-parity.R"))
venv <- Sys.getenv("INFLUXTK_V3_VENV", file.path(Sys.getenv("HOME"), ".cache", "influxdbtoolkit", "venv-v3"))
python <- file.path(venv, "bin", "python")

days <- list(spring = c("2024-03-30 17:10", "2024-04-01 06:30"), autumn = c("2024-10-26 17:10", "2024-10-28 06:30"))
wheres <- list(one_sensor = list(sensor = "a"), room_together = list(room = "office"), two_sensors = list(sensor = c("a", "c")))
everys <- c("15m", "1h", "6h", "1d")
fills <- list("none", "null", "previous", "linear", -1)
aggregates <- c("mean", "median", "min", "max", "sum", "count", "first", "last", "spread", "stddev", "diffmax")
tz <- parity_tz
fields <- c("meter", "temp")
points <- parity_points()

# The statements influx_timeseries() would send for one call, chunked as it chunks.
plan <- function(start, end, where, aggregate, every, fill) {
  series <- ns$resolve_aggregate(aggregate, every, NULL)
  start_s <- ns$time_seconds(start, tz, "start", NULL)
  end_s <- ns$time_seconds(end, tz, "end", NULL)
  offset <- ns$window_offset(series$every)
  chunks <- ns$query_chunks(start_s, end_s, series$every, offset, tz)
  spec <- list(measurement = "parity", fields = fields, where = where, group_by = names(where),
               aggregate = series$server_aggregate, every = series$every * 1e9, offset = offset * 1e9,
               create_empty = !identical(fill, "none"), tz = tz)
  queries <- vapply(seq_along(chunks$stop), function(i) {
    spec$window_start <- ns$seconds_ns(chunks$window_start[i])
    spec$data_start <- ns$seconds_ns(chunks$data_start[i])
    spec$stop <- ns$seconds_ns(chunks$stop[i])
    .Call(ns$C_series_query, spec, "sql")
  }, "")
  list(series = series, start_s = start_s, end_s = end_s, offset = offset, queries = queries)
}

runner <- c(
  "import json, sys, datafusion, pyarrow as pa",
  "job = json.load(open(sys.argv[1]))",
  "p = job['points']",
  "tag = lambda v: pa.array(v).dictionary_encode().cast(pa.dictionary(pa.int32(), pa.string()))",
  "ctx = datafusion.SessionContext()",
  "ctx.register_record_batches('parity', [[pa.record_batch([tag(p['sensor']), tag(p['room']),",
  "    pa.array(p['temp'], type=pa.float64()), pa.array(p['meter'], type=pa.int64()),",
  "    pa.array([int(round(x * 1e9)) for x in p['time']], type=pa.timestamp('ns'))],",
  "    names=['sensor', 'room', 'temp', 'meter', 'time'])]])",
  "out = []",
  "for q in job['queries']:",
  "    tab = ctx.sql(q).to_arrow_table()",
  "    cols = {}",
  "    for n, c in zip(tab.column_names, tab.columns):",
  "        if pa.types.is_timestamp(c.type): c = pa.array([x / 1e9 for x in c.cast(pa.int64()).to_pylist()])",
  "        elif pa.types.is_dictionary(c.type): c = c.cast(pa.string())",
  "        cols[n] = c.to_pylist()",
  "    out.append(dict(names=tab.column_names, types=[str(c.type) for c in tab.columns], cols=cols))",
  "json.dump(out, open(sys.argv[2], 'w'))")

# One answer as the decoder would give it: time as POSIXct, tags as text, int64 as integer.
answer_frame <- function(r, group_by) {
  cols <- lapply(seq_along(r$names), function(i) {
    name <- r$names[[i]]
    v <- lapply(r$cols[[name]], function(x) if (is.null(x)) NA else x)
    if (name == "time") return(.POSIXct(as.double(unlist(v)), tz = tz))
    if (name %in% group_by) return(as.character(unlist(v)))
    if (r$types[[i]] == "int64") as.integer(unlist(v)) else as.double(unlist(v))
  })
  names(cols) <- unlist(r$names)
  structure(cols, class = "data.frame", row.names = .set_row_names(length(cols[[1]])))
}

cases <- expand.grid(day = names(days), where = names(wheres), aggregate = aggregates, every = everys,
                     fill = seq_along(fills), stringsAsFactors = FALSE)
plans <- lapply(seq_len(nrow(cases)), function(k) {
  with(cases[k, ], plan(days[[day]][1], days[[day]][2], wheres[[where]], aggregate, every, fills[[fill]]))
})
statements <- unique(unlist(lapply(plans, `[[`, "queries")))
files <- tempfile(c("runner", "job", "answers"), fileext = c(".py", ".json", ".json"))
writeLines(runner, files[1])
jsonlite::write_json(list(points = list(time = as.double(points$time), sensor = points$sensor, room = points$room,
                                        temp = points$temp, meter = points$meter), queries = statements),
                     files[2], digits = NA)
took <- system.time(status <- system2(python, files))[["elapsed"]]
if (status != 0) stop("the Python runner failed")
answers <- stats::setNames(jsonlite::fromJSON(files[3], simplifyVector = FALSE), statements)
cat(sprintf("%d calls, %d distinct statements, run by DataFusion in %.1f s\n", nrow(cases), length(statements), took))

differ <- 0
for (k in seq_len(nrow(cases))) {
  case <- cases[k, ]
  p <- plans[[k]]
  fill <- fills[[case$fill]]
  where <- wheres[[case$where]]
  group_by <- names(where)
  frames <- lapply(p$queries, function(q) ns$series_frame(answer_frame(answers[[q]], group_by), group_by, fields, "sql"))
  got <- ns$sort_series(ns$bind_frames(frames, c("time", group_by, fields), tz, text_columns = group_by), group_by)
  if (!identical(fill, "none")) {
    grid <- ns$window_grid(ns$window_start(p$start_s, p$series$every, p$offset, tz), p$end_s, p$series$every, p$offset, tz)
    got <- ns$complete_windows(got, group_by, fields, grid, tz, zero = p$series$aggregate == "count")
  }
  diffmax <- identical(p$series$aggregate, "diffmax")
  if (diffmax) got <- ns$difference_previous(got, group_by, fields)
  got <- ns$fill_windows(got, group_by, fields, fill, diffmax)
  rownames(got) <- NULL
  want <- oracle_timeseries(points, fields, as.POSIXct(days[[case$day]][1], tz = tz),
                            as.POSIXct(days[[case$day]][2], tz = tz), where, case$aggregate, case$every, fill)
  same <- all.equal(got, want, tolerance = 1e-9)
  if (!isTRUE(same)) {
    differ <- differ + 1
    if (differ <= 5) cat("differs:", case$day, case$where, case$aggregate, case$every, format(fill), same, sep = " ", "\n")
  }
}
cat(sprintf("%d of %d calls give the oracle's frame\n", nrow(cases) - differ, nrow(cases)))
quit(status = if (differ) 1 else 0)
