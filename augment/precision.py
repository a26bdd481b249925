"""Silver precision estimated on held-out gold: hide one fold of gold, use it as the pool, run
the same search + dedupe + teacher filter with a teacher trained on the other folds, and count
how often the silver label equals the hidden true label, across a grid of thresholds."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from augment.selection import choose, find_candidates
from augment.teachers import Teacher

THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.1, 1.0, 0.05)) + (0.99,)


@dataclass
class CurvePoint:
    threshold: float
    selected: int
    correct: int
    hidden: int
    per_class: dict[str, tuple[int, int]]  # silver label -> (correct, selected)

    @property
    def precision(self) -> float | None:
        return self.correct / self.selected if self.selected else None

    @property
    def yield_(self) -> float:
        return self.selected / self.hidden if self.hidden else 0.0


@dataclass
class PrecisionEstimate:
    threshold: float
    folds: int
    curve: list[CurvePoint]

    @property
    def at_threshold(self) -> CurvePoint:
        return next(p for p in self.curve if np.isclose(p.threshold, self.threshold))


def estimate_precision(
    gold_emb: np.ndarray,
    gold_texts: Sequence[str],
    gold_keys: Sequence[str],
    gold_labels: Sequence[str],
    label_order: Sequence[str],
    classes: Sequence[str],
    make_teacher: Callable[[], Teacher],
    *,
    threshold: float,
    folds: int = 5,
    top_k: int = 10,
    near_dup: float = 0.95,
    seed: int = 0,
    thresholds: Sequence[float] = THRESHOLDS,
) -> PrecisionEstimate:
    """k-fold estimate over the classes that receive silver, with no target cap (every hidden
    example that passes counts), at ``threshold`` and every value of ``thresholds``."""
    from sklearn.model_selection import StratifiedKFold

    grid = sorted(set(thresholds) | {threshold})
    labels = np.asarray(gold_labels)
    col = {lab: i for i, lab in enumerate(label_order)}
    y = np.array([col[lab] for lab in labels])
    totals = {t: CurvePoint(t, 0, 0, 0, {}) for t in grid}
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # rare classes have fewer rows than folds
        splits = list(splitter.split(gold_emb, y))
    for train, hidden in splits:
        teacher = make_teacher().fit(gold_emb[train], [gold_texts[i] for i in train], y[train])
        hidden = hidden[np.isin(labels[hidden], classes)]
        present = [c for c in classes if (labels[train] == c).any()]
        cands = find_candidates(
            gold_emb[train],
            labels[train],
            {gold_keys[i] for i in train},
            gold_emb[hidden],
            [gold_keys[i] for i in hidden],
            present,
            top_k=top_k,
            near_dup=near_dup,
        )
        rows = hidden[cands.pool_ids]
        probs = teacher.predict_proba(gold_emb[rows], [gold_texts[i] for i in rows])
        unlimited = {lab: 0 for lab in label_order}
        cap = {lab: len(gold_texts) for lab in label_order}
        for t in grid:
            sel = choose(cands, probs, label_order, unlimited, cap, t)
            point = totals[t]
            point.hidden += len(hidden)
            truth = labels[rows[sel.positions]]
            for lab, true in zip(sel.labels, truth, strict=True):
                ok, n = point.per_class.get(lab, (0, 0))
                point.per_class[lab] = (ok + int(lab == true), n + 1)
            point.selected += len(sel.labels)
            point.correct += int(sum(a == b for a, b in zip(sel.labels, truth, strict=True)))
    return PrecisionEstimate(threshold, folds, [totals[t] for t in grid])
