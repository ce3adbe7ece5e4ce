"""Which representation decides better? Faithfulness, robustness and relevance profiles of a model pair.

Qt-free, one concept per module:

- ``subject``: one model as the measures see it (the clip placed in its window, level-normalised, batched forward);
- ``attributions``: relevance maps by name (every LRP composite, gradient x input, integrated gradients, occlusion);
- ``domains``: where regions are removed (waveform segments, spectrogram-input patches, common STFT patches);
- ``perturbation``: region perturbation curves (MoRF, LeRF, random, energy) and AOPC;
- ``robustness``: corruptions by name and explanation stability;
- ``profiles``: per-class relevance profiles and per-clip map similarity;
- ``alignment``: agreement with human regions, positive-only and signed;
- ``clip``: every measure for one clip; ``aggregate``: streaming sums over clips;
- ``dataset``, ``job``, ``report``: the ``compare`` command (data sets, shards on Dask, HTML report).
"""
