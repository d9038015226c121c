#!/usr/bin/env bash
# Set up (with test tools) and run the whole test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
.venv/bin/ruff check .
# `long` tests run on demand only (pytest -m long); pyproject's addopts excludes them too.
exec .venv/bin/python -m pytest -n 2 -m "not long" "$@"
