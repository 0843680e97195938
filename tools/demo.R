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

daily <- influx_query(con, paste(
  "SELECT mean(temperature_degC) AS temperature, max(co2_ppm) AS co2_max FROM climate",
  "WHERE time >= '2024-10-21T00:00:00+02:00' AND time < '2024-10-28T00:00:00+01:00'",
  "GROUP BY time(1d), room tz('Europe/Zurich')"))
cat("\nDaily mean temperature and peak CO2 per room, days aligned to Zurich midnight\n")
cat("(27 October has 25 hours: summer time ended):\n")
daily$temperature <- round(daily$temperature, 2)
print(daily[order(daily$room, daily$time), ], row.names = FALSE)
influx_disconnect(con)
