"""Paths to files shipped with the repository (next to the package, like ``models/``)."""

from pathlib import Path

RESOURCES = Path(__file__).resolve().parents[1] / "resources"

EXAMPLE_AUDIO = RESOURCES / "example.wav"
"""The built-in example clip: synthetic spoken "three ... seven", 8 kHz mono (see resources/README.md)."""
