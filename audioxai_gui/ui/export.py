"""Export what the window shows: the plots as PNG or SVG, the relevance arrays as .npz."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

PNG_EXPORT_WIDTH = 2400  # pixels; wide enough to print at 300 dpi across a page


class ExportError(Exception):
    """An export cannot be written; the message names the file and the reason."""


def _export_png(layout, path: Path) -> None:
    import pyqtgraph.exporters

    exporter = pyqtgraph.exporters.ImageExporter(layout)
    exporter.parameters()["width"] = PNG_EXPORT_WIDTH
    exporter.export(str(path))


def _export_svg(layout, path: Path) -> None:
    """Render the scene through Qt's SVG generator: vectors stay vectors, the spectrogram images embed.

    (pyqtgraph 0.14's SVGExporter fails on filled curves, so it is not used.)
    """
    from PySide6 import QtCore, QtGui, QtSvg

    source = layout.sceneBoundingRect()
    generator = QtSvg.QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(source.size().toSize())
    generator.setViewBox(QtCore.QRectF(0, 0, source.width(), source.height()))
    generator.setTitle("AudioXAI view")
    painter = QtGui.QPainter(generator)
    try:
        layout.scene().render(painter, QtCore.QRectF(0, 0, source.width(), source.height()), source)
    finally:
        painter.end()


IMAGE_EXPORTERS = {".png": _export_png, ".svg": _export_svg}


def export_view(layout, path: str | Path) -> Path:
    """Write the GraphicsLayout (every visible pane and colour bar) as .png or .svg, chosen by suffix."""
    path = Path(path)
    try:
        exporter = IMAGE_EXPORTERS[path.suffix.lower()]
    except KeyError:
        raise ExportError(f"{path}: unknown image type {path.suffix!r}; use .png or .svg") from None
    try:
        exporter(layout, path)
    except OSError as exc:
        raise ExportError(f"{path}: cannot write ({exc})") from exc
    if not path.is_file() or path.stat().st_size == 0:
        raise ExportError(f"{path}: nothing was written (is the folder writable?)")
    return path


def relevance_arrays(explanations: dict) -> dict[str, np.ndarray]:
    """Flat name -> array mapping of every explanation, prefixed by model role."""
    from ..explain.accounting import accounting  # imports torch: only once there is something to export

    arrays: dict[str, np.ndarray] = {}
    for role, e in explanations.items():
        if e is None:
            continue
        arrays.update(
            {
                f"{role}_relevance": e.relevance,
                f"{role}_tf_relevance": e.tf_relevance,
                f"{role}_probabilities": e.probabilities,
                f"{role}_classes": np.array(e.classes),
                f"{role}_target": np.array(e.target),
                f"{role}_composite": np.array(e.composite),
                f"{role}_model": np.array(e.model_name),
                f"{role}_sample_rate": np.array(e.sample_rate),
                f"{role}_conservation": np.array(e.conservation),
                f"{role}_accounting": np.array(json.dumps(accounting(e))),
                f"{role}_tf_silent": e.tf_silent,
                f"{role}_frame_times": e.frame_times(),
                f"{role}_band_frequencies": e.band_frequencies(),
            }
        )
    return arrays


def export_relevance(explanations: dict, path: str | Path) -> Path:
    """Save both models' relevance (and what it explains) to one .npz."""
    path = Path(path)
    arrays = relevance_arrays(explanations)
    if not arrays:
        raise ExportError(f"{path}: nothing to export yet (no explanation has finished)")
    try:
        with open(path, "wb") as f:
            np.savez_compressed(f, **arrays)
    except OSError as exc:
        raise ExportError(f"{path}: cannot write ({exc})") from exc
    return path
