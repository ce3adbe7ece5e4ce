"""The Qt shell. The only package that imports Qt; it calls the core, never the other way round."""
