"""Work around a shiboken6 6.12.0 reference-count bug on Python 3.11.

``SignalInstance.emit()`` returns ``True`` without taking a reference (fine for Python >= 3.12, where
True is immortal). On 3.11 every emit from Python code, ours and pyqtgraph's, leaves True one
reference short, and after a few thousand pans or playhead ticks the interpreter aborts with
"deallocating True". We measure the bug once at start-up and, only if it is present, wrap ``emit``
to give back the missing reference.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6 import QtCore


class _Probe(QtCore.QObject):
    fired = QtCore.Signal()


def emit_loses_a_reference() -> bool:
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(8):
        probe.fired.emit()
    return sys.getrefcount(True) < before


def patch_signal_emit() -> bool:
    """Install the compensating wrapper if this PySide6 needs it; returns whether it did."""
    original = QtCore.SignalInstance.emit
    if getattr(original, "_audioxai_fixed", False) or not emit_loses_a_reference():
        return False

    def emit(self, *args):
        result = original(self, *args)
        if result is True or result is False:
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(result))
        return result

    emit._audioxai_fixed = True
    QtCore.SignalInstance.emit = emit
    return True
