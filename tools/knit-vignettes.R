# Knits the vignettes, each in a fresh R process, in one mode of vignettes/_setup.R:
#   Rscript tools/knit-vignettes.R MODE [--dir=vignettes] [--out=DIR] [NAME ...]
# MODE is record (`make vignettes`: run live, save the output of every live chunk), compare (run
# live, fail where the output differs from the saved one), saved (no server: fail where a live
# chunk has no saved output or its code changed) or auto. The HTML goes to --out (default: a
# temporary directory). Exits non-zero when a vignette fails, after trying all of them.
args <- commandArgs(trailingOnly = TRUE)
option <- function(name, default) {
  hit <- grep(paste0("^--", name, "="), args, value = TRUE)
  if (length(hit)) sub("^--[a-z]+=", "", hit[1]) else default
}
mode <- args[1]
if (is.na(mode) || !mode %in% c("record", "compare", "saved", "auto")) {
  stop("usage: Rscript tools/knit-vignettes.R record|compare|saved|auto [--dir=vignettes] [--out=DIR] [NAME ...]")
}
dir <- normalizePath(option("dir", "vignettes"), mustWork = TRUE)
out <- option("out", tempfile("vignettes-"))
dir.create(out, showWarnings = FALSE, recursive = TRUE)
out <- normalizePath(out)
names <- grep("^--", args[-1], value = TRUE, invert = TRUE)
files <- list.files(dir, pattern = "\\.Rmd$")
if (length(names)) files <- files[sub("\\.Rmd$", "", files) %in% names]

failed <- character()
for (file in files) {
  started <- Sys.time()
  expr <- sprintf(
    "setwd(%s); rmarkdown::render(%s, output_dir = %s, intermediates_dir = tempdir(), quiet = TRUE, envir = new.env())",
    deparse(dir), deparse(file), deparse(out)
  )
  log <- file.path(out, sub("\\.Rmd$", ".log", file))
  status <- system2(file.path(R.home("bin"), "Rscript"), c("-e", shQuote(expr)),
                    env = paste0("INFLUXTK_VIGNETTES=", mode), stdout = log, stderr = log)
  seconds <- as.numeric(difftime(Sys.time(), started, units = "secs"))
  cat(sprintf("%-24s %-7s %s (%.1f s)\n", file, mode, if (status == 0) "ok" else "FAILED", seconds))
  if (status != 0) {
    failed <- c(failed, file)
    cat(tail(readLines(log, warn = FALSE), 15), sep = "\n")
  }
}
if (length(failed)) quit(status = 1)
