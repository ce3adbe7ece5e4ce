"""Explanation: zennit LRP per model, the time-frequency projection, and long-audio stitching."""
