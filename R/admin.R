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
#' @param database Database of the retention policy (default the connection's).
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
  if (con$generation == "v1") {
    q <- paste("CREATE DATABASE", iql_ident(name), if (!is.null(secs)) sprintf("WITH DURATION %ds", secs))
    return(run_admin_statement(con, q, dry_run))
  }
  body <- list(orgID = if (dry_run) "<org id>" else v2_org_id(con, call), name = name,
               retentionRules = if (is.null(secs)) list() else list(list(type = "expire", everySeconds = secs)))
  if (dry_run) return(to_json(body))
  v2_api(con, "POST", "/api/v2/buckets", body = body, call = call)
  invisible(to_json(body))
}

#' @rdname influx_admin_databases
#' @export
influx_drop_database <- function(con, name, dry_run = FALSE) {
  call <- sys.call()
  admin_preamble(con, name, "dropping a database", dry_run, call)
  if (con$generation == "v1") return(run_admin_statement(con, paste("DROP DATABASE", iql_ident(name)), dry_run))
  if (dry_run) return(sprintf("DELETE /api/v2/buckets/<id of %s>", name))
  id <- v2_bucket(con, name, call)$id
  v2_api(con, "DELETE", paste0("/api/v2/buckets/", id), call = call)
  invisible(paste0("DELETE /api/v2/buckets/", id))
}

#' @rdname influx_admin_databases
#' @export
influx_create_retention_policy <- function(con, name, retention, database = NULL, replication = 1,
                                           default = FALSE, dry_run = FALSE) {
  call <- sys.call()
  admin_preamble(con, name, "creating a retention policy", dry_run, call)
  require_capability(con, "retention_policies", "retention policies", call)
  secs <- if (is.null(retention)) NULL else duration_seconds(retention, call)
  q <- sprintf("CREATE RETENTION POLICY %s ON %s DURATION %s REPLICATION %d%s", iql_ident(name),
               iql_ident(target_name(con, database, call)), if (is.null(secs)) "INF" else paste0(secs, "s"),
               as.integer(replication), if (isTRUE(default)) " DEFAULT" else "")
  run_admin_statement(con, q, dry_run)
}

#' @rdname influx_admin_databases
#' @export
influx_drop_retention_policy <- function(con, name, database = NULL, dry_run = FALSE) {
  call <- sys.call()
  admin_preamble(con, name, "dropping a retention policy", dry_run, call)
  require_capability(con, "retention_policies", "retention policies", call)
  run_admin_statement(con, sprintf("DROP RETENTION POLICY %s ON %s", iql_ident(name),
                                   iql_ident(target_name(con, database, call))), dry_run)
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
  if (con$generation == "v1") {
    df <- influx_query(con, "SHOW USERS")
    return(data.frame(name = df$user %||% character(), admin = df$admin %||% logical(), stringsAsFactors = FALSE))
  }
  users <- v2_api(con, "GET", "/api/v2/users", call = call)$users
  data.frame(name = vapply(users, function(u) u$name, ""), id = vapply(users, function(u) u$id, ""),
             status = vapply(users, function(u) u$status %||% NA_character_, ""), stringsAsFactors = FALSE)
}

#' @rdname influx_admin_users
#' @export
influx_create_user <- function(con, name, password, admin = FALSE, dry_run = FALSE) {
  call <- sys.call()
  admin_preamble(con, name, "creating a user", dry_run, call)
  check_name(password, "password", call)
  if (con$generation == "v1") {
    q <- sprintf("CREATE USER %s WITH PASSWORD %s%s", iql_ident(name), iql_string(password),
                 if (isTRUE(admin)) " WITH ALL PRIVILEGES" else "")
    if (dry_run) return(sub(iql_string(password), "'<password>'", q, fixed = TRUE))
    influx_query(con, q)
    return(invisible(TRUE))
  }
  if (isTRUE(admin)) abort_unsupported(con, "creating an administrator user (2.x grants access through tokens)", call)
  if (dry_run) return(to_json(list(name = name)))
  user <- v2_api(con, "POST", "/api/v2/users", body = list(name = name), call = call)
  v2_api(con, "POST", sprintf("/api/v2/users/%s/password", user$id), body = list(password = password), call = call)
  invisible(TRUE)
}

#' @rdname influx_admin_users
#' @export
influx_drop_user <- function(con, name, dry_run = FALSE) {
  call <- sys.call()
  admin_preamble(con, name, "dropping a user", dry_run, call)
  if (con$generation == "v1") return(run_admin_statement(con, paste("DROP USER", iql_ident(name)), dry_run))
  if (dry_run) return(sprintf("DELETE /api/v2/users/<id of %s>", name))
  users <- influx_users(con)
  id <- users$id[users$name == name]
  if (length(id) == 0) abort_argument(sprintf("no user '%s'", name), call)
  v2_api(con, "DELETE", paste0("/api/v2/users/", id[1]), call = call)
  invisible(TRUE)
}

#' @rdname influx_admin_users
#' @export
influx_grant <- function(con, user, database, privilege = c("read", "write", "all"), dry_run = FALSE) {
  grant_or_revoke(con, user, database, privilege, dry_run, "GRANT", "TO", sys.call())
}

#' @rdname influx_admin_users
#' @export
influx_revoke <- function(con, user, database, privilege = c("read", "write", "all"), dry_run = FALSE) {
  grant_or_revoke(con, user, database, privilege, dry_run, "REVOKE", "FROM", sys.call())
}

grant_or_revoke <- function(con, user, database, privilege, dry_run, verb, prep, call) {
  admin_preamble(con, user, paste(tolower(verb), "privileges"), dry_run, call)
  require_capability(con, "grants", paste(tolower(verb), "of database privileges (2.x uses tokens)"), call)
  check_name(database, "database", call)
  privilege <- if (identical(privilege, c("read", "write", "all"))) "read" else check_choice(privilege, c("read", "write", "all"), "privilege", call)
  q <- sprintf("%s %s ON %s %s %s", verb, toupper(privilege), iql_ident(database), prep, iql_ident(user))
  run_admin_statement(con, q, dry_run)
}

#' @rdname influx_admin_users
#' @export
influx_create_token <- function(con, description, read = character(), write = character(), dry_run = FALSE) {
  call <- sys.call()
  admin_preamble(con, description, "creating a token", dry_run, call)
  require_capability(con, "tokens", "API tokens", call)
  if (length(read) + length(write) == 0) abort_argument("a token needs at least one bucket to `read` or `write`", call)
  org <- if (dry_run) "<org id>" else v2_org_id(con, call)
  perm <- function(action, bucket) {
    id <- if (dry_run) sprintf("<id of %s>", bucket) else v2_bucket(con, bucket, call)$id
    list(action = action, resource = list(type = "buckets", id = id, orgID = org))
  }
  body <- list(orgID = org, description = description,
               permissions = c(lapply(read, function(b) perm("read", b)), lapply(write, function(b) perm("write", b))))
  if (dry_run) return(to_json(body))
  a <- v2_api(con, "POST", "/api/v2/authorizations", body = body, call = call)
  structure(list(id = a$id, description = a$description, token = a$token), class = "influx_token")
}

#' @rdname influx_admin_users
#' @export
influx_tokens <- function(con) {
  call <- sys.call()
  check_open(con, call)
  require_capability(con, "tokens", "API tokens", call)
  auths <- v2_api(con, "GET", "/api/v2/authorizations", call = call)$authorizations
  perms <- vapply(auths, function(a) paste(vapply(a$permissions, function(p) {
    paste0(p$action, ":", p$resource$type, if (!is.null(p$resource$name)) paste0("/", p$resource$name) else "")
  }, ""), collapse = ", "), "")
  data.frame(id = vapply(auths, function(a) a$id, ""),
             description = vapply(auths, function(a) a$description %||% "", ""),
             status = vapply(auths, function(a) a$status %||% NA_character_, ""),
             user = vapply(auths, function(a) a$user %||% NA_character_, ""),
             permissions = perms,
             # A server that stores only hashes lists "" for every token: that is no token.
             token = vapply(auths, function(a) if (is.character(a$token) && nzchar(a$token)) a$token else NA_character_, ""),
             stringsAsFactors = FALSE)
}

#' @rdname influx_admin_users
#' @export
influx_delete_token <- function(con, id, dry_run = FALSE) {
  call <- sys.call()
  admin_preamble(con, id, "deleting a token", dry_run, call)
  require_capability(con, "tokens", "API tokens", call)
  if (dry_run) return(paste0("DELETE /api/v2/authorizations/", id))
  v2_api(con, "DELETE", paste0("/api/v2/authorizations/", id), call = call)
  invisible(TRUE)
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

run_admin_statement <- function(con, q, dry_run) {
  if (dry_run) return(q)
  influx_query(con, q)
  invisible(q)
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
