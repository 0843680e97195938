# The flux engine's `connection` option when it names nothing (found in the review of issue 11:
# knitting stopped with base R's "object 'no_such_con' not found", not the package's error).

skip_if_not_installed("knitr")

test_that("a flux chunk whose connection names no object stops with influx_error_argument naming it", {
  for (error in c(TRUE, FALSE)) {
    doc <- c(sprintf("```{flux, connection = 'no_such_con', error = %s}", error), "buckets()", "```")
    err <- tryCatch(knitr::knit(text = doc, quiet = TRUE, envir = new.env()), error = function(e) e)
    expect_s3_class(err, "influx_error_argument")
    expect_match(conditionMessage(err), "no_such_con", fixed = TRUE)
  }
})
