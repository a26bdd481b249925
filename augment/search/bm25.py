"""Okapi BM25 neighbours among a list of sentences, on scikit-learn sparse matrices.

Written here rather than taken from ``rank_bm25``: that package scores one query at a time in
pure Python (O(n^2) Python loops over a pool), while this is one sparse product per block.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def bm25_neighbours(
    sentences: Sequence[str], k: int, *, k1: float = 1.5, b: float = 0.75, block: int = 2048
) -> np.ndarray:
    """``(n, k)`` ids of each sentence's top-k BM25 neighbours (itself excluded); -1 where
    fewer than k sentences share a (non stop-) word with it."""
    from sklearn.feature_extraction.text import CountVectorizer

    n = len(sentences)
    out = np.full((n, k), -1, dtype=np.int64)
    try:
        tf = CountVectorizer(stop_words="english").fit_transform(sentences).tocsr()
    except ValueError:  # no word left (empty vocabulary)
        return out
    tf = tf.astype(np.float32)
    df = np.bincount(tf.indices, minlength=tf.shape[1])
    idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
    length = np.asarray(tf.sum(axis=1)).ravel()
    avg = length.mean() or 1.0
    weights = tf.copy()
    rows = np.repeat(np.arange(n), np.diff(weights.indptr))
    norm = k1 * (1 - b + b * length[rows] / avg)
    weights.data = weights.data * (k1 + 1) / (weights.data + norm) * idf[weights.indices]
    query = tf.copy()
    query.data[:] = 1.0
    kk = min(k, n - 1)
    if kk < 1:
        return out
    for start in range(0, n, block):
        scores = (query[start : start + block] @ weights.T).toarray()
        scores[np.arange(len(scores)), np.arange(start, start + len(scores))] = -1.0
        top = np.argsort(-scores, axis=1, kind="stable")[:, :kk]
        ok = np.take_along_axis(scores, top, axis=1) > 0
        out[start : start + len(scores), :kk] = np.where(ok, top, -1)
    return out
