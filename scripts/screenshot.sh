#!/usr/bin/env bash
# Save docs/screenshot.png: the app on the built-in example on a 1366×768 laptop screen, grabbed by itself
# once both models' explanations are drawn (AUDIOXAI_SCREENSHOT), under a virtual X server so it works headless.
# Usage: scripts/screenshot.sh [output.png] [extra app arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(realpath -m "${1:-docs/screenshot.png}")"
shift || true
mkdir -p "$(dirname "$out")"
rm -f "$out"
AUDIOXAI_SCREENSHOT="$out" timeout 180 \
    xvfb-run -a -s "-screen 0 1366x768x24" .venv/bin/python main.py "$@"
test -s "$out" || { echo "no screenshot was written to $out" >&2; exit 1; }
echo "wrote $out"
