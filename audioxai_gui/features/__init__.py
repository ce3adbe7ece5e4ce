"""Time-frequency features: one framing object and one spectrogram function for model and display."""

from .framing import Framing
from .spectrogram import FeatureSpec, model_input_from_db, spectrogram_db

__all__ = ["FeatureSpec", "Framing", "model_input_from_db", "spectrogram_db"]
