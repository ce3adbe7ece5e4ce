"""AudioXAI: see why an audio classifier decides what it decides.

The package is a Qt-free core (audio, features, classifiers, explain, annotate, live) with a thin
Qt shell in ``ui``. Nothing outside ``ui`` imports Qt.
"""

__version__ = "0.1.0"
