# A misbehaving HTTP server for failure tests, run as `Rscript fake-server.R PORTFILE`. It listens
# on a free loopback-reachable port, writes the port to PORTFILE, and answers one request at a
# time by the first path segment:
#   /status-NNN/...     HTTP NNN with a JSON error body (429 and 503 with Retry-After: 7)
#   /truncated-cl/...   200 MessagePack, Content-Length larger than what is sent, then close
#   /truncated-eof/...  200 MessagePack without Content-Length, cut mid-document, then close
#   /garbage/...        200 MessagePack content type, bytes that are not MessagePack
#   /json/...           200 JSON where MessagePack was asked for
#   /flux-cut/...       200 annotated CSV that stops after a row, mid-table, then close
#   /flux-error/...     200 annotated CSV: a table, then an error table
#   /reset/...          closes the connection without answering
#   /plain/ping         204 without InfluxDB headers (a server that is not InfluxDB)
#   /flaky/...          503 (Retry-After: 0) for the first two requests, then 204
#   /ratelimit/...      429 with Retry-After: 1 for the first request, then 204
#   /reset-once/...     closes the first connection without answering, then 204
#   /second-partial/... 204 for the first request, then 400 partial write for every later one
#   /always-503/...     503 every time
#   /quit               stops the server
# Flux bodies for issue 9 (used by test-flux.R):
#   /flux-no-annotations/...  200 CSV with a header and rows but no #datatype/#group/#default
#   /flux-two-yields/...      200 annotated CSV: two results with the same series, time and field
`%||%` <- function(x, y) if (is.null(x) || length(x) == 0 || is.na(x)) y else x
args <- commandArgs(TRUE)
portfile <- args[1]
srv <- NULL
for (port in sample(20000:45000, 100)) {
  srv <- tryCatch(serverSocket(port), error = function(e) NULL, warning = function(w) NULL)
  if (!is.null(srv)) break
}
if (is.null(srv)) quit(status = 1)
writeLines(as.character(port), paste0(portfile, ".tmp"))
file.rename(paste0(portfile, ".tmp"), portfile)

http <- function(status, headers = character(), body = raw(0), length = TRUE) {
  head <- c(sprintf("HTTP/1.1 %d Fake", status), "Connection: close", headers,
            if (length) sprintf("Content-Length: %d", length(body)))
  c(charToRaw(paste0(paste(head, collapse = "\r\n"), "\r\n\r\n")), body)
}
# {"results":[{"statement_id":0,"series":[...]}]} with one series of 2 rows, as MessagePack.
doc <- as.raw(c(0x81, 0xa7, charToRaw("results"), 0x91, 0x82, 0xac, charToRaw("statement_id"), 0x00,
                0xa6, charToRaw("series"), 0x91, 0x82, 0xa7, charToRaw("columns"), 0x91, 0xa1,
                charToRaw("v"), 0xa6, charToRaw("values"), 0x92, 0x91, 0x01, 0x91, 0x02))

# ---- Flux bodies for issue 9 ----
flux_csv <- function(...) charToRaw(paste0(paste(c(...), collapse = "\r\n"), "\r\n"))
flux_yield <- function(result, value) {
  c("#datatype,string,long,dateTime:RFC3339,string,string,double", "#group,false,false,false,true,true,false",
    "#default,_result,,,,,", ",result,table,_time,_measurement,_field,_value",
    sprintf(",%s,0,2024-01-01T00:00:00Z,m,temp,%s", result, value), "")
}
flux_routes <- list(
  "flux-no-annotations" = flux_csv(",result,table,_time,_value", ",_result,0,2024-01-01T00:00:00Z,1.5",
                                   ",_result,0,2024-01-01T00:00:01Z,2.5", ""),
  "flux-two-yields" = flux_csv(flux_yield("raw", "20.5"), flux_yield("smoothed", "21"))
)
# ---- end of Flux bodies ----

seen <- new.env()
repeat {
  con <- tryCatch(socketAccept(srv, blocking = TRUE, open = "r+b", timeout = 300), error = function(e) NULL)
  if (is.null(con)) break
  head <- character()
  repeat {
    line <- readLines(con, n = 1, warn = FALSE)
    if (length(line) == 0) break
    line <- sub("\r$", "", line)
    if (!nzchar(line)) break
    head <- c(head, line)
  }
  len <- suppressWarnings(as.integer(sub("^[Cc]ontent-[Ll]ength: *", "", grep("^[Cc]ontent-[Ll]ength:", head, value = TRUE))))
  if (length(len) == 1 && !is.na(len) && len > 0) readBin(con, "raw", len)
  path <- strsplit(head[1] %||% "GET / HTTP/1.1", " ")[[1]][2]
  route <- strsplit(sub("^/", "", path), "[/?]")[[1]][1]
  msgpack <- "Content-Type: application/x-msgpack"
  n <- (if (exists(route, seen)) get(route, seen) else 0L) + 1L
  assign(route, n, seen)
  out <- if (startsWith(route, "status-")) {
    code <- as.integer(sub("status-", "", route))
    http(code, c("Content-Type: application/json", if (code %in% c(429, 503)) "Retry-After: 7"),
         charToRaw(sprintf('{"error":"fake failure %d"}', code)))
  } else switch(route,
    "truncated-cl" = {
      full <- http(200, msgpack, doc)
      full[seq_len(length(full) - 5)]
    },
    "truncated-eof" = http(200, msgpack, doc[seq_len(length(doc) - 5)], length = FALSE),
    "garbage" = http(200, msgpack, as.raw(c(0xc1, 0xc1, 0xc1))),
    "json" = http(200, "Content-Type: application/json", charToRaw('{"results":[{"statement_id":0}]}')),
    "flux-cut" = http(200, "Content-Type: text/csv; charset=utf-8", charToRaw(paste0(
      "#datatype,string,long,double\r\n#group,false,false,false\r\n#default,_result,,\r\n",
      ",result,table,_value\r\n,,0,1.5\r\n")), length = FALSE),
    "flux-error" = http(200, "Content-Type: text/csv; charset=utf-8", charToRaw(paste0(
      "#datatype,string,long,double\r\n#group,false,false,false\r\n#default,_result,,\r\n",
      ",result,table,_value\r\n,,0,1.5\r\n\r\n#datatype,string,string\r\n#group,true,true\r\n",
      "#default,,\r\n,error,reference\r\n,panic: out of cheese,\r\n\r\n"))),
    "reset" = raw(0),
    "flaky" = if (n <= 2) http(503, c("Content-Type: application/json", "Retry-After: 0"), charToRaw('{"error":"busy"}')) else http(204),
    "ratelimit" = if (n == 1) http(429, c("Content-Type: application/json", "Retry-After: 1"), charToRaw('{"error":"slow down"}')) else http(204),
    "reset-once" = if (n == 1) raw(0) else http(204),
    "second-partial" = if (n == 1) http(204) else http(400, "Content-Type: application/json",
      charToRaw('{"error":"partial write: field type conflict: input field \\"v\\" is type string, already exists as type float dropped=1"}')),
    "always-503" = http(503, c("Content-Type: application/json", "Retry-After: 0"), charToRaw('{"error":"down"}')),
    "plain" = http(204),
    "quit" = http(204),
    http(404, "Content-Type: text/plain", charToRaw("no such route"))
  )
  if (route %in% names(flux_routes)) out <- http(200, "Content-Type: text/csv; charset=utf-8", flux_routes[[route]])
  if (length(out)) writeBin(out, con)
  flush(con)
  close(con)
  if (identical(route, "quit")) break
}
close(srv)
