# The line-protocol writer without a server: memory at the R/C boundary, exact text of names and
# values, gzip bodies. What the servers store for that text is checked in test-write.R.

# gctorture only around the writer's own .Call: a whole test under gctorture would take hours.
under_gctorture <- function(f) {
  gctorture(TRUE)
  on.exit(gctorture(FALSE))
  f()
}

lp_spec <- function(df, measurement = "m", tags = character()) {
  fields <- setdiff(names(df), tags)
  list(measurement = measurement, tags = lapply(df[tags], as.character), fields = as.list(df[fields]),
       time = NULL, nrow = nrow(df), escaping = "go")
}

test_that("batch bounds survive a garbage collection at every allocation", {
  df <- data.frame(k = c("a", "b", "c", "d", "e"), v = c(1, 2, NA, 4, 5), stringsAsFactors = FALSE)
  spec <- lp_spec(df, tags = "k")
  for (zip in c(FALSE, TRUE)) {
    out <- under_gctorture(function() .Call(influxdbtoolkit:::C_lp_serialize, spec, 2L, zip))
    expect_identical(out$first, c(1L, 3L, 5L))
    expect_identical(out$last, c(2L, 4L, 5L))
    expect_identical(out$lines, c(2L, 1L, 1L))
    expect_equal(out$dropped, 1)
    body <- lapply(out$batches, function(b) if (zip) memDecompress(b, "gzip", asChar = TRUE) else rawToChar(b))
    expect_identical(unlist(body), c("m,k=a v=1\nm,k=b v=2\n", "m,k=d v=4\n", "m,k=e v=5\n"))
  }
  text <- under_gctorture(function() .Call(influxdbtoolkit:::C_lp_serialize, spec, .Machine$integer.max, FALSE))
  expect_identical(text$batches, c("m,k=a v=1", "m,k=b v=2", "m,k=d v=4", "m,k=e v=5"))
  bad <- lp_spec(data.frame(k = "x\\", v = 1), tags = "k")
  err <- under_gctorture(function() .Call(influxdbtoolkit:::C_lp_serialize, bad, 2L, FALSE))$error
  expect_identical(err$row, 1L)
  expect_identical(err$column, "k")
  num <- list(measurement = "m", tags = list(d = c(1e5, NA, 1e-7), i = c(2L, NA, 3L), b = c(TRUE, NA, FALSE)),
              fields = list(v = c(1, 2, 5e-324)), time = NULL, nrow = 3L, escaping = "go")
  text <- under_gctorture(function() .Call(influxdbtoolkit:::C_lp_serialize, num, .Machine$integer.max, FALSE))
  expect_identical(text$batches, c("m,b=TRUE,d=100000,i=2 v=1", "m v=2", "m,b=FALSE,d=0.0000001,i=3 v=5e-324"))
  z <- under_gctorture(function() .Call(influxdbtoolkit:::C_gzip, charToRaw("m v=1\n"), 2L))
  expect_identical(memDecompress(z, "gzip", asChar = TRUE), "m v=1\n")
})

test_that("gzip streams its input through deflate in pieces and round-trips", {
  # Pieces as small as 1 byte stand in for the 4 GiB limit of zlib's uInt counters: the same loop
  # that feeds 7-byte pieces feeds 4 GiB ones, so no input is cut at a piece boundary.
  set.seed(3)
  text <- paste(sprintf("m,host=h%d v=%.3f %d", 1:2000, runif(2000), 1:2000), collapse = "\n")
  x <- charToRaw(text)
  for (piece in c(1L, 7L, 4096L, 0L)) {
    z <- .Call(influxdbtoolkit:::C_gzip, x, piece)
    expect_identical(z[1:2], as.raw(c(0x1f, 0x8b)))
    expect_identical(memDecompress(z, "gzip"), x, info = piece)
    con <- gzcon(rawConnection(z))
    expect_identical(readLines(con, warn = FALSE), strsplit(text, "\n")[[1]], info = piece)
    close(con)
  }
  expect_identical(memDecompress(.Call(influxdbtoolkit:::C_gzip, raw(0), 3L), "gzip"), raw(0))
  expect_error(.Call(influxdbtoolkit:::C_gzip, "text", 0L))
})

dry <- function(df, measurement = "m", ..., version = "v1") {
  con <- influx_connect("http://127.0.0.1:9", version = version)
  as.character(influx_write(con, df, measurement, time = NULL, dry_run = TRUE, ...))
}
refused <- function(df, measurement = "m", ..., version = "v1") {
  con <- influx_connect("http://127.0.0.1:9", version = version, writable = TRUE)
  expect_error(influx_write(con, df, measurement, time = NULL, ...), class = "influx_error_argument")
}
one <- function(name, value = 1) stats::setNames(data.frame(value, check.names = FALSE), name)

test_that("backslashes in tags that the servers keep are written, escaped as they read them", {
  # The servers unescape only "\," "\ " "\=" in tags and keep every other backslash.
  tag <- function(key, value) dry(data.frame(k = value, v = 1, stringsAsFactors = FALSE) |> stats::setNames(c(key, "v")), tags = key)
  expect_identical(tag("regions", "\\ east"), "m,regions=\\\\ east v=1")
  expect_identical(tag("regions", "two\\ words"), "m,regions=two\\\\ words v=1")
  expect_identical(tag("regions", "east\\ "), "m,regions=east\\\\  v=1")
  expect_identical(tag("regions", "\\,,=east"), "m,regions=\\\\,\\,\\=east v=1")
  expect_identical(tag("reg\\=ion", "east"), "m,reg\\\\=ion=east v=1")
  expect_identical(tag("k", "a\\\"b"), "m,k=a\\\"b v=1")
  expect_identical(tag("\tk", "\tv"), "m,\tk=\tv v=1")
  refused(data.frame(k = "ends\\", v = 1), tags = "k")
  refused(data.frame(`k\\` = "v", v = 1, check.names = FALSE), tags = "k\\")
})

test_that("measurement names the servers would change or skip are refused", {
  expect_identical(dry(one("v"), "cpu=load"), "cpu=load v=1")
  expect_identical(dry(one("v"), "a\"b"), "a\"b v=1")
  expect_identical(dry(one("v"), " lead"), "\\ lead v=1")
  expect_identical(dry(one("v"), "a\\b"), "a\\b v=1")
  for (m in c("#hash", "\tlead", "cpu\\=load", "a\\\"b", "\\ east", "a\\,b", "a\\\\,b", "x\\")) {
    e <- refused(one("v"), m)
    expect_identical(e$column, "measurement", info = m)
  }
  e <- refused(one("v"), "#hash")
  expect_match(conditionMessage(e), "comment")
})

test_that("field keys with backslashes are written so the servers keep them", {
  expect_identical(dry(one("a\\\"b")), "m a\\\\\"b=1")
  expect_identical(dry(one("a\\\\\"b")), "m a\\\\\\\"b=1")
  expect_identical(dry(one("a\\\\,b")), "m a\\\\\\,b=1")
  expect_identical(dry(one("\"a")), "m \"a=1")
  for (k in c("cpu\\=load", "\\ east", "a\\,b", "\tlead", "x\\")) {
    e <- refused(one(k))
    expect_identical(e$column, k, info = k)
  }
})

test_that("a row the servers would join with the next line is refused", {
  # "\\ k" makes the servers' line splitter see the space early; a quote later then opens a
  # string that swallows the newline (both lines are lost with a 400).
  df <- data.frame(`\\ k` = "v\"x", v = 1, check.names = FALSE, stringsAsFactors = FALSE)
  e <- refused(df, tags = "\\ k")
  expect_match(conditionMessage(e), "as one")
  expect_identical(dry(data.frame(k = "\\ v\"x", v = 1, stringsAsFactors = FALSE), tags = "k"), "m,k=\\\\ v\"x v=1")
})

test_that("invalid UTF-8 is refused, not sent; latin1 text is converted", {
  latin1 <- iconv("caf\u00e9", "UTF-8", "latin1")
  expect_identical(dry(data.frame(k = latin1, s = latin1, stringsAsFactors = FALSE), tags = "k"), "m,k=caf\u00e9 s=\"caf\u00e9\"")
  bad <- rawToChar(as.raw(c(0x61, 0xff, 0x62)))
  refused(data.frame(k = bad, v = 1, stringsAsFactors = FALSE), tags = "k")
  refused(data.frame(s = bad, stringsAsFactors = FALSE), fields = "s")
})

field_text <- function(v) sub("^m v=", "", dry(data.frame(v = v)))

test_that("floats are written in their shortest text that reads back exactly", {
  v <- c(5e-324, 1.5e-323, 2.225073858507201e-308, 2.2250738585072014e-308, .Machine$double.xmax,
         -.Machine$double.xmax, -0, 0.1, 1e21, 1e-7, 1 / 3, 123456.789, 1e300, 2^53 + 2, 1e9 + 0.5, -1234.5)
  want <- c("5e-324", "1.5e-323", "2.225073858507201e-308", "2.2250738585072014e-308", "1.7976931348623157e+308",
            "-1.7976931348623157e+308", "-0", "0.1", "1e+21", "1e-07", "0.3333333333333333", "123456.789", "1e+300",
            "9007199254740994", "1000000000.5", "-1234.5")
  got <- vapply(v, field_text, "")
  expect_identical(got, want)
  expect_identical(as.numeric(got), v)
  expect_identical(1 / as.numeric(got[7]), -Inf)
  # Every double, not just these: random bit patterns read back exactly from the text.
  set.seed(11)
  bits <- readBin(as.raw(sample(0:255, 8 * 300, TRUE)), "double", 300)
  bits <- bits[is.finite(bits)]
  expect_identical(as.numeric(sub("^m v=", "", dry(data.frame(v = bits)))), bits)
})

test_that("numeric tags are written exactly, without scientific notation", {
  tag_text <- function(k) sub("^m,k=(.*) v=1$", "\\1", dry(data.frame(k = k, v = 1), tags = "k"))
  expect_identical(tag_text(c(100000, 0.1, 1e21, 1e-7, 123456789012345678, -0, 1 / 3, 2^53 + 2, -2.5e-5, 1e15)),
                   c("100000", "0.1", "1000000000000000000000", "0.0000001", "123456789012345680", "0",
                     "0.3333333333333333", "9007199254740994", "-0.000025", "1000000000000000"))
  expect_identical(tag_text(5e-324), paste0("0.", strrep("0", 323), "5"))
  set.seed(12)
  bits <- readBin(as.raw(sample(0:255, 8 * 300, TRUE)), "double", 300)
  bits <- bits[is.finite(bits) & bits != 0]
  text <- tag_text(bits)
  expect_false(any(grepl("e", text, fixed = TRUE)))
  expect_identical(as.numeric(text), bits)
  expect_identical(tag_text(c(NaN, Inf, -Inf)), c("NaN", "Inf", "-Inf"))
  expect_identical(tag_text(c(100000L, -7L)), c("100000", "-7"))
  expect_identical(tag_text(c(TRUE, FALSE)), c("TRUE", "FALSE"))
  expect_identical(tag_text(factor(c("b", "a"))), c("b", "a"))
  expect_identical(dry(data.frame(k = c(NA, 2), v = 1), tags = "k"), c("m v=1", "m,k=2 v=1"))
  skip_if_not_installed("bit64")
  expect_identical(tag_text(bit64::as.integer64(c("9223372036854775807", "-100000"))), c("9223372036854775807", "-100000"))
})

test_that("comment lines in raw line protocol are not counted as points", {
  # The servers skip a line whose first non-blank character is '#' and still answer 204. The
  # lines are sent as given (a '#' may also start the second line of a string value).
  b <- influxdbtoolkit:::write_batches(c("#c", "m v=1", "  \t# d\nm v=2", "#e"), NULL, NULL, NULL, NULL, "ns", 2L, FALSE, NULL)
  expect_identical(b$lines, c(1L, 1L, 0L))
  expect_identical(vapply(b$batches, rawToChar, ""), c("#c\nm v=1\n", "  \t# d\nm v=2\n", "#e\n"))
  fake <- start_fake_server()
  on.exit(fake$stop())
  con <- influx_connect(paste0(fake$url, "/plain"), version = "v1", database = "d", writable = TRUE)
  res <- influx_write(con, c("# header", "m v=1 1", "m v=2 2"))
  expect_equal(res$points, 2)
})

test_that("an error about a column whose name is not UTF-8 is itself valid text", {
  bad <- rawToChar(as.raw(c(0x6b, 0xff)))
  df <- data.frame(v = 1)
  names(df) <- bad
  con <- influx_connect("http://127.0.0.1:9", version = "v1")
  e <- expect_error(influx_write(con, df, "m", time = NULL, dry_run = TRUE), class = "influx_error_argument")
  expect_true(validUTF8(e$column))
  expect_identical(e$column, "k?")
  long <- strrep("\u00e9", 200)
  df <- data.frame(v = 1)
  names(df) <- paste0(long, "\n")
  e <- expect_error(influx_write(con, df, "m", time = NULL, dry_run = TRUE), class = "influx_error_argument")
  expect_true(validUTF8(e$column))
  expect_true(startsWith(long, e$column))
})

# Go's parser (1.x, 2.x) keeps a backslash that escapes nothing; Rust's (3.x) reads "\\" as one
# backslash, so there every backslash of a name is doubled. The texts below are what each parser
# needs to read back exactly the name given.
tag_line <- function(key, value, version) {
  dry(stats::setNames(data.frame(value, 1, stringsAsFactors = FALSE), c(key, "v")), tags = key, version = version)
}

test_that("the escaping follows the connection's generation, not a fixed parser", {
  expect_identical(influxdbtoolkit:::line_protocol_escaping(influx_connect("http://127.0.0.1:9", version = "v1")), "go")
  expect_identical(influxdbtoolkit:::line_protocol_escaping(influx_connect("http://127.0.0.1:9", version = "v2")), "go")
  expect_identical(influxdbtoolkit:::line_protocol_escaping(influx_connect("http://127.0.0.1:9", version = "v3")), "rust")
  for (v in c("v1", "v2")) expect_identical(tag_line("k", "\\ east", v), "m,k=\\\\ east v=1")
  expect_identical(tag_line("k", "\\ east", "v3"), "m,k=\\\\\\ east v=1")
})

test_that("tag keys and values with backslashes are written for Rust's parser on 3.x", {
  # Rust: "\\" is a backslash, "\," "\=" "\ " the bare character, in keys and values alike.
  expect_identical(tag_line("regions", "\\ east", "v3"), "m,regions=\\\\\\ east v=1")
  expect_identical(tag_line("regions", "two\\back", "v3"), "m,regions=two\\\\back v=1")
  expect_identical(tag_line("regions", "east\\ ", "v3"), "m,regions=east\\\\\\  v=1")
  expect_identical(tag_line("regions", "\\,,=east", "v3"), "m,regions=\\\\\\,\\,\\=east v=1")
  expect_identical(tag_line("reg\\=ion", "east", "v3"), "m,reg\\\\\\=ion=east v=1")
  expect_identical(tag_line("k", "a\\\"b", "v3"), "m,k=a\\\\\"b v=1")
  expect_identical(tag_line("k", "\\\\x", "v3"), "m,k=\\\\\\\\x v=1")
  # ...where Go keeps the lone backslashes as they are
  expect_identical(tag_line("regions", "two\\back", "v1"), "m,regions=two\\back v=1")
  expect_identical(tag_line("reg\\=ion", "east", "v2"), "m,reg\\\\=ion=east v=1")
})

test_that("measurements and field keys with backslashes are written for Rust's parser on 3.x", {
  # Go cannot store these measurements (it unescapes them twice); Rust reads them back exactly.
  m3 <- function(m) dry(one("v"), m, version = "v3")
  expect_identical(m3("a\\b"), "a\\\\b v=1")
  expect_identical(m3("cpu\\=load"), "cpu\\\\=load v=1")
  expect_identical(m3("\\ east"), "\\\\\\ east v=1")
  expect_identical(m3("a\\,b"), "a\\\\\\,b v=1")
  expect_identical(m3("a\\\"b"), "a\\\\\"b v=1")
  expect_identical(m3("cpu=load"), "cpu=load v=1")
  expect_identical(m3(" lead"), "\\ lead v=1")
  for (m in c("cpu\\=load", "\\ east", "a\\,b")) refused(one("v"), m, version = "v2")
  f3 <- function(k) dry(one(k), version = "v3")
  expect_identical(f3("a\\\"b"), "m a\\\\\"b=1")
  expect_identical(f3("a\\,b"), "m a\\\\\\,b=1")
  expect_identical(f3("a\\\\,b"), "m a\\\\\\\\\\,b=1")
  expect_identical(f3("\\ east"), "m \\\\\\ east=1")
  expect_identical(f3("com,ma"), "m com\\,ma=1")
  refused(one("a\\,b"), version = "v1")
})

test_that("string field values are escaped alike for every parser", {
  # Both parsers read \" and \\ in a quoted string; a value ending in a backslash is fine there.
  s <- data.frame(s = c("say \"hi\"", "back\\slash\\\\", "x\\", "\\\"", "tab\tchar"), stringsAsFactors = FALSE)
  want <- c("m s=\"say \\\"hi\\\"\"", "m s=\"back\\\\slash\\\\\\\\\"", "m s=\"x\\\\\"", "m s=\"\\\\\\\"\"",
            "m s=\"tab\tchar\"")
  for (v in c("v1", "v2", "v3")) expect_identical(dry(s, tags = character(), fields = "s", version = v), want, info = v)
})

test_that("what Rust's parser cannot read back is refused on 3.x, and only there", {
  # A tab ends a name for Rust (no escape makes it literal); Go keeps a tab inside a name.
  for (df in list(data.frame(k = "\tv", v = 1), data.frame(k = "a\tb", v = 1))) {
    e <- refused(df, tags = "k", version = "v3")
    expect_match(conditionMessage(e), "tab")
  }
  expect_identical(tag_line("k", "a\tb", "v1"), "m,k=a\tb v=1")
  e <- refused(one("v"), "a\tb", version = "v3")
  expect_identical(e$column, "measurement")
  expect_identical(dry(one("v"), "a\tb", version = "v1"), "a\tb v=1")
  refused(one("a\tb"), version = "v3")
  refused(stats::setNames(data.frame("x", 1), c("a\tb", "v")), tags = "a\tb", version = "v3")
  # Rust refuses a name that reads back ending in a backslash, as Go cannot write one.
  for (v in c("v1", "v3")) {
    refused(data.frame(k = "ends\\", v = 1), tags = "k", version = v)
    refused(data.frame(k = "ends\\\\", v = 1), tags = "k", version = v)
    refused(one("x\\"), version = v)
    expect_identical(refused(one("v"), "x\\", version = v)$column, "measurement")
    expect_match(conditionMessage(refused(one("v"), "#hash", version = v)), "comment")
    refused(data.frame(k = "a\nb", v = 1), tags = "k", version = v)
  }
  # The row Go's line splitter would join with the next is plain text for Rust: every backslash
  # there is paired, so the splitter never sees a quote where there is none.
  df <- data.frame(`\\ k` = "v\"x", v = 1, check.names = FALSE, stringsAsFactors = FALSE)
  refused(df, tags = "\\ k", version = "v1")
  expect_identical(dry(df, tags = "\\ k", version = "v3"), "m,\\\\\\ k=v\"x v=1")
})

test_that("the Rust escaping survives garbage collection in the writer", {
  spec <- lp_spec(data.frame(k = c("\\ a", "b\\c"), v = c(1, 2), stringsAsFactors = FALSE), tags = "k")
  spec$escaping <- "rust"
  out <- under_gctorture(function() .Call(influxdbtoolkit:::C_lp_serialize, spec, 5L, FALSE))
  expect_identical(rawToChar(out$batches[[1]]), "m,k=\\\\\\ a v=1\nm,k=b\\\\c v=2\n")
  spec$escaping <- "perl"
  expect_error(.Call(influxdbtoolkit:::C_lp_serialize, spec, 5L, FALSE), "bad serialization spec")
  spec$escaping <- NULL
  expect_error(.Call(influxdbtoolkit:::C_lp_serialize, spec, 5L, FALSE), "bad serialization spec")
})
