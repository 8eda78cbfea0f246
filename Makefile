# Two commands matter: `make reproduce` (the whole study) and `make test` (the test suite).
# Both build .venv from requirements.lock first; only python3 (3.11) and make are needed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CORES ?= all
CONFIG ?= config/config.yaml
STUDY ?= cai2009
STAMP := $(VENV)/.installed

# One BLAS thread per process: bit-identical results, parallelism from Snakemake jobs.
export OPENBLAS_NUM_THREADS := 1
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1

.PHONY: reproduce run codebook power report test lint format data lock environment verify snapshot \
	clean

# The environment is rebuilt from scratch whenever the lock or the package metadata changes.
$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11) and "Python 3.11 is required (found " + sys.version.split()[0] + "); set PYTHON=python3.11")'
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

## reproduce: run the whole study (results/cai2009/manuscript.pdf) on all cores
reproduce: $(STAMP)
	$(BIN)/snakemake --cores $(CORES) --configfile $(CONFIG)

## run: the same for another study, e.g. make run CONFIG=config/examples/wave2.yaml
run: reproduce

## codebook: draft codebook and config from a data file: make codebook DATA=export.sav [STUDY=name]
# STUDY is passed on only when given (its default above names the bundled study); FORCE=1
# overwrites existing drafts.
codebook: $(STAMP)
	@test -n "$(DATA)" || { echo "usage: make codebook DATA=export [STUDY=name] [FORCE=1]"; exit 2; }
	$(BIN)/python -m surveysem.scaffold "$(DATA)" \
		$(if $(filter command line environment,$(origin STUDY)),--study "$(STUDY)") $(if $(FORCE),--force)

## power: Monte Carlo power of the hypothesis tests (results/<study>/power/; not in reproduce)
power: $(STAMP)
	$(BIN)/snakemake power --cores $(CORES) --configfile $(CONFIG)

## test: the full test suite
test: $(STAMP)
	$(BIN)/pytest

## verify: re-hash every output against provenance.json and compare key numbers with snapshot/
verify: $(STAMP)
	$(BIN)/python -m surveysem.verify --study $(STUDY)

## snapshot: record the current key numbers of the bundled study as the reference snapshot
snapshot: $(STAMP)
	$(BIN)/python -m surveysem.verify --study $(STUDY) --write-snapshot

## report: the HTML report of the bundled study (every table and figure, by stage)
report: reproduce
	$(BIN)/snakemake --configfile $(CONFIG) --report results/$(STUDY)/report.html

## lint: ruff, snakefmt and the Snakemake linter, as CI runs them
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakefmt --check Snakefile workflow/rules
	$(BIN)/snakemake --lint --configfile $(CONFIG)

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/snakefmt Snakefile workflow/rules

## data: regenerate the synthetic surveys (reproduces the committed files byte for byte)
data: $(STAMP)
	$(BIN)/python -m surveysem.synthetic --study cai2009 --seed 20090401 --n 420 --data-dir data
	$(BIN)/python -m surveysem.synthetic --study wave2 --seed 20100315 --n 360 \
		--fieldwork-start 2008-09-01 --data-dir data

## lock: re-resolve requirements.in into requirements.lock and environment.yml (needs PyPI)
lock:
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet pip-tools==7.6.2
	.lock-venv/bin/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe \
		--no-emit-index-url --no-emit-find-links --output-file requirements.lock requirements.in
	rm -rf .lock-venv
	$(MAKE) environment

## environment: write environment.yml (for conda users) from requirements.lock
environment:
	$(PYTHON) tools/write_environment.py requirements.lock environment.yml

## clean: remove the bundled study's results (raw data are never touched)
clean:
	rm -rf results/cai2009 .snakemake
