# The real servers the suite runs against, from the environment that tools/test-servers.sh
# prints: INFLUXTK_SERVERS="v1.6.7 ...", INFLUXTK_<NAME>_URL, INFLUXTK_<NAME>_GENERATION,
# INFLUXTK_<NAME>_DIR (where it runs: pid, configuration, log) and the admin credentials; a server
# with a token of its own (3.x) has it in INFLUXTK_<NAME>_TOKEN. The suite runs unchanged against a
# real 3.x given INFLUXTK_SERVERS, its URL, GENERATION=v3 and TOKEN.
# Under CI=true a server that is expected but missing is a failure, not a skip.

server_key <- function(name) toupper(gsub("[.-]", "_", name))

test_servers <- function() {
  names <- strsplit(Sys.getenv("INFLUXTK_SERVERS"), " +")[[1]]
  names <- names[nzchar(names)]
  lapply(stats::setNames(names, names), function(name) {
    key <- server_key(name)
    list(
      name = name,
      url = Sys.getenv(paste0("INFLUXTK_", key, "_URL")),
      generation = Sys.getenv(paste0("INFLUXTK_", key, "_GENERATION")),
      dir = Sys.getenv(paste0("INFLUXTK_", key, "_DIR")),
      username = Sys.getenv("INFLUXTK_ADMIN_USER"),
      password = Sys.getenv("INFLUXTK_ADMIN_PASSWORD"),
      token = Sys.getenv(paste0("INFLUXTK_", key, "_TOKEN"), Sys.getenv("INFLUXTK_ADMIN_TOKEN")),
      org = Sys.getenv("INFLUXTK_ORG")
    )
  })
}

# Fails under CI when an expected server is missing; otherwise skips.
require_servers <- function() {
  servers <- test_servers()
  expected <- strsplit(Sys.getenv("INFLUXTK_EXPECTED_SERVERS"), " +")[[1]]
  expected <- expected[nzchar(expected) & !endsWith(expected, "-tls")]
  missing <- setdiff(expected, names(servers))
  on_ci <- identical(tolower(Sys.getenv("CI")), "true")
  if (length(missing) > 0 && on_ci) fail(paste("expected test servers are not running:", paste(missing, collapse = ", ")))
  if (length(servers) == 0) {
    if (on_ci) fail("no test servers: run the suite through `make test`")
    skip("no test servers (run `make test`)")
  }
  servers
}

# Runs `code` as one test per server: `srv` is bound inside. By default on every server of every
# generation; a test that is truly about some generations names them. flux = TRUE: only servers
# with Flux (not 1.6, not 3.x).
for_each_server <- function(desc, code, generations = NULL, flux = FALSE) {
  code <- substitute(code)
  env <- parent.frame()
  servers <- test_servers()
  if (length(servers) == 0) {
    test_that(desc, { require_servers() })
    return(invisible())
  }
  for (srv in servers) {
    if (!is.null(generations) && !(srv$generation %in% generations)) next
    if (flux && !has_flux(srv)) next
    test_env <- new.env(parent = env)
    test_env$srv <- srv
    do.call(test_that, list(paste0("[", srv$name, "] ", desc), code), envir = test_env)
  }
}

has_flux <- function(srv) srv$generation %in% c("v1", "v2") && !startsWith(srv$name, "v1.6")

# 1.x: the admin user; 2.x: the operator token, with influxtk_test as bucket and database; 3.x:
# its admin token and database influxtk_test. The suite's questions are InfluxQL, so a 3.x
# connection's default language is InfluxQL (as a report moved to 3.x would set it: `language`);
# SQL twins ask for language = "sql". 1.x and 2.x tell the language from the text.
connect_admin <- function(srv, ..., writable = TRUE, language = "influxql") {
  if (srv$generation == "v3") {
    return(influx_connect(srv$url, token = srv$token, database = "influxtk_test", writable = writable,
                          query_language = language, ...))
  }
  if (srv$generation == "v2") {
    return(influx_connect(srv$url, token = srv$token, org = srv$org, bucket = "influxtk_test",
                          database = "influxtk_test", writable = writable, ...))
  }
  influx_connect(srv$url, username = srv$username, password = srv$password,
                 database = "influxtk_test", writable = writable, ...)
}

connect_reader <- function(srv, ...) connect_admin(srv, ..., writable = FALSE)

# A fresh measurement name for each test, so tests never see each other's points.
fresh_name <- local({
  n <- 0L
  function(prefix = "m") {
    n <<- n + 1L
    sprintf("%s_%s_%d", prefix, format(Sys.time(), "%H%M%S"), n)
  }
})

# Line protocol through the server's own write endpoint: /write on 1.x, /api/v2/write on 2.x,
# /api/v3/write_lp on 3.x.
write_lines <- function(con, lines, precision = "ns", database = "influxtk_test") {
  body <- charToRaw(enc2utf8(paste(lines, collapse = "\n")))
  res <- if (con$generation == "v3") {
    influxdbtoolkit:::influx_http(con, "POST", "/api/v3/write_lp", sink = "raw", body = body,
                                  query = c(db = database, precision = precision))
  } else if (con$generation == "v2") {
    influxdbtoolkit:::influx_http(con, "POST", "/api/v2/write", sink = "raw", body = body,
      query = c(org = con$org, bucket = database, precision = if (precision == "u") "us" else precision))
  } else {
    influxdbtoolkit:::influx_http(con, "POST", "/write", query = c(db = database, precision = precision),
                                  body = body, sink = "raw")
  }
  expect_equal(res$status, 204L)
  invisible(res)
}

# The HTTPS server with a self-signed certificate (INFLUXTK_TLS_URL, INFLUXTK_TLS_CA).
require_tls_server <- function() {
  url <- Sys.getenv("INFLUXTK_TLS_URL")
  expected <- grepl("-tls", Sys.getenv("INFLUXTK_EXPECTED_SERVERS"), fixed = TRUE)
  if (!nzchar(url)) {
    if (expected && identical(tolower(Sys.getenv("CI")), "true")) fail("the TLS test server is not running")
    skip("no TLS test server (run `make test`)")
  }
  list(url = url, ca = Sys.getenv("INFLUXTK_TLS_CA"), username = Sys.getenv("INFLUXTK_ADMIN_USER"),
       password = Sys.getenv("INFLUXTK_ADMIN_PASSWORD"))
}

# Credentials for the legacy wrappers: the same user and password on 1.x and 2.x (on 2.x a v1
# authorization that tools/test-servers.sh creates); 3.x has tokens only.
legacy_args <- function(srv) {
  if (srv$generation == "v3") list(token = srv$token) else list(user = srv$username, pwd = srv$password)
}

# What must never be printed: the password, or the token where there is no user.
server_secret <- function(srv) if (srv$generation == "v3") srv$token else srv$password

# Flux names a 1.x database and retention policy "db/rp", a 2.x bucket by its name (3.x has no Flux).
flux_bucket <- function(srv, db = "influxtk_test") if (srv$generation == "v1") paste0(db, "/autogen") else db

# The languages a test asks its InfluxQL question in: on 3.x also its SQL twin.
read_languages <- function(srv) if (srv$generation == "v3") c("influxql", "sql") else "influxql"

# An SQL identifier: double quotes, an inner one doubled (DataFusion's rule).
sql_ident <- function(x) paste0("\"", gsub("\"", "\"\"", x, fixed = TRUE), "\"")

# Every point of a measurement: InfluxQL with its tags as columns, or SQL (whose tags are columns).
select_all <- function(m, language) {
  if (language == "sql") paste("SELECT * FROM", sql_ident(m)) else paste("SELECT * FROM", influxdbtoolkit:::iql_ident(m), "GROUP BY *")
}

# The 3.x stand-in refuses, naming itself, some InfluxQL a real 3.x answers (tz(), bind parameters
# in InfluxQL). Only that refusal skips the rest of a test: against a real 3.x it runs.
unless_standin_lacks <- function(expr) {
  tryCatch(expr, influx_error = function(e) {
    said <- paste(conditionMessage(e), if (is.character(e$server_message)) e$server_message)
    if (grepl("InfluxDB 3 stand-in does not support", said, fixed = TRUE)) {
      skip(paste("the 3.x stand-in lacks what a real 3.x has:", sub("^.*does not support ([^\n]*).*$", "\\1", said)))
    }
    stop(e)
  })
}

decode_flux <- function(body, piece = length(body), tz = "UTC", bigint = "integer64", pivot = FALSE, table_columns = FALSE) {
  if (is.character(body)) body <- charToRaw(enc2utf8(body))
  r <- .Call(influxdbtoolkit:::C_decode_flux, body, max(1L, as.integer(piece)),
             list(tz = tz, bigint = bigint, pivot = pivot, table_columns = table_columns))
  list(status = r$status, message = r$message, table = r$tables[[1]])
}

# Random byte corruption, fed in random piece sizes: a status, never a crash.
expect_survives_corruption <- function(body, decode, seed, bytes = 0:255) {
  set.seed(seed)
  for (i in 1:300) {
    b <- body
    at <- sample(length(b), sample(1:4, 1))
    b[at] <- as.raw(sample(bytes, length(at), replace = TRUE))
    r <- decode(b, sample(c(1, 5, 1000), 1), i)
    expect_true(r$status %in% 0:3)
  }
}
