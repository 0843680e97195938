# Every failure is a classed condition with the server's words, and nothing half-done is returned.

for_each_server("wrong or missing credentials are classed 401 errors", {
  if (srv$generation == "v3") {
    # 3.x wants its token even for /ping, so a wrong one fails at connect already
    expect_error(influx_connect(srv$url, token = "wrong"), class = "influx_error_http_401")
    bad <- influx_connect(srv$url, version = "v3", token = "wrong", database = "influxtk_test")
    anonymous <- influx_connect(srv$url, version = "v3", database = "influxtk_test")
  } else {
    bad <- influx_connect(srv$url, username = srv$username, password = "wrong", database = "influxtk_test")
    anonymous <- influx_connect(srv$url)
  }
  e <- expect_error(influx_query(bad, "SHOW DATABASES"), class = "influx_error_http_401")
  expect_equal(e$status, 401L)
  expect_match(e$server_message, switch(srv$generation, v1 = "authorization failed", v2 = "nauthorized", v3 = "not authenticated"))
  expect_s3_class(e, "influx_error_http")
  expect_error(influx_query(anonymous, "SHOW DATABASES"), class = "influx_error_http_401")
})

for_each_server("a missing database is a query error naming the statement", {
  con <- connect_reader(srv)
  if (srv$generation == "v3") {
    # one statement per request on 3.x; in InfluxQL and in SQL alike
    for (language in c("influxql", "sql")) {
      e <- expect_error(influx_query(con, "SELECT * FROM m", database = "no_such_db", language = language),
                        class = "influx_error_query")
      expect_match(e$server_message, "database not found", info = language)
    }
  } else {
    e <- expect_error(influx_query(con, "SHOW MEASUREMENTS; SELECT * FROM m", database = "no_such_db"),
                      class = "influx_error_query")
    expect_match(e$server_message, "database not found")
    # SHOW MEASUREMENTS on a missing database is an empty result; the SELECT fails.
    expect_equal(e$statement, 2L)
    expect_match(conditionMessage(e), "statement 2 \\(SELECT \\* FROM m\\)")
  }
})

for_each_server("parse errors are HTTP 400 with the server's message, over GET and POST", {
  e <- expect_error(influx_query(connect_reader(srv), "SELECT FROM x"), class = "influx_error_http_400")
  expect_match(e$server_message, if (srv$generation == "v3") "parsing error" else "pars(e|ing) query: found FROM")
  e <- expect_error(influx_query(connect_admin(srv), "SELECT FROM x"), class = "influx_error_http_400")
  # 1.x and 2.x take changes only by POST, so a writable connection posts; 3.x's queries have both
  if (srv$generation != "v3") expect_equal(e$method, "POST")
  if (srv$generation == "v3") {
    e <- expect_error(influx_query(connect_reader(srv), "SELECT FROM x", language = "sql"), class = "influx_error_http_400")
    expect_match(e$server_message, "SQL error|Error during planning")
  }
})

for_each_server("unknown endpoints are 404", {
  con <- connect_reader(srv)
  expect_error(influxdbtoolkit:::influx_http(con, "GET", "/no/such/endpoint"), class = "influx_error_http_404")
})

for_each_server("a read-only connection refuses changes before sending anything", {
  ro <- connect_reader(srv)
  expect_error(influx_query(ro, "DROP DATABASE influxtk_test"), class = "influx_error_readonly")
  expect_error(influx_query(ro, "SELECT * INTO copy FROM m"), class = "influx_error_readonly")
  expect_true("influxtk_test" %in% influx_databases(ro)$name)
  # Pointed at a port where nothing listens: a request would be a transport error.
  nowhere <- influx_connect("http://127.0.0.1:9", version = srv$generation,
                            query_language = if (srv$generation == "v3") "influxql")
  expect_error(influx_query(nowhere, "CREATE DATABASE x"), class = "influx_error_readonly")
})

for_each_server("a writable connection runs statements that change data", {
  admin <- connect_admin(srv)
  db <- fresh_name("tmpdb")
  influx_query(admin, sprintf("CREATE DATABASE %s", db))
  expect_true(db %in% influx_databases(admin)$name)
  influx_query(admin, sprintf("DROP DATABASE %s", db))
  expect_false(db %in% influx_databases(admin)$name)
}, generations = "v1")

for_each_server("InfluxQL that changes data is a query error on 3.x, and changes nothing", {
  # 3.x manages databases through /api/v3/configure (influx_create_database), not InfluxQL
  admin <- connect_admin(srv)
  db <- fresh_name("tmpdb")
  e <- expect_error(influx_query(admin, sprintf("CREATE DATABASE %s", db)), class = "influx_error_query")
  expect_true(nzchar(e$server_message))
  expect_false(db %in% influx_databases(admin)$name)
}, generations = "v3")

for_each_server("statements 2.x cannot run are query errors with its message", {
  e <- expect_error(influx_query(connect_admin(srv), "CREATE DATABASE not_on_v2"), class = "influx_error_query")
  expect_match(e$server_message, "not implemented")
}, generations = "v2")

for_each_server("TLS against a plain HTTP port is a TLS error", {
  tls <- influx_connect(sub("^http:", "https:", srv$url), version = srv$generation)
  e <- expect_error(influx_ping(tls), class = "influx_error_transport")
  expect_s3_class(e, "influx_error_tls")
})

test_that("a refused port is a transport error", {
  con <- influx_connect("http://127.0.0.1:9", version = "v1")
  e <- expect_error(influx_ping(con), class = "influx_error_connection_refused")
  expect_s3_class(e, "influx_error_transport")
  expect_equal(e$curl_code, 7L)
  expect_error(influx_connect("http://127.0.0.1:9"), class = "influx_error_transport")
})

test_that("a server that never answers times out", {
  s <- silent_port()
  on.exit(close(s$socket))
  con <- influx_connect(sprintf("http://127.0.0.1:%d", s$port), version = "v1", timeout = 1)
  e <- expect_error(influx_query(con, "SHOW DATABASES"), class = "influx_error_timeout")
  expect_s3_class(e, "influx_error_transport")
})

test_that("Ctrl-C interrupts a waiting request, returns control and leaks nothing", {
  skip_on_os("windows")
  s <- silent_port()
  on.exit(close(s$socket))
  pidfile <- tempfile("pid")
  outfile <- tempfile("out")
  script <- tempfile(fileext = ".R")
  writeLines(c(
    sprintf(".libPaths(c(%s))", paste(deparse(.libPaths()), collapse = "")),
    "library(influxdbtoolkit)",
    sprintf("con <- influx_connect('http://127.0.0.1:%d', version = 'v1', timeout = 120)", s$port),
    sprintf("writeLines(as.character(Sys.getpid()), '%s')", pidfile),
    "r <- tryCatch(influx_query(con, 'SHOW DATABASES'), interrupt = function(e) paste(class(e), collapse = ' '))",
    "influx_disconnect(con); gc()",
    sprintf("writeLines(c(r, .Call(influxdbtoolkit:::C_handle_count)), '%s')", outfile)
  ), script)
  system2(rscript(), c("--vanilla", shQuote(script)), wait = FALSE, stdout = FALSE, stderr = FALSE)
  for (i in 1:200) if (file.exists(pidfile)) break else Sys.sleep(0.05)
  expect_true(file.exists(pidfile))
  Sys.sleep(0.5) # the child is now inside the request
  tools::pskill(as.integer(readLines(pidfile)), tools::SIGINT)
  for (i in 1:200) if (file.exists(outfile) && length(readLines(outfile)) == 2) break else Sys.sleep(0.05)
  out <- readLines(outfile)
  expect_equal(out[1], "influx_interrupt interrupt condition")
  expect_equal(out[2], "0")
})

test_that("closed connections and non-connections are refused clearly", {
  con <- influx_connect("http://127.0.0.1:9", version = "v1")
  influx_disconnect(con)
  expect_error(influx_query(con, "SHOW DATABASES"), class = "influx_error_closed")
  expect_output(print(con), "closed")
  expect_error(influx_query("not a connection", "SHOW DATABASES"), class = "influx_error_argument")
  open <- influx_connect("http://127.0.0.1:9", version = "v1")
  # several texts are several queries (see test-read-concurrent.R); a missing or empty one is no query
  expect_error(influx_query(open, c("a", NA)), class = "influx_error_argument")
  expect_error(influx_query(open, character()), class = "influx_error_argument")
})

test_that("connections free their handles when disconnected or collected", {
  count <- function() .Call(influxdbtoolkit:::C_handle_count)
  gc()
  before <- count()
  cons <- lapply(1:50, function(i) influx_connect("http://127.0.0.1:9", version = "v1"))
  expect_equal(count(), before + 50)
  influx_disconnect(cons[[1]])
  expect_equal(count(), before + 49)
  rm(cons)
  gc()
  expect_equal(count(), before)
})

test_that("bad arguments to influx_query are classed errors", {
  con <- influx_connect("http://127.0.0.1:9", version = "v1")
  expect_error(influx_query(con, ""), class = "influx_error_argument")
  expect_error(influx_query(con, NA_character_), class = "influx_error_argument")
  expect_error(influx_query(con, "SHOW DATABASES", bigint = "int"), class = "influx_error_argument")
  expect_error(influx_query(con, "SHOW DATABASES", tz = "Nowhere"), class = "influx_error_argument")
  expect_error(influx_query(con, "SHOW DATABASES", database = 1:2), class = "influx_error_argument")
  expect_error(influx_query(con, "SHOW DATABASES", params = list(1)), class = "influx_error_argument")
})

test_that("server text in headers and error bodies becomes a valid R string in a classed error", {
  fake <- start_fake_server()
  on.exit(fake$stop())
  at <- function(route) influx_connect(paste0(fake$url, "/", route), version = "v1")
  e <- expect_error(influx_query(at("header-bytes"), "SHOW DATABASES"), class = "influx_error_http_500")
  expect_true(validUTF8(e$server_message))
  expect_identical(e$server_message, "bad \ufffd\ufffd byte")
  expect_true(validUTF8(conditionMessage(e)))
  e <- expect_error(influx_query(at("body-nul"), "SHOW DATABASES"), class = "influx_error_http_500")
  expect_identical(e$server_message, "broken server")
})

test_that("a misbehaving server gives classed errors and never partial data", {
  fake <- start_fake_server()
  on.exit(fake$stop())
  at <- function(route, ...) influx_connect(paste0(fake$url, "/", route), version = "v1", ...)
  for (code in c(413L, 429L, 500L, 502L, 503L)) {
    e <- expect_error(influx_query(at(sprintf("status-%d", code)), "SHOW DATABASES"),
                      class = sprintf("influx_error_http_%d", code))
    expect_equal(e$server_message, sprintf("fake failure %d", code))
    if (code >= 500L) expect_s3_class(e, "influx_error_http_5xx")
    if (code %in% c(429L, 503L)) expect_equal(e$retry_after, "7")
  }
  expect_error(influx_query(at("truncated-cl"), "SELECT v FROM m"), class = "influx_error_transport")
  e <- expect_error(influx_query(at("truncated-eof"), "SELECT v FROM m"), class = "influx_error_decode")
  expect_match(conditionMessage(e), "ended inside a document")
  expect_error(influx_query(at("garbage"), "SELECT v FROM m"), class = "influx_error_decode")
  e <- expect_error(influx_query(at("json"), "SELECT v FROM m"), class = "influx_error_decode")
  expect_match(conditionMessage(e), "application/json")
  expect_error(influx_query(at("reset"), "SELECT v FROM m"), class = "influx_error_transport")
  expect_error(influx_connect(paste0(fake$url, "/plain")), "X-Influxdb-Version", class = "influx_error_decode")
  flux_at <- function(route) influx_connect(paste0(fake$url, "/", route), version = "v2", token = "t", org = "o")
  e <- expect_error(influx_query(flux_at("flux-cut"), 'from(bucket: "b") |> range(start: -1h)'), class = "influx_error_decode")
  expect_match(conditionMessage(e), "inside a table")
  e <- expect_error(influx_query(flux_at("flux-error"), 'from(bucket: "b") |> range(start: -1h)'), class = "influx_error_query")
  expect_equal(e$server_message, "panic: out of cheese")
})

test_that("a read-only connection refuses InfluxQL it cannot parse, and sends nothing", {
  fake <- start_fake_server()
  on.exit(fake$stop())
  sent <- fake$requests
  ro <- influx_connect(paste0(fake$url, "/ok"), version = "v1")
  # Each hides a change behind text the statement splitter cannot read to its end.
  unreadable <- c(
    quote = "SELECT * FROM m WHERE a = 'open; DROP DATABASE d",
    double_quote = "SELECT * FROM \"open; DROP DATABASE d",
    comment = "SELECT * FROM m /* open; DROP DATABASE d",
    regex = "SELECT * FROM /open; DROP DATABASE d",
    too_many = paste(c(rep("SHOW DATABASES", 100000L), "DROP DATABASE d"), collapse = ";")
  )
  for (what in names(unreadable)) {
    expect_error(influx_query(ro, unreadable[[what]]), "could not be split into statements",
                 class = "influx_error_readonly", info = what)
  }
  expect_equal(sent("ok"), 0L)
  # The same connection sends what it can read, so the count above can move.
  expect_equal(nrow(influx_query(ro, "SELECT v FROM m")), 2L)
  expect_equal(sent("ok"), 1L)
  # A writable connection sends the text and leaves the verdict to the server's parser.
  rw <- influx_connect(paste0(fake$url, "/ok"), version = "v1", writable = TRUE)
  influx_query(rw, unreadable[["quote"]])
  expect_equal(sent("ok"), 2L)
})

test_that("a request has no total time limit by default, but limits on the first byte and on stalls", {
  con <- influx_connect("http://127.0.0.1:9", version = "v1")
  expect_equal(con$timeouts, c(connect = 10, first_byte = 600, stall = 60, total = Inf))
  con <- influx_connect("http://127.0.0.1:9", version = "v1", timeout = 30, first_byte_timeout = 5,
                        stall_timeout = 2, connect_timeout = 1)
  expect_equal(con$timeouts, c(connect = 1, first_byte = 5, stall = 2, total = 30))
  for (arg in c("timeout", "first_byte_timeout", "stall_timeout", "connect_timeout")) {
    expect_error(do.call(influx_connect, setNames(list("http://127.0.0.1:9", "v1", 0), c("url", "version", arg))),
                 arg, class = "influx_error_config")
  }
})

test_that("each time limit expires with its own classed timeout, and only that one", {
  fake <- start_fake_server()
  on.exit(fake$stop())
  at <- function(route, ...) influx_connect(paste0(fake$url, "/", route), version = "v1", ...)
  elapsed <- function(expr) system.time(expr)[["elapsed"]]
  # A server computing before it answers: the stall limit does not count that wait (libcurl's
  # low-speed limit would), the first-byte limit does. Headers alone do not end the wait.
  expect_equal(nrow(influx_query(at("first-byte-800", first_byte_timeout = 5, stall_timeout = 0.3), "SELECT v FROM m")), 2L)
  expect_equal(nrow(influx_query(at("late-body-800", first_byte_timeout = 5, stall_timeout = 0.3), "SELECT v FROM m")), 2L)
  # A long answer that keeps coming (about 1.7 s, one byte every 30 ms) for longer than the stall
  # limit, under no total limit.
  t <- elapsed(expect_equal(nrow(influx_query(at("drip-30", stall_timeout = 1), "SELECT v FROM m")), 2L))
  expect_gt(t, 1.2)
  # The same answer over a total limit: the total limit still holds when asked for.
  e <- expect_error(influx_query(at("drip-30", timeout = 0.8, stall_timeout = 1), "SELECT v FROM m"),
                    "\\(timeout\\)", class = "influx_error_timeout_total")
  expect_s3_class(e, "influx_error_timeout")
  expect_s3_class(e, "influx_error_transport")
  expect_equal(e$limit, "total")
  Sys.sleep(1.2) # the fake server finishes dripping before it takes the next request
  # No first byte within its limit.
  t <- elapsed(e <- expect_error(influx_query(at("first-byte-2000", first_byte_timeout = 0.5), "SELECT v FROM m"),
                                 "first_byte_timeout", class = "influx_error_timeout_first_byte"))
  expect_lt(t, 1.8)
  expect_s3_class(e, "influx_error_timeout")
  expect_equal(e$limit, "first_byte")
  expect_equal(e$seconds, 0.5)
  # An answer that began and then stopped. (The fake server is still silent for 1.5 s from the
  # request above, so this one waits for its first byte within a generous limit.)
  e <- expect_error(influx_query(at("stall-1500", first_byte_timeout = 10, stall_timeout = 0.5), "SELECT v FROM m"),
                    "stall_timeout", class = "influx_error_timeout_stall")
  expect_s3_class(e, "influx_error_timeout")
  expect_equal(e$limit, "stall")
})

test_that("a request body the server stops reading fails on the stall limit", {
  fake <- start_fake_server()
  on.exit(fake$stop())
  # Far more than the loopback socket buffers hold, so sending must wait for the server to read.
  body <- as.raw(rep(0x61, 32 * 1024^2))
  # A server that reads it: sending is progress, not a stall.
  ok <- influx_connect(paste0(fake$url, "/slow-reader-0"), version = "v1", stall_timeout = 0.5)
  expect_equal(influxdbtoolkit:::influx_http(ok, "POST", "/write", body = body)$status, 204L)
  con <- influx_connect(paste0(fake$url, "/slow-reader-2000"), version = "v1", stall_timeout = 0.5,
                        first_byte_timeout = 30)
  t <- system.time(e <- expect_error(influxdbtoolkit:::influx_http(con, "POST", "/write", body = body),
                                     "stall_timeout", class = "influx_error_timeout_stall"))[["elapsed"]]
  expect_lt(t, 1.8)
})

test_that("redirects are not followed: a 3xx is an HTTP error naming the new location", {
  fake <- start_fake_server()
  on.exit(fake$stop())
  sent <- fake$requests
  con <- influx_connect(paste0(fake$url, "/redirect"), version = "v1", username = "u", password = "secret")
  e <- expect_error(influx_query(con, "SELECT v FROM m"), "/ok/query", class = "influx_error_http_307")
  expect_equal(e$location, "/ok/query")
  # Neither the query nor the credentials went to the new location.
  expect_equal(sent("ok"), 0L)
})

test_that("R code run while a request waits cannot close or reuse its connection", {
  skip_on_os("windows")
  skip_if_not(capabilities("tcltk"))
  fake <- start_fake_server()
  on.exit(fake$stop())
  # Tcl's event loop is polled with the interrupt check; its timer runs R code mid-request,
  # as an IDE's event loop or a GUI callback would. In a child, so a regression crashes it and
  # not the test run.
  child <- run_in_child(c(
    "suppressWarnings(library(tcltk))",
    sprintf("con <- influx_connect('%s/first-byte-1500', version = 'v1')", fake$url),
    "seen <- character()",
    "try_it <- function(expr) tryCatch({ expr; 'no error' }, error = function(e) class(e)[1])",
    "cb <- function() {",
    "  seen <<- c(seen, try_it(influx_disconnect(con)), try_it(influx_query(con, 'SELECT v FROM m')))",
    "}",
    ".Tcl(paste('after 300', .Tcl.callback(cb)))",
    "rows <- nrow(influx_query(con, 'SELECT v FROM m'))",
    "writeLines(c(seen, rows, influxdbtoolkit:::handle_busy(con)), outfile)"
  ))
  out <- child$out
  expect_equal(out, c("influx_error_busy", "influx_error_busy", "2", "FALSE"))
})
