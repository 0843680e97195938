# Layered settings for influx_connect(): explicit arguments, then environment variables, then a
# .env file in the working directory, then a profile of the configuration file. Each resolved
# value remembers where it came from, so print(con) can say so.

config_keys <- c(
  "url", "version", "database", "username", "password", "token", "org", "bucket", "writable",
  "timeout", "connect_timeout", "first_byte_timeout", "stall_timeout", "verify_tls", "ca_bundle",
  "tz", "gzip", "query_language", "units"
)

config_env_name <- function(key) paste0("INFLUXDB_", toupper(key))

#' Where influxdbtoolkit looks for its configuration file
#'
#' The file named by the environment variable `INFLUXDB_CONFIG`, else
#' `config.ini` in the per-user configuration directory of the package
#' (see [tools::R_user_dir()]).
#'
#' The file holds named profiles, one section each, with `key = value` lines;
#' keys are the argument names of [influx_connect()] (`url`, `version`,
#' `database`, `username`, `password`, `token`, `org`, `bucket`, `writable`,
#' `timeout`, `connect_timeout`, `first_byte_timeout`, `stall_timeout`,
#' `verify_tls`, `ca_bundle`, `tz`, `gzip`, `query_language`, `units`; a
#' unit mapping is written `units = temperature=degC, meter=m3`):
#'
#' ```
#' [default]
#' url = https://influx.example.org:8086
#' username = analyst
#' password = secret
#'
#' [lab-v2]
#' url = https://influx2.example.org
#' token = ...
#' org = lab
#' bucket = sensors
#' ```
#'
#' A file that holds a password or token should be readable by its owner only;
#' [influx_connect()] warns otherwise.
#' @return The path, whether or not the file exists.
#' @export
#' @examples
#' influx_config_path()
influx_config_path <- function() {
  path <- Sys.getenv("INFLUXDB_CONFIG", "")
  if (nzchar(path)) return(path.expand(path))
  file.path(tools::R_user_dir("influxdbtoolkit", "config"), "config.ini")
}

# KEY=value lines; `export KEY=value`; '#' comments; values in '...' are literal, values in "..."
# know \n, \t, \\ and \"; an unquoted value ends at " #".
read_dotenv <- function(path) {
  if (!file.exists(path)) return(list())
  lines <- readLines(path, warn = FALSE, encoding = "UTF-8")
  out <- list()
  for (line in lines) {
    line <- sub("^\\s*export\\s+", "", line)
    if (grepl("^\\s*(#|$)", line)) next
    m <- regmatches(line, regexec("^\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*=\\s*(.*?)\\s*$", line))[[1]]
    if (length(m) != 3) next
    key <- m[2]
    value <- m[3]
    q <- substr(value, 1, 1)
    if (q %in% c("'", '"')) {
      value <- dotenv_quoted(value, q)
    } else {
      value <- sub("\\s+#.*$", "", value)
    }
    out[[key]] <- value
  }
  out
}

# The text between the opening quote and its closing quote; what follows (a comment) is dropped.
# In double quotes \n, \t, \" and \\ are escapes; single quotes are literal.
dotenv_quoted <- function(value, q) {
  chars <- strsplit(value, "")[[1]]
  out <- character()
  i <- 2L
  while (i <= length(chars)) {
    ch <- chars[i]
    if (ch == q) break
    if (q == '"' && ch == "\\" && i < length(chars)) {
      i <- i + 1L
      ch <- switch(chars[i], n = "\n", t = "\t", chars[i])
    }
    out <- c(out, ch)
    i <- i + 1L
  }
  paste(out, collapse = "")
}

# Sections of an INI file as a list of named character vectors.
read_profiles <- function(path) {
  if (!file.exists(path)) return(list())
  lines <- readLines(path, warn = FALSE, encoding = "UTF-8")
  profiles <- list()
  current <- NULL
  for (line in lines) {
    if (grepl("^\\s*([#;]|$)", line)) next
    sec <- regmatches(line, regexec("^\\s*\\[\\s*([^]]+?)\\s*\\]\\s*$", line))[[1]]
    if (length(sec) == 2) {
      current <- sec[2]
      if (is.null(profiles[[current]])) profiles[[current]] <- character()
      next
    }
    kv <- regmatches(line, regexec("^\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*=\\s*(.*?)\\s*$", line))[[1]]
    if (length(kv) != 3 || is.null(current)) next
    key <- tolower(sub("^INFLUXDB_", "", kv[2], ignore.case = TRUE))
    value <- kv[3]
    if (grepl("^(['\"]).*\\1$", value)) value <- substr(value, 2, nchar(value) - 1)
    profiles[[current]][[key]] <- value
  }
  profiles
}

warn_if_readable_secrets <- function(path, profile) {
  if (!any(c("password", "token") %in% names(profile))) return(invisible())
  if (.Platform$OS.type != "unix") return(invisible())
  mode <- file.info(path)$mode
  if (!is.na(mode) && bitwAnd(as.integer(mode), strtoi("077", 8L)) != 0L) {
    warning(sprintf(
      "%s holds a password or token and can be read by other users; consider Sys.chmod(\"%s\", \"600\")",
      path, path
    ), call. = FALSE)
  }
}

# explicit: a named list of the arguments the caller gave (NULLs already dropped).
resolve_settings <- function(explicit, profile = NULL, call = NULL) {
  values <- list()
  sources <- character()
  take <- function(key, value, source) {
    if (is.null(values[[key]]) && !is.null(value) && !(is.character(value) && !nzchar(value[1]))) {
      values[[key]] <<- value
      sources[[key]] <<- source
    }
  }
  for (key in names(explicit)) take(key, explicit[[key]], "argument")
  for (key in config_keys) take(key, Sys.getenv(config_env_name(key), ""), "environment")

  dotenv_path <- file.path(getwd(), ".env")
  dotenv <- read_dotenv(dotenv_path)
  for (key in config_keys) take(key, dotenv[[config_env_name(key)]], ".env")

  if (is.null(profile)) {
    profile <- Sys.getenv("INFLUXDB_PROFILE", "")
    if (!nzchar(profile)) profile <- dotenv[["INFLUXDB_PROFILE"]] %||% ""
    if (!nzchar(profile)) profile <- NULL
  }
  path <- influx_config_path()
  profiles <- read_profiles(path)
  if (!is.null(profile)) {
    if (is.null(profiles[[profile]])) {
      abort_config(sprintf(
        "profile '%s' not found in %s%s", profile, path,
        if (length(profiles)) paste0(" (profiles: ", paste(names(profiles), collapse = ", "), ")") else " (no such file or no profiles)"
      ), call)
    }
    chosen <- profiles[[profile]]
  } else {
    chosen <- profiles[["default"]]
    if (!is.null(chosen)) profile <- "default"
  }
  if (!is.null(chosen)) {
    warn_if_readable_secrets(path, chosen)
    for (key in intersect(config_keys, names(chosen))) {
      take(key, chosen[[key]], sprintf("profile '%s'", profile))
    }
  }
  attr(values, "sources") <- sources
  values
}

as_flag <- function(x, what, call = NULL) {
  if (is.logical(x) && length(x) == 1 && !is.na(x)) return(x)
  if (is.character(x) && length(x) == 1) {
    v <- tolower(trimws(x))
    if (v %in% c("true", "t", "yes", "y", "1", "on")) return(TRUE)
    if (v %in% c("false", "f", "no", "n", "0", "off")) return(FALSE)
  }
  abort_config(sprintf("`%s` must be TRUE or FALSE, not %s", what, format_value(x)), call)
}

as_seconds <- function(x, what, call = NULL, finite = FALSE) {
  v <- suppressWarnings(as.numeric(x))
  if (length(v) != 1 || is.na(v) || v <= 0 || (finite && !is.finite(v))) {
    abort_config(sprintf("`%s` must be a positive %snumber of seconds%s, not %s", what,
                         if (finite) "finite " else "", if (finite) "" else " (Inf for no limit)",
                         format_value(x)), call)
  }
  v
}

format_value <- function(x) {
  if (is.null(x)) return("NULL")
  if (is.character(x) && length(x) == 1) return(sprintf('"%s"', x))
  paste(deparse(x, width.cutoff = 60L)[1], collapse = "")
}
