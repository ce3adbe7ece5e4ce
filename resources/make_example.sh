#!/usr/bin/env bash
# Synthesise the built-in example clip: the spoken digit "seven" (espeak-ng, US English) in a 1 s clip,
# the models' input length, with faint white noise (sox), as 8 kHz mono 16-bit WAV. Deterministic: espeak-ng is, and sox -R
# fixes the noise generator's seed. Uses no external recordings.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/example.wav}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

rate=8000
speak() {  # speak WORD FILE: voice at 8 kHz mono, leading/trailing silence trimmed
    espeak-ng -v en-us -s 140 -w "$work/raw.wav" "$1"
    sox -R "$work/raw.wav" -r "$rate" -c 1 -b 16 "$2" silence 1 0.01 0.5% reverse silence 1 0.01 0.5% reverse
}

speak "seven" "$work/seven.wav"
sox -R -n -r "$rate" -c 1 -b 16 "$work/lead.wav" trim 0 0.2
sox -R "$work/lead.wav" "$work/seven.wav" "$work/speech.wav" norm -3 pad 0 1 trim 0 1

duration="$(soxi -D "$work/speech.wav")"
sox -R -n -r "$rate" -c 1 -b 16 "$work/noise.wav" synth "$duration" whitenoise vol 0.01
sox -R -m -v 1 "$work/speech.wav" -v 1 "$work/noise.wav" -b 16 "$out"  # -v 1: keep levels, no halving
echo "wrote $out ($(soxi -D "$out") s)"
