#' Administer databases, buckets and retention
#'
#' `influx_create_database()` and `influx_drop_database()` manage 1.x databases
#' and 2.x buckets (in the connection's organisation) alike. `retention` is a
#' duration such as `"30d"`, `"12h"`, `"1w"` or a number of seconds; `NULL`
#' keeps data forever. On 1.x, `influx_create_retention_policy()` and
#' `influx_drop_retention_policy()` manage retention policies (2.x has none:
#' a bucket's retention is set when it is created).
#'
#' Every call here changes the server: it needs a connection opened with
#' `writable = TRUE`, and `dry_run = TRUE` returns what would be sent.
#' What a server generation cannot do raises `influx_error_unsupported`.
#'
#' @param con A writable connection from [influx_connect()].
#' @param name Name of the database, bucket or retention policy.
#' @param retention Retention duration, or `NULL` for infinite.
#' @param database Database of the retention policy (default: the connection's, see
#'   [influx_target]).
#' @param replication Replication factor (1.x clusters; 1 on a single server).
#' @param default Make the retention policy the database's default.
#' @param dry_run Return what would be sent instead of sending it.
#' @return Invisibly, what was sent.
#' @name influx_admin_databases
#' @examples
#' con <- influx_connect("http://127.0.0.1:8086", version = "v1")
#' influx_create_database(con, "sensors_2025", retention = "365d", dry_run = TRUE)
NULL

#' @rdname influx_admin_databases
#' @export
influx_create_database <- function(con, name, retention = NULL, dry_run = FALSE) {
  call <- sys.call()
  admin_preamble(con, name, "creating a database", dry_run, call)
  secs <- if (is.null(retention)) NULL else duration_seconds(retention, call)
  create_database(con, name, secs, dry_run, call)
}

#' @rdname influx_admin_databases
#' @export
influx_drop_database <- function(con, name, dry_run = FALSE) {
  call <- sys.call()
  admin_preamble(con, name, "dropping a database", dry_run, call)
  drop_database(con, name, dry_run, call)
}

#' @rdname influx_admin_databases
#' @export
influx_create_retention_policy <- function(con, name, retention, database = NULL, replication = 1,
                                           default = FALSE, dry_run = FALSE) {
  call <- sys.call()
  admin_preamble(con, name, "creating a retention policy", dry_run, call)
  secs <- if (is.null(retention)) NULL else duration_seconds(retention, call)
  create_retention_policy(con, name, secs, influx_target(con, database, call), replication, default, dry_run, call)
}

#' @rdname influx_admin_databases
#' @export
influx_drop_retention_policy <- function(con, name, database = NULL, dry_run = FALSE) {
  call <- sys.call()
  admin_preamble(con, name, "dropping a retention policy", dry_run, call)
  drop_retention_policy(con, name, influx_target(con, database, call), dry_run, call)
}

#' Administer users, privileges and tokens
#'
#' Users exist on both generations: `influx_users()` lists them,
#' `influx_create_user()` and `influx_drop_user()` manage them. On 1.x,
#' privileges are granted per database with `influx_grant()` and
#' `influx_revoke()`. On 2.x, access is carried by API tokens scoped to
#' buckets: `influx_create_token()`, `influx_tokens()`, `influx_delete_token()`.
#' A call a generation cannot do raises `influx_error_unsupported`.
#'
#' All calls but the listings change the server: they need `writable = TRUE`
#' and offer `dry_run`.
#'
#' @param con A connection from [influx_connect()] (writable for changes).
#' @param name,user User name.
#' @param password The new user's password.
#' @param admin Make the user an administrator (1.x).
#' @param database Database to grant or revoke on (1.x).
#' @param privilege `"read"`, `"write"` or `"all"`.
#' @param description What the token is for.
#' @param read,write Names of the buckets the token may read and write.
#' @param id Token id (from `influx_tokens()`).
#' @param dry_run Return what would be sent instead of sending it.
#' @return `influx_users()`: a data frame (`name`, `admin` on 1.x; `name`,
#'   `id`, `status` on 2.x). `influx_tokens()`: a data frame with `id`,
#'   `description`, `status`, `user`, `permissions` and `token`: the secret
#'   where the server lists it, `NA` where it keeps only a hash of the token
#'   (InfluxDB 2.10.0 does, and answers an empty string for every token).
#'   `influx_create_token()`: an `influx_token` (`id`, `description`, and the
#'   secret `token`, which printing hides). Store the secret when it is
#'   created: a server that keeps only hashes shows it this once and never
#'   again. The others: invisibly, what was sent.
#' @name influx_admin_users
#' @examples
#' con <- influx_connect("http://127.0.0.1:8086", version = "v1")
#' influx_create_user(con, "reader", "s3cret", dry_run = TRUE)
#' influx_grant(con, "reader", "sensors", "read", dry_run = TRUE)
NULL

#' @rdname influx_admin_users
#' @export
influx_users <- function(con) {
  call <- sys.call()
  check_open(con, call)
  list_users(con, call)
}

#' @rdname influx_admin_users
#' @export
influx_create_user <- function(con, name, password, admin = FALSE, dry_run = FALSE) {
  call <- sys.call()
  admin_preamble(con, name, "creating a user", dry_run, call)
  check_name(password, "password", call)
  create_user(con, name, password, admin, dry_run, call)
}

#' @rdname influx_admin_users
#' @export
influx_drop_user <- function(con, name, dry_run = FALSE) {
  call <- sys.call()
  admin_preamble(con, name, "dropping a user", dry_run, call)
  drop_user(con, name, dry_run, call)
}

#' @rdname influx_admin_users
#' @export
influx_grant <- function(con, user, database, privilege = c("read", "write", "all"), dry_run = FALSE) {
  grant_or_revoke(con, user, database, privilege, dry_run, "GRANT", sys.call())
}

#' @rdname influx_admin_users
#' @export
influx_revoke <- function(con, user, database, privilege = c("read", "write", "all"), dry_run = FALSE) {
  grant_or_revoke(con, user, database, privilege, dry_run, "REVOKE", sys.call())
}

grant_or_revoke <- function(con, user, database, privilege, dry_run, verb, call) {
  admin_preamble(con, user, paste(tolower(verb), "privileges"), dry_run, call)
  check_name(database, "database", call)
  privilege <- if (identical(privilege, c("read", "write", "all"))) "read" else check_choice(privilege, c("read", "write", "all"), "privilege", call)
  change_privilege(con, verb, user, database, privilege, dry_run, call)
}

#' @rdname influx_admin_users
#' @export
influx_create_token <- function(con, description, read = character(), write = character(), dry_run = FALSE) {
  call <- sys.call()
  admin_preamble(con, description, "creating a token", dry_run, call)
  if (length(read) + length(write) == 0) abort_argument("a token needs at least one bucket to `read` or `write`", call)
  create_token(con, description, read, write, dry_run, call)
}

#' @rdname influx_admin_users
#' @export
influx_tokens <- function(con) {
  call <- sys.call()
  check_open(con, call)
  list_tokens(con, call)
}

#' @rdname influx_admin_users
#' @export
influx_delete_token <- function(con, id, dry_run = FALSE) {
  call <- sys.call()
  admin_preamble(con, id, "deleting a token", dry_run, call)
  delete_token(con, id, dry_run, call)
}

#' @export
print.influx_token <- function(x, ...) {
  cat(sprintf("<influx_token> %s (id %s); the secret is in $token\n", x$description, x$id))
  cat("Store it now: a server that keeps only token hashes (2.10.0 does) shows it only this once.\n")
  invisible(x)
}

admin_preamble <- function(con, name, what, dry_run, call) {
  check_open(con, call)
  check_name(name, "name", call)
  if (!is.logical(dry_run) || length(dry_run) != 1 || is.na(dry_run)) abort_argument("`dry_run` must be TRUE or FALSE", call)
  if (!dry_run) require_writable(con, what, call)
}

# "30d", "12h", "90m", "1w", "3600s" or a number of seconds -> whole seconds
duration_seconds <- function(x, call) {
  if (is.numeric(x) && length(x) == 1 && !is.na(x) && x > 0) return(as.integer(round(x)))
  m <- regmatches(x, regexec("^([0-9]+)(s|m|h|d|w)$", x))[[1]]
  if (!is.character(x) || length(x) != 1 || length(m) != 3) {
    abort_argument("`retention` must be a duration such as \"30d\", \"12h\", \"1w\", or seconds", call)
  }
  as.integer(m[2]) * c(s = 1L, m = 60L, h = 3600L, d = 86400L, w = 604800L)[[m[3]]]
}
