#!/usr/bin/env bash
# Create .venv and install the project with the torch build that fits this machine.
#   x86_64 without NVIDIA GPU or with one: torch 2.14.1 / torchvision 0.29.1 (CUDA build;
#     runs on the CPU when no GPU is present)
#   aarch64 Jetson (/etc/nv_tegra_release): use JetPack's torch; the venv sees system site
#     packages so NVIDIA's wheels installed per README are used as they are
#   other aarch64: torch 2.9.1 / torchvision 0.24.1 (CPU)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${VENV:-.venv}
arch=$(uname -m)
jetson=0
[ -f /etc/nv_tegra_release ] && jetson=1

if [ ! -x "$VENV/bin/python" ]; then
  if [ "$jetson" = 1 ]; then
    "$PY" -m venv --system-site-packages "$VENV"
  else
    "$PY" -m venv "$VENV"
  fi
fi
pip() { "$VENV/bin/python" -m pip --disable-pip-version-check "$@"; }
pip install -q -U pip wheel 'setuptools<81'

if "$VENV/bin/python" -c 'import torch, torchvision' 2>/dev/null; then
  echo "torch already installed: $("$VENV/bin/python" -c 'import torch; print(torch.__version__)')"
elif [ "$jetson" = 1 ]; then
  echo "Jetson: install JetPack's torch and torchvision first (see README), then rerun." >&2
  exit 1
elif [ "$arch" = x86_64 ]; then
  pip install -q torch==2.14.1 torchvision==0.29.1
else
  pip install -q torch==2.9.1 torchvision==0.24.1
fi
pip install -q -e '.[dev]'
# Offline faces (local identity backend): dlib wheels + models; face_recognition itself must
# come without its dependencies (they would build dlib from source), and it needs
# pkg_resources, which setuptools 81 removed.
if ! pip install -q dlib-bin face-recognition-models 'setuptools<81' \
   || ! pip install -q --no-deps face-recognition; then
  echo "WARNING: face engine not installed; the local identity backend is unavailable" >&2
fi
# Plate localiser: platedet pins an old onnxruntime; its model runs on ours.
pip install -q --no-deps 'platedet==0.0.2'
# Keep OpenCV's two wheels on the same 4.x (EasyOCR pulls the headless one).
pip install -q 'opencv-python==4.13.0.92' 'opencv-python-headless==4.13.0.92'
echo "venv ready: $VENV"
