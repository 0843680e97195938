# The flux knitr engine: registered with knitr, and knitting chunks against the Flux servers.

skip_if_not_installed("knitr")

# Knits `lines` (R Markdown) with `env` as the document's environment -> the .md text.
knit_lines <- function(lines, env) {
  dir <- tempfile("knit")
  dir.create(dir)
  on.exit(unlink(dir, recursive = TRUE))
  rmd <- file.path(dir, "doc.Rmd")
  writeLines(lines, rmd)
  md <- knitr::knit(rmd, output = file.path(dir, "doc.md"), envir = env, quiet = TRUE)
  paste(readLines(md), collapse = "\n")
}

test_that("the flux engine is registered whether knitr is loaded before or after the package", {
  probe <- function(first, second) {
    out <- tempfile()
    status <- system2(rscript(), c("--vanilla", "-e", shQuote(paste0(
      ".libPaths(", paste(deparse(.libPaths()), collapse = ""), "); ",
      sprintf("loadNamespace('%s'); loadNamespace('%s'); ", first, second),
      sprintf("writeLines(as.character(is.function(knitr::knit_engines$get('flux'))), '%s')", out)))),
      stdout = FALSE, stderr = FALSE)
    expect_identical(status, 0L)
    readLines(out)
  }
  expect_identical(probe("knitr", "influxdbtoolkit"), "TRUE")
  expect_identical(probe("influxdbtoolkit", "knitr"), "TRUE")
  expect_identical(probe("knitr", "stats"), "FALSE") # knitr alone has no flux engine
})

for_each_server("flux chunks print tables, assign output.var, take params, and show or stop on errors", {
  con <- connect_admin(srv)
  m <- fresh_name("knit")
  t0 <- as.POSIXct("2024-03-01 00:00:00", tz = "UTC")
  influx_write(con, data.frame(time = t0 + c(0, 60, 120), room = c("lab", "lab", "office"), v = c(1.5, 2.5, 4)), m)
  flux <- sprintf(paste0('from(bucket: "%s") |> range(start: 2024-03-01T00:00:00Z, stop: 2024-03-02T00:00:00Z)',
                         ' |> filter(fn: (r) => r._measurement == %s) |> group() |> keep(columns: ["_time", "room", "_value"])',
                         ' |> sort(columns: ["_time"])'), flux_bucket(srv), "%s")
  env <- new.env()
  env$con <- con
  doc <- knit_lines(c(
    "```{flux, connection = con, tz = 'UTC'}", sprintf(flux, sprintf('"%s"', m)), "```",
    "```{flux, connection = 'con', max.print = 2, tab.cap = NULL}", sprintf(flux, sprintf('"%s"', m)), "```",
    "```{flux, connection = con, output.var = 'got'}", sprintf(flux, sprintf('"%s"', m)), "```",
    "```{r}", "cat('rows in got:', nrow(got))", "```",
    paste0("```{flux, connection = con, params = list(m = '", m, "')}"), sprintf(flux, "params.m"), "```",
    "```{flux, connection = con}", 'from(bucket: "x") |> no_such_function()', "```"
  ), env)
  # the whole result: a table (kable) with its caption
  expect_match(doc, "Table: 3 records", fixed = TRUE)
  expect_match(doc, "|2024-03-01 00:02:00 |    4.0|office |", fixed = TRUE)
  # max.print = 2: two rows, and the caption says how many there are
  expect_match(doc, "Table: Displaying records 1 - 2 of 3", fixed = TRUE)
  expect_identical(env$got$`_value`, c(1.5, 2.5, 4))
  expect_match(doc, "rows in got: 3", fixed = TRUE)
  # the code is shown, as with sql chunks
  expect_match(doc, "```flux\nfrom(bucket", fixed = TRUE)
  if (influxdbtoolkit:::has_capability(con, "flux_params")) {
    expect_identical(lengths(regmatches(doc, gregexpr("Table: 3 records", doc, fixed = TRUE))), 2L)
  } else {
    expect_match(doc, "Error: Flux parameters (1.8's Flux ignores them", fixed = TRUE)
  }
  # error = TRUE (knit's default): the server's error is in the document
  expect_match(doc, "## Error: InfluxDB answered[^`]*no_such_function")

  # error = FALSE (rmarkdown's default): the knitting stops with the package's error
  env$con <- con
  expect_error(knit_lines(c("```{flux, connection = con, error = FALSE}", 'from(bucket: "x") |> no_such_function()', "```"),
                          env), "no_such_function", class = "influx_error")
  expect_error(knit_lines(c("```{flux}", 'buckets()', "```"), env), "connection", class = "influx_error_argument")
  # eval = FALSE: shown, not run
  doc <- knit_lines(c("```{flux, connection = con, eval = FALSE}", 'from(bucket: "x") |> no_such_function()', "```"), env)
  expect_match(doc, "no_such_function", fixed = TRUE)
  expect_false(grepl("Error", doc, fixed = TRUE))
}, flux = TRUE)
