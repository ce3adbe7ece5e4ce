"""The one place that imports zennit.

zennit 0.5.1 imports its ``zennit.torchvision`` submodule at package import, and that module imports
torchvision, which has no usable build on every machine (no CPU wheel here). We install zennit with
``--no-deps`` and, when torchvision is missing or broken, put an empty stand-in for
``zennit.torchvision`` into ``sys.modules`` first. Only its ResNet/VGG canonizers are lost; the
composites, rules and attributors we use do not depend on it.
"""

from __future__ import annotations

import importlib
import sys
import types


def import_zennit():
    """Import and return the ``zennit`` package, stubbing ``zennit.torchvision`` if torchvision fails."""
    if "zennit" in sys.modules and "zennit.composites" in sys.modules:
        return sys.modules["zennit"]
    try:
        import torchvision  # noqa: F401
    except Exception:  # missing, or installed for another torch and broken at import
        stub = types.ModuleType("zennit.torchvision")
        stub.__doc__ = "Stand-in: torchvision is unavailable, so its ResNet/VGG canonizers are too."
        sys.modules["zennit.torchvision"] = stub
    return importlib.import_module("zennit")
