# gctorture for one .Call alone: the collector runs at every allocation inside the C code, so an
# unprotected SEXP is collected (and its memory reused) as soon as it could be, and a wrong result
# or crash shows it. Only the .Call runs under torture, with its arguments built beforehand:
# whole test files under gctorture would take hours.
# Errors and warnings leave torture first: testthat's handlers are R code that would otherwise run
# under it, for minutes. Warnings are signalled again once the call has returned.
torture_call <- function(fn, ...) {
  args <- list(...)
  warned <- list()
  on.exit(gctorture(FALSE))
  res <- tryCatch(
    withCallingHandlers({
      gctorture(TRUE)
      switch(length(args) + 1L,
        .Call(fn),
        .Call(fn, args[[1L]]),
        .Call(fn, args[[1L]], args[[2L]]),
        .Call(fn, args[[1L]], args[[2L]], args[[3L]]),
        stop("torture_call() takes up to three arguments")
      )
    }, warning = function(w) {
      gctorture(FALSE)
      warned[[length(warned) + 1L]] <<- w
      gctorture(TRUE)
      invokeRestart("muffleWarning")
    }),
    error = function(e) e
  )
  gctorture(FALSE)
  for (w in warned) warning(w)
  if (inherits(res, "error")) stop(conditionMessage(res), call. = FALSE)
  res
}

# The same call without and with torture must agree exactly (attributes and encodings included).
expect_torture_identical <- function(fn, ..., info = NULL) {
  plain <- .Call(fn, ...)
  tortured <- torture_call(fn, ...)
  expect_identical(tortured, plain, info = info)
  invisible(plain)
}

# An error under torture must be the same error as without.
expect_torture_error <- function(fn, ..., info = NULL) {
  plain <- tryCatch(.Call(fn, ...), error = conditionMessage)
  tortured <- tryCatch(torture_call(fn, ...), error = conditionMessage)
  expect_type(plain, "character")
  expect_identical(tortured, plain, info = info)
}

native <- function(name) getNativeSymbolInfo(name, "influxdbtoolkit")
