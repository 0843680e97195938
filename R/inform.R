# What the package tells the user besides its results: informative messages and progress bars.
# Both go through here, so that a knitted report stays clean (knitr would put them into the
# document) while the console stays informative. Warnings about the data (inexact integers,
# repaired strings, ambiguous times) are not routed here: they reach the reader, always.

# Whether R runs at a console: a function of its own so that tests can pretend it does.
is_interactive <- function() interactive()

# Nothing but results while knitr knits, or when the user asked for quiet.
is_quiet <- function() {
  isTRUE(getOption("knitr.in.progress")) || isTRUE(getOption("influxdbtoolkit.quiet"))
}

# An informative message (class influx_message, so it can be muffled on its own), unless quiet.
inform <- function(text) {
  if (is_quiet()) return(invisible(FALSE))
  cond <- structure(class = c("influx_message", "message", "condition"),
                    list(message = paste0(text, "\n"), call = NULL))
  message(cond)
  invisible(TRUE)
}

# Progress bars are drawn at a console only, never while knitting or when quiet, and need cli.
show_progress <- function() {
  is_interactive() && !is_quiet() && requireNamespace("cli", quietly = TRUE)
}

# A cli progress bar over `total` steps, or NULL where none is shown. `format` is a cli format
# string evaluated in `envir` (the caller's frame), which also ends the bar when it returns.
progress_start <- function(format, total, envir = parent.frame()) {
  if (total < 2 || !show_progress()) return(NULL)
  cli::cli_progress_bar(format = format, total = total, clear = TRUE, .envir = envir)
}

# The bar of a chunked read: its caller's frame holds the series `s` and the `rows_read` so far.
reading_format <- "Reading {s$measurement} {cli::pb_bar} {cli::pb_current}/{cli::pb_total} chunks | {rows_read} rows | {cli::pb_eta}"

# The bar of a batched write: its caller's frame holds the batches `b`, the `rows_done` and the
# bytes `sent` (as text).
writing_format <- "Writing {cli::pb_bar} {rows_done}/{b$rows} rows | {sent} sent | {cli::pb_eta}"

progress_set <- function(bar, done, envir = parent.frame()) {
  if (!is.null(bar)) cli::cli_progress_update(id = bar, set = done, .envir = envir)
  invisible()
}

progress_end <- function(bar, envir = parent.frame()) {
  if (!is.null(bar)) cli::cli_progress_done(id = bar, .envir = envir)
  invisible()
}

# 1536 -> "1.5 kB" (decimal units, as cli prints byte counts)
format_bytes <- function(bytes) {
  units <- c("B", "kB", "MB", "GB", "TB")
  k <- if (bytes < 1000) 1L else min(length(units), floor(log(bytes, 1000)) + 1L)
  if (k == 1L) sprintf("%d B", as.integer(bytes)) else sprintf("%.1f %s", bytes / 1000^(k - 1L), units[k])
}
