# The vignettes' live-or-saved mechanism (vignettes/_setup.R, tools/knit-vignettes.R): every live
# chunk has saved output recorded from its current code, the saved output is what the servers
# answer now, and stale, missing or orphaned output fails the build instead of being shown.
# Needs the source tree (vignettes/, tools/): skipped where only the installed package is, as
# under R CMD check, which builds the vignettes itself.

source_root <- function() {
  root <- normalizePath(testthat::test_path("..", ".."), mustWork = FALSE)
  if (!file.exists(file.path(root, "vignettes", "_setup.R")) ||
      !file.exists(file.path(root, "tools", "knit-vignettes.R"))) {
    skip("the vignettes' sources are not here (installed package only)")
  }
  if (!requireNamespace("rmarkdown", quietly = TRUE) || !rmarkdown::pandoc_available()) {
    skip("rmarkdown or pandoc missing")
  }
  root
}

# Knits the vignettes of `dir` (all, or `names`) in `mode`; returns the exit status and the
# output of tools/knit-vignettes.R (and its logs). `env` adds environment variables.
knit_vignettes <- function(root, mode, dir = file.path(root, "vignettes"), names = character(), env = character()) {
  out <- tempfile("knit-")
  lib <- paste(.libPaths(), collapse = .Platform$path.sep)
  output <- suppressWarnings(system2(
    file.path(R.home("bin"), "Rscript"),
    c(file.path(root, "tools", "knit-vignettes.R"), mode, paste0("--dir=", dir), paste0("--out=", out), names),
    env = c(paste0("R_LIBS=", lib), env), stdout = TRUE, stderr = TRUE
  ))
  status <- attr(output, "status") %||% 0L
  logs <- unlist(lapply(list.files(out, pattern = "\\.log$", full.names = TRUE), readLines, warn = FALSE))
  list(status = status, output = c(output, logs), html = list.files(out, pattern = "\\.html$", full.names = TRUE))
}

# A copy of the vignettes directory to spoil.
copy_vignettes <- function(root) {
  dir <- tempfile("vignettes-")
  dir.create(dir)
  file.copy(list.files(file.path(root, "vignettes"), full.names = TRUE), dir, recursive = TRUE)
  dir
}

# Knitting vignette `name` of `dir` in `mode` fails, saying `pattern`.
expect_knit_fails <- function(root, dir, name, pattern, mode = "saved", env = no_servers()) {
  res <- knit_vignettes(root, mode, dir = dir, names = name, env = env)
  expect_false(res$status == 0L)
  expect_match(paste(res$output, collapse = "\n"), pattern)
}

# Server URLs unset: what a machine without servers sees.
no_servers <- function(ci = "false") {
  keys <- grep("^INFLUXTK_.*_URL$", names(Sys.getenv()), value = TRUE)
  c(paste0(keys, "="), paste0("CI=", ci))
}

test_that("every live chunk of every vignette has saved output recorded from its current code", {
  root <- source_root()
  res <- knit_vignettes(root, "saved", env = no_servers())
  expect_identical(res$status, 0L, info = paste(res$output, collapse = "\n"))
  vignettes <- list.files(file.path(root, "vignettes"), pattern = "\\.Rmd$")
  expect_setequal(basename(res$html), sub("Rmd$", "html", vignettes))
  # The reader is told where the output comes from, with the date and the servers' versions.
  html <- readLines(res$html[basename(res$html) == "getting-started.html"], warn = FALSE)
  note <- grep("Recorded output", html, value = TRUE)
  expect_length(note, 1)
  expect_match(paste(html, collapse = " "), "recorded on 20[0-9]{2}-[0-9]{2}-[0-9]{2} against the server\\(s\\) v1\\.6\\.7 \\(InfluxDB 1\\.6\\.7")
})

test_that("a live chunk whose code changed since the recording fails the saved build", {
  root <- source_root()
  dir <- copy_vignettes(root)
  path <- file.path(dir, "getting-started.Rmd")
  rmd <- readLines(path, warn = FALSE)
  at <- grep("^influx_tag_keys\\(con", rmd)
  rmd[at] <- sub("\\)$", ", database = \"climate_demo\")", rmd[at])
  writeLines(rmd, path)
  expect_knit_fails(root, dir, "getting-started", "saved output of chunk 'explore' of vignette 'getting-started' is stale")
})

test_that("a live chunk without saved output, or saved output of no chunk, fails the saved build", {
  root <- source_root()
  dir <- copy_vignettes(root)
  unlink(file.path(dir, "saved", "migration", "legacy-one-row.md"))
  expect_knit_fails(root, dir, "migration", "no saved output for live chunk 'legacy-one-row' of vignette 'migration'")

  dir <- copy_vignettes(root)
  file.copy(file.path(dir, "saved", "migration", "flux-v2.md"), file.path(dir, "saved", "migration", "retired-chunk.md"))
  expect_knit_fails(root, dir, "migration", "saved output of no chunk: retired-chunk")
})

test_that("a live chunk needs a label, since its saved output is found by it", {
  root <- source_root()
  dir <- copy_vignettes(root)
  writeLines(c("---", "title: x", "---", "```{r setup}", "source('_setup.R')", "vignette_setup('x', 'v1.6.7')", "```",
               "```{r, live = TRUE}", "1 + 1", "```"), file.path(dir, "x.Rmd"))
  expect_knit_fails(root, dir, "x", "a chunk with live = TRUE needs a label")
})

test_that("under CI=true a vignette whose servers are missing fails instead of showing saved output", {
  root <- source_root()
  expect_knit_fails(root, file.path(root, "vignettes"), "getting-started",
                    "vignette 'getting-started' needs the server\\(s\\) v1.6.7", mode = "auto", env = no_servers(ci = "true"))
  # A vignette with no live chunks needs no server, in CI too.
  dir <- copy_vignettes(root)
  writeLines(c("---", "title: Static", "---", "```{r setup, include = FALSE}", "source('_setup.R')",
               "vignette_setup('static')", "```", "`r vignette_note()`", "Prose only.", "```{r}", "1 + 1", "```"),
             file.path(dir, "static.Rmd"))
  res <- knit_vignettes(root, "auto", dir = dir, names = "static", env = no_servers(ci = "true"))
  expect_identical(res$status, 0L, info = paste(res$output, collapse = "\n"))
})

test_that("the saved output is what the servers answer now", {
  servers <- require_servers()
  root <- source_root()
  needed <- c("v1.6.7", "v1.13.2", "v2.7.12", "v3-standin")
  if (!all(needed %in% names(servers))) {
    if (identical(tolower(Sys.getenv("CI")), "true")) fail(paste("the vignettes need", paste(needed, collapse = ", ")))
    skip(paste("the vignettes need", paste(needed, collapse = ", ")))
  }
  res <- knit_vignettes(root, "compare")
  expect_identical(res$status, 0L, info = paste(res$output, collapse = "\n"))
})

test_that("compare mode fails where the live output differs from the saved one", {
  servers <- require_servers()
  if (!"v1.6.7" %in% names(servers)) skip("needs v1.6.7")
  root <- source_root()
  dir <- copy_vignettes(root)
  path <- file.path(dir, "saved", "getting-started", "query.md")
  saved <- readLines(path, warn = FALSE)
  writeLines(sub("815$", "816", saved), path)
  expect_knit_fails(root, dir, "getting-started", "output differs from the saved one: query", mode = "compare", env = character())
})

test_that("a live chunk's plot is saved by the recording and shown in saved and compare mode", {
  root <- source_root()
  dir <- copy_vignettes(root)
  # No servers needed: a vignette that names none still records its live chunks.
  writeLines(c("---", "title: Plot", "output: rmarkdown::html_vignette", "vignette: >", "  %\\VignetteIndexEntry{Plot}", "---",
               "```{r setup, include = FALSE}", "source('_setup.R')", "vignette_setup('plot')", "```",
               "```{r dots, live = TRUE, fig.width = 3, fig.height = 3}", "plot(1:3)", "```",
               "```{r line, live = TRUE, fig.width = 3, fig.height = 3, fig.alt = 'a line'}", "plot(1:3, type = 'l')", "```"),
             file.path(dir, "plot.Rmd"))
  embedded <- function(res) {
    html <- paste(unlist(lapply(res$html, readLines, warn = FALSE)), collapse = "\n")
    lengths(regmatches(html, gregexpr("<img src=\"data:image/png;base64", html, fixed = TRUE)))
  }
  for (mode in c("record", "saved", "compare")) {
    res <- knit_vignettes(root, mode, dir = dir, names = "plot", env = no_servers())
    expect_identical(res$status, 0L, info = paste(mode, paste(res$output, collapse = "\n")))
    expect_identical(embedded(res), 2L, info = mode)
    if (mode == "record") expect_true(all(file.exists(file.path(dir, "saved", "plot", c("dots-1.png", "line-1.png")))))
  }
  # A recording whose picture went missing is refused, not shown without it.
  unlink(file.path(dir, "saved", "plot", "line-1.png"))
  expect_knit_fails(root, dir, "plot", "saved figure 'saved/plot/line-1.png' of chunk 'line' of vignette 'plot' is missing")
})
