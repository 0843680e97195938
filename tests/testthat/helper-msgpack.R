# A tiny MessagePack writer, so decoder fixtures read as the structures they encode.
mp_be <- function(x, n) {
  # x: non-negative double below 2^53 or a bit pattern as raw
  out <- raw(n)
  for (i in n:1) { out[i] <- as.raw(x %% 256); x <- x %/% 256 }
  out
}
# Two's complement of a whole number (|x| < 2^53) in 8 big-endian bytes, exactly.
mp_be64 <- function(x) {
  hi <- floor(x / 2^32)
  lo <- x - hi * 2^32
  c(mp_be(if (hi < 0) hi + 2^32 else hi, 4), mp_be(lo, 4))
}
mp_nil <- function() as.raw(0xc0)
mp_bool <- function(x) as.raw(if (x) 0xc3 else 0xc2)
mp_int <- function(x) {
  if (x >= 0 && x < 128) return(as.raw(x))
  if (x < 0 && x >= -32) return(as.raw(256 + x))
  if (x >= -2^31 && x < 2^31) return(c(as.raw(0xd2), mp_be(if (x < 0) 2^32 + x else x, 4)))
  c(as.raw(0xd3), mp_be64(x))
}
mp_int64_bits <- function(hex) c(as.raw(0xd3), as.raw(strtoi(substring(hex, seq(1, 15, 2), seq(2, 16, 2)), 16L)))
mp_uint64_bits <- function(hex) c(as.raw(0xcf), as.raw(strtoi(substring(hex, seq(1, 15, 2), seq(2, 16, 2)), 16L)))
mp_float <- function(x) c(as.raw(0xcb), rev(writeBin(as.double(x), raw(), endian = "little")))
mp_str <- function(s) {
  b <- charToRaw(enc2utf8(s))
  n <- length(b)
  hdr <- if (n < 32) as.raw(0xa0 + n) else if (n < 256) c(as.raw(0xd9), as.raw(n)) else c(as.raw(0xda), mp_be(n, 2))
  c(hdr, b)
}
# A str whose bytes are given as they are: NULs and invalid UTF-8 that an R string cannot hold.
mp_str_bytes <- function(b) {
  n <- length(b)
  c(if (n < 32) as.raw(0xa0 + n) else c(as.raw(0xd9), as.raw(n)), b)
}
mp_array <- function(...) {
  items <- list(...)
  n <- length(items)
  c(if (n < 16) as.raw(0x90 + n) else c(as.raw(0xdc), mp_be(n, 2)), unlist(items))
}
mp_array_of <- function(items) do.call(mp_array, items)
mp_map <- function(...) {
  items <- list(...)
  n <- length(items)
  body <- unlist(lapply(seq_len(n), function(i) c(mp_str(names(items)[i]), items[[i]])))
  c(if (n < 16) as.raw(0x80 + n) else c(as.raw(0xde), mp_be(n, 2)), body)
}
# InfluxDB's time: ext 5, 12 bytes, int64 seconds and uint32 nanoseconds, big endian.
mp_time <- function(sec, nsec = 0) c(as.raw(c(0xc7, 12, 5)), mp_be64(sec), mp_be(nsec, 4))

v1_series <- function(columns, values, name = "m", tags = NULL, partial = FALSE) {
  fields <- list()
  if (!is.null(name)) fields$name <- mp_str(name)
  if (!is.null(tags)) fields$tags <- do.call(mp_map, lapply(tags, mp_str))
  fields$columns <- mp_array_of(lapply(columns, mp_str))
  fields$values <- mp_array_of(lapply(values, mp_array_of))
  if (partial) fields$partial <- mp_bool(TRUE)
  do.call(mp_map, fields)
}
v1_result <- function(id, series = list(), partial = FALSE, messages = NULL) {
  fields <- list(statement_id = mp_int(id))
  if (!is.null(messages)) fields$messages <- mp_array_of(lapply(messages, function(m) mp_map(level = mp_str(m[1]), text = mp_str(m[2]))))
  fields$series <- mp_array_of(series)
  if (partial) fields$partial <- mp_bool(TRUE)
  do.call(mp_map, fields)
}
v1_response <- function(...) mp_map(results = mp_array_of(list(...)))

decode_v1 <- function(body, piece = length(body), tz = "UTC", bigint = "integer64", time_ns = FALSE) {
  .Call(influxdbtoolkit:::C_decode_v1, body, max(1L, as.integer(piece)),
        list(tz = tz, bigint = bigint, time_ns = time_ns))
}
