"""Synthetic digit voices: the ten digit words spoken by every speech synthesiser voice Debian ships.

FSDD has six male speakers; the digit models generalise to new voices only when training hears more
of them. Each voice says "zero" ... "nine" once; the clips are synthesised on demand, resampled to the
models' rate, trimmed to the word and cached (``$XDG_CACHE_HOME/audioxai/voices``, default
~/.cache/audioxai/voices, as the ESC-10 cache), so a second run reuses them. Synthesis is
deterministic: the same voice list gives the same files. The audio is training data only and never committed.

Licences (Debian package copyright files): flite 2.2 voices kal, kal16, awb, rms, slt — CMU Flite
licence (BSD-style, free use with the notice kept); festival voices kal_diphone (festvox-kallpc16k,
Black & Lenzo 1998) and ked_diphone (festvox-kdlpc16k, CSTR Edinburgh 1997) — free use and
redistribution with the notice kept; cmu_us_slt_arctic_hts (festvox-us-slt-hts) — CMU/EST BSD-style and
BSD-3-clause; espeak-ng 1.51 — GPL-3+ (the program and its voice data; the audio it writes is output,
not a derived work).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..audio.io import load_audio, save_wav
from .fsdd import Recording

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
RECIPE = "v1"  # bump when synthesis or trimming changes: cached clips of an old recipe are not reused
VOICE_LICENCES = {
    "flite": "flite 2.2 voices: CMU Flite licence (BSD-style)",
    "festival": "festival 2.5 voices kal_diphone, ked_diphone (free use, notice kept), "
    "cmu_us_slt_arctic_hts (BSD-style / BSD-3-clause)",
    "espeak-ng": "espeak-ng 1.51: GPL-3+ program and data; its audio output is training data only",
}
SETUP_PACKAGES = "flite festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts espeak-ng"


class SynthesiserMissingError(RuntimeError):
    """A speech synthesiser the voice list needs is not installed (training set-up, not the app's)."""


@dataclass(frozen=True)
class Voice:
    """One synthesiser setting: ``engine`` names the program, ``voice`` its voice, the rest its prosody."""

    engine: str
    voice: str
    stretch: float = 1.0  # duration factor (flite, festival)
    pitch: int = 50  # espeak-ng pitch 0-99
    speed: int = 175  # espeak-ng words per minute

    @property
    def name(self) -> str:
        """A file-system-safe id that changes whenever the setting does."""
        safe = self.voice.replace("+", "_").replace("/", "_")
        if self.engine == "espeak-ng":
            return f"{self.engine}-{safe}-p{self.pitch}-s{self.speed}"
        return f"{self.engine}-{safe}-x{round(self.stretch * 100)}"


FLITE_VOICES = ("kal", "kal16", "awb", "rms", "slt")
FESTIVAL_VOICES = ("kal_diphone", "ked_diphone", "cmu_us_slt_arctic_hts")
ESPEAK_ACCENTS = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-rp", "en-gb-x-gbcwmd", "en-029")
ESPEAK_VARIANTS = (
    "",
    "m1",
    "m2",
    "m3",
    "m4",
    "m5",
    "m6",
    "m7",
    "f1",
    "f2",
    "f3",
    "f4",
    "f5",
    "klatt",
    "klatt3",
    "croak",
)
ESPEAK_PROSODY = ((30, 140), (50, 175), (75, 210), (60, 150), (40, 200), (85, 165))
STRETCHES = (0.85, 1.0, 1.2)


def default_voices() -> list[Voice]:
    """Every flite and festival voice at three speaking rates, and every espeak-ng English accent x variant.

    espeak-ng voices are many and robotic, so each accent x variant gets one pitch/speed pair, cycled
    deterministically through ``ESPEAK_PROSODY`` instead of all of them.
    """
    voices = [Voice("flite", v, stretch=s) for v in FLITE_VOICES for s in STRETCHES]
    voices += [Voice("festival", v, stretch=s) for v in FESTIVAL_VOICES for s in STRETCHES]
    for index, (accent, variant) in enumerate((a, v) for a in ESPEAK_ACCENTS for v in ESPEAK_VARIANTS):
        pitch, speed = ESPEAK_PROSODY[index % len(ESPEAK_PROSODY)]
        voices.append(Voice("espeak-ng", f"{accent}+{variant}" if variant else accent, pitch=pitch, speed=speed))
    return voices


HELD_OUT_ACCENT = "en-us-nyc"
HELD_OUT_VARIANTS = ("", "m1", "m2", "m3", "m4", "m5", "f1", "f2", "f3", "f4", "klatt", "croak")
HELD_OUT_PROSODY = ((65, 185), (45, 160), (70, 130), (35, 190), (55, 220), (80, 145))


def held_out_voices() -> list[Voice]:
    """Twelve espeak-ng voices that training never hears (an accent and pitch/speed pairs not in
    ``default_voices``): a test of new voices, and only a proxy, since other espeak-ng voices do train."""
    return [
        Voice("espeak-ng", f"{HELD_OUT_ACCENT}+{variant}" if variant else HELD_OUT_ACCENT, pitch=pitch, speed=speed)
        for index, variant in enumerate(HELD_OUT_VARIANTS)
        for pitch, speed in [HELD_OUT_PROSODY[index % len(HELD_OUT_PROSODY)]]
    ]


def _flite(voice: Voice, words: dict[str, Path]) -> None:
    for word, path in words.items():
        command = ["flite", "-voice", voice.voice, "--setf", f"duration_stretch={voice.stretch}", "-t", word]
        _run([*command, "-o", str(path)])


def _festival(voice: Voice, words: dict[str, Path]) -> None:
    """One festival process per voice: its start-up costs more than the synthesis."""
    lines = [f"(voice_{voice.voice})", f"(Parameter.set 'Duration_Stretch {voice.stretch})"]
    lines += [f'(utt.save.wave (SynthText "{word}") "{path}" \'riff)' for word, path in words.items()]
    _run(["festival", "--pipe"], "\n".join(lines) + "\n")


def _espeak(voice: Voice, words: dict[str, Path]) -> None:
    for word, path in words.items():
        _run(["espeak-ng", "-v", voice.voice, "-p", str(voice.pitch), "-s", str(voice.speed), "-w", str(path), word])


ENGINES: dict[str, Callable[[Voice, dict[str, Path]], None]] = {
    "flite": _flite,
    "festival": _festival,
    "espeak-ng": _espeak,
}


def _run(command: list[str], stdin: str | None = None) -> None:
    result = subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({result.returncode}): {result.stderr.strip()[:300]}")


def missing_engines(voices: list[Voice]) -> list[str]:
    """Synthesiser programs the voice list needs that are not on PATH."""
    return sorted({v.engine for v in voices if shutil.which(v.engine) is None})


def cache_root() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "audioxai"


def trim(samples: np.ndarray, sample_rate: int, floor_db: float = -40.0, margin_s: float = 0.02) -> np.ndarray:
    """Cut leading and trailing silence: keep the 10 ms frames within ``floor_db`` of the loudest, plus a margin."""
    frame = max(sample_rate // 100, 1)
    n_frames = len(samples) // frame
    if n_frames == 0:
        return samples
    rms = np.sqrt((samples[: n_frames * frame].reshape(n_frames, frame) ** 2).mean(axis=1) + 1e-12)
    loud = np.flatnonzero(20 * np.log10(rms / rms.max()) > floor_db)
    margin = int(margin_s * sample_rate)
    start = max(loud[0] * frame - margin, 0)
    stop = min((loud[-1] + 1) * frame + margin, len(samples))
    return samples[start:stop]


def voice_clips(voice: Voice, sample_rate: int = 8000, cache: Path | None = None) -> list[Path]:
    """The ten digit clips of one voice (index = digit), synthesised into the cache when missing."""
    folder = (cache or cache_root()) / "voices" / f"{RECIPE}-{sample_rate}" / voice.name
    paths = [folder / f"{digit}_{word}.wav" for digit, word in enumerate(DIGIT_WORDS)]
    if all(p.exists() for p in paths):
        return paths
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="audioxai-voice-") as scratch:
        raw = {word: Path(scratch) / f"{word}.wav" for word in DIGIT_WORDS}
        ENGINES[voice.engine](voice, raw)
        for (word, raw_path), path in zip(raw.items(), paths, strict=True):
            samples = trim(load_audio(raw_path, sample_rate).samples, sample_rate)
            peak = float(np.abs(samples).max())
            if peak == 0:
                raise RuntimeError(f"{voice.name} said nothing for {word!r}")
            save_wav(path, samples * (0.5 / peak), sample_rate)
    return paths


def synthetic_recordings(
    voices: list[Voice] | None = None, sample_rate: int = 8000, cache: Path | None = None, log=print
) -> list[Recording]:
    """Every voice's ten digits as training recordings (speaker ``synth:<voice>``), synthesising what is missing."""
    voices = default_voices() if voices is None else voices
    missing = missing_engines(voices)
    if missing:
        raise SynthesiserMissingError(
            f"speech synthesiser(s) {', '.join(missing)} not installed; the digit models train on synthetic voices "
            f"too: apt-get install {SETUP_PACKAGES} (see scripts/setup.sh --training)"
        )
    recordings = []
    for index, voice in enumerate(voices):
        if index % 25 == 0:
            log(f"synthetic voices: {index}/{len(voices)}")
        for digit, path in enumerate(voice_clips(voice, sample_rate, cache)):
            samples = load_audio(path, sample_rate).samples
            recordings.append(Recording(samples, digit, f"synth:{voice.name}", 0, source="synthetic"))
    return recordings
