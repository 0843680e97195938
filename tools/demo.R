# The demo behind `make demo`: loads a week of 5-minute room climate readings for two rooms into
# the local InfluxDB 1.x that the Makefile started (with influx_write), then reads them back as
# typed data frames in Europe/Zurich time. The week spans the end of summer time (27 October 2024).
suppressPackageStartupMessages(library(influxdbtoolkit))

url <- Sys.getenv("INFLUXTK_V1_6_7_URL")
if (!nzchar(url)) stop("no server: run this through `make demo`")
admin <- influx_connect(url, username = Sys.getenv("INFLUXTK_ADMIN_USER"),
                        password = Sys.getenv("INFLUXTK_ADMIN_PASSWORD"),
                        database = "influxtk_demo", writable = TRUE)

# A week of readings: daily cycles, CO2 rising while a room is in use.
set.seed(42)
times <- seq(as.POSIXct("2024-10-21 00:00", tz = "Europe/Zurich"),
             as.POSIXct("2024-10-27 23:55", tz = "Europe/Zurich"), by = "5 min")
hour <- as.POSIXlt(times)$hour + as.POSIXlt(times)$min / 60
rooms <- list(office = list(base = 21.5, occupied = hour >= 8 & hour < 18),
              lab = list(base = 19.0, occupied = hour >= 7 & hour < 16))
readings <- do.call(rbind, lapply(names(rooms), function(room) {
  r <- rooms[[room]]
  data.frame(
    time = times, building = "B1", room = room,
    temperature_degC = round(r$base + 1.5 * sin((hour - 9) / 24 * 2 * pi) + rnorm(length(times), 0, 0.1), 2),
    humidity_perc = round(45 - 5 * sin((hour - 9) / 24 * 2 * pi) + rnorm(length(times), 0, 0.5), 1),
    co2_ppm = as.integer(round(420 + ifelse(r$occupied, 380, 0) + rnorm(length(times), 0, 15))),
    stringsAsFactors = FALSE
  )
}))
print(influx_write(admin, readings, "climate", precision = "s"))
cat("\n")
influx_disconnect(admin)

# Reading needs no write rights: a read-only connection, as an analyst would open it.
con <- influx_connect(url, username = Sys.getenv("INFLUXTK_ADMIN_USER"),
                      password = Sys.getenv("INFLUXTK_ADMIN_PASSWORD"), database = "influxtk_demo")
print(con)
cat("\nMeasurements:\n"); print(influx_measurements(con))
cat("\nFields of 'climate':\n"); print(influx_field_keys(con, "climate"))

raw <- influx_query(con, "SELECT * FROM climate GROUP BY room")
cat(sprintf("\nAll readings: %d rows, one data frame for both rooms\n", nrow(raw)))
str(raw)
print(head(raw[raw$room == "office", ], 4), row.names = FALSE)

daily <- influx_timeseries(con, "climate", "temperature_degC", start = "2024-10-21", end = "2024-10-28",
                           where = list(room = c("office", "lab")), aggregate = "mean", every = "1d")
cat("\nDaily mean temperature per room with influx_timeseries(), days from Zurich midnight\n")
cat("(27 October has 25 hours: summer time ended):\n")
daily$temperature_degC <- round(daily$temperature_degC, 2)
print(daily, row.names = FALSE)
cat("\nThe InfluxQL it sent:\n", attr(daily, "queries"), "\n", sep = "")

peak <- influxdbGetTimeseries(con, database = "influxtk_demo", measurement = "climate", fieldKey = "co2_ppm",
                              datetimeStart = "2024-10-21", datetimeEnd = "2024-10-28", func = "max", agg = "1W")
cat("\nPeak CO2 of the week, through the old wrappers' influxdbGetTimeseries():\n")
print(peak, row.names = FALSE)
influx_disconnect(con)
