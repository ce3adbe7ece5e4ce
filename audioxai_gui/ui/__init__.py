"""The Qt shell. The only package that imports Qt; it calls the core, never the other way round."""

from .qt_fixes import make_singletons_immortal

make_singletons_immortal()
