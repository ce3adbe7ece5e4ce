#!/usr/bin/env bash
# Set up what AudioXAI needs on Debian 12, once: Debian libraries (as root; otherwise the exact apt-get
# line is printed), then .venv with the pinned CPU torch, the package and its test tools.
# `scripts/setup.sh --training` adds the speech synthesisers that `train --task digits` needs for its
# synthetic voices (classifiers/voices.py); the app itself never needs them.
# Re-running is cheap: the venv is rebuilt only when pyproject.toml changes.
set -euo pipefail
cd "$(dirname "$0")/.."

# PortAudio (sounddevice), libsndfile (soundfile), Qt's xcb/EGL runtime, PulseAudio for the live tests,
# Xvfb + xauth for screenshots.
APT_PACKAGES="libportaudio2 libsndfile1 libegl1 libgl1 libglib2.0-0 libfontconfig1 libdbus-1-3 libxkbcommon0
 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-shape0
 libxcb-randr0 libxcb-xkb1 libxcb-xinerama0 pulseaudio pulseaudio-utils libasound2-plugins xvfb xauth"
if [ "${1:-}" = "--training" ]; then
  APT_PACKAGES="$APT_PACKAGES flite festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts espeak-ng"
fi
PYTHON=${PYTHON:-python3}
python3 -c 'import ensurepip' 2>/dev/null || APT_PACKAGES="$APT_PACKAGES python3-venv"

missing=""
for pkg in $APT_PACKAGES; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing Debian packages:$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "AudioXAI needs Debian packages that are not installed. Run:" >&2
    echo "  sudo apt-get install -y$missing" >&2
    exit 1
  fi
fi

stamp=.venv/.audioxai-setup
wanted=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
  exit 0
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
pip=".venv/bin/python -m pip install -q --disable-pip-version-check"
# torch first and pinned: any looser request lets pip pick a CUDA build of several GB.
$pip torch==2.13.0
$pip -e ".[test]"
# zennit 0.5.1 requires torchvision, which has no CPU build here; it is imported through
# audioxai_gui/explain/zennit_import.py, which stubs zennit.torchvision when torchvision is unusable.
$pip --no-deps zennit==0.5.1
echo "$wanted" > "$stamp"
