# Quiet in knitr, informative at the console: messages and progress bars go through R/inform.R;
# warnings about the data reach a knitted document all the same.

# Runs `fun()` when the test (the frame `env`) ends, as on.exit() there would.
defer_to <- function(fun, env) do.call(on.exit, list(as.call(list(fun)), add = TRUE), envir = env)

# Options set until the calling test ends, or around `expr`.
local_opts <- function(..., env = parent.frame()) {
  old <- options(...)
  defer_to(function() options(old), env)
}
with_opts <- function(opts, expr) {
  old <- options(opts)
  on.exit(options(old))
  expr
}

# Pretends R runs at a console (is_interactive() is the package's only question about it) until
# the calling test ends.
local_console <- function(env = parent.frame()) {
  ns <- asNamespace("influxdbtoolkit")
  old <- get("is_interactive", ns)
  unlockBinding("is_interactive", ns)
  assign("is_interactive", function() TRUE, envir = ns)
  defer_to(function() {
    assign("is_interactive", old, envir = ns)
    lockBinding("is_interactive", ns)
  }, env)
}

# cli's logger handler writes one line per event of every bar (created, updated, done) to stdout,
# at once and whatever the terminal, so a test sees each bar that is made.
local_bar_log <- function(env = parent.frame()) {
  local_opts(cli.progress_handlers_only = "logger", cli.progress_show_after = 0, env = env)
}

test_that("messages are shown at the console, never while knitting or when asked for quiet", {
  inform <- influxdbtoolkit:::inform
  expect_message(inform("mapping made"), "mapping made", class = "influx_message")
  with_opts(list(knitr.in.progress = TRUE), expect_silent(inform("mapping made")))
  with_opts(list(influxdbtoolkit.quiet = TRUE), expect_silent(inform("mapping made")))
  with_opts(list(influxdbtoolkit.quiet = FALSE), expect_message(inform("mapping made")))
})

test_that("a progress bar needs a console, no knitting, no quiet, and more than one step", {
  skip_if_not_installed("cli")
  start <- influxdbtoolkit:::progress_start
  local_bar_log()
  expect_null(start("x", 5)) # Rscript: no console
  local_console()
  log <- capture.output(bar <- start("x", 5))
  expect_type(bar, "character")
  expect_match(log, "0/5 created")
  ended <- capture.output(influxdbtoolkit:::progress_end(bar))
  expect_match(ended, "terminated")
  expect_null(start("x", 1))
  with_opts(list(knitr.in.progress = TRUE), expect_null(start("x", 5)))
  with_opts(list(influxdbtoolkit.quiet = TRUE), expect_null(start("x", 5)))
})

test_that("the bars show what their callers hold: chunks and rows read, rows and bytes written", {
  skip_if_not_installed("cli")
  local_opts(cli.progress_handlers_only = "cli", cli.dynamic = FALSE, cli.progress_show_after = 0)
  render <- function(format, env) {
    capture.output(type = "message", {
      bar <- cli::cli_progress_bar(format = format, total = 4, .envir = env)
      cli::cli_progress_update(id = bar, set = 2, force = TRUE, .envir = env)
      cli::cli_progress_done(id = bar, .envir = env)
    })[1]
  }
  reading <- list2env(list(s = list(measurement = "climate"), rows_read = 1234L))
  expect_match(render(influxdbtoolkit:::reading_format, reading), "^Reading climate .* 2/4 chunks [|] 1234 rows")
  writing <- list2env(list(b = list(rows = 50), rows_done = 20L, sent = "1.5 kB"))
  expect_match(render(influxdbtoolkit:::writing_format, writing), "^Writing .* 20/50 rows [|] 1.5 kB sent")
  format_bytes <- influxdbtoolkit:::format_bytes
  expect_identical(vapply(c(0, 999, 1536, 2.5e6, 3e9), format_bytes, ""), c("0 B", "999 B", "1.5 kB", "2.5 MB", "3.0 GB"))
})

# Points for a long read (50 hourly values) and a big integer, written to fresh measurements.
progress_data <- function(con) {
  m <- fresh_name("progress")
  big <- fresh_name("bigint")
  hours <- as.POSIXct("2024-02-01", tz = "UTC") + 3600 * (0:49)
  influx_write(con, data.frame(time = hours, v = seq_along(hours) + 0.5), m)
  influx_write(con, sprintf("%s n=9007199254740993i 1706745600000000000", big))
  list(m = m, big = big, start = hours[1], end = hours[50] + 3600)
}

for_each_server("at the console, long reads and batched writes draw a bar; elsewhere they do not", {
  skip_if_not_installed("cli")
  con <- connect_admin(srv)
  d <- progress_data(con)
  # 50 hourly windows in chunks of 10 (3.x cuts its chunks by hours)
  local_opts(influxdbtoolkit.chunk_windows = 10, influxdbtoolkit.v3_chunk_hours = 10)
  df <- data.frame(time = d$start + 60 * (1:50), v = 1:50)
  read <- function() invisible(influx_timeseries(con, d$m, "v", start = d$start, end = d$end, aggregate = "mean", every = "1h"))
  local_bar_log()
  expect_identical(capture.output(influx_write(con, df, fresh_name("batched"), batch_size = 10)), character())
  expect_identical(capture.output(read()), character())
  local_console()
  log <- capture.output(influx_write(con, df, fresh_name("batched"), batch_size = 10))
  expect_match(log[1], "0/5 created")
  expect_match(log[length(log)], "5/5 terminated [(]done[)]")
  log <- capture.output(ts <- read())
  expect_match(log[1], "0/5 created")
  expect_match(log[length(log)], "5/5 terminated [(]done[)]")
  expect_identical(nrow(ts), 50L)
  # one batch, or progress = FALSE: no bar
  expect_identical(capture.output(influx_write(con, df, fresh_name("batched"))), character())
  expect_identical(capture.output(invisible(influx_timeseries(con, d$m, "v", start = d$start, end = d$end,
                                                              aggregate = "mean", every = "1h", progress = FALSE))),
                   character())
  with_opts(list(influxdbtoolkit.quiet = TRUE), {
    expect_identical(capture.output(influx_write(con, df, fresh_name("batched"), batch_size = 10)), character())
  })
})

for_each_server("a knitted document gets no bar and no message, but the warnings about the data", {
  skip_if_not_installed("knitr")
  skip_if_not_installed("cli")
  con <- connect_admin(srv)
  d <- progress_data(con)
  # as at a console, with bars drawn at once and logged: the knitting alone must keep them out
  local_console()
  local_opts(cli.progress_handlers_only = c("logger", "cli"), cli.progress_show_after = 0,
                       influxdbtoolkit.chunk_windows = 10)
  env <- new.env()
  env$con <- con
  env$d <- d
  dir <- tempfile("knit")
  dir.create(dir)
  on.exit(unlink(dir, recursive = TRUE), add = TRUE)
  writeLines(c(
    "```{r}",
    "res <- influx_write(con, data.frame(time = d$start + 60 * (1:50), v = 1:50), 'knit_batched', batch_size = 10)",
    "ts <- influx_timeseries(con, d$m, 'v', start = d$start, end = d$end, aggregate = 'mean', every = '1h')",
    "nrow(ts)",
    "influxdbtoolkit:::inform('a message for the console')",
    "x <- influx_query(con, paste('SELECT n FROM', d$big), bigint = 'double')",
    "```"), file.path(dir, "doc.Rmd"))
  md <- paste(readLines(knitr::knit(file.path(dir, "doc.Rmd"), output = file.path(dir, "doc.md"), envir = env,
                                    quiet = TRUE)), collapse = "\n")
  expect_match(md, "## [1] 50", fixed = TRUE)
  expect_match(md, "## Warning[^\n]*\n?[^\n]*beyond 2\\^53")
  for (noise in c("created", "Writing", "Reading", "## a message for the console")) {
    expect_false(grepl(noise, md, fixed = TRUE), label = noise)
  }
}, generations = c("v1", "v2"))
