# Drafts the package's report template (inst/rmarkdown/templates/influx-report) into a temporary
# directory, as an analyst would with rmarkdown::draft(), and renders it to HTML against the demo
# data on the local InfluxDB 1.6.7 (loading them with tools/demo.R first if they are missing).
# Any error, warning or message while knitting fails the run: a report must knit cleanly.
#   eval "$(tools/test-servers.sh env)"; R_LIBS=.lib Rscript tools/knit-template.R [out.html]
suppressPackageStartupMessages(library(influxdbtoolkit))

fail <- function(...) {
  cat("knit-template: FAILED:", ..., "\n", file = stderr())
  quit(status = 1)
}

url <- Sys.getenv("INFLUXTK_V1_6_7_URL")
if (!nzchar(url)) fail("no server: run with the environment of `tools/test-servers.sh env`")
for (pkg in c("rmarkdown", "knitr", "ggplot2", "units")) {
  if (!requireNamespace(pkg, quietly = TRUE)) fail(sprintf("the %s package is missing (make deps)", pkg))
}
if (!rmarkdown::pandoc_available()) fail("pandoc is missing (make deps)")
user <- Sys.getenv("INFLUXTK_ADMIN_USER")
password <- Sys.getenv("INFLUXTK_ADMIN_PASSWORD")

# The demo data: climate of two rooms, the water meter, the outdoor sensor.
con <- influx_connect(url, username = user, password = password, database = "influxtk_demo")
have <- influx_measurements(con)$name
influx_disconnect(con)
if (!all(c("climate", "meter", "temperature") %in% have)) {
  cat("knit-template: loading the demo data (tools/demo.R)\n")
  status <- system2(file.path(R.home("bin"), "Rscript"), "tools/demo.R", stdout = FALSE)
  if (!identical(status, 0L)) fail("tools/demo.R failed with status", status)
}

# The report reads its credentials from the environment, as a real one would.
Sys.setenv(INFLUXDB_USERNAME = user, INFLUXDB_PASSWORD = password)
Sys.unsetenv(c("INFLUXDB_TOKEN", "INFLUXDB_PROFILE", "INFLUXDB_DATABASE", "INFLUXDB_BUCKET"))

dir <- tempfile("influx-report-")
dir.create(dir)
rmd <- rmarkdown::draft(file.path(dir, "report.Rmd"), template = "influx-report", package = "influxdbtoolkit",
                        edit = FALSE)

# A warning or message shown in a chunk's output stops the rendering (knitr hooks of the
# template's own output format); one raised outside the chunks (pandoc, rmarkdown) too.
fmt <- rmarkdown::resolve_output_format(rmd)
for (kind in c("warning", "message")) {
  fmt$knitr$knit_hooks[[kind]] <- local({
    k <- kind
    function(x, options) stop(sprintf("%s in chunk '%s': %s", k, options$label, x), call. = FALSE)
  })
}
started <- Sys.time()
html <- withCallingHandlers(
  tryCatch(rmarkdown::render(rmd, output_format = fmt, params = list(url = url, database = "influxtk_demo"),
                             quiet = TRUE, envir = new.env(parent = globalenv())),
           error = function(e) fail(conditionMessage(e))),
  warning = function(w) fail("warning while knitting:", conditionMessage(w)),
  message = function(m) {
    # knitr's own note on where it stopped comes before the error that says why
    if (!grepl("^Quitting from lines", conditionMessage(m))) fail("message while knitting:", conditionMessage(m))
  }
)
seconds <- as.double(Sys.time() - started, units = "secs")

text <- paste(readLines(html, warn = FALSE, encoding = "UTF-8"), collapse = "\n")
for (marker in c("## Warning", "## Error", "## Message", "Reading ")) {
  if (grepl(marker, text, fixed = TRUE)) fail(sprintf("the report shows '%s'", marker))
}
images <- lengths(regmatches(text, gregexpr("<img src=\"data:image/png;base64", text, fixed = TRUE)))
tables <- lengths(regmatches(text, gregexpr("<table", text, fixed = TRUE)))
if (images < 3 || tables < 3) fail(sprintf("expected at least 3 plots and 3 tables, found %d and %d", images, tables))
# The sql chunk (InfluxQL with ?var) shows its result as knitr's sql engine does.
if (!grepl("class=\"knitsql-table\"", text, fixed = TRUE)) fail("the report shows no table of an sql chunk")

out <- commandArgs(trailingOnly = TRUE)[1]
if (!is.na(out)) invisible(file.copy(html, out, overwrite = TRUE))
cat(sprintf("knit-template: %s rendered in %.1f s (%d plots, %d tables, %.0f kB)%s\n", basename(html), seconds,
            images, tables, file.size(html) / 1024, if (!is.na(out)) paste(" ->", out) else ""))
