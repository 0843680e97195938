# Checks of arguments shared by several calls; each raises influx_error_argument.

check_name <- function(x, what, call, hint = NULL) {
  if (!is.character(x) || length(x) != 1 || is.na(x) || !nzchar(x)) {
    abort_argument(paste0(sprintf("`%s` must be one non-empty string", what), if (!is.null(hint)) paste0(": ", hint)), call)
  }
  invisible(x)
}

check_where <- function(where, call) {
  if (is.null(where) || length(where) == 0) return(NULL)
  keys <- names(where)
  if (!is.list(where) || is.null(keys) || anyNA(keys) || any(!nzchar(keys)) || anyDuplicated(keys)) {
    abort_argument("`where` must be a named list of tag values, e.g. list(sensor = \"a\", room = c(\"office\", \"lab\"))", call)
  }
  lapply(stats::setNames(seq_along(where), keys), function(i) {
    v <- where[[i]]
    if (is.factor(v)) v <- as.character(v)
    if (!(is.character(v) || is.numeric(v) || is.logical(v)) || length(v) == 0 || anyNA(v)) {
      abort_argument(sprintf("`where$%s` must be one or more tag values (text), without NA", keys[i]), call)
    }
    enc2utf8(as.character(v))
  })
}
