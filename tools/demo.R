# The demo behind `make demo`: loads a week of 5-minute room climate readings for two rooms, the
# building's water meter and an outdoor temperature sensor into the local InfluxDB 1.x that the
# Makefile started (with influx_write), then reads them back as typed data frames in Europe/Zurich
# time. The week spans the end of summer time (27 October 2024). The report template
# (inst/rmarkdown/templates/influx-report) knits against these data.
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

# The cold-water meter, read every 15 minutes from the day before the week: a counter in m3, named
# in the sensor convention <quantity>_<unit>_<abs|inc> (inc: it only increases). About 10 m3 on a
# working day (7:00 to 19:00), 1 m3 on the weekend.
meter_times <- seq(as.POSIXct("2024-10-20 00:00", tz = "Europe/Zurich"),
                   as.POSIXct("2024-10-27 23:45", tz = "Europe/Zurich"), by = "15 min")
lt <- as.POSIXlt(meter_times)
working <- lt$wday %in% 1:5 & lt$hour >= 7 & lt$hour < 19
use <- 0.01 + ifelse(working, 0.2, 0) * runif(length(meter_times), 0.6, 1.4)
meter <- data.frame(time = meter_times, building = "B1", meter = "cold_water",
                    volume_m3_inc = round(1520 + cumsum(use), 3), stringsAsFactors = FALSE)
print(influx_write(admin, meter, "meter", precision = "s"))
cat("\n")

# An outdoor sensor stored the older 1.x way: the quantity is the measurement, the reading the
# field `value` (units = TRUE finds degree Celsius through the measurement's name).
outdoor_times <- times[as.POSIXlt(times)$min %% 30 == 0]
outdoor_hour <- as.POSIXlt(outdoor_times)$hour
outdoor <- data.frame(time = outdoor_times, sensor = "roof",
                      value = round(9 + 4 * sin((outdoor_hour - 9) / 24 * 2 * pi) + rnorm(length(outdoor_times), 0, 0.3), 1),
                      stringsAsFactors = FALSE)
print(influx_write(admin, outdoor, "temperature", precision = "s"))
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

if (requireNamespace("units", quietly = TRUE)) {
  # The day before the week is read too: diffmax subtracts each day's last reading from the one before.
  water <- influx_timeseries(con, "meter", "volume_m3_inc", start = "2024-10-20", end = "2024-10-28",
                             aggregate = "diffmax", every = "1d", units = TRUE)
  water$volume_m3_inc <- round(water$volume_m3_inc, 2)
  cat("\nDaily water use from the meter (diffmax), with units = TRUE:\n")
  print(water, row.names = FALSE)
  cat("\nWhere the units come from:\n")
  print(influx_units(water), row.names = FALSE)
}
influx_disconnect(con)
