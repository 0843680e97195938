#' Which database or bucket a call addresses
#'
#' Every verb that reads or changes data ([influx_query()],
#' [influx_timeseries()], the exploration functions, [influx_write()],
#' [influx_delete()], the administration functions) decides where it goes by
#' one rule:
#'
#' 1. the `database` argument of the call, when given;
#' 2. otherwise, on a server with buckets (InfluxDB 2.x), the connection's
#'    `bucket`, and failing that its `database`;
#' 3. otherwise (InfluxDB 1.x) the connection's `database`.
#'
#' On 2.x the target is therefore a bucket, and a connection writes to and
#' reads from the same one. InfluxQL (and the 1.x-compatible `/write` of a
#' connection with a user name and password) reaches a bucket through its
#' DBRP mapping, whose database name may differ from the bucket's name: with a
#' token, the package looks the bucket's default mapping up (`/api/v2/dbrps`)
#' and uses its database name, and a bucket without a mapping is an
#' `influx_error_config` saying so. A name that is no bucket is taken as the
#' database name of a mapping. A connection with a user name and password
#' cannot read mappings, so it uses the name as it is.
#'
#' @param database Database (1.x) or bucket (2.x) the call addresses; default:
#'   the connection's (see [influx_target]).
#' @name influx_target
#' @keywords internal
NULL

# The rule above: the one place that picks the target of a call. `required = FALSE` lets a call
# that can do without one (influx_query() of SHOW DATABASES, Flux) go on with NULL.
influx_target <- function(con, database = NULL, call = NULL, required = TRUE) {
  if (!is.null(database) && (!is.character(database) || length(database) != 1 || is.na(database))) {
    abort_argument("`database` must be one string", call)
  }
  target <- database %||% if (has_capability(con, "buckets")) con$bucket %||% con$database else con$database
  if (required && (is.null(target) || !nzchar(target))) {
    abort_argument("no database or bucket: pass `database` or connect with one", call)
  }
  target
}
