# JSON text from R values, for request bodies (the 2.x API, Flux's extern).

to_json <- function(x) {
  if (is.null(x)) return("null")
  if (is.list(x)) {
    if (!is.null(names(x))) {
      keys <- vapply(names(x), function(k) .Call(C_json_quote, enc2utf8(k)), "")
      return(paste0("{", paste0(keys, ":", vapply(x, to_json, ""), collapse = ","), "}"))
    }
    return(paste0("[", paste(vapply(x, to_json, ""), collapse = ","), "]"))
  }
  if (length(x) != 1) return(to_json(as.list(x)))
  if (is.na(x)) return("null")
  if (is.character(x)) return(.Call(C_json_quote, enc2utf8(x)))
  if (is.logical(x)) return(if (x) "true" else "false")
  if (is.numeric(x)) return(format(x, scientific = FALSE, digits = 15))
  stop("cannot encode ", class(x)[1], " as JSON")
}
