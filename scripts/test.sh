#!/usr/bin/env bash
# Set up (with test tools and chromium) and run the whole test suite and lint.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
.venv/bin/ruff check assistant tests scripts
exec .venv/bin/python -m pytest "$@"
