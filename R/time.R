# Times given by the user, as seconds or nanoseconds since the epoch, and back as text.

# A time as integer64 nanoseconds: POSIXct, Date (midnight in tz), numeric seconds, or text read
# in tz ("2024-10-27 02:30", or RFC 3339 with Z or an offset).
as_time_ns <- function(x, tz, what, call) seconds_ns(time_seconds(x, tz, what, call))

parse_time_text <- function(x, tz) {
  if (grepl("T.*(Z|[+-][0-9]{2}:?[0-9]{2})$", x)) {
    utc <- sub("Z$", "+0000", sub("([+-][0-9]{2}):([0-9]{2})$", "\\1\\2", x))
    return(as.POSIXct(utc, format = if (grepl("\\.", utc)) "%Y-%m-%dT%H:%M:%OS%z" else "%Y-%m-%dT%H:%M:%S%z", tz = "UTC"))
  }
  t <- tryCatch(as.POSIXct(x, tz = tz, tryFormats = c("%Y-%m-%d %H:%M:%OS", "%Y-%m-%d %H:%M", "%Y-%m-%d")),
                error = function(e) NA)
  if (is.na(t)) return(t)
  local <- function(v) format(v, "%Y-%m-%d %H:%M:%OS6", tz = tz)
  # A wall-clock time that does not exist (the spring gap) does not format back to itself.
  shown <- format(t, if (nchar(x) <= 10) "%Y-%m-%d" else "%Y-%m-%d %H:%M", tz = tz)
  if (shown != substr(x, 1, nchar(shown))) return(.POSIXct(NA_real_, tz = tz))
  # The hour repeated when summer time ends names two instants: say which one is used.
  twin <- c(t - 3600, t + 3600)
  twin <- twin[local(twin) == local(t)]
  if (length(twin)) {
    warning(structure(class = c("influx_warning_ambiguous_time", "warning", "condition"), list(
      message = sprintf("'%s' happens twice in %s; using %s (the other is %s)", x, tz,
                        format(t, "%Y-%m-%d %H:%M:%S %Z", tz = tz), format(twin[1], "%Y-%m-%d %H:%M:%S %Z", tz = tz)),
      call = NULL)))
  }
  t
}

ns_text <- function(ns) .Call(C_ns_to_rfc3339, ns)
