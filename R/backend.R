# One description per server generation: its query languages, endpoints and what it can do.
# Code that depends on the generation asks the backend, never the version string; a v3 backend
# is one more entry here.

backends <- list(
  v1 = list(
    generation = "v1",
    label = "InfluxDB 1.x",
    languages = "influxql",
    auth = "basic",
    endpoints = list(ping = "/ping", query = "/query", write = "/write", flux = "/api/v2/query"),
    # flux: 1.8 and later, when the server enables it; flux_params: 1.9 and later (1.8's Flux
    # ignores the request's `extern`); both set per server at connect
    capabilities = c(influxql = TRUE, flux = TRUE, flux_params = FALSE, buckets = FALSE, tokens = FALSE,
                     users = TRUE, grants = TRUE, retention_policies = TRUE, delete_api = FALSE)
  ),
  v2 = list(
    generation = "v2",
    label = "InfluxDB 2.x",
    languages = c("flux", "influxql"),
    auth = "token",
    endpoints = list(ping = "/ping", query = "/query", flux = "/api/v2/query",
                     write = "/api/v2/write", health = "/health"),
    capabilities = c(influxql = TRUE, flux = TRUE, flux_params = TRUE, buckets = TRUE, tokens = TRUE,
                     users = TRUE, grants = FALSE, retention_policies = FALSE, delete_api = TRUE)
  )
)

# "1.6.7~rc0", "1.8.10", "v2.7.12", "2.7.12", "3.0.1" -> "v1", "v2", "v3"
generation_from_version <- function(version) {
  v <- sub("^v", "", version)
  major <- suppressWarnings(as.integer(sub("^([0-9]+).*$", "\\1", v)))
  if (is.na(major)) return(NA_character_)
  paste0("v", major)
}

normalize_version <- function(version, call = NULL) {
  v <- tolower(trimws(as.character(version)[1]))
  if (v %in% c("auto", "")) return("auto")
  v <- sub("^v", "", v)
  major <- sub("^([0-9]+).*$", "\\1", v)
  if (major %in% c("1", "2")) return(paste0("v", major))
  if (major == "3") {
    influx_abort(
      "influx_error_unsupported",
      "InfluxDB 3 is not supported yet: use its v1-compatible API with version = \"v1\"",
      version = version, operation = "connect", call = call
    )
  }
  abort_config(sprintf("`version` must be \"auto\", \"v1\" or \"v2\", not %s", format_value(version)), call)
}

# What this particular server can do, refined from the backend's defaults by its version.
server_capabilities <- function(backend, server_version) {
  caps <- backend$capabilities
  if (backend$generation == "v1" && !is.na(server_version)) {
    v <- suppressWarnings(package_version(sub("^v?([0-9]+\\.[0-9]+).*$", "\\1", server_version), strict = FALSE))
    if (!is.na(v) && v < "1.8") caps[["flux"]] <- FALSE
    if (!is.na(v) && v >= "1.9") caps[["flux_params"]] <- TRUE
  }
  caps
}

backend_for <- function(generation, call = NULL) {
  b <- backends[[generation]]
  if (is.null(b)) {
    influx_abort("influx_error_unsupported",
                 sprintf("server generation %s is not supported", generation),
                 version = generation, operation = "connect", call = call)
  }
  b
}

has_capability <- function(con, capability) {
  isTRUE(con$backend$capabilities[[capability]])
}

require_capability <- function(con, capability, operation, call = NULL) {
  if (!has_capability(con, capability)) abort_unsupported(con, operation, call)
  invisible(TRUE)
}
