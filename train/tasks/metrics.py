"""Per-axis metrics of the MBTI axis classifier, dynamic thresholds and the majority baseline.

``labels``/``probs`` are ``[n, 4]`` arrays (bit 1 = the second pole of E/I, S/N, T/F, J/P;
the probability of that pole).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

from schemas.labels import AXIS_NAMES


def predict_bits(probs: np.ndarray, thresholds: Sequence[float]) -> np.ndarray:
    """Axis bits: probability >= the axis threshold."""
    return (np.asarray(probs) >= np.asarray(thresholds, dtype=float)[None, :]).astype(int)


def _auc(y: np.ndarray, p: np.ndarray) -> float | None:
    return float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else None


def axis_metrics(
    labels: np.ndarray, probs: np.ndarray, thresholds: Sequence[float] = (0.5,) * 4
) -> dict:
    """Per axis {accuracy, macro_f1, auc, threshold}; mean_axis_accuracy, type_accuracy
    (all four axes right), hamming_loss; ``auc`` is ``None`` when an axis has one class."""
    labels = np.asarray(labels).astype(int)
    pred = predict_bits(probs, thresholds)
    out: dict = {}
    for j, name in enumerate(AXIS_NAMES):
        out[name] = {
            "accuracy": float(accuracy_score(labels[:, j], pred[:, j])),
            "macro_f1": float(
                f1_score(labels[:, j], pred[:, j], average="macro", labels=[0, 1], zero_division=0)
            ),
            "auc": _auc(labels[:, j], np.asarray(probs)[:, j]),
            "threshold": float(thresholds[j]),
        }
    out["mean_axis_accuracy"] = float(np.mean([out[a]["accuracy"] for a in AXIS_NAMES]))
    out["mean_axis_macro_f1"] = float(np.mean([out[a]["macro_f1"] for a in AXIS_NAMES]))
    out["type_accuracy"] = float(np.mean((pred == labels).all(axis=1)))
    out["hamming_loss"] = float(np.mean(pred != labels))
    return out


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


def majority_baseline(train_labels: np.ndarray, test_labels: np.ndarray) -> dict:
    """Accuracy and macro-F1 per axis of always predicting the training majority pole."""
    train_labels = np.asarray(train_labels).astype(int)
    test_labels = np.asarray(test_labels).astype(int)
    out = {}
    for j, name in enumerate(AXIS_NAMES):
        major = int(train_labels[:, j].mean() >= 0.5)
        pred = np.full(len(test_labels), major)
        out[name] = {
            "majority": major,
            "accuracy": float(accuracy_score(test_labels[:, j], pred)),
            "macro_f1": float(
                f1_score(test_labels[:, j], pred, average="macro", labels=[0, 1], zero_division=0)
            ),
        }
    out["mean_axis_accuracy"] = float(np.mean([out[a]["accuracy"] for a in AXIS_NAMES]))
    return out
