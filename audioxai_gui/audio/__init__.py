"""Audio in and out: file loading, resampling, playback and capture helpers (no Qt)."""

from .io import Audio, AudioInfo, AudioLoadError, audio_info, load_audio, save_wav, supported_extensions
from .playback import PlaybackError, Player, explanation_audio

__all__ = [
    "Audio",
    "AudioInfo",
    "AudioLoadError",
    "PlaybackError",
    "Player",
    "audio_info",
    "explanation_audio",
    "load_audio",
    "save_wav",
    "supported_extensions",
]
