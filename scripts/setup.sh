#!/bin/sh
# Installs everything fas-edge needs on a fresh clone: the npm packages (exact versions from
# package-lock.json) and the Python packages of the model factory and its tests.
# Python: Debian's packages where apt is available (PyTorch, ONNX, OpenCV, pytest), otherwise the
# pinned training/requirements.txt through pip. Set FAS_SKIP_PYTHON=1 to install only the npm side.
set -eu
cd "$(dirname "$0")/.."

python_ready() {
  sh training/py -c 'import torch, onnx, cv2, numpy, pytest' >/dev/null 2>&1
}

if [ "${FAS_SKIP_PYTHON:-0}" != 1 ] && ! python_ready; then
  if command -v apt-get >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    echo "setup: installing Python packages from Debian (python3-torch, python3-onnx, python3-opencv, python3-pytest)"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
      python3-torch python3-onnx python3-opencv python3-pytest python3-numpy >/dev/null
  else
    echo "setup: installing Python packages with pip from training/requirements.txt"
    python3 -m pip install -r training/requirements.txt
  fi
  python_ready || { echo "setup: the Python packages are still not importable; see training/requirements.txt" >&2; exit 1; }
fi

if [ -f package-lock.json ]; then
  npm ci --no-fund --no-audit
else
  npm install --no-fund --no-audit
fi
echo "setup: done"
