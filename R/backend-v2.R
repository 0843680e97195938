# InfluxDB 2.x: buckets in organisations, Flux over /api/v2/query, writes to /api/v2/write, the
# management API under /api/v2 (JSON), tokens. With a token it speaks its own API; a connection
# with a user name and password (a v1 authorization) reaches only the 1.x-compatible /query and
# /write, and takes the 1.x code paths there. Every method for influx_v2_connection is here (the
# generics are listed in backend.R).

#' @export
backend_label.influx_v2_connection <- function(con) "InfluxDB 2.x"

#' @export
backend_capabilities.influx_v2_connection <- function(con) c(flux = TRUE, flux_params = TRUE, buckets = TRUE)

#' @export
query_languages.influx_v2_connection <- function(con) c("flux", "influxql")

#' @export
default_query_language.influx_v2_connection <- function(con, query) con$query_language %||% detect_language(query)

#' @export
run_query.influx_v2_connection <- function(con, query, language, target, params, frame, call) {
  exchange_once(con, query_exchange(con, query, language, target, params, frame, call), call)
}

#' @export
query_exchange.influx_v2_connection <- function(con, query, language, target, params, frame, call) {
  if (language == "flux") return(flux_exchange(con, query, params, frame, v2_org(con, call), call))
  influxql_exchange(con, query, compat_target(con, target, call), params, frame, call)
}

# InfluxQL and /write find a bucket through a DBRP mapping (database and retention policy), whose
# database name may differ from the bucket's. With a token the bucket's mapping is looked up once
# per connection; without one (a v1 authorization cannot read /api/v2) the name is used as given.
#' @export
compat_target.influx_v2_connection <- function(con, target, call) {
  if (is.null(target)) return(NULL)
  if (!v2_token(con)) return(list(db = target, rp = NULL))
  cached <- con$cache[[paste0("dbrp:", target)]]
  if (!is.null(cached)) return(cached)
  as_given <- list(db = target, rp = NULL)
  # A token allowed to query but not to read buckets or mappings addresses the name as given.
  lookup <- function(expr) {
    tryCatch(list(value = expr), influx_error_http_401 = function(e) NULL, influx_error_http_403 = function(e) NULL)
  }
  bucket <- lookup(v2_find_bucket(con, target, call))$value
  # A name that is no bucket is the database name of a mapping, as 1.x-compatible clients use it.
  if (is.null(bucket)) return(as_given)
  got <- lookup(v2_api(con, "GET", "/api/v2/dbrps", query = c(orgID = bucket$orgID, bucketID = bucket$id),
                       call = call)$content)
  if (is.null(got)) return(as_given)
  mappings <- got$value
  if (length(mappings) == 0) {
    abort_config(sprintf(paste("bucket '%s' has no DBRP mapping, so InfluxQL cannot reach it: create one with",
                               "influx_create_dbrp(con, %s) on a writable connection, or use Flux"),
                         target, encodeString(target, quote = "\"")), call)
  }
  default <- vapply(mappings, function(m) isTRUE(m$default), NA)
  m <- mappings[[if (any(default)) which(default)[1] else 1L]]
  # The database's default mapping needs no retention policy; another one is named with `rp`.
  dbrp <- list(db = m$database, rp = if (!isTRUE(m$default)) m$retention_policy)
  assign(paste0("dbrp:", target), dbrp, envir = con$cache)
  dbrp
}

#' @export
series_language.influx_v2_connection <- function(con, language, call) {
  if (language != "auto") return(language)
  if (v2_token(con)) "flux" else "influxql"
}

#' @export
read_series.influx_v2_connection <- function(con, series, call) {
  exchange <- if (series$language == "flux") {
    series_flux_fetch(con, series$tz, v2_org(con, call), call)
  } else {
    influxql_series_fetch(con, series$target, series$tz, call)
  }
  series_by_chunks(con, series, exchange, call)
}

#' @export
list_databases.influx_v2_connection <- function(con, system, call) {
  if (!v2_token(con)) return(influxql_databases(con, system, call))
  buckets <- v2_buckets(con, call)
  names <- vapply(buckets, function(b) b$name, "")
  if (!isTRUE(system)) names <- names[vapply(buckets, function(b) !identical(b$type, "system"), NA)]
  data.frame(name = sort(names, method = "radix"), stringsAsFactors = FALSE)
}

#' @export
list_measurements.influx_v2_connection <- function(con, target, call) {
  if (!v2_token(con)) return(influxql_measurements(con, target, call))
  df <- schema_query(con, "schema.measurements(bucket: %s, %s)", target, call)
  data.frame(name = sort(as.character(df[["_value"]]), method = "radix"), stringsAsFactors = FALSE)
}

#' @export
list_tag_keys.influx_v2_connection <- function(con, target, measurement, call) {
  if (!v2_token(con)) return(influxql_tag_keys(con, target, measurement, call))
  df <- schema_query(con, paste0("schema.tagKeys(bucket: %s, predicate: (r) => r._measurement == ",
                                 flux_string(measurement), ", %s)"), target, call)
  keys <- setdiff(as.character(df[["_value"]]), c("_start", "_stop", "_measurement", "_field"))
  data.frame(key = sort(keys, method = "radix"), stringsAsFactors = FALSE)
}

#' @export
list_tag_values.influx_v2_connection <- function(con, target, measurement, key, call) {
  if (!v2_token(con)) return(influxql_tag_values(con, target, measurement, key, call))
  df <- schema_query(con, paste0("schema.tagValues(bucket: %s, tag: ", flux_string(key),
                                 ", predicate: (r) => r._measurement == ", flux_string(measurement), ", %s)"),
                     target, call)
  data.frame(value = sort(as.character(df[["_value"]]), method = "radix"), stringsAsFactors = FALSE)
}

#' @export
list_field_keys.influx_v2_connection <- function(con, target, measurement, call) {
  if (!v2_token(con)) return(influxql_field_keys(con, target, measurement, call))
  if (is.null(measurement)) abort_argument("on 2.x, name the `measurement` whose field keys to list", call)
  # The type of each field, from the first value of each series (Flux has no field type index).
  is_type <- function(flux_type, name) sprintf('if types.isType(v: r._value, type: "%s") then "%s"', flux_type, name)
  df <- schema_query(con, paste0(
    'from(bucket: %s) |> range(%s)\n  |> filter(fn: (r) => r._measurement == ', flux_string(measurement), ')\n',
    '  |> first()\n  |> map(fn: (r) => ({_field: r._field, type: ',
    is_type("float", "float"), " else ", is_type("int", "integer"), " else ", is_type("uint", "unsigned"), " else ",
    is_type("string", "string"), " else ", is_type("bool", "boolean"), ' else "unknown"}))\n',
    '  |> group() |> unique(column: "_field") |> sort(columns: ["_field"])'
  ), target, call, imports = "types")
  data.frame(field = as.character(df[["_field"]]), type = as.character(df[["type"]]), stringsAsFactors = FALSE)
}

#' @export
list_retention_policies.influx_v2_connection <- function(con, target, call) {
  if (!v2_token(con)) return(influxql_retention_policies(con, target, call))
  bucket <- v2_bucket(con, target, call)
  rule <- if (length(bucket$retentionRules)) bucket$retentionRules[[1]] else list()
  forever <- is.null(rule$everySeconds) || rule$everySeconds == 0
  mappings <- v2_api(con, "GET", "/api/v2/dbrps", query = c(orgID = bucket$orgID, bucketID = bucket$id), call = call)$content
  rps <- vapply(mappings, function(m) m$retention_policy %||% "autogen", "")
  defaults <- vapply(mappings, function(m) isTRUE(m$default), NA)
  if (length(rps) == 0) { rps <- "autogen"; defaults <- TRUE }
  keep <- !duplicated(rps)
  retention_frame(rps[keep], if (forever) Inf else rule$everySeconds,
                  rule$shardGroupDurationSeconds %||% NA_real_, 1L, defaults[keep])
}

#' @export
write_endpoint.influx_v2_connection <- function(con, target, precision, call) {
  if (!v2_token(con)) return(compat_write_endpoint(con, target, precision, call))
  list(path = "/api/v2/write", query = c(org = con$org, bucket = target, precision = precision))
}

# Go's parser (models/points.go) on /api/v2/write and /write alike.
#' @export
line_protocol_escaping.influx_v2_connection <- function(con) "go"

# The delete API's predicates know only `=` joined by AND: one request per combination of values;
# its `stop` is inclusive, so it is set one nanosecond before `end`.
#' @export
delete_points.influx_v2_connection <- function(con, target, measurement, start_ns, end_ns, where, dry_run, call) {
  stop_ns <- .Call(C_ns_add, end_ns, -1)
  bodies <- lapply(where_v2_predicates(measurement, where), function(p) {
    list(start = ns_text(start_ns), stop = ns_text(stop_ns), predicate = p)
  })
  if (dry_run) return(vapply(bodies, to_json, ""))
  for (b in bodies) v2_api(con, "POST", "/api/v2/delete", query = c(org = con$org, bucket = target), body = b, call = call)
  invisible(vapply(bodies, to_json, ""))
}

# 2.x has no DROP MEASUREMENT: delete all of its time.
#' @export
drop_measurement.influx_v2_connection <- function(con, target, measurement, dry_run, call) {
  body <- list(start = "1677-09-21T00:12:43.145224194Z", stop = "2262-04-11T23:47:16.854775806Z",
               predicate = paste0(iql_ident("_measurement"), "=", iql_ident(measurement)))
  if (dry_run) return(to_json(body))
  v2_api(con, "POST", "/api/v2/delete", query = c(org = con$org, bucket = target), body = body, call = call)
  invisible(to_json(body))
}

#' @export
create_database.influx_v2_connection <- function(con, name, seconds, dry_run, call) {
  body <- list(orgID = if (dry_run) "<org id>" else v2_org_id(con, call), name = name,
               retentionRules = if (is.null(seconds)) list() else list(list(type = "expire", everySeconds = seconds)))
  if (dry_run) return(to_json(body))
  v2_api(con, "POST", "/api/v2/buckets", body = body, call = call)
  v2_forget_bucket(con, name)
  invisible(to_json(body))
}

#' @export
drop_database.influx_v2_connection <- function(con, name, dry_run, call) {
  if (dry_run) return(sprintf("DELETE /api/v2/buckets/<id of %s>", name))
  id <- v2_bucket(con, name, call)$id
  v2_api(con, "DELETE", paste0("/api/v2/buckets/", id), call = call)
  v2_forget_bucket(con, name)
  invisible(paste0("DELETE /api/v2/buckets/", id))
}

#' @export
list_users.influx_v2_connection <- function(con, call) {
  users <- v2_api(con, "GET", "/api/v2/users", call = call)$users
  data.frame(name = vapply(users, function(u) u$name, ""), id = vapply(users, function(u) u$id, ""),
             status = vapply(users, function(u) u$status %||% NA_character_, ""), stringsAsFactors = FALSE)
}

#' @export
create_user.influx_v2_connection <- function(con, name, password, admin, dry_run, call) {
  if (isTRUE(admin)) abort_unsupported(con, "creating an administrator user (2.x grants access through tokens)", call)
  if (dry_run) return(to_json(list(name = name)))
  user <- v2_api(con, "POST", "/api/v2/users", body = list(name = name), call = call)
  v2_api(con, "POST", sprintf("/api/v2/users/%s/password", user$id), body = list(password = password), call = call)
  invisible(TRUE)
}

#' @export
drop_user.influx_v2_connection <- function(con, name, dry_run, call) {
  if (dry_run) return(sprintf("DELETE /api/v2/users/<id of %s>", name))
  users <- list_users(con, call)
  id <- users$id[users$name == name]
  if (length(id) == 0) abort_argument(sprintf("no user '%s'", name), call)
  v2_api(con, "DELETE", paste0("/api/v2/users/", id[1]), call = call)
  invisible(TRUE)
}

#' @export
create_token.influx_v2_connection <- function(con, description, read, write, dry_run, call) {
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

#' @export
list_tokens.influx_v2_connection <- function(con, call) {
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

#' @export
delete_token.influx_v2_connection <- function(con, id, dry_run, call) {
  if (dry_run) return(paste0("DELETE /api/v2/authorizations/", id))
  v2_api(con, "DELETE", paste0("/api/v2/authorizations/", id), call = call)
  invisible(TRUE)
}

# DBRP mappings: /api/v2/dbrps (dbrp/http_server_dbrp.go). 2.4 and later also list a virtual
# mapping per bucket (database = the bucket's name before any "/", retention policy = the rest or
# "autogen"), which follows the bucket and cannot be created or deleted on its own.
#' @export
list_dbrps.influx_v2_connection <- function(con, bucket, database, call) {
  org <- v2_dbrp_org(con, call)
  bucket_id <- if (!is.null(bucket)) v2_bucket(con, bucket, call)$id
  got <- v2_api(con, "GET", "/api/v2/dbrps", query = c(org = org, bucketID = bucket_id, db = database), call = call)
  buckets <- v2_buckets(con, call)
  names <- stats::setNames(vapply(buckets, function(b) b$name, ""), vapply(buckets, function(b) b$id, ""))
  out <- dbrp_frame(got$content, names, org)
  out <- out[order(out$database, out$retention_policy, out$virtual, method = "radix"), , drop = FALSE]
  rownames(out) <- NULL
  out
}

#' @export
create_dbrp.influx_v2_connection <- function(con, bucket, database, retention_policy, default, dry_run, call) {
  org <- v2_dbrp_org(con, call)
  body <- list(org = org, bucketID = if (dry_run) sprintf("<id of %s>", bucket) else v2_bucket(con, bucket, call)$id,
               database = database, retention_policy = retention_policy, default = default)
  if (dry_run) return(to_json(body))
  made <- v2_api(con, "POST", "/api/v2/dbrps", body = body, call = call)
  # InfluxQL on the bucket (or on the database name) must find the new mapping from now on.
  v2_forget_bucket(con, bucket)
  v2_forget_bucket(con, database)
  inform(sprintf("InfluxQL now reaches bucket '%s' as database '%s', retention policy '%s'", bucket, database,
                 retention_policy))
  invisible(dbrp_frame(list(made), stats::setNames(bucket, body$bucketID), org))
}

#' @export
drop_dbrp.influx_v2_connection <- function(con, id, database, retention_policy, dry_run, call) {
  org <- v2_dbrp_org(con, call)
  found <- list_dbrps(con, NULL, database, call)
  found <- if (!is.null(id)) found[found$id == id, , drop = FALSE] else
    found[found$database == database & (is.null(retention_policy) | found$retention_policy %in% retention_policy), , drop = FALSE]
  what <- if (!is.null(id)) sprintf("with id '%s'", id) else sprintf("for database '%s'%s", database,
    if (is.null(retention_policy)) "" else sprintf(", retention policy '%s'", retention_policy))
  if (nrow(found) == 0) abort_argument(sprintf("no DBRP mapping %s in organisation '%s'", what, org), call)
  if (all(found$virtual)) {
    abort_argument(sprintf(paste("the DBRP mapping %s is virtual: it follows bucket '%s' by its name and goes only",
                                 "with the bucket"), what, found$bucket[1]), call)
  }
  found <- found[!found$virtual, , drop = FALSE]
  sent <- sprintf("DELETE /api/v2/dbrps/%s?org=%s", found$id, org)
  if (dry_run) return(sent)
  for (i in seq_len(nrow(found))) {
    v2_api(con, "DELETE", paste0("/api/v2/dbrps/", found$id[i]), query = c(org = org), call = call)
    v2_forget_bucket(con, found$bucket[i])
    v2_forget_bucket(con, found$database[i])
  }
  inform(sprintf("dropped %d DBRP mapping%s %s", nrow(found), if (nrow(found) == 1) "" else "s", what))
  invisible(sent)
}

# The organisation the mappings live in; the DBRP API is reached with a token only.
v2_dbrp_org <- function(con, call) {
  if (!v2_token(con)) {
    abort_config("DBRP mappings are managed through /api/v2, which needs a token: connect with `token`", call)
  }
  if (is.null(con$org)) abort_config("DBRP mappings belong to an organisation: connect with `org` (or INFLUXDB_ORG)", call)
  con$org
}

# The server's mappings as a data frame; `bucket_names` maps bucket ids to names.
dbrp_frame <- function(mappings, bucket_names, org) {
  text <- function(field) vapply(mappings, function(m) as.character(m[[field]] %||% NA_character_), "")
  flag <- function(field) vapply(mappings, function(m) isTRUE(m[[field]]), NA)
  ids <- text("bucketID")
  data.frame(id = text("id"), database = text("database"), retention_policy = text("retention_policy"),
             default = flag("default"), virtual = flag("virtual"), bucket_id = ids,
             bucket = unname(bucket_names[ids]), org = rep(org, length(mappings)), stringsAsFactors = FALSE)
}

# ---- the management API -------------------------------------------------------------------

# A token reaches the whole API; a user name and password only the 1.x-compatible endpoints.
v2_token <- function(con) identical(con$auth, "token")

v2_org <- function(con, call) {
  if (is.null(con$org)) abort_config("Flux on InfluxDB 2.x needs the organisation: connect with `org` (or INFLUXDB_ORG)", call)
  con$org
}

v2_api <- function(con, method, path, query = NULL, body = NULL, call = NULL) {
  res <- influx_http(con, method, path, query = query,
                     body = if (!is.null(body)) charToRaw(to_json(body)),
                     headers = if (!is.null(body)) "Content-Type: application/json", sink = "raw", call = call)
  if (length(res$body) == 0) return(invisible(NULL))
  parsed <- .Call(C_json_parse, res$body)
  if (!isTRUE(parsed$ok)) {
    influx_abort("influx_error_decode", sprintf("%s %s answered with malformed JSON: %s", method, path, parsed$error),
                 detail = parsed$error, call = call)
  }
  parsed$value
}

v2_org_id <- function(con, call) {
  if (is.null(con$org)) abort_config("this needs the organisation: connect with `org` (or INFLUXDB_ORG)", call)
  orgs <- v2_api(con, "GET", "/api/v2/orgs", query = c(org = con$org), call = call)$orgs
  if (length(orgs) == 0) abort_config(sprintf("no organisation '%s' on the server", con$org), call)
  orgs[[1]]$id
}

# The bucket called `name` in the connection's organisation, or NULL (2.7 answers 404 for a name
# it does not know, older servers an empty list).
v2_find_bucket <- function(con, name, call) {
  b <- tryCatch(v2_api(con, "GET", "/api/v2/buckets", query = c(org = con$org, name = name), call = call)$buckets,
                influx_error_http_404 = function(e) NULL)
  if (length(b) == 0) NULL else b[[1]]
}

v2_bucket <- function(con, name, call) {
  b <- v2_find_bucket(con, name, call)
  if (is.null(b)) {
    influx_abort(c("influx_error_http_404", "influx_error_http_4xx", "influx_error_http"),
                 sprintf("no bucket '%s' in organisation '%s'", name, con$org), status = 404L,
                 server_message = "bucket not found", call = call)
  }
  b
}

# A bucket created or dropped through this connection may map differently now.
v2_forget_bucket <- function(con, name) {
  key <- paste0("dbrp:", name)
  if (exists(key, envir = con$cache, inherits = FALSE)) rm(list = key, envir = con$cache)
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
schema_query <- function(con, template, bucket, call, imports = "influxdata/influxdb/schema") {
  range <- "start: 1677-09-21T00:12:43.145224194Z, stop: 2262-04-11T23:47:16.854775806Z"
  text <- paste0(paste0("import ", vapply(imports, flux_string, ""), collapse = "\n"), "\n\n",
                 sprintf(template, flux_string(bucket), range))
  frame <- default_decoding(con$tz, call)
  flux_query(con, text, NULL, frame, v2_org(con, call), call)
}

# One predicate per combination of values, as the 2.x delete API has no OR.
where_v2_predicates <- function(measurement, where) {
  base <- paste0(iql_ident("_measurement"), "=", iql_ident(measurement))
  if (length(where) == 0) return(base)
  combos <- expand.grid(lapply(where, as.character), stringsAsFactors = FALSE)
  apply(combos, 1, function(row) {
    paste(c(base, paste0(iql_ident(names(where)), "=", iql_ident(row))), collapse = " AND ")
  })
}

# 2.x: GET /ready gives {"status": "ready", "started": <RFC 3339>, "up": <duration>}.
#' @export
ready_probe.influx_v2_connection <- function(con, call) {
  probe <- health_get(con, "/ready", call)
  json <- probe$json
  ready <- probe$code == 200L && identical(json$status, "ready")
  structure(ready, message = if (ready) "ready" else probe$message %||% json$status %||% "",
            started = json$started, up = json$up)
}

# ---- downsampling: tasks whose Flux is the Flux dialect's (R/downsample.R) ----------------------

# Tasks this package makes say so in their description.
v2_task_mark <- "made by influxdbtoolkit::influx_create_downsampling()"

v2_task_api <- function(con, call) {
  if (!v2_token(con)) abort_config("tasks are managed through /api/v2, which needs a token: connect with `token`", call)
  v2_org(con, call)
}

# Tasks of the organisation (all pages), optionally of one name.
v2_tasks <- function(con, name, call) {
  org <- v2_task_api(con, call)
  out <- list()
  after <- NULL
  repeat {
    got <- v2_api(con, "GET", "/api/v2/tasks", query = c(org = org, name = name, limit = "500", after = after),
                  call = call)$tasks
    out <- c(out, got)
    if (length(got) < 500) break
    after <- got[[length(got)]]$id
  }
  out
}

#' @export
create_downsampling.influx_v2_connection <- function(con, name, spec, schedule, dry_run, call) {
  text <- downsampling_text(spec, "flux", lookback = schedule$lookback + spec$every,
                            task = list(name = name, every = schedule$every, delay = schedule$delay))
  if (dry_run) return(text)
  org <- v2_task_api(con, call)
  if (length(v2_tasks(con, name, call))) abort_argument(sprintf("a task named '%s' exists already in organisation '%s'", name, org), call)
  task <- v2_api(con, "POST", "/api/v2/tasks", body = list(org = org, flux = text, description = v2_task_mark,
                                                           status = "active"), call = call)
  downsampling_object(name, task$id, "task", spec$database, text, spec)
}

#' @export
list_downsamplings.influx_v2_connection <- function(con, target, all, call) {
  tasks <- v2_tasks(con, NULL, call)
  mine <- vapply(tasks, function(t) identical(t$description, v2_task_mark), NA)
  if (!all) tasks <- tasks[mine]
  text <- function(field) vapply(tasks, function(t) as.character(t[[field]] %||% NA_character_), "")
  data.frame(name = text("name"), kind = rep("task", length(tasks)), id = text("id"),
             database = rep(NA_character_, length(tasks)), status = text("status"),
             package = vapply(tasks, function(t) identical(t$description, v2_task_mark), NA), text = text("flux"),
             stringsAsFactors = FALSE)
}

#' @export
drop_downsampling.influx_v2_connection <- function(con, name, target, dry_run, call) {
  if (dry_run) return(sprintf("DELETE /api/v2/tasks/<id of %s>", name))
  tasks <- v2_tasks(con, name, call)
  if (length(tasks) == 0) abort_argument(sprintf("no task named '%s' in organisation '%s'", name, con$org), call)
  sent <- vapply(tasks, function(t) paste0("DELETE /api/v2/tasks/", t$id), "")
  for (t in tasks) v2_api(con, "DELETE", paste0("/api/v2/tasks/", t$id), call = call)
  invisible(sent)
}

#' @export
run_downsample.influx_v2_connection <- function(con, spec, start_s, end_s, dry_run, call) {
  text <- downsampling_text(spec, "flux", range = c(start_s, end_s))
  if (dry_run) return(text)
  org <- v2_task_api(con, call)
  written <- flux_query(con, text, NULL, default_decoding(spec$tz, call), org, call)
  invisible(structure(text, written = nrow(written)))
}

# Runs task `id` once as if scheduled at `scheduled_for` (seconds) and waits for it to finish
# (tests, and scripts that want a run now). -> the run's status ("success" or "failed").
v2_run_task <- function(con, id, scheduled_for, timeout = 30, call = NULL) {
  run <- v2_api(con, "POST", sprintf("/api/v2/tasks/%s/runs", id),
                body = list(scheduledFor = format(.POSIXct(scheduled_for, tz = "UTC"), "%Y-%m-%dT%H:%M:%SZ")), call = call)
  deadline <- Sys.time() + timeout
  repeat {
    # a run still queued for the scheduler is not found yet (404)
    got <- tryCatch(v2_api(con, "GET", sprintf("/api/v2/tasks/%s/runs/%s", id, run$id), call = call),
                    influx_error_http_404 = function(e) list(status = "queued"))
    if (got$status %in% c("success", "failed", "canceled") || Sys.time() > deadline) return(got$status)
    Sys.sleep(0.2)
  }
}

# influx_copy() counts what it wrote with InfluxQL, through the bucket's DBRP mapping.
#' @export
count_values.influx_v2_connection <- function(con, target, rp, measurement, start_ns, end_ns, call) {
  influxql_count_values(con, target, rp, measurement, start_ns, end_ns, call)
}

# A 1.x-style authorization: a user name (stored as the authorization's token) and password for
# the 1.x-compatible /query and /write, allowed to read (and write) one bucket. The private API
# of v1/authorization/http_server.go, as `influx v1 auth create` uses it; an existing one of that
# name is left as it is (the server refuses a second: 409 "token already exists").
#' @export
create_v1_authorization.influx_v2_connection <- function(con, bucket, username, password, write, dry_run, call) {
  org_id <- if (dry_run) "<org id>" else v2_org_id(con, call)
  bucket_id <- if (dry_run) sprintf("<id of %s>", bucket) else v2_bucket(con, bucket, call)$id
  perms <- lapply(c("read", if (write) "write"), function(action) {
    list(action = action, resource = list(type = "buckets", id = bucket_id, orgID = org_id))
  })
  body <- list(orgID = org_id, token = username, description = sprintf("InfluxQL access to %s", bucket),
               permissions = perms)
  if (dry_run) return(to_json(body))
  path <- "/private/legacy/authorizations"
  # 2.7 answers 404 when no authorization has that token
  existing <- tryCatch(v2_api(con, "GET", path, query = c(token = username), call = call)$authorizations,
                       influx_error_http_404 = function(e) NULL)
  if (length(existing)) {
    inform(sprintf("a 1.x authorization for user '%s' exists already: left as it is", username))
    return(invisible(existing[[1]]$id))
  }
  made <- v2_api(con, "POST", path, body = body, call = call)
  v2_api(con, "POST", sprintf("%s/%s/password", path, made$id), body = list(password = password), call = call)
  inform(sprintf("user '%s' may now %s bucket '%s' through InfluxQL (/query)", username,
                 if (write) "read and write" else "read", bucket))
  invisible(made$id)
}
