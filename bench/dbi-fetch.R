# DBI: dbFetch(res, 10) on a 1,000,000-row result against dbGetQuery() of the same query, on 1.x
# (InfluxQL, chunked MessagePack) and 2.x (InfluxQL through the DBRP mapping, and Flux's annotated
# CSV). dbSendQuery() decodes its first rows and stops the transfer there (row_limit of the C
# reader), so printing ten rows of a huge result, as knitr's sql chunks do, should cost a small,
# constant time. Prints each median (BENCH_REPS runs) and the ratio.
# Data: the 1.x set of bench/common.R (loaded here if missing) and the 2.x set of
# bench/query-flux.R (run that first).
suppressPackageStartupMessages({
  library(influxdbtoolkit)
  library(DBI)
})
source("bench/common.R")
admin <- bench_connect(writable = TRUE)
load_data(admin, rows)

v2_url <- Sys.getenv("INFLUXTK_V2_7_12_URL")
if (!nzchar(v2_url)) stop("no 2.x server: run this through `make bench`")
v2 <- dbConnect(influx(), url = v2_url, token = Sys.getenv("INFLUXTK_ADMIN_TOKEN"), org = Sys.getenv("INFLUXTK_ORG"),
                bucket = "influxtk_test", database = "influxtk_test")
have <- influx_query(v2, "SELECT count(temperature) FROM bench")
if (nrow(have) != 1 || have$count != rows) stop("the 2.x data set is missing: run bench/query-flux.R first")

per <- rows %/% 100L
stop_at <- format(as.POSIXct(1704067200 + per * 10, origin = "1970-01-01", tz = "UTC"), "%Y-%m-%dT%H:%M:%SZ")
cases <- list(
  list(label = "1.x InfluxQL", con = bench_connect(), query = "SELECT * FROM bench"),
  list(label = "2.x InfluxQL", con = v2, query = "SELECT * FROM bench"),
  list(label = "2.x Flux", con = v2, query = sprintf(
    'from(bucket: "influxtk_test") |> range(start: 2024-01-01T00:00:00Z, stop: %s) |> filter(fn: (r) => r._measurement == "bench" and r._field == "temperature")',
    stop_at))
)

cat(sprintf("%d rows, median of %d runs\n", rows, reps))
for (case in cases) {
  first <- function() {
    res <- dbSendQuery(case$con, case$query)
    on.exit(dbClearResult(res))
    df <- dbFetch(res, 10)
    stopifnot(nrow(df) == 10, !dbHasCompleted(res))
  }
  all <- function() stopifnot(nrow(dbGetQuery(case$con, case$query)) == rows)
  t_first <- median_time(first)
  t_all <- median_time(all)
  cat(sprintf("%-13s dbFetch(res, 10): %7.3f s   dbGetQuery: %7.3f s   ratio %6.1fx\n",
              case$label, t_first, t_all, t_all / t_first))
}
