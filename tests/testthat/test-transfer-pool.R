# The transfer pool (R/transfer-pool.R): several requests in flight on one connection give what
# influx_http() gives, one by one, in the order asked.

http <- function(...) influxdbtoolkit:::influx_http(...)
http_many <- function(...) influxdbtoolkit:::influx_http_many(...)
pool_counts <- function(con) influxdbtoolkit:::pool_counts(con)
# A result without its timing, which differs between any two requests.
untimed <- function(r) { if (is.list(r) && !inherits(r, "condition")) r$seconds <- NULL; r }
# The same request through influx_http(), as a result or the condition it raises.
one <- function(con, r) {
  tryCatch(do.call(http, c(list(con), r)), influx_error = function(e) e)
}

# A fake server and a connection to it; cleanup() closes both.
fake_setup <- function() {
  fake <- start_fake_server()
  con <- influx_connect(fake$url, version = "v1")
  list(fake = fake, con = con, cleanup = function() {
    influx_disconnect(con)
    fake$stop()
  })
}

# The queries each generation answers, with the sink that decodes them.
parity_requests <- function(srv, measurement) {
  q <- sprintf('SELECT * FROM "%s"', measurement)
  reqs <- list(
    ping = list(method = "GET", path = "/ping", sink = "none"),
    missing = list(method = "GET", path = "/no/such/route")
  )
  if (srv$generation %in% c("v1", "v2")) {
    reqs$raw <- list(method = "GET", path = "/query", query = list(db = "influxtk_test", q = q))
    reqs$v1 <- list(method = "GET", path = "/query", query = list(db = "influxtk_test", q = q),
                    headers = "Accept: application/x-msgpack", sink = "v1", frame = list(statements = 1L))
  }
  if (has_flux(srv)) {
    flux <- sprintf('{"query":"from(bucket: \\"influxtk_test\\") |> range(start: 2020-01-01T00:00:00Z, stop: 2020-01-02T00:00:00Z) |> filter(fn: (r) => r._measurement == \\"%s\\")","type":"flux","dialect":{"header":true,"delimiter":",","annotations":["datatype","group","default"],"commentPrefix":"#","dateTimeFormat":"RFC3339"}}', measurement)
    reqs$flux <- list(method = "POST", path = "/api/v2/query", query = list(org = srv$org),
                      body = charToRaw(flux), headers = c("Content-Type: application/json", "Accept: application/csv"),
                      sink = "flux")
  }
  if (srv$generation == "v3") {
    body <- charToRaw(sprintf('{"db":"influxtk_test","q":"SELECT * FROM \\"%s\\" ORDER BY time","format":"jsonl"}', measurement))
    reqs$jsonl <- list(method = "POST", path = "/api/v3/query_sql", body = body,
                       headers = c("Content-Type: application/json", "Accept: application/json"), sink = "jsonl")
  }
  reqs
}

for_each_server("many requests in flight give what one by one gives, in order", {
  con <- connect_admin(srv)
  on.exit(influx_disconnect(con))
  m <- sprintf("pool_parity_%d", Sys.getpid())
  df <- data.frame(time = as.POSIXct("2020-01-01", tz = "UTC") + 0:99, host = rep(c("a", "b"), 50),
                   v = seq(0.5, 50, by = 0.5), n = 1:100)
  influx_write(con, df, m)
  reqs <- parity_requests(srv, m)
  # Every request several times, interleaved, so that several of each kind are in flight at once.
  many <- rep(reqs, 3)
  for (k in c(1L, 3L, 8L)) {
    got <- http_many(con, many, concurrency = k)
    expect_equal(length(got), length(many))
    for (i in seq_along(many)) {
      expect_equal(untimed(got[[i]]), untimed(one(con, many[[i]])), info = paste(names(many)[i], "concurrency", k))
    }
    expect_s3_class(got[[which(names(many) == "missing")[1]]], "influx_error_http_404")
  }
  expect_true(any(vapply(got, function(r) length(r$tables) > 0 && nrow(r$tables[[1]]) == 100, NA)))
  expect_equal(pool_counts(con)[["active"]], 0L)
  expect_lte(pool_counts(con)[["easy"]], 8L)
  # The connection is free again for single requests.
  expect_true(http(con, "GET", "/ping", sink = "none")$status %in% c(200L, 204L))
})

test_that("at most `concurrency` requests are in flight; 1 is one after another", {
  f <- fake_setup()
  on.exit(f$cleanup())
  con <- f$con
  reqs <- rep(list(list(method = "GET", path = "/ok")), 6)
  got <- http_many(con, reqs, concurrency = 1L)
  expect_true(all(vapply(got, function(r) r$status, 0L) == 200L))
  # One easy handle served all six: none was in flight beside another.
  expect_equal(pool_counts(con)[["easy"]], 1L)
  http_many(con, reqs, concurrency = 3L)
  expect_equal(pool_counts(con)[["easy"]], 3L)
  expect_error(http_many(con, reqs, concurrency = 0), class = "influx_error_argument")
  expect_error(http_many(con, list(list(path = "/ok")), concurrency = 2), class = "influx_error_argument")
  expect_equal(http_many(con, list()), list())
})

test_that("failures come back per request as the conditions influx_http() raises", {
  f <- fake_setup()
  on.exit(f$cleanup())
  con <- f$con
  reqs <- list(list(method = "GET", path = "/ok"), list(method = "GET", path = "/always-503"),
               list(method = "GET", path = "/reset"), list(method = "POST", path = "/status-400", body = charToRaw("x")),
               list(method = "GET", path = "/ok"))
  got <- http_many(con, reqs, concurrency = 4L)
  expect_equal(got[[1]]$status, 200L)
  expect_s3_class(got[[2]], "influx_error_http_503")
  expect_equal(got[[2]]$retry_after, "0")
  expect_s3_class(got[[3]], "influx_error_transport")
  expect_equal(got[[3]]$curl_code, 52L)
  expect_s3_class(got[[4]], "influx_error_http_400")
  expect_match(conditionMessage(got[[4]]), "fake failure 400")
  expect_equal(got[[5]]$status, 200L)
  for (i in 2:4) {
    expect_equal(conditionMessage(got[[i]]), conditionMessage(one(con, reqs[[i]])))
    expect_equal(class(got[[i]]), class(one(con, reqs[[i]])))
  }
})

test_that("time limits hold per request: one silent server does not hold up the others", {
  s <- silent_port()
  on.exit(close(s$socket))
  # Three requests to a server that never answers end with first_byte after ~1 s each: in
  # flight together, the call takes ~1 s; one after another, ~1 s each.
  con <- influx_connect(sprintf("http://127.0.0.1:%d", s$port), version = "v1", first_byte_timeout = 1)
  on.exit(influx_disconnect(con), add = TRUE)
  reqs <- rep(list(list(method = "GET", path = "/query")), 3)
  t <- system.time(got <- http_many(con, reqs, concurrency = 3L))[["elapsed"]]
  for (g in got) expect_s3_class(g, "influx_error_timeout_first_byte")
  expect_lt(t, 2.5) # in flight together: not 3 x 1 s
  t1 <- system.time(got1 <- http_many(con, reqs[1:2], concurrency = 1L))[["elapsed"]]
  expect_gte(t1, 1.9)
})

test_that("a connection with requests in flight is busy; a failed call leaves nothing in flight", {
  f <- fake_setup()
  on.exit(f$cleanup())
  con <- f$con
  ns <- asNamespace("influxdbtoolkit")
  g <- ns$pool_submit(con, 1L, "GET", "/first-byte-300")
  expect_error(http(con, "GET", "/ok"), class = "influx_error_busy")
  expect_error(http_many(con, list(list(method = "GET", path = "/ok"))), class = "influx_error_busy")
  expect_error(influx_disconnect(con), "busy")
  expect_equal(ns$pool_wait(con), 1L)
  expect_equal(ns$pool_result(g)$status, 200L)
  # An error between submit and wait: the caller's on.exit(pool_cancel()) frees the connection.
  interrupted_caller <- function() {
    on.exit(ns$pool_cancel(con))
    ns$pool_submit(con, 1L, "GET", "/first-byte-300")
    stop("in between")
  }
  expect_error(interrupted_caller(), "in between")
  expect_equal(pool_counts(con)[["active"]], 0L)
  expect_equal(http(con, "GET", "/ok")$status, 200L)
})

test_that("pools free their easy handles with the connection, whatever goes first", {
  gc()
  before <- pool_counts(NULL)[["live_easy"]]
  guards <- .Call(influxdbtoolkit:::C_live_allocations)[["guards"]]
  s <- silent_port()
  on.exit(close(s$socket))
  local({
    con <- influx_connect(sprintf("http://127.0.0.1:%d", s$port), version = "v1")
    ns <- asNamespace("influxdbtoolkit")
    for (i in 1:3) ns$pool_submit(con, i, "GET", "/query") # guards dropped while in flight
    expect_equal(pool_counts(con)[["active"]], 3L)
    gc()
    expect_equal(pool_counts(con)[["active"]], 0L) # each collected guard abandoned its transfer
    ns$pool_submit(con, 4L, "GET", "/query")
    NULL # the connection and a guard in flight become garbage together
  })
  gc()
  gc()
  expect_equal(pool_counts(NULL)[["live_easy"]], before)
  expect_equal(.Call(influxdbtoolkit:::C_live_allocations)[["guards"]], guards)
})

test_that("Ctrl-C abandons every request in flight and leaves the connection usable", {
  skip_on_os("windows")
  s <- silent_port()
  on.exit(close(s$socket))
  fake <- start_fake_server()
  on.exit(fake$stop(), add = TRUE)
  pidfile <- tempfile("pid")
  res <- NULL
  child <- c(
    sprintf("con <- influx_connect('http://127.0.0.1:%d', version = 'v1', timeout = 120)", s$port),
    sprintf("writeLines(as.character(Sys.getpid()), '%s')", pidfile),
    "reqs <- rep(list(list(method = 'GET', path = '/query')), 4)",
    "r <- tryCatch(influxdbtoolkit:::influx_http_many(con, reqs, 4), interrupt = function(e) paste(class(e), collapse = ' '))",
    "counts <- influxdbtoolkit:::pool_counts(con)",
    sprintf("ok <- influx_connect('%s', version = 'v1')", fake$url),
    "again <- influxdbtoolkit:::influx_http_many(ok, list(list(method = 'GET', path = '/ok')))[[1]]$status",
    "influx_disconnect(con); influx_disconnect(ok); gc()",
    "writeLines(c(r, counts[['active']], counts[['easy']], again, influxdbtoolkit:::pool_counts(NULL)[['live_easy']]), outfile)"
  )
  script_done <- FALSE
  proc <- parallel::mcparallel(run_in_child(child))
  for (i in 1:200) if (file.exists(pidfile)) break else Sys.sleep(0.05)
  expect_true(file.exists(pidfile))
  Sys.sleep(0.5)
  tools::pskill(as.integer(readLines(pidfile)), tools::SIGINT)
  out <- parallel::mccollect(proc, timeout = 30)[[1]]$out
  expect_equal(out, c("influx_interrupt interrupt condition", "0", "4", "200", "0"))
})

test_that("pooled requests carry the connection's TLS settings and credentials", {
  tls <- require_tls_server()
  con <- influx_connect(tls$url, username = tls$username, password = tls$password, ca_bundle = tls$ca)
  on.exit(influx_disconnect(con))
  q <- list(method = "GET", path = "/query", query = list(q = "SHOW DATABASES"))
  got <- http_many(con, rep(list(q), 3), concurrency = 3L)
  for (g in got) expect_equal(untimed(g), untimed(one(con, q)))
  strict <- influx_connect(tls$url, username = tls$username, password = "wrong", ca_bundle = tls$ca, version = "v1")
  on.exit(influx_disconnect(strict), add = TRUE)
  expect_s3_class(http_many(strict, list(q))[[1]], "influx_error_http_401")
})

test_that("the pool's calls keep every R object protected (gctorture)", {
  f <- fake_setup()
  on.exit(f$cleanup())
  con <- f$con
  ns <- asNamespace("influxdbtoolkit")
  # C_pool_submit takes nine arguments, more than torture_call() passes: torture the calls that
  # build R objects from C state, after an ordinary submit.
  g <- .Call(ns$C_pool_submit, con$handle, 7L, "GET", "/flux-typed/text%2Fcsv/x", c(a = "1"), "X-Test: yes",
             NULL, "flux", list())
  w <- torture_call(ns$C_pool_wait, con$handle, NA_real_)
  expect_equal(w$done, 7L)
  res <- torture_call(ns$C_pool_result, g)
  expect_equal(res$status, 200L)
  expect_equal(res$tables[[1]][[ncol(res$tables[[1]])]], 1.5)
  expect_equal(torture_call(ns$C_pool_counts, con$handle)[["active"]], 0L)
})
