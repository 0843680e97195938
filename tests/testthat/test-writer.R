# The buffered writer (influx_writer()) and the concurrent fake server it is tested against.

test_that("the fake server answers a request while another waits for its slow answer", {
  fake <- start_fake_server()
  on.exit(fake$stop(), add = TRUE)
  slow <- influx_connect(fake$url, version = "v1", timeout = 0.5)
  fast <- influx_connect(fake$url, version = "v1")
  # The slow request gives up after 0.5 s; the server still owes it its answer (for 2.5 s more),
  # and serves the fast one meanwhile.
  expect_error(influxdbtoolkit:::influx_http(slow, "GET", "/first-byte-3000/query"), class = "influx_error_timeout")
  started <- proc.time()[["elapsed"]]
  expect_identical(influxdbtoolkit:::influx_http(fast, "GET", "/ok/query")$status, 200L)
  expect_lt(proc.time()[["elapsed"]] - started, 1)
})

test_that("the fake server answers every one of many connections opened at the same moment", {
  fake <- start_fake_server()
  on.exit(fake$stop(), add = TRUE)
  con <- influx_connect(fake$url, version = "v1", timeout = 5)
  # Connections accepted within one microsecond once shared a key: one of them never got an answer.
  for (round in 1:5) {
    requests <- rep(list(list(method = "POST", path = "/plain/write", body = charToRaw("m v=1 1\n"))), 16)
    got <- influxdbtoolkit:::influx_http_many(con, requests, concurrency = 16)
    expect_identical(vapply(got, function(r) if (inherits(r, "condition")) class(r)[1] else as.character(r$status), ""),
                     rep("204", 16))
  }
})

# A writer on the fake server's sink ID, which answers writes as BEHAVIOUR says (fake-server.R).
sink_writer <- function(fake, id, behaviour = "ok", ..., timer = FALSE, spill_dir = tempfile("spill")) {
  con <- influx_connect(sprintf("%s/w/%s/%s", fake$url, id, behaviour), version = "v1", database = "d",
                        writable = TRUE)
  influx_writer(con, "m", ..., timer = timer, spill_dir = spill_dir)
}
received <- function(fake, id) {
  con <- influx_connect(sprintf("%s/w/%s", fake$url, id), version = "v1")
  body <- rawToChar(influxdbtoolkit:::influx_http(con, "GET", "/received")$body)
  if (nzchar(body)) strsplit(body, "\n", fixed = TRUE)[[1]] else character()
}
writes <- function(fake, id) {
  con <- influx_connect(sprintf("%s/w/%s", fake$url, id), version = "v1")
  as.integer(rawToChar(influxdbtoolkit:::influx_http(con, "GET", "/writes")$body))
}
# n rows of m (v = 1, 2, ... as floats, a second apart) and their line protocol
rows <- function(n, from = 1) {
  i <- as.double(seq(from, length.out = n))
  data.frame(time = as.POSIXct(1.7e9 + i, origin = "1970-01-01", tz = "UTC"), v = i)
}
lp <- function(n, from = 1) {
  i <- as.double(seq(from, length.out = n))
  sprintf("m v=%.0f %.0f", i, (1.7e9 + i) * 1e9)
}
elapsed <- function(expr) { t0 <- proc.time()[["elapsed"]]; force(expr); proc.time()[["elapsed"]] - t0 }

test_that("a full batch is sent at once, the rest at flush, and stats count both", {
  fake <- start_fake_server()
  on.exit(fake$stop(), add = TRUE)
  w <- sink_writer(fake, "batches", batch_size = 4, flush_interval = 3600)
  influx_writer_add(w, rows(3))
  expect_equal(writes(fake, "batches"), 0L)
  influx_writer_add(w, rows(6, from = 4))
  # 9 waiting: two whole batches went, one point waits
  expect_equal(writes(fake, "batches"), 2L)
  expect_equal(influx_writer_stats(w)$pending, 1L)
  influx_writer_flush(w)
  s <- influx_writer_stats(w)
  expect_equal(received(fake, "batches"), lp(9))
  expect_equal(s[c("accepted", "written", "pending", "rejected", "lost", "retried", "batches")],
               list(accepted = 9, written = 9, pending = 0L, rejected = 0, lost = 0, retried = 0, batches = 3))
  expect_equal(s$bytes, sum(nchar(lp(9)) + 1))
  expect_output(print(w), "accepted 9, written 9 in 3 batches, pending 0")
  influx_writer_close(w)
  expect_error(influx_writer_add(w, rows(1)), class = "influx_error_closed")
})

test_that("lists of points and line protocol are added too; bad input is refused at add", {
  fake <- start_fake_server()
  on.exit(fake$stop(), add = TRUE)
  w <- sink_writer(fake, "kinds")
  influx_writer_add(w, list(list(measurement = "p", fields = list(x = 1L), time = as.POSIXct(1.7e9, origin = "1970-01-01", tz = "UTC"))))
  influx_writer_add(w, c("# a comment", "q y=2 5"))
  expect_equal(influx_writer_stats(w)$accepted, 2)
  e <- expect_error(influx_writer_add(w, data.frame(time = Sys.time(), v = "a\nb", room = "x"), measurement = "m\nn"),
                    class = "influx_error_argument")
  expect_match(deparse(conditionCall(e))[1], "influx_writer_add")
  influx_writer_close(w)
  expect_equal(received(fake, "kinds"), c("p x=1i 1700000000000000000", "q y=2 5"))
})

test_that("a flush that is due happens at the next add once flush_interval has passed", {
  fake <- start_fake_server()
  on.exit(fake$stop(), add = TRUE)
  w <- sink_writer(fake, "interval", flush_interval = 0.5)
  influx_writer_add(w, rows(1))
  influx_writer_add(w, rows(1, from = 2))
  expect_equal(writes(fake, "interval"), 0L)
  Sys.sleep(0.6)
  influx_writer_add(w, rows(1, from = 3))
  expect_equal(received(fake, "interval"), lp(3))
  influx_writer_close(w)
})

test_that("with later, a timer flushes every flush_interval seconds", {
  skip_if_not_installed("later")
  fake <- start_fake_server()
  on.exit(fake$stop(), add = TRUE)
  w <- sink_writer(fake, "timer", flush_interval = 0.3, timer = TRUE)
  influx_writer_add(w, rows(2))
  expect_equal(writes(fake, "timer"), 0L)
  for (i in 1:30) {
    later::run_now(0.1)
    if (influx_writer_stats(w)$written == 2) break
  }
  expect_equal(received(fake, "timer"), lp(2))
  # it keeps going
  influx_writer_add(w, rows(1, from = 3))
  for (i in 1:30) {
    later::run_now(0.1)
    if (influx_writer_stats(w)$written == 3) break
  }
  expect_equal(received(fake, "timer"), lp(3))
  influx_writer_close(w)
})

test_that("503s and resets are retried by a flush, and nothing is lost", {
  fake <- start_fake_server()
  on.exit(fake$stop(), add = TRUE)
  for (behaviour in c("503x3", "resetx2")) {
    id <- paste0("retry-", behaviour)
    w <- sink_writer(fake, id, behaviour, batch_size = 5)
    influx_writer_add(w, rows(3))
    influx_writer_flush(w)
    s <- influx_writer_stats(w)
    expect_equal(s$retried, if (behaviour == "503x3") 3 else 2, info = behaviour)
    expect_equal(c(s$written, s$pending, s$lost), c(3, 0, 0), info = behaviour)
    expect_equal(received(fake, id), lp(3), info = behaviour)
    influx_writer_close(w)
  }
})

test_that("429 Retry-After is honoured: a flush waits, an add does not try again before it", {
  fake <- start_fake_server()
  on.exit(fake$stop(), add = TRUE)
  w <- sink_writer(fake, "limited", "429x1-1", batch_size = 2)
  took <- elapsed(influx_writer_flush(influx_writer_add(w, rows(1))))
  expect_gte(took, 0.9)
  expect_equal(influx_writer_stats(w)$retried, 1)
  expect_equal(received(fake, "limited"), lp(1))
  w2 <- sink_writer(fake, "limited2", "429x1-2", batch_size = 2)
  took <- elapsed(influx_writer_add(w2, rows(2)))   # a full batch: tried once, refused
  expect_lt(took, 1)
  expect_equal(influx_writer_stats(w2)$pending, 2L)
  influx_writer_add(w2, rows(2, from = 3))          # within Retry-After: not tried
  expect_equal(writes(fake, "limited2"), 1L)
  Sys.sleep(2.1)
  influx_writer_add(w2, rows(1, from = 5))          # after it: both batches go
  expect_equal(received(fake, "limited2"), lp(4))
  expect_equal(influx_writer_stats(w2)$pending, 1L)
  influx_writer_close(w)
  influx_writer_close(w2)
})

test_that("a server that goes away and comes back loses nothing", {
  first <- start_fake_server()
  w <- sink_writer(first, "moving", batch_size = 2)
  influx_writer_add(w, rows(2))
  expect_equal(received(first, "moving"), lp(2))
  first$stop()
  Sys.sleep(0.3)
  took <- elapsed(influx_writer_add(w, rows(4, from = 3)))   # refused: kept, the add is not held up
  expect_lt(took, 2)
  s <- influx_writer_stats(w)
  expect_equal(c(s$pending, s$lost), c(4, 0))
  expect_match(s$last_error, "could not reach|refused|connect")
  second <- start_fake_server(first$port)
  on.exit(second$stop(), add = TRUE)
  influx_writer_flush(w)
  expect_equal(received(second, "moving"), lp(4, from = 3))
  expect_equal(influx_writer_stats(w)[c("written", "pending", "lost")], list(written = 6, pending = 0L, lost = 0))
  # one that resets every connection for 1.5 s, then accepts: a flush waits it out
  w2 <- sink_writer(second, "gone", "gone-1.5", batch_size = 10)
  influx_writer_add(w2, rows(3))
  influx_writer_flush(w2)
  expect_equal(received(second, "gone"), lp(3))
  expect_gte(influx_writer_stats(w2)$retried, 1)
  influx_writer_close(w)
  influx_writer_close(w2)
})

test_that("a partial write: the refused line is found and rejected with the server's message, the rest written", {
  fake <- start_fake_server()
  on.exit(fake$stop(), add = TRUE)
  w <- sink_writer(fake, "partial", "rejectbad", batch_size = 8)
  lines <- lp(8)
  lines[5] <- sprintf("m v=\"BAD\" %.0f", (1.7e9 + 5) * 1e9)
  influx_writer_add(w, lines)
  s <- influx_writer_stats(w)
  expect_equal(s[c("written", "rejected", "pending", "lost")], list(written = 7, rejected = 1, pending = 0L, lost = 0))
  r <- influx_writer_rejected(w)
  expect_equal(r$point, 5L)
  expect_equal(r$line, lines[5])
  expect_match(r$message, "partial write: field type conflict", fixed = TRUE)
  expect_setequal(unique(received(fake, "partial")), lines[-5])
  # the writer carries on
  influx_writer_add(w, lp(8, from = 20))
  expect_equal(influx_writer_stats(w)$written, 15)
  influx_writer_close(w)
})

test_that("points stamped by the server are not sent again to find a refused one", {
  fake <- start_fake_server()
  on.exit(fake$stop(), add = TRUE)
  w <- sink_writer(fake, "stamped", "rejectbad", batch_size = 3, time = NULL, tags = character(), fields = "v")
  influx_writer_add(w, data.frame(v = c("1", "BAD", "3")))
  expect_equal(writes(fake, "stamped"), 1L)
  r <- influx_writer_rejected(w)
  expect_equal(r$point, 1:3)
  expect_match(r$message[1], "may have kept some")
  influx_writer_close(w)
})

test_that("beyond max_buffer_bytes the oldest points go to the spill file, counted and named", {
  dead <- silent_port()
  port <- dead$port
  close(dead$socket)   # nothing listens there now: connections are refused
  con <- influx_connect(sprintf("http://127.0.0.1:%d", port), version = "v1", database = "d", writable = TRUE)
  dir <- tempfile("spill")
  w <- influx_writer(con, "m", batch_size = 2, max_buffer_bytes = 100, spill_dir = dir, timer = FALSE, max_retries = 0)
  influx_writer_add(w, rows(2))
  expect_equal(influx_writer_stats(w)$pending, 2L)
  warned <- NULL
  withCallingHandlers(influx_writer_add(w, rows(4, from = 3)),
                      influx_warning_writer_spill = function(cnd) { warned <<- cnd; invokeRestart("muffleWarning") })
  s <- influx_writer_stats(w)
  expect_lte(s$pending_bytes, 100)
  expect_equal(s$pending + s$lost, 6)
  expect_gt(s$lost, 0)
  expect_equal(warned$file, s$spill_file)
  expect_match(conditionMessage(warned), s$spill_file, fixed = TRUE)
  spilled <- readLines(s$spill_file)
  expect_match(spilled[1], "precision=ns")
  expect_equal(spilled[-1], lp(s$lost))
  # closing puts the rest there too: every point is in the file, in order
  expect_warning(influx_writer_close(w), class = "influx_warning_writer_spill")
  expect_equal(readLines(s$spill_file)[-1], lp(6))
})

test_that("a writer on a read-only connection is refused unless it is a dry run", {
  con <- influx_connect("http://127.0.0.1:9", version = "v1", database = "d")
  expect_error(influx_writer(con, "m"), class = "influx_error_readonly")
  w <- influx_writer(con, "m", dry_run = TRUE, timer = FALSE)
  influx_writer_add(w, rows(2))
  expect_equal(influx_writer_flush(w), lp(2))
  expect_equal(influx_writer_stats(w)$pending, 0L)
  influx_writer_close(w)
  expect_error(influx_writer(con, "m", batch_size = 0, dry_run = TRUE), class = "influx_error_argument")
})

test_that("a garbage-collected writer sends what it held", {
  fake <- start_fake_server()
  on.exit(fake$stop(), add = TRUE)
  local({
    w <- sink_writer(fake, "collected")
    influx_writer_add(w, rows(3))
  })
  invisible(gc())
  expect_equal(received(fake, "collected"), lp(3))
})

# A child Rscript that adds 50 rows to a writer on `url` and exits without closing it: its run
# time, what it printed, and the spill files it left.
exit_child <- function(url, exit_timeout = 2) {
  dir <- tempfile("spill")
  script <- tempfile(fileext = ".R")
  err <- tempfile()
  writeLines(c(
    sprintf(".libPaths(c(%s))", paste(deparse(.libPaths()), collapse = "")),
    "library(influxdbtoolkit)",
    sprintf("con <- influx_connect('%s', version = 'v1', database = 'd', writable = TRUE, connect_timeout = 1)", url),
    sprintf("w <- influx_writer(con, 'm', timer = FALSE, spill_dir = '%s', exit_timeout = %s)", dir, exit_timeout),
    "influx_writer_add(w, data.frame(time = as.POSIXct(1.7e9 + 1:50, origin = '1970-01-01', tz = 'UTC'), v = as.double(1:50)))",
    "cat('added\\n')"
  ), script)
  took <- elapsed(system2(rscript(), c("--vanilla", shQuote(script)), stdout = err, stderr = err))
  list(took = took, output = readLines(err), files = list.files(dir, full.names = TRUE))
}

test_that("at exit an unflushed writer sends its points to a good server", {
  fake <- start_fake_server()
  on.exit(fake$stop(), add = TRUE)
  child <- exit_child(sprintf("%s/w/atexit/ok", fake$url))
  expect_equal(received(fake, "atexit"), lp(50))
  expect_length(child$files, 0)
})

test_that("at exit against a dead or silent server the points go to a named file, quickly", {
  fake <- start_fake_server()
  on.exit(fake$stop(), add = TRUE)
  dead <- silent_port()
  close(dead$socket)
  for (url in c(sprintf("http://127.0.0.1:%d", dead$port), sprintf("%s/w/atexit-never/never", fake$url))) {
    child <- exit_child(url, exit_timeout = 2)
    # R's start-up takes about 0.5 s; the last attempt at most exit_timeout
    expect_lt(child$took, 6)
    expect_length(child$files, 1)
    expect_equal(readLines(child$files)[-1], lp(50), info = url)
    expect_true(any(grepl(child$files, child$output, fixed = TRUE)), info = paste(child$output, collapse = "\n"))
  }
})

for_each_server("what a writer adds reads back with its types", {
  admin <- connect_admin(srv)
  m <- fresh_name("writer")
  w <- influx_writer(admin, m, batch_size = 3, timer = FALSE)
  df <- data.frame(time = as.POSIXct(1.7e9 + 1:7, origin = "1970-01-01", tz = "UTC"), room = rep(c("a", "b"), length.out = 7),
                   v = 1:7 / 4, n = 1:7 * 10L, s = sprintf("text %d", 1:7), b = 1:7 %% 2 == 0, stringsAsFactors = FALSE)
  influx_writer_add(w, df[1:4, ])
  influx_writer_add(w, df[5:7, ])
  s <- influx_writer_close(w)
  expect_equal(s[c("accepted", "written", "pending", "rejected", "lost")],
               list(accepted = 7, written = 7, pending = 0L, rejected = 0, lost = 0))
  for (language in read_languages(srv)) {
    back <- influx_query(connect_reader(srv), select_all(m, language), tz = "UTC", language = language)
    back <- back[order(back$time), ]
    expect_equal(as.numeric(back$time), as.numeric(df$time), info = language)
    expect_identical(back$room, df$room, info = language)
    expect_identical(back$v, df$v, info = language)
    expect_identical(back$n, df$n, info = language)
    expect_identical(back$s, df$s, info = language)
    expect_identical(back$b, df$b, info = language)
  }
})

for_each_server("a point with a conflicting field type is rejected with the server's message, the others written", {
  admin <- connect_admin(srv)
  m <- fresh_name("writer_conflict")
  w <- influx_writer(admin, timer = FALSE, batch_size = 6)
  t <- function(i) sprintf("%.0f", (1.7e9 + i) * 1e9)
  influx_writer_add(w, paste(m, "v=1.5", t(0)))
  influx_writer_flush(w)
  lines <- paste(m, c("v=2.5", "v=3.5", "v=4.5", "v=\"not a number\"", "v=5.5", "v=6.5"), t(1:6))
  influx_writer_add(w, lines)
  s <- influx_writer_close(w)
  expect_equal(s[c("accepted", "written", "rejected", "pending", "lost")],
               list(accepted = 7, written = 6, rejected = 1, pending = 0L, lost = 0))
  r <- influx_writer_rejected(w)
  expect_equal(r$point, 5L)
  expect_equal(r$line, lines[4])
  expect_match(r$message, "conflict|type|schema", ignore.case = TRUE)
  back <- influx_query(connect_reader(srv), sprintf("SELECT v FROM %s", m), tz = "UTC")
  expect_equal(sort(back$v), c(1.5, 2.5, 3.5, 4.5, 5.5, 6.5))
})

test_that("a writer flushing while its connection is busy with a query uses its own handle", {
  skip_on_os("windows")
  skip_if_not(capabilities("tcltk"))
  fake <- start_fake_server()
  on.exit(fake$stop(), add = TRUE)
  # A Tcl timer runs R code in the middle of a query on `con` (as a GUI callback would): the
  # writer made from `con` flushes there, and the query still completes.
  child <- run_in_child(c(
    "suppressWarnings(library(tcltk))",
    sprintf("con <- influx_connect('%s/first-byte-1500', version = 'v1', database = 'd', writable = TRUE)", fake$url),
    "w <- influx_writer(con, 'm', timer = FALSE)",
    "seen <- character()",
    "cb <- function() {",
    "  seen <<- c(seen, tryCatch({ influx_writer_add(w, 'm v=1 1'); influx_writer_flush(w); 'flushed' },",
    "                            error = function(e) class(e)[1]), influxdbtoolkit:::handle_busy(con))",
    "}",
    ".Tcl(paste('after 300', .Tcl.callback(cb)))",
    "rows <- nrow(influx_query(con, 'SELECT v FROM m'))",
    "writeLines(c(seen, influx_writer_stats(w)$written, rows), outfile)"
  ))
  expect_equal(child$out, c("flushed", "TRUE", "1", "2"))
})

test_that("a writer's own handle is freed when it is closed or collected", {
  fake <- start_fake_server()
  on.exit(fake$stop(), add = TRUE)
  count <- function() .Call(influxdbtoolkit:::C_handle_count)
  con <- influx_connect(sprintf("%s/w/handles/ok", fake$url), version = "v1", database = "d", writable = TRUE)
  invisible(gc())
  before <- count()
  w <- influx_writer(con, "m", timer = FALSE)
  expect_equal(count(), before + 1L)
  influx_writer_close(w)
  expect_equal(count(), before)
  local({
    w <- influx_writer(con, "m", timer = FALSE)
    influx_writer_add(w, rows(1))
  })
  invisible(gc())
  invisible(gc())
  expect_equal(count(), before)
  expect_equal(received(fake, "handles"), lp(1))
})
