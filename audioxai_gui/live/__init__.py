"""Live analysis core: lock-light ring buffer and newest-wins scheduling (no Qt)."""
