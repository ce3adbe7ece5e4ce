# make run   — set up (first time) and open the app on the built-in example
# make test  — set up (first time), lint, and run the whole test suite
.PHONY: setup run test lint bench screenshot

setup:
	@bash scripts/setup.sh

run: setup
	.venv/bin/python main.py $(ARGS)

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

test: lint
	QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest -q

bench: setup
	.venv/bin/python benchmarks/run_all.py

screenshot: setup
	bash scripts/screenshot.sh
