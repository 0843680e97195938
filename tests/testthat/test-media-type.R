# The media type of a response is matched as RFC 9110 says: type and subtype case-insensitively,
# with or without parameters (1.13's and 2.x's Flux answer `text/csv; charset=utf-8`), and not by
# prefix (`text/csvx` is another type).

test_that("annotated CSV is recognised whatever the case and parameters of its media type", {
  fake <- start_fake_server()
  on.exit(fake$stop())
  flux_as <- function(type) influx_connect(paste0(fake$url, "/flux-typed/", utils::URLencode(type, reserved = TRUE)),
                                           version = "v2", token = "t", org = "o")
  q <- 'from(bucket: "b") |> range(start: -1h)'
  for (type in c("text/csv", "text/csv; charset=utf-8", "Text/CSV; Charset=UTF-8", "text/csv ;charset=utf-8",
                 "application/csv", "APPLICATION/CSV;charset=utf-8")) {
    df <- influx_query(flux_as(type), q)
    expect_equal(df$`_value`, 1.5, info = type)
  }
  for (type in c("text/csvx", "text/csv-schema", "application/csvm+json", "text/plain; x=text/csv")) {
    e <- expect_error(influx_query(flux_as(type), q), class = "influx_error_decode", info = type)
    expect_match(conditionMessage(e), "expected annotated CSV", fixed = TRUE, info = type)
  }
})
