#!/bin/sh
# The model factory's tests (pytest training/tests) on the PyTorch that pip installs from
# training/requirements.txt (a current 2.x), next to `npm run test:py` on Debian's PyTorch 1.13:
# the factory is kept working on both. The virtualenv is made once in .cache/venv-pip and reused.
# Where no virtualenv can be made or pip cannot install the requirements (no package index
# reachable), the check says so and is skipped (exit 0); FAS_REQUIRE_PIP_TORCH=1 makes that a failure.
set -eu
cd "$(dirname "$0")/.."
venv=.cache/venv-pip

skip() {
  echo "test:py:pip: skipped: $1" >&2
  [ "${FAS_REQUIRE_PIP_TORCH:-0}" = 1 ] && exit 1
  exit 0
}

ready() {
  "$venv/bin/python" -c 'import torch, onnx, cv2, numpy, pytest' >/dev/null 2>&1
}

if ! ready; then
  rm -rf "$venv"
  python3 -m venv "$venv" >/dev/null 2>&1 || skip "python3 -m venv failed (Debian: apt-get install python3-venv)"
  echo "test:py:pip: installing training/requirements.txt into $venv"
  # --retries 0: an index that cannot be reached is passed over at once instead of retried
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --retries 0 --timeout 20 -r training/requirements.txt \
    || skip "pip could not install training/requirements.txt"
  ready || skip "the packages of training/requirements.txt do not import"
fi
"$venv/bin/python" -c 'import sys, torch; print(f"test:py:pip: PyTorch {torch.__version__}, Python {sys.version.split()[0]}")'
PYTHON="$venv/bin/python" exec sh training/py -m pytest training/tests -q -p no:cacheprovider
