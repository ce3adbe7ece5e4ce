"""Work around a shiboken6 6.12.0 reference-count bug on Python 3.11.

This PySide6 build returns ``None`` from every void method, and ``True`` from ``Signal.emit()``,
without taking a reference: harmless on Python >= 3.12, where those objects are immortal, but on 3.11
each Qt call leaves ``None`` one reference short. pyqtgraph makes thousands of such calls per second
while painting, so within minutes the interpreter aborts with "deallocating None". Measured once at
start-up; only where the bug is present are None, True and False given a reference count no program
can use up (what Python 3.12 does for every interpreter).
"""

from __future__ import annotations

import ctypes
import sys

from PySide6 import QtCore

SPARE_REFERENCES = 1 << 60


class _Probe(QtCore.QObject):
    fired = QtCore.Signal()


def qt_calls_lose_references() -> bool:
    probe = _Probe()
    before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(8):
        probe.setObjectName("probe")  # a void method
        probe.fired.emit()
    after = sys.getrefcount(None), sys.getrefcount(True)
    return after[0] < before[0] or after[1] < before[1]


def make_singletons_immortal() -> bool:
    """Give None/True/False spare references if this PySide6 leaks them; returns whether it did."""
    if sys.version_info >= (3, 12) or sys.getrefcount(None) > SPARE_REFERENCES or not qt_calls_lose_references():
        return False
    for singleton in (None, True, False):
        # CPython 3.11 objects start with their reference count (Py_ssize_t ob_refcnt)
        ctypes.c_ssize_t.from_address(id(singleton)).value += SPARE_REFERENCES
    return True
