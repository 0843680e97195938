# Memory at the R/C boundary: an R error while C holds malloc'd memory must not leak it, and
# unloading the package with live connections must not crash R.

live <- function() .Call(influxdbtoolkit:::C_live_allocations)

bytes_string <- function() {
  x <- "caf\xe9"
  Encoding(x) <- "bytes" # Rf_translateCharUTF8 refuses these with an R error
  x
}

# Runs each call (all expected to fail) three times, then gc(): the buffers, JSON blocks and
# handles C holds must be what they were before.
expect_no_leak <- function(...) {
  calls <- eval(substitute(alist(...)))
  gc()
  before <- live()
  for (i in 1:3) for (cl in calls) expect_error(eval(cl, parent.frame()))
  gc()
  after <- live()
  expect_identical(after[c("buffers", "json_blocks", "handles")], before[c("buffers", "json_blocks", "handles")])
  invisible(after)
}

test_that("bind parameters that make R raise an error leak no buffer", {
  named <- function(nm) { l <- list(1); names(l) <- nm; l }
  long <- strrep("k", 5000) # the buffer has grown past its first allocation
  expect_no_leak(
    .Call(influxdbtoolkit:::C_json_encode_object, stats::setNames(list(1, mean), c(long, "b"))),
    .Call(influxdbtoolkit:::C_json_encode_object, c(list(a = long), named(bytes_string()))),
    .Call(influxdbtoolkit:::C_json_encode_object, list(a = long, b = bytes_string()))
  )
})

test_that("a function as a bind parameter is an argument error that leaks nothing", {
  con <- influx_connect("http://127.0.0.1:9", version = "v1")
  on.exit(influx_disconnect(con))
  expect_error(influx_query(con, "SELECT * FROM m WHERE a = $b", params = list(b = mean)),
               class = "influx_error_argument")
  expect_no_leak(influx_query(con, "SELECT * FROM m WHERE a = $b", params = list(a = "x", b = mean)))
})

test_that("quoting strings R cannot translate leaks no buffer", {
  expect_no_leak(
    .Call(influxdbtoolkit:::C_iql_quote_ident, c(strrep("a", 1000), bytes_string())),
    .Call(influxdbtoolkit:::C_iql_quote_string, c(strrep("a", 1000), bytes_string())),
    .Call(influxdbtoolkit:::C_flux_quote_string, c(strrep("a", 1000), bytes_string()))
  )
})

test_that("a JSON document R cannot hold leaks nothing", {
  big <- paste0('{"pad": "', strrep("x", 100000), '", "bad": "a\\u0000b"}')
  gc()
  before <- live()
  for (i in 1:3) .Call(influxdbtoolkit:::C_json_parse, big)
  gc()
  expect_identical(live()[c("buffers", "json_blocks")], before[c("buffers", "json_blocks")])
})

# What devtools/pkgload do on a reload: unload the namespace and the DLL while connections are
# alive, collect garbage, load again. R must neither crash at gc() nor at exit.
test_that("unloading the package with live connections, then gc(), does not crash R", {
  skip_on_os("windows")
  child <- run_in_child(c(
    "kept <- influx_connect('http://127.0.0.1:9', version = 'v1')",
    "dropped <- influx_connect('http://127.0.0.1:9', version = 'v1')",
    "closed <- influx_connect('http://127.0.0.1:9', version = 'v1'); influx_disconnect(closed)",
    "invisible(influxdbtoolkit:::iql_ident('m'))",
    "zipped <- .Call(influxdbtoolkit:::C_gzip, charToRaw('m v=1'), 0L)",
    "dry <- influx_write(kept, data.frame(v = 1), measurement = 'm', database = 'd', time = NULL, dry_run = TRUE)",
    "unloadNamespace('influxdbtoolkit')",
    "library.dynam.unload('influxdbtoolkit', system.file(package = 'influxdbtoolkit'))",
    "rm(dropped, closed); invisible(gc()); invisible(gc())",
    "library(influxdbtoolkit)",
    "again <- influx_connect('http://127.0.0.1:9', version = 'v1', connect_timeout = 2)",
    "r <- tryCatch(influx_ping(again), influx_error = function(e) class(e)[1])",
    "old <- tryCatch(influxdbtoolkit:::influx_http(kept, 'GET', '/ping'), influx_error = function(e) class(e)[1])",
    "writeLines(c('survived', r, old), outfile)"
  ))
  expect_equal(child$status, 0) # 139 (SIGSEGV) when a finalizer points into the unloaded DLL
  out <- child$out
  expect_equal(out[1], "survived")
  # The new copy of the package works; the connection from before the unload is closed.
  expect_match(out[2], "^influx_error_")
  expect_equal(out[3], "influx_error_closed")
})
