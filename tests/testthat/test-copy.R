# influx_copy(): 1.x -> 2.x with the hostile data set of the write round trip, resume after a
# failure, count mismatches, dry run, read-only refusal, the DBRP mapping and the 1.x-style
# authorization that keep InfluxQL reports working on 2.x.

# Sources 1.6.7 and 1.8.10; destinations 2.7.12 (the move the function is for), the 3.x
# stand-in and 1.13.2 (another 1.x).
copy_servers <- function() {
  servers <- require_servers()
  v2 <- Filter(function(s) s$generation == "v2", servers)
  if (length(v2) == 0) skip("no 2.x test server")
  list(sources = Filter(function(s) s$name %in% c("v1.6.7", "v1.8.10"), servers), dest = v2[[1]],
       dests = Filter(function(s) s$generation %in% c("v2", "v3") || s$name == "v1.13.2", servers))
}

source_server <- function(s, last = FALSE) {
  if (length(s$sources) == 0) skip("no 1.6.7 or 1.8.10 test server")
  s$sources[[if (last) length(s$sources) else 1L]]
}

# Source measurements: a random hostile frame within one second at the start of summer time,
# and one spread over three days (so that it spans several chunks), both with hostile names.
seed_source <- function(srv, seed) {
  admin <- connect_admin(srv)
  out <- list()
  for (k in 1:2) {
    r <- random_frame(60, seed + k)
    if (k == 2) r$frame$time <- r$frame$time + bit64::as.integer64(sample(0:71, 60, TRUE)) * bit64::as.integer64(3600e9)
    m <- paste0(fresh_name("cp"), " ", hostile_names[seed + k])
    influx_write(admin, r$frame, m, tags = r$tags, fields = r$fields, batch_size = 25)
    out[[m]] <- r
  }
  out
}

copy_range <- list(start = as.POSIXct("2024-03-31", tz = "UTC"), end = as.POSIXct("2024-04-04", tz = "UTC"))

# Every point of `m`, in a stable order, with exact times.
read_all <- function(con, m) {
  df <- influx_query(con, select_all(m, "influxql"), time_ns = TRUE)
  df <- df[do.call(order, c(list(as.character(df$time_ns)), lapply(df[setdiff(names(df), c("time", "time_ns"))], as.character))), ,
           drop = FALSE]
  rownames(df) <- NULL
  df[, sort(names(df)), drop = FALSE]
}

expect_same_points <- function(src, dst, m) {
  a <- read_all(src, m)
  b <- read_all(dst, m)
  expect_gt(nrow(a), 0)
  expect_identical(names(b), names(a), info = m)
  for (col in names(a)) expect_identical(b[[col]], a[[col]], info = paste(m, col))
}

test_that("hostile data copied from 1.x to 2.x (and 3.x, 1.x) reads back identical on both sides", {
  skip_if_not_installed("bit64")
  s <- copy_servers()
  if (length(s$sources) == 0) skip("no 1.6.7 or 1.8.10 test server")
  for (src_srv in s$sources) {
    for (dst_srv in s$dests) {
      info <- paste(src_srv$name, "->", dst_srv$name)
      seeded <- seed_source(src_srv, 1)
      ms <- names(seeded)
      src <- connect_reader(src_srv)
      res <- influx_copy(src, connect_admin(dst_srv), ms, copy_range$start, copy_range$end, chunk = "6 hours", batch_size = 20)
      expect_s3_class(res, "influx_copy_result")
      expect_true(res$complete, info = info)
      expect_identical(res$progress$measurement, ms)
      expect_identical(res$progress$chunks_done, c(16L, 16L))
      expect_identical(res$progress$done_until_ns, rep("1712188800000000000", 2))
      reader <- connect_reader(dst_srv)
      for (m in ms) {
        r <- seeded[[m]]
        written <- sum(vapply(r$frame[r$fields], function(v) sum(!is.na(v)), 0))
        expect_equal(res$progress$values[res$progress$measurement == m], written, info = info)
        expect_same_points(src, reader, m)
        # integers stay integers (2^63 - 1 exact), no field turned float or string
        back <- read_all(reader, m)
        expect_s3_class(back[[r$fields[2]]], "integer64")
        expect_identical(as.character(back[[r$fields[2]]])[as.character(back$time_ns) == as.character(r$frame$time[1])],
                         "9223372036854775807", info = info)
        types <- influx_field_keys(reader, m)
        expect_identical(types$type[match(r$fields, types$field)], c("float", "integer", "string", "boolean"), info = info)
      }
    }
  }
})

# The copy writes through influxdbtoolkit:::copy_write(): the tests put a failing or lossy one in
# its place (and the real one back with on.exit). -> the function it replaced
replace_in_package <- function(name, fun) {
  ns <- asNamespace("influxdbtoolkit")
  old <- get(name, envir = ns)
  utils::assignInNamespace(name, fun, ns)
  old
}
replace_copy_write <- function(fun) replace_in_package("copy_write", fun)

# The servers and the k-th measurement seed_source() wrote on a source server.
one_measurement <- function(seed, k = 2L, last = FALSE) {
  skip_if_not_installed("bit64")
  s <- copy_servers()
  src_srv <- source_server(s, last)
  seeded <- seed_source(src_srv, seed)
  list(s = s, src_srv = src_srv, m = names(seeded)[k], r = seeded[[k]], src = connect_reader(src_srv))
}

test_that("a chunk that fails stops the copy with where it got to; resume goes on from there", {
  one <- one_measurement(3, last = TRUE)
  s <- one$s
  m <- one$m
  src <- one$src
  dst <- connect_admin(s$dest)
  calls <- 0L
  real <- replace_copy_write(function(to, frame, ...) {
    calls <<- calls + 1L
    args <- list(...)
    # the third chunk with points goes to a bucket that does not exist: the server's 404
    if (calls == 3L) args$database <- "influxtk_no_such_bucket"
    do.call(influx_write, c(list(to, frame), args))
  })
  on.exit(replace_copy_write(real), add = TRUE)
  e <- expect_error(influx_copy(src, dst, m, copy_range$start, copy_range$end, chunk = "1 day"),
                    class = "influx_error_copy")
  expect_s3_class(e, "influx_error_write")
  expect_s3_class(e, "influx_error_http_404")
  expect_identical(e$measurement, m)
  expect_match(conditionMessage(e), "resume")
  p <- e$result$progress
  expect_false(e$result$complete)
  expect_identical(p$chunks_done, 2L)
  expect_identical(p$chunks, 4L)
  expect_identical(p$done_until_ns, "1712016000000000000")
  expect_identical(format(e$chunk_start, tz = "UTC"), "2024-04-02")
  # going on: the two completed chunks are not written again
  calls <- 0L
  replace_copy_write(function(to, frame, ...) { calls <<- calls + 1L; real(to, frame, ...) })
  res <- influx_copy(src, dst, m, copy_range$start, copy_range$end, chunk = "1 day", resume = e$result)
  expect_true(res$complete)
  expect_identical(res$progress$chunks_done, 4L)
  expect_lte(calls, 2L)
  expect_same_points(src, connect_reader(s$dest), m)
  # a result of another range is refused, as is anything else
  expect_error(influx_copy(src, dst, m, copy_range$start, "2024-04-05", resume = res), class = "influx_error_argument")
  expect_error(influx_copy(src, dst, m, copy_range$start, copy_range$end, resume = list()), class = "influx_error_argument")
  # resuming a complete copy copies nothing
  calls <- 0L
  again <- influx_copy(src, dst, m, copy_range$start, copy_range$end, chunk = "1 day", resume = res)
  expect_identical(calls, 0L)
  expect_true(again$complete)
})

test_that("an interrupt during a chunk stays an interrupt and carries where the copy got to", {
  one <- one_measurement(4)
  calls <- 0L
  real <- replace_copy_write(function(to, frame, ...) {
    calls <<- calls + 1L
    if (calls == 2L) stop(structure(class = c("interrupt", "condition"), list(message = "Ctrl-C", call = NULL)))
    influx_write(to, frame, ...)
  })
  on.exit(replace_copy_write(real), add = TRUE)
  got <- tryCatch(influx_copy(one$src, connect_admin(one$s$dest), one$m, copy_range$start, copy_range$end),
                  error = function(e) e, interrupt = function(e) e)
  expect_s3_class(got, "influx_interrupt")
  expect_false(inherits(got, "error"))
  expect_match(conditionMessage(got), one$m, fixed = TRUE)
  expect_identical(got$result$progress$chunks_done, 1L)
  res <- influx_copy(one$src, connect_admin(one$s$dest), one$m, copy_range$start, copy_range$end, resume = got$result)
  expect_true(res$complete)
  expect_same_points(one$src, connect_reader(one$s$dest), one$m)
})

test_that("a destination that loses points is caught by the counts, naming measurement, field and chunk", {
  one <- one_measurement(5)
  s <- one$s
  m <- one$m
  r <- one$r
  src <- one$src
  calls <- 0L
  # silently drops the first row of the second chunk, as a server that answers 204 and stores
  # nothing would
  real <- replace_copy_write(function(to, frame, ...) {
    calls <<- calls + 1L
    if (calls == 2L) frame <- frame[-1, , drop = FALSE]
    influx_write(to, frame, ...)
  })
  on.exit(replace_copy_write(real), add = TRUE)
  e <- expect_error(influx_copy(src, connect_admin(s$dest), m, copy_range$start, copy_range$end),
                    class = "influx_error_copy_mismatch")
  expect_s3_class(e, "influx_error_copy")
  expect_identical(e$measurement, m)
  expect_true(e$field %in% r$fields)
  expect_identical(e$destination_count, e$source_count - 1)
  expect_identical(format(e$chunk_start, tz = "UTC"), "2024-04-01")
  expect_match(conditionMessage(e), e$field, fixed = TRUE)
  expect_match(conditionMessage(e), "chunk 2024-04-01T00:00:00.000000000Z to 2024-04-02T00:00:00.000000000Z", fixed = TRUE)
  expect_identical(e$result$progress$chunks_done, 1L)
})

test_that("dry_run reports measurements, types, series, chunks and counts and writes nothing", {
  skip_if_not_installed("bit64")
  s <- copy_servers()
  src_srv <- source_server(s)
  seeded <- seed_source(src_srv, 6)
  ms <- names(seeded)
  ro_dst <- connect_reader(s$dest)
  plan <- influx_copy(connect_reader(src_srv), ro_dst, ms, copy_range$start, copy_range$end, chunk = "12 hours",
                      dry_run = TRUE, dbrp = "influxtk_copy_plan", v1_auth = list(username = "u", password = "secret-pw"))
  expect_s3_class(plan, "influx_copy_plan")
  expect_identical(plan$measurements$measurement, ms)
  expect_identical(plan$measurements$chunks, c(8L, 8L))
  expect_identical(nrow(plan$chunks), 8L)
  for (m in ms) {
    r <- seeded[[m]]
    f <- plan$fields[plan$fields$measurement == m, ]
    expect_identical(f$type[match(r$fields, f$field)], c("float", "integer", "string", "boolean"))
    expect_equal(f$values[match(r$fields, f$field)], vapply(r$frame[r$fields], function(v) sum(!is.na(v)), 0), ignore_attr = TRUE)
    series <- nrow(unique(r$frame[!Reduce(`&`, lapply(r$frame[r$fields], is.na)), r$tags]))
    expect_equal(plan$measurements$series[plan$measurements$measurement == m], series)
    expect_false(m %in% influx_query(ro_dst, "SHOW MEASUREMENTS")$name)
  }
  expect_match(plan$dbrp, "influxtk_copy_plan", fixed = TRUE)
  expect_match(plan$v1_auth, "\"token\":\"u\"", fixed = TRUE)
  expect_false(grepl("secret-pw", plan$v1_auth, fixed = TRUE))
  expect_output(print(plan), "2 measurements")
})

test_that("copying into a read-only connection is refused before anything is read", {
  src <- influx_connect("http://127.0.0.1:9", version = "v1", database = "d")
  ro <- influx_connect("http://127.0.0.1:9", version = "v2", token = "t", org = "o", bucket = "b")
  expect_error(influx_copy(src, ro, start = "2024-01-01", end = "2024-01-02"), class = "influx_error_readonly")
  # the source may be read-only; a 2.x or 3.x source is not supported (before any request)
  w2 <- influx_connect("http://127.0.0.1:9", version = "v2", token = "t", org = "o", bucket = "b", writable = TRUE)
  v3 <- influx_connect("http://127.0.0.1:9", version = "v3", token = "t", database = "d")
  for (from in list(ro, v3)) {
    e <- expect_error(influx_copy(from, w2, start = "2024-01-01", end = "2024-01-02"), class = "influx_error_unsupported")
    expect_match(e$operation, "copying")
  }
})

test_that("arguments are checked before anything is read", {
  src <- influx_connect("http://127.0.0.1:9", version = "v1", database = "d")
  to <- influx_connect("http://127.0.0.1:9", version = "v2", token = "t", org = "o", bucket = "b", writable = TRUE)
  bad <- list(
    list(chunk = "fortnight"), list(chunk = 0), list(end = "2023-12-31"), list(dry_run = NA),
    list(v1_auth = list(username = "u")), list(dbrp = 3), list(batch_sise = 10), list(measurements = NA_character_)
  )
  for (b in bad) {
    args <- utils::modifyList(list(src, to, start = "2024-01-01", end = "2024-01-02"), b)
    expect_error(do.call(influx_copy, args), class = "influx_error_argument", info = paste(names(b), format(b)))
  }
  v1_to <- influx_connect("http://127.0.0.1:9", version = "v1", database = "d", writable = TRUE)
  expect_error(influx_copy(src, v1_to, start = "2024-01-01", end = "2024-01-02", dbrp = TRUE), class = "influx_error_unsupported")
  expect_identical(influxdbtoolkit:::copy_chunk_seconds("1 day", NULL), 86400)
  expect_identical(influxdbtoolkit:::copy_chunk_seconds("6 hours", NULL), 21600)
  expect_identical(influxdbtoolkit:::copy_chunk_seconds("30 mins", NULL), 1800)
  expect_identical(influxdbtoolkit:::copy_chunk_seconds("1w", NULL), 604800)
  expect_identical(influxdbtoolkit:::copy_chunk_seconds(90, NULL), 90)
})

test_that("after a copy to 2.x, the DBRP mapping and the 1.x authorization let InfluxQL reports read the data", {
  one <- one_measurement(7, k = 1L, last = TRUE)
  s <- one$s
  src_srv <- one$src_srv
  m <- one$m
  admin <- connect_admin(s$dest)
  bucket <- fresh_name("cpb")
  database <- fresh_name("cpdb")
  user <- fresh_name("cpuser")
  influx_create_database(admin, bucket)
  to <- influx_connect(s$dest$url, token = s$dest$token, org = s$dest$org, bucket = bucket, writable = TRUE)
  on.exit({
    suppressMessages(try(influx_drop_dbrp(admin, database = database), silent = TRUE))
    influx_drop_database(admin, bucket)
    auths <- tryCatch(influxdbtoolkit:::v2_api(admin, "GET", "/private/legacy/authorizations", query = c(token = user))$authorizations,
                      influx_error_http_404 = function(e) NULL)
    for (a in auths) influxdbtoolkit:::v2_api(admin, "DELETE", paste0("/private/legacy/authorizations/", a$id))
  }, add = TRUE)
  said <- capture_messages(
    influx_copy(connect_reader(src_srv), to, m, copy_range$start, copy_range$end,
                dbrp = database, v1_auth = list(username = user, password = "report-pw-\u00e9")))
  expect_match(said, "InfluxQL now reaches bucket", all = FALSE)
  expect_match(said, paste0("user '", user, "' may now read bucket"), all = FALSE)
  maps <- influx_dbrps(admin, database = database)
  expect_identical(maps$bucket[!maps$virtual], bucket)
  report <- influx_connect(s$dest$url, version = "v2", username = user, password = "report-pw-\u00e9", database = database)
  expect_same_points(connect_reader(src_srv), report, m)
  # read only: the report user may not write
  w <- influx_connect(s$dest$url, version = "v2", username = user, password = "report-pw-\u00e9", database = database,
                      writable = TRUE)
  expect_error(influx_write(w, data.frame(time = Sys.time(), v = 1), m), class = "influx_error_write")
  # a second copy finds mapping and authorization in place and leaves them as they are
  expect_message(
    res <- influx_copy(connect_reader(src_srv), to, m, copy_range$start, copy_range$end,
                       dbrp = database, v1_auth = list(username = user, password = "other")),
    "exists already: left as it is")
  expect_true(res$complete)
  expect_identical(nrow(influx_dbrps(admin, database = database)), nrow(maps))
  expect_same_points(connect_reader(src_srv), report, m)
})

test_that("at a console a progress bar counts the chunks of every measurement", {
  skip_if_not_installed("bit64")
  skip_if_not_installed("cli")
  s <- copy_servers()
  src_srv <- source_server(s)
  ms <- names(seed_source(src_srv, 8))
  old <- options(cli.progress_handlers_only = "logger", cli.progress_show_after = 0)
  on.exit(options(old), add = TRUE)
  args <- list(connect_reader(src_srv), connect_admin(s$dest), ms, copy_range$start, copy_range$end, chunk = "1 day")
  expect_false(any(grepl("created", capture.output(do.call(influx_copy, args)))))
  real <- replace_in_package("is_interactive", function() TRUE)
  on.exit(replace_in_package("is_interactive", real), add = TRUE)
  log <- capture.output(res <- do.call(influx_copy, args))
  expect_match(log, "0/8 created", all = FALSE)
  expect_match(log, "8/8 terminated", all = FALSE)
  expect_true(res$complete)
  # what it shows: the measurement, chunks and values so far
  old_cli <- options(cli.progress_handlers_only = "cli", cli.dynamic = FALSE)
  on.exit(options(old_cli), add = TRUE)
  env <- list2env(list(m = "climate", values_done = 1234))
  shown <- capture.output(type = "message", {
    bar <- cli::cli_progress_bar(format = influxdbtoolkit:::copying_format, total = 8, .envir = env)
    cli::cli_progress_update(id = bar, set = 3, force = TRUE, .envir = env)
    cli::cli_progress_done(id = bar, .envir = env)
  })[1]
  expect_match(shown, "^Copying climate .* 3/8 chunks [|] 1234 values")
})
