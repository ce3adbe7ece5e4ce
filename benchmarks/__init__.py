"""Benchmarks: measured, never asserted. ``python benchmarks/run_all.py`` writes RESULTS.md."""
