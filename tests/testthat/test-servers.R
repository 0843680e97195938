# How the test servers run. Nothing the suite starts may try to reach an address outside this
# machine: upstream 1.x reads `reporting-disabled = true` from its configuration (the key
# `reporting-enabled = false` is known only to Debian's patched 1.6.7; without the upstream key
# 1.8 and later send usage statistics to usage.influxdata.com at start-up), and 2.x needs
# `--reporting-disabled` on its command line. Each started server's configuration, command line
# and log are checked here.

# TRUE when the top level of a 1.x configuration (before the first [section]) turns usage
# reporting off in the key upstream servers read, and nothing turns it back on.
config_disables_reporting <- function(lines) {
  lines <- trimws(sub("#.*$", "", lines))
  first_section <- which(startsWith(lines, "["))[1]
  top <- if (is.na(first_section)) lines else lines[seq_len(first_section - 1)]
  value <- function(key) {
    hit <- regmatches(top, regexec(paste0("^", key, "\\s*=\\s*(\\S+)$"), top))
    vapply(Filter(length, hit), `[`, "", 2)
  }
  disabled <- value("reporting-disabled")
  enabled <- value("reporting-enabled")
  identical(disabled, "true") && !any(enabled == "true")
}

# The log lines that show a server sending, or trying to send, something off this machine: usage
# statistics and telemetry, a URL or a dial to a host that is not loopback, a DNS lookup.
outbound_lines <- function(lines) {
  not_loopback <- "(?!(?:127\\.\\d+\\.\\d+\\.\\d+|localhost|\\[::1\\])(?:[:/\\s\"]|$))"
  patterns <- c(
    "(?i)usage statistics|usage\\.influxdata\\.com|telemetry|phone ?home",
    paste0("(?i)\\b(?:https?|wss?)://", not_loopback),
    paste0("(?i)\\bdial (?:tcp|udp)[46]?:? ", not_loopback),
    "(?i)\\blookup \\S+ on \\S+"
  )
  hit <- Reduce(`|`, lapply(patterns, grepl, x = lines, perl = TRUE), logical(length(lines)))
  lines[hit]
}

# The command line of the process whose id is in DIR/pid, NULL when it does not run.
server_cmdline <- function(dir) {
  pid <- trimws(readLines(file.path(dir, "pid"), warn = FALSE)[1])
  proc <- file.path("/proc", pid, "cmdline")
  if (!file.exists(proc)) return(NULL)
  raw <- readBin(proc, "raw", 65536)
  args <- strsplit(rawToChar(replace(raw, raw == as.raw(0), as.raw(0x0a))), "\n", fixed = TRUE)[[1]]
  args[nzchar(args)]
}

# The remote ends of the TCP sockets a process holds that are not on this machine, from
# /proc/PID/fd and /proc/net/tcp{,6} (lines: sl local rem st ... inode). Listening and loopback
# sockets are not counted; NULL when /proc cannot be read.
outbound_sockets <- function(pid, tables = c("/proc/net/tcp", "/proc/net/tcp6")) {
  fds <- list.files(file.path("/proc", pid, "fd"), full.names = TRUE)
  if (length(fds) == 0) return(NULL)
  links <- Sys.readlink(fds)
  inodes <- sub("^socket:\\[(\\d+)\\]$", "\\1", links[startsWith(links, "socket:[")])
  rows <- unlist(lapply(tables[file.exists(tables)], function(f) readLines(f, warn = FALSE)[-1]))
  remote_sockets(rows, inodes)
}

# The remote addresses (hex, as /proc prints them) of the rows whose inode is in `inodes` and whose
# remote end is neither unset nor loopback (127.0.0.0/8, ::1, ::ffff:127.x.x.x).
remote_sockets <- function(rows, inodes) {
  f <- strsplit(trimws(rows), " +")
  f <- Filter(function(x) length(x) >= 10 && x[10] %in% inodes, f)
  remote <- vapply(f, `[`, "", 3)
  host <- sub(":.*$", "", remote)
  unset <- grepl("^0+$", host)
  loopback <- (nchar(host) == 8 & substr(host, 7, 8) == "7F") |
    host == "00000000000000000000000001000000" |
    (nchar(host) == 32 & substr(host, 1, 24) == "0000000000000000FFFF0000" & substr(host, 31, 32) == "7F")
  remote[!unset & !loopback]
}

# Every server the suite was given: the ones in INFLUXTK_SERVERS and the TLS one.
started_servers <- function() {
  servers <- lapply(test_servers(), function(s) s[c("name", "generation", "dir")])
  tls_dir <- Sys.getenv("INFLUXTK_TLS_DIR")
  if (nzchar(Sys.getenv("INFLUXTK_TLS_URL"))) {
    servers[["tls"]] <- list(name = "TLS server", generation = "v1", dir = tls_dir)
  }
  servers
}

test_that("a 1.x configuration must turn reporting off in the key upstream servers read", {
  expect_true(config_disables_reporting(c("reporting-enabled = false", "reporting-disabled = true",
                                          "[meta]", "  dir = \"/x\"")))
  expect_true(config_disables_reporting(c("# usage", "reporting-disabled = true  # off")))
  # Debian's key alone: upstream 1.8 and later keep their default and report.
  expect_false(config_disables_reporting(c("reporting-enabled = false", "[http]")))
  expect_false(config_disables_reporting(c("reporting-disabled = false")))
  expect_false(config_disables_reporting(c("reporting-disabled = true", "reporting-enabled = true")))
  # The key inside a section is not the top-level setting.
  expect_false(config_disables_reporting(c("[meta]", "reporting-disabled = true")))
  expect_false(config_disables_reporting(character()))
})

test_that("log lines that show an attempt to reach another machine are found", {
  quiet <- c('ts=... lvl=info msg="Listening on HTTP" service=httpd addr=127.0.0.1:18087 https=false',
             "ts=... msg=\"Post http://127.0.0.1:18086/write\"", "dial tcp 127.0.0.1:19086: connect: refused",
             'lvl=info msg="Storing statistics" service=monitor db_instance=_internal')
  expect_length(outbound_lines(quiet), 0)
  loud <- c('ts=... lvl=info msg="Sending usage statistics to usage.influxdata.com" log_id=0',
            "Post \"https://usage.influxdata.com/api/v1/usage/influxdb\": dial tcp: lookup usage.influxdata.com on 10.0.0.1:53: no such host",
            "dial tcp 140.82.112.3:443: i/o timeout", "GET http://example.org/x", "telemetry: sending")
  expect_equal(outbound_lines(c(quiet, loud)), loud)
})

test_that("sockets to other machines are told from loopback and listening ones", {
  rows <- c(
    "0: 0100007F:4AB5 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 101 1",
    "1: 0100007F:4AB5 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000 0 0 102 1",
    "2: 0A00000F:D2F0 2370528C:01BB 01 00000000:00000000 00:00000000 00000000 0 0 103 1",
    "3: 00000000000000000000000001000000:4AB5 00000000000000000000000001000000:D2F1 01 0:0 0:0 0 0 0 104 1",
    "4: 0000000000000000FFFF00000100007F:4AB5 0000000000000000FFFF00000100007F:D2F2 01 0:0 0:0 0 0 0 105 1",
    "5: 00000000000000000000000000000000:4AB5 20010DB8000000000000000000000001:01BB 01 0:0 0:0 0 0 0 106 1")
  expect_equal(remote_sockets(rows, c("101", "102", "104", "105")), character())
  expect_equal(remote_sockets(rows, as.character(101:106)), c("2370528C:01BB", "20010DB8000000000000000000000001:01BB"))
  # A socket of another process does not count.
  expect_equal(remote_sockets(rows, "101"), character())
})

servers <- started_servers()
if (length(servers) == 0) test_that("the test servers do not call out", require_servers())
for (srv in servers) {
  test_that(sprintf("[%s] runs with usage reporting off and has tried to reach no other machine", srv$name), {
    if (!nzchar(srv$dir)) {
      if (identical(tolower(Sys.getenv("CI")), "true")) fail(paste(srv$name, "has no INFLUXTK_*_DIR: start it with tools/test-servers.sh"))
      skip(paste(srv$name, "was not started by tools/test-servers.sh (no INFLUXTK_*_DIR)"))
    }
    args <- server_cmdline(srv$dir)
    if (is.null(args)) skip("no /proc/PID/cmdline to read on this system")
    if (srv$generation == "v3") {
      # The 3.x stand-in (tools/influxdb3-standin): Python on loopback only, nothing to report.
      expect_match(basename(args[1]), "^python")
      expect_match(args[2], "influxdb3-standin/server\\.py$")
      expect_equal(args[which(args == "--bind") + 1], "127.0.0.1")
    } else {
      expect_match(basename(args[1]), "^influxd")
    }
    if (srv$generation == "v1") {
      config <- args[which(args == "-config") + 1]
      expect_equal(config, file.path(srv$dir, "influxdb.conf"))
      expect_true(config_disables_reporting(readLines(config, warn = FALSE)),
                  info = paste(config, "does not set reporting-disabled = true at its top level"))
    } else if (srv$generation == "v2") {
      expect_true(any(args %in% c("--reporting-disabled", "--reporting-disabled=true")),
                  info = paste("started without --reporting-disabled:", paste(args, collapse = " ")))
    }
    pid <- trimws(readLines(file.path(srv$dir, "pid"), warn = FALSE)[1])
    outbound <- outbound_sockets(pid)
    if (!is.null(outbound)) expect_equal(outbound, character(), info = paste(srv$name, "holds connections to other machines"))
    log <- readLines(file.path(srv$dir, "server.log"), warn = FALSE)
    expect_equal(outbound_lines(log), character(), info = file.path(srv$dir, "server.log"))
  })
}
