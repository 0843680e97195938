# Layered settings: arguments > environment > .env > profile file. No server needed: an explicit
# version makes influx_connect() send nothing.

clean_env <- function() {
  vars <- paste0("INFLUXDB_", c(toupper(influxdbtoolkit:::config_keys), "PROFILE", "CONFIG"))
  old <- Sys.getenv(vars, unset = NA, names = TRUE)
  do.call(Sys.unsetenv, list(vars))
  old
}

with_config <- function(code, env = list(), dotenv = NULL, ini = NULL) {
  old <- clean_env()
  dir <- tempfile("cfg")
  dir.create(dir)
  owd <- setwd(dir)
  on.exit({
    setwd(owd)
    do.call(Sys.unsetenv, list(names(old)))
    keep <- old[!is.na(old)]
    if (length(keep)) do.call(Sys.setenv, as.list(keep))
    unlink(dir, recursive = TRUE)
  })
  if (!is.null(dotenv)) writeLines(dotenv, file.path(dir, ".env"))
  ini_path <- file.path(dir, "influx.ini")
  if (!is.null(ini)) {
    writeLines(ini, ini_path)
    Sys.chmod(ini_path, "600")
  }
  Sys.setenv(INFLUXDB_CONFIG = ini_path)
  if (length(env)) do.call(Sys.setenv, env)
  force(code)
}

test_that("arguments beat the environment, which beats .env, which beats the profile", {
  with_config(
    env = list(INFLUXDB_DATABASE = "from_env", INFLUXDB_USERNAME = "env_user"),
    dotenv = c("# comment", "export INFLUXDB_DATABASE=from_dotenv", "INFLUXDB_ORG='dot org'",
               'INFLUXDB_BUCKET="b\\"q" # trailing comment'),
    ini = c("[default]", "url = http://127.0.0.1:1", "version = v1", "database = from_profile",
            "org = from_profile", "tz = UTC", "INFLUXDB_BUCKET = ignored_by_dotenv"),
    {
      con <- influx_connect(database = "from_arg")
      expect_equal(con$database, "from_arg")
      expect_equal(con$username, "env_user")
      expect_equal(con$org, "dot org")
      expect_equal(con$bucket, "b\"q")
      expect_equal(con$url, "http://127.0.0.1:1")
      expect_equal(con$tz, "UTC")
      expect_equal(con$sources[["url"]], "profile 'default'")
      con2 <- influx_connect()
      expect_equal(con2$database, "from_env")
    }
  )
})

test_that("named profiles are chosen by argument or INFLUXDB_PROFILE", {
  ini <- c("[default]", "url = http://127.0.0.1:1", "version = 1",
           "[lab]", "url = http://127.0.0.1:2/influx/", "version = v2", "token = s3cret-token", "org = lab")
  with_config(ini = ini, {
    expect_equal(influx_connect()$url, "http://127.0.0.1:1")
    con <- influx_connect(profile = "lab")
    expect_equal(con$url, "http://127.0.0.1:2/influx")
    expect_equal(con$generation, "v2")
    expect_error(influx_connect(profile = "nope"), class = "influx_error_config")
  })
  with_config(ini = ini, env = list(INFLUXDB_PROFILE = "lab"), {
    expect_equal(influx_connect()$org, "lab")
  })
})

test_that("a readable profile file with secrets draws a warning", {
  skip_on_os("windows")
  with_config(ini = c("[default]", "url = http://127.0.0.1:1", "version = v1", "password = pw"), {
    Sys.chmod(Sys.getenv("INFLUXDB_CONFIG"), "644")
    expect_warning(influx_connect(), "can be read by other users")
  })
})

test_that("printing never shows a password or token", {
  with_config({
    con <- influx_connect("http://127.0.0.1:1", version = "v1", username = "ana", password = "pa55-w0rd", database = "d")
    out <- paste(capture.output(print(con)), collapse = "\n")
    expect_false(grepl("pa55-w0rd", out, fixed = TRUE))
    expect_match(out, "password hidden")
    expect_false(grepl("pa55-w0rd", paste(capture.output(str(unclass(con))), collapse = "\n"), fixed = TRUE))
    con2 <- influx_connect("http://127.0.0.1:1", version = "v2", token = "tok-123456", org = "o")
    out2 <- paste(capture.output(print(con2)), collapse = "\n")
    expect_false(grepl("tok-123456", out2, fixed = TRUE))
    expect_match(out2, "token \\(hidden\\)")
  })
})

test_that("bad settings are classed errors", {
  with_config({
    expect_error(influx_connect(), class = "influx_error_config")
    expect_error(influx_connect("http://u:p@127.0.0.1:1", version = "v1"), "must not contain credentials", class = "influx_error_config")
    expect_error(influx_connect("ftp://127.0.0.1", version = "v1"), class = "influx_error_config")
    expect_error(influx_connect("127.0.0.1:8086", version = "v1"), class = "influx_error_config")
    expect_error(influx_connect("http://127.0.0.1:1", version = "v9"), class = "influx_error_config")
    expect_error(influx_connect("http://127.0.0.1:1", version = "v1", tz = "Mars/Olympus"), class = "influx_error_argument")
    expect_error(influx_connect("http://127.0.0.1:1", version = "v1", timeout = -1), class = "influx_error_config")
    expect_error(influx_connect("http://127.0.0.1:1", version = "v1", writable = "maybe"), class = "influx_error_config")
    expect_error(influx_connect(c("http://a", "http://b"), version = "v1"), class = "influx_error_argument")
  })
  with_config(env = list(INFLUXDB_URL = "http://127.0.0.1:1", INFLUXDB_VERSION = "v1", INFLUXDB_WRITABLE = "true"), {
    expect_true(influx_connect()$writable)
  })
})

test_that("loopback servers get no gzip by default, remote ones do", {
  p <- influxdbtoolkit:::parse_server_url
  expect_true(p("http://127.0.0.1:8086")$loopback)
  expect_true(p("http://[::1]:8086")$loopback)
  expect_true(p("http://localhost")$loopback)
  expect_false(p("https://influx.example.org")$loopback)
})

test_that("legacy host and port become a URL", {
  lu <- influxdbtoolkit:::legacy_url
  expect_equal(lu("10.180.26.130", "8086"), "http://10.180.26.130:8086")
  expect_equal(lu("https://influx.example.org", 443), "https://influx.example.org:443")
  expect_equal(lu("http://h:9999", "8086"), "http://h:9999")
  expect_equal(lu("[::1]", "8086"), "http://[::1]:8086")
  expect_error(lu("", "8086"), class = "influx_error_argument")
})

test_that("the time limits come from every settings layer", {
  with_config(
    env = list(INFLUXDB_STALL_TIMEOUT = "30"),
    dotenv = "INFLUXDB_FIRST_BYTE_TIMEOUT=1200",
    ini = c("[default]", "timeout = 3600", "stall_timeout = 5", "connect_timeout = 2"),
    {
      con <- influx_connect("http://127.0.0.1:1", version = "v1")
      expect_equal(con$timeouts, c(connect = 2, first_byte = 1200, stall = 30, total = 3600))
      expect_equal(unname(con$sources[c("first_byte_timeout", "stall_timeout", "timeout")]),
                   c(".env", "environment", "profile 'default'"))
      expect_equal(influx_connect("http://127.0.0.1:1", version = "v1", stall_timeout = Inf)$timeouts[["stall"]], Inf)
    }
  )
  with_config(env = list(INFLUXDB_FIRST_BYTE_TIMEOUT = "soon"), {
    expect_error(influx_connect("http://127.0.0.1:1", version = "v1"), "first_byte_timeout", class = "influx_error_config")
  })
  # libcurl has no unlimited connect: Inf would silently become its 300 s default, and the
  # first-byte clock would start while the connection was still being set up.
  expect_error(influx_connect("http://127.0.0.1:1", version = "v1", connect_timeout = Inf),
               "connect_timeout.*finite", class = "influx_error_config")
})

test_that("a connection that does not verify TLS certificates says so when printed", {
  con <- influx_connect("https://127.0.0.1:1", version = "v1", verify_tls = FALSE)
  expect_match(format(con)[1], "[TLS certificate not verified]", fixed = TRUE)
  con2 <- influx_connect("https://127.0.0.1:1", version = "v1")
  expect_false(grepl("not verified", format(con2)[1], fixed = TRUE))
})

for_each_server("the printed connection names the server's build (OSS, Core)", {
  con <- connect_reader(srv)
  expect_false(is.na(con$server_build))
  expect_match(format(con)[1], paste("InfluxDB", con$server_version, con$server_build), fixed = TRUE)
  expect_true(con$server_build %in% c("OSS", "oss", "Core", "Enterprise"))
})
