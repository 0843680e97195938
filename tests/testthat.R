library(testthat)
library(influxdbtoolkit)

test_check("influxdbtoolkit")
