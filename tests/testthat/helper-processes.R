# Background R processes for failure tests: the fake server, and a child that gets Ctrl-C.

rscript <- function() file.path(R.home("bin"), "Rscript")

# Runs `lines` in a child Rscript that has the package attached and `outfile` set to a file the
# child may write its findings to; a crash there (the point of such tests) spares the test run.
# Returns the child's exit status and what it wrote (character(0) if nothing).
run_in_child <- function(lines) {
  outfile <- tempfile("child")
  script <- tempfile(fileext = ".R")
  writeLines(c(
    sprintf(".libPaths(c(%s))", paste(deparse(.libPaths()), collapse = "")),
    "library(influxdbtoolkit)",
    sprintf("outfile <- '%s'", outfile),
    lines
  ), script)
  status <- system2(rscript(), c("--vanilla", shQuote(script)), stdout = FALSE, stderr = FALSE)
  list(status = status, out = if (file.exists(outfile)) readLines(outfile) else character())
}

# `port`: listen there (a server that comes back where a stopped one was), else on a free port.
start_fake_server <- function(port = NULL) {
  portfile <- tempfile("fakeport")
  system2(rscript(), c("--vanilla", shQuote(test_path("fake-server.R")), shQuote(portfile), port), wait = FALSE,
          stdout = FALSE, stderr = FALSE)
  for (i in 1:200) {
    if (file.exists(portfile)) break
    Sys.sleep(0.05)
  }
  if (!file.exists(portfile)) stop("the fake server did not start")
  port <- as.integer(readLines(portfile))
  url <- sprintf("http://127.0.0.1:%d", port)
  root <- influx_connect(url, version = "v1")
  list(url = url, port = port,
       # how many requests the server has had on a route (/seen counts them)
       requests = function(route) {
         as.integer(rawToChar(influxdbtoolkit:::influx_http(root, "GET", paste0("/seen/", route))$body))
       },
       stop = function() {
         con <- influx_connect(paste0(url, "/quit"), version = "v1")
         try(influxdbtoolkit:::influx_http(con, "GET", "/", sink = "none"), silent = TRUE)
       })
}

# A listening socket that never accepts: the kernel completes the TCP handshake, so a request is
# sent and then waits forever for an answer.
silent_port <- function() {
  for (port in sample(45001:60000, 100)) {
    s <- tryCatch(serverSocket(port), error = function(e) NULL, warning = function(w) NULL)
    if (!is.null(s)) return(list(port = port, socket = s))
  }
  stop("no free port")
}
