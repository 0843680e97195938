# InfluxDB 1.x: InfluxQL over /query (MessagePack), Flux over /api/v2/query from 1.8 on, writes
# to /write; databases with retention policies, users with privileges. Every method for
# influx_v1_connection is here (the generics are listed in backend.R).

#' @export
backend_label.influx_v1_connection <- function(con) "InfluxDB 1.x"

# Flux from 1.8 on (when the server enables it); Flux parameters from 1.9 on (1.8's Flux ignores
# the request's `extern`). A version not asked of the server (version = "v1") is assumed recent.
#' @export
backend_capabilities.influx_v1_connection <- function(con) {
  caps <- c(flux = TRUE, flux_params = FALSE, buckets = FALSE)
  if (!is.na(con$server_version %||% NA)) {
    v <- suppressWarnings(package_version(sub("^v?([0-9]+\\.[0-9]+).*$", "\\1", con$server_version), strict = FALSE))
    if (!is.na(v) && v < "1.8") caps[["flux"]] <- FALSE
    if (!is.na(v) && v >= "1.9") caps[["flux_params"]] <- TRUE
  }
  caps
}

#' @export
query_languages.influx_v1_connection <- function(con) c("influxql", if (has_capability(con, "flux")) "flux")

#' @export
default_query_language.influx_v1_connection <- function(con, query) con$query_language %||% detect_language(query)

#' @export
run_query.influx_v1_connection <- function(con, query, language, target, params, frame, call) {
  exchange_once(con, query_exchange(con, query, language, target, params, frame, call), call)
}

#' @export
query_exchange.influx_v1_connection <- function(con, query, language, target, params, frame, call) {
  if (language == "flux") return(flux_exchange(con, query, params, frame, NULL, call))
  influxql_exchange(con, query, compat_target(con, target, call), params, frame, call)
}

#' @export
compat_target.influx_v1_connection <- function(con, target, call) if (!is.null(target)) list(db = target, rp = NULL)

#' @export
series_language.influx_v1_connection <- function(con, language, call) {
  if (language == "flux") {
    abort_unsupported(con, "time series through Flux (1.x's Flux cannot align windows in a time zone; use language = \"influxql\")", call)
  }
  "influxql"
}

#' @export
read_series.influx_v1_connection <- function(con, series, call) {
  series_by_chunks(con, series, influxql_series_fetch(con, series$target, series$tz, call), call)
}

#' @export
list_databases.influx_v1_connection <- function(con, system, call) influxql_databases(con, system, call)

#' @export
list_measurements.influx_v1_connection <- function(con, target, call) influxql_measurements(con, target, call)

#' @export
list_tag_keys.influx_v1_connection <- function(con, target, measurement, call) {
  influxql_tag_keys(con, target, measurement, call)
}

#' @export
list_tag_values.influx_v1_connection <- function(con, target, measurement, key, call) {
  influxql_tag_values(con, target, measurement, key, call)
}

#' @export
list_field_keys.influx_v1_connection <- function(con, target, measurement, call) {
  influxql_field_keys(con, target, measurement, call)
}

#' @export
list_retention_policies.influx_v1_connection <- function(con, target, call) {
  influxql_retention_policies(con, target, call)
}

#' @export
write_endpoint.influx_v1_connection <- function(con, target, precision, call) {
  compat_write_endpoint(con, target, precision, call)
}

# Go's parser (models/points.go) keeps a backslash that escapes nothing.
#' @export
line_protocol_escaping.influx_v1_connection <- function(con) "go"

#' @export
delete_points.influx_v1_connection <- function(con, target, measurement, start_ns, end_ns, where, dry_run, call) {
  cond <- c(sprintf("time >= '%s' AND time < '%s'", ns_text(start_ns), ns_text(end_ns)), where_influxql(where))
  q <- sprintf("DELETE FROM %s WHERE %s", iql_ident(measurement), paste(cond, collapse = " AND "))
  influxql_change(con, q, compat_target(con, target, call), dry_run, call)
}

#' @export
drop_measurement.influx_v1_connection <- function(con, target, measurement, dry_run, call) {
  influxql_change(con, paste("DROP MEASUREMENT", iql_ident(measurement)), compat_target(con, target, call), dry_run, call)
}

#' @export
create_database.influx_v1_connection <- function(con, name, seconds, dry_run, call) {
  q <- paste("CREATE DATABASE", iql_ident(name), if (!is.null(seconds)) sprintf("WITH DURATION %ds", seconds))
  influxql_change(con, q, NULL, dry_run, call)
}

#' @export
drop_database.influx_v1_connection <- function(con, name, dry_run, call) {
  influxql_change(con, paste("DROP DATABASE", iql_ident(name)), NULL, dry_run, call)
}

#' @export
create_retention_policy.influx_v1_connection <- function(con, name, seconds, target, replication, default, dry_run, call) {
  q <- sprintf("CREATE RETENTION POLICY %s ON %s DURATION %s REPLICATION %d%s", iql_ident(name),
               iql_ident(target), if (is.null(seconds)) "INF" else paste0(seconds, "s"),
               as.integer(replication), if (isTRUE(default)) " DEFAULT" else "")
  influxql_change(con, q, NULL, dry_run, call)
}

#' @export
drop_retention_policy.influx_v1_connection <- function(con, name, target, dry_run, call) {
  influxql_change(con, sprintf("DROP RETENTION POLICY %s ON %s", iql_ident(name), iql_ident(target)), NULL, dry_run, call)
}

#' @export
list_users.influx_v1_connection <- function(con, call) {
  df <- influxql_read(con, "SHOW USERS", NULL, call)
  data.frame(name = df$user %||% character(), admin = df$admin %||% logical(), stringsAsFactors = FALSE)
}

#' @export
create_user.influx_v1_connection <- function(con, name, password, admin, dry_run, call) {
  q <- sprintf("CREATE USER %s WITH PASSWORD %s%s", iql_ident(name), iql_string(password),
               if (isTRUE(admin)) " WITH ALL PRIVILEGES" else "")
  if (dry_run) return(sub(iql_string(password), "'<password>'", q, fixed = TRUE))
  influxql_read(con, q, NULL, call)
  invisible(TRUE)
}

#' @export
drop_user.influx_v1_connection <- function(con, name, dry_run, call) {
  influxql_change(con, paste("DROP USER", iql_ident(name)), NULL, dry_run, call)
}

#' @export
change_privilege.influx_v1_connection <- function(con, verb, user, database, privilege, dry_run, call) {
  prep <- c(GRANT = "TO", REVOKE = "FROM")[[verb]]
  q <- sprintf("%s %s ON %s %s %s", verb, toupper(privilege), iql_ident(database), prep, iql_ident(user))
  influxql_change(con, q, NULL, dry_run, call)
}

# 1.8 and later answer /health with JSON; 1.7 and older have only /ping (204 when up).
#' @export
health_probe.influx_v1_connection <- function(con, call) {
  probe <- health_get(con, "/health", call)
  if (probe$code == 404L) health_get(con, "/ping", call) else probe
}

# 1.x has no readiness endpoint: a /ping answered with 204 means it serves queries and writes.
#' @export
ready_probe.influx_v1_connection <- function(con, call) {
  probe <- health_get(con, "/ping", call)
  structure(probe$code == 204L, message = if (probe$code == 204L) "ping answered" else probe$message)
}

# Downsampling: a continuous query whose SELECT ... INTO is the InfluxQL dialect's (R/downsample.R).
#' @export
create_downsampling.influx_v1_connection <- function(con, name, spec, schedule, dry_run, call) {
  db <- compat_target(con, spec$database, call)$db
  select <- downsampling_text(spec, "influxql", lookback = schedule$lookback)
  text <- sprintf("CREATE CONTINUOUS QUERY %s ON %s RESAMPLE EVERY %s FOR %s BEGIN %s END", iql_ident(name),
                  iql_ident(db), iql_duration(schedule$every), iql_duration(schedule$lookback), select)
  if (dry_run) return(text)
  influxql_read(con, text, NULL, call)
  downsampling_object(name, NA_character_, "continuous query", db, text, spec)
}

# 1.x keeps no mark of who made a continuous query: every one of the database is listed. SHOW
# CONTINUOUS QUERIES answers a series per database, whose name the decoded frame does not keep:
# the database is read from the statement, which the server writes with an identifier quoted only
# where it must be (influxql.QuoteIdent).
#' @export
list_downsamplings.influx_v1_connection <- function(con, target, all, call) {
  db <- compat_target(con, target, call)$db
  found <- influxql_read(con, "SHOW CONTINUOUS QUERIES", NULL, call)
  if (!nrow(found) || !all(c("name", "query") %in% names(found))) found <- data.frame(name = character(), query = character())
  ident <- function(x) unique(c(x, iql_ident(x)))
  on_db <- vapply(seq_len(nrow(found)), function(i) {
    heads <- outer(paste0("CREATE CONTINUOUS QUERY ", ident(found$name[i]), " ON "), paste0(ident(db), " "), paste0)
    any(startsWith(found$query[i], heads))
  }, NA)
  mine <- found[on_db, , drop = FALSE]
  n <- nrow(mine)
  data.frame(name = as.character(mine$name %||% character()), kind = rep("continuous query", n), id = rep(NA_character_, n),
             database = rep(db, n), status = rep("active", n), package = rep(NA, n),
             text = as.character(mine$query %||% character()), stringsAsFactors = FALSE)
}

# 1.x answers DROP CONTINUOUS QUERY for an unknown name without an error: it is looked up first.
#' @export
drop_downsampling.influx_v1_connection <- function(con, name, target, dry_run, call) {
  db <- compat_target(con, target, call)$db
  if (!dry_run && !name %in% list_downsamplings(con, target, TRUE, call)$name) {
    abort_argument(sprintf("no continuous query named '%s' on database '%s'", name, db), call)
  }
  influxql_change(con, sprintf("DROP CONTINUOUS QUERY %s ON %s", iql_ident(name), iql_ident(db)), NULL, dry_run, call)
}

#' @export
run_downsample.influx_v1_connection <- function(con, spec, start_s, end_s, dry_run, call) {
  text <- downsampling_text(spec, "influxql", range = c(start_s, end_s))
  if (dry_run) return(text)
  res <- influxql_read(con, text, compat_target(con, spec$database, call), call)
  invisible(structure(text, written = if (length(res$written)) sum(as.numeric(res$written)) else 0))
}

# influx_copy() reads 1.x: every series (GROUP BY *) with exact nanosecond times and integers.
#' @export
check_copy_source.influx_v1_connection <- function(con, call) invisible(TRUE)

#' @export
read_points.influx_v1_connection <- function(con, target, rp, measurement, start_ns, end_ns, call) {
  q <- sprintf("SELECT * FROM %s WHERE %s GROUP BY *", copy_from_clause(rp, measurement), copy_time_clause(start_ns, end_ns))
  frame <- decode_options("UTC", "integer64", "error", call, time_ns = TRUE)
  influxql_query(con, q, compat_target(con, target, call), NULL, frame, call)
}

#' @export
count_values.influx_v1_connection <- function(con, target, rp, measurement, start_ns, end_ns, call) {
  influxql_count_values(con, target, rp, measurement, start_ns, end_ns, call)
}

# SHOW SERIES EXACT CARDINALITY miscounts measurements with escaped names on 1.6 (41 for 33
# series): the keys themselves are counted, one short row per series.
#' @export
count_series.influx_v1_connection <- function(con, target, rp, measurement, call) {
  df <- influxql_read(con, paste("SHOW SERIES FROM", copy_from_clause(rp, measurement)), compat_target(con, target, call), call)
  as.numeric(nrow(df))
}
