"""What the sigmoid tasks share in judging their outputs: decisions at cut-offs, and cut-offs
tuned on dev (``labels``/``probs`` are ``[n, outputs]`` arrays)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import f1_score


def predict_bits(probs: np.ndarray, thresholds: Sequence[float]) -> np.ndarray:
    """0/1 decisions: probability >= the output's cut-off."""
    return (np.asarray(probs) >= np.asarray(thresholds, dtype=float)[None, :]).astype(int)


def tune_thresholds(labels: np.ndarray, probs: np.ndarray, average: str = "macro") -> list[float]:
    """Per-column threshold maximising F1 on dev (the multi-label study's dynamic
    thresholds): ``average="macro"`` for MBTI axes, ``"binary"`` (the label's own F1) for
    multi-label; candidates are midpoints between sorted dev probabilities, ties go to the
    threshold nearest 0.5."""
    labels, probs = np.asarray(labels).astype(int), np.asarray(probs, dtype=float)
    out = []
    for j in range(labels.shape[1]):
        p = np.unique(probs[:, j])
        cands = np.unique(np.concatenate([[0.5], (p[:-1] + p[1:]) / 2]))
        scores = [
            f1_score(labels[:, j], (probs[:, j] >= t).astype(int), average=average, zero_division=0)
            for t in cands
        ]
        best = max(scores)
        ties = [t for t, s in zip(cands, scores, strict=True) if s >= best - 1e-12]
        out.append(float(min(ties, key=lambda t: abs(t - 0.5))))
    return out
