# dbFetch() in pieces re-runs the query; the rows it asks for grow geometrically, so that reading
# a result of N rows piece by piece costs O(N) rows sent, not O(N^2) (found in the review of
# issue 11: 25,000 rows from 3.x in dbFetch(res, 10) took 6.5 s against 0.05 s at once).

# The number of times `code` runs the query (dbi_run), counted through trace().
count_runs <- function(code) {
  counter <- new.env()
  counter$n <- 0
  ns <- asNamespace("influxdbtoolkit")
  suppressMessages(trace("dbi_run", tracer = bquote(assign("n", get("n", envir = .(counter)) + 1, envir = .(counter))), where = ns, print = FALSE))
  on.exit(suppressMessages(untrace("dbi_run", where = ns)))
  force(code)
  counter$n
}

for_each_server("fetching row by row re-runs the query a logarithmic number of times", {
  con <- connect_admin(srv)
  on.exit(DBI::dbDisconnect(con))
  m <- fresh_name("dbi_paging")
  n <- 200
  DBI::dbWriteTable(con, m, data.frame(time = as.POSIXct("2024-01-01", tz = "UTC") + seq_len(n), v = seq_len(n)))
  q <- paste("SELECT v FROM", DBI::dbQuoteIdentifier(con, m))
  # Chunks of one row: the 1.x/2.x reader can stop after any row, as a large result's chunks do.
  old <- options(influxdbtoolkit.chunk_size = 1L, influxdbtoolkit.dbi_prefetch = 1)
  on.exit(options(old), add = TRUE)
  got <- list()
  runs <- count_runs({
    res <- DBI::dbSendQuery(con, q)
    while (!DBI::dbHasCompleted(res)) got[[length(got) + 1]] <- DBI::dbFetch(res, 1)
    DBI::dbClearResult(res)
  })
  expect_identical(length(got), as.integer(n))
  expect_equal(as.numeric(do.call(rbind, got)$v), as.numeric(seq_len(n)))
  expect_lte(runs, 10) # 2, 4, 8, ... rows: 8 runs; one per row before
}, generations = c("v1", "v2"))
