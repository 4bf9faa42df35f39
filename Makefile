# The two commands of README.md. Both set everything up first (idempotent: seconds when nothing
# changed); VPD_MM_WHEELS=<dir> points the setup at a prebuilt mmcv wheel for this stack.
PY := $(or $(VPD_MM_VENV),.venv)/bin/python

.PHONY: setup setup-tests demo test lint bench

setup:
	bash tools/setup_env.sh

setup-tests:
	bash tools/setup_env.sh --tests

demo: setup
	$(PY) tools/run_demo.py

test: setup-tests
	$(PY) -m pytest -n 2 -q tests

lint: setup-tests
	$(PY) -m flake8 vpd_mm tools tests configs
	$(PY) -m isort --check-only --diff vpd_mm tools tests

# Every benchmark of tools/benchmarks/ in one run -> docs/benchmarks.md and docs/benchmarks.json
# (about 3 min on 2 cores; run it on a quiet machine). BENCH_ARGS=--quick checks the machinery.
bench: setup
	$(PY) tools/benchmarks/run_all.py $(BENCH_ARGS)
