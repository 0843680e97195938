split <- function(q) .Call(influxdbtoolkit:::C_iql_split, q)

test_that("identifiers and strings are quoted the way the InfluxQL scanner reads them", {
  qi <- influxdbtoolkit:::iql_ident
  qs <- influxdbtoolkit:::iql_string
  expect_equal(qi(c("plain", "wé ird,meas", 'a"b', "back\\slash", "new\nline", "")),
               c('"plain"', '"wé ird,meas"', '"a\\"b"', '"back\\\\slash"', '"new\\nline"', '""'))
  expect_equal(qs(c("O'Brien", "a\\'; DROP DATABASE x; --", "\U0001f3e2")),
               c("'O\\'Brien'", "'a\\\\\\'; DROP DATABASE x; --'", "'\U0001f3e2'"))
  expect_equal(qi(NA_character_), NA_character_)
})

test_that("statements split at top-level semicolons only", {
  s <- split("SELECT * FROM \"a;b\" WHERE t = 'x;y' AND r =~ /;|z/; SHOW DATABASES;; -- c;\n/* d; */ SELECT 1/2 FROM m")
  expect_equal(s$text, c("SELECT * FROM \"a;b\" WHERE t = 'x;y' AND r =~ /;|z/", "SHOW DATABASES",
                         "-- c;\n/* d; */ SELECT 1/2 FROM m"))
  expect_equal(s$keyword, c("SELECT", "SHOW", "SELECT"))
  expect_null(split("SELECT * FROM m WHERE a = 'open"))
  expect_equal(split("select \"v\" from m where x = 'it\\'s;'")$text, "select \"v\" from m where x = 'it\\'s;'")
  expect_length(split("  ;  ")$text, 0)
})

test_that("only reading statements count as read-only", {
  ro <- function(q) split(q)$read_only
  expect_true(ro("SELECT mean(v) FROM m GROUP BY time(1h)"))
  expect_true(ro("show measurements"))
  expect_true(ro("EXPLAIN SELECT * FROM m"))
  expect_false(ro("SELECT * INTO copy FROM m"))
  expect_false(ro("DROP DATABASE x"))
  expect_false(ro("DELETE FROM m"))
  expect_false(ro("CREATE USER u WITH PASSWORD 'p'"))
  expect_false(ro("GRANT ALL TO u"))
  expect_false(ro("SELEC * FROM m"))
  expect_equal(ro("SELECT * FROM \"INTO\"; SELECT 'into' FROM m"), c(TRUE, TRUE))
})
