# The two commands a new user needs:
#   make demo   installs what is missing, starts a local InfluxDB, loads a week of room climate
#               readings and prints them back as a data frame in Europe/Zurich time
#   make test   the whole test suite against real servers (started and stopped here)
# and for developers: make check (R CMD check), make vignettes, make bench, make docs.

R ?= Rscript
LIB := $(CURDIR)/.lib
SERVERS ?= v1.6.7 v1.6.7-tls v1.8.10 v1.13.2 v2.7.12 v3-standin
# The real InfluxDB 3 server's recorded answers (InfluxData's data, kept outside the project): when
# present, `make test` holds the 3.x stand-in to them.
SHARED_VECTORS := $(CURDIR)/../shared/vectors/influxdb3/query-outputs.json
# DBI (Imports) is what knitr's sql chunks need; the rest are Suggests the tests, vignettes and
# report template use (DBItest's specification, units, plots, knitting, checkbashisms/tidy for check).
DEBS := r-base-dev r-cran-testthat r-cran-bit64 r-cran-cli r-cran-dbi r-cran-dbitest r-cran-units \
  r-cran-ggplot2 r-cran-knitr r-cran-later r-cran-rmarkdown pandoc devscripts tidy \
  libcurl4-openssl-dev pkg-config curl influxdb openssl python3 python3-venv
BENCH_DEBS := r-cran-jsonlite r-cran-data.table
# R CMD check --as-cran wants qpdf for its PDF size checks.
CHECK_DEBS := qpdf

.PHONY: deps install demo test vignettes fuzz valgrind check bench docs servers-start servers-stop standin-check clean

deps:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

install: deps
	@mkdir -p $(LIB)
	R CMD INSTALL --no-test-load -l $(LIB) . >$(LIB)/install.log 2>&1 || { cat $(LIB)/install.log; exit 1; }
	@echo "installed influxdbtoolkit into $(LIB)"

servers-start: deps
	tools/test-servers.sh start $(SERVERS)

servers-stop:
	tools/test-servers.sh stop

demo: install
	tools/test-servers.sh start v1.6.7
	@eval "$$(tools/test-servers.sh env)"; R_LIBS="$(LIB)" $(R) tools/demo.R

# The plain-C cores under AddressSanitizer, UBSan (with float-cast-overflow, which "undefined"
# leaves out) and LeakSanitizer, on mutated fixtures and the hostile bodies fuzz.c builds.
FUZZ_ITERATIONS ?= 100000
fuzz: deps
	@mkdir -p $(LIB)
	gcc -O1 -g -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all -fno-omit-frame-pointer \
	  -Wall -Wextra -o $(LIB)/fuzz tests/c/fuzz.c src/decoder.c src/decode_v1.c src/decode_flux.c src/decode_jsonl.c src/feed_thread.c src/msgpack.c \
	  src/columns.c src/bytebuf.c src/json.c src/dialect_influxql.c src/dialect_flux.c src/dialect_sql.c src/timeparse.c \
	  src/lineproto.c src/series_query.c src/series_index.c src/utf8.c -lm -pthread
	$(LIB)/fuzz $(FUZZ_ITERATIONS) tests/testthat/fixtures/*
	sh tests/c/run-decode-jsonl.sh

# The tests that need no server, with R itself under valgrind: any memory error or definite leak
# fails the target (R's own known reports would go in tools/valgrind.supp). Not part of `make test`
# or CI: it takes about 12 minutes of CPU, 8 of them decode-flux (choose files with
# VALGRIND_TESTS="json memory"). The full report is in .lib/valgrind.log.
VALGRIND_TESTS ?= json dialect memory decode-v1 decode-flux timeseries config write errors
valgrind: install
	@command -v valgrind >/dev/null || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends valgrind >/dev/null; }
	env -u INFLUXTK_SERVERS R_LIBS="$(LIB)" R -d "valgrind --leak-check=full --show-leak-kinds=definite \
	  --errors-for-leak-kinds=definite --error-exitcode=3 --suppressions=tools/valgrind.supp \
	  --log-file=$(LIB)/valgrind.log" --vanilla --slave -f tools/valgrind-tests.R --args $(VALGRIND_TESTS); \
	rc=$$?; grep -E "ERROR SUMMARY|definitely lost" $(LIB)/valgrind.log; \
	[ $$rc -eq 0 ] || echo "valgrind found memory errors or definite leaks (exit $$rc): see $(LIB)/valgrind.log"; exit $$rc

# The 3.x stand-in (tools/influxdb3-standin): its own unit tests, then its answers against the real
# server's recorded ones, byte for byte (skipped with a message when ../shared is absent).
standin-check: deps
	@py=$$(tools/test-servers.sh v3-python) || exit 1; \
	(cd tools/influxdb3-standin && $$py -m unittest -q test_lineproto test_influxql test_http) || exit 1; \
	if [ -f "$(SHARED_VECTORS)" ]; then $$py tools/check-influxdb3-standin.py --python $$py --vectors "$(SHARED_VECTORS)"; \
	else echo "no $(SHARED_VECTORS): the 3.x stand-in is not checked against the real server's answers"; fi

# Starts the servers, runs every test, knits the report template and runs R CMD check --as-cran
# (vignettes built live against the servers; it must say "Status: OK"), then stops the servers
# again whatever the outcome.
test: install fuzz standin-check
	@tools/test-servers.sh start $(SERVERS); rc=$$?; \
	if [ $$rc -eq 0 ]; then \
	  eval "$$(tools/test-servers.sh env)"; \
	  INFLUXTK_EXPECTED_SERVERS="$(SERVERS)" R_LIBS="$(LIB)" $(R) tools/run-tests.R; rc=$$?; \
	  if [ $$rc -eq 0 ]; then R_LIBS="$(LIB)" $(R) tools/knit-template.R; rc=$$?; fi; \
	  if [ $$rc -eq 0 ]; then $(MAKE) --no-print-directory check CHECK_ARGS=--no-tests; rc=$$?; fi; \
	fi; \
	tools/test-servers.sh stop; exit $$rc

# The servers the vignettes run against (vignettes/_setup.R). `make check` and `make vignettes`
# start those not running and stop only what they started.
VIGNETTE_SERVERS := v1.6.7 v1.13.2 v2.7.12 v3-standin
define with_vignette_servers
	@started=""; for s in $(VIGNETTE_SERVERS); do \
	  tools/test-servers.sh status | grep -q "^$$s running" || started="$$started $$s"; done; \
	rc=0; if [ -n "$$started" ]; then tools/test-servers.sh start $$started || rc=$$?; fi; \
	if [ $$rc -ne 0 ] && [ "$$CI" = true ]; then echo "CI=true: the vignettes' servers did not start"; \
	else \
	  [ $$rc -eq 0 ] || echo "no servers: the vignettes show their saved output"; \
	  eval "$$(tools/test-servers.sh env)"; ( $(1) ); rc=$$?; \
	fi; \
	[ -z "$$started" ] || tools/test-servers.sh stop $$started; exit $$rc
endef

# Runs every vignette live and saves the output of its live chunks under vignettes/saved/, which
# is what R CMD build shows on a machine without servers. Commit what changed.
vignettes: install
	$(call with_vignette_servers,R_LIBS="$(LIB)" $(R) tools/knit-vignettes.R record)

# R CMD check --as-cran of the built package, offline, vignettes built against the demo servers
# (CHECK_ARGS=--no-tests where `make test` already ran the tests). No PDF manual: that needs LaTeX.
CHECK_ARGS ?=
check: install
	@missing=""; for p in $(CHECK_DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; fi
	$(call with_vignette_servers,rm -rf .check && mkdir -p .check && cd .check && \
	  R_LIBS="$(LIB)" R CMD build .. && _R_CHECK_CRAN_INCOMING_REMOTE_=false _R_CHECK_SYSTEM_CLOCK_=0 _R_CHECK_RD_VALIDATE_RD2HTML_=true \
	  R_LIBS="$(LIB)" R CMD check --as-cran --no-manual $(CHECK_ARGS) influxdbtoolkit_*.tar.gz && \
	  { grep -qx "Status: OK" influxdbtoolkit.Rcheck/00check.log || { echo "R CMD check is not clean: see .check/influxdbtoolkit.Rcheck/00check.log"; exit 1; }; })

bench: install servers-start
	@missing=""; for p in $(BENCH_DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; fi
	@eval "$$(tools/test-servers.sh env)"; R_LIBS="$(LIB)" $(R) bench/query-v1.R && R_LIBS="$(LIB)" $(R) bench/query-flux.R && R_LIBS="$(LIB)" $(R) bench/dbi-fetch.R && R_LIBS="$(LIB)" $(R) bench/write.R && R_LIBS="$(LIB)" $(R) bench/timeseries.R && R_LIBS="$(LIB)" $(R) bench/memory.R && R_LIBS="$(LIB)" $(R) bench/read-concurrent.R && R_LIBS="$(LIB)" $(R) bench/copy.R

docs:
	$(R) -e 'roxygen2::roxygenise()'

clean:
	rm -rf $(LIB) .check src/*.o src/*.so src/Makevars
