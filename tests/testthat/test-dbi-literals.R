# Numbers that DBI interpolates must be literals the server parses and must not change the text
# around them (found in the review of issue 11).

literal_con <- function(version = "v1", ...) {
  influx_connect("http://127.0.0.1:9", version = version, database = "db", ...)
}

test_that("numbers interpolate without exponent notation, which InfluxQL cannot parse, and exactly", {
  values <- c(1e-7, -1e-7, 1e20, -2.5e19, 1.2345678901234568e17, 1.7e18, 1e15 + 0.5, 0.1, 5e-324,
              .Machine$double.xmax, 3, -4, 123456.789)
  for (con in list(literal_con("v1"), literal_con("v3"))) {
    got <- as.character(DBI::dbQuoteLiteral(con, values))
    expect_false(any(grepl("[eE]", got)), info = paste(got, collapse = " "))
    # The literal reads back as the very same double.
    expect_identical(as.numeric(got), values)
    # A value beyond 64-bit integers keeps a point, so that InfluxQL reads a float, not an integer
    # it cannot hold ("unable to parse integer").
    expect_identical(got[3], paste0("1", strrep("0", 20), ".0"))
  }
  expect_identical(as.character(DBI::dbQuoteLiteral(literal_con("v1"), c(1e-7, 3, 0.1))),
                   c("0.000000099999999999999995", "3", "0.10000000000000001"))
})

test_that("a negative number after a minus sign does not become a -- comment", {
  for (con in list(literal_con("v1"), literal_con("v3"))) {
    for (x in list(-1, -1L, -0.5)) {
      got <- as.character(DBI::sqlInterpolate(con, "SELECT v FROM m WHERE v > 0-?x AND s = 'z'", x = x))
      expect_false(grepl("--", got, fixed = TRUE), info = got)
      expect_match(got, "AND s = 'z'$")
    }
    # Anywhere else a negative number reads as it is.
    expect_identical(as.character(DBI::sqlInterpolate(con, "SELECT v FROM m WHERE v > ?x", x = -1)),
                     "SELECT v FROM m WHERE v > -1")
  }
})

for_each_server("interpolated small, large and negative numbers parse and select the right points", {
  con <- connect_admin(srv)
  on.exit(DBI::dbDisconnect(con))
  m <- fresh_name("dbi_literals")
  df <- data.frame(time = as.POSIXct("2024-01-01", tz = "UTC") + 60 * 0:3, v = c(-5, 1e-9, 0.5, 3e18),
                   s = c("a", "b", "c", "d"), stringsAsFactors = FALSE)
  DBI::dbWriteTable(con, m, df)
  q <- paste("SELECT v FROM", DBI::dbQuoteIdentifier(con, m), "WHERE v > ?x")
  count <- function(x) nrow(DBI::dbGetQuery(con, DBI::sqlInterpolate(con, q, x = x)))
  expect_identical(count(1e-7), 2L)   # 0.5 and 3e18
  expect_identical(count(1e-10), 3L)
  expect_identical(count(2e18), 1L)
  expect_identical(count(1e20), 0L)
  # v > 0 - -10 and s = 'c' holds for no point; read as "v > 0" and a comment, it would hold for three.
  # (In SQL on 3.x: the stand-in's InfluxQL has no arithmetic.)
  sql_con <- if (srv$generation == "v3") connect_admin(srv, language = "sql") else con
  q2 <- paste("SELECT v FROM", DBI::dbQuoteIdentifier(sql_con, m), "WHERE v > 0-?x AND s = 'c'")
  expect_identical(nrow(DBI::dbGetQuery(sql_con, DBI::sqlInterpolate(sql_con, q2, x = -10))), 0L)
})

test_that("a ? in an InfluxQL regular expression is a quantifier, not a variable", {
  v1 <- literal_con("v1")
  sql <- "SELECT v FROM m WHERE host =~ /^colou?r$/ AND room !~ /a?x\\/?y/ AND v > ?v"
  pos <- DBI::sqlParseVariables(v1, sql)
  expect_identical(substring(sql, pos$start, pos$end), "?v")
  # With a variable of the name, the expression stayed unchanged.
  expect_identical(as.character(DBI::sqlInterpolate(v1, sql, v = 1, r = "z", x = "z")),
                   "SELECT v FROM m WHERE host =~ /^colou?r$/ AND room !~ /a?x\\/?y/ AND v > 1")
  # A slash elsewhere divides.
  expect_identical(as.character(DBI::sqlInterpolate(v1, "SELECT v / ?k FROM m WHERE v > ?k / 2", k = 4)),
                   "SELECT v / 4 FROM m WHERE v > 4 / 2")
})

test_that("text that is not UTF-8 is refused with influx_error_argument, before any request", {
  bad <- rawToChar(as.raw(c(0x61, 0xff, 0x62)))
  latin1 <- iconv("caf\u00e9", "UTF-8", "latin1")
  for (con in list(literal_con("v1"), literal_con("v3"))) {
    expect_error(DBI::dbQuoteString(con, c("ok", bad)), class = "influx_error_argument", regexp = "UTF-8")
    expect_error(DBI::dbQuoteIdentifier(con, bad), class = "influx_error_argument", regexp = "UTF-8")
    expect_error(DBI::dbQuoteIdentifier(con, DBI::Id(table = bad)), class = "influx_error_argument")
    expect_error(DBI::dbQuoteLiteral(con, bad), class = "influx_error_argument")
    expect_error(DBI::sqlInterpolate(con, "SELECT v FROM m WHERE x = ?val", val = bad),
                 class = "influx_error_argument", regexp = "\\?val")
    # DBI's parser stopped on such text with "missing value where TRUE/FALSE needed"
    expect_error(DBI::sqlInterpolate(con, paste0("SELECT v FROM m WHERE x = '", bad, "' AND y = ?val"), val = 1),
                 class = "influx_error_argument", regexp = "UTF-8")
    # Text in another encoding R knows is converted, not refused.
    expect_identical(as.character(DBI::dbQuoteString(con, latin1)), "'caf\u00e9'")
  }
})

test_that("a carriage return in an InfluxQL string is refused before sending: InfluxQL cannot carry one", {
  # InfluxQL's reader turns a carriage return into a line break, which ends a string literal
  # ("bad string"), and it has no escape for it; SQL strings take it as it is.
  con <- literal_con("v1")
  expect_error(DBI::dbQuoteString(con, c("ok", "a\rb")), class = "influx_error_argument", regexp = "carriage return")
  expect_error(DBI::sqlInterpolate(con, "SELECT v FROM m WHERE x = ?val", val = "a\rb"),
               class = "influx_error_argument")
  expect_identical(as.character(DBI::dbQuoteString(con, "a\nb")), "'a\\nb'")
  expect_identical(as.character(DBI::dbQuoteString(literal_con("v3"), "a\rb")), "'a\rb'")
})
