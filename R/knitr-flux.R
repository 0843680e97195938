# The `flux` knitr engine: a chunk ```{flux, connection = con}``` runs its code through
# influx_query(language = "flux") and shows the result as knitr's own `sql` engine shows a
# query's: a table of the first `max.print` rows (default: knitr's `sql.max.print`, else 10) with
# a caption (`tab.cap`), or, with `output.var`, the whole result assigned to that name instead.
# Chunk option `params` (a named list) is sent as Flux parameters (`params.name` in the code);
# `tz` sets the time zone of the time columns. An error is shown in the document when the chunk
# has error = TRUE (knitr::knit's default) and stops the knitting otherwise (rmarkdown's).

#' Flux chunks in R Markdown
#'
#' The package gives knitr a `flux` engine (registered when knitr is loaded),
#' so that reports hold Flux chunks beside R and SQL ones.
#'
#' A chunk written as
#'
#' ````
#' ```{flux, connection = con}
#' from(bucket: "sensors") |> range(start: -1d) |> filter(fn: (r) => r._measurement == "climate")
#' ```
#' ````
#'
#' runs its code with [influx_query()] (`language = "flux"`) on `con` (a
#' connection, or its name as a string) and shows the result as knitr's `sql`
#' engine shows a query's: a table of its first rows with a caption saying how
#' many there are.
#'
#' @section Chunk options:
#' * `connection`: the connection (required);
#' * `max.print`: rows shown (default: knitr's `sql.max.print` option, else
#'   10; `NA` for all);
#' * `tab.cap`: the table's caption (`NA` for none);
#' * `output.var`: the name to assign the whole result (a data frame) to
#'   instead of showing it;
#' * `params`: a named list sent as Flux parameters, read as `params.name` in
#'   the code (2.x, and 1.x from 1.9 on);
#' * `tz`: the time zone of the time columns (default: the connection's);
#' * `error`: `TRUE` shows an error in the document (knitr's default), `FALSE`
#'   stops the knitting (R Markdown's default).
#'
#' Like the package's messages and progress bars, nothing but the result goes
#' into the document; warnings about the data do.
#' @name flux_chunks
NULL

# knitr is only suggested: the engine is registered when knitr is loaded (see .onLoad()).
register_knitr_engines <- function() {
  knitr::knit_engines$set(flux = knitr_flux_engine)
  invisible()
}

knitr_flux_engine <- function(options) {
  code <- paste(options$code, collapse = "\n")
  if (isFALSE(options$eval)) return(knitr::engine_output(options, options$code, ""))
  max_print <- options$max.print %||% knitr::opts_knit$get("sql.max.print") %||% 10
  if (is.na(max_print)) max_print <- -1
  # A chunk without a connection is a mistake of the document, not a result: it stops the knitting.
  con <- chunk_connection(options$connection)
  data <- tryCatch(influx_query(con, code, params = options$params, tz = options$tz, language = "flux"), error = function(e) {
    if (!isTRUE(options$error)) stop(e)
    e
  })
  if (inherits(data, "error")) {
    return(knitr::engine_output(options, options$code, paste("Error:", conditionMessage(data))))
  }
  if (!is.null(options$output.var)) {
    document <- knitr::knit_global() # the environment the document's R chunks run in
    assign(options$output.var, data, envir = document)
    return(knitr::engine_output(options, options$code, NULL))
  }
  output <- if (identical(options$results, "hide")) NULL else flux_chunk_table(data, max_print, options$tab.cap)
  if (!is.null(output)) options$results <- "asis"
  knitr::engine_output(options, options$code, output)
}

# The chunk option `connection`: a connection or the name of one in the document's environment
# (anything else is judged by influx_query(), which knows every kind of connection it takes).
chunk_connection <- function(con) {
  if (is.character(con) && length(con) == 1) {
    name <- con
    con <- get0(name, envir = knitr::knit_global())
    if (is.null(con)) abort_argument(sprintf("the flux chunk's connection '%s' is no object of the document", name))
  }
  if (is.null(con)) {
    abort_argument("a flux chunk needs the chunk option `connection`: a connection from influx_connect() (or its name)")
  }
  con
}

# The first `max_print` rows (all for -1) as a kable table with a caption saying how many there
# are; `caption` NA for none.
flux_chunk_table <- function(data, max_print, caption) {
  rows <- nrow(data)
  shown <- if (max_print < 0) data else utils::head(data, max_print)
  if (is.null(caption)) {
    count <- function(n) formatC(n, format = "d", big.mark = ",")
    caption <- if (nrow(shown) == rows) paste(count(rows), if (rows == 1) "record" else "records")
               else sprintf("Displaying records 1 - %s of %s", count(nrow(shown)), count(rows))
  }
  if (identical(caption, NA)) caption <- NULL
  if (ncol(shown) == 0) return(caption %||% "")
  paste(utils::capture.output(print(knitr::kable(shown, caption = caption))), collapse = "\n")
}
