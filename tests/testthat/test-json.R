json <- function(x) .Call(influxdbtoolkit:::C_json_parse, x)

test_that("JSON values become R values", {
  v <- json('{"a": 1, "b": [1, 2.5, null], "c": ["x", null], "d": {"e": true}, "f": null, "g": [], "h": [1, "x"]}')$value
  expect_equal(v$a, 1)
  expect_identical(v$b, c(1, 2.5, NA))
  expect_identical(v$c, c("x", NA))
  expect_identical(v$d, list(e = TRUE))
  expect_null(v$f)
  expect_identical(v$g, list())
  expect_identical(v$h, list(1, "x"))
})

test_that("string escapes and unicode decode to UTF-8", {
  v <- json(charToRaw('"q\\" b\\\\ s\\/ n\\n t\\t u\\u00fc e\\ud83c\\udfe2 raw \u00e9"'))$value
  expect_equal(v, "q\" b\\ s/ n\n t\t u\u00fc e\U0001f3e2 raw \u00e9")
  expect_equal(Encoding(v), "UTF-8")
  expect_equal(json('-1.5e3')$value, -1500)
})

test_that("malformed and truncated JSON is an error with a position", {
  bad <- c('{"a": 1', '{"a" 1}', '[1, 2', '"open', '{"a": tru}', '[1,]', '01x', '"\\ud800"',
           '"\\x"', '{"a":1} trailing', '', '-', '1.', '"ctl\001"')
  for (b in bad) {
    r <- json(b)
    expect_false(r$ok, info = b)
    expect_match(r$error, "at byte [0-9]+", info = b)
  }
  deep <- paste0(strrep("[", 10000), strrep("]", 10000))
  expect_match(json(deep)$error, "nesting too deep")
})

test_that("bind parameters are encoded as a JSON object", {
  enc <- influxdbtoolkit:::encode_params
  expect_equal(enc(list(room = "O'Brien \"x\"\n", n = 2L, f = 0.1, ok = TRUE), NULL),
               '{"room":"O\'Brien \\"x\\"\\n","n":2,"f":0.10000000000000001,"ok":true}')
  t <- as.POSIXct("2024-03-31 03:00:00.25", tz = "Europe/Zurich")
  expect_equal(enc(list(t = t), NULL), '{"t":"2024-03-31T01:00:00.250000Z"}')
  expect_error(enc(list(x = NA), NULL), class = "influx_error_argument")
  expect_error(enc(list(x = 1:2), NULL), class = "influx_error_argument")
  expect_error(enc(list(Inf), NULL), class = "influx_error_argument")
})

test_that("text R strings cannot hold is a parse error, not an R error", {
  nul <- json('{"a": "x\\u0000y"}')
  expect_false(nul$ok)
  expect_match(nul$error, "NUL.*at byte [0-9]+")
  bad <- json(as.raw(c(0x22, 0x61, 0xff, 0xfe, 0x62, 0x22))) # "a", two bytes that are not UTF-8, "b"
  expect_false(bad$ok)
  expect_match(bad$error, "UTF-8.*at byte 2")
  for (b in list(c(0x22, 0xc3, 0x22), c(0x22, 0xe2, 0x82, 0x22), c(0x22, 0xed, 0xa0, 0x80, 0x22),
                 c(0x22, 0xc0, 0xaf, 0x22), c(0x22, 0xf4, 0x90, 0x80, 0x80, 0x22)))
    expect_false(json(as.raw(b))$ok, info = paste(b, collapse = " "))
  ok <- json(as.raw(c(0x22, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x8f, 0xa2, 0x22)))
  expect_true(ok$ok)
  expect_equal(ok$value, "\u00e9\u20ac\U0001f3e2")
})
