#' Connect to an InfluxDB server
#'
#' Opens a connection to InfluxDB 1.x (user name and password), 2.x (token)
#' or 3.x (token; a user name and password give the password as the token).
#' The connection's class names the server generation, e.g.
#' `c("influx_v2_connection", "influx_connection")`.
#' Every setting can come from the arguments, the environment, a `.env` file
#' in the working directory, or a profile of the configuration file, in that
#' order of precedence (see [influx_config_path()]).
#'
#' The environment variables are `INFLUXDB_URL`, `INFLUXDB_VERSION`,
#' `INFLUXDB_DATABASE`, `INFLUXDB_USERNAME`, `INFLUXDB_PASSWORD`,
#' `INFLUXDB_TOKEN`, `INFLUXDB_ORG`, `INFLUXDB_BUCKET`, `INFLUXDB_WRITABLE`,
#' and also `INFLUXDB_TIMEOUT`, `INFLUXDB_CONNECT_TIMEOUT`,
#' `INFLUXDB_FIRST_BYTE_TIMEOUT`, `INFLUXDB_STALL_TIMEOUT`,
#' `INFLUXDB_VERIFY_TLS`, `INFLUXDB_CA_BUNDLE`, `INFLUXDB_TZ`, `INFLUXDB_GZIP`,
#' `INFLUXDB_QUERY_LANGUAGE` and `INFLUXDB_PROFILE` (the profile to use).
#'
#' Credentials never go into URLs: 1.x gets HTTP Basic authentication, 2.x an
#' `Authorization: Token` header, 3.x `Authorization: Bearer` (its `/ping`
#' needs the token too). The password or token is kept inside the C
#' connection object only and never printed.
#'
#' @section Time limits:
#' A request has four limits, each a number of seconds (`Inf` for none):
#'
#' * `connect_timeout` (default 10): setting up the TCP and TLS connection
#'   (finite: libcurl knows no connection attempt without a limit);
#' * `first_byte_timeout` (default 600): from the last byte of the request
#'   sent until the first byte of the answer's body. The server computes the
#'   whole answer of an aggregate (a year-long median, a Flux `pivot()`)
#'   before it sends anything, which can take minutes;
#' * `stall_timeout` (default 60): once the answer has begun (or while the
#'   request is being sent), the longest time without a single byte. A long
#'   read keeps going as long as data keeps coming;
#' * `timeout` (default none): the whole request, however healthy.
#'
#' Each expiry raises `influx_error_timeout` (an `influx_error_transport`)
#' with the subclass `influx_error_timeout_connect`,
#' `influx_error_timeout_first_byte`, `influx_error_timeout_stall` or
#' `influx_error_timeout_total`; its fields `limit` and `seconds` say which
#' limit expired and what it was. The limits of a connection are in
#' `con$timeouts`.
#'
#' @section Redirects:
#' Redirects are not followed: an answer `3xx` raises `influx_error_http_3xx`
#' (for example `influx_error_http_307`) whose message and field `location`
#' give the address the server points to; connect to that address instead.
#' Neither the request nor the credentials are sent anywhere but `url`.
#'
#' @param url Server address, `http://host:port` or `https://...`, optionally
#'   with a path prefix when the server sits behind a reverse proxy.
#' @param version `"auto"` (ask the server's `/ping`), `"v1"`, `"v2"` or `"v3"`.
#'   With an explicit version no request is made until the first call.
#' @param database Default database (1.x) of every call (see [influx_target]).
#' @param username,password 1.x credentials (on 2.x, those of a v1
#'   authorization, which the 1.x-compatible endpoints accept).
#' @param token 2.x API token (needed for Flux and the 2.x API); 3.x token.
#' @param org,bucket 2.x organisation and default bucket of every call (see
#'   [influx_target]).
#' @param timeout Seconds a whole request may take (default: no limit; see
#'   "Time limits").
#' @param first_byte_timeout Seconds to wait for the first byte of an answer
#'   after the request is sent (default 600).
#' @param stall_timeout Seconds without a byte, once an answer has begun,
#'   after which the request fails (default 60).
#' @param verify_tls Verify the server's TLS certificate (default `TRUE`).
#' @param tz Time zone of the time columns of results (default
#'   `"Europe/Zurich"`); it changes display only, never the instants.
#' @param writable Allow calls that change data. A connection is read-only
#'   unless this is `TRUE` (or `INFLUXDB_WRITABLE=true`): such calls are then
#'   refused before any request is made.
#' @param profile Name of the configuration-file profile to use (default
#'   `INFLUXDB_PROFILE`, else the `[default]` section if there is one).
#' @param connect_timeout Seconds to wait for the TCP/TLS connection (default 10).
#' @param ca_bundle Path of a CA certificate bundle to verify TLS with.
#' @param gzip Ask for gzip-compressed responses. Default: yes unless the
#'   server is on this machine, where compression costs more than it saves.
#' @param query_language The language [influx_query()] uses when its
#'   `language` is `"auto"`: one of the server's languages. Default: told from
#'   the query's text (on 1.x and 2.x, InfluxQL when it starts with an InfluxQL
#'   keyword, Flux otherwise); on 3.x, `"sql"` (set `"influxql"` for reports
#'   written in InfluxQL).
#' @param units Unit mapping of every call with `units = TRUE`: a named
#'   character vector, field, measurement or tag value to unit, such as
#'   `c(value = "degC", meter = "m3")`, or in the environment
#'   (`INFLUXDB_UNITS`), `.env` or a profile the text
#'   `temperature=degC, meter=m3` (see [influx_units()]). A call's own
#'   mapping comes first.
#' @return An `influx_connection`.
#' @seealso [influx_ping()], [influx_disconnect()], [influx_query()]
#' @export
#' @examples
#' # An explicit version makes no request, so this runs without a server:
#' con <- influx_connect("http://127.0.0.1:8086", version = "v1",
#'                       database = "sensors", username = "analyst",
#'                       password = "not shown")
#' con
#' influx_disconnect(con)
influx_connect <- function(url = NULL, version = "auto", database = NULL, username = NULL,
                           password = NULL, token = NULL, org = NULL, bucket = NULL,
                           timeout = NULL, verify_tls = NULL, tz = "Europe/Zurich",
                           writable = FALSE, profile = NULL, connect_timeout = NULL,
                           ca_bundle = NULL, gzip = NULL, first_byte_timeout = NULL,
                           stall_timeout = NULL, query_language = NULL, units = NULL) {
  call <- sys.call()
  explicit <- list(
    url = url, version = if (!missing(version)) version, database = database,
    username = username, password = password, token = token, org = org, bucket = bucket,
    timeout = timeout, verify_tls = verify_tls, tz = if (!missing(tz)) tz,
    writable = if (!missing(writable)) writable, connect_timeout = connect_timeout,
    ca_bundle = ca_bundle, gzip = gzip, first_byte_timeout = first_byte_timeout,
    stall_timeout = stall_timeout, query_language = query_language
  )
  explicit <- explicit[!vapply(explicit, is.null, TRUE)]
  for (key in names(explicit)) {
    v <- explicit[[key]]
    if (length(v) != 1 || (!is.character(v) && !is.numeric(v) && !is.logical(v)) || is.na(v)) {
      abort_argument(sprintf("`%s` must be a single value, not %s", key, format_value(v)), call)
    }
  }
  if (!is.null(units)) explicit$units <- check_unit_mapping(units, "units", call)
  s <- resolve_settings(explicit, profile, call)
  sources <- attr(s, "sources")

  if (is.null(s$url)) {
    abort_config("no server URL: pass `url`, set INFLUXDB_URL, or add `url` to a profile", call)
  }
  url <- parse_server_url(s$url, call)
  version <- normalize_version(s$version %||% "auto", call)
  tz <- s$tz %||% "Europe/Zurich"
  check_tz(tz, call)
  gzip <- if (is.null(s$gzip)) !url$loopback else as_flag(s$gzip, "gzip", call)

  defaults <- c(connect = 10, first_byte = 600, stall = 60, total = Inf)
  setting <- c(connect = "connect_timeout", first_byte = "first_byte_timeout", stall = "stall_timeout",
               total = "timeout")
  timeouts <- vapply(names(defaults), function(limit) {
    v <- s[[setting[[limit]]]]
    if (is.null(v)) defaults[[limit]] else as_seconds(v, setting[[limit]], call, finite = limit == "connect")
  }, 0)
  handle_opts <- list(
    base_url = url$base, username = s$username, password = s$password, token = s$token,
    timeout = timeouts[["total"]], connect_timeout = timeouts[["connect"]],
    first_byte_timeout = timeouts[["first_byte"]], stall_timeout = timeouts[["stall"]],
    verify_tls = if (is.null(s$verify_tls)) TRUE else as_flag(s$verify_tls, "verify_tls", call),
    ca_bundle = s$ca_bundle, gzip = gzip, user_agent = user_agent()
  )
  handle <- .Call(C_handle_new, handle_opts)
  fields <- list(
    handle = handle,
    url = url$base,
    generation = if (version == "auto") NA_character_ else version,
    capabilities = NULL,
    server_version = NA_character_,
    server_build = NA_character_,
    database = s$database,
    org = s$org,
    bucket = s$bucket,
    username = s$username,
    auth = if (!is.null(s$token)) "token" else if (!is.null(s$username)) "basic" else "none",
    tz = tz,
    query_language = if (!is.null(s$query_language)) tolower(s$query_language),
    writable = if (is.null(s$writable)) FALSE else as_flag(s$writable, "writable", call),
    verify_tls = if (is.null(s$verify_tls)) TRUE else as_flag(s$verify_tls, "verify_tls", call),
    timeouts = timeouts,
    units = if (!is.null(s$units)) check_unit_mapping(s$units, "units", call),
    sources = sources,
    # What a backend learns about the server once and keeps (a 2.x bucket's DBRP mapping).
    cache = new.env(parent = emptyenv())
  )
  if (version == "auto") {
    ping <- ping_once(structure(fields, class = "influx_connection"), call)
    if (is.na(version_major(ping$version))) {
      abort_config(sprintf("could not tell the server generation from its version '%s': pass `version`", ping$version), call)
    }
    fields$generation <- normalize_version(ping$version, call)
    fields$server_version <- ping$version
    fields$server_build <- ping$build
  }
  con <- finish_connect(structure(fields, class = connection_class(fields$generation)), handle_opts, call)
  con$capabilities <- backend_capabilities(con)
  if (!is.null(con$query_language) && !con$query_language %in% query_languages(con)) {
    abort_config(sprintf("`query_language` must be one of %s for %s, not %s",
                         paste0('"', query_languages(con), '"', collapse = ", "), backend_label(con),
                         format_value(con$query_language)), call)
  }
  con
}

parse_server_url <- function(x, call = NULL) {
  x <- trimws(as.character(x))
  m <- regmatches(x, regexec("^(https?)://([^/?#]*)([^?#]*)$", x, ignore.case = TRUE))[[1]]
  if (length(m) != 4) {
    abort_config(sprintf("`url` must look like http://host:port or https://host, not \"%s\"", x), call)
  }
  authority <- m[3]
  if (grepl("@", authority, fixed = TRUE)) {
    abort_config("`url` must not contain credentials: pass `username`/`password` or `token` instead", call)
  }
  if (!nzchar(authority)) abort_config(sprintf("`url` has no host: \"%s\"", x), call)
  host <- sub(":[0-9]*$", "", authority)
  host <- gsub("^\\[|\\]$", "", host)
  path <- sub("/+$", "", m[4])
  list(
    base = paste0(tolower(m[2]), "://", authority, path),
    host = host,
    loopback = tolower(host) %in% c("localhost", "::1") || grepl("^127\\.", host)
  )
}

# OlsonNames() reads the zone database from disk (about 13 ms): every query checks its `tz`, so
# the names are read once per session.
known_zones <- local({
  zones <- NULL
  function() {
    if (is.null(zones)) zones <<- c("UTC", "GMT", OlsonNames())
    zones
  }
})

check_tz <- function(tz, call = NULL) {
  if (!is.character(tz) || length(tz) != 1 || is.na(tz) || !(tz %in% known_zones())) {
    abort_argument(sprintf("`tz` must be a time zone name such as \"Europe/Zurich\", not %s", format_value(tz)), call)
  }
}

user_agent <- function() {
  sprintf("influxdbtoolkit/%s (R %s; libcurl %s)", utils::packageVersion("influxdbtoolkit"),
          getRversion(), .Call(C_curl_version))
}

ping_once <- function(con, call = NULL) {
  res <- influx_http(con, "GET", "/ping", sink = "none", call = call)
  if (is.na(res$version)) {
    influx_abort("influx_error_decode",
                 sprintf("%s answered /ping without an X-Influxdb-Version header: is it an InfluxDB server?", con$url),
                 detail = "missing X-Influxdb-Version", call = call)
  }
  list(version = res$version, build = res$build, seconds = res$seconds)
}

#' Ask the server whether it is up
#'
#' Sends `GET /ping`, which needs no authentication.
#' @param con A connection from [influx_connect()].
#' @return A list of class `influx_ping`: `version` and `build` as the server
#'   reports them, `rtt` (round-trip seconds) and `url`.
#' @export
#' @examples
#' con <- influx_connect("http://127.0.0.1:9", version = "v1")
#' # No server listens on port 9, so this is a classed transport error:
#' tryCatch(influx_ping(con), influx_error_transport = conditionMessage)
influx_ping <- function(con) {
  call <- sys.call()
  p <- ping_once(con, call)
  structure(list(version = p$version, build = p$build, rtt = p$seconds, url = con$url),
            class = "influx_ping")
}

#' @export
print.influx_ping <- function(x, ...) {
  cat(sprintf("InfluxDB %s (%s) at %s answered in %.1f ms\n", x$version, x$build %||% "", x$url, 1000 * x$rtt))
  invisible(x)
}

#' Close a connection
#'
#' Frees the underlying curl handles at once (they would otherwise be freed
#' when the connection is garbage collected). Using the connection afterwards
#' raises an error of class `influx_error_closed`. A connection cannot be
#' closed while one of its requests runs (from R code run meanwhile, such as
#' an event callback): that raises `influx_error_busy`.
#' @param con A connection from [influx_connect()].
#' @return `TRUE`, invisibly.
#' @export
#' @examples
#' con <- influx_connect("http://127.0.0.1:8086", version = "v1")
#' influx_disconnect(con)
influx_disconnect <- function(con) {
  call <- sys.call()
  if (!inherits(con, "influx_connection")) abort_argument("`con` must be a connection from influx_connect()", call)
  check_not_busy(con, call)
  .Call(C_handle_close, con$handle)
  invisible(TRUE)
}

# A copy of `con` with a handle of its own: same address, credentials and settings, the time
# limits in `limits` (seconds: connect, first_byte, stall, total) changed. A buffered writer sends
# on one, so a query in progress on `con` never makes it busy.
clone_connection <- function(con, limits = list()) {
  con$handle <- .Call(C_handle_clone, con$handle, limits)
  for (limit in names(limits)) con$timeouts[[limit]] <- limits[[limit]]
  con
}

#' @export
format.influx_connection <- function(x, ...) {
  open <- .Call(C_handle_is_open, x$handle)
  server <- if (!is.na(x$server_version)) paste("InfluxDB", x$server_version) else backend_label(x)
  # The build says which product answered (OSS, Core, Enterprise): 3.x Core and Enterprise differ.
  if (is.character(x$server_build) && length(x$server_build) == 1 && !is.na(x$server_build) &&
      nzchar(x$server_build)) server <- paste(server, x$server_build)
  auth <- switch(x$auth,
    basic = sprintf("user %s (password %s)", x$username, "hidden"),
    token = "token (hidden)",
    none = "no credentials"
  )
  src <- x$sources
  from <- function(key) {
    where <- unname(src[key])
    if (!is.na(where) && where != "argument") paste0(" [", where, "]") else ""
  }
  target <- if (has_capability(x, "buckets")) {
    sprintf("org: %s%s   bucket: %s%s", x$org %||% "-", from("org"), x$bucket %||% "-", from("bucket"))
  } else {
    sprintf("database: %s%s", x$database %||% "-", from("database"))
  }
  c(
    sprintf("<influx_connection> %s (%s, %s) at %s%s%s%s", server, x$generation,
            paste(query_languages(x), collapse = "/"), x$url, from("url"), if (open) "" else " [closed]",
            if (isFALSE(x$verify_tls)) " [TLS certificate not verified]" else ""),
    sprintf("  %s   auth: %s", target, auth),
    sprintf("  tz: %s   %s", x$tz, if (x$writable) "writable" else "read-only")
  )
}

#' @export
print.influx_connection <- function(x, ...) {
  cat(format(x, ...), sep = "\n")
  invisible(x)
}
