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
       time = NULL, nrow = nrow(df))
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
  z <- under_gctorture(function() .Call(influxdbtoolkit:::C_gzip, charToRaw("m v=1\n")))
  expect_identical(memDecompress(z, "gzip", asChar = TRUE), "m v=1\n")
})
