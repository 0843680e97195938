#' Explore what a server holds
#'
#' The same questions and the same answers on 1.x and 2.x. On 1.x they are
#' InfluxQL `SHOW` statements. On 2.x (connected with a token) databases are
#' buckets, listed through the API page by page, and the rest is asked with
#' Flux's `schema` functions over the bucket's whole time range (not their
#' default of the last 30 days); a 2.x connection with a user name and password
#' asks InfluxQL through the 1.x-compatible endpoint instead.
#'
#' @param con A connection from [influx_connect()].
#' @param system Include system databases (`_internal` on 1.x) or buckets
#'   (`_monitoring`, `_tasks` on 2.x).
#' @param database Database or bucket (default: the connection's).
#' @param measurement Measurement name (for field keys on 1.x, `NULL` lists the
#'   fields of all measurements, with a `measurement` column).
#' @param key Tag key whose values to list.
#' @return A data frame: `name` for databases and measurements; `key` for tag
#'   keys; `value` for tag values; `field` and `type` (`"float"`, `"integer"`,
#'   `"unsigned"`, `"string"`, `"boolean"`) for field keys; `name`, `duration`
#'   and `shard_duration` (`difftime`, `Inf` for forever), `replication` and
#'   `default` for retention policies.
#' @name influx_explore
#' @examplesIf nzchar(Sys.getenv("INFLUXTK_EXAMPLE_URL"))
#' con <- influx_connect(Sys.getenv("INFLUXTK_EXAMPLE_URL"), database = "influxtk_demo")
#' influx_databases(con)
#' influx_measurements(con)
#' influx_tag_keys(con, "climate")
#' influx_tag_values(con, "climate", "room")
#' influx_field_keys(con, "climate")
#' influx_retention_policies(con)
NULL

#' @rdname influx_explore
#' @export
influx_databases <- function(con, system = FALSE) {
  call <- sys.call()
  check_open(con, call)
  if (flux_native(con)) {
    buckets <- v2_buckets(con, call)
    names <- vapply(buckets, function(b) b$name, "")
    if (!isTRUE(system)) names <- names[vapply(buckets, function(b) !identical(b$type, "system"), NA)]
    return(data.frame(name = sort(names, method = "radix"), stringsAsFactors = FALSE))
  }
  require_capability(con, "influxql", "listing databases", call)
  df <- influx_query(con, "SHOW DATABASES")
  names <- if ("name" %in% names(df)) df$name else character()
  if (!isTRUE(system)) names <- names[!startsWith(names, "_")]
  data.frame(name = sort(names, method = "radix"), stringsAsFactors = FALSE)
}

#' @rdname influx_explore
#' @export
influx_measurements <- function(con, database = NULL) {
  call <- sys.call()
  database <- target_database(con, database, call)
  if (flux_native(con)) {
    df <- schema_query(con, "schema.measurements(bucket: %s, %s)", database)
    return(data.frame(name = sort(as.character(df[["_value"]]), method = "radix"), stringsAsFactors = FALSE))
  }
  df <- influx_query(con, paste("SHOW MEASUREMENTS ON", iql_ident(database)), database = database)
  data.frame(name = if ("name" %in% names(df)) df$name else character(), stringsAsFactors = FALSE)
}

#' @rdname influx_explore
#' @export
influx_tag_keys <- function(con, measurement, database = NULL) {
  call <- sys.call()
  database <- target_database(con, database, call)
  check_name(measurement, "measurement", call)
  if (flux_native(con)) {
    df <- schema_query(con, paste0("schema.tagKeys(bucket: %s, predicate: (r) => r._measurement == ",
                                   flux_string(measurement), ", %s)"), database)
    keys <- setdiff(as.character(df[["_value"]]), c("_start", "_stop", "_measurement", "_field"))
    return(data.frame(key = sort(keys, method = "radix"), stringsAsFactors = FALSE))
  }
  df <- influx_query(con, paste("SHOW TAG KEYS ON", iql_ident(database), "FROM", iql_ident(measurement)), database = database)
  data.frame(key = if ("tagKey" %in% names(df)) df$tagKey else character(), stringsAsFactors = FALSE)
}

#' @rdname influx_explore
#' @export
influx_tag_values <- function(con, measurement, key, database = NULL) {
  call <- sys.call()
  database <- target_database(con, database, call)
  check_name(measurement, "measurement", call)
  check_name(key, "key", call)
  if (flux_native(con)) {
    df <- schema_query(con, paste0("schema.tagValues(bucket: %s, tag: ", flux_string(key),
                                   ", predicate: (r) => r._measurement == ", flux_string(measurement), ", %s)"), database)
    return(data.frame(value = sort(as.character(df[["_value"]]), method = "radix"), stringsAsFactors = FALSE))
  }
  df <- influx_query(con, paste("SHOW TAG VALUES ON", iql_ident(database), "FROM", iql_ident(measurement),
                                "WITH KEY =", iql_ident(key)), database = database)
  data.frame(value = if ("value" %in% names(df)) df$value else character(), stringsAsFactors = FALSE)
}

#' @rdname influx_explore
#' @export
influx_field_keys <- function(con, measurement = NULL, database = NULL) {
  call <- sys.call()
  database <- target_database(con, database, call)
  if (!is.null(measurement)) check_name(measurement, "measurement", call)
  if (flux_native(con)) {
    if (is.null(measurement)) abort_argument("on 2.x, name the `measurement` whose field keys to list", call)
    # The type of each field, from the first value of each series (Flux has no field type index).
    is_type <- function(flux_type, name) sprintf('if types.isType(v: r._value, type: "%s") then "%s"', flux_type, name)
    df <- schema_query(con, paste0(
      'from(bucket: %s) |> range(%s)\n  |> filter(fn: (r) => r._measurement == ', flux_string(measurement), ')\n',
      '  |> first()\n  |> map(fn: (r) => ({_field: r._field, type: ',
      is_type("float", "float"), " else ", is_type("int", "integer"), " else ", is_type("uint", "unsigned"), " else ",
      is_type("string", "string"), " else ", is_type("bool", "boolean"), ' else "unknown"}))\n',
      '  |> group() |> unique(column: "_field") |> sort(columns: ["_field"])'
    ), database, imports = "types")
    return(data.frame(field = as.character(df[["_field"]]), type = as.character(df[["type"]]), stringsAsFactors = FALSE))
  }
  q <- paste("SHOW FIELD KEYS ON", iql_ident(database))
  if (!is.null(measurement)) q <- paste(q, "FROM", iql_ident(measurement))
  df <- influx_query(con, q, database = database)
  out <- data.frame(
    field = if ("fieldKey" %in% names(df)) df$fieldKey else character(),
    type = if ("fieldType" %in% names(df)) df$fieldType else character(),
    stringsAsFactors = FALSE
  )
  if ("measurement" %in% names(df)) out <- cbind(measurement = df$measurement, out, stringsAsFactors = FALSE)
  out
}

#' @rdname influx_explore
#' @export
influx_retention_policies <- function(con, database = NULL) {
  call <- sys.call()
  database <- target_database(con, database, call)
  if (flux_native(con)) {
    bucket <- v2_bucket(con, database, call)
    rule <- if (length(bucket$retentionRules)) bucket$retentionRules[[1]] else list()
    forever <- is.null(rule$everySeconds) || rule$everySeconds == 0
    mappings <- v2_api(con, "GET", "/api/v2/dbrps", query = c(orgID = bucket$orgID, bucketID = bucket$id), call = call)$content
    rps <- vapply(mappings, function(m) m$retention_policy %||% "autogen", "")
    defaults <- vapply(mappings, function(m) isTRUE(m$default), NA)
    if (length(rps) == 0) { rps <- "autogen"; defaults <- TRUE }
    keep <- !duplicated(rps)
    return(retention_frame(rps[keep], if (forever) Inf else rule$everySeconds,
                           rule$shardGroupDurationSeconds %||% NA_real_, 1L, defaults[keep]))
  }
  df <- influx_query(con, paste("SHOW RETENTION POLICIES ON", iql_ident(database)), database = database)
  if (nrow(df) == 0) return(retention_frame(character(), numeric(), numeric(), integer(), logical()))
  seconds <- function(x) vapply(as.character(x), function(d) as.numeric(.Call(C_parse_duration, d)) / 1e9, 0, USE.NAMES = FALSE)
  duration <- seconds(df$duration)
  retention_frame(df$name, ifelse(duration == 0, Inf, duration), seconds(df$shardGroupDuration),
                  as.integer(df$replicaN), as.logical(df$default))
}

retention_frame <- function(name, duration, shard, replication, default) {
  n <- length(name)
  data.frame(name = name, duration = as.difftime(rep_len(as.numeric(duration), n), units = "secs"),
             shard_duration = as.difftime(rep_len(as.numeric(shard), n), units = "secs"),
             replication = rep_len(as.integer(replication), n), default = rep_len(as.logical(default), n),
             stringsAsFactors = FALSE)
}

# 2.x with a token speaks its own API and Flux; with a user name and password only the
# 1.x-compatible endpoints answer.
flux_native <- function(con) {
  identical(con$generation, "v2") && identical(con$auth, "token") && has_capability(con, "flux")
}

# All buckets of the organisation, page by page.
v2_buckets <- function(con, call) {
  page <- as.integer(getOption("influxdbtoolkit.page_size", 100L))
  out <- list()
  repeat {
    got <- v2_api(con, "GET", "/api/v2/buckets",
                  query = c(org = con$org, limit = as.character(page), offset = as.character(length(out))),
                  call = call)$buckets
    out <- c(out, got)
    if (length(got) < page) break
  }
  out
}

# Flux over the whole time InfluxDB can store, for `template` with %s for the bucket and for the
# range arguments.
schema_query <- function(con, template, bucket, imports = "influxdata/influxdb/schema") {
  range <- "start: 1677-09-21T00:12:43.145224194Z, stop: 2262-04-11T23:47:16.854775806Z"
  text <- paste0(paste0("import ", vapply(imports, flux_string, ""), collapse = "\n"), "\n\n",
                 sprintf(template, flux_string(bucket), range))
  influx_query(con, text, language = "flux")
}

target_database <- function(con, database, call) {
  check_open(con, call)
  if (!flux_native(con)) require_capability(con, "influxql", "exploring databases", call)
  database <- database %||% (if (flux_native(con)) con$bucket) %||% con$database
  if (is.null(database) || !is.character(database) || length(database) != 1 || is.na(database) || !nzchar(database)) {
    abort_argument("no database: pass `database` or connect with one", call)
  }
  database
}
