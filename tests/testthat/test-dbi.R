# DBI on the package's own connections (R/dbi-*.R), the row limit of the C reader that lets
# dbFetch(res, n) stop a transfer early, and knitr's sql engine end to end.

offline_con <- function(version = "v1", ...) {
  influx_connect("http://127.0.0.1:9", version = version, database = "db", ...)
}

# ---- one connection for DBI and the verbs (no server) ----------------------------------------

test_that("influx_connect() connections are DBIConnections of every generation and stay S3 lists", {
  for (v in c("v1", "v2", "v3")) {
    con <- offline_con(v)
    expect_true(methods::is(con, "DBIConnection"), info = v)
    expect_true(inherits(con, "influx_connection"), info = v)
    expect_identical(class(con), c(paste0("influx_", v, "_connection"), "influx_connection"))
    expect_identical(con$database, "db")
    expect_true(DBI::dbIsValid(con))
    # The internal S3 generics still dispatch on it, and print is the package's own.
    expect_match(influxdbtoolkit:::backend_label(con), paste0("InfluxDB ", substr(v, 2, 2)))
    expect_output(print(con), "<influx_connection>")
    expect_output(methods::show(con), "<influx_connection>")
  }
})

test_that("dbConnect(influx(), ...) takes influx_connect()'s arguments and settings layers", {
  drv <- influx()
  expect_s4_class(drv, "InfluxDriver")
  expect_true(methods::is(drv, "DBIDriver"))
  expect_output(methods::show(drv), "InfluxDriver")
  expect_true(DBI::dbIsValid(drv))
  expect_named(DBI::dbGetInfo(drv), c("driver.version", "client.version"))
  con <- DBI::dbConnect(drv, url = "http://127.0.0.1:9", version = "v2", org = "o", bucket = "b")
  expect_s3_class(con, "influx_v2_connection")
  expect_identical(con$bucket, "b")
  # The environment layer: no argument names the URL or the database.
  old <- Sys.getenv(c("INFLUXDB_URL", "INFLUXDB_DATABASE", "INFLUXDB_VERSION"), unset = NA)
  on.exit(for (k in names(old)) if (is.na(old[[k]])) Sys.unsetenv(k) else do.call(Sys.setenv, as.list(old[k])))
  Sys.setenv(INFLUXDB_URL = "http://127.0.0.1:9", INFLUXDB_DATABASE = "from_env", INFLUXDB_VERSION = "v1")
  con <- DBI::dbConnect(drv)
  expect_s3_class(con, "influx_v1_connection")
  expect_identical(con$database, "from_env")
  expect_identical(con$sources[["database"]], "environment")
  # Every verb takes it: a query is tried (no server on port 9).
  expect_error(influx_query(con, "SELECT * FROM m"), class = "influx_error_transport")
  expect_identical(DBI::dbGetInfo(con)$dbname, "from_env")
})

test_that("dbDisconnect() invalidates the connection; DBI methods and verbs then raise influx_error_closed", {
  con <- offline_con()
  expect_true(DBI::dbDisconnect(con))
  expect_false(DBI::dbIsValid(con))
  expect_error(DBI::dbGetQuery(con, "SELECT * FROM m"), class = "influx_error_closed")
  expect_error(DBI::dbSendQuery(con, "SELECT * FROM m"), class = "influx_error_closed")
  expect_error(DBI::dbListTables(con), class = "influx_error_closed")
  expect_error(influx_query(con, "SELECT * FROM m"), class = "influx_error_closed")
})

test_that("dbExecute() and dbSendStatement() are refused on a read-only connection before any request", {
  con <- offline_con() # port 9: a request would be a transport error
  expect_error(DBI::dbExecute(con, "DROP MEASUREMENT m"), class = "influx_error_readonly")
  expect_error(DBI::dbExecute(con, "SELECT * INTO b FROM a"), class = "influx_error_readonly")
  expect_error(DBI::dbSendStatement(con, "DELETE FROM m"), class = "influx_error_readonly")
  # A read-only connection refuses changes sent as queries too (the statement check of influx_query).
  expect_error(DBI::dbGetQuery(con, "DROP MEASUREMENT m"), class = "influx_error_readonly")
})

test_that("dbWriteTable() refuses overwrite, temporary and non-data-frame input with classed errors", {
  con <- offline_con(writable = TRUE)
  df <- data.frame(time = Sys.time(), v = 1)
  expect_error(DBI::dbWriteTable(con, "m", df, overwrite = TRUE), class = "influx_error_unsupported")
  expect_error(DBI::dbWriteTable(con, "m", df, temporary = TRUE), class = "influx_error_unsupported")
  expect_error(DBI::dbWriteTable(con, "m", df, append = TRUE, row.names = TRUE), class = "influx_error_argument")
  expect_error(DBI::dbWriteTable(con, "m", df, append = TRUE, tags = "nope"), class = "influx_error_argument")
  expect_error(DBI::dbWriteTable(con, "m", data.frame(time = Sys.time()), append = TRUE), class = "influx_error_argument")
  expect_error(DBI::dbAppendTable(con, "m", df, row.names = TRUE), class = "influx_error_argument")
})

test_that("several InfluxQL statements are refused by DBI before anything is sent", {
  con <- offline_con()
  expect_error(DBI::dbGetQuery(con, "SELECT * FROM a; SELECT * FROM b"), class = "influx_error_argument")
  expect_error(DBI::dbGetQuery(con, c("SELECT 1", "SELECT 2")), class = "influx_error_argument")
  expect_error(DBI::dbGetQuery(con, "SELECT * FROM a", n = -2), class = "influx_error_argument")
})

test_that("dbDataType() names the type a column is written as, per language", {
  df <- data.frame(t = Sys.time(), i = 1L, d = 1.5, s = "x", b = TRUE, f = factor("a"))
  iql <- c(t = "timestamp", i = "integer", d = "float", s = "string", b = "boolean", f = "string")
  expect_identical(DBI::dbDataType(influx(), df), iql)
  expect_identical(DBI::dbDataType(offline_con("v1"), df), iql)
  expect_identical(DBI::dbDataType(offline_con("v3"), df),
                   c(t = "TIMESTAMP", i = "BIGINT", d = "DOUBLE", s = "VARCHAR", b = "BOOLEAN", f = "VARCHAR"))
  expect_error(DBI::dbDataType(influx(), list(1)), class = "influx_error_argument")
})

# ---- quoting and ?var interpolation ------------------------------------------------------------

hostile <- "it's \"x\" \\ y"

test_that("InfluxQL quoting escapes with backslashes; SQL (3.x) doubles the quote", {
  v1 <- offline_con("v1")
  expect_identical(as.character(DBI::dbQuoteString(v1, hostile)), "'it\\'s \"x\" \\\\ y'")
  expect_identical(as.character(DBI::dbQuoteIdentifier(v1, hostile)), "\"it's \\\"x\\\" \\\\ y\"")
  expect_identical(as.character(DBI::dbQuoteString(v1, c("a", NA))), c("'a'", "NULL"))
  expect_identical(as.character(DBI::dbQuoteIdentifier(v1, DBI::Id(schema = "rp", table = "m"))), "\"rp\".\"m\"")
  expect_error(DBI::dbQuoteIdentifier(v1, NA_character_), class = "influx_error_argument")
  v3 <- offline_con("v3")
  expect_identical(as.character(DBI::dbQuoteString(v3, hostile)), "'it''s \"x\" \\ y'")
  expect_identical(as.character(DBI::dbQuoteIdentifier(v3, hostile)), "\"it's \"\"x\"\" \\ y\"")
  # A 3.x connection that speaks InfluxQL quotes as InfluxQL.
  v3iql <- offline_con("v3", query_language = "influxql")
  expect_identical(as.character(DBI::dbQuoteString(v3iql, hostile)), "'it\\'s \"x\" \\\\ y'")
  # An SQL object is already quoted.
  expect_identical(DBI::dbQuoteString(v1, DBI::SQL("'x'")), DBI::SQL("'x'"))
  # A quoted identifier reads back as the name (DBI passes table names quoted).
  for (con in list(v1, v3)) {
    expect_identical(influxdbtoolkit:::dbi_unquote(con, as.character(DBI::dbQuoteIdentifier(con, paste0(hostile, "\nz")))),
                     paste0(hostile, "\nz"))
  }
})

test_that("dbQuoteLiteral() writes numbers, logicals, times and NA as literals of the language", {
  v1 <- offline_con("v1")
  v3 <- offline_con("v3")
  t <- as.POSIXct("2024-03-31 02:30:00.25", tz = "UTC")
  expect_identical(as.character(DBI::dbQuoteLiteral(v1, c(1L, NA))), c("1", "NULL"))
  expect_identical(as.character(DBI::dbQuoteLiteral(v1, c(0.1, 1e20, 3))), c("0.10000000000000001", "100000000000000000000.0", "3"))
  expect_identical(as.character(DBI::dbQuoteLiteral(v1, c(TRUE, FALSE))), c("true", "false"))
  expect_identical(as.character(DBI::dbQuoteLiteral(v3, TRUE)), "TRUE")
  expect_identical(as.character(DBI::dbQuoteLiteral(v1, t)), "'2024-03-31T02:30:00.250000Z'")
  expect_identical(as.character(DBI::dbQuoteLiteral(v3, t)), "TIMESTAMP '2024-03-31T02:30:00.250000Z'")
  expect_identical(as.character(DBI::dbQuoteLiteral(v1, as.Date("2024-01-02"))), "'2024-01-02T00:00:00Z'")
  expect_identical(as.character(DBI::dbQuoteLiteral(v1, factor(hostile))), as.character(DBI::dbQuoteString(v1, hostile)))
})

test_that("sqlInterpolate() quotes ?vars for InfluxQL and SQL, skipping quotes and comments", {
  v1 <- offline_con("v1")
  sql <- paste("SELECT \"a?b\" FROM m WHERE note = ?note AND x = '?not' AND y = 'it\\'s ?not'",
               "AND t > ?t -- ?comment\nAND n = ?n /* ?block */")
  got <- DBI::sqlInterpolate(v1, sql, note = hostile, t = as.POSIXct("2024-01-01", tz = "UTC"), n = 2.5)
  expect_identical(as.character(got), paste(
    "SELECT \"a?b\" FROM m WHERE note = 'it\\'s \"x\" \\\\ y' AND x = '?not' AND y = 'it\\'s ?not'",
    "AND t > '2024-01-01T00:00:00Z' -- ?comment\nAND n = 2.5 /* ?block */"))
  v3 <- offline_con("v3")
  got3 <- DBI::sqlInterpolate(v3, "SELECT * FROM m WHERE s = 'it''s ?no' AND note = ?note AND b = ?b AND v = ?v",
                              note = hostile, b = FALSE, v = NA)
  expect_identical(as.character(got3),
                   "SELECT * FROM m WHERE s = 'it''s ?no' AND note = 'it''s \"x\" \\ y' AND b = FALSE AND v = NULL")
  # knitr finds the variables with sqlParseVariables(): the same ones.
  pos <- DBI::sqlParseVariables(v1, sql)
  expect_identical(substring(sql, pos$start, pos$end), c("?note", "?t", "?n"))
})

test_that("sqlInterpolate() refuses what has no literal with influx_error_argument naming the variable", {
  v1 <- offline_con("v1")
  v3 <- offline_con("v3")
  q <- "SELECT * FROM m WHERE x = ?x"
  expect_error(DBI::sqlInterpolate(v1, q, x = c("a", "b")), class = "influx_error_argument", regexp = "\\?x")
  expect_error(DBI::sqlInterpolate(v1, q, x = character()), class = "influx_error_argument")
  expect_error(DBI::sqlInterpolate(v1, q, x = NA), class = "influx_error_argument", regexp = "NULL")
  expect_error(DBI::sqlInterpolate(v1, q, x = NA_character_), class = "influx_error_argument")
  expect_error(DBI::sqlInterpolate(v3, q, x = Inf), class = "influx_error_argument")
  expect_error(DBI::sqlInterpolate(v1, q, x = list(1)), class = "influx_error_argument")
  expect_error(DBI::sqlInterpolate(v1, q, x = mean), class = "influx_error_argument")
  expect_error(DBI::sqlInterpolate(v1, q), class = "influx_error_argument", regexp = "no value for \\?x")
  expect_error(DBI::sqlInterpolate(v1, "SELECT * FROM m WHERE x = ?", 1), class = "influx_error_argument")
})

# ---- the row limit of the C reader (recorded bodies) -------------------------------------------

flux_rows <- function(n) {
  paste0(c("#datatype,string,long,dateTime:RFC3339,double", "#group,false,false,false,false",
           "#default,_result,,,", ",result,table,_time,_value",
           sprintf(",,0,2024-01-01T00:00:%02d.%06dZ,%d", (seq_len(n) - 1) %/% 1e6, (seq_len(n) - 1) %% 1e6, seq_len(n)),
           "", ""), collapse = "\n")
}
jsonl_rows <- function(n) paste0(sprintf('{"time":"2024-01-01T00:00:00.%06d","v":%d}\n', seq_len(n), seq_len(n)), collapse = "")

test_that("a row limit stops the decoders at whole rows, a prefix of the whole result", {
  opts <- list(tz = "UTC", bigint = "double", pivot = FALSE, table_columns = FALSE)
  cases <- list(flux = charToRaw(flux_rows(500)), jsonl = charToRaw(jsonl_rows(500)))
  for (name in names(cases)) {
    body <- cases[[name]]
    whole <- .Call(influxdbtoolkit:::C_decode_recorded, body, 64L, name, opts)$tables[[1]]
    expect_identical(nrow(whole), 500L, info = name)
    for (limit in c(1, 7, 499, 500, 501)) {
      got <- .Call(influxdbtoolkit:::C_decode_recorded, body, 64L, name, c(opts, row_limit = limit))
      expect_identical(got$status, 0L, info = paste(name, limit))
      df <- got$tables[[1]]
      # The rows of the pieces fed (64 bytes) until the limit was reached: at least `limit`, whole.
      expect_gte(nrow(df), min(limit, 500))
      expect_lt(nrow(df), min(limit, 500) + 64)
      expect_equal(df, whole[seq_len(nrow(df)), , drop = FALSE], ignore_attr = TRUE, info = paste(name, limit))
    }
  }
  # A pivot's rows are never whole before the end: no early stop, the whole result.
  pivot <- .Call(influxdbtoolkit:::C_decode_recorded, cases$flux, 64L, "flux",
                 utils::modifyList(opts, list(pivot = TRUE, row_limit = 3)))
  expect_identical(pivot$status, 0L)
})

test_that("the row-limited decode survives gctorture", {
  opts <- list(tz = "UTC", bigint = "double", pivot = FALSE, table_columns = FALSE, row_limit = 5)
  expect_torture_identical(influxdbtoolkit:::C_decode_jsonl, charToRaw(jsonl_rows(40)), 16L, opts)
  expect_torture_identical(influxdbtoolkit:::C_decode_flux, charToRaw(flux_rows(40)), 16L, opts)
})

# ---- against every server ----------------------------------------------------------------------

dbi_frame <- function(n = 25) {
  data.frame(time = as.POSIXct("2024-01-01", tz = "UTC") + 60 * (seq_len(n) - 1),
             room = rep(c("a", "b"), length.out = n), value = seq_len(n) + 0.5,
             note = rep(c(hostile, "plain"), length.out = n), stringsAsFactors = FALSE)
}

fresh_table <- function(con, name) {
  if (DBI::dbExistsTable(con, name)) DBI::dbRemoveTable(con, name)
  name
}

for_each_server("dbWriteTable, dbListTables/Fields, dbExistsTable and dbGetQuery round-trip", {
  con <- connect_admin(srv)
  on.exit(DBI::dbDisconnect(con))
  m <- fresh_table(con, "dbi_roundtrip")
  df <- dbi_frame()
  expect_true(DBI::dbWriteTable(con, m, df, tags = "room"))
  expect_true(DBI::dbExistsTable(con, m))
  expect_true(m %in% DBI::dbListTables(con))
  # time, then tags, then fields: `note` is a character column, yet a field (no `tags =` for it).
  expect_identical(DBI::dbListFields(con, m), c("time", "room", "note", "value"))
  expect_identical(DBI::dbListFields(con, DBI::dbQuoteIdentifier(con, m)), c("time", "room", "note", "value"))
  expect_identical(influx_tag_keys(con, m)$key, "room")
  q <- paste("SELECT * FROM", DBI::dbQuoteIdentifier(con, m))
  got <- DBI::dbGetQuery(con, q)
  expect_identical(nrow(got), 25L)
  got <- got[order(got$time), ]
  expect_equal(as.numeric(got$time), as.numeric(df$time))
  expect_identical(got$note, df$note)
  expect_identical(got$value, df$value)
  expect_identical(nrow(DBI::dbGetQuery(con, q, n = 4)), 4L)
  # Without append an existing measurement is an error; with it the points are added.
  expect_error(DBI::dbWriteTable(con, m, df), class = "influx_error_argument")
  more <- dbi_frame(3)
  more$time <- more$time + 86400
  expect_true(DBI::dbWriteTable(con, m, more, tags = "room", append = TRUE))
  expect_identical(DBI::dbAppendTable(con, m, transform(more, time = time + 86400), tags = "room"), 3L)
  expect_identical(nrow(DBI::dbGetQuery(con, q)), 31L)
  expect_false(DBI::dbExistsTable(con, "dbi_no_such_measurement"))
  expect_error(DBI::dbListFields(con, "dbi_no_such_measurement"), class = "influx_error_argument")
  expect_true(DBI::dbRemoveTable(con, m))
  expect_false(DBI::dbExistsTable(con, m))
})

for_each_server("dbSendQuery/dbFetch hand out every row once, in order, with exact dbHasCompleted", {
  con <- connect_admin(srv)
  on.exit(DBI::dbDisconnect(con))
  m <- fresh_table(con, "dbi_fetch")
  DBI::dbWriteTable(con, m, dbi_frame(), tags = "room")
  q <- paste("SELECT * FROM", DBI::dbQuoteIdentifier(con, m))
  all <- DBI::dbGetQuery(con, q)
  for (prefetch in c(0, 2, 24, 25, 1000)) {
    old <- options(influxdbtoolkit.dbi_prefetch = prefetch)
    res <- DBI::dbSendQuery(con, q)
    expect_identical(DBI::dbGetStatement(res), q)
    expect_false(DBI::dbHasCompleted(res))
    parts <- list()
    for (n in c(1, 5, 19)) {
      parts[[length(parts) + 1]] <- DBI::dbFetch(res, n)
      expect_identical(nrow(parts[[length(parts)]]), as.integer(n), info = paste(prefetch, n))
      # 25 rows: completed exactly when the 25th is out, not before.
      expect_identical(DBI::dbHasCompleted(res), DBI::dbGetRowCount(res) == 25, info = paste(prefetch, n))
    }
    expect_identical(DBI::dbGetRowCount(res), 25)
    expect_true(DBI::dbHasCompleted(res))
    expect_identical(nrow(DBI::dbFetch(res)), 0L)
    expect_equal(do.call(rbind, parts), all, info = prefetch)
    expect_identical(DBI::dbColumnInfo(res)$name, names(all)) # known with no row left
    expect_true(DBI::dbClearResult(res))
    expect_false(DBI::dbIsValid(res))
    expect_error(DBI::dbFetch(res), class = "influx_error_argument")
    expect_warning(DBI::dbClearResult(res), "already")
    options(old)
  }
  res <- DBI::dbSendQuery(con, q)
  expect_identical(DBI::dbColumnInfo(res)$name, names(all))
  expect_equal(DBI::dbFetch(res, Inf), all)
  DBI::dbClearResult(res)
  empty <- DBI::dbSendQuery(con, paste(q, "WHERE time > '2100-01-01T00:00:00Z'"))
  expect_true(DBI::dbHasCompleted(empty))
  expect_identical(nrow(DBI::dbFetch(empty, 10)), 0L)
  expect_output(methods::show(empty), "InfluxResult")
  DBI::dbClearResult(empty)
  expect_error(DBI::dbSendQuery(con, "SELECT FROM WHERE"), class = "influx_error")
  DBI::dbRemoveTable(con, m)
})

for_each_server("dbExecute is refused on a read-only connection, which still reads", {
  ro <- connect_admin(srv, writable = FALSE)
  on.exit(DBI::dbDisconnect(ro))
  expect_error(DBI::dbExecute(ro, "DROP MEASUREMENT dbi_exec"), class = "influx_error_readonly")
  # The read-only connection still reads.
  expect_s3_class(DBI::dbGetQuery(ro, "SHOW MEASUREMENTS"), "data.frame")
})

for_each_server("dbExecute reports the points SELECT ... INTO wrote", {
  con <- connect_admin(srv)
  on.exit(DBI::dbDisconnect(con))
  m <- fresh_table(con, "dbi_into_src")
  fresh_table(con, "dbi_into_dst")
  DBI::dbWriteTable(con, m, dbi_frame(), tags = "room")
  n <- DBI::dbExecute(con, "SELECT * INTO dbi_into_dst FROM dbi_into_src GROUP BY *")
  expect_equal(n, 25)
  expect_identical(nrow(DBI::dbGetQuery(con, "SELECT * FROM dbi_into_dst")), 25L)
  res <- DBI::dbSendStatement(con, "DROP MEASUREMENT dbi_into_dst")
  expect_equal(DBI::dbGetRowsAffected(res), 0)
  expect_true(DBI::dbHasCompleted(res))
  expect_warning(DBI::dbFetch(res), "no rows")
  DBI::dbClearResult(res)
  expect_false(DBI::dbExistsTable(con, "dbi_into_dst"))
  DBI::dbRemoveTable(con, m)
}, generations = "v1")

# The big result of the early-stop tests: written once per server.
big_rows <- 30000L
ensure_big <- function(con) {
  m <- "dbi_big"
  have <- tryCatch(nrow(DBI::dbGetQuery(con, "SELECT * FROM dbi_big")), error = function(e) 0L)
  if (have != big_rows) {
    fresh_table(con, m)
    t0 <- as.POSIXct("2024-01-01", tz = "UTC")
    df <- data.frame(time = t0 + seq_len(big_rows), value = as.numeric(seq_len(big_rows)),
                     text = strrep("x", 40))
    DBI::dbWriteTable(con, m, df)
  }
  m
}

for_each_server("dbFetch(res, 10) stops the transfer early; the connection is reused afterwards", {
  con <- connect_admin(srv)
  on.exit(DBI::dbDisconnect(con))
  m <- ensure_big(con)
  q <- "SELECT * FROM dbi_big"
  frame <- influxdbtoolkit:::default_decoding("UTC", NULL)
  target <- influx_target(con)
  # What the C reader receives with and without a row limit (small chunks on 1.x's /query).
  old <- options(influxdbtoolkit.chunk_size = 1000L)
  on.exit(options(old), add = TRUE)
  # The C reader's own account of the query's request (the last one that was decoded).
  trace_request <- function(limit) {
    seen <- new.env()
    suppressMessages(trace("influx_http", where = asNamespace("influxdbtoolkit"), print = FALSE,
                           exit = substitute(if (!is.null(returnValue()$tables)) assign("res", returnValue(), envir = E),
                                             list(E = seen))))
    on.exit(suppressMessages(untrace("influx_http", where = asNamespace("influxdbtoolkit"))))
    f <- frame
    f$row_limit <- limit
    df <- influxdbtoolkit:::run_query(con, q, influxdbtoolkit:::default_query_language(con, q), target, NULL, f, NULL)
    list(rows = nrow(df), stopped = seen$res$stopped, received = seen$res$received)
  }
  full <- trace_request(NULL)
  early <- trace_request(10)
  expect_identical(full$rows, big_rows)
  expect_false(full$stopped)
  expect_true(early$stopped)
  expect_gte(early$rows, 10L)
  expect_lt(early$rows, big_rows %/% 10)
  # Most of the body was never received.
  expect_lt(early$received, full$received / 10)
  # The handle goes on: the next request on the same connection works.
  expect_identical(nrow(DBI::dbGetQuery(con, "SELECT * FROM dbi_big LIMIT 3")), 3L)
  # dbFetch(res, 10) through DBI: ten rows, not completed, then the rest in order.
  res <- DBI::dbSendQuery(con, q)
  first <- DBI::dbFetch(res, 10)
  expect_identical(nrow(first), 10L)
  expect_false(DBI::dbHasCompleted(res))
  rest <- DBI::dbFetch(res)
  expect_identical(nrow(rest), big_rows - 10L)
  expect_true(DBI::dbHasCompleted(res))
  expect_identical(c(first$value, rest$value), as.numeric(seq_len(big_rows)))
  DBI::dbClearResult(res)
})

# knitr's sql engine: ?var interpolation with a hostile string, a printed chunk (dbSendQuery +
# dbFetch(n = max.print)) and one with output.var (dbGetQuery), in each language the server speaks.
knit_sql <- function(con, table) {
  rmd <- tempfile(fileext = ".Rmd")
  md <- sub("Rmd$", "md", rmd)
  writeLines(c(
    "```{sql, connection = con}",
    paste("SELECT * FROM", table, "WHERE note = ?hostile"),
    "```",
    "",
    "```{sql, connection = con, output.var = \"got\"}",
    paste("SELECT * FROM", table, "WHERE note = ?hostile AND time >= ?since"),
    "```"
  ), rmd)
  env <- new.env()
  env$con <- con
  env$hostile <- hostile
  env$since <- as.POSIXct("2024-01-01 00:10:00", tz = "UTC")
  knitr::knit(rmd, md, envir = env, quiet = TRUE)
  list(md = readLines(md, encoding = "UTF-8"), got = env$got)
}

for_each_server("knitr sql chunks interpolate ?var safely and print or assign the result", {
  skip_if_not_installed("knitr")
  writer <- connect_admin(srv)
  m <- fresh_table(writer, "dbi_knit")
  DBI::dbWriteTable(writer, m, dbi_frame(), tags = "room")
  on.exit({ DBI::dbRemoveTable(writer, m); DBI::dbDisconnect(writer) })
  for (language in c("influxql", "sql")) {
    con <- connect_admin(srv, writable = FALSE, language = language)
    out <- knit_sql(con, "\"dbi_knit\"")
    # 13 of the 25 rows carry the hostile note; 8 of them from 00:10 on.
    # The printed chunk fetched knitr's max.print (10) rows of them.
    expect_true(any(grepl("Displaying records 1 - 10", out$md, fixed = TRUE)), info = language)
    expect_identical(sum(grepl("|it's \"x\" \\ y |", out$md, fixed = TRUE)), 10L, info = language)
    expect_identical(nrow(out$got), 8L, info = language)
    expect_true(all(out$got$note == hostile), info = language)
    DBI::dbDisconnect(con)
  }
})

# The request glue with a row limit (request.c: the stop, build_result, the stopped decoder's
# tables to R) under gctorture: a 1.x chunked answer of 5-row chunks stopped after the first.
for_each_server("a request stopped by its row limit survives gctorture", {
  con <- connect_admin(srv)
  on.exit(DBI::dbDisconnect(con))
  m <- fresh_table(con, "dbi_torture")
  DBI::dbWriteTable(con, m, dbi_frame(), tags = "room")
  frame <- c(influxdbtoolkit:::default_decoding("UTC", NULL), row_limit = 3, statements = 1L)
  request <- function() {
    .Call(influxdbtoolkit:::C_request, con$handle, "GET", "/query",
          c(db = "influxtk_test", q = "SELECT * FROM dbi_torture", chunked = "true", chunk_size = "5"),
          "Accept: application/x-msgpack", NULL, "v1", frame)
  }
  plain <- request()
  on.exit(gctorture(FALSE), add = TRUE)
  gctorture(TRUE)
  tortured <- request()
  gctorture(FALSE)
  expect_true(plain$stopped)
  expect_true(tortured$stopped)
  expect_identical(tortured$curl_code, 0L)
  expect_identical(tortured$decode_status, 0L)
  expect_identical(tortured$tables, plain$tables)
  expect_identical(nrow(tortured$tables[[1]]), 5L) # the first chunk, whole
  DBI::dbRemoveTable(con, m)
}, generations = "v1")
