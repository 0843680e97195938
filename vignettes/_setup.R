# Live or saved vignette output. Each vignette sources this file in its first chunk and calls
# vignette_setup(name, servers). A chunk with the option `live = TRUE` talks to InfluxDB: it runs
# when the servers are configured, and otherwise shows the output saved by the last recording,
# so that R CMD build and check also work on a machine without servers.
#
# INFLUXTK_VIGNETTES selects the mode (default "auto"):
#   record   run live and save every live chunk under saved/<vignette>/ (what `make vignettes` does)
#   compare  run live and fail if a chunk's output differs from the saved one (the tests)
#   saved    show the saved output; fail if a live chunk has none or its code changed since
#   auto     live when every server the vignette needs is configured, saved otherwise; under
#            CI=true a missing server is an error instead.
# A saved chunk is the chunk as knitr rendered it (source and output, in Markdown), headed by the
# MD5 of its code: changed code without a new recording is an error, never stale output shown.
# Servers are named as tools/test-servers.sh names them and found through its environment
# (INFLUXTK_V1_6_7_URL, ..., INFLUXTK_ADMIN_USER/_PASSWORD/_TOKEN, INFLUXTK_V3_STANDIN_TOKEN).

vignette_state <- new.env(parent = emptyenv())

vignette_setup <- function(name, servers = character()) {
  mode <- Sys.getenv("INFLUXTK_VIGNETTES", "auto")
  if (!mode %in% c("auto", "record", "compare", "saved")) {
    stop("INFLUXTK_VIGNETTES must be auto, record, compare or saved, not '", mode, "'")
  }
  missing <- servers[!nzchar(vapply(servers, server_env, "", what = "URL"))]
  if (mode == "auto") {
    if (length(missing) == 0) {
      mode <- "live"
    } else if (identical(tolower(Sys.getenv("CI")), "true")) {
      stop(sprintf("vignette '%s' needs the server(s) %s: start them with tools/test-servers.sh ",
                   name, paste(missing, collapse = ", ")),
           "and export its `env` (CI=true: saved output is not used in CI)")
    } else {
      mode <- "saved"
    }
  } else if (mode %in% c("record", "compare") && length(missing)) {
    stop(sprintf("INFLUXTK_VIGNETTES=%s: vignette '%s' needs the server(s) %s", mode, name,
                 paste(missing, collapse = ", ")))
  }
  vignette_state$name <- name
  vignette_state$servers <- servers
  vignette_state$mode <- mode
  vignette_state$dir <- file.path("saved", name)
  vignette_state$used <- character()
  vignette_state$differences <- character()
  if (mode == "record") {
    unlink(vignette_state$dir, recursive = TRUE)
    dir.create(vignette_state$dir, recursive = TRUE)
    write_recording_info(servers)
    # Figures of a recording are kept next to its text, where the saved Markdown points.
    knitr::opts_chunk$set(fig.path = paste0(vignette_state$dir, "/"))
  }
  knitr::opts_chunk$set(live = FALSE)
  knitr::opts_hooks$set(live = function(options) {
    if (isTRUE(options$live)) check_live_label(options$label)
    if (isTRUE(options$live) && vignette_state$mode == "saved") options$eval <- FALSE
    options
  })
  previous <- knitr::knit_hooks$get("chunk")
  knitr::knit_hooks$set(chunk = function(x, options) {
    if (isTRUE(options$live)) x <- live_chunk(x, options)
    previous(x, options)
  })
  if (mode != "live") {
    # Checked once the whole vignette is knit: saved output that no live chunk uses any more.
    previous_document <- knitr::knit_hooks$get("document")
    knitr::knit_hooks$set(document = function(x) {
      finish_vignette()
      previous_document(x)
    })
  }
  invisible(mode)
}

server_env <- function(server, what) {
  Sys.getenv(paste0("INFLUXTK_", toupper(gsub("[.-]", "_", server)), "_", what), "")
}

check_live_label <- function(label) {
  if (grepl("^unnamed-chunk-", label)) {
    stop("a chunk with live = TRUE needs a label: its saved output is found by that label")
  }
}

code_hash <- function(code) {
  path <- tempfile()
  on.exit(unlink(path))
  writeLines(enc2utf8(code), path, useBytes = TRUE)
  unname(tools::md5sum(path))
}

saved_path <- function(label) file.path(vignette_state$dir, paste0(label, ".md"))

# Returns the Markdown to show for a live chunk: the fresh x, or (saved mode) the recorded one.
live_chunk <- function(x, options) {
  label <- options$label
  hash <- code_hash(options$code)
  vignette_state$used <- c(vignette_state$used, label)
  path <- saved_path(label)
  header <- paste0("<!-- influxdbtoolkit saved chunk; code md5 ", hash, " -->")
  switch(vignette_state$mode,
    record = {
      writeLines(enc2utf8(c(header, x)), path, useBytes = TRUE)
      absolute_figures(x)
    },
    live = x,
    compare = {
      saved <- read_saved(path, hash, label)
      if (!identical(normalise_chunk(saved), normalise_chunk(x))) {
        vignette_state$differences <- c(vignette_state$differences, label)
      }
      x
    },
    saved = absolute_figures(read_saved(path, hash, label))
  )
}

# The figures of a recording, saved/<vignette>/<label>-<n>.<ext>, as the Markdown refers to them
# (`![](path)`, or `<img src="path">` with fig.alt): relative to the vignette's directory.
figure_reference <- '(\\]\\(|src=")'

saved_figure_pattern <- function() {
  paste0(figure_reference, "(", gsub(".", "\\.", vignette_state$dir, fixed = TRUE), ')(/[^)"]+)')
}

saved_figures <- function(x) {
  hits <- regmatches(x, gregexpr(saved_figure_pattern(), x))[[1]]
  sub(paste0("^", saved_figure_pattern(), "$"), "\\2\\3", hits)
}

# Pandoc runs where rmarkdown puts the intermediate files (tools/knit-vignettes.R: a temporary
# directory), so the figures are handed to it by their full path.
absolute_figures <- function(x) {
  full <- gsub("\\", "/", normalizePath(vignette_state$dir), fixed = TRUE)
  gsub(saved_figure_pattern(), paste0("\\1", full, "\\3"), paste(x, collapse = "\n"))
}

read_saved <- function(path, hash, label) {
  if (!file.exists(path)) {
    stop(sprintf("no saved output for live chunk '%s' of vignette '%s': run `make vignettes` with the servers up",
                 label, vignette_state$name))
  }
  lines <- readLines(path, encoding = "UTF-8", warn = FALSE)
  if (!identical(lines[1], paste0("<!-- influxdbtoolkit saved chunk; code md5 ", hash, " -->"))) {
    stop(sprintf("the saved output of chunk '%s' of vignette '%s' is stale (its code changed): run `make vignettes`",
                 label, vignette_state$name))
  }
  saved <- paste(lines[-1], collapse = "\n")
  for (figure in saved_figures(saved)) {
    if (!file.exists(figure)) {
      stop(sprintf("the saved figure '%s' of chunk '%s' of vignette '%s' is missing: run `make vignettes`",
                   figure, label, vignette_state$name))
    }
  }
  saved
}

# Line endings and trailing blanks are not output, nor where a figure is kept (live: knitr's
# figure directory; saved: the recording's); everything else must match.
normalise_chunk <- function(x) {
  x <- unlist(strsplit(paste(x, collapse = "\n"), "\n", fixed = TRUE))
  x <- gsub(paste0(figure_reference, '[^)"]*/([^/)"]+)'), "\\1\\2", x)
  x <- sub("[ \t\r]+$", "", x)
  x[nzchar(x)]
}

finish_vignette <- function() {
  saved <- sub("\\.md$", "", list.files(vignette_state$dir, pattern = "\\.md$"))
  orphans <- setdiff(saved, vignette_state$used)
  if (vignette_state$mode %in% c("compare", "saved")) {
    problems <- c(
      if (length(vignette_state$differences)) paste("output differs from the saved one:", paste(vignette_state$differences, collapse = ", ")),
      if (length(orphans)) paste("saved output of no chunk:", paste(orphans, collapse = ", "))
    )
    if (length(problems)) {
      stop(sprintf("vignette '%s' %s; run `make vignettes` to record it again", vignette_state$name,
                   paste(problems, collapse = "; ")))
    }
  }
}

# "v1.6.7 (InfluxDB 1.6.7~rc0)" for each server, as its /ping tells.
server_versions <- function(servers) {
  versions <- vapply(servers, function(server) {
    con <- vignette_admin(server)
    on.exit(influxdbtoolkit::influx_disconnect(con))
    influxdbtoolkit::influx_ping(con)$version
  }, "")
  paste(sprintf("%s (InfluxDB %s)", servers, versions), collapse = ", ")
}

write_recording_info <- function(servers) {
  write.dcf(data.frame(Recorded = format(Sys.time(), "%Y-%m-%d", tz = "UTC"), Servers = server_versions(servers)),
            file.path(vignette_state$dir, "RECORDING"))
}

# An administrator's connection to a test server (used by hidden set-up chunks only).
vignette_admin <- function(server, ...) {
  url <- server_env(server, "URL")
  token <- server_env(server, "TOKEN")
  if (nzchar(token)) {
    influxdbtoolkit::influx_connect(url, token = token, ...)
  } else if (server_env(server, "GENERATION") == "v2") {
    influxdbtoolkit::influx_connect(url, token = Sys.getenv("INFLUXTK_ADMIN_TOKEN"),
                                    org = Sys.getenv("INFLUXTK_ORG"), ...)
  } else {
    influxdbtoolkit::influx_connect(url, username = Sys.getenv("INFLUXTK_ADMIN_USER"),
                                    password = Sys.getenv("INFLUXTK_ADMIN_PASSWORD"), ...)
  }
}

# A writable administrator's connection to a database created afresh, so that what the vignette
# lists and reads does not depend on what others left on the server.
vignette_fresh_database <- function(server, database) {
  admin <- vignette_admin(server, database = database, writable = TRUE)
  if (database %in% influxdbtoolkit::influx_databases(admin)$name) {
    influxdbtoolkit::influx_drop_database(admin, database)
  }
  influxdbtoolkit::influx_create_database(admin, database)
  admin
}

vignette_drop_database <- function(server, database) {
  admin <- vignette_admin(server, writable = TRUE)
  on.exit(influxdbtoolkit::influx_disconnect(admin))
  influxdbtoolkit::influx_drop_database(admin, database)
}

# The sentence a vignette shows under its title: where its output comes from.
vignette_note <- function() {
  if (!length(vignette_state$servers)) return("")
  if (vignette_state$mode == "saved") {
    info <- read.dcf(file.path(vignette_state$dir, "RECORDING"))
    sprintf("> **Recorded output.** No InfluxDB server was configured when this vignette was built, so the output of the code that talks to a server is the one recorded on %s against the server(s) %s (`make vignettes` records it again).",
            info[1, "Recorded"], info[1, "Servers"])
  } else {
    sprintf("> **Live output.** The code below ran against the server(s) %s when this vignette was built.",
            server_versions(vignette_state$servers))
  }
}
