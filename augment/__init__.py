"""Label balancing with Augmented-SBERT silver data: a folder per mode
(:mod:`augment.classification`, :mod:`augment.pairs`) over :mod:`augment.search` (embeddings,
semantic and BM25 search) and :mod:`augment.common` (shared options, the paired downstream
result, figures); :mod:`augment.cli` and :mod:`augment.silver` are the commands."""
