#!/usr/bin/env bash
# Create .venv and install the pipeline at the tested versions (constraints.txt).
#   scripts/setup.sh          runtime only
#   scripts/setup.sh test     with the test tools, plus the ZIP readers, PostgreSQL and Redis the tests use
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null || PY=python3
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
extra=""
[ "${1:-}" = "test" ] && extra="[test]"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".${extra}"
if [ "${1:-}" = "test" ]; then
  missing=""
  command -v unzip >/dev/null || missing="$missing unzip"
  command -v 7z >/dev/null || missing="$missing p7zip-full"
  command -v bsdtar >/dev/null || missing="$missing libarchive-tools"
  # the distributed test (tests/distributed/) starts PostgreSQL and Redis on loopback
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing="$missing postgresql"
  command -v redis-server >/dev/null || missing="$missing redis-server"
  if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    echo "installing test tools:$missing"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
  fi
fi
