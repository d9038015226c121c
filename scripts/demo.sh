#!/usr/bin/env bash
# Set up, generate sample uploads, land them through the Dagster instance, print a summary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/python -m pipelines.demo --fresh "$@"
