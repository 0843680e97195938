# The hostile data set of the write round trip (test-write.R), also what influx_copy() must move
# unchanged (test-copy.R): names with spaces, commas, equals signs, quotes, backslashes and
# unicode; strings with escapes and line breaks; floats from 1e-300 to 1e300; integers at the ends
# of 64 bits; nanosecond times at the start of summer time in Europe (2024-03-31 01:00 UTC); NA
# tags and fields.

hostile_names <- c("plain", "sp ace", "com,ma", "eq=uals", "qu\"ote", "ap'os", "back\\slash", "\u00fcml\u00e4ut",
                   "emoji \U0001f321", "mixed ,= \\x")
hostile_strings <- c("", "say \"hi\"", "back\\slash\\\\", "new\nline", "tab\tchar", "\u00e9\u00e8 \U0001f525",
                     "trailing backslash \\", "comma, equals= space", "'single'")

random_frame <- function(n, seed) {
  set.seed(seed)
  keys <- sample(hostile_names, 6)
  df <- data.frame(time = seq_len(n), stringsAsFactors = FALSE)
  df$time <- bit64::as.integer64("1711846800000000000") + bit64::as.integer64(sample.int(1e6, n) * 1000L + sample(0:999, n, TRUE))
  df[[keys[1]]] <- sample(c(hostile_names, NA), n, replace = TRUE)          # tag
  df[[keys[2]]] <- sample(c("a", "b b", "\u00fc,=", NA), n, replace = TRUE)  # tag
  df[[keys[3]]] <- ifelse(runif(n) < 0.2, NA, round(rnorm(n) * 10^sample(-300:300, n, TRUE), 3))
  df[[keys[4]]] <- bit64::as.integer64(ifelse(runif(n) < 0.2, NA, sample(c(-1e6, 0, 42, 2^40), n, TRUE)))
  df[[keys[4]]][1:2] <- bit64::as.integer64(c("9223372036854775807", "-9223372036854775807"))
  df[[keys[5]]] <- sample(c(hostile_strings, NA), n, replace = TRUE)
  df[[keys[6]]] <- sample(c(TRUE, FALSE, NA), n, replace = TRUE)
  list(frame = df, tags = keys[1:2], fields = keys[3:6])
}
