"""Audio in and out: file loading, resampling, playback and capture helpers (no Qt)."""
