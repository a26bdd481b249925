"""Judging a person, not a post: the per-author section of the test metrics (the scores
averaged per author: :meth:`Task.author_metrics`), and one person's answer from several texts
with how many of them vote for each outcome."""

from __future__ import annotations

from typing import Any

import numpy as np

from train.engine.data import authors_of
from train.tasks.base import Task


def per_author_section(
    task: Task, ds: Any, targets: np.ndarray, scores: np.ndarray, train_targets: np.ndarray
) -> dict[str, Any]:
    """``{"per_author": ...}``: ``ds``'s metrics over authors when its rows name them (every
    study arm and phase 3 add it to their test metrics), else ``{}``."""
    authors = authors_of(ds)
    if authors is None:
        return {}
    return {"per_author": task.author_metrics(authors, targets, scores, train_targets)}


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
