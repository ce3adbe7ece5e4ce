"""Export what the window shows: the plots as PNG or SVG, the relevance arrays as .npz.

Every export is rendered in memory and written atomically (audioxai_gui/atomic.py): a failed or killed export
leaves the previous file, never half of one.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..atomic import atomic_output, atomic_write

PNG_EXPORT_WIDTH = 2400  # pixels; wide enough to print at 300 dpi across a page


class ExportError(Exception):
    """An export cannot be written; the message names the file and the reason."""


def _export_png(layout) -> bytes:
    import pyqtgraph.exporters
    from PySide6 import QtCore

    exporter = pyqtgraph.exporters.ImageExporter(layout)
    exporter.parameters()["width"] = PNG_EXPORT_WIDTH
    image = exporter.export(toBytes=True)
    data = QtCore.QByteArray()
    buffer = QtCore.QBuffer(data)
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise OSError("the image could not be encoded as PNG")
    return bytes(data)


def _export_svg(layout) -> bytes:
    """Render the scene through Qt's SVG generator: vectors stay vectors, the spectrogram images embed.

    (pyqtgraph 0.14's SVGExporter fails on filled curves, so it is not used.)
    """
    from PySide6 import QtCore, QtGui, QtSvg

    source = layout.sceneBoundingRect()
    data = QtCore.QByteArray()
    buffer = QtCore.QBuffer(data)
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    generator = QtSvg.QSvgGenerator()
    generator.setOutputDevice(buffer)
    generator.setSize(source.size().toSize())
    generator.setViewBox(QtCore.QRectF(0, 0, source.width(), source.height()))
    generator.setTitle("AudioXAI view")
    painter = QtGui.QPainter(generator)
    try:
        layout.scene().render(painter, QtCore.QRectF(0, 0, source.width(), source.height()), source)
    finally:
        painter.end()
    return bytes(data)


IMAGE_EXPORTERS = {".png": _export_png, ".svg": _export_svg}


def export_view(layout, path: str | Path) -> Path:
    """Write the GraphicsLayout (every visible pane and colour bar) as .png or .svg, chosen by suffix."""
    path = Path(path)
    try:
        exporter = IMAGE_EXPORTERS[path.suffix.lower()]
    except KeyError:
        raise ExportError(f"{path}: unknown image type {path.suffix!r}; use .png or .svg") from None
    data = exporter(layout)
    if not data:
        raise ExportError(f"{path}: nothing to write (the view has no size yet)")
    _write(path, lambda: atomic_write(path, data))
    return path


def _write(path: Path, write) -> None:
    """Run ``write``; any failure (a full disk, a name too long, no memory) becomes an ExportError naming ``path``."""
    from ..batch import failure_message

    try:
        write()
    except Exception as exc:  # noqa: BLE001 - reported to the user by the window, which keeps its state
        raise ExportError(failure_message(path, exc)) from exc


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

    def write() -> None:
        with atomic_output(path) as temp, open(temp, "wb") as handle:
            np.savez_compressed(handle, **arrays)

    _write(path, write)
    return path
