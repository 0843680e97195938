#' DBRP mappings: how InfluxQL finds a 2.x bucket
#'
#' InfluxQL (and the 1.x-compatible `/query` and `/write`) name a database and
#' retention policy; InfluxDB 2.x finds the bucket they mean through a DBRP
#' mapping. Since 2.4 every bucket has a *virtual* mapping of its own name
#' (database = the bucket's name, retention policy `autogen`; a bucket named
#' `"db/rp"` maps to database `db`, retention policy `rp`), which goes with
#' the bucket and cannot be created or dropped on its own. Older servers, and
#' buckets that report readers should reach under another name, need a
#' mapping made for them: InfluxQL on a bucket without one raises an
#' `influx_error_config` that names the bucket and the call to make.
#'
#' `influx_dbrps()` lists the mappings of the connection's organisation
#' (`GET /api/v2/dbrps`), optionally of one `bucket` or `database`.
#' `influx_create_dbrp()` maps `database` and `retention_policy` to `bucket`
#' (`POST /api/v2/dbrps`); the next InfluxQL call on the bucket uses it.
#' `influx_drop_dbrp()` deletes a mapping by its `id`, or every mapping of a
#' `database` (of one `retention_policy` if given). Creating and dropping
#' need a writable connection; `dry_run = TRUE` returns what would be sent.
#'
#' All three need a 2.x connection with a token and an organisation; 1.x and
#' 3.x have no DBRP mappings (InfluxQL names their databases directly) and
#' raise `influx_error_unsupported`. A mapping the server refuses (for
#' example a second one for the same database and retention policy: 2.7 answers HTTP 422)
#' raises `influx_error_http` with the server's message.
#'
#' @param con A connection from [influx_connect()] (writable for changes).
#' @param bucket Name of the bucket.
#' @param database Database name InfluxQL uses (default: the bucket's name).
#' @param retention_policy Retention policy name InfluxQL uses.
#' @param default Make it the database's default mapping (used when a query
#'   names no retention policy).
#' @param id Id of a mapping, from `influx_dbrps()`.
#' @param dry_run Return what would be sent instead of sending it.
#' @return `influx_dbrps()`: a data frame with `id`, `database`,
#'   `retention_policy`, `default`, `virtual`, `bucket_id`, `bucket` and
#'   `org`. `influx_create_dbrp()`: invisibly, the new mapping as a one-row
#'   data frame of the same columns (dry run: the JSON body). `influx_drop_dbrp()`:
#'   invisibly, the requests sent.
#' @name influx_dbrp
#' @examples
#' con <- influx_connect("http://127.0.0.1:8086", version = "v2", token = "my-token",
#'                       org = "my-org")
#' influx_create_dbrp(con, "sensors", dry_run = TRUE)
NULL

#' @rdname influx_dbrp
#' @export
influx_dbrps <- function(con, bucket = NULL, database = NULL) {
  call <- sys.call()
  check_open(con, call)
  if (!is.null(bucket)) check_name(bucket, "bucket", call)
  if (!is.null(database)) check_name(database, "database", call)
  list_dbrps(con, bucket, database, call)
}

#' @rdname influx_dbrp
#' @export
influx_create_dbrp <- function(con, bucket, database = bucket, retention_policy = "autogen", default = TRUE,
                               dry_run = FALSE) {
  call <- sys.call()
  admin_preamble(con, bucket, "creating a DBRP mapping", dry_run, call)
  check_name(database, "database", call)
  check_name(retention_policy, "retention_policy", call)
  if (!is.logical(default) || length(default) != 1 || is.na(default)) abort_argument("`default` must be TRUE or FALSE", call)
  create_dbrp(con, bucket, database, retention_policy, default, dry_run, call)
}

#' @rdname influx_dbrp
#' @export
influx_drop_dbrp <- function(con, id = NULL, database = NULL, retention_policy = NULL, dry_run = FALSE) {
  call <- sys.call()
  if (is.null(id) == is.null(database)) abort_argument("name the mapping to drop by `id` or by `database`, not both", call)
  admin_preamble(con, id %||% database, "dropping a DBRP mapping", dry_run, call)
  if (!is.null(retention_policy)) check_name(retention_policy, "retention_policy", call)
  drop_dbrp(con, id, database, retention_policy, dry_run, call)
}
