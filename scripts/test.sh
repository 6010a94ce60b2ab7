#!/usr/bin/env bash
# Set up (with test tools, chromium and PostgreSQL) and run the tests and lint.
#
#   bash scripts/test.sh [pytest options]        the default tier: every fast test (no model,
#       no index) and the smoke tests (`-m smoke`: the real model, index, CLI, web API,
#       browser and a build, end to end); a fresh clone in under ten minutes
#   bash scripts/test.sh --all [pytest options]  every test (the slow tier too)
#
# The fast tests need neither the model nor the index, so in the default tier they run while
# the set-up converts the model and builds the index (its output is shown when it is done).
# Options go to each pytest run (-q, -x, -k …); for a selection of your own (-m, one file),
# run `.venv/bin/python -m pytest …` after a first `scripts/test.sh`. Tiers: docs/test-tiers.md.
set -euo pipefail
cd "$(dirname "$0")/.."
all=false
if [ "${1:-}" = "--all" ]; then
  all=true
  shift
fi
export HF_HUB_OFFLINE=1
pytest() { .venv/bin/python -m pytest "$@"; }

bash scripts/setup.sh test --packages
.venv/bin/ruff check assistant tests scripts

if $all; then
  bash scripts/setup.sh test --model
  exec .venv/bin/python -m pytest "$@"
fi

# pytest exits 5 when a selection is empty (e.g. options that name one test file): not a
# failure here, the other run may hold the tests.
passed() { [ "$1" -eq 0 ] || [ "$1" -eq 5 ]; }

log=$(mktemp)
trap 'rm -f "$log"' EXIT
TQDM_DISABLE=1 bash scripts/setup.sh test --model >"$log" 2>&1 &  # no progress bars in the log
model_pid=$!
fast=0
pytest -m "not slow and not browser" "$@" || fast=$?
model=0
wait "$model_pid" || model=$?
cat "$log" >&2
if [ "$model" -ne 0 ]; then
  echo "scripts/test.sh: the model or index set-up failed (above)" >&2
  exit "$model"
fi
# Only the files that mark a smoke test are collected: collecting the whole suite again
# imports every test module (about 10 s of CPU).
smoke=0
# shellcheck disable=SC2046
pytest -m smoke $(grep -l "mark.smoke" tests/test_*.py) "$@" || smoke=$?
passed "$fast" && passed "$smoke" && exit 0
exit 1
