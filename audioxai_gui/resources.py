"""Paths to files shipped with the repository (next to the package, like ``models/``)."""

from pathlib import Path

RESOURCES = Path(__file__).resolve().parents[1] / "resources"

EXAMPLE_AUDIO = RESOURCES / "example.wav"
"""The built-in example clip: synthetic spoken "three ... seven", 8 kHz mono (see resources/README.md)."""

EVENT_EXAMPLE = RESOURCES / "event-dog-bark.ogg"
"""The event task's example: CC0 ESC-10 fold-5 dog bark 5-203128-B, 5 s at 22.05 kHz (credit: resources/README.md)."""

TASK_EXAMPLES = {"digits": EXAMPLE_AUDIO, "events": EVENT_EXAMPLE}
"""The clip each built-in task opens on (a task switch shows it unless the user's own audio is open)."""
