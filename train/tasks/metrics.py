"""What the sigmoid tasks share in judging their outputs: decisions at cut-offs, and cut-offs
tuned on dev (``labels``/``probs`` are ``[n, outputs]`` arrays)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.special import expit, logit


def predict_bits(probs: np.ndarray, thresholds: Sequence[float]) -> np.ndarray:
    """0/1 decisions: probability >= the output's cut-off."""
    return (np.asarray(probs) >= np.asarray(thresholds, dtype=float)[None, :]).astype(int)


def _candidates(probs: np.ndarray) -> np.ndarray:
    """0.5 and the midpoints between the sorted distinct ``probs``."""
    p = np.unique(probs)
    return np.unique(np.concatenate([[0.5], (p[:-1] + p[1:]) / 2]))


def _counts(labels: np.ndarray, probs: np.ndarray, cuts: np.ndarray) -> tuple[np.ndarray, ...]:
    """True/false positives and false/true negatives of one column at each cut-off in
    ``cuts`` (``probs >= cut`` is positive), all cut-offs at once."""
    order = np.argsort(probs, kind="stable")
    p, y = probs[order], labels[order]
    below = np.searchsorted(p, cuts, side="left")  # rows under each cut-off
    pos_below = np.concatenate([[0], np.cumsum(y)])[below]
    fn, tn = pos_below, below - pos_below
    tp, fp = y.sum() - fn, (len(y) - y.sum()) - tn
    return tp, fp, fn, tn


def _f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    denom = 2 * tp + fp + fn
    return np.divide(2 * tp, denom, out=np.zeros(len(tp)), where=denom > 0)


def _nearest_half(cuts: np.ndarray, scores: np.ndarray) -> float:
    """The cut-off with the best score; ties go to the one nearest 0.5."""
    ties = cuts[scores >= scores.max() - 1e-12]
    return float(ties[np.argmin(np.abs(ties - 0.5))])


def tune_thresholds(labels: np.ndarray, probs: np.ndarray, average: str = "macro") -> list[float]:
    """Per-column threshold maximising F1 on dev (the multi-label study's dynamic
    thresholds): ``average="macro"`` for MBTI axes (the mean F1 of both classes),
    ``"binary"`` (the label's own F1) for multi-label; candidates are midpoints between sorted
    dev probabilities, ties go to the threshold nearest 0.5."""
    labels, probs = np.asarray(labels).astype(int), np.asarray(probs, dtype=float)
    out = []
    for j in range(labels.shape[1]):
        cuts = _candidates(probs[:, j])
        tp, fp, fn, tn = _counts(labels[:, j], probs[:, j], cuts)
        f1 = _f1(tp, fp, fn)
        if average == "macro":
            f1 = (f1 + _f1(tn, fn, fp)) / 2
        out.append(_nearest_half(cuts, f1))
    return out


def tune_global_threshold(labels: np.ndarray, probs: np.ndarray) -> float:
    """One threshold for every column, maximising micro-F1 on dev (the labels predicted
    over all columns stay close to the true count: no column's cut-off drifts to its base
    rate); candidates and ties as in :func:`tune_thresholds`."""
    labels, probs = np.asarray(labels).astype(int), np.asarray(probs, dtype=float)
    cuts = _candidates(probs.ravel())
    tp, fp, fn, _ = _counts(labels.ravel(), probs.ravel(), cuts)
    return _nearest_half(cuts, _f1(tp, fp, fn))


def tune_global_cutoffs(
    labels: np.ndarray, probs: np.ndarray, pos_weight: Sequence[float] | None = None
) -> list[float]:
    """One cut-off for every column (:func:`tune_global_threshold`) on scores made
    comparable first: training with ``pos_weight`` w moves a column's logit up by log w (its
    odds by w), so the shift is taken out before tuning and put back into each column's
    cut-off. The decisions are those of one cut-off on unweighted scores; returns the cut-off
    of each column on the raw scale."""
    probs = np.asarray(probs, dtype=float)
    if pos_weight is None:
        return [tune_global_threshold(labels, probs)] * probs.shape[1]
    shift = np.log(np.asarray(pos_weight, dtype=float))
    unweighted = expit(logit(np.clip(probs, 1e-12, 1 - 1e-12)) - shift)
    return list(expit(logit(tune_global_threshold(labels, unweighted)) + shift))
