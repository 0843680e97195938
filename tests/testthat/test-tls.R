# TLS against a real server with a self-signed certificate.

test_that("certificates are verified by default", {
  tls <- require_tls_server()
  e <- expect_error(influx_connect(tls$url, username = tls$username, password = tls$password),
                    class = "influx_error_tls")
  expect_s3_class(e, "influx_error_transport")
  expect_match(conditionMessage(e), "certificate")
})

test_that("a CA bundle, or verify_tls = FALSE, lets a private certificate through", {
  tls <- require_tls_server()
  con <- influx_connect(tls$url, username = tls$username, password = tls$password, ca_bundle = tls$ca)
  expect_equal(con$generation, "v1")
  expect_true("influxtk_test" %in% influx_databases(con)$name)
  insecure <- influx_connect(tls$url, username = tls$username, password = tls$password, verify_tls = FALSE)
  expect_false(insecure$verify_tls)
  expect_true("influxtk_test" %in% influx_databases(insecure)$name)
  withr_env <- Sys.getenv("INFLUXDB_CA_BUNDLE", unset = NA)
  Sys.setenv(INFLUXDB_CA_BUNDLE = tls$ca)
  on.exit(if (is.na(withr_env)) Sys.unsetenv("INFLUXDB_CA_BUNDLE") else Sys.setenv(INFLUXDB_CA_BUNDLE = withr_env))
  expect_equal(influx_connect(tls$url, username = tls$username, password = tls$password)$generation, "v1")
})
