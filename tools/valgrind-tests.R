# Runs the given test files (names without "test-" and ".R") against the installed package, for
# `make valgrind`: R itself runs under valgrind, so these are tests that need no server. valgrind
# decides the outcome (its exit code); test failures are listed but do not fail the run, since
# valgrind computes x87 long double in double precision and R's parser uses long double, so a
# few literals (1e-300, 1e300) read differently there ("Writing R Extensions", valgrind). `make
# test` judges the results.
args <- commandArgs(trailingOnly = TRUE)
library(testthat)
suppressPackageStartupMessages(library(influxdbtoolkit))
failed <- character()
for (name in args) {
  res <- as.data.frame(testthat::test_file(file.path("tests/testthat", paste0("test-", name, ".R")),
                                           package = "influxdbtoolkit", load_package = "installed",
                                           reporter = "summary"))
  bad <- res$failed > 0 | res$error
  if (any(bad)) failed <- c(failed, paste0(res$file[bad], ": ", res$test[bad]))
}
if (length(failed)) {
  cat("\nTests that failed under valgrind (check them with make test):\n", paste0("  ", failed, "\n"), sep = "")
}
