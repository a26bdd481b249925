"""The embedded offline backend: a deterministic heuristic (not an LLM) for masked sentences.

Needs only type articles and the bundled MiniLM encoder: per-type distinctive vocabulary by
weighted log-odds (:mod:`.vocabulary`), one mask slot per sentence (:mod:`.slots`), per-type
candidates ranked by fit to the slot (:mod:`.fit`) and to the type (:mod:`.ranker`), tied
together by :mod:`.backend`. The vocabulary, the slot chooser and the fit check also serve the
LLM path (own-vocabulary figures, ``--slot offline``, word checks): this folder imports nothing
of the rest of :mod:`datagen.masked`.
"""
