"""Judging a person, not a post: scores averaged per author, metrics per author, and for
MBTI one type from several texts with how many of them vote for each pole."""

from __future__ import annotations

from typing import Any

import numpy as np

from schemas.labels import AXIS_NAMES, MBTI
from train.tasks.base import Task


def per_author(
    authors: list[Any], targets: np.ndarray, scores: np.ndarray
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Authors (first-seen order; rows without one left out), their mean scores and their
    targets (the mean of their rows' targets: one label per author, as MBTI data has)."""
    order: dict[str, list[int]] = {}
    for i, author in enumerate(authors):
        if author is not None and str(author) != "":
            order.setdefault(str(author), []).append(i)
    names = list(order)
    targets, scores = np.asarray(targets, dtype=float), np.asarray(scores, dtype=float)
    width = targets.shape[1] if targets.ndim == 2 else 1
    mean_t = np.asarray([targets[idx].mean(axis=0) for idx in order.values()]).reshape(-1, width)
    mean_s = np.asarray([scores[idx].mean(axis=0) for idx in order.values()]).reshape(-1, width)
    return names, mean_t, mean_s


def author_metrics(
    task: Task,
    authors: list[Any],
    targets: np.ndarray,
    scores: np.ndarray,
    train_targets: np.ndarray | None = None,
) -> dict[str, Any]:
    """The task's metrics over authors (post scores averaged per author), with ``n_authors``;
    a sigmoid task's author target is the majority of its rows (mean >= 0.5)."""
    names, mean_t, mean_s = per_author(authors, targets, scores)
    if task.problem_type == "multi_label_classification":
        mean_t = (mean_t >= 0.5).astype(float)
    out = task.metrics(mean_t, mean_s, train_targets) if names else {}
    out["n_authors"] = len(names)
    return out


def person_type(probs: np.ndarray, thresholds: tuple[float, ...] = (0.5,) * 4) -> dict[str, Any]:
    """One MBTI type from several texts' axis probabilities ``[n, 4]``: the type of the mean
    probabilities (at ``thresholds``), the mean per axis, and per axis how many texts vote
    for each pole (the study's demo of five people's chat messages)."""
    probs = np.asarray(probs, dtype=float).reshape(-1, 4)
    mean = probs.mean(axis=0)
    bits = [int(p >= t) for p, t in zip(mean, thresholds, strict=True)]
    votes = probs >= np.asarray(thresholds)[None, :]
    return {
        "type": MBTI.from_bits(bits),
        "n_texts": len(probs),
        "probs": {a: round(float(p), 6) for a, p in zip(AXIS_NAMES, mean, strict=True)},
        "agreement": {
            axis: {first: int((~votes[:, j]).sum()), second: int(votes[:, j].sum())}
            for j, (axis, (first, second)) in enumerate(zip(AXIS_NAMES, MBTI.axes, strict=True))
        },
    }
