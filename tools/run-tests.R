# Runs the test suite against the installed package and prints one closing line
# "N passed, N failed, N skipped"; exits non-zero when anything failed.
library(testthat)
options(testthat.progress.max_fails = Inf)
suppressPackageStartupMessages(library(influxdbtoolkit))
res <- testthat::test_dir(
  "tests/testthat", package = "influxdbtoolkit", load_package = "installed",
  reporter = ProgressReporter$new(show_praise = FALSE), stop_on_failure = FALSE
)
df <- as.data.frame(res)
passed <- sum(df$passed)
failed <- sum(df$failed) + sum(df$error)
skipped <- sum(df$skipped)
cat(sprintf("\n%d passed, %d failed, %d skipped\n", passed, failed, skipped))
if (failed > 0 || passed == 0) quit(status = 1)
