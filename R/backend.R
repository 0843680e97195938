# What every server generation shares: the generics the verbs call, their defaults, and the
# registry of generations. Each generation's methods live together in R/backend-v<N>.R; a verb
# never asks which generation it talks to. A generic without a method for a generation raises
# influx_error_unsupported (its default method below), so a generation that cannot do something
# simply has no method for it.
#
# The generics (con is an influx_<gen>_connection; target is what influx_target() decided):
#   backend_label(con)                          "InfluxDB 1.x": printing and error messages
#   finish_connect(con, handle_opts, call)      the connection once its generation is known (e.g.
#                                               a handle with another authorization scheme)
#   backend_capabilities(con)                   named logicals (flux, flux_params, buckets), refined
#                                               at connect by the server's version
#   query_languages(con)                        the languages influx_query() accepts on it
#   default_query_language(con, query)          the language of influx_query(language = "auto")
#   run_query(con, query, language, target, params, frame, call)   influx_query() once checked
#   query_exchange(con, query, language, target, params, frame, call)  run_query() as one exchange
#                                               (R/read-many.R), or NULL where it is not one request
#   compat_target(con, target, call)            list(db, rp): target as the 1.x-compatible endpoints
#                                               (/query, /write) name it; on 2.x its DBRP mapping
#   series_language(con, language, call)       the language influx_timeseries() uses for `language`
#                                               ("auto" or one of query_languages(con))
#   read_series(con, series, call)              influx_timeseries() once checked: the series
#                                               description in, time/group_by/fields frame out
#   list_databases(con, system, call)           influx_databases()
#   list_measurements(con, target, call)        influx_measurements()
#   list_tag_keys(con, target, measurement, call)          influx_tag_keys()
#   list_tag_values(con, target, measurement, key, call)   influx_tag_values()
#   list_field_keys(con, target, measurement, call)        influx_field_keys()
#   list_retention_policies(con, target, call)  influx_retention_policies()
#   write_endpoint(con, target, precision, call)  path and query string of a write request
#   line_protocol_escaping(con)                 "go" or "rust": whose line-protocol parser reads
#                                               the names influx_write() sends (lineproto.h)
#   rejected_lines(con, error)                  the lines of a failed write batch the server names
#                                               (data.frame(line, message)), or NULL
#   delete_points(con, target, measurement, start_ns, end_ns, where, dry_run, call)  influx_delete()
#   drop_measurement(con, target, measurement, dry_run, call)  influx_drop_measurement()
#   create_database(con, name, seconds, dry_run, call)     influx_create_database()
#   drop_database(con, name, dry_run, call)                influx_drop_database()
#   create_retention_policy(con, name, seconds, target, replication, default, dry_run, call)
#   drop_retention_policy(con, name, target, dry_run, call)
#   list_users(con, call), create_user(con, name, password, admin, dry_run, call),
#   drop_user(con, name, dry_run, call)
#   change_privilege(con, verb, user, database, privilege, dry_run, call)  grant and revoke
#   create_token(con, description, read, write, dry_run, call), list_tokens(con, call),
#   delete_token(con, id, dry_run, call)
#   list_dbrps(con, bucket, database, call)     influx_dbrps(): 2.x's DBRP mappings
#   create_dbrp(con, bucket, database, retention_policy, default, dry_run, call)
#   drop_dbrp(con, id, database, retention_policy, dry_run, call)
#   health_probe(con, call)                     influx_health(): a health_get() result
#   ready_probe(con, call)                      influx_ready(): TRUE/FALSE with attribute message
#   create_downsampling(con, name, spec, schedule, dry_run, call)  a continuous query or task
#                                               (R/downsample.R); spec resolved, schedule in seconds
#   list_downsamplings(con, target, all, call)  influx_downsamplings()
#   drop_downsampling(con, name, target, dry_run, call)  influx_drop_downsampling()
#   run_downsample(con, spec, start_s, end_s, dry_run, call)  influx_downsample(): the backfill

# Major version -> generation. A generation is registered here and written as backend-v<N>.R.
generations <- c("1" = "v1", "2" = "v2", "3" = "v3")

# The classes of a connection to `generation`, e.g. c("influx_v2_connection", "influx_connection").
connection_class <- function(generation) c(paste0("influx_", generation, "_connection"), "influx_connection")

# "1.6.7~rc0", "1.8.10", "v2.7.12", "2.7.12", "3.0.1" -> "1", "1", "2", "2", "3" (NA if none)
version_major <- function(version) {
  v <- sub("^v", "", tolower(trimws(as.character(version)[1])))
  if (!grepl("^[0-9]+", v)) return(NA_character_)
  sub("^([0-9]+).*$", "\\1", v)
}

# `version` of influx_connect() (or the server's own version) -> a registered generation.
normalize_version <- function(version, call = NULL) {
  v <- tolower(trimws(as.character(version)[1]))
  if (v %in% c("auto", "")) return("auto")
  major <- version_major(v)
  if (!is.na(major) && major %in% names(generations)) return(generations[[major]])
  abort_config(sprintf("`version` must be \"auto\", %s, not %s",
                       paste0('"', generations, '"', collapse = ", "), format_value(version)), call)
}

# A dummy connection of every registered generation, to ask what generations know in general.
generation_prototypes <- function() {
  lapply(generations, function(g) structure(list(generation = g, capabilities = NULL), class = connection_class(g)))
}

has_capability <- function(con, capability) {
  isTRUE(con$capabilities[[capability]])
}

require_capability <- function(con, capability, operation, call = NULL) {
  if (!has_capability(con, capability)) abort_unsupported(con, operation, call)
  invisible(TRUE)
}

# ---- generics ------------------------------------------------------------------------------

backend_label <- function(con) UseMethod("backend_label")
#' @export
backend_label.influx_connection <- function(con) "InfluxDB"

finish_connect <- function(con, handle_opts, call) UseMethod("finish_connect")
#' @export
finish_connect.influx_connection <- function(con, handle_opts, call) con

backend_capabilities <- function(con) UseMethod("backend_capabilities")
#' @export
backend_capabilities.influx_connection <- function(con) c(flux = FALSE, flux_params = FALSE, buckets = FALSE)

query_languages <- function(con) UseMethod("query_languages")
#' @export
query_languages.influx_connection <- function(con) character()

default_query_language <- function(con, query) UseMethod("default_query_language")
#' @export
default_query_language.influx_connection <- function(con, query) {
  abort_unsupported(con, "queries", NULL)
}

run_query <- function(con, query, language, target, params, frame, call) UseMethod("run_query")
#' @export
run_query.influx_connection <- function(con, query, language, target, params, frame, call) {
  abort_unsupported(con, paste("queries in", language), call)
}

query_exchange <- function(con, query, language, target, params, frame, call) UseMethod("query_exchange")
#' @export
query_exchange.influx_connection <- function(con, query, language, target, params, frame, call) NULL

compat_target <- function(con, target, call) UseMethod("compat_target")
#' @export
compat_target.influx_connection <- function(con, target, call) {
  abort_unsupported(con, "the 1.x-compatible endpoints", call)
}

series_language <- function(con, language, call) UseMethod("series_language")
#' @export
series_language.influx_connection <- function(con, language, call) abort_unsupported(con, "time series", call)

read_series <- function(con, series, call) UseMethod("read_series")
#' @export
read_series.influx_connection <- function(con, series, call) {
  abort_unsupported(con, "time series", call)
}

list_databases <- function(con, system, call) UseMethod("list_databases")
#' @export
list_databases.influx_connection <- function(con, system, call) abort_unsupported(con, "listing databases", call)

list_measurements <- function(con, target, call) UseMethod("list_measurements")
#' @export
list_measurements.influx_connection <- function(con, target, call) abort_unsupported(con, "listing measurements", call)

list_tag_keys <- function(con, target, measurement, call) UseMethod("list_tag_keys")
#' @export
list_tag_keys.influx_connection <- function(con, target, measurement, call) abort_unsupported(con, "listing tag keys", call)

list_tag_values <- function(con, target, measurement, key, call) UseMethod("list_tag_values")
#' @export
list_tag_values.influx_connection <- function(con, target, measurement, key, call) {
  abort_unsupported(con, "listing tag values", call)
}

list_field_keys <- function(con, target, measurement, call) UseMethod("list_field_keys")
#' @export
list_field_keys.influx_connection <- function(con, target, measurement, call) {
  abort_unsupported(con, "listing field keys", call)
}

list_retention_policies <- function(con, target, call) UseMethod("list_retention_policies")
#' @export
list_retention_policies.influx_connection <- function(con, target, call) {
  abort_unsupported(con, "listing retention policies", call)
}

write_endpoint <- function(con, target, precision, call) UseMethod("write_endpoint")
#' @export
write_endpoint.influx_connection <- function(con, target, precision, call) abort_unsupported(con, "writing", call)

line_protocol_escaping <- function(con) UseMethod("line_protocol_escaping")
#' @export
line_protocol_escaping.influx_connection <- function(con) abort_unsupported(con, "writing line protocol", NULL)

rejected_lines <- function(con, error) UseMethod("rejected_lines")
#' @export
rejected_lines.influx_connection <- function(con, error) NULL

delete_points <- function(con, target, measurement, start_ns, end_ns, where, dry_run, call) UseMethod("delete_points")
#' @export
delete_points.influx_connection <- function(con, target, measurement, start_ns, end_ns, where, dry_run, call) {
  abort_unsupported(con, "deleting points", call)
}

drop_measurement <- function(con, target, measurement, dry_run, call) UseMethod("drop_measurement")
#' @export
drop_measurement.influx_connection <- function(con, target, measurement, dry_run, call) {
  abort_unsupported(con, "dropping a measurement", call)
}

create_database <- function(con, name, seconds, dry_run, call) UseMethod("create_database")
#' @export
create_database.influx_connection <- function(con, name, seconds, dry_run, call) {
  abort_unsupported(con, "creating a database", call)
}

drop_database <- function(con, name, dry_run, call) UseMethod("drop_database")
#' @export
drop_database.influx_connection <- function(con, name, dry_run, call) abort_unsupported(con, "dropping a database", call)

create_retention_policy <- function(con, name, seconds, target, replication, default, dry_run, call) {
  UseMethod("create_retention_policy")
}
#' @export
create_retention_policy.influx_connection <- function(con, name, seconds, target, replication, default, dry_run, call) {
  abort_unsupported(con, "retention policies", call)
}

drop_retention_policy <- function(con, name, target, dry_run, call) UseMethod("drop_retention_policy")
#' @export
drop_retention_policy.influx_connection <- function(con, name, target, dry_run, call) {
  abort_unsupported(con, "retention policies", call)
}

list_users <- function(con, call) UseMethod("list_users")
#' @export
list_users.influx_connection <- function(con, call) abort_unsupported(con, "users", call)

create_user <- function(con, name, password, admin, dry_run, call) UseMethod("create_user")
#' @export
create_user.influx_connection <- function(con, name, password, admin, dry_run, call) abort_unsupported(con, "users", call)

drop_user <- function(con, name, dry_run, call) UseMethod("drop_user")
#' @export
drop_user.influx_connection <- function(con, name, dry_run, call) abort_unsupported(con, "users", call)

change_privilege <- function(con, verb, user, database, privilege, dry_run, call) UseMethod("change_privilege")
#' @export
change_privilege.influx_connection <- function(con, verb, user, database, privilege, dry_run, call) {
  abort_unsupported(con, paste(tolower(verb), "of database privileges"), call)
}

create_token <- function(con, description, read, write, dry_run, call) UseMethod("create_token")
#' @export
create_token.influx_connection <- function(con, description, read, write, dry_run, call) {
  abort_unsupported(con, "API tokens", call)
}

list_tokens <- function(con, call) UseMethod("list_tokens")
#' @export
list_tokens.influx_connection <- function(con, call) abort_unsupported(con, "API tokens", call)

delete_token <- function(con, id, dry_run, call) UseMethod("delete_token")
#' @export
delete_token.influx_connection <- function(con, id, dry_run, call) abort_unsupported(con, "API tokens", call)

# Only 2.x maps databases and retention policies to buckets: 1.x and 3.x name the database itself.
dbrp_unsupported <- "DBRP mappings (only InfluxDB 2.x has them: 1.x and 3.x name the database itself in InfluxQL)"

list_dbrps <- function(con, bucket, database, call) UseMethod("list_dbrps")
#' @export
list_dbrps.influx_connection <- function(con, bucket, database, call) abort_unsupported(con, dbrp_unsupported, call)

create_dbrp <- function(con, bucket, database, retention_policy, default, dry_run, call) UseMethod("create_dbrp")
#' @export
create_dbrp.influx_connection <- function(con, bucket, database, retention_policy, default, dry_run, call) {
  abort_unsupported(con, dbrp_unsupported, call)
}

drop_dbrp <- function(con, id, database, retention_policy, dry_run, call) UseMethod("drop_dbrp")
#' @export
drop_dbrp.influx_connection <- function(con, id, database, retention_policy, dry_run, call) {
  abort_unsupported(con, dbrp_unsupported, call)
}

health_probe <- function(con, call) UseMethod("health_probe")
#' @export
health_probe.influx_connection <- function(con, call) health_get(con, "/health", call)

ready_probe <- function(con, call) UseMethod("ready_probe")
#' @export
ready_probe.influx_connection <- function(con, call) abort_unsupported(con, "influx_ready()", call)

downsampling_unsupported <- "downsampling (continuous queries on 1.x, tasks on 2.x)"

create_downsampling <- function(con, name, spec, schedule, dry_run, call) UseMethod("create_downsampling")
#' @export
create_downsampling.influx_connection <- function(con, name, spec, schedule, dry_run, call) {
  abort_unsupported(con, downsampling_unsupported, call)
}

list_downsamplings <- function(con, target, all, call) UseMethod("list_downsamplings")
#' @export
list_downsamplings.influx_connection <- function(con, target, all, call) abort_unsupported(con, downsampling_unsupported, call)

drop_downsampling <- function(con, name, target, dry_run, call) UseMethod("drop_downsampling")
#' @export
drop_downsampling.influx_connection <- function(con, name, target, dry_run, call) {
  abort_unsupported(con, downsampling_unsupported, call)
}

run_downsample <- function(con, spec, start_s, end_s, dry_run, call) UseMethod("run_downsample")
#' @export
run_downsample.influx_connection <- function(con, spec, start_s, end_s, dry_run, call) {
  abort_unsupported(con, downsampling_unsupported, call)
}

# influx_copy(): reading a measurement's raw points, counting field values, and the 1.x-style
# authorization that keeps InfluxQL reports working on 2.x (see R/copy.R).
#   check_copy_source(con, call)                TRUE where influx_copy() can read from
#   read_points(con, target, rp, measurement, start_ns, end_ns, call)   every point of the
#                                               measurement in [start, end): time_ns, tags, fields
#   count_values(con, target, rp, measurement, start_ns, end_ns, call)  named counts per field
#   count_series(con, target, rp, measurement, call)   number of series (NA if not cheap)
#   create_v1_authorization(con, bucket, username, password, write, dry_run, call)
check_copy_source <- function(con, call) UseMethod("check_copy_source")
#' @export
check_copy_source.influx_connection <- function(con, call) {
  abort_unsupported(con, "copying data from it (influx_copy() reads InfluxDB 1.x)", call)
}

read_points <- function(con, target, rp, measurement, start_ns, end_ns, call) UseMethod("read_points")
#' @export
read_points.influx_connection <- function(con, target, rp, measurement, start_ns, end_ns, call) {
  abort_unsupported(con, "reading raw points for a copy", call)
}

count_values <- function(con, target, rp, measurement, start_ns, end_ns, call) UseMethod("count_values")
#' @export
count_values.influx_connection <- function(con, target, rp, measurement, start_ns, end_ns, call) {
  abort_unsupported(con, "counting the values a copy wrote", call)
}

count_series <- function(con, target, rp, measurement, call) UseMethod("count_series")
#' @export
count_series.influx_connection <- function(con, target, rp, measurement, call) NA_real_

create_v1_authorization <- function(con, bucket, username, password, write, dry_run, call) {
  UseMethod("create_v1_authorization")
}
#' @export
create_v1_authorization.influx_connection <- function(con, bucket, username, password, write, dry_run, call) {
  abort_unsupported(con, "1.x-style authorizations (only InfluxDB 2.x has them)", call)
}
