"""Judging a person, not a post: scores averaged per author, metrics per author, and one
person's answer from several texts with how many of them vote for each outcome."""

from __future__ import annotations

from typing import Any

import numpy as np

from train.engine.data import authors_of
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


def per_author_section(
    task: Task, ds: Any, targets: np.ndarray, scores: np.ndarray, train_targets: np.ndarray
) -> dict[str, Any]:
    """``{"per_author": ...}``: ``ds``'s metrics over authors when its rows name them (every
    study arm and phase 3 add it to their test metrics), else ``{}``."""
    authors = authors_of(ds) if len(ds) else None
    if authors is None:
        return {}
    return {"per_author": author_metrics(task, authors, targets, scores, train_targets)}


def person(task: Task, scores: np.ndarray) -> dict[str, Any]:
    """One person's answer from several texts' scores (``[n, n_outputs]``), the one rule that
    per-author metrics, ``train predict --by-author`` and ``POST /predict/author`` share: the
    task's answer for the **mean** of the texts' scores (probabilities averaged, then the
    task's cut-offs), with how the texts vote (``agreement``; MBTI: votes per axis pole).

    Why the mean, not a vote of the texts' answers: it keeps each text's confidence (a text at
    0.51 counts less than one at 0.95), it never ties, and it is what the per-author metrics
    measure."""
    scores = np.asarray(scores, dtype=np.float64).reshape(-1, task.n_outputs)
    return {**task.describe(scores.mean(axis=0)), "n_texts": len(scores), **task.agreement(scores)}
