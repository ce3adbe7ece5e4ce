"""Annotation: hand-made relevance regions, their files, and how well each model agrees with them."""
