# A misbehaving HTTP server for failure tests, run as `Rscript fake-server.R PORTFILE`. It listens
# on a free loopback-reachable port (or on PORT, `Rscript fake-server.R PORTFILE PORT`, to come back
# where a stopped one was), writes the port to PORTFILE, and serves many connections at once: a
# select() loop reads each request as its bytes come and answers it when whole, and an answer that
# waits (first-byte, drip, slow) is a plan of timed steps, so no request blocks another. Routes,
# by the first path segment:
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
#   /flux-typed/TYPE/... 200 a whole annotated CSV table with Content-Type TYPE (URL-encoded)
#   /hashed-tokens/...  a 2.x that stores only a hash of each token (2.10.0): orgs, buckets, and
#                       authorizations whose listing shows "token": "" (creating one shows it once)
#   /no-dbrp/...        a 2.x whose bucket "b" has no DBRP mapping (a server without virtual ones)
#   /dbrp-later/...     the same until a mapping is POSTed to /api/v2/dbrps, which it lists from
#                       then on; /query answers as /ok does
#   /v3/ping            204 from a server that says it is InfluxDB 3.1.0
#   /v3-bearer/...      the same to "Authorization: Bearer sekrit" (its first request also to
#                       "Token sekrit", as a version probe sends it); 401 otherwise
#   /header-bytes/...   500 with no body and an X-Influxdb-Error header holding invalid UTF-8
#   /body-nul/...       500 text/plain whose body holds a NUL byte
#   /jsonl/...          200 application/jsonl: two rows as 3.x writes them
#   /jsonl-empty/...    200 application/jsonl without a byte (3.x's answer to a query without rows)
#   /jsonl-cut/...      200 application/jsonl without Content-Length, cut inside its second line
#   /quit               stops the server
# and hostile answers to /query (issue 9), see the block below `doc`:
#   /v1-nul/...          a value, a tag and a column name with NULs, a value with invalid UTF-8
#   /v1-int64min/...     the integer -2^63 (bit64's NA pattern)
#   /v1-stmt-1000000/... statement_id 1000000 (37 bytes that once made 1,000,001 data frames)
#   /v1-stmt-extra/...   results for statements 0 and 1 (too many for a one-statement query)
#   /v1-key-array/...    a series map with an array as a key
#   /flux-nul/...        annotated CSV with a NUL in a tag and a column name, invalid UTF-8
# Flux bodies for issue 9 (used by test-flux.R):
#   /flux-no-annotations/...  200 CSV with a header and rows but no #datatype/#group/#default
#   /flux-two-yields/...      200 annotated CSV: two results with the same series, time and field
`%||%` <- function(x, y) if (is.null(x) || length(x) == 0 || is.na(x)) y else x
args <- commandArgs(TRUE)
portfile <- args[1]
srv <- NULL
for (port in if (length(args) > 1) rep(as.integer(args[2]), 50) else sample(20000:45000, 100)) {
  srv <- tryCatch(serverSocket(port), error = function(e) NULL, warning = function(w) NULL)
  if (!is.null(srv)) break
  if (length(args) > 1) Sys.sleep(0.1) # the old server's port may take a moment to free
}
if (is.null(srv)) quit(status = 1)
writeLines(as.character(port), paste0(portfile, ".tmp"))
file.rename(paste0(portfile, ".tmp"), portfile)

http <- function(status, headers = character(), body = raw(0), length = TRUE) {
  head <- c(sprintf("HTTP/1.1 %d Fake", status), "Connection: close", headers,
            if (length) sprintf("Content-Length: %d", length(body)))
  c(charToRaw(paste0(paste(head, collapse = "\r\n"), "\r\n\r\n")), body)
}
jsonl_rows <- '{"time":"2024-01-01T00:00:00","v":1}\n{"time":"2024-01-01T00:00:01.5","v":2.5,"s":"x"}\n'
# {"results":[{"statement_id":0,"series":[...]}]} with one series of 2 rows, as MessagePack.
doc <- as.raw(c(0x81, 0xa7, charToRaw("results"), 0x91, 0x82, 0xac, charToRaw("statement_id"), 0x00,
                0xa6, charToRaw("series"), 0x91, 0x82, 0xa7, charToRaw("columns"), 0x91, 0xa1,
                charToRaw("v"), 0xa6, charToRaw("values"), 0x92, 0x91, 0x01, 0x91, 0x02))


# ---- Safety routes: request log, slow and stalling answers, redirects ----------------------
#   /seen/ROUTE        200 text/plain: how many requests ROUTE has had so far (tests that check
#                      that nothing was sent)
#   /ok/...            200 MessagePack, one series of two rows
#   /first-byte-MS/... silence for MS milliseconds, then the answer of /ok
#   /late-body-MS/...  the headers at once, then MS ms of silence, then the body
#   /stall-MS/...      the headers and the first half of the body, MS ms of silence, the rest
#   /drip-MS/...       the headers, then the body one byte every MS milliseconds
#   /redirect/...      307 to /ok/... (counted as "ok" only if a client follows it)
#   /slow-reader-MS/.. reads nothing of the request body for MS ms (a client sending a large body
#                      stalls once the socket buffers are full), then answers 204
# The client may give up during a silence; writing to its closed socket then fails, which is
# expected and must not stop the server.
# An answer is a plan: a list of steps list(at = seconds after the request was whole, bytes), sent
# in order by the main loop, which closes the connection after the last one.
step <- function(bytes, at = 0) list(at = at, bytes = bytes)
safety_route <- function(route, path, seen) {
  if (is.na(route)) return(NULL)
  msgpack <- "Content-Type: application/x-msgpack"
  ms <- function(prefix) as.numeric(sub(prefix, "", route)) / 1000
  head_only <- function() http(200, msgpack, doc)[seq_len(length(http(200, msgpack, doc)) - length(doc))]
  if (route == "seen") {
    what <- strsplit(sub("^/", "", path), "[/?]")[[1]][2]
    count <- if (!is.na(what) && exists(what, seen, inherits = FALSE)) get(what, seen) else 0L
    list(step(http(200, "Content-Type: text/plain", charToRaw(as.character(count)))))
  } else if (route == "ok") {
    list(step(http(200, msgpack, doc)))
  } else if (grepl("^slow-reader-[0-9]+$", route)) {
    list(step(http(204)))
  } else if (route == "redirect") {
    list(step(http(307, c("Location: /ok/query", "Content-Type: text/plain"), charToRaw("moved"))))
  } else if (grepl("^first-byte-[0-9]+$", route)) {
    list(step(http(200, msgpack, doc), ms("first-byte-")))
  } else if (grepl("^late-body-[0-9]+$", route)) {
    list(step(head_only()), step(doc, ms("late-body-")))
  } else if (grepl("^stall-[0-9]+$", route)) {
    half <- length(doc) %/% 2
    list(step(c(head_only(), doc[seq_len(half)])), step(doc[-seq_len(half)], ms("stall-")))
  } else if (grepl("^drip-[0-9]+$", route)) {
    c(list(step(head_only())), lapply(seq_along(doc), function(i) step(doc[i], i * ms("drip-"))))
  } else {
    NULL
  }
}

# ---- Write sinks for the buffered writer (issue 12) ------------------------------------------
# Connect with url = http://127.0.0.1:PORT/w/ID/BEHAVIOUR (version "v1", "v2" or "v3"): the writes
# to ID (/write, /api/v2/write, /api/v3/write_lp) are answered as BEHAVIOUR says, and the points
# kept are recorded under ID (gzip bodies are unpacked):
#   ok            204
#   503xN         503 (Retry-After: 0) to the first N writes, then 204
#   429xN-S       429 with Retry-After: S to the first N writes, then 204
#   resetxN       closes the first N connections without answering, then 204
#   gone-S        closes every connection without answering for S seconds from ID's first
#                 request, then 204
#   slow-S        answers 204 after S seconds (the other connections are served meanwhile)
#   never         never answers (the connection stays open until the client gives up)
#   rejectbad     keeps every line but those containing "BAD", and if there were any answers
#                 400 "partial write: field type conflict ... dropped=K" as InfluxDB 1.x does
#   GET /w/ID/received   (or /w/ID/BEHAVIOUR/received) 200 text/plain: the recorded lines, one a line, in order of arrival
#   GET /w/ID/writes     200 text/plain: how many write requests ID has had
sinks <- new.env()
sink_state <- function(id) {
  if (!exists(id, sinks, inherits = FALSE)) assign(id, list(lines = character(), writes = 0L, first = NA_real_), sinks)
  get(id, sinks)
}
write_sink <- function(method, path, head, body, now) {
  parts <- strsplit(sub("^/", "", sub("[?].*$", "", path)), "/")[[1]]
  id <- parts[2] %||% ""
  behaviour <- parts[3] %||% "ok"
  rest <- paste(parts[-(1:3)], collapse = "/")
  st <- sink_state(id)
  text <- function(x) list(step(http(200, "Content-Type: text/plain; charset=utf-8", charToRaw(enc2utf8(x)))))
  last <- parts[length(parts)]
  if (method == "GET" && last %in% c("received", "writes")) {
    return(text(if (last == "received") paste(st$lines, collapse = "\n") else as.character(st$writes)))
  }
  if (!grepl("(^|/)(write|write_lp)$", rest)) return(list(step(http(204, c("X-Influxdb-Version: 1.8.10", "X-Influxdb-Build: OSS")))))
  st$writes <- st$writes + 1L
  if (is.na(st$first)) st$first <- now
  n <- st$writes
  count <- function(prefix) as.integer(sub("^([0-9]+).*$", "\\1", sub(prefix, "", behaviour)))
  lines <- function() {
    if (any(grepl("^Content-Encoding: *gzip", head, ignore.case = TRUE))) {
      gz <- gzcon(rawConnection(body))
      on.exit(close(gz))
      readLines(gz, warn = FALSE)
    } else strsplit(rawToChar(body), "\n", fixed = TRUE)[[1]]
  }
  keep <- function(x) { st$lines <- c(st$lines, x[nzchar(x)]); assign(id, st, sinks) }
  plan <- if (grepl("^503x", behaviour) && n <= count("^503x")) {
    list(step(http(503, c("Content-Type: application/json", "Retry-After: 0"), charToRaw('{"error":"fake overload"}'))))
  } else if (grepl("^429x", behaviour) && n <= count("^429x")) {
    list(step(http(429, c("Content-Type: application/json", paste("Retry-After:", sub("^.*-", "", behaviour))),
                   charToRaw('{"error":"fake rate limit"}'))))
  } else if (grepl("^resetx", behaviour) && n <= count("^resetx")) {
    list(step(raw(0)))
  } else if (grepl("^gone-", behaviour) && now - st$first < as.numeric(sub("^gone-", "", behaviour))) {
    list(step(raw(0)))
  } else if (behaviour == "never") {
    list(step(raw(0), Inf))
  } else if (behaviour == "rejectbad") {
    l <- lines()
    bad <- grepl("BAD", l, fixed = TRUE)
    keep(l[!bad])
    return(if (any(bad)) list(step(http(400, "Content-Type: application/json", charToRaw(sprintf(
      '{"error":"partial write: field type conflict: input field \\"v\\" on measurement \\"m\\" is type string, already exists as type float dropped=%d"}',
      sum(bad)))))) else list(step(http(204))))
  } else {
    keep(lines())
    return(list(step(http(204), if (grepl("^slow-", behaviour)) as.numeric(sub("^slow-", "", behaviour)) else 0)))
  }
  assign(id, st, sinks)
  plan
}

# Hostile /query answers (issue 9), MessagePack written byte by byte.
h_str <- function(b) { if (is.character(b)) b <- charToRaw(b); c(as.raw(0xd9), as.raw(length(b)), b) }
h_nul <- function(a, b) c(charToRaw(a), as.raw(0), charToRaw(b))
h_map <- function(n) as.raw(0x80 + n)
h_arr <- function(n) as.raw(0x90 + n)
h_doc <- function(...) c(h_map(1), h_str("results"), h_arr(length(list(...))), ...)
h_result <- function(id, series = h_arr(0)) c(h_map(2), h_str("statement_id"), id, h_str("series"), series)
hostile <- list(
  "v1-nul" = h_doc(h_result(as.raw(0), c(h_arr(1), h_map(4),
    h_str("name"), h_str("m"), h_str("tags"), h_map(1), h_str("room"), h_str(h_nul("a", "b")),
    h_str("columns"), h_arr(2), h_str("s"), h_str(h_nul("na", "me")),
    h_str("values"), h_arr(2), h_arr(2), h_str(h_nul("x", "y")), as.raw(1),
    h_arr(2), h_str(as.raw(c(0x61, 0xff, 0xfe, 0x62))), as.raw(2)))),
  "v1-int64min" = h_doc(h_result(as.raw(0), c(h_arr(1), h_map(3), h_str("name"), h_str("m"),
    h_str("columns"), h_arr(1), h_str("n"), h_str("values"), h_arr(2),
    h_arr(1), as.raw(c(0xd3, 0x80, rep(0, 7))), h_arr(1), as.raw(7)))),
  "v1-stmt-1000000" = h_doc(h_result(as.raw(c(0xce, 0x00, 0x0f, 0x42, 0x40)))),
  "v1-stmt-extra" = h_doc(h_result(as.raw(0)), h_result(as.raw(1))),
  "v1-key-array" = h_doc(h_result(as.raw(0), c(h_arr(1), h_map(3),
    h_arr(2), h_str("columns"), h_arr(1), h_str("evil"), h_arr(1), h_arr(1), as.raw(66),
    h_str("columns"), h_arr(1), h_str("v"), h_str("values"), h_arr(1), h_arr(1), as.raw(1)))),
  "flux-nul" = c(charToRaw("#datatype,string,long,string,string\r\n#group,false,false,true,false\r\n#default,_result,,,\r\n,result,table,ro"),
                 as.raw(0), charToRaw("om,_value\r\n,,0,"), h_nul("a", "b"), charToRaw(",x"), as.raw(0xff), charToRaw("\r\n\r\n"))
)


hashed_tokens <- function(method, path) {
  auth <- '{"id":"0a0000000000000a","description":"d","status":"active","user":"admin","token":"%s","permissions":[{"action":"read","resource":{"type":"buckets","id":"0b0000000000000b","name":"b"}}]}'
  if (grepl("/api/v2/orgs", path, fixed = TRUE)) return('{"orgs":[{"id":"0c0000000000000c","name":"o"}]}')
  if (grepl("/api/v2/buckets", path, fixed = TRUE)) return('{"buckets":[{"id":"0b0000000000000b","name":"b"}]}')
  if (method == "POST") return(sprintf(auth, "shown-only-now"))
  sprintf('{"authorizations":[%s]}', sprintf(auth, ""))
}
dbrp_made <- FALSE
dbrp_later <- function(method, path) {
  json <- function(status, text) http(status, "Content-Type: application/json; charset=utf-8", charToRaw(text))
  mapping <- paste0('{"id":"0d0000000000000d","database":"b","retention_policy":"autogen","default":true,',
                    '"virtual":false,"orgID":"0c0000000000000c","bucketID":"0b0000000000000b"}')
  if (grepl("/api/v2/buckets", path, fixed = TRUE)) {
    return(json(200, '{"buckets":[{"id":"0b0000000000000b","orgID":"0c0000000000000c","name":"b"}]}'))
  }
  if (!grepl("/api/v2/dbrps", path, fixed = TRUE)) return(http(200, "Content-Type: application/x-msgpack", doc))
  if (method == "POST") {
    dbrp_made <<- TRUE
    return(json(201, mapping))
  }
  json(200, if (dbrp_made) sprintf('{"content":[%s]}', mapping) else '{"content":[]}')
}
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
# The answer to one whole request (its header lines and body), as a plan of steps.
answer <- function(head, body, now) {
  path <- strsplit(head[1] %||% "GET / HTTP/1.1", " ")[[1]][2]
  route <- strsplit(sub("^/", "", path), "[/?]")[[1]][1]
  msgpack <- "Content-Type: application/x-msgpack"
  n <- (if (exists(route, seen, inherits = FALSE)) get(route, seen) else 0L) + 1L
  assign(route, n, seen)
  plan <- safety_route(route, path, seen)
  if (!is.null(plan)) return(plan)
  if (identical(route, "w")) return(write_sink(strsplit(head[1], " ")[[1]][1], path, head, body, now))
  out <- if (startsWith(route, "status-")) {
    code <- as.integer(sub("status-", "", route))
    http(code, c("Content-Type: application/json", if (code %in% c(429, 503)) "Retry-After: 7"),
         charToRaw(sprintf('{"error":"fake failure %d"}', code)))
  } else if (route %in% names(hostile)) {
    http(200, if (startsWith(route, "flux")) "Content-Type: text/csv; charset=utf-8" else msgpack, hostile[[route]])
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
    # A write fails when (and only when) its body holds the point v=13: one batch of several.
    "fails-v13" = if (grepl("v=13 ", rawToChar(body[body != 0]), fixed = TRUE)) {
      http(400, "Content-Type: application/json", charToRaw('{"error":"unable to parse: the thirteenth point"}'))
    } else http(204),
    "always-503" = http(503, c("Content-Type: application/json", "Retry-After: 0"), charToRaw('{"error":"down"}')),
    "header-bytes" = http(500, c("Content-Type: text/plain", "X-Influxdb-Error: bad \xff\xfe byte")),
    "body-nul" = http(500, "Content-Type: text/plain", c(charToRaw("broken"), as.raw(0), charToRaw(" server"))),
    "flux-typed" = http(200, paste("Content-Type:", utils::URLdecode(strsplit(path, "/")[[1]][3])), charToRaw(paste0(
      "#datatype,string,long,double\r\n#group,false,false,false\r\n#default,_result,,\r\n",
      ",result,table,_value\r\n,,0,1.5\r\n\r\n"))),
    "hashed-tokens" = http(200, "Content-Type: application/json; charset=utf-8",
                           charToRaw(hashed_tokens(strsplit(head[1], " ")[[1]][1], path))),
    "no-dbrp" = http(200, "Content-Type: application/json; charset=utf-8", charToRaw(
      if (grepl("/api/v2/buckets", path, fixed = TRUE)) '{"buckets":[{"id":"0b0000000000000b","orgID":"0c0000000000000c","name":"b"}]}'
      else '{"content":[]}')),
    "dbrp-later" = dbrp_later(strsplit(head[1], " ")[[1]][1], path),
    "v3" = http(204, c("X-Influxdb-Version: 3.1.0", "X-Influxdb-Build: Core")),
    "v3-bearer" = if ("Authorization: Bearer sekrit" %in% head || (n == 1 && "Authorization: Token sekrit" %in% head)) {
      http(204, c("X-Influxdb-Version: 3.1.0", "X-Influxdb-Build: Core"))
    } else http(401, "Content-Type: application/json", charToRaw('{"error":"the request was not authenticated"}')),
    "jsonl" = http(200, "Content-Type: application/jsonl", charToRaw(jsonl_rows)),
    "jsonl-empty" = http(200, "Content-Type: application/jsonl"),
    "jsonl-cut" = http(200, "Content-Type: application/jsonl", charToRaw(substr(jsonl_rows, 1, 60)), length = FALSE),
    "plain" = http(204),
    "quit" = http(204),
    http(404, "Content-Type: text/plain", charToRaw("no such route"))
  )
  if (route %in% names(flux_routes)) out <- http(200, "Content-Type: text/csv; charset=utf-8", flux_routes[[route]])
  if (identical(route, "quit")) quitting <<- TRUE
  list(step(out))
}

# ---- The loop: accept, read, answer, each connection at its own pace ----------------------------
clock <- function() proc.time()[["elapsed"]]
header_end <- charToRaw("\r\n\r\n")
# A client: its socket, the bytes read so far, once whole its plan and when it became whole.
clients <- list()
accepted <- 0L
quitting <- FALSE
last_activity <- clock()
read_request <- function(cl, now) {
  if (is.null(cl$head)) {
    at <- grepRaw(header_end, cl$buf, fixed = TRUE)
    if (length(at) == 0) return(cl)
    lines <- strsplit(rawToChar(cl$buf[seq_len(at - 1)]), "\r\n", fixed = TRUE)[[1]]
    cl$head <- lines
    cl$buf <- cl$buf[-seq_len(at + 3)]
    len <- suppressWarnings(as.integer(sub("^[Cc]ontent-[Ll]ength: *", "", grep("^[Cc]ontent-[Ll]ength:", lines, value = TRUE))))
    cl$need <- if (length(len) == 1 && !is.na(len)) len else 0L
    route <- strsplit(sub("^/", "", strsplit(lines[1] %||% "GET / HTTP/1.1", " ")[[1]][2] %||% "/"), "[/?]")[[1]][1]
    # /slow-reader-MS leaves the body unread for MS ms, so a large one fills the socket buffers.
    if (grepl("^slow-reader-[0-9]+$", route %||% "")) cl$read_after <- now + as.numeric(sub("slow-reader-", "", route)) / 1000
  }
  if (length(cl$buf) >= cl$need && is.null(cl$plan)) {
    cl$plan <- answer(cl$head, cl$buf[seq_len(cl$need)], now)
    cl$since <- now
  }
  cl
}
repeat {
  now <- clock()
  due <- unlist(lapply(clients, function(cl) if (!is.null(cl$plan) && length(cl$plan)) cl$since + cl$plan[[1]]$at))
  wait <- min(c(1, due - now, unlist(lapply(clients, function(cl) cl$read_after - now))))
  listening <- Filter(function(cl) is.null(cl$read_after) || cl$read_after <= now, clients)
  ready <- tryCatch(socketSelect(c(list(srv), lapply(listening, `[[`, "con")), timeout = max(0, wait)),
                    error = function(e) rep(FALSE, length(listening) + 1))
  now <- clock()
  if (ready[1]) {
    con <- tryCatch(socketAccept(srv, blocking = FALSE, open = "r+b"), error = function(e) NULL)
    if (!is.null(con)) {
      # A counter, not the clock: two connections accepted within a microsecond once shared a key,
      # and the second silently replaced the first, which then never got an answer.
      accepted <- accepted + 1L
      key <- as.character(accepted)
      clients[[key]] <- list(con = con, buf = raw(0), head = NULL, need = 0L, plan = NULL, read_after = NULL)
    }
  }
  for (k in names(listening)[ready[-1]]) {
    cl <- clients[[k]]
    got <- tryCatch(readBin(cl$con, "raw", 1048576), error = function(e) raw(0))
    if (length(got) == 0) { # the client has gone
      try(close(cl$con), silent = TRUE)
      clients[[k]] <- NULL
      next
    }
    cl$buf <- c(cl$buf, got)
    clients[[k]] <- read_request(cl, now)
  }
  for (k in names(clients)) {
    cl <- clients[[k]]
    if (is.null(cl$plan)) next
    while (length(cl$plan) && cl$since + cl$plan[[1]]$at <= now) {
      if (length(cl$plan[[1]]$bytes) &&
          !tryCatch({ writeBin(cl$plan[[1]]$bytes, cl$con); flush(cl$con); TRUE }, error = function(e) FALSE)) {
        cl$plan <- list()
        break
      }
      cl$plan <- cl$plan[-1]
    }
    if (length(cl$plan) == 0) {
      try(close(cl$con), silent = TRUE)
      clients[[k]] <- NULL
    } else clients[[k]] <- cl
  }
  if (length(clients)) last_activity <- now
  if ((quitting && length(clients) == 0) || now - last_activity > 300) break
}
close(srv)
