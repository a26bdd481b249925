"""Ranking each type's candidate fills for one masked sentence.

For a sentence and a type t, every vocabulary word w gets

    score = A * logodds_t(w) + B * cos(w, centroid_t) + C * cos(w, slot word) + D * cos(w, context)

where each term is standardised (the log-odds by their spread over the whole vocabulary, the
cosines over the words compared), ``centroid_t`` is the mean embedding of the type's sentences
and ``context`` the mean embedding of the sentence's other content words. Words keep the shape
of the word they replace (``-ly`` for ``-ly``, ...) when enough of them exist; the
replaced word itself (and its other forms) is never a candidate. The ``k`` best
become the candidates, with probabilities from a softmax of their scores at ``temperature``.
Only numpy: every embedding was computed beforehand in one batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WEIGHTS = {"logodds": 1.0, "centroid": 0.5, "slot": 1.0, "context": 0.5}


@dataclass(frozen=True)
class RankerInputs:
    """What does not change between sentences: the vocabulary side of the scores."""

    words: tuple[str, ...]
    shapes: np.ndarray  # (V,) shape of each word
    logodds: np.ndarray  # (16, V), already standardised
    centroid_sim: np.ndarray  # (16, V) cos(word, type centroid)
    word_emb: np.ndarray  # (V, d), L2-normalised


def _standardise(x: np.ndarray, axis: int = -1) -> np.ndarray:
    std = x.std(axis=axis, keepdims=True)
    return (x - x.mean(axis=axis, keepdims=True)) / np.where(std > 0, std, 1.0)


def same_stem(a: str, b: str) -> bool:
    """``friend``/``friends``, ``plan``/``planned``: not a different fill."""
    return a == b or (min(len(a), len(b)) >= 4 and (a.startswith(b) or b.startswith(a)))


def rank(
    inputs: RankerInputs,
    slot_word: str,
    slot_emb: np.ndarray,
    context_emb: np.ndarray,
    slot_shape: str,
    *,
    k: int,
    temperature: float,
) -> list[list[tuple[str, float]]]:
    """For each of the 16 types: its ``k`` best ``(word, prob)``, probs summing to 1 (never the
    slot's own word or a form of it)."""
    other = np.array([not same_stem(w, slot_word) for w in inputs.words])
    columns = np.nonzero(other & (inputs.shapes == slot_shape))[0]
    if len(columns) < k:
        columns = np.nonzero(other)[0]
    emb = inputs.word_emb[columns]
    score = (
        WEIGHTS["logodds"] * inputs.logodds[:, columns]
        + WEIGHTS["centroid"] * _standardise(inputs.centroid_sim[:, columns])
        + WEIGHTS["slot"] * _standardise(emb @ slot_emb)[None, :]
        + WEIGHTS["context"] * _standardise(emb @ context_emb)[None, :]
    )
    out = []
    for row in score:
        order = np.lexsort((columns, -row))[:k]
        top = row[order] / temperature
        prob = np.exp(top - top.max())
        prob /= prob.sum()
        out.append([(inputs.words[columns[i]], float(p)) for i, p in zip(order, prob, strict=True)])
    return out
