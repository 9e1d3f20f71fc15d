# The two commands: `make run` serves the pilot graph on http://127.0.0.1:8000,
# `make test` runs the whole suite. Both install what they need first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

YASGUI_VERSION := 4.6.2
VENDOR := graph_service/static/vendor/yasgui

.PHONY: install assets system-deps run test bench bench-quick clean conformance soak

install: $(STAMP) assets

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The SPARQL editor's YASGUI (/sparql-editor), from the npm registry at build time (no CDN at run
# time); the copies in $(VENDOR) are build output (.gitignore'd). Skipped when they are there.
assets:
	@if [ ! -f $(VENDOR)/yasgui.min.js ] || [ ! -f $(VENDOR)/yasgui.min.css ]; then \
	  set -e; rm -rf build/npm; mkdir -p build/npm $(VENDOR); \
	  (cd build/npm && npm pack --silent @zazuko/yasgui@$(YASGUI_VERSION) >/dev/null); \
	  tar -xzf build/npm/zazuko-yasgui-$(YASGUI_VERSION).tgz -C build/npm; \
	  cp build/npm/package/build/yasgui.min.js build/npm/package/build/yasgui.min.css $(VENDOR)/; \
	  echo "vendored @zazuko/yasgui@$(YASGUI_VERSION) into $(VENDOR)"; \
	fi

# The OWL consistency test runs owlready2's bundled HermiT reasoner, which needs Java; the
# external-endpoint tests (tests/test_remote.py) start Virtuoso Open Source (virtuoso-t); the
# page tests in tests/browser/ drive Debian's headless Chromium through its chromedriver.
system-deps:
	@command -v java >/dev/null 2>&1 || { $(SUDO) apt-get update && \
	  $(SUDO) apt-get install -y --no-install-recommends default-jre-headless; }
	@command -v virtuoso-t >/dev/null 2>&1 || { $(SUDO) apt-get update && \
	  $(SUDO) apt-get install -y --no-install-recommends virtuoso-opensource-7-bin; }
	@{ [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; } || { $(SUDO) apt-get update && \
	  $(SUDO) apt-get install -y --no-install-recommends chromium chromium-driver; }

run: install
	$(BIN)/graph-service serve --host $(HOST) --port $(PORT)

test: install system-deps
	$(BIN)/pytest

# The fuzzing and load tests of `make test`, long: many more examples per route and input, and
# 100 000 requests from 16 clients (GRAPH_SERVICE_SOAK=1; about 15 minutes). See README "Reliability".
soak: install
	GRAPH_SERVICE_SOAK=1 $(BIN)/pytest -q tests/test_fuzz_api.py tests/test_fuzz_inputs.py tests/test_load.py

# Speed goals are shown here, not in unit tests. `make bench` (under 15 minutes) compares graph-service
# with raw pyoxigraph, rdflib-endpoint and Virtuoso at S = 100, 1 000 and 10 000 roles (benchmarks/compare.py),
# then the pilot gap, planner and import benchmarks, each into its block of benchmarks/RESULTS.md;
# `make bench-quick` (about three minutes) runs the comparison at S = 100 only, into build/bench-quick.md, with
# the same 200 questions per kind (with fewer, rdflib-endpoint would answer repeats from its 128 parsed queries).
BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	@{ command -v virtuoso-t && command -v wrk; } >/dev/null 2>&1 || { $(SUDO) apt-get update && \
	  $(SUDO) apt-get install -y --no-install-recommends virtuoso-opensource-7-bin wrk; }
	touch $(BENCH_STAMP)

bench: install $(BENCH_STAMP)
	@mkdir -p build/bench
	$(BIN)/python benchmarks/compare.py --json build/bench/compare.json
	$(BIN)/python benchmarks/bench_gap.py
	@if [ -f benchmarks/bench_import.py ]; then \
	  $(BIN)/python benchmarks/bench_import.py > build/bench/import.md && \
	  $(BIN)/python benchmarks/results.py import build/bench/import.md; \
	fi

bench-quick: install $(BENCH_STAMP)
	@mkdir -p build/bench
	$(BIN)/python benchmarks/compare.py --scales 100 --seconds 1.5 --out build/bench-quick.md \
	  --json build/bench/quick.json

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache test-output

# The W3C SPARQL 1.1 suites against our server (not in `make test`): set W3C_RDF_TESTS to the
# sparql/sparql11 folder of a w3c/rdf-tests checkout; the table goes to benchmarks/CONFORMANCE.md.
conformance: install
	@test -n "$(W3C_RDF_TESTS)" || { echo "set W3C_RDF_TESTS=<rdf-tests>/sparql/sparql11 (see tests/w3c/README.md)"; exit 2; }
	W3C_RDF_TESTS=$(W3C_RDF_TESTS) $(BIN)/pytest -q tests/test_w3c_protocol.py
	W3C_RDF_TESTS=$(W3C_RDF_TESTS) $(BIN)/python tests/w3c/run_conformance.py --output benchmarks/CONFORMANCE.md
